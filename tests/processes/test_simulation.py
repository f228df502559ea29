"""The `simulate` command (processes/simulation.py): a small run through the real services — deterministic for a seed,
every dossier and every event of it marked simulated, outcomes mixed, every timer fired once at or after its due time,
the event log's chains intact, the real clock back at the end."""
import json
from datetime import date, datetime, time, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from engine import clock
from engine.calendar import VN_TZ
from processes.models import (
    AdministrativeUnit,
    CitizenContact,
    Dossier,
    Event,
    Explanation,
    ServiceRating,
    Supplementation,
    Timer,
    WorkItem,
)
from processes.services.audit import verify_chains
from processes.simulation import Simulation

FIRST, LAST = date(2026, 3, 2), date(2026, 3, 20)  # three weeks, long past
SEED = 22  # a seed whose 30 dossiers show every outcome (the draw is the same in any database)


def units():
    return list(AdministrativeUnit.objects.filter(code__endswith=".16.H57", kind__in=["commune", "district"])
                .order_by("code"))


def run(n=30, seed=SEED):
    return Simulation(dossiers=n, first_day=FIRST, last_day=LAST, units=units(), seed=seed).run()


def fingerprint():
    rows = Dossier.objects.filter(simulated=True).order_by("code").values_list(
        "code", "procedure__code", "channel", "status", "outcome", "flags", "received_at", "finished_at", "returned_at",
        "due_at", "appointment_at")
    events = sorted(Event.objects.filter(dossier__simulated=True).values_list("dossier__code", "seq", "kind", "at"))
    return list(rows), events


class Rollback(Exception):
    pass


def test_a_run_is_deterministic_for_a_seed(demo):
    results = []
    for _ in range(2):
        try:
            with transaction.atomic():
                summary = run(n=15)
                results.append((fingerprint(), {k: v for k, v in summary.items()
                                                if k not in ("duration_s", "dossiers_per_s")}))
                raise Rollback
        except Rollback:
            pass
    assert Dossier.objects.filter(simulated=True).count() == 0
    assert results[0][0][0] and results[0] == results[1]
    with transaction.atomic():
        run(n=15, seed=SEED + 1)
        assert fingerprint() != results[0][0]


def test_a_small_run_is_marked_mixed_and_keeps_the_log_intact(demo):
    real = clock.get_clock()
    summary = run()
    assert clock.get_clock() is real  # the real clock is back
    simulated = Dossier.objects.filter(simulated=True)
    assert summary["dossiers"] == simulated.count() == Dossier.objects.count() == 30
    # received on working days, in office hours, within the period, in time order of their codes' days
    for received in simulated.values_list("received_at", flat=True):
        local = received.astimezone(VN_TZ)
        assert FIRST <= local.date() <= LAST and local.weekday() < 5
        assert time(7, 30) <= local.time() < time(11, 30) or time(13, 0) <= local.time() < time(17, 0)
    # every event of a simulated dossier says so, none is after the period
    events = Event.objects.filter(dossier__simulated=True)
    assert events.count() > 200
    assert not events.exclude(data_after__simulated=True).exists()
    end = datetime.combine(LAST + timedelta(days=1), time.min, VN_TZ)
    assert not events.filter(at__gte=end).exists()
    # outcomes mixed as intended
    outcomes = summary["outcomes"]
    assert outcomes["returned"] >= 10
    assert outcomes["refused"] + outcomes["answered_no_by_the_diagram"] >= 1
    assert outcomes["withdrawn"] >= 1
    assert summary["late"] >= 1 and Explanation.objects.exists()
    assert WorkItem.objects.filter(kind="escalation").exists()
    assert Supplementation.objects.filter(supplied_at__isnull=False).exists()
    assert summary["online"] >= 1 and CitizenContact.objects.exists() and ServiceRating.objects.exists()
    assert Event.objects.filter(kind="deadline_passed").exists() and Event.objects.filter(kind="returned").exists()
    # no timer fired twice; each at or after its due time, on its first claim
    fired = Timer.objects.filter(status="fired")
    assert fired.count() == summary["timers_fired"] > 0
    assert not fired.exclude(attempts=1).exists()
    assert all(t.fired_at >= t.due_at for t in fired)
    timer_refs = [e.data_after["timer"] for e in events if "timer" in (e.data_after or {})]
    assert timer_refs and len(timer_refs) == len(set(timer_refs))
    assert not Timer.objects.filter(status="scheduled", due_at__lt=end).exists()
    assert verify_chains() == []


def test_the_late_share_sets_how_many_dossiers_run_late_and_nothing_else(demo):
    """--late-share: 0 gives no late dossier, a large share many; the same seed draws the same dossiers either way."""
    drawn = {}
    for share in (0.0, 0.5):
        try:
            with transaction.atomic():
                summary = Simulation(dossiers=20, first_day=FIRST, last_day=LAST, units=units(), seed=SEED,
                                     late_share=share).run()
                drawn[share] = (summary["late"], list(Dossier.objects.order_by("code").values_list(
                    "code", "procedure__code", "channel", "received_at")))
                raise Rollback
        except Rollback:
            pass
    assert drawn[0.0][0] == 0 and drawn[0.5][0] >= 5
    assert drawn[0.0][1] == drawn[0.5][1]
    with pytest.raises(ValueError):
        Simulation(dossiers=1, first_day=FIRST, last_day=LAST, units=units(), late_share=0.9)
    with pytest.raises(CommandError, match="late-share"):
        call_command("simulate", "--dossiers", "1", "--from", "02/03/2026", "--to", "06/03/2026", "--late-share",
                     "-0.1", stdout=StringIO())


def test_the_command_prints_its_summary_and_checks_its_arguments(demo):
    out = StringIO()
    call_command("simulate", "--dossiers", "3", "--from", "02/03/2026", "--to", "06/03/2026", "--units",
                 "003.00.16.H57", "--seed", "1", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["dossiers"] == 3 and summary["duration_s"] > 0 and summary["dossiers_per_s"] > 0
    assert set(Dossier.objects.values_list("receiving_unit__code", flat=True)) == {"003.00.16.H57"}
    with pytest.raises(CommandError):
        call_command("simulate", "--dossiers", "3", "--from", "2026-03-02", "--to", "06/03/2026", stdout=out)
    with pytest.raises(CommandError):
        call_command("simulate", "--dossiers", "3", "--from", "02/03/2026", "--to", "06/03/2026", "--units", "x",
                     stdout=out)


def test_a_sweep_limited_to_units_fires_only_their_dossiers_timers(demo):
    """`simulate --workers` gives each process its own clock: one must never fire another's dossiers' timers."""
    from processes.services import dossiers as dossier_services
    from processes.services.events import Actor
    from processes.services.timers import next_due_at, sweep_inline
    from processes.models import Membership

    def receive(unit_code):
        desk = Membership.objects.filter(unit__code=unit_code, role="reception").first().user
        return dossier_services.receive_dossier(procedure_code="chung-thuc-ban-sao", unit_code=unit_code,
                                                applicant={"full_name": "Lê Văn Mô Phỏng"}, actor=Actor(desk))

    first, second = "001.00.16.H57", "003.00.16.H57"
    a, b = receive(first), receive(second)
    assert a.timers.filter(status="scheduled").exists() and b.timers.filter(status="scheduled").exists()
    unit_a = AdministrativeUnit.objects.get(code=first).pk
    later = max(Timer.objects.filter(status="scheduled").values_list("due_at", flat=True))
    clock.set_clock(clock.FixedClock(later + timedelta(days=1)))
    assert next_due_at([unit_a]) == min(a.timers.filter(status="scheduled").values_list("due_at", flat=True))
    fired = sweep_inline(owner="unit a", receiving_units=[unit_a])
    assert fired == a.timers.filter(status="fired").count() > 0
    assert not a.timers.filter(status="scheduled", due_at__lte=later).exists()
    assert not b.timers.exclude(status="scheduled").exists()  # the other unit's clock is its own
    assert sweep_inline(owner="everyone") == b.timers.filter(status="fired").count() > 0


def test_workers_split_the_units_and_their_summaries_add_up(tdemo, monkeypatch):
    from django.conf import settings

    db = settings.DATABASES["default"]  # the children must use the test database
    monkeypatch.setenv("DATABASE_URL", f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
                                       f"{db['NAME']}")
    codes = [u.code for u in units()][:4]
    out = StringIO()
    call_command("simulate", "--dossiers", "12", "--from", "02/03/2026", "--to", "13/03/2026", "--units",
                 ",".join(codes), "--seed", "3", "--workers", "2", stdout=out)
    summary = json.loads(out.getvalue())
    assert len(summary["workers"]) == 2 and sum(w["dossiers"] for w in summary["workers"]) == 12
    assert summary["dossiers"] == Dossier.objects.filter(simulated=True).count() == 12
    assert summary["units"] == 4 and summary["dossiers_per_s"] > 0
    assert set(Dossier.objects.values_list("receiving_unit__code", flat=True)) <= set(codes)
    fired = Timer.objects.filter(status="fired")
    assert fired.count() == summary["timers_fired"] > 0 and not fired.exclude(attempts=1).exists()
    end = datetime.combine(date(2026, 3, 14), time.min, VN_TZ)
    assert not Timer.objects.filter(status="scheduled", due_at__lt=end).exists()
    assert verify_chains() == []
    with pytest.raises(CommandError, match="--workers"):
        call_command("simulate", "--dossiers", "3", "--from", "02/03/2026", "--to", "06/03/2026", "--workers", "0",
                     stdout=out)


def test_split_units_balances_weights_and_shares_every_dossier(demo):
    from processes.simulation import split_units

    groups = split_units(units(), 2, 66_800)
    assert len(groups) == 2 and sum(n for _, n in groups) == 66_800
    assert sorted(u.code for members, _ in groups for u in members) == sorted(u.code for u in units())
    # the district (weight 4) and 16 communes (1 each): 10 against 10
    assert [n for _, n in groups] == [33_400, 33_400]
    assert split_units(units()[:1], 4, 5) == [(units()[:1], 5)]
