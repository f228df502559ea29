#!/usr/bin/env python3
"""Timer benchmark (issue 3; figure names of issue 8): prints one JSON line per figure,
{"bench": NAME, "value": V, "unit": U, "size": ..., "baseline": B, "ratio": R}.

* sweep_idle_ms_10k / sweep_idle_ms — one sweep (processes.tasks.sweep_timers, the task body in this process: the
  in-flight count and the SKIP LOCKED claim) with nothing due, median of many, at 10,000 and at 100,000 armed timers;
  the second line carries the first as its baseline (target: ratio ≤ 2).
* worker_rss_mb — the resident memory of the largest process of that worker right after the storm (its processes are
  never recycled), with each process's figure; target ≤ 200 MB after 10,000 firings (size full).
* timer_storm_s — `due` timers due at once among 100,000 armed: seconds from the due instant until the last has fired,
  fired by a REAL worker (`celery -A motcua worker --pool=prefork --concurrency=2 -B`, production settings: lease
  300 s, at most 1,000 in flight, beat every 15 s) on our own redis-server. The due instant is met by one sweep sent at
  once (as a beat tick would; in production the tick adds 0–15 s). Exactly-once is checked afterwards.

Data (simulated, marked so: applicant "Dữ liệu mô phỏng", dossier codes with "-b", filler keys "sim:"): one dossier of
the reminder test procedure (tests/processes/fixtures/reminder_timer.bpmn) received through the services, copied in
bulk SQL to `due` dossiers — each waits on a real boundary timer whose firing runs the engine and opens a reminder
work item — and filler timers due months ahead, inserted with generate_series, to reach 10,000 and then 100,000 armed.

It uses its own database (motcua_bench, dropped and migrated on every run): never the tests' or the demo's.

  python bench/timers.py [--size smoke|quick|full] [--due N] [--database NAME]
  SIZE=full make bench
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.common import emit, reset_database  # noqa: E402
from bench.common import setup_django as common_setup_django  # noqa: E402
from bench.common import note as _note  # noqa: E402


def note(message):
    _note("timers", message)


SIZES = {"smoke": 500, "quick": 2000, "full": 10000}  # timers due at once; armed is always 10,000 then 100,000
ARMED_SMALL, ARMED_LARGE = 10_000, 100_000
IDLE_SWEEPS = 200


def setup_django(database):
    # this process and the worker read the SharedClock row
    common_setup_django(database, MOTCUA_SHARED_CLOCK="1")


def insert_fillers(dossier_ids, count, start_at, tag):
    """`count` scheduled timers due 30–395 days after start_at, spread over the dossiers (simulated)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO processes_timer (dossier_id, kind, due_at, status, element_id, generation, attempts,
                                         max_attempts, lease_owner, fired_at, last_error, idempotency_key, created_at)
            SELECT d.ids[1 + (g %% array_length(d.ids, 1))], 'appointment_due',
                   %(start)s + interval '30 days' + (g %% 365) * interval '1 day' + (g %% 480) * interval '1 minute',
                   'scheduled', '', 0, 0, 5, '', NULL, '', 'sim:' || %(tag)s || ':' || g, %(start)s
              FROM generate_series(1, %(count)s) g, (SELECT %(ids)s::bigint[] AS ids) d
            """,
            {"ids": list(dossier_ids), "count": count, "start": start_at, "tag": tag},
        )
        cursor.execute("ANALYZE processes_timer")


def armed_count():
    from processes.models import Timer

    return Timer.objects.filter(status="scheduled").count()


def idle_sweep_ms():
    """Median (and p90) of one sweep with nothing due, in this process."""
    from processes.tasks import sweep_timers

    for _ in range(10):  # warm the connection and the plan cache
        assert sweep_timers() == 0
    samples = []
    for _ in range(IDLE_SWEEPS):
        started = time.perf_counter()
        enqueued = sweep_timers()
        samples.append((time.perf_counter() - started) * 1000)
        assert enqueued == 0, "something was due"
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.9)]


def worker_rss_mb(pgid):
    """{pid: resident MB} of every process of the worker's group (the main process with its embedded beat, and the
    pool's processes, which were never recycled: no max-tasks-per-child)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid:  # field 5 of /proc/PID/stat: the process group
                continue
            status = (stat.parent / "status").read_text()
        except (OSError, ValueError, IndexError):
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                found[int(stat.parent.name)] = int(line.split()[1]) / 1024
    return found


def claim_plan():
    from django.db import connection

    from engine import clock
    from processes.services.timers import CLAIM_SQL

    now = clock.now()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        cursor.execute("EXPLAIN " + CLAIM_SQL.format(only=""),
                       {"now": now, "batch": 200, "owner": "plan", "lease_until": now})
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("ROLLBACK")
    return plan


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default=os.environ.get("SIZE") or "quick", choices=sorted(SIZES))
    parser.add_argument("--due", type=int, help="timers due at once (overrides --size)")
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE", "motcua_bench"))
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    due_count = args.due or SIZES[args.size]
    if due_count > ARMED_SMALL:
        parser.error(f"--due must be at most {ARMED_SMALL}")

    started_all = time.monotonic()
    reset_database(args.database)
    setup_django(args.database)
    from django.core.management import call_command
    from django.db import connection, transaction

    from engine import clock as engine_clock
    from engine.calendar import VN_TZ
    from processes.clock import DatabaseClock, set_shared_time
    from processes.demo import seed_procedures, seed_units_and_officials
    from processes.models import Event, Incident, Timer, WorkItem
    from tests.processes.celery_worker import (CeleryWorker, RedisBroker, RedisServer, client_app,
                                               deploy_reminder_procedure, reminder_dossiers)

    call_command("migrate", verbosity=0)
    seed_units_and_officials(password="bench")
    seed_procedures()
    note(f"database {args.database} migrated and seeded in {time.monotonic() - started_all:.1f} s")

    engine_clock.set_clock(DatabaseClock())
    received = datetime(2026, 12, 1, 9, 0, tzinfo=VN_TZ)  # Tuesday; the boundary timers fall due Thu 03/12 09:00
    due_instant = datetime(2026, 12, 3, 9, 0, tzinfo=VN_TZ)
    set_shared_time(received)

    t = time.monotonic()
    with transaction.atomic():
        deploy_reminder_procedure()
        dossier_ids = reminder_dossiers(due_count, code_tag="b")
    note(f"{due_count} dossiers with a due boundary timer (1 received, {due_count - 1} bulk copies) in "
         f"{time.monotonic() - t:.1f} s")
    insert_fillers(dossier_ids, ARMED_SMALL - armed_count(), received, "s")
    size_small = {"armed": armed_count(), "due": 0, "data": "simulated"}
    assert size_small["armed"] == ARMED_SMALL
    median_small, p90_small = idle_sweep_ms()
    emit("sweep_idle_ms_10k", round(median_small, 3), "ms", size_small, p90=round(p90_small, 3))

    t = time.monotonic()
    insert_fillers(dossier_ids, ARMED_LARGE - armed_count(), received, "l")
    note(f"filler timers up to {ARMED_LARGE} armed in {time.monotonic() - t:.1f} s")
    size_large = {"armed": armed_count(), "due": 0, "data": "simulated"}
    assert size_large["armed"] == ARMED_LARGE
    median_large, p90_large = idle_sweep_ms()
    emit("sweep_idle_ms", round(median_large, 3), "ms", size_large, baseline=round(median_small, 3),
         ratio=round(median_large / median_small, 3), p90=round(p90_large, 3), target_ratio=2)
    note("claim plan at 100,000 armed:\n" + claim_plan())

    # The storm: a real worker with the production settings fires every due timer.
    workdir = Path(tempfile.mkdtemp(prefix="motcua-bench-timers-"))
    server = RedisServer(workdir / "redis").start()
    broker = RedisBroker(server)
    production = {"lease_seconds": 300, "sweep_seconds": 15, "max_in_flight": 1000, "visibility_timeout": 300}
    worker = CeleryWorker(broker, workdir / "worker", database=args.database, concurrency=args.concurrency,
                          **production)
    connection.close()
    try:
        worker.start()
        t0 = time.monotonic()
        set_shared_time(None, offset_seconds=(due_instant - datetime.now(VN_TZ)).total_seconds())  # time flows
        app = client_app(broker)
        app.send_task("processes.tasks.sweep_timers")  # the beat tick that meets the due instant
        app.close()
        fired, last_change, progress = 0, time.monotonic(), []
        while fired < due_count:
            time.sleep(0.5)
            now_fired = Timer.objects.filter(kind="diagram", status="fired").count()
            if now_fired != fired:
                fired, last_change = now_fired, time.monotonic()
            elif time.monotonic() - last_change > 120:
                raise SystemExit(f"no timer fired for 120 s ({fired}/{due_count}); worker log: {worker.log_path}")
            if not progress or time.monotonic() - progress[-1][0] >= 10:
                progress.append((time.monotonic(), fired))
                note(f"{fired}/{due_count} fired after {time.monotonic() - t0:.0f} s")
        storm = time.monotonic() - t0
        rss = worker_rss_mb(worker.process.pid)
    finally:
        worker.stop()
        server.kill()

    # Exactly once: one reminder work item and one timer_fired event per dossier, no incident, no extra attempt.
    timers = Timer.objects.filter(dossier_id__in=dossier_ids, kind="diagram")
    assert timers.filter(status="fired").count() == due_count
    assert WorkItem.objects.filter(dossier_id__in=dossier_ids, bpmn_id="nhac_viec").count() == due_count
    assert WorkItem.objects.filter(bpmn_id="nhac_viec").values("dossier_id").distinct().count() == due_count
    assert Event.objects.filter(dossier_id__in=dossier_ids, kind="timer_fired").count() == due_count
    assert not Incident.objects.exists()
    reclaimed = timers.filter(attempts__gt=1).count()
    emit("timer_storm_s", round(storm, 1), "s",
         {"armed": ARMED_LARGE, "due": due_count, "workers": f"prefork x{args.concurrency}", "broker": "redis",
          "data": "simulated"},
         firings_per_s=round(due_count / storm, 1), reclaimed=reclaimed, target_s=60)
    emit("worker_rss_mb", round(max(rss.values()), 1), "MB",
         {"firings": due_count, "processes": len(rss), "recycled": False, "data": "simulated"},
         per_process={str(pid): round(mb, 1) for pid, mb in sorted(rss.items())}, target=200)
    note(f"done in {time.monotonic() - started_all:.0f} s; worker log {worker.log_path}")


if __name__ == "__main__":
    main()
