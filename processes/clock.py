"""The one clock shared by every process. Production reads the system clock; with MOTCUA_SHARED_CLOCK=1 (tests with a
real worker, simulations) web, worker, beat and sweeper all read the SharedClock row, so moving time there moves it
for all of them at once."""
import os
import time
from datetime import datetime, timedelta, timezone

from engine import clock as engine_clock

CACHE_SECONDS = 0.2


class DatabaseClock:
    def __init__(self):
        self._cached = None
        self._read_at = 0.0

    def _row(self):
        from .models import SharedClock

        now = time.monotonic()
        if self._cached is None or now - self._read_at > CACHE_SECONDS:
            row = SharedClock.objects.filter(pk=1).values("frozen_at", "offset_seconds").first()
            self._cached = row or {"frozen_at": None, "offset_seconds": 0.0}
            self._read_at = now
        return self._cached

    def now(self):
        row = self._row()
        if row["frozen_at"] is not None:
            return row["frozen_at"]
        return datetime.now(timezone.utc) + timedelta(seconds=row["offset_seconds"])

    def invalidate(self):
        self._cached = None


def shared_clock_enabled():
    return os.environ.get("MOTCUA_SHARED_CLOCK", "").lower() in ("1", "true", "yes")


def install_shared_clock():
    if shared_clock_enabled() and not isinstance(engine_clock.get_clock(), DatabaseClock):
        engine_clock.set_clock(DatabaseClock())


def set_shared_time(frozen_at=None, offset_seconds=0.0):
    """Freezes every process's clock at frozen_at (or shifts it by offset_seconds when frozen_at is None)."""
    from .models import SharedClock

    SharedClock.objects.update_or_create(pk=1, defaults={"frozen_at": frozen_at, "offset_seconds": offset_seconds})
    current = engine_clock.get_clock()
    if isinstance(current, DatabaseClock):
        current.invalidate()
