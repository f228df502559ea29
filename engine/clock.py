"""The one injectable clock of the platform.

Everything that needs "now" (timers, due dates, statistics) calls `engine.clock.now()`, so tests and simulations can
swap in a `FixedClock`. Any object with a `now() -> aware datetime` method is a clock (the `Clock` protocol): a clock
shared across processes through the database can be plugged in later with `set_clock` without touching callers.
Pure Python, no Django.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

__all__ = ["Clock", "SystemClock", "FixedClock", "now", "set_clock", "get_clock", "use_clock"]

# Same zone as engine.calendar.VN_TZ; not imported from there so the clock stays free of the holidays package.
_VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _aware_utc(dt: datetime) -> datetime:
    """UTC-based aware datetime; naive values are read as Vietnam local time, like engine.calendar does."""
    if not isinstance(dt, datetime):
        raise TypeError(f"expected a datetime, got {type(dt).__name__}")
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        dt = dt.replace(tzinfo=_VN_TZ)
    return dt.astimezone(timezone.utc)


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, aware."""
        ...


class SystemClock:
    """Wall-clock time."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def __repr__(self) -> str:
        return "SystemClock()"


class FixedClock:
    """A clock that only moves when told to (tests, simulations)."""

    def __init__(self, dt: datetime) -> None:
        self._lock = threading.Lock()  # advance() is read-modify-write; simulations may drive it from threads
        self._now = _aware_utc(dt)

    def now(self) -> datetime:
        return self._now

    def set(self, dt: datetime) -> datetime:
        with self._lock:
            self._now = _aware_utc(dt)
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        if not isinstance(delta, timedelta):
            raise TypeError(f"expected a timedelta, got {type(delta).__name__}")
        with self._lock:
            self._now = self._now + delta
            return self._now

    def __repr__(self) -> str:
        return f"FixedClock({self._now.isoformat()})"


_clock: Clock = SystemClock()


def now() -> datetime:
    """The current instant (aware, UTC-based) according to the installed clock."""
    return _clock.now()


def get_clock() -> Clock:
    return _clock


def set_clock(clock: Clock) -> Clock:
    """Install `clock` for the whole process; returns the previous one so callers can restore it."""
    global _clock
    if not callable(getattr(clock, "now", None)):
        raise TypeError(f"a clock needs a now() method, got {clock!r}")
    previous, _clock = _clock, clock
    return previous


@contextmanager
def use_clock(clock: Clock) -> Iterator[Clock]:
    """Install `clock` for the duration of a with-block (tests)."""
    previous = set_clock(clock)
    try:
        yield clock
    finally:
        set_clock(previous)
