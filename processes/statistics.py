"""The leaders' statistics (issue 7): how many dossiers a unit had to process in a period and what became of them, in
the style of the provinces' periodic on-time/late reports (docs/domain.md §3.3; Circular 01/2018 Art. 11). Read-only;
every figure is one conditional COUNT in SQL (no loop over dossiers: a province receives a million a year), and every
figure has the queryset of the dossiers behind it (`dossiers_for`), so that the page can list them.

Scope
    A period [start, end) of local days in Asia/Ho_Chi_Minh (a month, a quarter, a year or a custom range), a set of
    receiving units (a unit, with or without its sub-units, or every unit) and optionally a field. Dossiers never
    received (status registered or not_accepted) are left out. `as_of` is the end of the period, or now when the
    period ends in the future: every figure is the period as seen at as_of (what happens after it does not count).

The categories (each dossier of "to process" is in exactly one of the eight marked *):
    received       received in the period (start <= received_at < end); received_online / received_offline split it
                   by channel (online; at the counter or by post), as the periodic report's columns do;
    carried_over   received before the period and not finished before it (finished_at null or >= start);
    to_process     received + carried_over.
    early *        processed (status processed or returned) in the period, on a working day before the due date:
                   there is a working day W with finished date <= W < due date (local dates, the receiving unit's
                   calendar: holidays package + overrides). A result signed on the Saturday before a Monday due date
                   is on time, not early;
    on_time *      processed in the period at or before the statutory due time (Dossier.due_at), and not early;
    late *         processed in the period after the statutory due time. due_at moves only by a supplementation
                   restart or a legal extension; a re-appointment (apology, form 04) never moves it, so a late
                   dossier stays late whatever its new appointment;
    refused *      ended in the period by a refusal or a stop (status stopped, form 03) — counted apart from late even
                   when refused after the due time (the LATE flag on the dossier says so);
    withdrawn *    withdrawn at the citizen's request in the period (status withdrawn);
    not_yet_due *  not finished at as_of, and neither due soon nor overdue; a dossier waiting for the citizen's
                   documents (clock paused before as_of) counts here unless it was already late when it was paused;
    due_soon *     not finished at as_of, clock running, due time not passed, and the statutory clock's warning already
                   due: the current run's "explanation opens" timer (processes.services.statutory.lead_times: due − 2
                   working days, half of the limit for short ones) is at or before as_of — the same threshold at which
                   the clock warns the unit and opens the explanation item;
    overdue *      not finished at as_of and past the statutory due time (clock running: due_at < as_of; clock paused:
                   already late when paused).
    finished       early + on_time + late;  in_progress = not_yet_due + due_soon + overdue;
    returned       results handed back to the citizen in the period (returned_at in the period), whenever processed:
                   it overlaps the others and may count a dossier processed before the period;
    late_rate      (overdue + late) ÷ to_process, in percent; on_time_rate = 100 − late_rate (None when nothing to do).

In-progress figures of a past period use each dossier's due time as recorded now: a supplementation restart after the
period's end is not undone.

Cases (issue 9): complaints, denunciations, petitions and dialogue opinions are dossiers of procedures whose kind is
not administrative. A scope has one kind (administrative by default): every figure above counts only the dossiers of
procedures of that kind, so cases never enter the administrative figures; a scope of a case kind has these figures
instead (received, carried_over, to_process as above; each case of "to process" is in exactly one of the seven
marked *):
    accepted       of "to process", accepted (thụ lý) before as_of, whenever: a complaint or a denunciation whose
                   statutory clock reached the phase "resolution" (event clock_phase_started; or finished as resolved);
                   a petition sent to be answered within the unit's competence (its step nghien_cuu_tra_loi given, or
                   finished as answered); a dialogue opinion, assigned when it is recorded: every one;
    not_accepted * ended in the period by the workflow at an end declaring case_outcome not_accepted (a complaint not
                   accepted; a petition refused, or more information asked of the citizen);
    forwarded *    ended in the period at an end declaring case_outcome forwarded: not within the unit's competence.
                   A case diagram declares case_outcome on every end event (refused at deployment otherwise);
    resolved_on_time *  ended in the period by the workflow at any other end (decided, answered, published) and never
                   late (no DossierFlag.LATE: no phase of its clock passed its due time);
    resolved_late *     the same, flagged late by the statutory clock (in any phase);
    stopped *      withdrawn or stopped in the period (status withdrawn or stopped), outside the workflow;
    not_yet_due *  not finished at as_of and not overdue;
    overdue *      not finished at as_of and late by then: the running phase past its due time (as for dossiers, the
                   paused clock judged at its pause), or an earlier phase's deadline passed before as_of (event
                   deadline_passed);
    resolved = resolved_on_time + resolved_late; in_progress = not_yet_due + overdue; late_total = resolved_late +
    overdue; late_rate = late_total ÷ to_process, on_time_rate = 100 − late_rate, as for dossiers. A case forwarded
    or not accepted late is counted as forwarded or not accepted (its LATE flag stays on the dossier). A dialogue
    opinion has no not-accepted or forwarding end: those figures stay 0 for it.

By official (one row per official)
    handled        dossiers of the scope of which the official completed at least one step in the period;
    late_handover  of those, dossiers in which one of their steps was handed over after the step's own due time
                   (WorkItem.result = late — form 05's verdict per hand-over);
    late_held      dossiers of "to process" that are late (late or overdue above) and were held by the official when
                   they became late (Dossier.late_official, set by the statutory clock).
"""
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, Exists, F, OuterRef, Q, Subquery, When
from django.db.models.functions import TruncDay

from engine import clock
from engine.calendar import VN_TZ

from .models import (
    AdministrativeUnit,
    CalendarOverride,
    CaseKind,
    CaseOutcome,
    Channel,
    Dossier,
    DossierFlag,
    DossierStatus,
    Event,
    Membership,
    Procedure,
    StepResult,
    Timer,
    TimerKind,
    TimerStatus,
    WorkItem,
    WorkItemKind,
    WorkItemStatus,
)
from .selectors import LEADER_ROLES, active_substitutions, is_auditor
from .services.calendar import calendar_for_unit

# The dossier categories, in the order of the report's columns.
PARTITION = ("early", "on_time", "late", "refused", "withdrawn", "not_yet_due", "due_soon", "overdue")
COUNTED = ("received", "received_online", "received_offline", "carried_over", "to_process", "early", "on_time", "late", "refused", "withdrawn",
           "not_yet_due", "due_soon", "overdue", "returned")
DERIVED = ("finished", "in_progress", "late_total")
CATEGORIES = COUNTED + DERIVED
OFFICIAL_CATEGORIES = ("handled", "late_handover", "late_held")
NOT_RECEIVED = (DossierStatus.REGISTERED, DossierStatus.NOT_ACCEPTED)
PROCESSED = (DossierStatus.PROCESSED, DossierStatus.RETURNED)

# The figures of a case kind (module docstring, "Cases").
CASE_PARTITION = ("resolved_on_time", "resolved_late", "not_accepted", "forwarded", "stopped", "not_yet_due",
                  "overdue")
CASE_COUNTED = ("received", "carried_over", "to_process", "accepted", *CASE_PARTITION)
CASE_DERIVED = ("resolved", "in_progress", "late_total")
CASE_CATEGORIES = CASE_COUNTED + CASE_DERIVED
# How a case's workflow ended, as its end event declares (BPMN property case_outcome, kept on the dossier at the end):
# not accepted or forwarded is not a resolution; every other end of a case's workflow resolves it.
NOT_RESOLVED = Q(case_outcome__in=(CaseOutcome.NOT_ACCEPTED, CaseOutcome.FORWARDED))
# What makes a case accepted: the phase its clock reached, or the step it was given; nothing = on recording.
ACCEPTANCE = {
    CaseKind.COMPLAINT: {"phase": "resolution"},
    CaseKind.DENUNCIATION: {"phase": "resolution"},
    CaseKind.PETITION: {"step": "nghien_cuu_tra_loi"},
    CaseKind.DIALOGUE: {},
}


def counted(kind):
    """The counted categories of a scope's kind."""
    return COUNTED if kind == CaseKind.ADMINISTRATIVE else CASE_COUNTED


def categories(kind):
    return CATEGORIES if kind == CaseKind.ADMINISTRATIVE else CASE_CATEGORIES


def partition(kind):
    return PARTITION if kind == CaseKind.ADMINISTRATIVE else CASE_PARTITION


@dataclass(frozen=True)
class Scope:
    """What a report covers. `unit_ids` None = every unit; `start`/`end` are aware instants, end exclusive; `kind`
    the kind of procedure counted (administrative dossiers, or one kind of case)."""

    start: datetime
    end: datetime
    unit_ids: tuple | None = None
    field_id: int | None = None
    now: datetime = field(default_factory=clock.now)
    kind: str = CaseKind.ADMINISTRATIVE

    @property
    def as_of(self):
        return min(self.end, self.now)

    @classmethod
    def for_days(cls, first_day, last_day, unit_ids=None, field_id=None, now=None, kind=CaseKind.ADMINISTRATIVE):
        """The local days first_day..last_day (inclusive)."""
        start = datetime.combine(first_day, time.min, tzinfo=VN_TZ)
        end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=VN_TZ)
        return cls(start=start, end=end, unit_ids=None if unit_ids is None else tuple(unit_ids), field_id=field_id,
                   now=now or clock.now(), kind=kind)


# ---------------------------------------------------------------------------------------------------------------
# the unit tree


def unit_parents():
    """{unit id: parent id} of every unit: one query (a province has a few thousand units)."""
    return dict(AdministrativeUnit.objects.values_list("id", "parent_id"))


def subtree_ids(root_ids, parents=None):
    """The ids of the given units and of all their descendants."""
    parents = parents if parents is not None else unit_parents()
    children = {}
    for unit_id, parent_id in parents.items():
        children.setdefault(parent_id, []).append(unit_id)
    found, todo = set(), list(root_ids)
    while todo:
        unit_id = todo.pop()
        if unit_id in found:
            continue
        found.add(unit_id)
        todo.extend(children.get(unit_id, ()))
    return found


# ---------------------------------------------------------------------------------------------------------------
# the categories as SQL conditions


def _off_day_runs(calendar, first, last):
    """[(a, b, n)]: the runs of consecutive days off a..b between first and last, n the next working day after b."""
    runs, day = [], first
    while day <= last:
        if calendar.is_working_day(day):
            day += timedelta(days=1)
            continue
        run_start = day
        while day <= last and not calendar.is_working_day(day):
            day += timedelta(days=1)
        run_end = day - timedelta(days=1)
        runs.append((run_start, run_end, calendar.next_working_day(run_end)))
    return runs


def _midnight(day):
    return datetime.combine(day, time.min, tzinfo=VN_TZ)


def _no_working_day_between(runs):
    """Finished on a day off from which no working day comes before the due date (the finish counts as done on the
    next working day). Compared as instants (local midnights computed here), not as dates per row: cheap on a
    million rows."""
    q = Q()
    for a, b, n in runs:
        q |= Q(finished_at__gte=_midnight(a), finished_at__lt=_midnight(b + timedelta(days=1)),
               due_at__lt=_midnight(n + timedelta(days=1)))
    return q


def _early_by(calendar, first, last, before_due):
    runs = _off_day_runs(calendar, first, last)
    return before_due & ~_no_working_day_between(runs) if runs else before_due


def _early_q(scope, parents):
    """Processed on a working day before the due date, by the receiving unit's calendar. The units whose calendar
    has overrides of their own (or of an ancestor) get their own condition; every other unit shares the all-units
    calendar (usually the only one: one condition)."""
    first = scope.start.astimezone(VN_TZ).date()
    last = (scope.as_of - timedelta(microseconds=1)).astimezone(VN_TZ).date()
    before_due = Q(finished_at__lt=F("due_day"))  # finished on a local date before the due date
    if last < first:
        return before_due
    own = set(CalendarOverride.objects.filter(unit__isnull=False, date__gte=first, date__lte=last)
              .values_list("unit_id", flat=True).distinct())
    groups = {}  # the overriding units of a chain -> the scope's units with that chain
    if own:
        in_scope = scope.unit_ids if scope.unit_ids is not None else parents.keys()
        for unit_id in in_scope:
            chain, cursor = [], unit_id
            while cursor is not None:
                if cursor in own:
                    chain.append(cursor)
                cursor = parents.get(cursor)
            if chain:
                groups.setdefault(tuple(chain), []).append(unit_id)
    q = _early_by(calendar_for_unit(None), first, last, before_due)
    if not groups:
        return q
    special = [unit_id for units in groups.values() for unit_id in units]
    q = Q(q, ~Q(receiving_unit_id__in=special))
    for units in groups.values():
        calendar = calendar_for_unit(AdministrativeUnit.objects.select_related("parent__parent__parent")
                                     .get(pk=units[0]))
        q |= Q(receiving_unit_id__in=units) & _early_by(calendar, first, last, before_due)
    return q


def category_conditions(scope, parents=None):
    """{category: Q} over `annotated(scope)` rows (the categories of the scope's kind)."""
    if scope.kind != CaseKind.ADMINISTRATIVE:
        return case_conditions(scope)
    parents = parents if parents is not None else unit_parents()
    start, as_of = scope.start, scope.as_of
    in_period = Q(finished_at__gte=start, finished_at__lt=as_of)
    processed = in_period & Q(status__in=PROCESSED)
    open_at = Q(finished_at__isnull=True) | Q(finished_at__gte=as_of)
    running = Q(clock_paused_at__isnull=True) | Q(clock_paused_at__gt=as_of)
    paused = Q(clock_paused_at__isnull=False, clock_paused_at__lte=as_of)
    overdue = open_at & ((running & Q(due_at__lt=as_of)) | (paused & Q(due_at__lt=F("clock_paused_at"))))
    due_soon = open_at & running & Q(due_at__gte=as_of, warn_at__lte=as_of)
    not_yet_due = open_at & ((paused & Q(due_at__gte=F("clock_paused_at")))
                             | (running & Q(due_at__gte=as_of) & (Q(warn_at__isnull=True) | Q(warn_at__gt=as_of))))
    early = processed & _early_q(scope, parents)
    to_process = Q(received_at__lt=as_of) & (Q(finished_at__isnull=True) | Q(finished_at__gte=start))
    conditions = {
        "received": Q(received_at__gte=start, received_at__lt=as_of),
        "received_online": Q(received_at__gte=start, received_at__lt=as_of, channel=Channel.ONLINE),
        "received_offline": Q(received_at__gte=start, received_at__lt=as_of) & ~Q(channel=Channel.ONLINE),
        "carried_over": Q(received_at__lt=start) & to_process,
        "to_process": to_process,
        "early": early,
        "on_time": processed & Q(finished_at__lte=F("due_at")) & ~early,
        "late": processed & Q(finished_at__gt=F("due_at")),
        "refused": in_period & ~Q(status__in=(*PROCESSED, DossierStatus.WITHDRAWN)),
        "withdrawn": in_period & Q(status=DossierStatus.WITHDRAWN),
        "not_yet_due": not_yet_due,
        "due_soon": due_soon,
        "overdue": overdue,
        "returned": Q(returned_at__gte=start, returned_at__lt=as_of),
    }
    conditions["finished"] = processed
    conditions["in_progress"] = open_at
    conditions["late_total"] = conditions["late"] | overdue
    return conditions


def accepted_by(kind, instant):
    """Q: a case of `kind` accepted before `instant` (ACCEPTANCE; the module docstring's "accepted")."""
    rule = ACCEPTANCE.get(kind, {})
    resolved_before = (Q(finished_at__lt=instant, status__in=PROCESSED)
                       & ~NOT_RESOLVED)
    if "phase" in rule:
        reached = Event.objects.filter(dossier=OuterRef("pk"), kind="clock_phase_started",
                                       data_after__phase=rule["phase"], at__lt=instant)
        return Exists(reached) | resolved_before
    if "step" in rule:
        given = WorkItem.objects.filter(dossier=OuterRef("pk"), kind=WorkItemKind.STEP, bpmn_id=rule["step"],
                                        given_at__lt=instant)
        return Exists(given) | resolved_before
    return Q(received_at__lt=instant)


def case_late_by(instant):
    """Q: a case open at `instant` is late by then — its running phase past its due time (a paused clock judged at
    its pause), or the deadline of an earlier phase passed before (event deadline_passed)."""
    running = Q(clock_paused_at__isnull=True) | Q(clock_paused_at__gt=instant)
    paused = Q(clock_paused_at__isnull=False, clock_paused_at__lte=instant)
    deadline_passed = Event.objects.filter(dossier=OuterRef("pk"), kind="deadline_passed", at__lt=instant)
    return ((running & Q(due_at__lt=instant)) | (paused & Q(due_at__lt=F("clock_paused_at")))
            | Exists(deadline_passed))


def case_conditions(scope):
    """{category: Q} of a case kind over `annotated(scope)` rows (module docstring, "Cases")."""
    start, as_of = scope.start, scope.as_of
    in_period = Q(finished_at__gte=start, finished_at__lt=as_of)
    ended = in_period & Q(status__in=PROCESSED)
    not_accepted = ended & Q(case_outcome=CaseOutcome.NOT_ACCEPTED)
    forwarded = ended & Q(case_outcome=CaseOutcome.FORWARDED)
    resolved = ended & ~NOT_RESOLVED
    flagged = Q(flags__contains=[DossierFlag.LATE])
    open_at = Q(finished_at__isnull=True) | Q(finished_at__gte=as_of)
    late_by_then = case_late_by(as_of)
    to_process = Q(received_at__lt=as_of) & (Q(finished_at__isnull=True) | Q(finished_at__gte=start))
    conditions = {
        "received": Q(received_at__gte=start, received_at__lt=as_of),
        "carried_over": Q(received_at__lt=start) & to_process,
        "to_process": to_process,
        "accepted": to_process & accepted_by(scope.kind, as_of),
        "not_accepted": not_accepted,
        "forwarded": forwarded,
        "resolved_on_time": resolved & ~flagged,
        "resolved_late": resolved & flagged,
        "stopped": in_period & ~Q(status__in=PROCESSED),
        "not_yet_due": open_at & ~late_by_then,
        "overdue": open_at & late_by_then,
    }
    conditions["resolved"] = resolved
    conditions["in_progress"] = open_at
    conditions["late_total"] = (resolved & flagged) | (open_at & late_by_then)
    return conditions


def in_scope(scope):
    """The dossiers a figure may count, in the units and field: those "to process" (received before the end, not
    finished before the start) and those whose result was handed back in the period (returned)."""
    to_process = Q(received_at__lt=scope.as_of) & (Q(finished_at__isnull=True) | Q(finished_at__gte=scope.start))
    returned = Q(returned_at__gte=scope.start, returned_at__lt=scope.as_of)
    qs = Dossier.objects.exclude(status__in=NOT_RECEIVED).filter(to_process | returned, procedure__kind=scope.kind)
    if scope.unit_ids is not None:
        qs = qs.filter(receiving_unit_id__in=scope.unit_ids)
    if scope.field_id is not None:
        qs = qs.filter(procedure__field_id=scope.field_id)
    return qs


def annotated(scope):
    """in_scope with what the conditions read: the local midnight starting the due date, and when the current run of
    the statutory clock warns (the latest live "explanation opens" timer of the dossier's clock generation)."""
    warning = (Timer.objects.filter(dossier=OuterRef("pk"), kind=TimerKind.EXPLANATION_OPENS,
                                    generation=OuterRef("clock_generation"))
               .exclude(status=TimerStatus.CANCELLED).order_by("-id").values("due_at")[:1])
    # Looked up only for the dossiers still open and not yet due at as_of (CASE is lazy; a million rows otherwise).
    open_not_due = (Q(finished_at__isnull=True) | Q(finished_at__gte=scope.as_of)) & Q(due_at__gte=scope.as_of)
    return in_scope(scope).annotate(
        due_day=TruncDay("due_at", tzinfo=VN_TZ),
        warn_at=Case(When(open_not_due, then=Subquery(warning)), default=None,
                     output_field=Dossier._meta.get_field("due_at")),
    )


# ---------------------------------------------------------------------------------------------------------------
# the report


def with_rates(counts, kind=CaseKind.ADMINISTRATIVE):
    to_process = counts["to_process"]
    if kind == CaseKind.ADMINISTRATIVE:
        counts["finished"] = counts["early"] + counts["on_time"] + counts["late"]
        counts["in_progress"] = counts["not_yet_due"] + counts["due_soon"] + counts["overdue"]
        counts["late_total"] = counts["late"] + counts["overdue"]
    else:
        counts["resolved"] = counts["resolved_on_time"] + counts["resolved_late"]
        counts["in_progress"] = counts["not_yet_due"] + counts["overdue"]
        counts["late_total"] = counts["resolved_late"] + counts["overdue"]
    if to_process:
        late_rate = (Decimal(counts["late_total"]) * 100 / to_process).quantize(Decimal("0.01"), ROUND_HALF_UP)
        counts["late_rate"] = late_rate
        counts["on_time_rate"] = Decimal(100) - late_rate
    else:
        counts["late_rate"] = counts["on_time_rate"] = None
    return counts


def _zero(kind=CaseKind.ADMINISTRATIVE):
    return dict.fromkeys(counted(kind), 0)


@dataclass
class Report:
    scope: Scope
    totals: dict
    by_procedure: list  # [{"procedure": Procedure, **counts}], most dossiers first
    by_unit: list  # [{"unit": AdministrativeUnit, **counts}]
    by_official: list  # [{"official": User, "handled": n, "late_handover": n, "late_held": n}]


def report(scope, parents=None):
    """Every figure of the dashboard: one grouped aggregate over the dossiers (by procedure and receiving unit, rolled
    up here into the totals and both breakdowns), and the officials' figures (two grouped aggregates)."""
    parents = parents if parents is not None else unit_parents()
    conditions = category_conditions(scope, parents)
    names, kind = counted(scope.kind), scope.kind
    counts = {name: Count("pk", filter=conditions[name]) for name in names}
    grouped = annotated(scope).order_by().values("procedure_id", "receiving_unit_id").annotate(**counts)
    totals, procedures, units = _zero(kind), {}, {}
    for row in grouped:
        for key, bucket in ((row["procedure_id"], procedures), (row["receiving_unit_id"], units)):
            target = bucket.setdefault(key, _zero(kind))
            for name in names:
                target[name] += row[name]
        for name in names:
            totals[name] += row[name]
    procedure_objects = Procedure.objects.in_bulk(list(procedures))
    unit_objects = AdministrativeUnit.objects.in_bulk(list(units))
    by_procedure = sorted(({"procedure": procedure_objects[k], "key": k, **with_rates(v, kind)}
                           for k, v in procedures.items()),
                          key=lambda r: (-r["to_process"], r["procedure"].name))
    by_unit = sorted(({"unit": unit_objects[k], "key": k, **with_rates(v, kind)} for k, v in units.items()),
                     key=lambda r: r["unit"].code)
    return Report(scope=scope, totals=with_rates(totals, kind), by_procedure=by_procedure, by_unit=by_unit,
                  by_official=officials(scope, conditions))


def _official_steps(scope):
    steps = WorkItem.objects.filter(kind=WorkItemKind.STEP, status=WorkItemStatus.COMPLETED,
                                    completed_by__isnull=False, completed_at__gte=scope.start,
                                    completed_at__lt=scope.as_of)
    steps = steps.filter(dossier__procedure__kind=scope.kind)
    if scope.unit_ids is not None:
        steps = steps.filter(dossier__receiving_unit_id__in=scope.unit_ids)
    if scope.field_id is not None:
        steps = steps.filter(dossier__procedure__field_id=scope.field_id)
    return steps


def officials(scope, conditions=None):
    """The by-official rows (definitions in the module docstring), most dossiers handled first."""
    conditions = conditions or category_conditions(scope)
    rows = {}
    handled = (_official_steps(scope).order_by().values("completed_by_id")
               .annotate(handled=Count("dossier_id", distinct=True),
                         late_handover=Count("dossier_id", distinct=True, filter=Q(result=StepResult.LATE))))
    for row in handled:
        rows[row["completed_by_id"]] = {"handled": row["handled"], "late_handover": row["late_handover"],
                                        "late_held": 0}
    held = (annotated(scope).filter(conditions["late_total"], late_official__isnull=False).order_by()
            .values("late_official_id").annotate(n=Count("pk")))
    for row in held:
        rows.setdefault(row["late_official_id"], {"handled": 0, "late_handover": 0, "late_held": 0})
        rows[row["late_official_id"]]["late_held"] = row["n"]
    users = get_user_model().objects.in_bulk(list(rows))
    found = [{"official": users[k], "key": k, **v} for k, v in rows.items()]
    return sorted(found, key=lambda r: (-r["handled"], -r["late_held"], r["official"].get_username()))


def dossiers_for(scope, category, *, procedure_id=None, unit_id=None, official_id=None, parents=None):
    """The dossiers behind one figure: the category (categories(scope.kind) or OFFICIAL_CATEGORIES) within the
    scope, narrowed to one procedure, one receiving unit or one official as the row of the figure says. Its count is
    the figure."""
    if category in OFFICIAL_CATEGORIES:
        if official_id is None:
            raise ValueError("an official's figure needs the official")
        if category == "late_held":
            qs = annotated(scope).filter(category_conditions(scope, parents)["late_total"],
                                         late_official_id=official_id)
        else:
            steps = _official_steps(scope).filter(completed_by_id=official_id)
            if category == "late_handover":
                steps = steps.filter(result=StepResult.LATE)
            qs = in_scope(scope).filter(pk__in=steps.values("dossier_id"))
    elif category in categories(scope.kind):
        qs = annotated(scope).filter(category_conditions(scope, parents)[category])
    else:
        raise ValueError(f"unknown category {category!r}")
    if procedure_id is not None:
        qs = qs.filter(procedure_id=procedure_id)
    if unit_id is not None:
        qs = qs.filter(receiving_unit_id=unit_id)
    return qs.select_related("procedure", "receiving_unit", "applicant", "late_official").order_by("received_at", "id")



# ---------------------------------------------------------------------------------------------------------------
# who sees the statistics


def statistics_units(user, parents=None):
    """The units whose statistics the official may read: None = every unit (auditors); else the ids of the units
    they lead (unit_leader or signing_leader, held or stood in for today) and of all their sub-units — an empty set
    for everyone else."""
    if user is None or not user.is_authenticated:
        return set()
    if is_auditor(user):
        return None
    led = set(Membership.objects.filter(user=user, role__in=LEADER_ROLES).values_list("unit_id", flat=True))
    led |= set(active_substitutions().filter(substitute=user, role__in=LEADER_ROLES)
               .values_list("unit_id", flat=True))
    if not led:
        return set()
    return subtree_ids(led, parents)
