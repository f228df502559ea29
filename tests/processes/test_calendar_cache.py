"""Calendars built from the database are cached per unit and PostgreSQL's calendar revision (migration 0010): every
change — through the services, the ORM (the admin site), plain SQL, in this transaction or after a rollback — is seen
by the very next calendar; an unchanged calendar is not rebuilt."""
from datetime import date

import pytest
from django.db import connection, transaction

from processes.models import AdministrativeUnit, CalendarOverride
from processes.services import calendar as calendars
from processes.services.calendar import calendar_for_unit, calendar_revision, set_calendar_override

SATURDAY = date(2027, 1, 9)
MONDAY = date(2027, 1, 11)


@pytest.fixture
def unit(demo):
    return AdministrativeUnit.objects.get(code="003.00.16.H57")


def test_an_unchanged_calendar_is_the_same_object(unit):
    first = calendar_for_unit(unit)
    assert calendar_for_unit(unit) is first
    assert calendar_for_unit(None) is calendar_for_unit(None)


def test_a_service_change_is_seen_at_once_in_the_same_transaction(unit):
    before = calendar_for_unit(unit)
    assert not before.is_working_day(SATURDAY)
    revision = calendar_revision()
    set_calendar_override(day=SATURDAY, is_working_day=True, unit_code=unit.code, reason="Làm bù")
    assert calendar_revision() != revision
    assert calendar_for_unit(unit).is_working_day(SATURDAY)
    child = AdministrativeUnit.objects.filter(parent=unit).first() or unit
    assert calendar_for_unit(child).is_working_day(SATURDAY)


def test_orm_and_plain_sql_changes_are_seen(unit):
    assert calendar_for_unit(unit).is_working_day(MONDAY)
    CalendarOverride.objects.create(date=MONDAY, unit=None, is_working_day=False, reason="Nghỉ đột xuất")
    assert not calendar_for_unit(unit).is_working_day(MONDAY)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE processes_calendaroverride SET is_working_day = true WHERE date = %s", [MONDAY])
    assert calendar_for_unit(unit).is_working_day(MONDAY)
    hours = calendar_for_unit(unit).office_hours
    unit.office_hours = [["08:00", "11:00"]]
    unit.save(update_fields=["office_hours"])
    assert calendar_for_unit(unit).office_hours != hours


def test_a_rolled_back_change_never_comes_back_from_the_cache(unit):
    with transaction.atomic():
        sid = transaction.savepoint()
        CalendarOverride.objects.create(date=MONDAY, unit=unit, is_working_day=False, reason="rút lại")
        assert not calendar_for_unit(unit).is_working_day(MONDAY)  # cached under the rolled-back number
        transaction.savepoint_rollback(sid)
    assert calendar_for_unit(unit).is_working_day(MONDAY)
    # a later committed change gets a new number (a sequence), not the rolled-back one
    CalendarOverride.objects.create(date=SATURDAY, unit=unit, is_working_day=True, reason="làm bù")
    fresh = calendar_for_unit(unit)
    assert fresh.is_working_day(SATURDAY) and fresh.is_working_day(MONDAY)


def test_the_cache_is_bounded(unit, monkeypatch):
    monkeypatch.setattr(calendars, "_CALENDARS_MAX", 3)
    for u in AdministrativeUnit.objects.all()[:6]:
        calendar_for_unit(u)
    assert len(calendars._CALENDARS) <= 3


def test_an_emptied_revision_table_starts_again_with_a_fresh_number(unit):
    first = calendar_revision()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM processes_calendarrevision")
    again = calendar_revision()
    assert again is not None and again != first
    assert calendar_for_unit(unit) is calendar_for_unit(unit)
