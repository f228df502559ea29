"""The statutory clock of every dossier: it belongs to the platform, not to each diagram. Arming happens here; the
handlers of each timer kind, explanations, supplementation, refusal and withdrawal build on it."""
from datetime import datetime, timedelta
from decimal import Decimal

from engine.calendar import VN_TZ

from ..models import StatutoryUnit, TimerKind, WorkItemKind, WorkItemStatus
from .calendar import calendar_for_unit
from .timers import arm_timer, cancel_timers

CLOCK_KINDS = [TimerKind.EXPLANATION_OPENS, TimerKind.APOLOGY_DEADLINE, TimerKind.STATUTORY_DUE,
               TimerKind.APPOINTMENT_DUE]


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
    procedure = dossier.procedure
    calendar = calendar_for_unit(dossier.receiving_unit)
    limit = Decimal(procedure.statutory_limit) + Decimal(dossier.legal_extension_days)
    due = dossier.due_at
    hours = calendar.hours_per_day
    if procedure.statutory_unit == StatutoryUnit.SAME_DAY or limit == 0:
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
    zero and after a legal extension. Keys carry the due time, so re-arming for the same due time is a no-op."""
    cancel_timers(dossier, kinds=[TimerKind.EXPLANATION_OPENS, TimerKind.APOLOGY_DEADLINE, TimerKind.STATUTORY_DUE])
    opens, apology = lead_times(dossier)
    armed = []
    if opens is not None:
        armed.append(arm_timer(dossier, TimerKind.EXPLANATION_OPENS, opens,
                               key=_key(dossier, TimerKind.EXPLANATION_OPENS, opens)))
    armed.append(arm_timer(dossier, TimerKind.APOLOGY_DEADLINE, apology,
                           key=_key(dossier, TimerKind.APOLOGY_DEADLINE, apology)))
    armed.append(arm_timer(dossier, TimerKind.STATUTORY_DUE, dossier.due_at,
                           key=_key(dossier, TimerKind.STATUTORY_DUE, dossier.due_at)))
    return armed


def on_step_assigned(dossier, item, now):
    if item.kind == WorkItemKind.STEP and item.due_at is not None:
        arm_timer(dossier, TimerKind.STEP_OVERRUN, item.due_at, key=f"d{dossier.pk}:step:{item.pk}", work_item=item,
                  element_id=item.bpmn_id)


def on_step_closed(dossier, item, now):
    cancel_timers(dossier, work_item=item)


def on_dossier_finished(dossier, now):
    """The clock stops for good: pending timers are cancelled, explanation and escalation items disappear."""
    cancel_timers(dossier)
    items = dossier.work_items.filter(status=WorkItemStatus.OPEN)
    for item in items:
        item.status = WorkItemStatus.CANCELLED
        item.completed_at = now
        item.save(update_fields=["status", "completed_at"])
