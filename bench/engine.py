#!/usr/bin/env python3
"""Engine benchmark (issue 8): prints one JSON line per figure,
{"bench": NAME, "value": V, "unit": U, "size": ..., "baseline": B, "ratio": R}.

* step_overhead_ratio — one dossier step through the services on PostgreSQL (complete_work_item: lock, load, run,
  save, work items, statutory clock, event log; one transaction) ÷ one raw SpiffWorkflow step with the same serializer
  (engine.runner.Instance.load of the stored state without its spec, complete_task, dumps), on the same dossier state,
  interleaved in the same run; medians. Target ≤ 3.
* instance_bytes — the stored, uncompressed workflow state of a mid-flight dossier (after 2 of its 5 steps): median
  and max over the dossiers. Target ≤ 8 KB.
* dossiers_per_s — complete 5-step dossiers (received, then 5 steps completed by the official of the lane) per second,
  end to end through the services, with as many worker processes as cores; pgbench_tps — pgbench's default (TPC-B
  like) transaction rate with as many clients on the same server in the same run; the line carries the ratio of the
  dossiers' transactions per second (6 per dossier) to pgbench's. Target ≥ 50 dossiers/s.

The procedure is five sequential user tasks in one lane (bench/five_steps.bpmn, made here); the data is simulated
(applicant "Dữ liệu mô phỏng"). It uses its own database (motcua_bench_engine, dropped and migrated on every run).

  python bench/engine.py [--size smoke|quick|full] [--database NAME]
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.common import database_url, emit, reset_database, setup_django  # noqa: E402
from bench.common import note as _note  # noqa: E402


def note(message):
    _note("engine", message)


# (dossiers for the step ratio and sizes, dossiers per worker for the throughput, pgbench seconds)
SIZES = {"smoke": (20, 10, 3), "quick": (200, 100, 10), "full": (1000, 500, 30)}
PROCEDURE = "bench-nam-buoc"
UNIT = "003.00.16.H57"
STEPS = 5


def five_steps_bpmn():
    tasks, flows, refs = [], [], []
    previous = "start"
    for i in range(1, STEPS + 1):
        tasks.append(f'''
    <bpmn:userTask id="buoc_{i}" name="Bước {i}">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="allocation_hours" value="8" />
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:userTask>''')
        flows.append(f'<bpmn:sequenceFlow id="f_{i}" sourceRef="{previous}" targetRef="buoc_{i}" />')
        refs.append(f"<bpmn:flowNodeRef>buoc_{i}</bpmn:flowNodeRef>")
        previous = f"buoc_{i}"
    flows.append(f'<bpmn:sequenceFlow id="f_end" sourceRef="{previous}" targetRef="end" />')
    return f'''<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="Definitions_bench" targetNamespace="http://motcua.example/bpmn">
  <bpmn:process id="bench_nam_buoc" name="Thủ tục đo hiệu năng: năm bước" isExecutable="true">
    <bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="statutory_limit" value="5" />
      <spiffworkflow:property name="statutory_unit" value="working_days" />
      <spiffworkflow:property name="procedure_code" value="{PROCEDURE}" />
    </spiffworkflow:properties></bpmn:extensionElements>
    <bpmn:laneSet id="LaneSet_1">
      <bpmn:lane id="Lane_specialist" name="specialist@self">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>{"".join(refs)}<bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" />{"".join(tasks)}
    <bpmn:endEvent id="end" />
    {"".join(flows)}
  </bpmn:process>
</bpmn:definitions>'''




def seed():
    from decimal import Decimal

    from django.core.management import call_command

    from processes.demo import seed_procedures, seed_units_and_officials
    from processes.models import Field, Procedure
    from processes.services.procedures import deploy_process_version

    call_command("migrate", verbosity=0)
    seed_units_and_officials(password="bench")
    seed_procedures()
    Procedure.objects.create(code=PROCEDURE, name="Thủ tục đo hiệu năng: năm bước", field=Field.objects.first(),
                             level="commune", statutory_limit=Decimal(5), statutory_unit="working_days",
                             online_level="none")
    deploy_process_version(xml=five_steps_bpmn().encode(), filename="five_steps.bpmn")


def specialist():
    from django.contrib.auth import get_user_model

    from processes.models import Membership
    from processes.services.events import Actor

    membership = Membership.objects.filter(unit__code=UNIT, role="specialist").order_by("pk").first()
    return Actor(user=get_user_model().objects.get(pk=membership.user_id))


def receive():
    from processes.services.dossiers import receive_dossier

    return receive_dossier(procedure_code=PROCEDURE, unit_code=UNIT, applicant={"full_name": "Dữ liệu mô phỏng"},
                           simulated=True)


def raw_step_ms(dossier, item):
    """The baseline: deserialize the stored state (the spec from the cache, as the services do), complete the same
    ready task, serialize."""
    from engine.functions import build_functions
    from engine.runner import Instance
    from processes.services.calendar import calendar_for_unit

    functions = build_functions(calendar_for_unit(dossier.receiving_unit))
    spec_json = dossier.version.spec_json
    state = dossier.workflow_state
    started = time.perf_counter()
    instance = Instance.load(spec_json, state, functions)
    instance.complete_task(item.engine_task_id, {})
    instance.dumps()
    return (time.perf_counter() - started) * 1000


def step_ratio(count):
    from processes.models import Dossier, WorkItem
    from processes.services.dossiers import complete_work_item

    actor = specialist()
    dossiers = [receive() for _ in range(count)]
    raw, service, sizes = [], [], []
    for step in range(STEPS):
        for dossier in dossiers:
            dossier = Dossier.objects.select_related("version", "receiving_unit").get(pk=dossier.pk)
            item = WorkItem.objects.get(dossier=dossier, status="open", kind="step")
            raw.append(raw_step_ms(dossier, item))
            started = time.perf_counter()
            complete_work_item(item_id=item.pk, actor=actor)
            service.append((time.perf_counter() - started) * 1000)
            if step == 1:  # after 2 of 5 steps: mid-flight
                sizes.append(len(Dossier.objects.values_list("workflow_state", flat=True)
                                 .get(pk=dossier.pk).encode("utf-8")))
    return statistics.median(service), statistics.median(raw), sizes


def _worker(args):
    """One process: `count` dossiers received and run through their five steps; returns (dossiers, seconds)."""
    name, count = args
    from django.db import connection

    connection.close()
    from processes.models import WorkItem
    from processes.services.dossiers import complete_work_item

    actor = specialist()
    started = time.perf_counter()
    for _ in range(count):
        dossier = receive()
        for _step in range(STEPS):
            item = WorkItem.objects.filter(dossier=dossier, status="open", kind="step").values_list("pk", flat=True)[0]
            complete_work_item(item_id=item, actor=actor)
    connection.close()
    return count, time.perf_counter() - started


def throughput(name, per_worker, workers):
    from django.db import connection

    connection.close()
    ctx = multiprocessing.get_context("fork")
    started = time.perf_counter()
    with ctx.Pool(workers) as pool:
        results = pool.map(_worker, [(name, per_worker)] * workers)
    elapsed = time.perf_counter() - started
    return sum(n for n, _ in results) / elapsed, elapsed


def pgbench_tps(name, clients, seconds):
    if shutil.which("pgbench") is None:
        return None
    url = database_url(name)
    host, port, user = "127.0.0.1", "5432", "postgres"
    match = re.match(r"postgres(?:ql)?://(?:(\w+)(?::[^@]*)?@)?([^:/]+)(?::(\d+))?/", url)
    if match:
        user, host, port = match.group(1) or user, match.group(2), match.group(3) or port
    base = ["pgbench", "-h", host, "-p", port, "-U", user]
    subprocess.run([*base, "-i", "-q", "-s", "1", name], check=True, capture_output=True, timeout=300)
    out = subprocess.run([*base, "-c", str(clients), "-j", str(clients), "-T", str(seconds), name], check=True,
                         capture_output=True, text=True, timeout=seconds + 120).stdout
    found = re.search(r"tps = ([0-9.]+)", out)
    return float(found.group(1)) if found else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default=os.environ.get("SIZE") or "quick", choices=sorted(SIZES))
    parser.add_argument("--database", default=os.environ.get("BENCH_ENGINE_DATABASE", "motcua_bench_engine"))
    args = parser.parse_args()
    ratio_count, per_worker, pg_seconds = SIZES[args.size]
    workers = os.cpu_count() or 2
    started_all = time.monotonic()
    reset_database(args.database)
    setup_django(args.database)
    seed()
    note(f"database {args.database} migrated and seeded in {time.monotonic() - started_all:.1f} s")

    service_ms, raw_ms, sizes = step_ratio(ratio_count)
    size = {"dossiers": ratio_count, "steps": STEPS, "data": "simulated"}
    emit("step_overhead_ratio", round(service_ms / raw_ms, 2), "ratio", size, baseline=round(raw_ms, 3),
         ratio=round(service_ms / raw_ms, 2), service_ms=round(service_ms, 3), raw_ms=round(raw_ms, 3), target=3)
    emit("instance_bytes", int(statistics.median(sizes)), "bytes", {**size, "after_steps": 2},
         max=max(sizes), target=8192)

    rate, elapsed = throughput(args.database, per_worker, workers)
    tps = pgbench_tps(args.database, workers, pg_seconds)
    dossier_tps = rate * (STEPS + 1)  # one transaction to receive, one per step
    emit("dossiers_per_s", round(rate, 1), "dossiers/s",
         {"dossiers": per_worker * workers, "workers": workers, "steps": STEPS, "data": "simulated"},
         baseline=round(tps, 1) if tps else None, ratio=round(dossier_tps / tps, 3) if tps else None,
         seconds=round(elapsed, 1), transactions_per_s=round(dossier_tps, 1), target=50)
    if tps:
        emit("pgbench_tps", round(tps, 1), "tps", {"clients": workers, "seconds": pg_seconds, "scale": 1})
    note(f"done in {time.monotonic() - started_all:.0f} s")


if __name__ == "__main__":
    main()
