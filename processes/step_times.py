"""Time spent on the steps of dossiers, for the auditors' diagrams (issue 6). Pure read-only queries: nothing here
changes any row.

One dossier (`dossier_steps`)
    The STEP work items of the dossier (explanation and escalation items are not steps of the diagram), grouped by
    their BPMN element. For each element:
    completed   at least one hand-over of it was completed;
    active      one of its work items is open (a ready user task of the engine);
    overdue     one of its open or completed work items passed its own due time (WorkItem.due_at): completed after
                it, or still open at `now` with the due time before `now` (form 05's "late" verdict per hand-over);
    count       the hand-overs counted (open and completed; a cancelled item — interrupted, or its dossier refused —
                is listed but counts for nothing), several when the step was done again, e.g. after a
                supplementation;
    working_hours  the sum over those hand-overs of the office hours between given_at and completed_at (or `now`
                while open), in the calendar of the unit that holds the step (engine.calendar: working days and
                office hours, holidays left out) — the measure of the steps' allocations;
    elapsed     the sum of the plain durations (wall-clock time, nights and days off included).

A procedure version (`version_heatmap`)
    Over the completed STEP work items of the dossiers of one version (optionally received in a period of local
    days, and by a unit or its sub-units), per BPMN element, in ONE query (PostgreSQL percentile_cont):
    completions           the number of completed hand-overs;
    median, p90           the median and 90th percentile of their plain duration (completed_at − given_at), as
                          continuous percentiles (linear interpolation between the two nearest values);
    usage_median, usage_p90   the same percentiles of the share of its allowed time each hand-over used:
                          (completed_at − given_at) ÷ (due_at − given_at), over the hand-overs with a due time;
    with_due, late        hand-overs with a due time, and those completed after it; late_share = late ÷ with_due
                          (None without a due time).
    Each step gets a heat bucket 1..5 (`bucket`) by the chosen metric: against its allowed time when it has one
    (usage ≤ 50 %, ≤ 80 %, ≤ 100 %, ≤ 150 %, beyond), else against the slowest step of the version (≤ 20 %, ≤ 40 %,
    ≤ 60 %, ≤ 80 %, beyond of the slowest one's duration); 0 without any completion.
"""
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Max,
    Q,
    Value,
)
from django.db.models.functions import NullIf

from engine import clock
from engine.calendar import VN_TZ

from .models import AdministrativeUnit, WorkItem, WorkItemKind, WorkItemStatus
from .services.calendar import calendar_for_unit

# Heat buckets: upper bounds of buckets 1..4 (bucket 5 is beyond the last one).
ALLOCATION_BOUNDS = (0.5, 0.8, 1.0, 1.5)  # share of the step's allowed time used
RELATIVE_BOUNDS = (0.2, 0.4, 0.6, 0.8)  # share of the slowest step's duration
METRICS = ("median", "p90")


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate percentile_cont(fraction) WITHIN GROUP (ORDER BY expression); NULLs are
    left out, as every aggregate does."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction, **extra):
        fraction = float(fraction)
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be between 0 and 1")
        super().__init__(expression, fraction=repr(fraction), **extra)


def _epoch(expression):
    return Func(expression, template="EXTRACT(EPOCH FROM %(expressions)s)", output_field=FloatField())


# ---------------------------------------------------------------------------------------------------------------
# one dossier


@dataclass
class HandOver:
    """One STEP work item of a dossier."""

    id: int
    bpmn_id: str
    name: str
    status: str
    unit_id: int
    given_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    allocation_hours: Decimal | None
    working_hours: Decimal | None  # None for a cancelled item
    elapsed: timedelta | None
    late: bool  # open or completed, and past its due time (completion, or now when open)
    completed_by_id: int | None = None
    unit: object = None  # the AdministrativeUnit holding the step

    @property
    def counted(self):
        return self.status in (WorkItemStatus.OPEN, WorkItemStatus.COMPLETED)


@dataclass
class StepMark:
    """What the dossier's diagram shows on one BPMN element."""

    bpmn_id: str
    name: str
    items: list = field(default_factory=list)

    @property
    def counted(self):
        return [i for i in self.items if i.counted]

    @property
    def completed(self):
        return any(i.status == WorkItemStatus.COMPLETED for i in self.items)

    @property
    def active(self):
        return any(i.status == WorkItemStatus.OPEN for i in self.items)

    @property
    def overdue(self):
        return any(i.late for i in self.items)

    @property
    def count(self):
        return len(self.counted)

    @property
    def working_hours(self):
        return sum((i.working_hours for i in self.counted), Decimal(0))

    @property
    def elapsed(self):
        return sum((i.elapsed for i in self.counted), timedelta(0))

    @property
    def allocation_hours(self):
        return next((i.allocation_hours for i in self.items if i.allocation_hours is not None), None)

    @property
    def first_given_at(self):
        return min(i.given_at for i in self.items)


@dataclass
class DossierSteps:
    now: datetime
    steps: list  # StepMark, in the order the steps were first given
    reached_end: str  # the BPMN id of the end event the dossier reached ("" while running)

    def by_id(self):
        return {s.bpmn_id: s for s in self.steps}


def dossier_steps(dossier, now=None):
    """The marks of the dossier's diagram (see the module's docstring). Two queries (the items, their units'
    calendars when not cached), whatever the number of steps."""
    now = now or clock.now()
    names = {s["bpmn_id"]: s.get("name") for s in (dossier.version.steps or [])}
    items = (WorkItem.objects.filter(dossier=dossier, kind=WorkItemKind.STEP)
             .select_related("unit").order_by("given_at", "id"))
    steps = {}
    calendars = {}
    for item in items:
        counted = item.status in (WorkItemStatus.OPEN, WorkItemStatus.COMPLETED)
        end = item.completed_at if item.status == WorkItemStatus.COMPLETED else now
        if counted:
            if item.unit_id not in calendars:
                calendars[item.unit_id] = calendar_for_unit(item.unit)
            working = calendars[item.unit_id].office_hours_between(item.given_at, end)
            elapsed = end - item.given_at
            late = item.due_at is not None and end > item.due_at
        else:
            working, elapsed, late = None, None, False
        mark = steps.get(item.bpmn_id)
        if mark is None:
            mark = steps[item.bpmn_id] = StepMark(item.bpmn_id, names.get(item.bpmn_id) or item.name)
        mark.items.append(HandOver(
            id=item.pk, bpmn_id=item.bpmn_id, name=item.name, status=item.status, unit_id=item.unit_id,
            given_at=item.given_at, due_at=item.due_at, completed_at=item.completed_at,
            allocation_hours=item.allocation_hours, working_hours=working, elapsed=elapsed, late=late,
            completed_by_id=item.completed_by_id, unit=item.unit,
        ))
    return DossierSteps(now=now, steps=list(steps.values()), reached_end=dossier.outcome or "")


# ---------------------------------------------------------------------------------------------------------------
# one procedure version


@dataclass
class StepStats:
    bpmn_id: str
    name: str
    allocation_days: str | None = None
    allocation_hours: str | None = None
    completions: int = 0
    median: timedelta | None = None
    p90: timedelta | None = None
    usage_median: float | None = None
    usage_p90: float | None = None
    with_due: int = 0
    late: int = 0
    basis: str = ""  # "allocation" (against its allowed time), "relative" (against the slowest step), "" no data
    ratio: dict = field(default_factory=dict)  # metric -> the ratio the bucket comes from
    bucket: dict = field(default_factory=dict)  # metric -> 0..5

    @property
    def late_share(self):
        return self.late / self.with_due if self.with_due else None


def bucket_of(ratio, bounds):
    """1..5: the first bound the ratio does not exceed, 5 beyond the last; 0 for None."""
    if ratio is None:
        return 0
    for number, bound in enumerate(bounds, start=1):
        if ratio <= bound:
            return number
    return len(bounds) + 1


def _start_of(day):
    return datetime.combine(day, time.min).replace(tzinfo=VN_TZ)


def unit_subtree_ids(unit):
    """The unit and all its descendants (one query)."""
    children = {}
    for unit_id, parent_id in AdministrativeUnit.objects.values_list("id", "parent_id"):
        children.setdefault(parent_id, []).append(unit_id)
    found, todo = set(), [unit.pk]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(children.get(current, ()))
    return found


def heatmap_items(version, received_from=None, received_to=None, unit=None):
    """The completed STEP work items the heatmap counts: of dossiers of `version`, received from/to those local days
    (inclusive), by `unit` or one of its sub-units."""
    qs = WorkItem.objects.filter(dossier__version=version, kind=WorkItemKind.STEP, status=WorkItemStatus.COMPLETED,
                                 completed_at__isnull=False)
    if received_from:
        qs = qs.filter(dossier__received_at__gte=_start_of(received_from))
    if received_to:
        qs = qs.filter(dossier__received_at__lt=_start_of(received_to + timedelta(days=1)))
    if unit is not None:
        qs = qs.filter(dossier__receiving_unit_id__in=unit_subtree_ids(unit))
    return qs


def version_heatmap(version, received_from=None, received_to=None, unit=None):
    """[StepStats] for every user task of the version (its steps in diagram order), then any other element that had
    work items; the figures in one aggregate query (see the module's docstring)."""
    duration = ExpressionWrapper(F("completed_at") - F("given_at"), output_field=DurationField())
    usage = ExpressionWrapper(_epoch(F("completed_at") - F("given_at"))
                              / NullIf(_epoch(F("due_at") - F("given_at")), Value(0.0)), output_field=FloatField())
    rows = (heatmap_items(version, received_from, received_to, unit)
            .values("bpmn_id")
            .annotate(completions=Count("id"),
                      median=PercentileCont(duration, 0.5, output_field=DurationField()),
                      p90=PercentileCont(duration, 0.9, output_field=DurationField()),
                      usage_median=PercentileCont(usage, 0.5, output_field=FloatField()),
                      usage_p90=PercentileCont(usage, 0.9, output_field=FloatField()),
                      with_due=Count("id", filter=Q(due_at__isnull=False)),
                      late=Count("id", filter=Q(completed_at__gt=F("due_at"))),
                      some_name=Max("name"))
            .order_by("bpmn_id"))
    found = {row["bpmn_id"]: row for row in rows}
    stats = []
    for step in version.steps or []:
        stats.append(StepStats(bpmn_id=step["bpmn_id"], name=step.get("name") or step["bpmn_id"],
                               allocation_days=step.get("allocation_days"),
                               allocation_hours=step.get("allocation_hours")))
    known = {s.bpmn_id for s in stats}
    for bpmn_id, row in found.items():
        if bpmn_id not in known:
            stats.append(StepStats(bpmn_id=bpmn_id, name=row["some_name"] or bpmn_id))
    for s in stats:
        row = found.get(s.bpmn_id)
        if row is None:
            continue
        s.completions, s.median, s.p90 = row["completions"], row["median"], row["p90"]
        s.usage_median, s.usage_p90 = row["usage_median"], row["usage_p90"]
        s.with_due, s.late = row["with_due"], row["late"]
    colour_steps(stats)
    return stats


def colour_steps(stats):
    slowest = {metric: max((getattr(s, metric) for s in stats if getattr(s, metric) is not None), default=None)
               for metric in METRICS}
    for s in stats:
        if not s.completions:
            s.basis = ""
            s.ratio = {metric: None for metric in METRICS}
            s.bucket = {metric: 0 for metric in METRICS}
        elif s.usage_median is not None:
            s.basis = "allocation"
            s.ratio = {"median": s.usage_median, "p90": s.usage_p90}
            s.bucket = {metric: bucket_of(s.ratio[metric], ALLOCATION_BOUNDS) for metric in METRICS}
        else:
            s.basis = "relative"
            s.ratio = {metric: (getattr(s, metric) / slowest[metric] if slowest[metric] else 0.0)
                       for metric in METRICS}
            s.bucket = {metric: bucket_of(s.ratio[metric], RELATIVE_BOUNDS) for metric in METRICS}
