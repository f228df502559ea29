"""The evaluation of how agencies and officials settle dossiers (issue 7): Circular 01/2018/TT-VPCP's nine indices
(Art. 13–15; docs/domain.md §3.1) and the indicators of Decision 766/QĐ-TTg the data supports (§3.2). Read-only.
Aggregates are SQL (a province settles about a million dossiers a year); only one dossier's detail is computed in
Python.

Which dossiers are evaluated
    Those settled in the period: finished_at in [start, end) with status processed or returned (a result, positive or
    negative) or stopped (refused, form 03). Withdrawn dossiers are not judged (processes.services.statutory).

Per dossier (0/1/2 each)
    1  total time against the statutory time: 2 early (finished on a day before the due date — the verdict Form 05
       gives each hand-over, dossiers.step_result), 1 on time (by the statutory due time, Dossier.due_at, which only a
       supplementation restart or a legal extension moves), 0 late.
    2  each participating unit's time against its allotted share: a unit's verdict on the dossier is the worst verdict
       of its completed steps (WorkItem.result against the step's due time from its allocation: early 2, on time 1,
       late 0); the dossier's index 2 is the worst of its units (index 1 when no step was completed, e.g. refused at
       once). An agency's index 2 averages its own verdicts over the dossiers it took part in; an official's, the
       verdicts of the steps they completed.
    3  contacts the citizen needed (CitizenContact rows not marked citizen_fault): none 2, one 1, more 0.
    4  agencies the citizen contacted (every CitizenContact): none 2, only the receiving unit (its one-stop) 1, any
       other unit or outside agency 0.
    7  staff attitude: early and no complaint 2, on time and no complaint 1, else 0. A dossier's own score is its
       index 1 (a case does not record which dossier it concerns); the agency's complaints count below.

Only administrative dossiers and procedures are evaluated (Procedure.kind administrative): complaints,
denunciations, petitions and dialogue opinions (issue 9) enter only through indices 7 and 8 and the feedback and
complaint indicators of Decision 766.

Per agency (each unit of the scope): the averages of indices 1, 3, 4 over the evaluated dossiers it took part in
(received, or was routed a step of: DossierParticipant) and of index 2 over its own verdicts, each rounded to one
decimal;
    7  the average of the dossiers' index 1 with, for each complaint or denunciation about the agency, one of its n
       dossiers scored 0 instead: index 1's average × (n − k) ÷ n, k the complaints (at most n). Complaints about
       the agency = complaint and denunciation cases received at the unit in the period (their receiving unit),
       leaving out those ended before the period's end as not accepted or forwarded (not within its competence,
       not admissible). Which official a complaint concerns is not recorded: an official's index 7 is their index 1.
    8  handling of citizens' feedback (petitions and dialogue opinions received at the unit, Decree 20/2008 and the
       dialogue meetings): of the feedback to handle in the period (received before its end, not finished before its
       start, not withdrawn or stopped), the share handled or being handled within its due time — finished without
       the statutory clock's LATE flag, or open at the period's end and not late by then (a deadline passed in any
       phase makes it late). 100% 2, ≥ 90% 1, less (late or long-running feedback) 0; not available (None) when
       the unit had no feedback to handle.
and, for units with a one-stop desk (communes, districts, provinces; a department has none, so 5, 6 and 9 are
not available for it):
    5  share of the unit's procedures fully handled at its one-stop: of the procedures with dossiers the unit settled
       in the period, those none of whose dossiers was routed to another unit (DossierParticipant). ≥ the target of
       the level (commune 100%, district 50%, province 20%) 2, ≥ half the target 1, else 0.
    6  publication of procedures: MotCua publishes every active procedure of the catalogue electronically (the desk's
       catalogue, with documents, time limit and fees); posting at the office is not recorded, so every one-stop
       scores 1 (electronic only). It becomes 2 once the posting is recorded.
    9  online services: ≥ 20% of the procedures of its level offered online (Procedure.online_level full or
       partial) and ≥ 30% of the dossiers it received in the period received online (channel 2) and no online
       dossier late (settled late, or open past its due time at the period's end) 2; 15% or more received online 1;
       else 0.
    total = the sum of the available indices; `scaled` = total × 18 ÷ (2 × number available), the basis of the band
    (an index that is not available costs nobody points). Bands: ≥15 excellent, 12–<15 good, 9–<12 fair, 6–<9
    average, <6 weak.

Per official (everyone who completed a step of an evaluated dossier at a unit of the scope): averages of 1, 2, 3, 4,
7, total out of 10; ≥5 = 100% of tasks completed, 3.5–<5 = 70–<100%, <3.5 = under 70%.

Decision 766 (the scope's receiving units, the period)
    on_time_pct   dossiers settled or still open within their due time ÷ dossiers to process in the period (received
                  before its end and not settled before its start; withdrawn ones left out). Settled: finished_at ≤
                  due_at; open: due_at ≥ the period's end (or ≥ the time it was paused, waiting for the citizen);
                  more than one supplementation request counts as late. The citizen's supplementation time is
                  excluded by the clock's restart (Decree 61 Art. 19.4) rather than subtracted — a dossier's due time
                  is counted afresh from the documents' receipt.
    online_pct    dossiers received online ÷ dossiers received in the period.
    electronic_result_pct  not recorded (None): MotCua does not yet store whether the result was issued
                  electronically.
    satisfied_pct ratings (ServiceRating, rated in the period) whose five elements average 4 or more ÷ ratings.
    complaints    complaint and denunciation cases about the scope's units (as for index 7);
    satisfaction_766_pct  100 − (late % + % with complaints), both of the dossiers to process: (within due −
                  complaints) ÷ to process, not below 0.
    procedures_online_pct  active procedures of the scope's levels offered online ÷ active procedures of those levels.
    feedback_on_time_pct  feedback (petitions and dialogue opinions) of the scope's units handled within its due time
                  ÷ feedback to handle in the period (as for index 8); None without feedback.
Periods are calendar quarters and years (Decree 09/2019's reporting cut-off dates are not applied).
"""
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, F, Q

from engine import clock
from engine.calendar import VN_TZ

from .models import (
    AdministrativeUnit,
    CaseKind,
    Channel,
    CitizenContact,
    Dossier,
    DossierFlag,
    DossierStatus,
    Membership,
    OnlineLevel,
    Procedure,
    ServiceRating,
    StepResult,
    UnitKind,
    WorkItem,
    WorkItemKind,
    WorkItemStatus,
)
from .selectors import LEADER_ROLES, active_substitutions, is_auditor
from .statistics import NOT_RESOLVED, case_late_by

EVALUATED = (DossierStatus.PROCESSED, DossierStatus.RETURNED, DossierStatus.STOPPED)
ONE_STOP_KINDS = (UnitKind.COMMUNE, UnitKind.DISTRICT, UnitKind.PROVINCE)
ONE_STOP_TARGET = {UnitKind.COMMUNE: Decimal("1"), UnitKind.DISTRICT: Decimal("0.5"), UnitKind.PROVINCE: Decimal("0.2")}
ONLINE_LEVELS = (OnlineLevel.FULL, OnlineLevel.PARTIAL)
RESULT_SCORE = {StepResult.EARLY: 2, StepResult.ON_TIME: 1, StepResult.LATE: 0}
AGENCY_INDICES = (1, 2, 3, 4, 5, 6, 7, 8, 9)
OFFICIAL_INDICES = (1, 2, 3, 4, 7)
ADMINISTRATIVE = CaseKind.ADMINISTRATIVE
COMPLAINT_KINDS = (CaseKind.COMPLAINT, CaseKind.DENUNCIATION)
FEEDBACK_KINDS = (CaseKind.PETITION, CaseKind.DIALOGUE)
NOT_RECEIVED = (DossierStatus.REGISTERED, DossierStatus.NOT_ACCEPTED)


def one_decimal(value):
    return Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def pct(part, whole):
    return None if not whole else one_decimal(Decimal(part) * 100 / Decimal(whole))


def agency_band(points):
    """Circular 01/2018's band of an agency's total (of 18 points)."""
    if points is None:
        return None
    if points >= 15:
        return "excellent"
    if points >= 12:
        return "good"
    if points >= 9:
        return "fair"
    if points >= 6:
        return "average"
    return "weak"


def official_band(points):
    """Task completion of an official's total (of 10 points): ≥5 all, 3.5–<5 70 to under 100%, <3.5 under 70%."""
    if points is None:
        return None
    if points >= 5:
        return "100"
    if points >= Decimal("3.5"):
        return "70-100"
    return "under-70"


@dataclass(frozen=True)
class Period:
    year: int
    quarter: int | None = None

    @property
    def start(self):
        month = 1 if self.quarter is None else 3 * (self.quarter - 1) + 1
        return datetime(self.year, month, 1, tzinfo=VN_TZ)

    @property
    def end(self):
        if self.quarter is None or self.quarter == 4:
            return datetime(self.year + 1, 1, 1, tzinfo=VN_TZ)
        return datetime(self.year, 3 * self.quarter + 1, 1, tzinfo=VN_TZ)

    @property
    def key(self):
        return f"{self.year}" if self.quarter is None else f"{self.year}-Q{self.quarter}"

    @classmethod
    def parse(cls, text):
        """'2026' or '2026-Q3'; ValueError otherwise."""
        text = (text or "").strip().upper()
        year, _, quarter = text.partition("-Q")
        if not year.isdigit() or len(year) != 4 or (quarter and quarter not in "1234") or (_ and not quarter):
            raise ValueError(text)
        return cls(int(year), int(quarter) if quarter else None)

    @classmethod
    def current(cls, now=None):
        local = (now or clock.now()).astimezone(VN_TZ)
        return cls(local.year, (local.month - 1) // 3 + 1)


# ---------------------------------------------------------------------------------------------------------------
# one dossier, in Python (its detail page; the worked example of the tests)


def _score_time(finished_at, due_at):
    if finished_at > due_at:
        return 0
    if finished_at.astimezone(VN_TZ).date() < due_at.astimezone(VN_TZ).date():
        return 2
    return 1


def dossier_indices(dossier):
    """{1, 2, 3, 4, 7: score, "units": {unit: score}, "contacts": n, "agencies": [...]} for a settled dossier; None
    while it is open, when it was withdrawn, and for a case (not an administrative dossier)."""
    if (dossier.status not in EVALUATED or dossier.finished_at is None
            or dossier.procedure.kind != CaseKind.ADMINISTRATIVE):
        return None
    i1 = _score_time(dossier.finished_at, dossier.due_at)
    units = {}
    for step in (WorkItem.objects.filter(dossier=dossier, kind=WorkItemKind.STEP, status=WorkItemStatus.COMPLETED)
                 .select_related("unit").order_by("given_at", "id")):
        score = RESULT_SCORE.get(step.result, 1)
        units[step.unit] = min(units.get(step.unit, 2), score)
    i2 = min(units.values()) if units else i1
    contacts = list(CitizenContact.objects.filter(dossier=dossier).select_related("unit"))
    counted = [c for c in contacts if not c.citizen_fault]
    i3 = 2 if not counted else 1 if len(counted) == 1 else 0
    if not contacts:
        i4 = 2
    elif all(c.unit_id == dossier.receiving_unit_id for c in contacts):
        i4 = 1
    else:
        i4 = 0
    agencies = list(dict.fromkeys(c.unit.name if c.unit_id else c.agency_name for c in contacts))
    return {1: i1, 2: i2, 3: i3, 4: i4, 7: i1, "units": units, "contacts": len(counted),
            "contacts_all": len(contacts), "agencies": agencies}


# ---------------------------------------------------------------------------------------------------------------
# the aggregates, in SQL

EV_SQL = """
WITH ev AS (
    SELECT d.id, d.receiving_unit_id, d.procedure_id,
           CASE WHEN d.finished_at > d.due_at THEN 0
                WHEN (d.finished_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
                     < (d.due_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date THEN 2
                ELSE 1 END AS i1,
           CASE (SELECT COUNT(*) FROM processes_citizencontact c WHERE c.dossier_id = d.id AND NOT c.citizen_fault)
                WHEN 0 THEN 2 WHEN 1 THEN 1 ELSE 0 END AS i3,
           CASE WHEN EXISTS (SELECT 1 FROM processes_citizencontact c WHERE c.dossier_id = d.id
                              AND (c.unit_id IS NULL OR c.unit_id <> d.receiving_unit_id)) THEN 0
                WHEN EXISTS (SELECT 1 FROM processes_citizencontact c WHERE c.dossier_id = d.id) THEN 1
                ELSE 2 END AS i4
      FROM processes_dossier d JOIN processes_procedure pr ON pr.id = d.procedure_id AND pr.kind = %(kind)s
     WHERE d.finished_at >= %(start)s AND d.finished_at < %(end)s AND d.status = ANY(%(statuses)s)
       {scope}
),
steps AS (
    SELECT w.dossier_id, w.unit_id, w.completed_by_id,
           MIN(CASE w.result WHEN 'late' THEN 0 WHEN 'early' THEN 2 ELSE 1 END) AS s
      FROM processes_workitem w JOIN ev ON ev.id = w.dossier_id
     WHERE w.kind = 'step' AND w.status = 'completed'
     GROUP BY 1, 2, 3
)
"""
SCOPE_SQL = ("AND EXISTS (SELECT 1 FROM processes_dossierparticipant p2 "
             "WHERE p2.dossier_id = d.id AND p2.unit_id = ANY(%(units)s))")

PARTICIPANT_SQL = """
SELECT p.unit_id, COUNT(*), SUM(ev.i1), SUM(ev.i3), SUM(ev.i4)
  FROM ev JOIN processes_dossierparticipant p ON p.dossier_id = ev.id {where} GROUP BY 1
"""
UNIT_STEPS_SQL = """
SELECT unit_id, COUNT(*), SUM(s) FROM (
    SELECT dossier_id, unit_id, MIN(s) AS s FROM steps {where} GROUP BY 1, 2) per_unit
 GROUP BY 1
"""
OFFICIALS_SQL = """
SELECT o.completed_by_id, COUNT(*), SUM(ev.i1), SUM(o.s), SUM(ev.i3), SUM(ev.i4)
  FROM (SELECT dossier_id, completed_by_id, MIN(s) AS s FROM steps
         WHERE completed_by_id IS NOT NULL {and_where} GROUP BY 1, 2) o
  JOIN ev ON ev.id = o.dossier_id
 GROUP BY 1
"""
ONE_STOP_SQL = """
SELECT ev.receiving_unit_id, ev.procedure_id,
       BOOL_AND(NOT EXISTS (SELECT 1 FROM processes_dossierparticipant p
                             WHERE p.dossier_id = ev.id AND p.unit_id <> ev.receiving_unit_id))
  FROM ev {where} GROUP BY 1, 2
"""


def _query(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _avg(total, n):
    return one_decimal(Decimal(total) / Decimal(n)) if n else None


def _sum(values):
    present = [v for v in values if v is not None]
    return (sum(present, Decimal(0)), len(present)) if present else (None, 0)


def _index_5(rows, kind):
    if not rows:
        return None, None
    share = Decimal(sum(1 for fully in rows if fully)) / Decimal(len(rows))
    target = ONE_STOP_TARGET[kind]
    score = 2 if share >= target else 1 if share >= target / 2 else 0
    return score, one_decimal(share * 100)


def _online_by_unit(period, unit_ids, as_of):
    """{unit id: (received, online, late online)} for the units that received dossiers in the period."""
    qs = Dossier.objects.filter(received_at__gte=period.start, received_at__lt=as_of,
                                procedure__kind=ADMINISTRATIVE).exclude(status__in=NOT_RECEIVED)
    if unit_ids is not None:
        qs = qs.filter(receiving_unit_id__in=unit_ids)
    online = Q(channel=Channel.ONLINE)
    late = online & ((Q(finished_at__isnull=False, finished_at__lt=as_of, finished_at__gt=F("due_at"))
                      & ~Q(status=DossierStatus.WITHDRAWN))
                     | ((Q(finished_at__isnull=True) | Q(finished_at__gte=as_of)) & Q(due_at__lt=as_of)
                        & Q(clock_paused_at__isnull=True)))
    rows = qs.values("receiving_unit_id").annotate(n=Count("id"), online=Count("id", filter=online),
                                                   late=Count("id", filter=late))
    return {r["receiving_unit_id"]: (r["n"], r["online"], r["late"]) for r in rows}


def _procedures_online_by_level():
    rows = Procedure.objects.filter(active=True, kind=ADMINISTRATIVE).values("level").annotate(
        n=Count("id"), online=Count("id", filter=Q(online_level__in=ONLINE_LEVELS)))
    return {r["level"]: (r["n"], r["online"]) for r in rows}


def _index_9(procedures, received):
    n_proc, online_proc = procedures or (0, 0)
    n, online, late = received or (0, 0, 0)
    if not n_proc and not n:
        return None, {}
    proc_share = Decimal(online_proc) / n_proc if n_proc else Decimal(0)
    dossier_share = Decimal(online) / n if n else Decimal(0)
    if proc_share >= Decimal("0.2") and dossier_share >= Decimal("0.3") and not late:
        score = 2
    elif dossier_share >= Decimal("0.15"):
        score = 1
    else:
        score = 0
    return score, {"procedures_online_pct": pct(online_proc, n_proc), "dossiers_online_pct": pct(online, n),
                   "late_online": late}


def _cases(kinds, unit_ids):
    qs = Dossier.objects.filter(procedure__kind__in=kinds).exclude(status__in=NOT_RECEIVED)
    return qs if unit_ids is None else qs.filter(receiving_unit_id__in=unit_ids)


def _complaints_by_unit(period, unit_ids, as_of):
    """{unit id: complaints and denunciations about it} (module docstring, index 7)."""
    not_about_it = Q(finished_at__lt=as_of) & NOT_RESOLVED
    rows = (_cases(COMPLAINT_KINDS, unit_ids).filter(received_at__gte=period.start, received_at__lt=as_of)
            .exclude(not_about_it).order_by().values("receiving_unit_id").annotate(n=Count("id")))
    return {r["receiving_unit_id"]: r["n"] for r in rows}


def _feedback_by_unit(period, unit_ids, as_of):
    """{unit id: (feedback to handle, handled or being handled within its due time)} (module docstring, index 8)."""
    to_handle = (Q(received_at__lt=as_of) & (Q(finished_at__isnull=True) | Q(finished_at__gte=period.start))
                 & ~Q(status__in=(DossierStatus.WITHDRAWN, DossierStatus.STOPPED), finished_at__lt=as_of))
    finished = Q(finished_at__isnull=False, finished_at__lt=as_of)
    open_at = Q(finished_at__isnull=True) | Q(finished_at__gte=as_of)
    within = ((finished & ~Q(flags__contains=[DossierFlag.LATE])) | (open_at & ~case_late_by(as_of)))
    rows = (_cases(FEEDBACK_KINDS, unit_ids).filter(to_handle).order_by().values("receiving_unit_id")
            .annotate(n=Count("id"), within=Count("id", filter=within)))
    return {r["receiving_unit_id"]: (r["n"], r["within"]) for r in rows}


def _index_7(s1, n, complaints):
    if not n:
        return None
    return one_decimal(Decimal(s1) * (n - min(complaints, n)) / Decimal(n) / Decimal(n))


def _index_8(feedback):
    n, within = feedback or (0, 0)
    if not n:
        return None
    return Decimal(2) if within == n else Decimal(1) if Decimal(within) / n >= Decimal("0.9") else Decimal(0)


def evaluate(period, unit_ids=None, now=None):
    """The evaluation of `period` (a Period) for the units `unit_ids` (None = every unit): {"agencies": [...],
    "officials": [...], "indicators": {...}}; each agency and official row holds its indices (Decimal or None when
    not available), total, scaled (agencies), band, and the number of dossiers behind it."""
    now = now or clock.now()
    as_of = min(period.end, now)
    units_list = sorted(unit_ids) if unit_ids is not None else None
    params = {"start": period.start, "end": as_of, "statuses": list(EVALUATED), "units": units_list or [0],
              "kind": ADMINISTRATIVE}
    prefix = EV_SQL.format(scope=SCOPE_SQL if units_list is not None else "")
    where_ev = "WHERE ev.receiving_unit_id = ANY(%(units)s)" if units_list is not None else ""
    where_steps = "WHERE unit_id = ANY(%(units)s)" if units_list is not None else ""
    and_steps = "AND unit_id = ANY(%(units)s)" if units_list is not None else ""
    where_participant = "WHERE p.unit_id = ANY(%(units)s)" if units_list is not None else ""
    taken_part = {row[0]: row[1:] for row in _query(prefix + PARTICIPANT_SQL.format(where=where_participant),
                                                     params)}
    unit_steps = {row[0]: row[1:] for row in _query(prefix + UNIT_STEPS_SQL.format(where=where_steps), params)}
    one_stop = {}
    for unit_id, _procedure_id, fully in _query(prefix + ONE_STOP_SQL.format(where=where_ev), params):
        one_stop.setdefault(unit_id, []).append(fully)
    officials_rows = _query(prefix + OFFICIALS_SQL.format(and_where=and_steps), params)
    online = _online_by_unit(period, unit_ids, as_of)
    procedures = _procedures_online_by_level()
    complaints = _complaints_by_unit(period, unit_ids, as_of)
    feedback = _feedback_by_unit(period, unit_ids, as_of)

    unit_pks = set(taken_part) | set(unit_steps) | set(online) | set(complaints) | set(feedback)
    units = {u.pk: u for u in AdministrativeUnit.objects.filter(pk__in=unit_pks)}
    agencies = []
    for unit_id in sorted(unit_pks, key=lambda pk: units[pk].code):
        unit = units[unit_id]
        n, s1, s3, s4 = taken_part.get(unit_id, (0, 0, 0, 0))
        n2, s2 = unit_steps.get(unit_id, (0, 0))
        indices = {1: _avg(s1, n), 2: _avg(s2, n2), 3: _avg(s3, n), 4: _avg(s4, n),
                   7: _index_7(s1, n, complaints.get(unit_id, 0)), 8: _index_8(feedback.get(unit_id))}
        feedback_n, feedback_within = feedback.get(unit_id, (0, 0))
        details = {"complaints": complaints.get(unit_id, 0), "feedback": feedback_n,
                   "feedback_within_due": feedback_within,
                   "feedback_on_time_pct": pct(feedback_within, feedback_n)}
        if unit.kind in ONE_STOP_KINDS:
            score5, share5 = _index_5(one_stop.get(unit_id), unit.kind)
            indices[5] = None if score5 is None else Decimal(score5)
            details["one_stop_pct"] = share5
            indices[6] = Decimal(1)
            score9, details9 = _index_9(procedures.get(unit.kind), online.get(unit_id))
            indices[9] = None if score9 is None else Decimal(score9)
            details.update(details9)
        else:
            indices[5] = indices[6] = indices[9] = None
        total, available = _sum(indices[i] for i in AGENCY_INDICES)
        scaled = one_decimal(total * 18 / (2 * available)) if available else None
        agencies.append({"unit": unit, "dossiers": n, "dossiers_with_steps": n2, "indices": indices,
                         "total": total, "available": available, "scaled": scaled, "band": agency_band(scaled),
                         "details": details})

    users = get_user_model().objects.in_bulk([row[0] for row in officials_rows])
    officials = []
    for user_id, n, s1, s2, s3, s4 in officials_rows:
        indices = {1: _avg(s1, n), 2: _avg(s2, n), 3: _avg(s3, n), 4: _avg(s4, n), 7: _avg(s1, n)}
        total = sum(indices.values(), Decimal(0))
        officials.append({"user": users[user_id], "dossiers": n, "indices": indices, "total": total,
                          "band": official_band(total)})
    officials.sort(key=lambda row: (-row["total"], row["user"].username))
    return {"period": period, "as_of": as_of, "agencies": agencies, "officials": officials,
            "indicators": indicators_766(period, unit_ids, as_of, complaints=complaints, feedback=feedback)}


def indicators_766(period, unit_ids, as_of, *, complaints=None, feedback=None):
    """Decision 766's indicators (module docstring); `complaints` and `feedback`: the per-unit counts of
    _complaints_by_unit and _feedback_by_unit when the caller has them."""
    qs = Dossier.objects.filter(procedure__kind=ADMINISTRATIVE).exclude(status__in=NOT_RECEIVED)
    if unit_ids is not None:
        qs = qs.filter(receiving_unit_id__in=unit_ids)
    start = period.start
    to_process = (Q(received_at__lt=as_of) & (Q(finished_at__isnull=True) | Q(finished_at__gte=start))
                  & ~Q(status=DossierStatus.WITHDRAWN, finished_at__lt=as_of))
    settled = Q(finished_at__isnull=False, finished_at__lt=as_of)
    open_at = Q(finished_at__isnull=True) | Q(finished_at__gte=as_of)
    paused = Q(clock_paused_at__isnull=False, clock_paused_at__lte=as_of)
    within = ((settled & Q(finished_at__lte=F("due_at")))
              | (open_at & ~paused & Q(due_at__gte=as_of))
              | (open_at & paused & Q(due_at__gte=F("clock_paused_at"))))
    within &= ~Q(flags__contains=[DossierFlag.SUPPLEMENTED_TWICE])
    counts = qs.aggregate(
        to_process=Count("id", filter=to_process),
        within=Count("id", filter=to_process & within),
        received=Count("id", filter=Q(received_at__gte=start, received_at__lt=as_of)),
        online=Count("id", filter=Q(received_at__gte=start, received_at__lt=as_of, channel=Channel.ONLINE)),
    )
    ratings = ServiceRating.objects.filter(rated_at__gte=start, rated_at__lt=as_of,
                                           dossier__procedure__kind=ADMINISTRATIVE)
    if unit_ids is not None:
        ratings = ratings.filter(dossier__receiving_unit_id__in=unit_ids)
    rated = ratings.annotate(points=F("access") + F("procedure") + F("official") + F("result") + F("feedback")) \
        .aggregate(n=Count("id"), satisfied=Count("id", filter=Q(points__gte=20)))
    levels = None
    if unit_ids is not None:
        levels = set(AdministrativeUnit.objects.filter(pk__in=unit_ids).values_list("kind", flat=True))
    procedures = Procedure.objects.filter(active=True, kind=ADMINISTRATIVE)
    if levels is not None:
        procedures = procedures.filter(level__in=levels)
    proc = procedures.aggregate(n=Count("id"), online=Count("id", filter=Q(online_level__in=ONLINE_LEVELS)))
    on_time = pct(counts["within"], counts["to_process"])
    complaints = sum((complaints if complaints is not None else _complaints_by_unit(period, unit_ids, as_of)).values())
    feedback = list((feedback if feedback is not None else _feedback_by_unit(period, unit_ids, as_of)).values())
    feedback_n, feedback_within = sum(n for n, _w in feedback), sum(w for _n, w in feedback)
    satisfaction = None
    if counts["to_process"]:
        satisfaction = pct(max(counts["within"] - complaints, 0), counts["to_process"])
    return {
        "to_process": counts["to_process"],
        "within_due": counts["within"],
        "on_time_pct": on_time,
        "received": counts["received"],
        "online": counts["online"],
        "online_pct": pct(counts["online"], counts["received"]),
        "electronic_result_pct": None,
        "ratings": rated["n"],
        "satisfied_pct": pct(rated["satisfied"], rated["n"]),
        "complaints": complaints,
        "satisfaction_766_pct": satisfaction,
        "feedback": feedback_n,
        "feedback_within_due": feedback_within,
        "feedback_on_time_pct": pct(feedback_within, feedback_n),
        "procedures": proc["n"],
        "procedures_online_pct": pct(proc["online"], proc["n"]),
    }


# ---------------------------------------------------------------------------------------------------------------
# who may read it


def unit_tree_ids(root_ids):
    parents = dict(AdministrativeUnit.objects.values_list("id", "parent_id"))
    children = {}
    for unit_id, parent_id in parents.items():
        children.setdefault(parent_id, []).append(unit_id)
    found, todo = set(), list(root_ids)
    while todo:
        unit_id = todo.pop()
        if unit_id not in found:
            found.add(unit_id)
            todo.extend(children.get(unit_id, ()))
    return found


def evaluation_units(user):
    """None = every unit (auditors); else the ids of the units the official leads (unit_leader or signing_leader,
    held or stood in for today) and of all their sub-units — empty for everyone else (the page answers 403)."""
    if user is None or not user.is_authenticated:
        return set()
    if is_auditor(user):
        return None
    led = set(Membership.objects.filter(user=user, role__in=LEADER_ROLES).values_list("unit_id", flat=True))
    led |= set(active_substitutions().filter(substitute=user, role__in=LEADER_ROLES).values_list("unit_id", flat=True))
    return unit_tree_ids(led) if led else set()
