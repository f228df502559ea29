"""Working-day calendar: due dates counted in working days, calendar days and office hours.

Pure Python (no Django). The law as the project applies it (domain.md §1.8, §5):

* Working days are Monday–Friday minus Vietnamese public holidays (Labour Code 2019 Art. 112, lunar holidays and
  days in lieu) as ``holidays.country_holidays('VN')`` gives them, plus the make-up Saturdays it lists in
  ``weekend_workdays``. An override table (date -> True extra working day / False extra day off) wins over both.
* N working days = N x the office hours of one day, counted from the moment counting starts (``count_start``):
  received after the cut-off (15:00, strictly later) or on a day off -> first office hour of the next working day;
  before the first period or in a break -> the next period that day.
* A count ends at the earliest instant at which enough office time has elapsed, so a count that ends exactly at the
  end of a period ends there (17:00), not at the start of the next one.
* Calendar days (Civil Code Art. 147-148): counting starts the day after reception; due at the end of office hours of
  the N-th day, rolled forward to the end of office hours of the next working day when that day is not one.

Internally every duration is an integer number of microseconds of office time; inputs in days/hours are Decimal.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from types import MappingProxyType
from typing import Union
from zoneinfo import ZoneInfo

import holidays

__all__ = [
    "VN_TZ",
    "OfficeHours",
    "DEFAULT_OFFICE_HOURS",
    "DEFAULT_CUTOFF",
    "MAX_DAYS",
    "WorkCalendar",
    "to_vn",
]

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

OfficeHours = tuple[tuple[time, time], ...]
DEFAULT_OFFICE_HOURS: OfficeHours = ((time(7, 30), time(11, 30)), (time(13, 0), time(17, 0)))
DEFAULT_CUTOFF = time(15, 0)

# Upper bound on any count (ten years of calendar days): expressions may pass user data, and an absurd n must fail
# fast instead of looping over centuries.
MAX_DAYS = 3660

Number = Union[int, float, Decimal, str]

_US_PER_HOUR = 3_600_000_000
# Own context so results never depend on whatever the global decimal context happens to be.
_CTX = Context(prec=40, rounding=ROUND_HALF_EVEN)
# Hours handed out use the default context's 28 digits, so they compare equal to what callers compute themselves
# (Decimal(1) / 3); 28 digits still round-trip to the exact microsecond.
_OUT_CTX = Context(prec=28, rounding=ROUND_HALF_EVEN)
_D_US_PER_HOUR = Decimal(_US_PER_HOUR)


# --------------------------------------------------------------------------------------------------------------
# Base data from the `holidays` package, cached per year (shared by every WorkCalendar: it does not depend on the
# override table).

_HOLIDAY_MIN_YEAR, _HOLIDAY_MAX_YEAR = 1901, 2100  # range `holidays` 0.108 supports for VN
_base_cache: dict[int, tuple[frozenset[date], frozenset[date], tuple[int, ...]]] = {}


def _base_year(year: int) -> tuple[frozenset[date], frozenset[date], tuple[int, ...]]:
    """(days off, make-up working weekend days, sorted ordinals of working days) of one year, without overrides."""
    cached = _base_cache.get(year)
    if cached is not None:
        return cached
    offs: set[date] = set()
    makeups: set[date] = set()
    if _HOLIDAY_MIN_YEAR <= year <= _HOLIDAY_MAX_YEAR:
        # Trap: `weekend_workdays` only holds the years the object has populated so far. Loading them explicitly
        # with years= makes it complete; the neighbouring years are loaded too because a swap can cross New Year
        # (31/12/2018 off for Sat 05/01/2019 worked), and we keep only the dates that fall in `year`.
        years = [y for y in (year - 1, year, year + 1) if _HOLIDAY_MIN_YEAR <= y <= _HOLIDAY_MAX_YEAR]
        vn = holidays.country_holidays("VN", years=years)
        offs = {d for d in vn if d.year == year}
        makeups = {d for d in vn.weekend_workdays if d.year == year}
    ords = []
    d = date(year, 1, 1)
    one = timedelta(days=1)
    while d.year == year:
        # Make-up days win over the weekend and over a holiday (the brief: weekdays minus holidays, plus make-ups).
        if d in makeups or (d.weekday() < 5 and d not in offs):
            ords.append(d.toordinal())
        if d.month == 12 and d.day == 31:
            break
        d += one
    result = (frozenset(offs), frozenset(makeups), tuple(ords))
    _base_cache[year] = result  # benign race: two threads compute the same value
    return result


# --------------------------------------------------------------------------------------------------------------
# Input normalisation


def to_vn(value: datetime) -> datetime:
    """An aware datetime in VN_TZ; naive values are read as VN_TZ local time."""
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        return value.replace(tzinfo=VN_TZ)
    return value.astimezone(VN_TZ)


def _as_date(value: date | str) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"not an ISO date: {value!r}") from None
    if isinstance(value, datetime):
        return to_vn(value).date()
    if not isinstance(value, date):
        raise TypeError(f"expected a date, got {type(value).__name__}")
    return value


def _to_decimal(value: Number, what: str) -> Decimal:
    # bool is an int subclass; True days is surely a mistake in an expression.
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a number, not a boolean")
    try:
        if isinstance(value, Decimal):
            result = value
        elif isinstance(value, int):
            result = Decimal(value)
        elif isinstance(value, float):
            # Through repr so 0.1 means 0.1, not its binary approximation.
            result = Decimal(repr(value))
        elif isinstance(value, str):
            result = Decimal(value.strip())
        else:
            raise ValueError(f"{what} must be a number, got {type(value).__name__}")
    except InvalidOperation:
        raise ValueError(f"{what} is not a number: {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    return result


def _check_days(value: Number, what: str = "number of days") -> Decimal:
    n = _to_decimal(value, what)
    if n < 0:
        raise ValueError(f"{what} must be >= 0, got {value!r}")
    if n > MAX_DAYS:
        raise ValueError(f"{what} must be <= {MAX_DAYS}, got {value!r}")
    return n


def _to_time(value: time | str, what: str) -> time:
    if isinstance(value, str):
        try:
            value = time.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{what}: not a time of day: {value!r}") from None
    if not isinstance(value, time):
        raise TypeError(f"{what}: expected a time, got {type(value).__name__}")
    if value.tzinfo is not None:
        raise ValueError(f"{what}: office times are local VN times and must be naive")
    return value


def _time_us(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


def _us_to_hours(us: int) -> Decimal:
    return _OUT_CTX.divide(Decimal(us), _D_US_PER_HOUR)


def _hours_to_us(hours: Decimal) -> int:
    return int(_CTX.to_integral_value(_CTX.multiply(hours, _D_US_PER_HOUR)))


# --------------------------------------------------------------------------------------------------------------


class WorkCalendar:
    """Working days and office hours of one office (holidays package + an override table)."""

    def __init__(
        self,
        overrides: Mapping[date, bool] | None = None,
        office_hours: OfficeHours = DEFAULT_OFFICE_HOURS,
        cutoff: time | str = DEFAULT_CUTOFF,
    ) -> None:
        # Snapshot: the per-year caches below assume the table does not change; build a new calendar when it does.
        ov: dict[date, bool] = {}
        for key, val in (overrides or {}).items():
            ov[_as_date(key)] = bool(val)
        self._overrides = ov
        self._overrides_by_year: dict[int, dict[date, bool]] = {}
        for d, v in ov.items():
            self._overrides_by_year.setdefault(d.year, {})[d] = v
        self._year_cache: dict[int, tuple[int, ...]] = {}

        periods: list[tuple[int, int]] = []
        normalised: list[tuple[time, time]] = []
        for i, period in enumerate(office_hours):
            start, end = (_to_time(x, f"office period {i + 1}") for x in period)
            s, e = _time_us(start), _time_us(end)
            if e <= s:
                raise ValueError(f"office period {i + 1} ends before it starts: {start}-{end}")
            if periods and s < periods[-1][1]:
                raise ValueError(f"office period {i + 1} overlaps or precedes the previous one")
            periods.append((s, e))
            normalised.append((start, end))
        if not periods:
            raise ValueError("office_hours needs at least one period")
        self.office_hours: OfficeHours = tuple(normalised)
        self.cutoff: time = _to_time(cutoff, "cutoff")
        self._periods = tuple(periods)
        self._cutoff_us = _time_us(self.cutoff)
        self._day_us = sum(e - s for s, e in periods)  # office microseconds in one working day
        self._max_hours = _us_to_hours(MAX_DAYS * self._day_us)

    # ---- days -----------------------------------------------------------------------------------------------

    @property
    def overrides(self) -> Mapping[date, bool]:
        return MappingProxyType(self._overrides)

    @property
    def hours_per_day(self) -> Decimal:
        return _us_to_hours(self._day_us)

    def _year_ordinals(self, year: int) -> tuple[int, ...]:
        """Sorted ordinals of the working days of `year`, overrides applied."""
        ords = self._year_cache.get(year)
        if ords is not None:
            return ords
        base = _base_year(year)[2]
        year_ov = self._overrides_by_year.get(year)
        if year_ov:
            work = set(base)
            for d, is_work in year_ov.items():
                (work.add if is_work else work.discard)(d.toordinal())
            ords = tuple(sorted(work))
        else:
            ords = base
        self._year_cache[year] = ords
        return ords

    def is_working_day(self, d: date) -> bool:
        d = _as_date(d)
        ov = self._overrides.get(d)
        if ov is not None:
            return ov
        offs, makeups, _ = _base_year(d.year)
        if d in makeups:
            return True
        return d.weekday() < 5 and d not in offs

    def _nth_working_day_after(self, d: date, k: int) -> date:
        """The k-th working day strictly after d (k >= 1), skipping whole years through the per-year tables."""
        year = d.year
        ords = self._year_ordinals(year)
        i = bisect_right(ords, d.toordinal())
        avail = len(ords) - i
        while k > avail:
            k -= avail
            year += 1
            if year > date.max.year:
                raise ValueError("date out of range while counting working days")
            ords = self._year_ordinals(year)
            i, avail = 0, len(ords)
        return date.fromordinal(ords[i + k - 1])

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after d."""
        return self._nth_working_day_after(_as_date(d), 1)

    def _working_days_between(self, d1: date, d2: date) -> int:
        """Number of working days strictly between d1 and d2 (d1 < d2)."""
        lo, hi = d1.toordinal(), d2.toordinal()
        count = 0
        for year in range(d1.year, d2.year + 1):
            ords = self._year_ordinals(year)
            count += bisect_left(ords, hi) - bisect_right(ords, lo)
        return count

    # ---- instants -------------------------------------------------------------------------------------------

    def _at(self, d: date, us: int) -> datetime:
        """The VN instant `us` microseconds after midnight of d."""
        sec, micro = divmod(us, 1_000_000)
        minute, second = divmod(sec, 60)
        hour, minute = divmod(minute, 60)
        return datetime(d.year, d.month, d.day, hour, minute, second, micro, tzinfo=VN_TZ)

    def _offset_in_day(self, t_us: int) -> int:
        """Office microseconds of a working day elapsed at time-of-day t_us."""
        acc = 0
        for s, e in self._periods:
            if t_us >= e:
                acc += e - s
            elif t_us > s:
                acc += t_us - s
                break
            else:
                break
        return acc

    def _time_at_offset(self, d: date, off: int) -> datetime:
        """Earliest instant of day d at which `off` office microseconds have elapsed (0 < off <= day)."""
        acc = 0
        for s, e in self._periods:
            length = e - s
            if off <= acc + length:
                return self._at(d, s + off - acc)
            acc += length
        raise AssertionError("offset beyond the office day")  # callers keep off <= self._day_us

    def _end_of_day(self, d: date) -> datetime:
        return self._at(d, self._periods[-1][1])

    def _first_start(self, d: date) -> datetime:
        return self._at(d, self._periods[0][0])

    def count_start(self, received_at: datetime) -> datetime:
        """The moment counting starts for a dossier received at `received_at`.

        Day off, or received strictly after the cut-off -> first office hour of the next working day; before the
        first period or in a break (or exactly at the end of a period) -> start of the next period that day.
        """
        local = to_vn(received_at)
        d = local.date()
        if self.is_working_day(d):
            t_us = _time_us(local.time())
            if t_us <= self._cutoff_us:
                for s, e in self._periods:
                    if t_us < s:
                        return self._at(d, s)
                    if t_us < e:
                        return local
                # After the last period but not after the cut-off (a cut-off configured late): next working day.
        return self._first_start(self._nth_working_day_after(d, 1))

    def add_office_hours(self, start: datetime, hours: Number) -> datetime:
        """Earliest instant x >= start with `hours` office hours in [start, x]. No cut-off applies here.

        hours == 0 returns `start` itself (in VN_TZ).
        """
        h = _to_decimal(hours, "hours")
        if h < 0:
            raise ValueError(f"hours must be >= 0, got {hours!r}")
        us = _hours_to_us(h)
        if us > MAX_DAYS * self._day_us:
            raise ValueError(f"hours must be <= {self._max_hours} ({MAX_DAYS} working days), got {hours!r}")
        return self._add_us(to_vn(start), us)

    def _add_us(self, local: datetime, remaining: int) -> datetime:
        if remaining <= 0:
            return local
        d = local.date()
        day = self._day_us
        if self.is_working_day(d):
            used = self._offset_in_day(_time_us(local.time()))
            left_today = day - used
            if remaining <= left_today:
                return self._time_at_offset(d, used + remaining)
            remaining -= left_today
        # Whole days are skipped at once; a remainder of 0 ends at the end of the last full day.
        full, rest = divmod(remaining, day)
        if rest == 0:
            return self._end_of_day(self._nth_working_day_after(d, full))
        return self._time_at_offset(self._nth_working_day_after(d, full + 1), rest)

    def add_working_days(self, received_at: datetime, n: Number) -> datetime:
        """Due time of n working days (fractions allowed) counted from `received_at`.

        n == 0 (same day): end of office hours of the day counting starts (the next working day when received
        after the cut-off or on a day off).
        """
        days = _check_days(n)
        start = self.count_start(received_at)
        if days == 0:
            return self._end_of_day(start.date())
        # Days -> office microseconds directly, exact even when hours_per_day is not a finite decimal.
        us = int(_CTX.to_integral_value(_CTX.multiply(days, Decimal(self._day_us))))
        return self._add_us(start, us)

    def add_calendar_days(self, received_at: datetime, n: Number) -> datetime:
        """Due time of n calendar days (Civil Code Art. 147-148).

        Counting starts the day after reception (no cut-off); due at the end of office hours of day
        received + n, rolled forward to the end of the next working day when that day is not a working day.
        n == 0 means "same day" and follows add_working_days(received_at, 0).
        """
        days = _check_days(n)
        if days != days.to_integral_value():
            raise ValueError(f"calendar days must be a whole number, got {n!r}")
        k = int(days)
        if k == 0:
            return self.add_working_days(received_at, 0)
        last = to_vn(received_at).date() + timedelta(days=k)
        if not self.is_working_day(last):
            last = self._nth_working_day_after(last, 1)
        return self._end_of_day(last)

    def office_hours_between(self, a: datetime, b: datetime) -> Decimal:
        """Office hours in [a, b] on working days (no cut-off). Signed: negative when b is before a."""
        la, lb = to_vn(a), to_vn(b)
        if lb < la:
            return -self.office_hours_between(lb, la)
        return _us_to_hours(self._us_between(la, lb))

    def _us_between(self, la: datetime, lb: datetime) -> int:
        da, db = la.date(), lb.date()
        off_a = self._offset_in_day(_time_us(la.time())) if self.is_working_day(da) else 0
        off_b = self._offset_in_day(_time_us(lb.time())) if self.is_working_day(db) else 0
        if da == db:
            return off_b - off_a
        first = (self._day_us - off_a) if self.is_working_day(da) else 0
        return first + self._working_days_between(da, db) * self._day_us + off_b

    def __repr__(self) -> str:
        periods = ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in self.office_hours)
        return f"WorkCalendar({len(self._overrides)} overrides, {periods}, cutoff {self.cutoff:%H:%M})"
