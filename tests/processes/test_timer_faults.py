"""Faults of the timer machinery with a REAL worker (`celery -A motcua worker --pool=prefork --concurrency=2 -B`, see
celery_worker.py), real PostgreSQL and a real broker: our own redis-server on a free port, or kombu's filesystem://
folders in a tmp dir. The worker's embedded beat sends sweep_timers every second; the lease is 5 s.

Each fault test loads 1,000 due DIAGRAM timers: 1,000 dossiers of the reminder procedure (one received through
receive_dossier, 999 bulk copies of it — simulated data) whose step carries a non-interrupting boundary timer. Its
firing opens one reminder work item 'nhac_viec' and records one 'timer_fired' event: counting both per dossier tells
"exactly once" (no duplicate, none lost).
"""
import shutil
import time
from collections import Counter
from datetime import datetime, timedelta

import pytest
from django.db import transaction
from django.db.models import Count

from engine import clock as engine_clock
from engine.calendar import VN_TZ
from processes.clock import DatabaseClock, set_shared_time
from processes.models import Event, Incident, Timer, TimerKind, TimerStatus, WorkItem

from .celery_worker import (CeleryWorker, FilesystemBroker, RedisBroker, RedisServer, client_app,
                            deploy_reminder_procedure, reminder_dossiers)

RECEIVED = datetime(2026, 12, 1, 9, 0, tzinfo=VN_TZ)  # Tuesday; the boundary timer is due Thu 03/12 09:00
DUE = datetime(2026, 12, 3, 9, 0, tzinfo=VN_TZ)
N = 1000  # the load for the kill -9 tests
N_RESTART = 300  # enough to be mid-run when Redis dies


@pytest.fixture
def shared_clock(tdemo):
    """Every process reads the SharedClock row: the worker (MOTCUA_SHARED_CLOCK=1) and this test process."""
    engine_clock.set_clock(DatabaseClock())
    set_shared_time(RECEIVED)
    yield
    set_shared_time(None)


def run_clock_from(moment):
    """Time flows again (leases must run out in real time), starting at `moment`."""
    set_shared_time(None, offset_seconds=(moment - datetime.now(VN_TZ)).total_seconds())


@pytest.fixture
def due_dossiers(shared_clock):
    def make(count=N):
        with transaction.atomic():
            deploy_reminder_procedure()
            ids = reminder_dossiers(count)
        return ids

    return make


def own_redis_server(tmp_path):
    """Our own redis-server (the shared one on 6379 has other people's workers on it)."""
    assert shutil.which("redis-server"), "redis-server missing: make test installs it (scripts/ensure_services.sh)"
    return RedisServer(tmp_path / "redis").start()


@pytest.fixture
def redis_server(tmp_path):
    server = own_redis_server(tmp_path)
    yield server
    server.kill()


@pytest.fixture
def workers(tmp_path, transactional_db):
    """Every worker a test starts is stopped before the database is flushed (this fixture's teardown runs first)."""
    started = []

    def make(broker, **kwargs):
        worker = CeleryWorker(broker, tmp_path / f"worker{len(started)}", **kwargs)
        started.append(worker)
        return worker

    yield make
    for worker in started:
        worker.stop()


def fired_count():
    return Timer.objects.filter(kind=TimerKind.DIAGRAM, status=TimerStatus.FIRED).count()


def wait_for_fired(target, worker, *, stall=45, limit=300):
    """Waits until `target` diagram timers have fired. The machine is shared, so the budget is progress-based: fail
    when nothing fires for `stall` seconds (or after `limit` in all)."""
    started = last_progress = time.monotonic()
    last = -1
    while True:
        fired = fired_count()
        if fired >= target:
            return fired
        now = time.monotonic()
        if fired != last:
            last, last_progress = fired, now
        if now - last_progress > stall or now - started > limit:
            statuses = Counter(Timer.objects.filter(kind="diagram").values_list("status", flat=True))
            raise AssertionError(f"waited for {target} fired timers: {dict(statuses)}\n{worker.log()[-3000:]}")
        time.sleep(0.2)


def assert_fired_exactly_once(ids):
    timers = Timer.objects.filter(dossier_id__in=ids, kind=TimerKind.DIAGRAM)
    assert Counter(timers.values_list("status", flat=True)) == {TimerStatus.FIRED: len(ids)}
    reminders = (WorkItem.objects.filter(dossier_id__in=ids, bpmn_id="nhac_viec").values("dossier_id")
                 .annotate(n=Count("id")).values_list("dossier_id", "n"))
    events = (Event.objects.filter(dossier_id__in=ids, kind="timer_fired").values("dossier_id")
              .annotate(n=Count("id")).values_list("dossier_id", "n"))
    assert Counter(n for _, n in reminders) == {1: len(ids)}, "one reminder work item per dossier"
    assert len(dict(reminders)) == len(ids)
    assert Counter(n for _, n in events) == {1: len(ids)}, "one timer_fired event per dossier"
    assert len(dict(events)) == len(ids)
    assert not Incident.objects.exists()
    assert max(timers.values_list("attempts", flat=True)) <= timers.first().max_attempts


def claimed_ids():
    return set(Timer.objects.filter(kind=TimerKind.DIAGRAM, status=TimerStatus.CLAIMED).values_list("id", flat=True))


def kill_mid_run(worker):
    """Starts the worker, lets time reach the due instant and kill -9s the worker's whole process group while it
    fires (a tenth done, timers claimed under a lease). Returns (fired, claimed ids) as the kill left them."""
    worker.start()
    run_clock_from(DUE + timedelta(minutes=1))
    wait_for_fired(fired_count() + N // 10, worker)  # relative: a second kill also comes mid-run
    deadline = time.monotonic() + 30
    while len(claimed_ids()) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.kill()
    fired, claimed = fired_count(), claimed_ids()
    assert fired < N, "the kill came after the work was done: it proves nothing"
    assert claimed, "timers were in flight (claimed, leased) when the worker died"
    return fired, claimed


def test_kill_9_of_the_worker_on_redis_loses_and_duplicates_nothing(due_dossiers, redis_server, workers):
    ids = due_dossiers()
    worker = workers(RedisBroker(redis_server))
    kill_mid_run(worker)
    worker.start()  # the same broker: its queue and the dead worker's unacknowledged messages are still there
    wait_for_fired(N, worker)
    assert_fired_exactly_once(ids)


def test_kill_9_of_the_worker_on_filesystem_broker_the_lease_brings_the_work_back(due_dossiers, tmp_path, workers):
    ids = due_dossiers()
    broker = FilesystemBroker(tmp_path / "broker")
    worker = workers(broker, extra_env={"MOTCUA_BROKER_POLL_SECONDS": "0.02"})
    # kombu deleted the messages the dead worker had fetched: nothing in the broker will ever deliver them again.
    # Whether a pool process held one at the instant of the kill is a matter of timing: kill again (after letting
    # the restarted worker make progress) until a kill did catch fetched firings, at most five times.
    lost = set()
    for _ in range(5):
        fired, claimed = kill_mid_run(worker) if not lost else (None, set())
        lost = claimed - broker.queued_firings()
        if lost:
            break
    assert lost, "no kill caught the worker holding fetched firings"
    worker.start()
    wait_for_fired(N, worker)
    assert_fired_exactly_once(ids)
    # Only the lease brought them back: a later sweep claimed them again (one more attempt each).
    assert set(Timer.objects.filter(pk__in=lost, attempts__gte=2).values_list("id", flat=True)) == lost


def test_redis_restarted_mid_run_every_timer_fires_once_it_is_back(due_dossiers, redis_server, workers):
    ids = due_dossiers(N_RESTART)
    worker = workers(RedisBroker(redis_server))
    worker.start()
    run_clock_from(DUE + timedelta(minutes=1))
    wait_for_fired(N_RESTART // 5, worker)
    redis_server.kill()  # a crash without persistence: every queued message is gone
    fired_when_down = fired_count()
    time.sleep(3)
    assert fired_count() < N_RESTART, "Redis went down after the work was done: it proves nothing"
    redis_server.start()  # same port, empty
    wait_for_fired(len(ids), worker)
    assert worker.alive, "the worker rode out the broker's restart"
    assert_fired_exactly_once(ids)


@pytest.mark.parametrize("broker_kind", ["redis", "filesystem"])
def test_the_same_firing_delivered_twice_has_one_effect(broker_kind, due_dossiers, tmp_path, workers):
    from processes import tasks
    from processes.services.timers import claim_due_timers

    ids = due_dossiers(3)
    if broker_kind == "redis":
        server = own_redis_server(tmp_path)
        broker = RedisBroker(server)
    else:
        server, broker = None, FilesystemBroker(tmp_path / "broker")
    try:
        worker = workers(broker, beat=False, lease_seconds=60).start()  # no sweeps: this test delivers by hand
        run_clock_from(DUE + timedelta(minutes=1))
        owner = "test-owner"
        claimed = claim_due_timers(owner)
        assert len(claimed) == 3
        app = client_app(broker)
        try:
            first = [app.send_task("processes.tasks.fire_timer", args=(timer_id, owner)) for timer_id in claimed]
            again = [app.send_task("processes.tasks.fire_timer", args=(timer_id, owner)) for timer_id in claimed]
            outcomes = worker.wait_for_tasks([r.id for r in first + again], timeout=120)
            # A third delivery after the fact, with no owner (as from an older claim), and the sweeper finding nothing.
            late = [app.send_task("processes.tasks.fire_timer", args=(timer_id,)) for timer_id in claimed]
            sweep = app.send_task("processes.tasks.sweep_timers")
            late_outcomes = worker.wait_for_tasks([r.id for r in late] + [sweep.id], timeout=120)
        finally:
            app.close()
        assert Counter(outcomes) == {"fired": 3, "skipped": 3}
        assert late_outcomes == ["skipped"] * 3 + ["0"]
        # The task body called in this process, twice more: nothing happens either.
        assert [tasks.fire_timer(claimed[0], owner), tasks.fire_timer(claimed[0], owner)] == ["skipped", "skipped"]
        assert_fired_exactly_once(ids)
    finally:
        if server is not None:
            server.kill()
