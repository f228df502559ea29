from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from engine import clock


@pytest.fixture(autouse=True)
def _restore_clock():
    previous = clock.get_clock()
    yield
    clock.set_clock(previous)


def test_default_is_system_clock_aware_utc():
    assert isinstance(clock.get_clock(), clock.SystemClock)
    t = clock.now()
    assert t.tzinfo is not None and t.utcoffset() == timedelta(0)
    assert abs(t - datetime.now(timezone.utc)) < timedelta(seconds=5)


def test_fixed_clock_set_and_advance():
    fixed = clock.FixedClock(datetime(2026, 3, 9, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")))
    clock.set_clock(fixed)
    assert clock.now() == datetime(2026, 3, 9, 2, 0, tzinfo=timezone.utc)
    assert clock.now().utcoffset() == timedelta(0)
    assert fixed.advance(timedelta(hours=30)) == datetime(2026, 3, 10, 8, 0, tzinfo=timezone.utc)
    assert clock.now() == datetime(2026, 3, 10, 8, 0, tzinfo=timezone.utc)
    fixed.set(datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert clock.now() == datetime(2026, 1, 1, tzinfo=timezone.utc)
    with pytest.raises(TypeError):
        fixed.advance(3600)


def test_naive_fixed_time_is_vietnam_local():
    assert clock.FixedClock(datetime(2026, 3, 9, 9, 0)).now() == datetime(2026, 3, 9, 2, 0, tzinfo=timezone.utc)


def test_set_clock_returns_previous_and_use_clock_restores():
    system = clock.get_clock()
    fixed = clock.FixedClock(datetime(2026, 3, 9, tzinfo=timezone.utc))
    assert clock.set_clock(fixed) is system
    assert clock.get_clock() is fixed
    other = clock.FixedClock(datetime(2030, 1, 1, tzinfo=timezone.utc))
    with clock.use_clock(other):
        assert clock.now().year == 2030
    assert clock.get_clock() is fixed


def test_any_object_with_now_is_a_clock():
    class DbClock:  # the seam a database-shared clock will use
        def now(self):
            return datetime(2027, 1, 1, tzinfo=timezone.utc)

    assert isinstance(DbClock(), clock.Clock)
    clock.set_clock(DbClock())
    assert clock.now().year == 2027
    with pytest.raises(TypeError):
        clock.set_clock(object())
