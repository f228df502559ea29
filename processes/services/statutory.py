"""The statutory clock of every dossier: it belongs to the platform, not to each diagram (README: the statutory clock;
Decree 61/2018 Art. 19; Circular 01/2018 forms 02–05).

- Arming: `arm_statutory_clock` at reception, after a restart from zero (supplementation) and after a legal extension;
  `on_step_assigned` / `on_step_closed` for each step's allocation; `on_dossier_finished` stops everything.
- Handlers (one per timer kind, registered in timers.HANDLERS): the explanation opens (warning + an "explain delay"
  work item), the apology deadline, the statutory due time (late; escalation when no apology), the new appointment
  passing, a step overrunning its allocation.
- Actions (each one transaction holding the dossier's row lock, each writing its event): filing the explanation and
  apology (form 04), requesting and receiving a supplementation (form 02), refusal (form 03), withdrawal.

Lateness is judged against the statutory due time (Dossier.due_at), which only a supplementation restart or a
recorded legal extension moves. Handlers judge with due times (timer.due_at, dossier.due_at, the time an apology was
filed), never with the time they happen to run: a worker outage makes no dossier late or on time.
"""
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.db import transaction
from django.db.models import F

from engine import clock
from engine.calendar import VN_TZ
from engine.errors import EngineError

from ..models import (
    OPEN_STATUSES,
    CaseKind,
    Dossier,
    DossierFlag,
    DossierParticipant,
    DossierStatus,
    Explanation,
    Membership,
    Role,
    StatutoryUnit,
    Supplementation,
    Timer,
    TimerKind,
    TimerStatus,
    WorkItem,
    WorkItemKind,
    WorkItemStatus,
)
from . import forms
from .calendar import calendar_for_unit, statutory_due_at
from .errors import Conflict, InvalidInput, NotAllowed, NotFound
from .events import SYSTEM, record_event
from .notifications import notify_citizen, notify_user
from .timers import arm_timer, cancel_timers, register

CLOCK_KINDS = [TimerKind.EXPLANATION_OPENS, TimerKind.APOLOGY_DEADLINE, TimerKind.STATUTORY_DUE,
               TimerKind.APPOINTMENT_DUE]
DUE_KINDS = [TimerKind.EXPLANATION_OPENS, TimerKind.APOLOGY_DEADLINE, TimerKind.STATUTORY_DUE]
PENDING = [TimerStatus.SCHEDULED, TimerStatus.CLAIMED]
EXPLAIN_NAME = "Giải trình chậm trễ, gửi phiếu xin lỗi và hẹn lại ngày trả kết quả (mẫu 04)"
ESCALATION_NAME = "Xử lý hồ sơ quá hạn chưa có giải trình, xin lỗi"
CLOCK_LANE = "statutory_clock"
SUPPLEMENT_KINDS = ("bản chính", "bản sao", "bản sao chứng thực", "bản chụp")
MAX_TEXT = 2000
MAX_ITEMS = 50
MAX_REASONS = 20
# A new appointment further away than this is a typing error, not a plan.
MAX_APPOINTMENT_AHEAD = timedelta(days=366)


class Outcome(NamedTuple):
    dossier: Dossier
    record: object = None  # the Supplementation / Explanation written, if any
    form: forms.Rendered | None = None


# ---------------------------------------------------------------------------------------------------------------
# lead times and arming


def subtract_office_hours(calendar, end, hours):
    """The instant `hours` office hours before `end`. When the count lands exactly on the start of a period, the
    answer is the end of the period before it (Fri 17:00 − 2 days = Wed 17:00, not Thu 07:30)."""
    remaining = Decimal(hours)
    t = end.astimezone(VN_TZ)
    day = t.date()
    for _ in range(3700):
        if calendar.is_working_day(day):
            for start, stop in reversed(calendar.office_hours):
                period_start = datetime.combine(day, start, VN_TZ)
                period_end = datetime.combine(day, stop, VN_TZ)
                seg_end = min(t, period_end)
                if seg_end <= period_start:
                    continue
                if remaining == 0:
                    return seg_end
                available = Decimal((seg_end - period_start).total_seconds()) / 3600
                if available > remaining:
                    return seg_end - timedelta(seconds=float(remaining * 3600))
                remaining -= available
                t = period_start
        day -= timedelta(days=1)
        t = datetime.combine(day, datetime.max.time(), VN_TZ)
    raise ValueError("count out of range")


def lead_times(dossier):
    """(explanation opens, apology deadline) for the dossier's current statutory due time. Defaults for a limit of L
    working days: the explanation opens at due − 2 working days when L ≥ 4, when half of L has passed when
    1 ≤ L < 4; the apology is due at due − 1 working day when L ≥ 2, else by the due time; same-day: no lead."""
    from .case_clock import current_limit

    procedure = dossier.procedure
    calendar = calendar_for_unit(dossier.receiving_unit)
    limit, unit = current_limit(dossier)
    limit += Decimal(dossier.legal_extension_days)
    due = dossier.due_at
    hours = calendar.hours_per_day
    if unit == StatutoryUnit.SAME_DAY or limit == 0:
        return None, due
    if procedure.explanation_lead_days is not None:
        opens = subtract_office_hours(calendar, due, Decimal(procedure.explanation_lead_days) * hours)
    elif limit >= 4:
        opens = subtract_office_hours(calendar, due, 2 * hours)
    else:
        opens = calendar.add_working_days(dossier.clock_started_at or dossier.received_at, limit / 2)
    if procedure.apology_lead_days is not None:
        apology = subtract_office_hours(calendar, due, Decimal(procedure.apology_lead_days) * hours)
    elif limit >= 2:
        apology = subtract_office_hours(calendar, due, hours)
    else:
        apology = due
    return min(opens, apology), apology


def _key(dossier, kind, due):
    return f"d{dossier.pk}:g{dossier.clock_generation}:{kind}:{int(due.timestamp())}"


def arm_statutory_clock(dossier, now):
    """(Re)arms the dossier's statutory timers for its current due time; called at reception, after a restart from
    zero and after a legal extension. Keys carry the generation and the due time, so re-arming for the same due time
    is a no-op (the timers already armed, or fired, are kept); timers for another due time are cancelled."""
    opens, apology = lead_times(dossier)
    wanted = [(TimerKind.APOLOGY_DEADLINE, apology), (TimerKind.STATUTORY_DUE, dossier.due_at)]
    if opens is not None:
        wanted.insert(0, (TimerKind.EXPLANATION_OPENS, opens))
    armed = [arm_timer(dossier, kind, due, key=_key(dossier, kind, due)) for kind, due in wanted]
    (Timer.objects.filter(dossier=dossier, kind__in=DUE_KINDS, status__in=PENDING)
     .exclude(pk__in=[t.pk for t in armed])
     .update(status=TimerStatus.CANCELLED, lease_owner="", lease_expires_at=None))
    # The due time moved later (a legal extension) before anyone explained: an explanation item opened for the old
    # due time is premature now; it opens again when the new warning fires.
    if opens is not None and opens > now and not _clock_explanations(dossier).exists():
        _cancel_items(dossier, WorkItemKind.EXPLAIN_DELAY, now, why="due_moved")
    return armed


def on_step_assigned(dossier, item, now):
    if item.kind == WorkItemKind.STEP and item.due_at is not None:
        arm_timer(dossier, TimerKind.STEP_OVERRUN, item.due_at, key=f"d{dossier.pk}:step:{item.pk}", work_item=item,
                  element_id=item.bpmn_id)


def on_step_closed(dossier, item, now):
    cancel_timers(dossier, work_item=item)


def on_dossier_finished(dossier, now):
    """The clock stops for good: pending timers are cancelled, explanation and escalation items disappear. A dossier
    processed (or refused) after its statutory due time with the clock running is judged here too, by the due time,
    whether or not the STATUTORY_DUE timer got to run (workers down): no apology filed by the due time → flagged
    late without explanation, and the unit and official holding it at the due time are recorded. The caller saves
    the dossier (flags, late_unit, late_official)."""
    if (dossier.status in (DossierStatus.PROCESSED, DossierStatus.STOPPED) and dossier.clock_paused_at is None
            and now > dossier.due_at):
        _add_flag(dossier, DossierFlag.LATE)
        if not _clock_explanations(dossier).filter(filed_at__lte=dossier.due_at).exists():
            _add_flag(dossier, DossierFlag.LATE_WITHOUT_EXPLANATION)
        if dossier.late_unit_id is None:
            dossier.late_unit, officials = holder_at(dossier, dossier.due_at)
            dossier.late_official = officials[0] if officials else None
    cancel_timers(dossier)
    items = dossier.work_items.filter(status=WorkItemStatus.OPEN)
    for item in items:
        item.status = WorkItemStatus.CANCELLED
        item.completed_at = now
        item.save(update_fields=["status", "completed_at"])


# ---------------------------------------------------------------------------------------------------------------
# helpers


def _iso(dt):
    return dt.astimezone(VN_TZ).isoformat() if dt is not None else None


def _save(dossier, fields):
    dossier.revision = F("revision") + 1
    dossier.save(update_fields=sorted({*fields, "revision"}))
    dossier.refresh_from_db(fields=["revision"])


save_dossier = _save


def _add_flag(dossier, flag):
    if flag in dossier.flags:
        return False
    dossier.flags = [*dossier.flags, str(flag)]
    return True


def clock_running(dossier):
    """Open, and not waiting for the citizen's documents (the clock stops then)."""
    return (dossier.status in OPEN_STATUSES and dossier.status != DossierStatus.SUPPLEMENT_REQUESTED
            and dossier.clock_paused_at is None)


def _current_clock(dossier, timer):
    return clock_running(dossier) and timer.generation == dossier.clock_generation


def _clock_explanations(dossier):
    """Explanations filed for the current run of the clock (a restart from zero starts afresh)."""
    started = dossier.clock_started_at or dossier.received_at
    return Explanation.objects.filter(dossier=dossier, filed_at__gte=started)


def open_steps(dossier):
    return list(dossier.work_items.filter(kind=WorkItemKind.STEP, status=WorkItemStatus.OPEN)
                .select_related("unit", "claimed_by").order_by("given_at", "id"))


def current_holder(dossier):
    """(unit, officials) holding the dossier now: the unit of the earliest open step and whoever claimed the open
    steps of that unit; the receiving unit and nobody when no step is open (e.g. waiting on a diagram's timer)."""
    steps = open_steps(dossier)
    if not steps:
        return dossier.receiving_unit, []
    unit = steps[0].unit
    officials = []
    for step in steps:
        if step.unit_id == unit.pk and step.claimed_by is not None and step.claimed_by not in officials:
            officials.append(step.claimed_by)
    return unit, officials


def holder_at(dossier, at):
    """(unit, officials) holding the dossier at instant `at`, from the hand-overs (step items given by then and not
    yet closed); as current_holder when none was."""
    steps = [s for s in dossier.work_items.filter(kind=WorkItemKind.STEP, given_at__lte=at)
             .select_related("unit", "claimed_by", "completed_by").order_by("given_at", "id")
             if s.completed_at is None or s.completed_at > at]
    if not steps:
        return current_holder(dossier)
    unit = steps[0].unit
    officials = []
    for step in steps:
        user = step.completed_by if step.status == WorkItemStatus.COMPLETED else step.claimed_by
        if step.unit_id == unit.pk and user is not None and user not in officials:
            officials.append(user)
    return unit, officials


def _members(unit, role):
    return [m.user for m in Membership.objects.filter(unit=unit, role=role, user__is_active=True)
            .select_related("user").order_by("user_id")]


def unit_leaders(unit):
    """The unit's leaders; a unit without one answers to its parent's."""
    leaders = _members(unit, Role.UNIT_LEADER)
    if not leaders and unit.parent_id:
        leaders = _members(unit.parent, Role.UNIT_LEADER)
    return leaders


def _unique(users):
    seen, out = set(), []
    for user in users:
        if user is not None and user.pk not in seen:
            seen.add(user.pk)
            out.append(user)
    return out


def _notify_all(users, subject, body, *, dossier, key):
    for user in _unique(users):
        notify_user(user, subject, body, dossier=dossier, key=key)


def _cancel_items(dossier, kind, now, *, why):
    items = list(dossier.work_items.filter(kind=kind, status=WorkItemStatus.OPEN))
    for item in items:
        item.status = WorkItemStatus.CANCELLED
        item.completed_at = now
        item.save(update_fields=["status", "completed_at"])
        record_event("clock_item_cancelled", dossier=dossier, engine_task_id=item.engine_task_id,
                     after={"task": item.pk, "kind": kind, "why": why})
    return items


def _open_explain_item(dossier, unit, *, due_at, now, why):
    """The "explain delay" work item for the leader of the unit holding the dossier (kind explain_delay)."""
    sequence = dossier.work_items.filter(kind=WorkItemKind.EXPLAIN_DELAY).count() + 1
    item = WorkItem.objects.create(
        kind=WorkItemKind.EXPLAIN_DELAY, dossier=dossier, engine_task_id=f"explain:{dossier.pk}:{sequence}",
        bpmn_id="explain_delay", name=EXPLAIN_NAME, lane=CLOCK_LANE, role=Role.UNIT_LEADER, unit=unit, given_at=now,
        due_at=due_at,
    )
    DossierParticipant.objects.get_or_create(dossier=dossier, unit=unit)
    record_event("explanation_opened", dossier=dossier, engine_task_id=item.engine_task_id,
                 after={"task": item.pk, "unit": unit.code, "role": Role.UNIT_LEADER, "due_at": _iso(due_at),
                        "why": why, "sequence": sequence})
    return item


def _open_escalation(dossier, now):
    """The escalation work item for the signing leader of the receiving unit; one per run of the clock."""
    task_id = f"escalate:{dossier.pk}:{dossier.clock_generation}"
    existing = dossier.work_items.filter(engine_task_id=task_id).first()
    if existing is not None:
        return existing
    item = WorkItem.objects.create(
        kind=WorkItemKind.ESCALATION, dossier=dossier, engine_task_id=task_id, bpmn_id="escalation",
        name=ESCALATION_NAME, lane=CLOCK_LANE, role=Role.SIGNING_LEADER, unit=dossier.receiving_unit, given_at=now,
    )
    record_event("escalated", dossier=dossier, engine_task_id=task_id,
                 after={"task": item.pk, "unit": dossier.receiving_unit.code, "role": Role.SIGNING_LEADER,
                        "late_unit": dossier.late_unit.code if dossier.late_unit_id else None,
                        "late_official": dossier.late_official.username if dossier.late_official_id else None})
    return item


def throw_if_waiting(dossier, name, now, payload=None):
    """Throws signal `name` into the dossier's workflow only when the workflow waits for it (sending one that
    nothing waits for raises in the engine). Returns True when thrown. Engine errors propagate (EngineError)."""
    from .dossiers import _save_engine_state, load_instance, sync_work_items

    if not dossier.workflow_state or dossier.status not in OPEN_STATUSES:
        return False
    instance = load_instance(dossier)
    if not any(e.name == name and e.event_type == "SignalEventDefinition" for e in instance.waiting_events()):
        return False
    instance.send_signal(name, payload)
    record_event("signal_thrown", dossier=dossier, after={"signal": name, "payload": payload})
    sync_work_items(dossier, instance, now, SYSTEM)
    _save_engine_state(dossier, instance, now)
    return True


def _throw_in_action(dossier, name, now, payload=None):
    """As throw_if_waiting, inside an official's action: an engine error is a 400 naming the element."""
    from .dossiers import _engine_error

    try:
        return throw_if_waiting(dossier, name, now, payload)
    except EngineError as exc:
        raise _engine_error(exc) from exc


def propose_appointment(dossier, now=None):
    """The calendar's proposal for a new appointment: after the statutory due time (and after the current
    appointment and now, whichever is latest), plus the allocation still left to the open steps — at least one
    working day of the receiving unit."""
    now = now or clock.now()
    calendar = calendar_for_unit(dossier.receiving_unit)
    base = max(dossier.due_at, dossier.appointment_at or dossier.due_at, now)
    remaining = Decimal(0)
    for step in open_steps(dossier):
        if step.allocation_hours is None:
            continue
        used = calendar_for_unit(step.unit).office_hours_between(step.given_at, now)
        remaining = max(remaining, Decimal(step.allocation_hours) - max(used, Decimal(0)))
    return calendar.add_office_hours(base, max(remaining, calendar.hours_per_day))


# ---------------------------------------------------------------------------------------------------------------
# timer handlers


def _warning_text(dossier, unit, apology, proposal):
    steps = open_steps(dossier)
    step_names = "; ".join(f"{s.name} ({s.unit.name})" for s in steps) or "—"
    subject = f"Hồ sơ {dossier.code} sắp đến hạn giải quyết ({forms.fmt_datetime(dossier.due_at)})"
    body = (
        f"Hồ sơ {dossier.code} — {dossier.procedure.name}\n"
        f"Tiếp nhận: {forms.fmt_datetime(dossier.received_at)}\n"
        f"Hạn giải quyết theo quy định: {forms.fmt_datetime(dossier.due_at)}\n"
        f"Đang xử lý tại: {unit.name} — {step_names}\n\n"
        f"Nếu không thể trả kết quả đúng hạn, lãnh đạo {unit.name} giải trình và gửi phiếu xin lỗi, hẹn lại ngày trả "
        f"kết quả (mẫu 04) chậm nhất {forms.fmt_datetime(apology)} (khoản 9 Điều 19 Nghị định 61/2018/NĐ-CP). "
        f"Ngày hẹn lại đề xuất: {forms.fmt_datetime(proposal)}.\n"
    )
    return subject, body


@register(TimerKind.EXPLANATION_OPENS)
def fire_explanation_opens(dossier, timer, now):
    """Due soon: the holder of the current step and the unit's leaders are warned, and the leader gets an "explain
    delay" item due at the apology deadline (it disappears if the dossier finishes in time)."""
    if not _current_clock(dossier, timer):
        return True
    if (dossier.work_items.filter(kind=WorkItemKind.EXPLAIN_DELAY, status=WorkItemStatus.OPEN).exists()
            or _clock_explanations(dossier).exists()):
        return True
    _, apology = lead_times(dossier)
    unit, holders = current_holder(dossier)
    leaders = unit_leaders(unit)
    item = _open_explain_item(dossier, unit, due_at=apology, now=now, why="due_soon")
    subject, body = _warning_text(dossier, unit, apology, propose_appointment(dossier, now))
    _notify_all([*holders, *leaders], subject, body, dossier=dossier, key=f"warn:t{timer.pk}")
    record_event("deadline_warning", dossier=dossier,
                 after={"timer": timer.pk, "due_at": _iso(dossier.due_at), "apology_deadline": _iso(apology),
                        "unit": unit.code, "holders": [u.username for u in holders],
                        "leaders": [u.username for u in leaders], "task": item.pk})
    throw_if_waiting(dossier, "deadline_warning", now, {"due_at": _iso(dossier.due_at)})
    return True


@register(TimerKind.APOLOGY_DEADLINE)
def fire_apology_deadline(dossier, timer, now):
    """The law's limit for the apology (1 working day before the due time) passed with the explanation item still
    open: recorded, and the leaders reminded. Filing later is still possible, flagged apology_filed_late."""
    if not _current_clock(dossier, timer):
        return True
    explained = _clock_explanations(dossier).filter(filed_at__lte=timer.due_at).exists()
    pending = list(dossier.work_items.filter(kind=WorkItemKind.EXPLAIN_DELAY, status=WorkItemStatus.OPEN)
                   .select_related("unit"))
    if explained or not pending:
        return True
    leaders = _unique([u for item in pending for u in unit_leaders(item.unit)])
    subject = f"Hồ sơ {dossier.code}: đã quá hạn gửi phiếu xin lỗi (mẫu 04)"
    body = (f"Hồ sơ {dossier.code} — {dossier.procedure.name}: chưa có giải trình, phiếu xin lỗi và hẹn lại ngày trả "
            f"kết quả, hạn chậm nhất là {forms.fmt_datetime(timer.due_at)}. Hạn giải quyết theo quy định: "
            f"{forms.fmt_datetime(dossier.due_at)}. Phiếu gửi sau thời điểm này bị ghi nhận là xin lỗi muộn.\n")
    _notify_all(leaders, subject, body, dossier=dossier, key=f"apology:t{timer.pk}")
    record_event("apology_deadline_passed", dossier=dossier,
                 after={"timer": timer.pk, "apology_deadline": _iso(timer.due_at),
                        "tasks": [item.pk for item in pending]})
    return True


@register(TimerKind.STATUTORY_DUE)
def fire_statutory_due(dossier, timer, now):
    """The statutory due time passed with the dossier open: late. Without an apology filed by the due time: flagged
    late without explanation, an escalation item for the receiving unit's signing leader, the unit and official
    holding the dossier recorded; the apology is still owed, so an explanation item stays (or is) open."""
    if not _current_clock(dossier, timer) or timer.due_at != dossier.due_at:
        return True  # finished, paused, restarted or moved since: nothing is late at this time
    due = dossier.due_at
    before = {"flags": list(dossier.flags), "late_unit": dossier.late_unit.code if dossier.late_unit_id else None}
    unit, holders = holder_at(dossier, due)  # who held it at the due time, even if the timer runs late
    fields = ["flags"]
    _add_flag(dossier, DossierFlag.LATE)
    if dossier.late_unit_id is None:
        dossier.late_unit = unit
        dossier.late_official = holders[0] if holders else None
        fields += ["late_unit", "late_official"]
    explained = _clock_explanations(dossier).filter(filed_at__lte=due).exists()
    if not explained:
        _add_flag(dossier, DossierFlag.LATE_WITHOUT_EXPLANATION)
    _save(dossier, fields)
    leaders = unit_leaders(unit)
    subject = f"Hồ sơ {dossier.code} đã quá hạn giải quyết ({forms.fmt_datetime(due)})"
    body = (f"Hồ sơ {dossier.code} — {dossier.procedure.name} đã quá hạn giải quyết theo quy định "
            f"({forms.fmt_datetime(due)}) khi đang xử lý tại {unit.name}.\n")
    escalation = None
    if not explained:
        escalation = _open_escalation(dossier, now)
        if not (dossier.work_items.filter(kind=WorkItemKind.EXPLAIN_DELAY, status=WorkItemStatus.OPEN).exists()
                or _clock_explanations(dossier).exists()):
            _open_explain_item(dossier, unit, due_at=due, now=now, why="due_passed")
        body += "Chưa có giải trình, phiếu xin lỗi và hẹn lại ngày trả kết quả (mẫu 04).\n"
        signers = _members(dossier.receiving_unit, Role.SIGNING_LEADER)
        _notify_all(signers, f"Hồ sơ {dossier.code} quá hạn chưa có giải trình", body, dossier=dossier,
                    key=f"escalate:t{timer.pk}")
    _notify_all([*holders, *leaders], subject, body, dossier=dossier, key=f"late:t{timer.pk}")
    record_event("deadline_passed", dossier=dossier, before=before,
                 after={"timer": timer.pk, "due_at": _iso(due), "flags": list(dossier.flags), "explained": explained,
                        "late_unit": dossier.late_unit.code if dossier.late_unit_id else None,
                        "late_official": dossier.late_official.username if dossier.late_official_id else None,
                        "escalation": escalation.pk if escalation else None})
    throw_if_waiting(dossier, "deadline_passed", now, {"due_at": _iso(due)})
    return True


@register(TimerKind.APPOINTMENT_DUE)
def fire_appointment_due(dossier, timer, now):
    """The new appointment passed too with the dossier open: a second explanation is required (another explain
    item); filing it with yet another appointment flags reappointed_more_than_once."""
    if not _current_clock(dossier, timer) or dossier.appointment_at != timer.due_at:
        return True
    if dossier.work_items.filter(kind=WorkItemKind.EXPLAIN_DELAY, status=WorkItemStatus.OPEN).exists():
        return True
    unit, holders = current_holder(dossier)
    leaders = unit_leaders(unit)
    item = _open_explain_item(dossier, unit, due_at=timer.due_at, now=now, why="appointment_passed")
    subject = f"Hồ sơ {dossier.code} đã quá ngày hẹn lại ({forms.fmt_datetime(timer.due_at)})"
    body = (f"Hồ sơ {dossier.code} — {dossier.procedure.name} vẫn chưa có kết quả tại ngày hẹn lại "
            f"{forms.fmt_datetime(timer.due_at)} (hạn giải quyết theo quy định: {forms.fmt_datetime(dossier.due_at)})."
            f" Ngày trả kết quả chỉ được hẹn lại một lần; cần giải trình lần nữa và gửi phiếu xin lỗi.\n")
    _notify_all([*holders, *leaders, *_members(dossier.receiving_unit, Role.SIGNING_LEADER)], subject, body,
                dossier=dossier, key=f"appointment:t{timer.pk}")
    record_event("appointment_passed", dossier=dossier,
                 after={"timer": timer.pk, "appointment_at": _iso(timer.due_at), "task": item.pk, "unit": unit.code})
    return True


@register(TimerKind.STEP_OVERRUN)
def fire_step_overrun(dossier, timer, now):
    """A step still open past its allocation (form 05): its holder and the unit's leaders are warned, once."""
    item = timer.work_item
    if item is None or item.status != WorkItemStatus.OPEN or dossier.status not in OPEN_STATUSES:
        return True
    subject = f"Hồ sơ {dossier.code}: bước '{item.name}' đã quá thời gian được giao"
    body = (f"Bước '{item.name}' của hồ sơ {dossier.code} — {dossier.procedure.name}, giao cho {item.unit.name} lúc "
            f"{forms.fmt_datetime(item.given_at)}, hạn của bước {forms.fmt_datetime(item.due_at)}, vẫn chưa "
            f"hoàn thành. Hạn giải quyết hồ sơ: {forms.fmt_datetime(dossier.due_at)}.\n")
    _notify_all([item.claimed_by, *unit_leaders(item.unit)], subject, body, dossier=dossier,
                key=f"overrun:w{item.pk}")
    record_event("step_overrun", dossier=dossier, engine_task_id=item.engine_task_id,
                 after={"task": item.pk, "step": item.bpmn_id, "unit": item.unit.code, "due_at": _iso(item.due_at),
                        "claimed_by": item.claimed_by.username if item.claimed_by_id else None})
    return True


# ---------------------------------------------------------------------------------------------------------------
# input


def clean_text(value, field, *, what="nội dung", limit=MAX_TEXT, required=True):
    """A free-text input of a service, stripped; InvalidInput naming `field` when missing (if required), not a string
    or longer than `limit`. Shared by the statutory clock and the reception desk."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"{what} phải là chuỗi", field=field)
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"cần nêu {what}", field=field)
    if len(value) > limit:
        raise InvalidInput(f"{what} dài quá {limit} ký tự", field=field)
    return value


def clean_supplement_items(items):
    if not isinstance(items, list) or not items:
        raise InvalidInput("cần liệt kê giấy tờ cần bổ sung, hoàn thiện", field="items")
    if len(items) > MAX_ITEMS:
        raise InvalidInput(f"tối đa {MAX_ITEMS} giấy tờ", field="items")
    cleaned = []
    for i, item in enumerate(items):
        where = f"items[{i}]"
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict):
            raise InvalidInput("mỗi giấy tờ là một đối tượng {name, kind, quantity}", field=where)
        name = clean_text(item.get("name"), f"{where}.name", what="tên giấy tờ", limit=300)
        kind = item.get("kind") or SUPPLEMENT_KINDS[0]
        if kind not in SUPPLEMENT_KINDS:
            raise InvalidInput(f"loại bản phải là một trong: {', '.join(SUPPLEMENT_KINDS)}", field=f"{where}.kind")
        quantity = item.get("quantity", 1)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 99:
            raise InvalidInput("số lượng là số nguyên từ 1 đến 99", field=f"{where}.quantity")
        note = item.get("note") or ""
        if not isinstance(note, str) or len(note) > 300:
            raise InvalidInput("ghi chú dài quá 300 ký tự", field=f"{where}.note")
        cleaned.append({"name": name, "kind": kind, "quantity": quantity, "note": note.strip()})
    return cleaned


def clean_reasons(reasons):
    if isinstance(reasons, str):
        reasons = [reasons]
    if not isinstance(reasons, list) or not reasons:
        raise InvalidInput("cần nêu lý do", field="reasons")
    if len(reasons) > MAX_REASONS:
        raise InvalidInput(f"tối đa {MAX_REASONS} lý do", field="reasons")
    return [clean_text(r, f"reasons[{i}]", what="lý do") for i, r in enumerate(reasons)]


def _clean_datetime(value, field):
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidInput("thời điểm phải theo ISO 8601, vd. 2026-12-31T09:00:00+07:00", field=field) from None
    if not isinstance(value, datetime):
        raise InvalidInput("thời điểm phải theo ISO 8601", field=field)
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=VN_TZ)
    if not 1990 <= value.year <= 2200 or abs(value.utcoffset()) > timedelta(hours=14):
        raise InvalidInput("thời điểm ngoài khoảng cho phép", field=field)
    return value


# ---------------------------------------------------------------------------------------------------------------
# who may act


def _lock_dossier(code):
    if not isinstance(code, str) or not code:
        raise NotFound("không có hồ sơ này", field="code")
    dossier = Dossier.objects.select_for_update(of=("self",)).select_related(
        "procedure", "receiving_unit", "version", "applicant").filter(code=code).first()
    if dossier is None:
        raise NotFound(f"không có hồ sơ {code}", field="code")
    return dossier


def _roles_of(user):
    """(unit, role) pairs the official holds today: memberships and active substitutions."""
    from ..selectors import active_substitutions

    held = set(Membership.objects.filter(user=user).values_list("unit_id", "role"))
    return held | set(active_substitutions().filter(substitute=user).values_list("unit_id", "role"))


def _context_holding_step(dossier, actor, receiving_roles, what, *, any_role_at_step_unit):
    """(role, unit) in which the actor acts: as holder of an open step of the dossier (its role at that unit, or
    any role at that unit), else in one of receiving_roles at the receiving unit. NotAllowed otherwise."""
    if actor.user is None:
        return "", dossier.receiving_unit
    roles = _roles_of(actor.user)
    for step in open_steps(dossier):
        if step.claimed_by_id == actor.user.pk or (step.unit_id, step.role) in roles:
            return step.role, step.unit
        if any_role_at_step_unit:
            for unit_id, role in sorted(roles):
                if unit_id == step.unit_id:
                    return role, step.unit
    for role in receiving_roles:
        if (dossier.receiving_unit_id, role) in roles:
            return role, dossier.receiving_unit
    raise NotAllowed(f"bạn không xử lý bước nào của hồ sơ {dossier.code} và không có vai trò phù hợp tại "
                     f"{dossier.receiving_unit.name} để {what}")


def _require_administrative(dossier, what):
    """Forms 02 and 03 belong to the one-stop procedures (Decree 61/2018); a complaint, denunciation or petition asks
    for information and declines through the steps of its own law (processes/services/case_clock.py)."""
    if dossier.procedure.kind != CaseKind.ADMINISTRATIVE:
        raise Conflict(f"không {what} được với {dossier.procedure.get_kind_display().lower()}: dùng các bước của "
                       f"quy trình xử lý đơn", field="code")


def _require_state(dossier, statuses, what):
    if dossier.status not in statuses:
        raise Conflict(f"hồ sơ đang ở trạng thái '{DossierStatus(dossier.status).label}', không thể {what}",
                       field="status")


# ---------------------------------------------------------------------------------------------------------------
# explanation and apology (form 04)


def _lock_explain_item(item_id):
    from .dossiers import _lock_item

    dossier, item = _lock_item(item_id)
    if item.kind != WorkItemKind.EXPLAIN_DELAY:
        raise InvalidInput("đây không phải việc giải trình chậm trễ", field="task")
    return dossier, item


def _explain_context(dossier, item, actor):
    from .dossiers import has_role

    if actor.user is None:
        return Role.UNIT_LEADER, item.unit
    if has_role(actor.user, item.unit, Role.UNIT_LEADER):
        return Role.UNIT_LEADER, item.unit
    if item.unit.parent_id and has_role(actor.user, item.unit.parent, Role.UNIT_LEADER):
        return Role.UNIT_LEADER, item.unit.parent
    if has_role(actor.user, dossier.receiving_unit, Role.SIGNING_LEADER):
        return Role.SIGNING_LEADER, dossier.receiving_unit
    raise NotAllowed(f"chỉ lãnh đạo {item.unit.name} hoặc lãnh đạo ký duyệt của {dossier.receiving_unit.name} mới "
                     f"giải trình và xin lỗi được")


def explanation_draft(item_id, actor=SYSTEM):
    """What the leader needs to file: the statutory due time, the apology deadline, the current appointment and the
    calendar's proposal."""
    item = WorkItem.objects.select_related("dossier", "dossier__receiving_unit", "unit").filter(pk=item_id).first()
    if item is None:
        raise NotFound("không có bước xử lý này", field="task")
    if item.kind != WorkItemKind.EXPLAIN_DELAY:
        raise InvalidInput("đây không phải việc giải trình chậm trễ", field="task")
    dossier = item.dossier
    return {
        "task": item.pk, "dossier": dossier.code, "status": item.status, "unit": item.unit.code,
        "due_at": dossier.due_at, "apology_deadline": item.due_at, "appointment_at": dossier.appointment_at,
        "proposed_appointment": propose_appointment(dossier),
    }


@transaction.atomic
def file_explanation(item_id, actor, reason, new_appointment):
    """The leader of the unit that is late files the explanation: the apology letter (form 04) with a new appointment,
    recorded beside the statutory due time (which never changes); the citizen and the one-stop desk are notified; an
    APPOINTMENT_DUE timer is armed at the new appointment. Filed after the apology deadline → flagged; a second
    explanation in the same run of the clock (the appointment passed too) → reappointed_more_than_once."""
    reason = clean_text(reason, "reason", what="lý do chậm trễ")
    new_appointment = _clean_datetime(new_appointment, "new_appointment")
    dossier, item = _lock_explain_item(item_id)
    from .dossiers import _require_open, step_result

    _require_open(item)
    role, unit = _explain_context(dossier, item, actor)
    actor = actor.with_context(role, unit)
    now = clock.now()
    floor = max(dossier.due_at, dossier.appointment_at or dossier.due_at)
    if new_appointment <= floor:
        which = "ngày hẹn lại trước đó" if dossier.appointment_at and dossier.appointment_at > dossier.due_at \
            else "thời hạn giải quyết theo quy định"
        raise InvalidInput(f"ngày hẹn mới phải sau {which} ({forms.fmt_datetime(floor)})", field="new_appointment")
    if new_appointment <= now:
        raise InvalidInput("ngày hẹn mới phải ở tương lai", field="new_appointment")
    if new_appointment > now + MAX_APPOINTMENT_AHEAD:
        raise InvalidInput("ngày hẹn mới quá xa (tối đa một năm)", field="new_appointment")

    before = {"appointment_at": _iso(dossier.appointment_at), "reappointments": dossier.reappointments,
              "flags": list(dossier.flags)}
    sequence = dossier.explanations.count() + 1
    earlier = _clock_explanations(dossier).count()
    apology_deadline = item.due_at or lead_times(dossier)[1]
    filed_late = now > apology_deadline
    if filed_late:
        _add_flag(dossier, DossierFlag.APOLOGY_FILED_LATE)
    if earlier >= 1:
        _add_flag(dossier, DossierFlag.REAPPOINTED_MORE_THAN_ONCE)
    from ..selectors import substitution_for

    standing_in = substitution_for(actor.user, unit, role) if actor.user is not None else None
    acting_for = standing_in.absent if standing_in is not None else None  # the letter says "KT." and for whom
    letter = forms.form_04(dossier, sequence=sequence, reason=reason, new_appointment=new_appointment,
                           filed_by=actor.user, unit=item.unit, filed_at=now, acting_for=acting_for)
    explanation = Explanation.objects.create(
        dossier=dossier, sequence=sequence, reason=reason, new_appointment=new_appointment, filed_by=actor.user,
        unit=item.unit, filed_at=now, apology_deadline=apology_deadline, filed_late=filed_late, letter=letter.text,
    )
    item.status = WorkItemStatus.COMPLETED
    item.completed_at = now
    item.completed_by = actor.user
    item.completed_for = acting_for
    if item.claimed_by_id is None:
        item.claimed_by, item.claimed_at = actor.user, now
    item.result = step_result(now, item.due_at)
    item.save()
    dossier.appointment_at = new_appointment
    dossier.reappointments += 1
    _save(dossier, ["appointment_at", "reappointments", "flags"])
    cancel_timers(dossier, kinds=[TimerKind.APPOINTMENT_DUE])
    arm_timer(dossier, TimerKind.APPOINTMENT_DUE, new_appointment,
              key=f"d{dossier.pk}:g{dossier.clock_generation}:{TimerKind.APPOINTMENT_DUE}:e{explanation.pk}")
    notify_citizen(dossier, f"Phiếu xin lỗi và hẹn lại ngày trả kết quả — hồ sơ {dossier.code}", letter.text,
                   key=f"apology:e{explanation.pk}", sms=forms.sms_04(dossier, new_appointment))
    desk = _members(dossier.receiving_unit, Role.RECEPTION)
    _notify_all(desk, f"Hồ sơ {dossier.code} hẹn lại ngày trả kết quả: {forms.fmt_datetime(new_appointment)}",
                f"{item.unit.name} đã giải trình, xin lỗi và hẹn lại ngày trả kết quả hồ sơ {dossier.code} vào "
                f"{forms.fmt_datetime(new_appointment)} (hạn theo quy định: {forms.fmt_datetime(dossier.due_at)}).\n"
                f"Lý do: {reason}\n", dossier=dossier, key=f"apology-desk:e{explanation.pk}")
    record_event("explanation_filed", actor=actor, dossier=dossier, engine_task_id=item.engine_task_id, before=before,
                 after={"explanation": explanation.pk, "sequence": sequence, "reason": reason,
                        "appointment_at": _iso(new_appointment), "due_at": _iso(dossier.due_at),
                        "apology_deadline": _iso(apology_deadline), "filed_late": filed_late,
                        "reappointments": dossier.reappointments, "flags": list(dossier.flags),
                        **({"acting_for": acting_for.username} if acting_for is not None else {})})
    return Outcome(dossier, explanation, letter)


# ---------------------------------------------------------------------------------------------------------------
# supplementation (form 02): the clock stops, then restarts from zero (Decree 61/2018 Art. 19.4)


@transaction.atomic
def request_supplementation(code, actor, items, reason):
    """An official holding an open step (or the receiving unit's reception or specialist) asks the citizen for
    documents: status supplement_requested (portal 5), the statutory clock stops (its timers are cancelled), form 02
    goes to the citizen. A second request in the life of the dossier is flagged supplemented_twice.

    Step allocations are left running: the step clock is internal (form 05 judges the hand-over as it happened),
    so a step that waited on the citizen may show as late on the control sheet while the dossier is not."""
    items = clean_supplement_items(items)
    reason = clean_text(reason, "reason", what="lý do yêu cầu bổ sung")
    dossier = _lock_dossier(code)
    _require_state(dossier, (DossierStatus.RECEIVED, DossierStatus.PROCESSING), "yêu cầu bổ sung")
    _require_administrative(dossier, "yêu cầu bổ sung (mẫu 02)")
    role, unit = _context_holding_step(dossier, actor, (Role.RECEPTION, Role.SPECIALIST), "yêu cầu bổ sung hồ sơ",
                                       any_role_at_step_unit=False)
    actor = actor.with_context(role, unit)
    now = clock.now()
    before = {"status": dossier.status, "due_at": _iso(dossier.due_at), "flags": list(dossier.flags),
              "clock_generation": dossier.clock_generation}
    sequence = dossier.supplementations.count() + 1
    if sequence >= 2:
        _add_flag(dossier, DossierFlag.SUPPLEMENTED_TWICE)
    requested_by = actor.user or dossier.received_by
    if requested_by is None:
        raise NotAllowed("cần một cán bộ yêu cầu bổ sung")
    supplementation = Supplementation.objects.create(
        dossier=dossier, sequence=sequence, items=items, reason=reason, requested_by=requested_by, requested_at=now,
        previous_due_at=dossier.due_at,
    )
    dossier.status = DossierStatus.SUPPLEMENT_REQUESTED
    dossier.clock_paused_at = now
    _save(dossier, ["status", "clock_paused_at", "flags"])
    cancelled = cancel_timers(dossier, kinds=CLOCK_KINDS)
    if now <= dossier.due_at:  # the looming lateness is gone: the clock will restart from zero
        _cancel_items(dossier, WorkItemKind.EXPLAIN_DELAY, now, why="supplement_requested")
    form = forms.form_02(dossier, supplementation, requested_by=actor.user)
    notify_citizen(dossier, f"Yêu cầu bổ sung, hoàn thiện hồ sơ {dossier.code}", form.text,
                   key=f"supplement:s{supplementation.pk}",
                   sms=f"Hồ sơ {dossier.code}: {dossier.receiving_unit.name} yêu cầu bổ sung giấy tờ "
                       f"({'; '.join(i['name'] for i in items)})"[:300])
    record_event("supplement_requested", actor=actor, dossier=dossier, before=before,
                 after={"status": dossier.status, "sequence": sequence, "items": items, "reason": reason,
                        "paused_at": _iso(now), "timers_cancelled": cancelled, "flags": list(dossier.flags)})
    _throw_in_action(dossier, "supplement_requested", now, {"sequence": sequence})
    return Outcome(dossier, supplementation, form)


@transaction.atomic
def receive_supplementation(code, actor):
    """The one-stop desk receives the documents: the clock restarts from zero with a new statutory due time counted
    from now (plus any legal extension already applied), a new clock generation, its timers re-armed; the earlier
    appointment (set for the old due time) no longer applies. Waiting time is excluded by construction."""
    dossier = _lock_dossier(code)
    if actor.user is not None:
        from .dossiers import _require_role

        _require_role(actor, dossier.receiving_unit, Role.RECEPTION, "nhận hồ sơ bổ sung")
    actor = actor.with_context(Role.RECEPTION, dossier.receiving_unit)
    _require_state(dossier, (DossierStatus.SUPPLEMENT_REQUESTED,), "nhận hồ sơ bổ sung")
    now = clock.now()
    supplementation = dossier.supplementations.filter(supplied_at__isnull=True).order_by("-sequence").first()
    before = {"status": dossier.status, "due_at": _iso(dossier.due_at), "clock_generation": dossier.clock_generation,
              "clock_started_at": _iso(dossier.clock_started_at), "clock_paused_at": _iso(dossier.clock_paused_at),
              "appointment_at": _iso(dossier.appointment_at)}
    from .case_clock import current_limit

    procedure = dossier.procedure
    calendar = calendar_for_unit(dossier.receiving_unit)
    due = statutory_due_at(calendar, now, *current_limit(dossier))
    if dossier.legal_extension_days:
        due = calendar.add_office_hours(due, Decimal(dossier.legal_extension_days) * calendar.hours_per_day)
    dossier.due_at = due
    dossier.clock_generation += 1
    dossier.clock_started_at = now
    dossier.clock_paused_at = None
    dossier.appointment_at = None
    dossier.status = DossierStatus.PROCESSING
    _save(dossier, ["due_at", "clock_generation", "clock_started_at", "clock_paused_at", "appointment_at", "status"])
    arm_statutory_clock(dossier, now)
    if supplementation is not None:
        supplementation.supplied_at = now
        supplementation.supplied_by = actor.user
        supplementation.new_due_at = due
        supplementation.save(update_fields=["supplied_at", "supplied_by", "new_due_at"])
    notify_citizen(dossier, f"Hồ sơ {dossier.code} đã được bổ sung đầy đủ",
                   f"{dossier.receiving_unit.name} đã nhận đủ giấy tờ bổ sung của hồ sơ {dossier.code} — "
                   f"{procedure.name} lúc {forms.fmt_datetime(now)}. Thời hạn giải quyết được tính lại từ đầu; "
                   f"hẹn trả kết quả: {forms.fmt_long(due)}.\n",
                   key=f"supplied:d{dossier.pk}:g{dossier.clock_generation}",
                   sms=f"Hồ sơ {dossier.code} đã nhận đủ giấy tờ bổ sung; hẹn trả kết quả {forms.fmt_datetime(due)}.")
    record_event("supplement_received", actor=actor, dossier=dossier, before=before,
                 after={"status": dossier.status, "due_at": _iso(due), "clock_generation": dossier.clock_generation,
                        "clock_started_at": _iso(now),
                        "sequence": supplementation.sequence if supplementation else None})
    _throw_in_action(dossier, "documents_supplemented", now, {"due_at": _iso(due)})
    return Outcome(dossier, supplementation, None)


# ---------------------------------------------------------------------------------------------------------------
# refusal (form 03) and withdrawal


def _end(dossier, *, status, outcome, now):
    dossier.status = status
    dossier.outcome = outcome
    dossier.finished_at = now
    dossier.next_wakeup_at = None
    fields = ["status", "outcome", "finished_at", "next_wakeup_at", "flags", "late_unit", "late_official"]
    on_dossier_finished(dossier, now)
    return fields


@transaction.atomic
def refuse_dossier(code, actor, reasons):
    """Refusal with reasons (form 03) ends the dossier: status stopped (portal 8), outcome 'refused'; its timers and
    open items are cancelled; the citizen receives form 03. Refused after the statutory due time (with the clock
    running) it counts as late."""
    reasons = clean_reasons(reasons)
    dossier = _lock_dossier(code)
    _require_state(dossier, OPEN_STATUSES, "từ chối")
    _require_administrative(dossier, "từ chối (mẫu 03)")
    role, unit = _context_holding_step(dossier, actor, (Role.RECEPTION, Role.UNIT_LEADER, Role.SIGNING_LEADER),
                                       "từ chối giải quyết hồ sơ", any_role_at_step_unit=True)
    actor = actor.with_context(role, unit)
    now = clock.now()
    before = {"status": dossier.status, "flags": list(dossier.flags)}
    fields = _end(dossier, status=DossierStatus.STOPPED, outcome="refused", now=now)
    _save(dossier, fields)
    form = forms.form_03(dossier, reasons, refused_by=actor.user, refused_at=now, unit=unit)
    notify_citizen(dossier, f"Phiếu từ chối giải quyết hồ sơ {dossier.code}", form.text, key=f"refused:d{dossier.pk}",
                   sms=f"Hồ sơ {dossier.code}: {dossier.receiving_unit.name} từ chối giải quyết; "
                       f"lý do: {'; '.join(reasons)}"[:300])
    record_event("refused", actor=actor, dossier=dossier, before=before,
                 after={"status": dossier.status, "outcome": dossier.outcome, "reasons": reasons,
                        "finished_at": _iso(now), "flags": list(dossier.flags)})
    return Outcome(dossier, None, form)


@transaction.atomic
def withdraw_dossier(code, actor, reason):
    """Withdrawal at the citizen's request ends the dossier: status withdrawn (portal 7), outcome 'withdrawn'; its
    timers and open items are cancelled. A withdrawal is not judged on time or late."""
    reason = clean_text(reason, "reason", what="lý do rút hồ sơ")
    dossier = _lock_dossier(code)
    _require_state(dossier, OPEN_STATUSES, "rút hồ sơ")
    role, unit = _context_holding_step(dossier, actor, (Role.RECEPTION, Role.UNIT_LEADER, Role.SIGNING_LEADER),
                                       "ghi nhận rút hồ sơ", any_role_at_step_unit=True)
    actor = actor.with_context(role, unit)
    now = clock.now()
    before = {"status": dossier.status}
    fields = _end(dossier, status=DossierStatus.WITHDRAWN, outcome="withdrawn", now=now)
    _save(dossier, fields)
    notify_citizen(dossier, f"Xác nhận rút hồ sơ {dossier.code}",
                   f"{dossier.receiving_unit.name} xác nhận ông/bà đã rút hồ sơ {dossier.code} — "
                   f"{dossier.procedure.name} lúc {forms.fmt_datetime(now)}.\nLý do: {reason}\n",
                   key=f"withdrawn:d{dossier.pk}")
    record_event("withdrawn", actor=actor, dossier=dossier, before=before,
                 after={"status": dossier.status, "outcome": dossier.outcome, "reason": reason,
                        "finished_at": _iso(now)})
    return Outcome(dossier, None, None)
