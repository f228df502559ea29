"""The whitelisted functions BPMN expressions may call.

Procedures compute with these instead of scripts. Every argument may be user data at run time, so each
function checks types and bounds itself and fails with a clear message rather than doing unbounded work.
Timer-facing functions return ISO strings with an explicit +07:00 offset: SpiffWorkflow's timer parser only
accepts strings, and reads naive strings in the server's local zone.

Pure Python: never imports Django (engine/ must run without it).
"""
from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # only for annotations: keeps this module importable without engine.calendar
    from engine.calendar import WorkCalendar

# Same zone as engine.calendar.VN_TZ (ZoneInfo instances are cached, so this is the same object);
# defined here so that importing the whitelist does not require the calendar module.
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# Bounds (arguments may come from user data).
MAX_DAYS = 3660             # about 10 years: more than any statutory limit or extension
MAX_HOURS = 30_000          # office hours, about 15 years of 8-hour days
MIN_YEAR, MAX_YEAR = 2000, 2100   # the calendar knows holidays up to 2100; the zone had other offsets before 1975
MAX_MOMENT_CHARS = 64       # an ISO datetime string is about 32 characters
MAX_PAGES = 10_000
MAX_COPIES = 1_000
MAX_CONVERT_CHARS = 1_000   # int('9' * 10**6)-style abuse is refused before conversion
MAX_STR_RESULT = 100_000    # str() of data: same bound as sequence results in expressions
MAX_SEQ_ARG = 100_000       # items scanned by min/max/len-style helpers
MAX_ROUND_DIGITS = 30

# Circular 226/2016/TT-BTC, fee for certifying copies from originals (đồng).
COPY_FEE_FIRST_PAGES = 2_000     # per page, pages 1 and 2
COPY_FEE_LATER_PAGES = 1_000     # per page, from page 3
COPY_FEE_MAX_PER_COPY = 200_000

# The names build_functions() returns; expressions.check_expression uses this set at deploy time,
# before any calendar exists.
FUNCTION_NAMES = frozenset({
    "add_working_days", "add_calendar_days", "add_office_hours",
    "working_hours_between", "is_working_day",
    "copy_certification_fee",
    "min", "max", "abs", "round", "len", "int", "float", "str", "bool",
})

_NUMBER = (int, float, Decimal)


# ---------------------------------------------------------------- argument helpers

def _type_name(value: Any) -> str:
    return type(value).__name__


def _number(value: Any, func: str, arg: str, low: float, high: float) -> int | float | Decimal:
    # bool is an int subclass; True as a day count is a data bug, not a number.
    if isinstance(value, bool) or not isinstance(value, _NUMBER):
        raise TypeError(f"{func}(): {arg} must be a number, not {_type_name(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{func}(): {arg} must be a finite number")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"{func}(): {arg} must be a finite number")
    if not (low <= value <= high):
        raise ValueError(f"{func}(): {arg} must be between {low:,} and {high:,} (got {value:,})")
    return value


def _whole(value: Any, func: str, arg: str, low: int, high: int) -> int:
    value = _number(value, func, arg, low, high)
    if isinstance(value, int):
        return value
    if value != int(value):
        raise ValueError(f"{func}(): {arg} must be a whole number (got {value})")
    return int(value)


def _moment(value: Any, func: str, arg: str) -> datetime:
    """An aware datetime from an ISO string, a datetime or a date; naive values are Vietnam time."""
    if isinstance(value, str):
        if len(value) > MAX_MOMENT_CHARS:
            raise ValueError(f"{func}(): {arg} is too long to be a date/time ({len(value):,} characters)")
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{func}(): {arg} is not an ISO date/time: {value!r}") from None
    elif isinstance(value, datetime):
        pass
    elif isinstance(value, date):
        value = datetime(value.year, value.month, value.day)
    else:
        raise TypeError(f"{func}(): {arg} must be an ISO date/time string, not {_type_name(value)}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=VN_TZ)
    if not (MIN_YEAR <= value.year <= MAX_YEAR):
        raise ValueError(f"{func}(): {arg} year must be between {MIN_YEAR} and {MAX_YEAR} (got {value.year})")
    return value


def _day(value: Any, func: str, arg: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    # A datetime (or datetime string) names the Vietnamese calendar day it falls on.
    return _moment(value, func, arg).astimezone(VN_TZ).date()


def _iso(moment: datetime) -> str:
    # Always an explicit +07:00: naive strings would be read in the server's zone by SpiffWorkflow.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VN_TZ)
    return moment.astimezone(VN_TZ).isoformat()


def _short_str(value: Any, func: str) -> str:
    if len(value) > MAX_CONVERT_CHARS:
        raise ValueError(f"{func}(): text argument too long ({len(value):,} characters; max {MAX_CONVERT_CHARS:,})")
    return value


def _items(args: tuple, func: str) -> tuple | list:
    """min/max take either several values or one list/tuple of values."""
    if not args:
        raise TypeError(f"{func}() needs at least one argument")
    if len(args) == 1:
        seq = args[0]
        if not isinstance(seq, (list, tuple)):
            raise TypeError(f"{func}() of one argument needs a list, not {_type_name(seq)}")
    else:
        seq = args
    if not seq:
        raise ValueError(f"{func}() of an empty list")
    if len(seq) > MAX_SEQ_ARG:
        raise ValueError(f"{func}(): too many values ({len(seq):,}; max {MAX_SEQ_ARG:,})")
    for item in seq:
        if isinstance(item, bool) or not isinstance(item, (*_NUMBER, str)):
            raise TypeError(f"{func}() compares numbers or text, not {_type_name(item)}")
    return seq


# ---------------------------------------------------------------- the whitelist

def copy_certification_fee(pages: Any, copies: Any = 1) -> int:
    """Fee (đồng) for certifying copies from originals, Circular 226/2016/TT-BTC:
    2,000 đ/page for pages 1-2, 1,000 đ/page from page 3, at most 200,000 đ per copy."""
    pages = _whole(pages, "copy_certification_fee", "pages", 0, MAX_PAGES)
    copies = _whole(copies, "copy_certification_fee", "copies", 0, MAX_COPIES)
    per_copy = COPY_FEE_FIRST_PAGES * min(pages, 2) + COPY_FEE_LATER_PAGES * max(pages - 2, 0)
    return min(per_copy, COPY_FEE_MAX_PER_COPY) * copies


def _min(*args: Any) -> Any:
    return min(_items(args, "min"))


def _max(*args: Any) -> Any:
    return max(_items(args, "max"))


def _abs(x: Any, /) -> Any:
    if isinstance(x, bool) or not isinstance(x, _NUMBER):
        raise TypeError(f"abs() needs a number, not {_type_name(x)}")
    return abs(x)


def _round(x: Any, ndigits: Any = None, /) -> Any:
    if isinstance(x, bool) or not isinstance(x, _NUMBER):
        raise TypeError(f"round() needs a number, not {_type_name(x)}")
    if ndigits is None:
        return round(x)
    return round(x, _whole(ndigits, "round", "ndigits", -MAX_ROUND_DIGITS, MAX_ROUND_DIGITS))


def _len(x: Any, /) -> int:
    if not isinstance(x, (str, list, tuple, dict, set, frozenset)):
        raise TypeError(f"len() needs text, a list or a dict, not {_type_name(x)}")
    return len(x)


def _int(x: Any, /) -> int:
    if isinstance(x, str):
        x = _short_str(x, "int")
    elif not isinstance(x, _NUMBER):   # bool is an int: int(True) == 1 is fine
        raise TypeError(f"int() needs a number or text, not {_type_name(x)}")
    return int(x)   # ValueError/OverflowError for 'abc', nan, inf: already clear


def _float(x: Any, /) -> float:
    if isinstance(x, str):
        x = _short_str(x, "float")
    elif not isinstance(x, _NUMBER):
        raise TypeError(f"float() needs a number or text, not {_type_name(x)}")
    result = float(x)
    if not math.isfinite(result):   # inf/nan are not JSON and break comparisons
        raise ValueError(f"float(): {x!r} is not a finite number")
    return result


def _str(x: Any = "", /) -> str:
    result = str(x)   # data already in memory: cost is proportional to it
    if len(result) > MAX_STR_RESULT:
        raise ValueError(f"str(): result too long ({len(result):,} characters; max {MAX_STR_RESULT:,})")
    return result


def _bool(x: Any = False, /) -> bool:
    return bool(x)


def build_functions(calendar: "WorkCalendar") -> dict[str, Callable[..., Any]]:
    """The whitelist, bound to one working calendar. Keys are exactly FUNCTION_NAMES."""

    def add_working_days(start: Any, n: Any, /) -> str:
        """ISO (+07:00) moment n working days after start (n may be fractional; 0 = same day)."""
        moment = _moment(start, "add_working_days", "start")
        n = _number(n, "add_working_days", "n", 0, MAX_DAYS)
        return _iso(calendar.add_working_days(moment, n))

    def add_calendar_days(start: Any, n: Any, /) -> str:
        """ISO (+07:00) moment n calendar days after start (rules of engine.calendar)."""
        moment = _moment(start, "add_calendar_days", "start")
        n = _whole(n, "add_calendar_days", "n", 0, MAX_DAYS)
        return _iso(calendar.add_calendar_days(moment, n))

    def add_office_hours(start: Any, hours: Any, /) -> str:
        """ISO (+07:00) moment after counting `hours` office hours from start."""
        moment = _moment(start, "add_office_hours", "start")
        hours = _number(hours, "add_office_hours", "hours", 0, MAX_HOURS)
        return _iso(calendar.add_office_hours(moment, hours))

    def working_hours_between(a: Any, b: Any, /) -> float:
        """Office hours between two moments, as a float."""
        start = _moment(a, "working_hours_between", "a")
        end = _moment(b, "working_hours_between", "b")
        # The calendar walks day by day: bound the span, not just the years.
        if abs(end - start) > timedelta(days=MAX_DAYS):
            raise ValueError(f"working_hours_between(): a and b are more than {MAX_DAYS:,} days apart")
        return float(calendar.office_hours_between(start, end))

    def is_working_day(d: Any, /) -> bool:
        """True when the Vietnamese calendar day of d is a working day."""
        return bool(calendar.is_working_day(_day(d, "is_working_day", "d")))

    functions: dict[str, Callable[..., Any]] = {
        "add_working_days": add_working_days,
        "add_calendar_days": add_calendar_days,
        "add_office_hours": add_office_hours,
        "working_hours_between": working_hours_between,
        "is_working_day": is_working_day,
        "copy_certification_fee": copy_certification_fee,
        "min": _min,
        "max": _max,
        "abs": _abs,
        "round": _round,
        "len": _len,
        "int": _int,
        "float": _float,
        "str": _str,
        "bool": _bool,
    }
    assert functions.keys() == FUNCTION_NAMES
    return functions
