"""Simulated dossiers for demos and benchmarks (issue 7): N dossiers over a period, through the real services, with the
injectable clock walking forward in time order.

- Receptions fall on the working days of each receiving unit's calendar (holidays and overrides included), in office
  hours, more in the morning than in the afternoon; each unit receives the procedures of its level (commune-level
  procedures at the communes, district-level at the district) in a realistic mix, some online, a few by post.
- Officials (the unit's members holding the step's role) claim each step a little after it is given and complete it
  after a delay drawn as a share of the step's allocation: most early or on time; the dossiers drawn "late" overrun
  one step past the statutory due time, so the statutory clock warns, opens the explanation, and escalates. The
  unit's leader files the explanation and apology (form 04) on time for most, late for some, never for a few (the
  receiving unit's signing leader then resolves the escalation).
- Some dossiers are supplemented (form 02, the documents brought back 1–5 working days later: the clock restarts),
  some refused (form 03) or answered no by the diagram's decision, some withdrawn; results are returned at the counter
  0–3 working days after processing (not all within the period).
- A few citizens' contacts are recorded (processes.services.contacts) and a share of the returned dossiers rated
  (ratings through the portal's service, as the citizen would: processes.services.portal.rate_dossier).
- Due timers are fired through the real timer service (timers.sweep_inline: claim then fire, what the Celery sweeper
  does) at their due instant, before anything that happens later.

Every dossier is received with `simulated=True`, so every event of it says "simulated": true. Deterministic for a
given seed and starting database. The real clock is restored at the end.
"""
import heapq
import random
import time as monotonic_time
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q

from engine import clock
from engine.calendar import VN_TZ

from .models import (
    AdministrativeUnit,
    CaseKind,
    Channel,
    CitizenContact,
    ContactKind,
    Dossier,
    DossierFlag,
    DossierStatus,
    Membership,
    OnlineLevel,
    Procedure,
    Role,
    ServiceRating,
    Timer,
    TimerStatus,
    WorkItem,
    WorkItemKind,
    WorkItemStatus,
)
from .services import dossiers as dossier_services
from .services import portal, reception, statutory
from .services.calendar import calendar_for_unit
from .services.contacts import record_contact
from .services.errors import ServiceError
from .services.events import Actor
from .services.step_forms import step_form
from .services.timers import next_due_at, sweep_inline

# How often each procedure is received, relative to the others of the same level (a commune certifies copies and
# registers births far more often than it grants allowances).
PROCEDURE_WEIGHTS = {
    "chung-thuc-ban-sao": 45,
    "dang-ky-khai-sinh": 25,
    "nhan-cha-me-con": 8,
    "tro-cap-xa-hoi": 10,
    "giay-phep-xay-dung": 30,
}
DEFAULT_PROCEDURE_WEIGHT = 10
# A district's desk receives more than a commune's.
UNIT_WEIGHTS = {"district": 4, "commune": 1, "province": 4}
# What befalls a dossier (the rest are processed normally: early or on time).
FATES = (("refused", 0.05), ("withdrawn", 0.03), ("supplemented", 0.10), ("late", 0.12))
# The demo's share of dossiers drawn late (FATES): enough for every late figure to show something. A district-year
# meant to look like Cai Lậy's 2019 (0.7 % late) passes --late-share 0.008.
LATE_SHARE = FATES[-1][1]
MAX_LATE_SHARE = 0.5
EXPLAIN_MODES = (("on_time", 0.6), ("late", 0.2), ("never", 0.2))
BOOLEAN_ANSWERS = {"eligible": 0.92, "approved": 0.93, "needs_verification": 0.3}
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Trương", "Bùi", "Đặng", "Đỗ", "Ngô"]
MIDDLE = ["Văn", "Thị", "Minh", "Ngọc", "Thanh", "Hữu", "Quốc", "Kim"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Lan", "Long", "Mai", "Nam", "Phúc",
         "Quang", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Vy", "Yến"]
OTHER_AGENCIES = ["Công an xã", "Chi nhánh Văn phòng đăng ký đất đai", "Bảo hiểm xã hội huyện"]
OWNER = "simulate"


@dataclass
class Plan:
    """What will happen to one dossier, drawn before the run (so the draw does not depend on timing)."""

    at: datetime
    unit: AdministrativeUnit
    procedure: Procedure
    channel: int
    fate: str
    explain: str
    contacts: int
    collect_hours: float
    rate: bool
    applicant: dict
    dossier_id: int | None = None
    code: str = ""
    first_step_done: bool = False
    delayed: bool = False
    supplemented: int = 0


@dataclass
class Summary:
    dossiers: list = field(default_factory=list)
    actions: dict = field(default_factory=dict)
    skipped: int = 0
    timers_fired: int = 0


def parse_day(text):
    return datetime.strptime(text, "%d/%m/%Y").date()


def _weighted(rng, pairs):
    u, acc = rng.random(), 0.0
    for value, weight in pairs:
        acc += weight
        if u < acc:
            return value
    return None


def _office_instant(rng, calendar, day):
    """A reception time on `day`: 65% in the first office period, the rest in the others; minutes only."""
    periods = list(calendar.office_hours)
    start, stop = periods[0] if (len(periods) == 1 or rng.random() < 0.65) else rng.choice(periods[1:])
    first = start.hour * 60 + start.minute
    last = stop.hour * 60 + stop.minute - 5
    minute = rng.randint(first, max(first, last))
    return datetime.combine(day, time(minute // 60, minute % 60), VN_TZ)


def default_units():
    """Every active unit with a reception official and at least one deployed procedure of its level."""
    levels = set(Procedure.objects.filter(active=True, kind=CaseKind.ADMINISTRATIVE, versions__isnull=False)
                 .values_list("level", flat=True))
    desks = Membership.objects.filter(role=Role.RECEPTION).values("unit_id")
    return list(AdministrativeUnit.objects.filter(active=True, kind__in=levels, pk__in=desks).order_by("code"))


class Simulation:
    def __init__(self, *, dossiers, first_day, last_day, units=None, seed=0, stdout=None, own_timers_only=False,
                 late_share=LATE_SHARE):
        if dossiers < 0:
            raise ValueError("the number of dossiers must not be negative")
        if not 0 <= late_share <= MAX_LATE_SHARE:
            raise ValueError(f"the late share must be between 0 and {MAX_LATE_SHARE}")
        # The same order of fates whatever the share: a seed draws the same dossiers, only their lateness differs.
        self.fates = (*FATES[:-1], ("late", late_share))
        if last_day < first_day:
            raise ValueError("the period ends before it starts")
        self.n = dossiers
        self.first_day, self.last_day = first_day, last_day
        self.rng = random.Random(seed)
        self.seed = seed
        self.units = list(units) if units is not None else default_units()
        if not self.units:
            raise ValueError("no unit to simulate: none has a reception official and a deployed procedure")
        self.stdout = stdout
        # A simulation running beside others (simulate --workers), each with its own clock, fires only the timers of
        # the dossiers its own units received: another's clock may be days ahead.
        self.timer_units = [u.pk for u in self.units] if own_timers_only else None
        self.queue = []
        self.counter = 0
        self.summary = Summary()
        self.scheduled = set()  # work item ids with a planned action
        self.clock_seen = set()  # clock items (explanation, escalation) already answered or left
        self.members_cache = {}
        self.plans = {}  # dossier id -> Plan
        self.last_fired = 0

    # ------------------------------------------------------------------------------------------------ planning

    def _members(self, unit_id, role):
        key = (unit_id, role)
        if key not in self.members_cache:
            self.members_cache[key] = [m.user for m in Membership.objects.filter(unit_id=unit_id, role=role)
                                       .select_related("user").order_by("user_id")]
        return self.members_cache[key]

    def _official(self, unit_id, role):
        users = self._members(unit_id, role)
        return Actor(self.rng.choice(users)) if users else None

    def _leader(self, unit):
        leaders = statutory.unit_leaders(unit)
        return Actor(self.rng.choice(leaders)) if leaders else None

    def _applicant(self):
        rng = self.rng
        name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        return {"full_name": name, "id_number": f"0820{rng.randint(0, 99_999_999):08d}",
                "phone": f"09{rng.randint(0, 99_999_999):08d}", "address": "Dữ liệu mô phỏng"}

    def plan(self):
        """The receptions of the period, in time order, each with its fate."""
        rng = self.rng
        procedures = {}
        for procedure in (Procedure.objects.filter(active=True, kind=CaseKind.ADMINISTRATIVE, versions__isnull=False)
                          .distinct().order_by("code")):
            procedures.setdefault(procedure.level, []).append(procedure)
        units = [u for u in self.units if procedures.get(u.kind)]
        if not units:
            raise ValueError("none of the units receives a deployed procedure")
        days = {}
        horizon = self.horizon()
        last_day = min(self.last_day, (horizon - timedelta(microseconds=1)).astimezone(VN_TZ).date())
        if horizon < datetime.combine(self.last_day + timedelta(days=1), time.min, VN_TZ):
            last_day = min(last_day, horizon.astimezone(VN_TZ).date() - timedelta(days=1))  # not today: not over
        for unit in units:
            calendar = calendar_for_unit(unit)
            day, found = self.first_day, []
            while day <= last_day:
                if calendar.is_working_day(day):
                    found.append(day)
                day += timedelta(days=1)
            days[unit.pk] = found
        units = [u for u in units if days[u.pk]]
        if not units and self.n:
            raise ValueError("no working day in the period")
        unit_weights = [(u, UNIT_WEIGHTS.get(u.kind, 1)) for u in units]
        total = sum(w for _, w in unit_weights)
        unit_weights = [(u, w / total) for u, w in unit_weights]
        plans = []
        for _ in range(self.n):
            unit = _weighted(rng, unit_weights) or units[-1]
            candidates = procedures[unit.kind]
            weights = [PROCEDURE_WEIGHTS.get(p.code, DEFAULT_PROCEDURE_WEIGHT) for p in candidates]
            procedure = rng.choices(candidates, weights=weights)[0]
            at = _office_instant(rng, calendar_for_unit(unit), rng.choice(days[unit.pk]))
            online_share = {OnlineLevel.FULL: 0.5, OnlineLevel.PARTIAL: 0.25}.get(procedure.online_level, 0.0)
            u = rng.random()
            channel = Channel.ONLINE if u < online_share else Channel.POST if u > 0.97 else Channel.COUNTER
            fate = _weighted(rng, self.fates) or "normal"
            contacts = 0 if rng.random() < 0.8 else (1 if rng.random() < 0.7 else 2)
            plan = Plan(at=at, unit=unit, procedure=procedure, channel=int(channel), fate=fate,
                        explain=_weighted(rng, EXPLAIN_MODES) or "never", contacts=contacts,
                        collect_hours=rng.uniform(0.3, 24) if rng.random() < 0.9 else 200.0,
                        rate=rng.random() < 0.4, applicant=self._applicant())
            plans.append(plan)
        plans.sort(key=lambda p: (p.at, p.unit.code))
        return plans

    def horizon(self):
        """The end of the period: the end of its last day, or now when that is later (nothing happens in the
        future)."""
        end = datetime.combine(self.last_day + timedelta(days=1), time.min, VN_TZ)
        return min(end, self.real_now) if hasattr(self, "real_now") else end

    # ------------------------------------------------------------------------------------------------- the queue

    def push(self, at, kind, **payload):
        self.counter += 1
        heapq.heappush(self.queue, (at, self.counter, kind, payload))

    def _hours_later(self, calendar, start, hours):
        return calendar.add_office_hours(start, Decimal(str(round(max(hours, 0.01), 2))))

    # -------------------------------------------------------------------------------------------------- running

    def run(self):
        self.real_now = clock.now()
        started = monotonic_time.monotonic()
        fixed = clock.FixedClock(datetime.combine(self.first_day, time(7, 0), VN_TZ))
        previous = clock.set_clock(fixed)
        with connection.cursor() as cursor:
            # Simulated records: a crash may lose the last few commits, never corrupt anything; commits stop
            # waiting for the disk (this session only).
            cursor.execute("SET synchronous_commit TO off")
        try:
            end = self.horizon()
            for plan in self.plan():
                self.push(plan.at, "receive", plan=plan)
            while self.queue:
                at, _, kind, payload = heapq.heappop(self.queue)
                if at > end:
                    break
                self._fire_timers_until(fixed, at)
                fixed.set(max(at, fixed.now()))
                self.summary.actions[kind] = self.summary.actions.get(kind, 0) + 1
                try:
                    getattr(self, f"do_{kind}")(**payload)
                except ServiceError:
                    self.summary.skipped += 1  # the dossier moved on meanwhile (finished, withdrawn…)
            self._fire_timers_until(fixed, end)
        finally:
            clock.set_clock(previous)
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        duration = monotonic_time.monotonic() - started
        return self.report(duration)

    def _fire_timers_until(self, fixed, at):
        """Fires every timer due up to `at`, each at its own due instant (as the sweeper would, every few seconds)."""
        while True:
            due = next_due_at(self.timer_units)
            if due is None or due > at:
                return
            fixed.set(max(due, fixed.now()))
            fired = sweep_inline(owner=OWNER, receiving_units=self.timer_units)
            self.summary.timers_fired += fired
            if fired:
                self._react_to_clock_items()
            elif next_due_at(self.timer_units) == due:
                return  # a timer that refuses to fire (an incident on its way): do not spin

    def _react_to_clock_items(self):
        """The leaders answer the statutory clock's work items: explanations, escalations."""
        items = (WorkItem.objects.filter(status=WorkItemStatus.OPEN, dossier__simulated=True,
                                         kind__in=[WorkItemKind.EXPLAIN_DELAY, WorkItemKind.ESCALATION])
                 .select_related("unit").order_by("id"))
        now = clock.now()
        for item in items:
            plan = self.plans.get(item.dossier_id)
            if plan is None or item.pk in self.clock_seen:
                continue
            self.clock_seen.add(item.pk)
            calendar = calendar_for_unit(item.unit)
            if item.kind == WorkItemKind.ESCALATION:
                if self.rng.random() < 0.7:
                    self.push(self._hours_later(calendar, now, self.rng.uniform(1, 12)), "resolve", item_id=item.pk)
                continue
            if plan.explain == "never":
                continue
            if plan.explain == "on_time" and item.due_at is not None and item.due_at > now:
                span = float(calendar.office_hours_between(now, item.due_at))
                at = self._hours_later(calendar, now, span * self.rng.uniform(0.1, 0.8)) if span > 0 else now
            else:
                base = max(now, item.due_at or now)
                at = self._hours_later(calendar, base, self.rng.uniform(0.5, 6))
            self.push(at, "explain", item_id=item.pk)

    def _schedule_steps(self, dossier):
        """Plans the claim and completion (or the fate) of every open step not planned yet."""
        plan = self.plans[dossier.pk]
        steps = (WorkItem.objects.filter(dossier=dossier, status=WorkItemStatus.OPEN, kind=WorkItemKind.STEP)
                 .select_related("unit").order_by("given_at", "id"))
        for item in steps:
            if item.pk in self.scheduled:
                continue
            calendar = calendar_for_unit(item.unit)
            allocation = float(item.allocation_hours) if item.allocation_hours is not None else 2.0
            given = max(item.given_at, clock.now())
            if not plan.first_step_done:
                plan.first_step_done = True
                if plan.fate in ("refused", "withdrawn", "supplemented"):
                    at = self._hours_later(calendar, given, allocation * self.rng.uniform(0.1, 0.6))
                    if plan.fate == "supplemented":
                        self.push(at, "request_supplement", dossier_id=dossier.pk)
                        continue  # the step waits for the documents; planned again once they come
                    self.scheduled.add(item.pk)
                    self.push(at, "refuse" if plan.fate == "refused" else "withdraw", dossier_id=dossier.pk,
                              item_id=item.pk)
                    continue
            self.scheduled.add(item.pk)
            share = self.rng.uniform(0.1, 0.8) if self.rng.random() < 0.85 else self.rng.uniform(0.8, 1.0)
            done = self._hours_later(calendar, given, allocation * share)
            if plan.fate == "late" and not plan.delayed and self.rng.random() < 0.5:
                plan.delayed = True
                receiving = calendar_for_unit(dossier.receiving_unit)
                overrun = receiving.add_office_hours(dossier.due_at, Decimal(str(round(
                    float(receiving.hours_per_day) * self.rng.uniform(0.2, 0.9), 2))))
                done = max(done, overrun)
            claim = given + (done - given) * self.rng.uniform(0.05, 0.3)
            actor = self._official(item.unit_id, item.role)
            if actor is None:
                continue
            self.push(claim, "claim", item_id=item.pk, actor=actor)
            self.push(done, "complete", item_id=item.pk, actor=actor)

    # -------------------------------------------------------------------------------------------------- actions

    def do_receive(self, plan):
        desk = self._official(plan.unit.pk, Role.RECEPTION)
        documents = [{"name": d.get("name", ""), "copies": d.get("copies", 1), "received": True}
                     for d in plan.procedure.required_documents or [] if isinstance(d, dict)]
        dossier = dossier_services.receive_dossier(
            procedure_code=plan.procedure.code, unit_code=plan.unit.code, applicant=plan.applicant,
            channel=plan.channel, actor=desk, documents=documents, simulated=True)
        plan.dossier_id, plan.code = dossier.pk, dossier.code
        self.plans[dossier.pk] = plan
        self.summary.dossiers.append(dossier.pk)
        self._schedule_steps(dossier)
        if dossier.status == DossierStatus.PROCESSED:
            self._schedule_return(dossier)
        calendar = calendar_for_unit(dossier.receiving_unit)
        span = max(float(calendar.office_hours_between(dossier.received_at, dossier.due_at)), 2.0)
        for n in range(plan.contacts):
            self.push(self._hours_later(calendar, dossier.received_at, span * self.rng.uniform(0.1, 0.9)),
                      "contact", dossier_id=dossier.pk, n=n)

    def _dossier(self, dossier_id):
        return Dossier.objects.select_related("receiving_unit", "procedure").get(pk=dossier_id)

    def do_claim(self, item_id, actor):
        dossier_services.claim_work_item(item_id=item_id, actor=actor)

    def _answers(self, item):
        keys = list(item.required_fields or [])
        form = step_form(item)
        if form is not None:
            keys += [k for k in form.keys if k not in keys]
        data = {}
        for key in keys:
            if key in BOOLEAN_ANSWERS:
                data[key] = self.rng.random() < BOOLEAN_ANSWERS[key]
            else:
                data[key] = "Mô phỏng"
        return data

    def do_complete(self, item_id, actor):
        item = WorkItem.objects.select_related("dossier", "dossier__version").get(pk=item_id)
        if item.status != WorkItemStatus.OPEN:
            return
        if item.dossier.status == DossierStatus.SUPPLEMENT_REQUESTED:
            # waiting for the citizen: the official finishes once the documents are in
            self.scheduled.discard(item.pk)
            return
        dossier_services.complete_work_item(item_id=item_id, actor=actor, data=self._answers(item))
        dossier = self._dossier(item.dossier_id)
        if dossier.status == DossierStatus.PROCESSED:
            self._schedule_return(dossier)
        elif dossier.status in (DossierStatus.RECEIVED, DossierStatus.PROCESSING):
            self._schedule_steps(dossier)

    def _schedule_return(self, dossier):
        plan = self.plans[dossier.pk]
        calendar = calendar_for_unit(dossier.receiving_unit)
        self.push(self._hours_later(calendar, dossier.finished_at, plan.collect_hours), "return",
                  dossier_id=dossier.pk)

    def do_return(self, dossier_id):
        dossier = self._dossier(dossier_id)
        if dossier.status != DossierStatus.PROCESSED:
            return
        desk = self._official(dossier.receiving_unit_id, Role.RECEPTION)
        reception.return_at_counter(code=dossier.code, actor=desk, collector="applicant")
        if self.plans[dossier_id].rate:
            self.push(clock.now() + timedelta(hours=self.rng.uniform(0.2, 48)), "rate", dossier_id=dossier_id)

    def do_rate(self, dossier_id):
        dossier = Dossier.objects.get(pk=dossier_id)
        if ServiceRating.objects.filter(dossier=dossier).exists():
            return
        if DossierFlag.LATE in dossier.flags:
            base = 3
        elif dossier.finished_at and dossier.finished_at.astimezone(VN_TZ).date() < dossier.due_at.astimezone(VN_TZ).date():
            base = 5
        else:
            base = 4
        scores = {name: min(5, max(1, base + self.rng.choice([-1, 0, 0, 0, 1])))
                  for name in ("access", "procedure", "official", "result", "feedback")}
        channel = Channel.ONLINE if self.rng.random() < 0.5 else Channel.COUNTER
        portal.rate_dossier(dossier.code, dossier.lookup_secret, scores, channel=channel)

    def do_request_supplement(self, dossier_id):
        dossier = self._dossier(dossier_id)
        plan = self.plans[dossier_id]
        steps = statutory.open_steps(dossier)
        if not steps:
            return
        step = steps[0]
        role = step.role if step.role in (Role.RECEPTION, Role.SPECIALIST) else Role.RECEPTION
        unit_id = step.unit_id if role == step.role else dossier.receiving_unit_id
        actor = self._official(unit_id, role)
        items = [{"name": (dossier.procedure.required_documents or [{"name": "Giấy tờ còn thiếu"}])[-1].get(
            "name", "Giấy tờ còn thiếu"), "kind": "bản sao", "quantity": 1}]
        statutory.request_supplementation(dossier.code, actor, items, "Giấy tờ chưa rõ, cần bổ sung (mô phỏng).")
        plan.supplemented += 1
        calendar = calendar_for_unit(dossier.receiving_unit)
        days = self.rng.uniform(0.5, 5)
        self.push(self._hours_later(calendar, clock.now(), days * float(calendar.hours_per_day)),
                  "receive_supplement", dossier_id=dossier_id)

    def do_receive_supplement(self, dossier_id):
        dossier = self._dossier(dossier_id)
        if dossier.status != DossierStatus.SUPPLEMENT_REQUESTED:
            return
        desk = self._official(dossier.receiving_unit_id, Role.RECEPTION)
        reception.receive_supplementation_at_desk(code=dossier.code, actor=desk)
        plan = self.plans[dossier_id]
        dossier.refresh_from_db()
        # one in ten asks a second time (flagged supplemented_twice)
        if plan.supplemented == 1 and self.rng.random() < 0.1:
            plan.first_step_done = False
        else:
            plan.fate = "normal" if plan.fate == "supplemented" else plan.fate
        self._schedule_steps(dossier)

    def do_refuse(self, dossier_id, item_id):
        dossier = self._dossier(dossier_id)
        item = WorkItem.objects.get(pk=item_id)
        actor = self._official(item.unit_id, item.role) or self._official(dossier.receiving_unit_id, Role.RECEPTION)
        statutory.refuse_dossier(dossier.code, actor, ["Hồ sơ không đủ điều kiện theo quy định (mô phỏng)."])

    def do_withdraw(self, dossier_id, item_id):
        dossier = self._dossier(dossier_id)
        desk = self._official(dossier.receiving_unit_id, Role.RECEPTION)
        reception.withdraw_at_desk(code=dossier.code, actor=desk, reason="Công dân xin rút hồ sơ (mô phỏng).")

    def do_explain(self, item_id):
        item = WorkItem.objects.select_related("unit", "dossier").get(pk=item_id)
        if item.status != WorkItemStatus.OPEN:
            return
        leader = self._leader(item.unit)
        if leader is None:
            return
        dossier = self._dossier(item.dossier_id)
        statutory.file_explanation(item_id, leader, "Hồ sơ cần xác minh thêm, chưa kịp hoàn thành (mô phỏng).",
                                   statutory.propose_appointment(dossier, clock.now()))

    def do_resolve(self, item_id):
        item = WorkItem.objects.select_related("dossier").get(pk=item_id)
        if item.status != WorkItemStatus.OPEN:
            return
        signer = self._official(item.unit_id, Role.SIGNING_LEADER)
        if signer is None:
            return
        dossier_services.resolve_escalation(item_id=item_id, actor=signer,
                                            note="Đã nhắc nhở, yêu cầu hoàn thành ngay (mô phỏng).")

    def do_contact(self, dossier_id, n):
        dossier = self._dossier(dossier_id)
        plan = self.plans[dossier_id]
        desk = self._official(dossier.receiving_unit_id, Role.RECEPTION)
        kind = self.rng.choice([ContactKind.PHONE, ContactKind.PHONE, ContactKind.VISIT, ContactKind.ONLINE])
        others = list(dossier.participants.exclude(unit_id=dossier.receiving_unit_id).values_list("unit__code",
                                                                                                  flat=True))
        u = self.rng.random()
        unit_code, agency = dossier.receiving_unit.code, ""
        if n > 0 and others and u < 0.5:
            unit_code = self.rng.choice(others)
        elif n > 0 and u < 0.3:
            unit_code, agency = "", self.rng.choice(OTHER_AGENCIES)
        fault = plan.fate == "supplemented" and self.rng.random() < 0.5
        record_contact(dossier_code=dossier.code, kind=str(kind), unit_code=unit_code, agency_name=agency,
                       citizen_fault=fault, note="Hỏi tình trạng hồ sơ (mô phỏng).", actor=desk)

    # --------------------------------------------------------------------------------------------------- report

    def report(self, duration):
        ids = self.summary.dossiers
        qs = Dossier.objects.filter(pk__in=ids)
        by_status = dict(qs.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
        flags = qs.aggregate(
            late=Count("id", filter=Q(flags__contains=[DossierFlag.LATE])),
            late_without_explanation=Count("id", filter=Q(flags__contains=[DossierFlag.LATE_WITHOUT_EXPLANATION])),
            supplemented_twice=Count("id", filter=Q(flags__contains=[DossierFlag.SUPPLEMENTED_TWICE])),
            online=Count("id", filter=Q(channel=Channel.ONLINE)),
        )
        flags["explained"] = qs.filter(explanations__isnull=False).distinct().count()
        supplemented = qs.filter(supplementations__isnull=False).distinct().count()
        rated = ServiceRating.objects.filter(dossier__in=ids).count()
        contacts = CitizenContact.objects.filter(dossier__in=ids).count()
        escalated = WorkItem.objects.filter(dossier__in=ids, kind=WorkItemKind.ESCALATION).count()
        timers = Timer.objects.filter(dossier__in=ids, status=TimerStatus.FIRED).count()
        refused_by_diagram = qs.filter(outcome__in=["end_tu_choi", "end_khong_du_dieu_kien"]).count()
        return {
            "dossiers": len(ids),
            "period": [self.first_day.strftime("%d/%m/%Y"), self.last_day.strftime("%d/%m/%Y")],
            "seed": self.seed,
            "units": len(self.units),
            "outcomes": {
                "returned": by_status.get(DossierStatus.RETURNED, 0),
                "processed_not_collected": by_status.get(DossierStatus.PROCESSED, 0),
                "refused": by_status.get(DossierStatus.STOPPED, 0),
                "answered_no_by_the_diagram": refused_by_diagram,
                "withdrawn": by_status.get(DossierStatus.WITHDRAWN, 0),
                "in_progress": sum(by_status.get(s, 0) for s in (DossierStatus.RECEIVED, DossierStatus.PROCESSING,
                                                                 DossierStatus.AWAITING_FEE)),
                "awaiting_supplement": by_status.get(DossierStatus.SUPPLEMENT_REQUESTED, 0),
            },
            "late": flags["late"],
            "late_without_explanation": flags["late_without_explanation"],
            "explained": flags["explained"],
            "escalated": escalated,
            "supplemented": supplemented,
            "supplemented_twice": flags["supplemented_twice"],
            "online": flags["online"],
            "contacts": contacts,
            "ratings": rated,
            "timers_fired": timers,
            "actions": dict(sorted(self.summary.actions.items())),
            "actions_skipped": self.summary.skipped,
            "duration_s": round(duration, 2),
            "dossiers_per_s": round(len(ids) / duration, 2) if duration > 0 else None,
        }


def resolve_units(unit_codes):
    """The units of these codes, in that order; ValueError naming the unknown ones."""
    found = {u.code: u for u in AdministrativeUnit.objects.filter(code__in=unit_codes)}
    missing = [c for c in unit_codes if c not in found]
    if missing:
        raise ValueError(f"unknown unit code(s): {', '.join(missing)}")
    return [found[c] for c in unit_codes]


def split_units(units, workers, dossiers):
    """Splits the receiving units into at most `workers` groups of about equal weight (largest first onto the lightest
    group) and the dossiers between them in proportion. Returns [(units, dossiers)], without empty groups."""
    groups = [[0, []] for _ in range(max(1, min(workers, len(units))))]
    for unit in sorted(units, key=lambda u: (-UNIT_WEIGHTS.get(u.kind, 1), u.code)):
        lightest = min(groups, key=lambda g: g[0])
        lightest[0] += UNIT_WEIGHTS.get(unit.kind, 1)
        lightest[1].append(unit)
    total = sum(weight for weight, _ in groups)
    shares = [dossiers * weight // total for weight, _ in groups]
    for i in range(dossiers - sum(shares)):
        shares[i % len(shares)] += 1
    return [(members, share) for (_, members), share in zip(groups, shares) if members]


def merge_summaries(summaries, duration):
    """One summary for the runs of `simulate --workers`: counts added up, the wall-clock duration."""
    merged = {}
    for summary in summaries:
        for key, value in summary.items():
            if key in ("period", "seed", "duration_s", "dossiers_per_s"):
                merged.setdefault(key, value)
            elif isinstance(value, dict):
                target = merged.setdefault(key, {})
                for name, count in value.items():
                    target[name] = target.get(name, 0) + count
            else:
                merged[key] = merged.get(key, 0) + value
    merged["duration_s"] = round(duration, 2)
    merged["dossiers_per_s"] = round(merged.get("dossiers", 0) / duration, 2) if duration > 0 else None
    merged["workers"] = [{"units": s["units"], "dossiers": s["dossiers"], "duration_s": s["duration_s"]}
                         for s in summaries]
    return merged


def simulate(*, dossiers, first_day, last_day, unit_codes=None, seed=0, own_timers_only=False, late_share=LATE_SHARE):
    """Runs a simulation; returns its summary (a dict, JSON-ready)."""
    units = resolve_units(unit_codes) if unit_codes else None
    return Simulation(dossiers=dossiers, first_day=first_day, last_day=last_day, units=units, seed=seed,
                      own_timers_only=own_timers_only, late_share=late_share).run()
