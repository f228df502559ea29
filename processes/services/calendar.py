"""The working-day calendar as the database configures it: the holidays package, overrides, each unit's hours."""
import threading
from collections import OrderedDict
from datetime import time
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q

from engine.calendar import DEFAULT_OFFICE_HOURS, WorkCalendar

from ..models import AdministrativeUnit, CalendarOverride, StatutoryUnit
from .errors import InvalidInput, NotFound
from .events import SYSTEM, record_event


def _parse_hours(periods):
    try:
        parsed = tuple((time.fromisoformat(start), time.fromisoformat(end)) for start, end in periods)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"giờ làm việc không hợp lệ: {periods!r}", field="office_hours") from exc
    return parsed


def office_hours_for(unit):
    """A unit's own hours, else the nearest ancestor's, else the national default."""
    while unit is not None:
        if unit.office_hours:
            return _parse_hours(unit.office_hours)
        unit = unit.parent
    return DEFAULT_OFFICE_HOURS


# unit id (None: no unit) -> (calendar revision, WorkCalendar). A WorkCalendar is immutable once built and fills its
# per-year caches as it is used, so a cached one is also a warm one. Bounded: the oldest entry goes first.
_CALENDARS = OrderedDict()
_CALENDARS_MAX = 1024
_LOCK = threading.Lock()


def calendar_revision():
    """The number PostgreSQL bumps whenever overrides, office hours or the unit tree change (migration 0010)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT revision FROM processes_calendarrevision WHERE id = 1")
        row = cursor.fetchone()
        if row is None:  # the table was emptied (a test database flushed): start again from a fresh number
            cursor.execute("INSERT INTO processes_calendarrevision (id, revision) "
                           "VALUES (1, nextval('processes_calendar_revision_seq')) ON CONFLICT (id) DO NOTHING")
            cursor.execute("SELECT revision FROM processes_calendarrevision WHERE id = 1")
            row = cursor.fetchone()
    return row[0] if row else None


def calendar_for_unit(unit=None):
    """The calendar of `unit`: the all-units overrides, then those of its ancestors, then its own — the nearer wins
    (a district's day off is its departments' day off too), like office hours. Cached per unit and calendar revision:
    a change anywhere (a service, the admin site, SQL) is seen by the next call, in this transaction too."""
    revision = calendar_revision()
    key = unit.pk if unit is not None else None
    with _LOCK:
        hit = _CALENDARS.get(key)
        if hit is not None and revision is not None and hit[0] == revision:
            _CALENDARS.move_to_end(key)
            return hit[1]
    calendar = _build_calendar(unit)
    if revision is not None:
        with _LOCK:
            _CALENDARS[key] = (revision, calendar)
            _CALENDARS.move_to_end(key)
            while len(_CALENDARS) > _CALENDARS_MAX:
                _CALENDARS.popitem(last=False)
    return calendar


def _build_calendar(unit):
    chain = [unit, *unit.ancestors()] if unit is not None else []
    rank = {u.pk: depth for depth, u in enumerate(chain)}  # 0 = the unit itself
    query = Q(unit__isnull=True) | Q(unit_id__in=list(rank)) if chain else Q(unit__isnull=True)
    rows = CalendarOverride.objects.filter(query).values_list("date", "is_working_day", "unit_id")
    overrides = {}
    # All-units rows first, then the farthest ancestor's … the unit's own last, so that the nearest wins.
    for day, working, unit_id in sorted(rows, key=lambda r: -1 if r[2] is None else len(chain) - rank[r[2]]):
        overrides[day] = working
    return WorkCalendar(overrides=overrides, office_hours=office_hours_for(unit))


def statutory_due_at(calendar, received_at, limit, unit):
    limit = Decimal(limit)
    if unit == StatutoryUnit.SAME_DAY:
        return calendar.add_working_days(received_at, 0)
    if unit == StatutoryUnit.CALENDAR_DAYS:
        return calendar.add_calendar_days(received_at, int(limit))
    return calendar.add_working_days(received_at, limit)


def _unit_by_code(code):
    if code is None:
        return None
    try:
        return AdministrativeUnit.objects.get(code=code)
    except AdministrativeUnit.DoesNotExist:
        raise NotFound(f"không có đơn vị mã {code}", field="unit") from None


@transaction.atomic
def set_calendar_override(*, day, is_working_day, unit_code=None, reason="", actor=SYSTEM):
    unit = _unit_by_code(unit_code)
    row = CalendarOverride.objects.select_for_update().filter(date=day, unit=unit).first()
    before = {"is_working_day": row.is_working_day, "reason": row.reason} if row else None
    if row is None:
        row = CalendarOverride(date=day, unit=unit)
    row.is_working_day = is_working_day
    row.reason = reason
    row.created_by = actor.user if actor.user is not None else None
    row.save()
    record_event(
        "calendar_override_set",
        actor=actor,
        before=before,
        after={"date": day.isoformat(), "unit": unit_code, "is_working_day": is_working_day, "reason": reason},
    )
    return row


@transaction.atomic
def clear_calendar_override(*, day, unit_code=None, actor=SYSTEM):
    unit = _unit_by_code(unit_code)
    row = CalendarOverride.objects.select_for_update().filter(date=day, unit=unit).first()
    if row is None:
        raise NotFound(f"không có điều chỉnh cho ngày {day:%d/%m/%Y}", field="date")
    before = {"date": day.isoformat(), "unit": unit_code, "is_working_day": row.is_working_day, "reason": row.reason}
    row.delete()
    record_event("calendar_override_cleared", actor=actor, before=before)
