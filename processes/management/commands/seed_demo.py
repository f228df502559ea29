from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token

from processes import demo_two_tier
from processes.maintenance import analyze_reference_tables
from processes.demo import COMMUNES, DEMO_PASSWORD, seed_procedures, seed_units_and_officials
from processes.models import WorkItem
from processes.services import dossiers
from processes.services.events import Actor


class Command(BaseCommand):
    help = ("Seeds the demo: by default Cai Lậy district (Tiền Giang) as it was in 2019 — units, officials for every "
            "role, the procedures of bpmn/; --two-tier: the new Đồng Tháp province as it is since 1 July 2025 "
            "(no district); --both: the two in one database. Idempotent.")

    def add_arguments(self, parser):
        parser.add_argument("--no-dossiers", action="store_true", help="do not receive demo dossiers")
        parser.add_argument("--simulate", type=int, default=0, metavar="N",
                            help="also simulate N dossiers of the 2019 district over the last months (make run: "
                                 "300), unless simulated dossiers are there already")
        layout = parser.add_mutually_exclusive_group()
        layout.add_argument("--two-tier", action="store_true",
                            help="the two-tier province (Đồng Tháp, Decree 118/2025) instead of the 2019 district")
        layout.add_argument("--both", action="store_true", help="the 2019 district and the two-tier province")

    def handle(self, *args, **options):
        if not options["two_tier"]:
            self._three_tier(options)
        if options["two_tier"] or options["both"]:
            self._two_tier(options)
        analyze_reference_tables()  # just filled: too few rows for autovacuum ever to analyze them

    def _three_tier(self, options):
        seeded = seed_units_and_officials()
        deployed = seed_procedures()
        for version in deployed:
            self.stdout.write(f"deployed {version.procedure.code} v{version.number} ({version.process_id})")
        if not options["no_dossiers"] and not demo_two_tier.dossiers_in_tree(seeded["province"]).exists():
            self._demo_dossiers(seeded)
            self._clock_demo(seeded)
            self._cases(seeded)
        if not options["no_dossiers"]:
            self._dialogue(seeded)  # idempotent on its own: meetings are added to a database seeded before them
        if not options["no_dossiers"] and options["simulate"] > 0:
            self._simulated_history(seeded, options["simulate"])
        User = get_user_model()
        tokens = {name: Token.objects.get_or_create(user=User.objects.get(username=name))[0].key
                  for name in ("motcua.hiepduc", "tuphap.hiepduc")}
        self.stdout.write("")
        self.stdout.write(f"Demo officials (password for all: {DEMO_PASSWORD}):")
        # Everyone but the officials of the communes other than Hiệp Đức.
        others = tuple(f".{slug}" for slug, _ in COMMUNES if slug != "hiepduc")
        for user in seeded["officials"]:
            if user.username.endswith(others):
                continue
            roles = ", ".join(f"{m.get_role_display()} @ {m.unit.name}" for m in user.memberships.select_related("unit"))
            self.stdout.write(f"  {user.username:<18} {roles}")
        self.stdout.write(f"  (and motcua.<xã>, tuphap.<xã>, ct.<xã> for each of the {len(COMMUNES)} communes)")
        for name, key in tokens.items():
            self.stdout.write(f"API token of {name}: {key}")

    def _cases(self, seeded):
        from processes.demo_cases import seed_demo_cases

        made = seed_demo_cases(seeded)
        if made:
            self.stdout.write(f"complaints, denunciations and petitions: {len(made)} cases of the district")

    def _dialogue(self, seeded):
        from processes.demo_dialogue import seed_demo_dialogue
        from processes.services.dialogue import meetings_overview

        made = seed_demo_dialogue(seeded)
        if not made:
            return
        chairman = get_user_model().objects.get(username="ct.huyen")
        for meeting in meetings_overview(chairman).filter(pk__in=[m.pk for m in made]):
            self.stdout.write(f"dialogue meeting {meeting.held_on:%d/%m/%Y} — {meeting.unit.name}: "
                              f"{meeting.n_opinions} opinions (open {meeting.n_open}, published "
                              f"{meeting.n_published}, late {meeting.n_late})")

    def _simulated_history(self, seeded, dossiers):
        from processes.demo import DEMO_SIMULATED_DAYS, simulate_demo_history

        summary = simulate_demo_history(seeded, dossiers=dossiers)
        if summary is None:
            self.stdout.write("simulated history: already there")
            return
        outcomes = ", ".join(f"{name} {count}" for name, count in summary["outcomes"].items())
        self.stdout.write(f"simulated history: {summary['dossiers']} dossiers over the last {DEMO_SIMULATED_DAYS} "
                          f"days ({outcomes}; late {summary['late']}, explained {summary['explained']}, "
                          f"supplemented {summary['supplemented']}) in {summary['duration_s']} s "
                          f"({summary['dossiers_per_s']} dossiers/s)")

    def _two_tier(self, options):
        seeded = demo_two_tier.seed_two_tier()
        for version in seeded["deployed"]:
            self.stdout.write(f"deployed {version.procedure.code} v{version.number} ({version.process_id})")
        province = seeded["province"]
        if not options["no_dossiers"] and not demo_two_tier.dossiers_in_tree(province).exists():
            for sample in demo_two_tier.seed_two_tier_dossiers(seeded):
                dossier = sample.dossier
                holders = ", ".join(f"{item.get_role_display()} @ {item.unit.name}" for item in
                                    dossier.work_items.filter(status="open").select_related("unit")) or "-"
                self.stdout.write(f"two-tier dossier {dossier.code} ({sample.label}): {dossier.get_status_display()}, "
                                  f"regime {dossier.regime.code}; open: {holders}")
        User = get_user_model()
        tokens = {name: Token.objects.get_or_create(user=User.objects.get(username=name))[0].key
                  for name in ("motcua.xahiepduc", "tuphap.xahiepduc")}
        self.stdout.write("")
        self.stdout.write(f"Two-tier demo: {province.name} since 01/07/2025 — no district; "
                          f"{len(seeded['communes'])} communes and wards, {len(seeded['departments'])} departments "
                          f"(password for all: {DEMO_PASSWORD}):")
        shown = {"xahiepduc", "phuongcailay"}
        for user in seeded["officials"]:
            slug = user.username.rsplit(".", 1)[-1]
            if slug in seeded["communes"] and slug not in shown:
                continue
            roles = ", ".join(f"{m.get_role_display()} @ {m.unit.name}" for m in user.memberships.select_related("unit"))
            self.stdout.write(f"  {user.username:<22} {roles}")
        self.stdout.write("  (and motcua.<slug>, tuphap.<slug>, ct.<slug>, cv.kt.<slug>, tp.kt.<slug> for "
                          + ", ".join(seeded["communes"]) + ")")
        for name, key in tokens.items():
            self.stdout.write(f"API token of {name}: {key}")

    def _demo_dossiers(self, seeded):
        User = get_user_model()
        hiepduc = seeded["communes"]["hiepduc"]
        desk = Actor(User.objects.get(username="motcua.hiepduc"))
        clerk = Actor(User.objects.get(username="tuphap.hiepduc"))
        applicants = [
            {"full_name": "Nguyễn Văn Ngọc Mai", "id_number": "082090001234", "phone": "0912345678",
             "address": "ấp Hiệp Ninh, xã Hiệp Đức"},
            {"full_name": "Phan Văn Mỹ", "id_number": "082085004321", "phone": "0987654321",
             "address": "ấp Đông Hòa, xã Tam Bình"},
        ]
        birth = dossiers.receive_dossier(procedure_code="dang-ky-khai-sinh", unit_code=hiepduc.code,
                                         applicant=applicants[0], actor=desk)
        dossiers.receive_dossier(procedure_code="nhan-cha-me-con", unit_code=hiepduc.code, applicant=applicants[0],
                                 actor=desk)
        allowance = dossiers.receive_dossier(procedure_code="tro-cap-xa-hoi", unit_code=hiepduc.code,
                                             applicant=applicants[1], actor=desk)
        dossiers.receive_dossier(procedure_code="giay-phep-xay-dung", unit_code=seeded["district"].code,
                                 applicant=applicants[1], actor=Actor(User.objects.get(username="motcua.huyen")))
        # Move one birth registration one step on, so the history has more than a reception.
        step = WorkItem.objects.filter(dossier=birth, status="open").first()
        if step is not None and step.role == "specialist":
            dossiers.complete_work_item(item_id=step.pk, actor=clerk, data={})
        for dossier in (birth, allowance):
            dossier.refresh_from_db()
            self.stdout.write(f"demo dossier {dossier.code}: {dossier.get_status_display()}")

    def _clock_demo(self, seeded):
        """Dossiers received in the past, so that the statutory clock has something to show at once: one due soon
        (explanation item open), one explained (apology and new appointment), one late without explanation
        (escalation), and one incident (a dossier left with no work and no timer, damage simulated on purpose)."""
        from engine import clock
        from processes.services import statutory
        from processes.services.calendar import calendar_for_unit
        from processes.services.events import record_event
        from processes.services.incidents import detect_stuck_dossiers
        from processes.services.timers import sweep_inline

        from processes.models import Timer

        User = get_user_model()
        hiepduc = seeded["communes"]["hiepduc"]
        desk = Actor(User.objects.get(username="motcua.hiepduc"))
        leader = Actor(User.objects.get(username="ct.hiepduc"))
        calendar = calendar_for_unit(hiepduc)
        real = clock.get_clock()
        now = real.now()
        hours = calendar.hours_per_day
        applicant = {"full_name": "Trần Thị Demo", "phone": "0909000111", "email": "dan@example.com"}

        def received_in_past(procedure, working_days_ago):
            clock.set_clock(clock.FixedClock(statutory.subtract_office_hours(calendar, now, working_days_ago * hours)))
            try:
                return dossiers.receive_dossier(procedure_code=procedure, unit_code=hiepduc.code,
                                                applicant=applicant, actor=desk)
            finally:
                clock.set_clock(real)

        due_soon = received_in_past("tro-cap-xa-hoi", 21)     # due in about one working day
        explained = received_in_past("tro-cap-xa-hoi", 21)
        late = received_in_past("nhan-cha-me-con", 5)          # due two working days ago, nobody explained
        stuck = received_in_past("dang-ky-khai-sinh", 0)
        sweep_inline(owner="seed_demo")

        item = WorkItem.objects.filter(dossier=explained, kind="explain_delay", status="open").first()
        if item is not None:
            explained.refresh_from_db()
            statutory.file_explanation(item.pk, leader, "Hồ sơ cần xác minh thêm thông tin tại ấp, chưa kịp niêm yết.",
                                       statutory.propose_appointment(explained))
        # The incident: a dossier whose work was lost outside the services (demo only, logged as such).
        WorkItem.objects.filter(dossier=stuck).update(status="cancelled")
        Timer.objects.filter(dossier=stuck).update(status="cancelled")
        record_event("demo_simulated_fault", dossier=stuck,
                     after={"note": "seed_demo: work items and timers cancelled on purpose to show an incident"})
        detect_stuck_dossiers()
        for label, dossier in (("due soon", due_soon), ("explained", explained), ("late, no explanation", late),
                               ("incident", stuck)):
            dossier.refresh_from_db()
            self.stdout.write(f"clock demo — {label}: {dossier.code} (due {dossier.due_at:%d/%m/%Y %H:%M}, "
                              f"flags {', '.join(dossier.flags) or '-'})")
