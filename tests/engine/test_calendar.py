"""Working-day calendar tests.

Every expected date below is written by hand from the government's published calendars (Tết plans, swap notices),
never computed with the `holidays` package: the package is what is under test here.
"""

from __future__ import annotations

import subprocess
import sys
import time as _time
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine.calendar as calmod
from engine.calendar import DEFAULT_OFFICE_HOURS, MAX_DAYS, VN_TZ, WorkCalendar

CAL = WorkCalendar()


def vn(y, mo, d, h=0, mi=0, s=0, us=0):
    return datetime(y, mo, d, h, mi, s, us, tzinfo=VN_TZ)


def days(y, *md):
    return {date(y, m, d) for m, d in md}


# ---------------------------------------------------------------------------------------------------------------
# Published calendars, by hand. Weekday days off and make-up (working) weekend days of each year.

OFF = {
    2019: days(2019, (1, 1), (2, 4), (2, 5), (2, 6), (2, 7), (2, 8),  # New Year; Tết 04–08/02
               (4, 15),  # Hùng Kings Sun 14/04 -> Mon 15/04 in lieu
               (4, 29), (4, 30), (5, 1),  # 29/04 swapped with Sat 04/05
               (9, 2)),  # National Day: one day in 2019 (Labour Code 2012)
    2024: days(2024, (1, 1), (2, 8), (2, 9), (2, 12), (2, 13), (2, 14),  # Tết Thu 08 – Wed 14/02
               (4, 18),  # Hùng Kings
               (4, 29), (4, 30), (5, 1),  # 29/04 swapped with Sat 04/05
               (9, 2), (9, 3)),
    2025: days(2025, (1, 1), (1, 27), (1, 28), (1, 29), (1, 30), (1, 31),  # Tết 27/01–31/01 (+ Sat 01/02)
               (4, 7),  # Hùng Kings
               (4, 30), (5, 1), (5, 2),  # Fri 02/05 swapped with Sat 26/04
               (9, 1), (9, 2)),
    2026: days(2026, (1, 1), (2, 16), (2, 17), (2, 18), (2, 19), (2, 20),  # Tết 16–20/02
               (4, 27),  # Hùng Kings Sun 26/04 -> Mon 27/04 in lieu
               (4, 30), (5, 1),
               (8, 31),  # swapped with Sat 22/08 (Notice 9441/TB-BNV)
               (9, 1), (9, 2),
               (11, 24)),  # "Vietnam Cultural Day": listed by holidays 0.108, legal status pending
}
MAKEUP = {
    2019: days(2019, (1, 5), (5, 4)),
    2024: days(2024, (5, 4)),
    2025: days(2025, (4, 26)),
    2026: days(2026, (8, 22)),
}


@pytest.mark.parametrize("year", sorted(OFF))
def test_every_day_of_the_published_year(year):
    d = date(year, 1, 1)
    wrong = []
    while d.year == year:
        expected = d in MAKEUP[year] or (d.weekday() < 5 and d not in OFF[year])
        if CAL.is_working_day(d) != expected:
            wrong.append((d.isoformat(), expected))
        d += timedelta(days=1)
    assert wrong == []


def test_cross_year_swap_2018_2019():
    # Mon 31/12/2018 off, made up on Sat 05/01/2019.
    assert not CAL.is_working_day(date(2018, 12, 31))
    assert CAL.is_working_day(date(2019, 1, 5))
    assert CAL.add_working_days(vn(2018, 12, 28, 16), 1) == vn(2019, 1, 2, 17)


def test_weekend_workdays_trap_each_year_loaded(monkeypatch):
    # A fresh holidays object only knows the make-up Saturdays of the years it has loaded; asking about 2026 first
    # (nothing else cached) must still see Sat 22/08/2026, and 2024 right after it.
    monkeypatch.setattr(calmod, "_base_cache", {})
    fresh = WorkCalendar()
    assert fresh.is_working_day(date(2026, 8, 22))
    assert fresh.is_working_day(date(2024, 5, 4))
    assert fresh.add_working_days(vn(2025, 4, 25, 15, 30), 1) == vn(2025, 4, 26, 17)


def test_is_working_day_accepts_datetimes_in_vn_time():
    # 2026-02-22 20:00 UTC is Mon 23/02/2026 03:00 in Vietnam.
    assert CAL.is_working_day(datetime(2026, 2, 22, 20, 0, tzinfo=timezone.utc))
    assert not CAL.is_working_day(datetime(2026, 2, 22, 10, 0, tzinfo=timezone.utc))


def test_next_working_day_is_strictly_after():
    assert CAL.next_working_day(date(2026, 3, 9)) == date(2026, 3, 10)
    assert CAL.next_working_day(date(2026, 2, 13)) == date(2026, 2, 23)
    assert CAL.next_working_day(date(2026, 8, 21)) == date(2026, 8, 22)
    assert CAL.next_working_day(date(2026, 12, 31)) == date(2027, 1, 4)  # Fri 1/1/2027 off, weekend


def test_hours_per_day():
    assert CAL.hours_per_day == Decimal(8)
    assert isinstance(CAL.hours_per_day, Decimal)
    assert CAL.office_hours == DEFAULT_OFFICE_HOURS


# ---------------------------------------------------------------------------------------------------------------
# When counting starts

@pytest.mark.parametrize("received, start", [
    (vn(2026, 3, 9, 9, 0), vn(2026, 3, 9, 9, 0)),  # in office hours: at once
    (vn(2026, 3, 9, 6, 45), vn(2026, 3, 9, 7, 30)),  # before opening
    (vn(2026, 3, 9, 12, 15), vn(2026, 3, 9, 13, 0)),  # lunch break
    (vn(2026, 3, 9, 11, 30), vn(2026, 3, 9, 13, 0)),  # end of the morning = lunch
    (vn(2026, 3, 9, 15, 0, 0), vn(2026, 3, 9, 15, 0)),  # exactly at the cut-off: same day
    (vn(2026, 3, 9, 15, 0, 1), vn(2026, 3, 10, 7, 30)),  # strictly after: next working day
    (vn(2026, 3, 9, 15, 0, 0, 1), vn(2026, 3, 10, 7, 30)),
    (vn(2026, 3, 9, 17, 30), vn(2026, 3, 10, 7, 30)),  # after closing
    (vn(2026, 3, 8, 10, 0), vn(2026, 3, 9, 7, 30)),  # Sunday
    (vn(2026, 2, 13, 16, 0), vn(2026, 2, 23, 7, 30)),  # Friday after cut-off before Tết 2026
    (vn(2026, 2, 18, 9, 0), vn(2026, 2, 23, 7, 30)),  # during Tết
    (vn(2026, 8, 21, 15, 30), vn(2026, 8, 22, 7, 30)),  # next working day is a make-up Saturday
])
def test_count_start(received, start):
    assert CAL.count_start(received) == start


# ---------------------------------------------------------------------------------------------------------------
# Working-day due dates, worked by hand (office day 07:30–11:30 + 13:00–17:00 = 8 h)

@pytest.mark.parametrize("received, n, due", [
    # 2026
    (vn(2026, 2, 13, 10, 0), 1, vn(2026, 2, 23, 10, 0)),  # Fri before Tết: 5.5 h Fri, 2.5 h Mon 23/02
    (vn(2026, 4, 28, 16, 0), 3, vn(2026, 5, 5, 17, 0)),  # starts Wed 29/04; 30/04, 01/05, weekend off
    (vn(2026, 8, 21, 14, 0), 1, vn(2026, 8, 22, 14, 0)),  # make-up Saturday 22/08
    (vn(2026, 8, 28, 10, 0), 1, vn(2026, 9, 3, 10, 0)),  # Mon 31/08, 01–02/09 off
    (vn(2026, 4, 24, 10, 0), 1, vn(2026, 4, 28, 10, 0)),  # Mon 27/04 in lieu of Hùng Kings
    (vn(2026, 11, 23, 10, 0), 1, vn(2026, 11, 25, 10, 0)),  # 24/11 as the package lists it
    (vn(2026, 3, 9, 9, 0), 1, vn(2026, 3, 10, 9, 0)),
    (vn(2026, 3, 9, 15, 0, 0), 1, vn(2026, 3, 10, 15, 0)),  # 2 h Mon + 6 h Tue
    (vn(2026, 3, 9, 15, 0, 1), 1, vn(2026, 3, 10, 17, 0)),  # starts Tue 07:30, ends at 17:00 not Wed 07:30
    (vn(2026, 3, 9, 15, 30), 1, vn(2026, 3, 10, 17, 0)),
    (vn(2026, 3, 9, 12, 15), 1, vn(2026, 3, 10, 11, 30)),  # from 13:00: 4 h Mon + 4 h Tue, ends at 11:30
    (vn(2026, 3, 9, 6, 45), 1, vn(2026, 3, 9, 17, 0)),  # a whole day from 07:30 ends at 17:00 the same day
    (vn(2026, 3, 8, 10, 0), 2, vn(2026, 3, 10, 17, 0)),  # received on a Sunday
    (vn(2026, 3, 7, 10, 0), 5, vn(2026, 3, 13, 17, 0)),  # received on a Saturday
    # 2025
    (vn(2025, 4, 25, 15, 30), 1, vn(2025, 4, 26, 17, 0)),  # make-up Sat 26/04/2025
    (vn(2025, 4, 25, 15, 30), 2, vn(2025, 4, 28, 17, 0)),
    (vn(2025, 4, 29, 10, 0), 1, vn(2025, 5, 5, 10, 0)),  # 30/04, 01/05, 02/05 off, weekend
    (vn(2025, 1, 24, 10, 0), 1, vn(2025, 2, 3, 10, 0)),  # Tết 27–31/01
    (vn(2025, 8, 29, 10, 0), 1, vn(2025, 9, 3, 10, 0)),  # 01–02/09
    # 2024
    (vn(2024, 5, 3, 9, 0), 1, vn(2024, 5, 4, 9, 0)),  # make-up Sat 04/05/2024
    (vn(2024, 2, 7, 10, 0), 2, vn(2024, 2, 16, 10, 0)),  # 5.5 h Wed 07/02, Tết 08–14/02, 8 h Thu 15, 2.5 h Fri 16
    (vn(2024, 4, 17, 10, 0), 1, vn(2024, 4, 19, 10, 0)),  # Hùng Kings Thu 18/04
    (vn(2024, 4, 26, 10, 0), 1, vn(2024, 5, 2, 10, 0)),  # 29/04, 30/04, 01/05
    (vn(2024, 8, 30, 10, 0), 1, vn(2024, 9, 4, 10, 0)),  # 02–03/09
    # 2019
    (vn(2019, 1, 4, 10, 0), 1, vn(2019, 1, 5, 10, 0)),  # make-up Sat 05/01/2019
    (vn(2019, 2, 1, 10, 0), 1, vn(2019, 2, 11, 10, 0)),  # Tết 04–08/02
    (vn(2019, 4, 12, 10, 0), 1, vn(2019, 4, 16, 10, 0)),  # Mon 15/04 in lieu
    (vn(2019, 4, 26, 10, 0), 2, vn(2019, 5, 3, 10, 0)),  # 29/04–01/05 off
    (vn(2019, 4, 26, 10, 0), 3, vn(2019, 5, 4, 10, 0)),  # ... then make-up Sat 04/05
    (vn(2019, 8, 30, 10, 0), 1, vn(2019, 9, 3, 10, 0)),  # only 02/09 in 2019
    # across New Year 2025/2026: the 15th working day after Mon 15/12/2025 is Tue 06/01/2026 (01/01 off)
    (vn(2025, 12, 15, 9, 0), 15, vn(2026, 1, 6, 9, 0)),
])
def test_add_working_days(received, n, due):
    result = CAL.add_working_days(received, n)
    assert result == due
    assert result.tzinfo is VN_TZ


@pytest.mark.parametrize("received, due", [
    (vn(2026, 3, 9, 9, 0), vn(2026, 3, 9, 17, 0)),
    (vn(2026, 3, 9, 6, 0), vn(2026, 3, 9, 17, 0)),
    (vn(2026, 3, 9, 15, 0, 0), vn(2026, 3, 9, 17, 0)),
    (vn(2026, 3, 9, 15, 0, 1), vn(2026, 3, 10, 17, 0)),
    (vn(2026, 3, 9, 18, 0), vn(2026, 3, 10, 17, 0)),
    (vn(2026, 3, 7, 9, 0), vn(2026, 3, 9, 17, 0)),  # Saturday
    (vn(2026, 4, 29, 16, 0), vn(2026, 5, 4, 17, 0)),  # after cut-off before 30/04–01/05 and a weekend
    (vn(2026, 8, 21, 16, 0), vn(2026, 8, 22, 17, 0)),  # make-up Saturday
])
def test_same_day(received, due):
    assert CAL.add_working_days(received, 0) == due


@pytest.mark.parametrize("received, n, due", [
    (vn(2026, 3, 9, 9, 0), "0.5", vn(2026, 3, 9, 14, 30)),  # 2.5 h + 1.5 h
    (vn(2026, 3, 9, 11, 30), "0.5", vn(2026, 3, 9, 17, 0)),  # starts 13:00, ends exactly at 17:00
    (vn(2026, 3, 9, 7, 0), "0.5", vn(2026, 3, 9, 11, 30)),  # ends at the end of the morning, not 13:00
    (vn(2026, 3, 9, 15, 0), "0.5", vn(2026, 3, 10, 9, 30)),  # 2 h Mon + 2 h Tue
    (vn(2026, 3, 9, 9, 0), "1.5", vn(2026, 3, 10, 14, 30)),
    (vn(2026, 3, 9, 9, 0), "0.25", vn(2026, 3, 9, 11, 0)),
    (vn(2026, 2, 13, 14, 0), "0.5", vn(2026, 2, 23, 8, 30)),  # 3 h Fri + 1 h after Tết
])
def test_fractional_days(received, n, due):
    assert CAL.add_working_days(received, n) == due
    assert CAL.add_working_days(received, Decimal(n)) == due
    assert CAL.add_working_days(received, float(n)) == due


def test_number_types_are_equivalent():
    r = vn(2026, 3, 9, 9, 0)
    assert CAL.add_working_days(r, 2) == CAL.add_working_days(r, Decimal("2")) == CAL.add_working_days(r, 2.0)
    assert CAL.add_working_days(r, " 2 ") == vn(2026, 3, 11, 9, 0)
    # 0.1 day is exactly 48 minutes (float read through its repr, not its binary value)
    assert CAL.add_working_days(r, 0.1) == vn(2026, 3, 9, 9, 48)


# ---------------------------------------------------------------------------------------------------------------
# Calendar days (Civil Code Art. 147–148)

@pytest.mark.parametrize("received, n, due", [
    (vn(2026, 2, 10, 9, 0), 7, vn(2026, 2, 23, 17, 0)),  # 17/02 is Tết -> Mon 23/02
    (vn(2026, 3, 9, 10, 0), 3, vn(2026, 3, 12, 17, 0)),  # Thu 12/03, a working day
    (vn(2026, 3, 9, 23, 0), 1, vn(2026, 3, 10, 17, 0)),  # no cut-off for calendar days
    (vn(2026, 3, 6, 16, 30), 1, vn(2026, 3, 9, 17, 0)),  # Sat 07/03 -> Mon 09/03
    (vn(2026, 3, 6, 10, 0), 2, vn(2026, 3, 9, 17, 0)),  # Sun 08/03 -> Mon 09/03
    (vn(2026, 8, 21, 10, 0), 1, vn(2026, 8, 22, 17, 0)),  # lands on the make-up Saturday: no roll
    (vn(2026, 8, 27, 10, 0), 4, vn(2026, 9, 3, 17, 0)),  # Mon 31/08, 01–02/09 off
    (vn(2024, 4, 19, 10, 0), 10, vn(2024, 5, 2, 17, 0)),  # Mon 29/04 off -> ... Thu 02/05
    (vn(2019, 1, 31, 10, 0), 5, vn(2019, 2, 11, 17, 0)),  # Tue 05/02/2019 is Tết -> Mon 11/02
    (vn(2026, 3, 9, 10, 0), 30, vn(2026, 4, 8, 17, 0)),
])
def test_add_calendar_days(received, n, due):
    assert CAL.add_calendar_days(received, n) == due


def test_calendar_days_zero_is_same_day():
    assert CAL.add_calendar_days(vn(2026, 3, 9, 9, 0), 0) == vn(2026, 3, 9, 17, 0)
    assert CAL.add_calendar_days(vn(2026, 3, 9, 16, 0), 0) == vn(2026, 3, 10, 17, 0)


def test_calendar_days_must_be_whole():
    assert CAL.add_calendar_days(vn(2026, 3, 9, 10), Decimal("3.0")) == vn(2026, 3, 12, 17, 0)
    with pytest.raises(ValueError, match="whole"):
        CAL.add_calendar_days(vn(2026, 3, 9, 10), "1.5")


# ---------------------------------------------------------------------------------------------------------------
# Override table

def test_override_turns_cultural_day_back_into_a_working_day():
    cal = WorkCalendar({date(2026, 11, 24): True})
    assert cal.is_working_day(date(2026, 11, 24))
    assert cal.add_working_days(vn(2026, 11, 23, 10, 0), 1) == vn(2026, 11, 24, 10, 0)
    assert CAL.add_working_days(vn(2026, 11, 23, 10, 0), 1) == vn(2026, 11, 25, 10, 0)  # others unaffected


def test_override_extra_day_off_and_extra_working_saturday():
    off = WorkCalendar({date(2026, 3, 9): False})
    assert not off.is_working_day(date(2026, 3, 9))
    assert off.add_working_days(vn(2026, 3, 6, 10, 0), 1) == vn(2026, 3, 10, 10, 0)
    assert off.count_start(vn(2026, 3, 9, 9, 0)) == vn(2026, 3, 10, 7, 30)

    sat = WorkCalendar({date(2026, 3, 7): True})
    assert sat.is_working_day(date(2026, 3, 7))
    assert sat.add_working_days(vn(2026, 3, 6, 10, 0), 1) == vn(2026, 3, 7, 10, 0)
    assert sat.next_working_day(date(2026, 3, 6)) == date(2026, 3, 7)
    assert sat.add_calendar_days(vn(2026, 3, 6, 10, 0), 1) == vn(2026, 3, 7, 17, 0)


def test_override_wins_over_a_make_up_saturday_and_a_holiday():
    cal = WorkCalendar({date(2026, 8, 22): False, "2026-08-31": True})
    assert not cal.is_working_day(date(2026, 8, 22))
    assert cal.is_working_day(date(2026, 8, 31))
    assert cal.add_working_days(vn(2026, 8, 21, 14, 0), 1) == vn(2026, 8, 24, 14, 0)
    assert cal.office_hours_between(vn(2026, 8, 21, 0), vn(2026, 9, 1, 0)) == Decimal(8 * 7)  # 21, 24–28, 31


def test_overrides_are_a_snapshot():
    table = {date(2026, 3, 9): False}
    cal = WorkCalendar(table)
    table[date(2026, 3, 10)] = False
    assert cal.is_working_day(date(2026, 3, 10))
    assert dict(cal.overrides) == {date(2026, 3, 9): False}


# ---------------------------------------------------------------------------------------------------------------
# Office hours

def test_office_hours_between():
    b = CAL.office_hours_between
    assert b(vn(2026, 3, 9, 9, 0), vn(2026, 3, 10, 9, 0)) == 8
    assert b(vn(2026, 3, 9, 11, 0), vn(2026, 3, 9, 13, 30)) == Decimal("1")
    assert b(vn(2026, 3, 9, 12, 0), vn(2026, 3, 9, 12, 45)) == 0
    assert b(vn(2026, 2, 13, 10, 0), vn(2026, 2, 23, 10, 0)) == 8  # across Tết
    assert b(vn(2026, 3, 7, 8, 0), vn(2026, 3, 8, 16, 0)) == 0  # a weekend
    assert b(vn(2026, 3, 6, 17, 0), vn(2026, 3, 9, 7, 30)) == 0
    assert b(vn(2026, 3, 9, 9, 0), vn(2026, 3, 9, 9, 20)) == Decimal(1) / Decimal(3)
    assert b(vn(2026, 3, 10, 9, 0), vn(2026, 3, 9, 9, 0)) == -8  # signed
    assert b(vn(2026, 3, 9, 9, 0), vn(2026, 3, 9, 9, 0)) == 0
    assert isinstance(b(vn(2026, 3, 9, 9, 0), vn(2026, 3, 9, 10, 30)), Decimal)
    assert b(vn(2026, 3, 9, 9, 0), vn(2026, 3, 9, 10, 30)) == Decimal("1.5")
    assert b(vn(2025, 12, 15, 9, 0), vn(2026, 1, 6, 9, 0)) == 15 * 8  # across New Year


def test_add_office_hours():
    a = CAL.add_office_hours
    assert a(vn(2026, 3, 9, 9, 0), 2) == vn(2026, 3, 9, 11, 0)
    assert a(vn(2026, 3, 9, 9, 0), "2.5") == vn(2026, 3, 9, 11, 30)  # ends at the end of the morning
    assert a(vn(2026, 3, 9, 9, 0), 3) == vn(2026, 3, 9, 13, 30)
    assert a(vn(2026, 3, 9, 16, 0), 1) == vn(2026, 3, 9, 17, 0)
    assert a(vn(2026, 3, 9, 16, 0), 2) == vn(2026, 3, 10, 8, 30)
    assert a(vn(2026, 3, 9, 16, 30), 1) == vn(2026, 3, 10, 8, 0)  # no cut-off for plain office hours
    assert a(vn(2026, 3, 7, 10, 0), 4) == vn(2026, 3, 9, 11, 30)  # from a Saturday
    assert a(vn(2026, 3, 9, 12, 0), 0) == vn(2026, 3, 9, 12, 0)
    assert a(vn(2026, 2, 13, 16, 0), 16) == vn(2026, 2, 24, 16, 0)  # 1 h Fri, 8 h Mon 23, 7 h Tue 24


def test_naive_and_foreign_zone_inputs():
    # naive = Vietnam time; 02:00 UTC = 09:00 in Vietnam
    assert CAL.add_working_days(datetime(2026, 3, 9, 9, 0), 1) == vn(2026, 3, 10, 9, 0)
    due = CAL.add_working_days(datetime(2026, 3, 9, 2, 0, tzinfo=timezone.utc), 1)
    assert due == vn(2026, 3, 10, 9, 0)
    assert due.tzinfo is VN_TZ and due.utcoffset() == timedelta(hours=7)
    assert due.isoformat() == "2026-03-10T09:00:00+07:00"
    # 2026-03-08 20:00 UTC is Mon 09/03 03:00 in Vietnam: before opening, not a Sunday
    assert CAL.count_start(datetime(2026, 3, 8, 20, 0, tzinfo=timezone.utc)) == vn(2026, 3, 9, 7, 30)


def test_configurable_office_hours_and_cutoff():
    cal = WorkCalendar(office_hours=((time(8, 0), time(12, 0)), ("13:30", "17:30")), cutoff="16:00")
    assert cal.hours_per_day == 8
    assert cal.add_working_days(vn(2026, 3, 9, 16, 0), 1) == vn(2026, 3, 10, 16, 0)
    assert cal.add_working_days(vn(2026, 3, 9, 16, 1), 1) == vn(2026, 3, 10, 17, 30)
    assert cal.add_working_days(vn(2026, 3, 9, 9, 0), 0) == vn(2026, 3, 9, 17, 30)

    single = WorkCalendar(office_hours=((time(8, 0), time(14, 0)),), cutoff=time(12, 0))
    assert single.hours_per_day == 6
    assert single.add_working_days(vn(2026, 3, 9, 11, 0), "0.5") == vn(2026, 3, 9, 14, 0)
    assert single.add_working_days(vn(2026, 3, 9, 12, 30), 1) == vn(2026, 3, 10, 14, 0)

    # a cut-off after closing: received 17:15 is "not late" but the day is over -> next working day
    late = WorkCalendar(cutoff=time(17, 30))
    assert late.count_start(vn(2026, 3, 9, 17, 15)) == vn(2026, 3, 10, 7, 30)

    odd = WorkCalendar(office_hours=((time(8, 0), time(8, 20)),))  # 1/3 hour a day: exact in microseconds
    assert odd.add_working_days(vn(2026, 3, 9, 8, 0), 3) == vn(2026, 3, 11, 8, 20)


@pytest.mark.parametrize("office_hours", [
    (),
    ((time(9, 0), time(8, 0)),),
    ((time(8, 0), time(12, 0)), (time(11, 0), time(17, 0))),
    (("8h", "12:00"),),
])
def test_bad_office_hours(office_hours):
    with pytest.raises(ValueError):
        WorkCalendar(office_hours=office_hours)


# ---------------------------------------------------------------------------------------------------------------
# Guards against absurd inputs (expressions may pass user data)

@pytest.mark.parametrize("n", [-1, -0.5, MAX_DAYS + 1, "3661", "abc", "", float("nan"), float("inf"), True, None])
def test_absurd_days_rejected(n):
    with pytest.raises(ValueError):
        CAL.add_working_days(vn(2026, 3, 9, 9), n)
    with pytest.raises(ValueError):
        CAL.add_calendar_days(vn(2026, 3, 9, 9), n)


def test_limit_is_allowed_and_fast():
    r = vn(2026, 3, 9, 9)
    far = CAL.add_working_days(r, MAX_DAYS)
    assert 2039 <= far.year <= 2042  # ~250 working days a year
    assert CAL.office_hours_between(r, far) == MAX_DAYS * 8
    assert CAL.add_calendar_days(r, MAX_DAYS) >= r + timedelta(days=MAX_DAYS)


def test_absurd_hours_rejected():
    with pytest.raises(ValueError):
        CAL.add_office_hours(vn(2026, 3, 9, 9), -1)
    with pytest.raises(ValueError):
        CAL.add_office_hours(vn(2026, 3, 9, 9), MAX_DAYS * 8 + 1)


def test_non_datetime_rejected():
    with pytest.raises(TypeError):
        CAL.add_working_days(date(2026, 3, 9), 1)
    with pytest.raises(TypeError):
        CAL.add_working_days("2026-03-09T09:00", 1)


def test_speed():
    r = vn(2026, 2, 13, 10)
    for n in range(31):
        CAL.add_working_days(r, n)  # warm-up: years loaded
    calls = 2000
    best = min(
        _timed(lambda: [CAL.add_working_days(r, n % 31) for n in range(calls)]) for _ in range(3)
    ) / calls
    assert best < 0.001, f"{best * 1e6:.0f} µs per call"


def _timed(fn):
    t0 = _time.perf_counter()
    fn()
    return _time.perf_counter() - t0


def test_engine_calendar_does_not_import_django():
    code = "import sys, engine.calendar, engine.clock; print('django' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=_repo_root())
    assert out.stdout.strip() == "False"


def _repo_root():
    import pathlib

    return str(pathlib.Path(__file__).resolve().parents[2])


# ---------------------------------------------------------------------------------------------------------------
# Properties

received_st = st.datetimes(min_value=datetime(2018, 6, 1), max_value=datetime(2027, 6, 1)).map(
    lambda d: d.replace(tzinfo=VN_TZ))
minute_received_st = received_st.map(lambda d: d.replace(second=0, microsecond=0))
days_st = st.decimals(min_value=0, max_value=60, places=2, allow_nan=False, allow_infinity=False)
hours_st = st.decimals(min_value=0, max_value=500, places=4, allow_nan=False, allow_infinity=False)
PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _in_office_period(cal, dt, allow_start=False):
    t = dt.timetz().replace(tzinfo=None)
    return any((s <= t if allow_start else s < t) and t <= e for s, e in cal.office_hours)


@PROPS
@given(received_st, days_st)
def test_prop_due_inside_office_hours(received, n):
    due = CAL.add_working_days(received, n)
    assert due.tzinfo is VN_TZ
    assert CAL.is_working_day(due.date())
    assert _in_office_period(CAL, due)
    assert due > received
    if n == 0:
        assert due.timetz().replace(tzinfo=None) == time(17, 0)
    else:
        start = CAL.count_start(received)
        assert start < due
        assert CAL.office_hours_between(start, due) == n * 8


@PROPS
@given(received_st, days_st, days_st)
def test_prop_monotonic_in_n(received, n1, n2):
    # n = 0 is the separate "same day" rule (end of that office day), so a small fraction (0.01 day from 07:30)
    # can fall before it: monotonic over n > 0, and over whole numbers of days from 0.
    lo, hi = sorted((n1, n2))
    if lo > 0:
        assert CAL.add_working_days(received, lo) <= CAL.add_working_days(received, hi)
    whole_lo, whole_hi = int(lo), int(hi)
    assert CAL.add_working_days(received, whole_lo) <= CAL.add_working_days(received, whole_hi)
    assert CAL.add_working_days(received, 0) <= CAL.add_working_days(received, 1)


@PROPS
@given(received_st)
def test_prop_count_start(received):
    start = CAL.count_start(received)
    assert start >= received
    assert CAL.is_working_day(start.date())
    assert _in_office_period(CAL, start, allow_start=True)
    assert start.timetz().replace(tzinfo=None) != time(17, 0)
    assert CAL.office_hours_between(received, start) == 0 or received.time() > time(15, 0)


@PROPS
@given(received_st, hours_st)
def test_prop_add_then_measure(a, h):
    b = CAL.add_office_hours(a, h)
    assert b >= a
    assert CAL.office_hours_between(a, b) == h
    if h > 0:
        assert CAL.is_working_day(b.date()) and _in_office_period(CAL, b)


@PROPS
@given(received_st, received_st)
def test_prop_measure_then_add(a, b):
    a, b = sorted((a, b))
    h = CAL.office_hours_between(a, b)
    assert h >= 0
    back = CAL.add_office_hours(a, h)
    assert back <= b
    assert CAL.office_hours_between(a, back) == h
    if h > 0 and CAL.is_working_day(b.date()) and _in_office_period(CAL, b):
        assert back == b


@PROPS
@given(received_st, received_st, received_st)
def test_prop_between_is_additive(a, b, c):
    between = CAL.office_hours_between
    # exact up to Decimal rounding of non-terminating fractions (1 µs = 2.8e-10 h)
    assert abs(between(a, b) + between(b, c) - between(a, c)) < Decimal("1e-20")
    assert between(a, b) == -between(b, a)


@PROPS
@given(received_st, st.integers(min_value=1, max_value=400))
def test_prop_calendar_days(received, n):
    due = CAL.add_calendar_days(received, n)
    target = received.date() + timedelta(days=n)
    assert due.timetz().replace(tzinfo=None) == time(17, 0)
    assert CAL.is_working_day(due.date())
    assert due.date() >= target
    d = target
    while d < due.date():  # every day skipped by the roll-forward is a day off
        assert not CAL.is_working_day(d)
        d += timedelta(days=1)


@PROPS
@given(st.dictionaries(st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)), st.booleans(),
                       max_size=20),
       st.dates(min_value=date(2025, 12, 1), max_value=date(2027, 1, 31)))
def test_prop_overrides_win(overrides, d):
    cal = WorkCalendar(overrides)
    expected = overrides[d] if d in overrides else CAL.is_working_day(d)
    assert cal.is_working_day(d) == expected
    nxt = cal.next_working_day(d)
    assert nxt > d and cal.is_working_day(nxt)
    x = d + timedelta(days=1)
    while x < nxt:
        assert not cal.is_working_day(x)
        x += timedelta(days=1)


def _minute_oracle(cal, received, n_halfhours):
    """Slow, obvious reference: walk minute by minute from count_start."""
    t = cal.count_start(received)
    remaining = n_halfhours * 30
    while remaining:
        local = t.timetz().replace(tzinfo=None)
        if cal.is_working_day(t.date()) and any(s <= local < e for s, e in cal.office_hours):
            remaining -= 1
        t += timedelta(minutes=1)
    return t


@settings(max_examples=150, deadline=None)
@given(minute_received_st, st.integers(min_value=1, max_value=48))
def test_prop_matches_minute_oracle(received, n_halfhours):
    n = Decimal(n_halfhours) / 16  # half-hour multiples of an 8-hour day, up to 3 days
    assert CAL.add_working_days(received, n) == _minute_oracle(CAL, received, n_halfhours)
