#!/usr/bin/env python3
"""Scale benchmark (issue 8): a database holding a year of a province's dossiers (1,000,000 at size full) with their
history; prints one JSON line per figure, {"bench": NAME, "value": V, "unit": U, "size": ..., "baseline": B,
"ratio": R, "target": T}.

* scale_generate_s — seconds to build the database: migrate, seed, the template dossiers through the real services,
  the plan, the bulk copies, VACUUM ANALYZE, the indexes and constraints, the verification of the chains, a
  CHECKPOINT; the phases in the figure and on stderr ("scale_generate_s: <phase> <s>").
* inbox_p95_ms — GET /api/v1/tasks/ (the first page of the inbox, with its count) with the token of a busy official:
  `items` open work items of theirs, in a unit holding `busy_open` open dossiers; Django's test Client through the
  whole stack (URLconf, middleware, token authentication, DRF, serializers); p95 (and p50) of 200 requests after
  warm-up. Target ≤ 50 ms.
* lookup_p95_ms — GET /tra-cuu/?ma=<code> (the citizens' public look-up page) for random dossier codes; p95 (and
  p50) of 200 requests (rate limits raised in this process). Target ≤ 20 ms.
* year_report_s — processes.statistics.report for the calendar year of today, the province and all its sub-units
  (every figure of the dashboard, the officials' rows included): median of 3 runs after one. Target ≤ 1 s.
* *_with_index — experiments: a figure that misses its target measured again after a plain CREATE INDEX made by hand
  in this benchmark's database (no migration), to say which index would fix it.

The data (simulated, marked so: Dossier.simulated, applicants "Dữ liệu mô phỏng", codes "<unit>-<yymmdd>-M<n>"):
the demo province (Cai Lậy district and its 16 communes); template dossiers made through the real services — a
simulation (processes.simulation: receptions, steps, supplements, refusals, late dossiers and their explanations,
returns; receive_dossier(simulated=True) underneath) over the last six weeks, and a few dossiers of the busy commune
received and advanced by hand to chosen steps — then copied in bulk SQL (INSERT … SELECT from a plan made with
generate_series) with their participants, work items, timers and events, each copy in its template's unit, moved
back in time by whole weeks so that receptions cover the year. `--events N` keeps only the first N events of each
copy (default: all).

The bulk load, in this benchmark's database only: the indexes of the five bulk tables other than their primary keys,
their unique constraints and their foreign keys are dropped (definitions read from the catalog first), the copies
made on `--workers` connections, then VACUUM ANALYZE (and ANALYZE of every other table), every index re-created by CREATE INDEX, the unique constraints
put back on their index and the foreign keys added again (each validated over the whole table); the run fails unless
the catalog then spells every index, constraint and trigger as before. The events of the copies do not go through
the hash-chain trigger (processes_event_chain, disabled for the copies and enabled again whatever happens; the
append-only trigger stays): each copy is its own stream 'dossier:<id>', seq the rank of the template's event, and
prev_hash/hash are computed by the trigger's own function processes_event_digest on the row itself (a
processes_event row, columns in the catalog's order), in a plpgsql loop per batch that carries the previous hash
(`--chain loop`; `--chain cte`: a recursive CTE over the seq levels, about 1.5× slower). Then the chains are proved:
processes.services.audit.verify_chains on every stream of the templates (and the platform's) and on
`--verify-sample` random copies (-1: one verify_chains() walk of the whole log), no event left without a chain, and
one event recorded through the trigger on a copied dossier must chain onto its bulk-loaded head (it stays in the
dossier's history: kind bench_chain_check). Any problem fails the run.

It uses its own database (BENCH_SCALE_DATABASE, default motcua_bench_scale, dropped and made anew on every run).

  python bench/scale.py [--size smoke|quick|full] [--database NAME] [--events N] [--workers N] [--chain loop|cte]
                        [--verify-sample N] [--experiments auto|always|never] [--reuse]
"""
from __future__ import annotations

import argparse
import os
import queue
import random
import statistics
import sys
import threading
import time
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.common import emit, reset_database  # noqa: E402
from bench.common import setup_django as common_setup_django  # noqa: E402
from bench.common import note as _note  # noqa: E402


def note(message):
    _note("scale", message)


# total dossiers, open dossiers of the busy unit, open work items of the busy official, simulated templates
SIZES = {
    "smoke": (2_000, 200, 50, 30),
    "quick": (100_000, 5_000, 500, 120),
    "full": (1_000_000, 50_000, 500, 120),
}
TARGETS = {"inbox_p95_ms": 50, "lookup_p95_ms": 20, "year_report_s": 1}
BUSY_UNIT = "003.00.16.H57"  # xã Hiệp Đức
BUSY_OFFICIAL = "tuphap.hiepduc"  # its civil-status officer (specialist@self)
SIM_DAYS = 42  # the templates' period: six weeks up to today
OPEN_SHARE = 0.03  # copies of open templates outside the busy unit, received in the last three weeks
BATCH = 2000  # copies per transaction (about 25,000 events at most: the chain loop's result is held in work_mem)
REQUESTS, WARMUP = 200, 20
SIMULATED_NAME = "Dữ liệu mô phỏng"



def setup_django(name):
    settings = common_setup_django(name)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # Django's test Client
    settings.MOTCUA_PORTAL_RATES = {"lookup": "1000000/m"}  # one client address asks thousands of times


def percentile(samples, p):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# ------------------------------------------------------------------------------------------------ templates


def _answers(item):
    """What an official types to complete the step: every required field and form key (yes to eligibility and
    approval, no to an extra verification)."""
    from processes.services.step_forms import step_form

    keys = list(item.required_fields or [])
    form = step_form(item)
    if form is not None:
        keys += [k for k in form.keys if k not in keys]
    yes_no = {"eligible": True, "approved": True, "needs_verification": False}
    return {k: yes_no.get(k, "Mô phỏng") for k in keys}


def _advance(dossier, steps):
    """Completes the dossier's open step `steps` times, each by a member of the step's unit and role."""
    from django.contrib.auth import get_user_model

    from processes.models import Membership, WorkItem
    from processes.services.dossiers import complete_work_item
    from processes.services.events import Actor

    for _ in range(steps):
        item = WorkItem.objects.filter(dossier=dossier, status="open", kind="step").order_by("id").first()
        member = Membership.objects.filter(unit_id=item.unit_id, role=item.role).order_by("user_id").first()
        complete_work_item(item_id=item.pk, actor=Actor(user=get_user_model().objects.get(pk=member.user_id)),
                           data=_answers(item))


def make_templates(n_simulated, today):
    """The dossiers the copies are made of, all through the real services: a simulation of the district and its
    communes over the last six weeks, and four dossiers of the busy commune stopped at chosen steps (received on the
    last weekday: copies are moved back by weekdays). Returns {kind: [dossier ids]}."""
    from engine import clock
    from engine.calendar import VN_TZ
    from processes.models import AdministrativeUnit, Dossier, OPEN_STATUSES, PersonalRecord, UnitKind
    from processes.services.dossiers import receive_dossier
    from processes.simulation import Simulation

    units = list(AdministrativeUnit.objects.filter(kind__in=[UnitKind.DISTRICT, UnitKind.COMMUNE]).order_by("code"))
    Simulation(dossiers=n_simulated, first_day=today - timedelta(days=SIM_DAYS), last_day=today, units=units,
               seed=8).run()

    friday = today - timedelta(days=(today.weekday() - 4) % 7)  # the last Friday, today included
    fixed = clock.FixedClock(datetime.combine(friday, dtime(8, 0), VN_TZ))
    previous = clock.set_clock(fixed)
    busy = {}
    try:
        # (kind, procedure, steps done): the open step is the busy official's / the commune chairman's / the district's
        # labour department's (liên thông) / the district chairman's
        for kind, procedure, steps in (("mine", "chung-thuc-ban-sao", 0), ("leader", "chung-thuc-ban-sao", 1),
                                       ("labour", "tro-cap-xa-hoi", 3), ("district", "tro-cap-xa-hoi", 4)):
            fixed.advance(timedelta(minutes=20))
            dossier = receive_dossier(procedure_code=procedure, unit_code=BUSY_UNIT,
                                      applicant={"full_name": SIMULATED_NAME}, simulated=True)
            _advance(dossier, steps)
            busy[kind] = dossier.pk
    finally:
        clock.set_clock(previous)

    # every applicant of the benchmark's database is a simulated one
    PersonalRecord.objects.update(full_name=SIMULATED_NAME, id_number="", phone="", email="")
    assert not Dossier.objects.filter(simulated=False).exists()
    busy_unit = AdministrativeUnit.objects.get(code=BUSY_UNIT)
    sim = Dossier.objects.exclude(pk__in=busy.values())
    return {
        "busy": busy,
        "finished": list(sim.filter(finished_at__isnull=False).order_by("id").values_list("id", flat=True)),
        # open templates of the other units (the busy unit's open dossiers are the four above, in set numbers)
        "open": list(sim.filter(status__in=OPEN_STATUSES).exclude(receiving_unit=busy_unit)
                     .order_by("id").values_list("id", flat=True)),
        "busy_unit_id": busy_unit.pk,
    }


# ------------------------------------------------------------------------------------------------ the copies

BULK_TABLES = ("processes_dossier", "processes_dossierparticipant", "processes_workitem", "processes_timer",
               "processes_event")
GENESIS = "0" * 64  # the prev_hash of a stream's first row (processes.services.audit.GENESIS)


def _cols(model, *exclude):
    return [f.column for f in model._meta.concrete_fields if f.column not in ("id", *exclude)]


def _datetime_cols(model):
    return {f.column for f in model._meta.concrete_fields if f.get_internal_type() == "DateTimeField"}


def _select(model, cols, overrides, alias="t"):
    stamps = _datetime_cols(model)
    out = []
    for c in cols:
        if c in overrides:
            out.append(overrides[c])
        elif c in stamps:
            out.append(f"{alias}.{c} + p.shift")
        else:
            out.append(f"{alias}.{c}")
    return ", ".join(out)


def catalog_columns(cursor, table):
    """The table's columns in the catalog's order: the order of the fields of its row type."""
    cursor.execute("SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
                   "AND NOT attisdropped ORDER BY attnum", [table])
    return [row[0] for row in cursor.fetchall()]


# The loop of the event copies' chains: the rows of a batch arrive in stream and seq order, each gets the previous
# row's hash and its own, computed by the trigger's own function on the row itself (a processes_event row: the
# columns in the catalog's order).
CHAIN_LOOP = """
CREATE OR REPLACE FUNCTION bench_scale_chain(source text, lo bigint, hi bigint) RETURNS SETOF processes_event AS $$
DECLARE
    r processes_event;
    stream text;
    last_seq bigint;
    prev text;
BEGIN
    FOR r IN EXECUTE source USING lo, hi LOOP
        IF r.stream IS DISTINCT FROM stream THEN
            stream := r.stream;
            last_seq := 0;
            prev := repeat('0', 64);
        END IF;
        IF r.seq <> last_seq + 1 THEN
            RAISE EXCEPTION 'bench_scale_chain: % seq % after %', r.stream, r.seq, last_seq;
        END IF;
        r.prev_hash := prev;
        r.hash := processes_event_digest(r);
        prev := r.hash;
        last_seq := r.seq;
        RETURN NEXT r;
    END LOOP;
END;
$$ LANGUAGE plpgsql;
"""


def copy_statements(event_columns, chain):
    """The INSERT … SELECT of one batch of the plan (g between %(lo)s and %(hi)s), table by table: [(name, sql,
    extra parameters)]. The templates are read from their snapshots (bench_scale_t_*), never from the growing tables.
    The events are chained here, the chain trigger being off: stream 'dossier:<copy>', seq the rank of the template's
    event, prev_hash and hash by processes_event_digest — in a plpgsql loop (chain="loop") or in a recursive CTE over
    the seq levels (chain="cte")."""
    from processes.models import Dossier, DossierParticipant, Event, Timer, WorkItem

    plan = "bench_scale_plan p"
    batch = "p.g BETWEEN %(lo)s AND %(hi)s"
    d_cols = _cols(Dossier)
    statements = [(
        "dossiers",
        f"INSERT INTO processes_dossier (id, {', '.join(d_cols)}) "
        f"SELECT p.new_id, " + _select(Dossier, d_cols, {
            "code": "p.code", "data": "jsonb_set(t.data, '{dossier_code}', to_jsonb(p.code))", "simulated": "true",
        }) + f" FROM {plan} JOIN bench_scale_t_dossier t ON t.id = p.template_id WHERE {batch} ORDER BY p.g",
        {},
    )]
    cols = _cols(DossierParticipant)
    statements.append((
        "participants",
        f"INSERT INTO processes_dossierparticipant ({', '.join(cols)}) "
        f"SELECT " + _select(DossierParticipant, cols, {"dossier_id": "p.new_id"})
        + f" FROM {plan} JOIN bench_scale_t_participant t ON t.dossier_id = p.template_id WHERE {batch} "
          f"ORDER BY p.g, t.id",
        {},
    ))
    # a copy's work items have the ids reserved by the plan: wi_base + their rank in the template
    w_cols = _cols(WorkItem)
    statements.append((
        "work_items",
        f"INSERT INTO processes_workitem (id, {', '.join(w_cols)}) "
        f"SELECT p.wi_base + t.rank, " + _select(WorkItem, w_cols, {"dossier_id": "p.new_id"})
        + f" FROM {plan} JOIN bench_scale_t_workitem t ON t.dossier_id = p.template_id WHERE {batch} "
          f"ORDER BY p.g, t.rank",
        {},
    ))
    t_cols = _cols(Timer)
    statements.append((
        "timers",
        f"INSERT INTO processes_timer ({', '.join(t_cols)}) "
        f"SELECT " + _select(Timer, t_cols, {
            "dossier_id": "p.new_id", "work_item_id": "p.wi_base + tw.rank",
            "idempotency_key": "'sim:' || p.new_id || ':' || t.id",
        }) + f" FROM {plan} JOIN bench_scale_t_timer t ON t.dossier_id = p.template_id "
             f"LEFT JOIN bench_scale_t_workitem tw ON tw.id = t.work_item_id WHERE {batch} ORDER BY p.g, t.id",
        {},
    ))

    # the events: every column of the row type, in the catalog's order; the template's code becomes the copy's
    stamps = _datetime_cols(Event)
    recode = "replace({0}::text, '\"' || td.code || '\"', '\"' || p.code || '\"')::jsonb"
    exprs = {}
    for c in event_columns:
        exprs[c] = {
            "id": "p.ev_base + t.rank", "dossier_id": "p.new_id", "stream": "'dossier:' || p.new_id",
            "seq": "t.rank", "prev_hash": "''", "hash": "''",
            "data_before": recode.format("t.data_before"), "data_after": recode.format("t.data_after"),
        }.get(c, f"t.{c} + p.shift" if c in stamps else f"t.{c}")
    source = (f"FROM {plan} JOIN bench_scale_t_dossier td ON td.id = p.template_id "
              f"JOIN bench_scale_t_event t ON t.dossier_id = p.template_id")
    names = ", ".join(event_columns)
    if chain == "loop":
        statements.append((
            "events",
            f"INSERT INTO processes_event ({names}) SELECT {names} FROM bench_scale_chain(%(source)s, %(lo)s, %(hi)s)",
            {"source": f"SELECT {', '.join(exprs[c] for c in event_columns)} {source} "
                       f"WHERE p.g BETWEEN $1 AND $2 ORDER BY p.g, t.rank"},
        ))
    else:
        def row(prev):
            return ", ".join(prev if c == "prev_hash" else "''" if c == "hash" else f"s.{c}" for c in event_columns)

        final = ", ".join("c.prev" if c == "prev_hash" else "c.hash" if c == "hash" else f"s.{c}"
                          for c in event_columns)
        statements.append((
            "events",
            f"INSERT INTO processes_event ({names}) "
            f"WITH RECURSIVE src AS MATERIALIZED ("
            f"  SELECT {', '.join(f'{exprs[c]} AS {c}' for c in event_columns)} {source} WHERE {batch}), "
            f"chain AS ("
            f"  SELECT s.stream, s.seq, '{GENESIS}'::text AS prev, "
            f"         processes_event_digest(ROW({row(f'{GENESIS!r}')})::processes_event) AS hash "
            f"    FROM src s WHERE s.seq = 1 "
            f"  UNION ALL "
            f"  SELECT s.stream, s.seq, c.hash, processes_event_digest(ROW({row('c.hash')})::processes_event) "
            f"    FROM chain c JOIN src s ON s.stream = c.stream AND s.seq = c.seq + 1) "
            f"SELECT {final} FROM src s JOIN chain c ON c.stream = s.stream AND c.seq = s.seq ORDER BY s.id",
            {},
        ))
    return statements


def make_plan(cursor, templates, total, busy_open, busy_items, today, events_per_copy):
    """bench_scale_plan(g, new_id, template_id, shift, code, wi_base, ev_base): one row per copy; its work items and
    events get the ids wi_base / ev_base + their rank in the template, reserved here. Snapshots of the templates'
    rows (bench_scale_t_*: what the copies read). Returns the number of copies."""
    from processes.models import Dossier, OPEN_STATUSES, WorkItem

    busy = templates["busy"]
    existing = Dossier.objects.count()
    open_in_busy = Dossier.objects.filter(receiving_unit_id=templates["busy_unit_id"], status__in=OPEN_STATUSES).count()
    mine = WorkItem.objects.filter(status="open", unit_id=templates["busy_unit_id"], role="specialist").count()
    mine_copies = busy_items - mine
    other_copies = busy_open - open_in_busy - mine_copies
    assert mine_copies >= 0 and other_copies >= 0, (mine, open_in_busy)
    rest = total - existing - mine_copies - other_copies
    open_copies = int(rest * OPEN_SHARE) if templates["open"] else 0
    finished_copies = rest - open_copies

    # the templates, every row of the five tables at this point; work items and events ranked in id order within
    # their dossier (a copy's event of rank n is the n-th of its stream)
    for name, table, rank in (("dossier", "processes_dossier", False),
                              ("participant", "processes_dossierparticipant", False),
                              ("workitem", "processes_workitem", True), ("timer", "processes_timer", False),
                              ("event", "processes_event", True)):
        cursor.execute(f"DROP TABLE IF EXISTS bench_scale_t_{name}")
        ranked = ", row_number() OVER (PARTITION BY dossier_id ORDER BY id) AS rank" if rank else ""
        where = " WHERE dossier_id IS NOT NULL" if name == "event" else ""
        cursor.execute(f"CREATE UNLOGGED TABLE bench_scale_t_{name} AS SELECT *{ranked} FROM {table}{where}")
    if events_per_copy is not None:
        cursor.execute("DELETE FROM bench_scale_t_event WHERE rank > %s", [events_per_copy])
    for name in ("dossier", "participant", "workitem", "timer", "event"):
        cursor.execute(f"ANALYZE bench_scale_t_{name}")

    for table in ("bench_scale_plan", "bench_scale_draft"):
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
    cursor.execute("CREATE UNLOGGED TABLE bench_scale_draft (g bigint NOT NULL, new_id bigint NOT NULL, "
                   "template_id bigint NOT NULL, shift interval NOT NULL)")
    # shifts: whole weeks for the simulation's templates (their weekdays stay working days); weekdays back from the
    # busy templates' Friday for the busy unit's backlog (a year of it)
    parts = [
        ([busy["mine"]], mine_copies, "((g % 260) / 5 * 7 + (g % 5)) * interval '1 day'"),
        ([busy["leader"], busy["labour"], busy["district"]], other_copies,
         "((g % 260) / 5 * 7 + (g % 5)) * interval '1 day'"),
        (templates["open"], open_copies, "(g % 3) * interval '7 days'"),
        (templates["finished"], finished_copies, "((g * 7919) % 46) * interval '7 days'"),
    ]
    g0 = 0
    for ids, count, shift in parts:
        if count <= 0:
            continue
        cursor.execute(
            f"INSERT INTO bench_scale_draft (g, new_id, template_id, shift) "
            f"SELECT g, nextval(pg_get_serial_sequence('processes_dossier', 'id')), "
            f"       (%(ids)s::bigint[])[1 + (g * 7 + g / 3) %% array_length(%(ids)s::bigint[], 1)], "
            f"       -({shift.replace('%', '%%')}) "
            f"  FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) g",
            {"ids": ids, "lo": g0 + 1, "hi": g0 + count},
        )
        g0 += count

    # the ids of the copies' work items and events: a block of each sequence, reserved (setval) before any insert
    cursor.execute("CREATE TEMPORARY TABLE bench_scale_count AS SELECT d.id AS template_id, "
                   "(SELECT count(*) FROM bench_scale_t_workitem w WHERE w.dossier_id = d.id)::int AS wi, "
                   "(SELECT count(*) FROM bench_scale_t_event e WHERE e.dossier_id = d.id)::int AS ev "
                   "FROM bench_scale_t_dossier d")
    cursor.execute("SELECT COALESCE(sum(c.wi), 0), COALESCE(sum(c.ev), 0) FROM bench_scale_draft d "
                   "JOIN bench_scale_count c USING (template_id)")
    total_wi, total_ev = cursor.fetchone()
    bases = {}
    for table, count in (("processes_workitem", total_wi), ("processes_event", total_ev)):
        cursor.execute(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id'))")
        bases[table] = cursor.fetchone()[0]
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [bases[table] + count])
    cursor.execute(
        "CREATE UNLOGGED TABLE bench_scale_plan AS "
        "SELECT d.g, d.new_id, d.template_id, d.shift, "
        "       u.code || '-' || to_char((t.received_at + d.shift) AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYMMDD') "
        "       || '-M' || lpad(d.g::text, 7, '0') AS code, "
        "       %(wi0)s + sum(c.wi) OVER w - c.wi AS wi_base, %(ev0)s + sum(c.ev) OVER w - c.ev AS ev_base "
        "  FROM bench_scale_draft d JOIN bench_scale_t_dossier t ON t.id = d.template_id "
        "  JOIN processes_administrativeunit u ON u.id = t.receiving_unit_id "
        "  JOIN bench_scale_count c ON c.template_id = d.template_id "
        "WINDOW w AS (ORDER BY d.g)",
        {"wi0": bases["processes_workitem"], "ev0": bases["processes_event"]})
    cursor.execute("DROP TABLE bench_scale_draft")
    cursor.execute("DROP TABLE bench_scale_count")
    cursor.execute("ALTER TABLE bench_scale_plan ADD PRIMARY KEY (g)")
    cursor.execute("ANALYZE bench_scale_plan")
    return g0


def drop_scratch(cursor):
    for table in ("bench_scale_plan", "bench_scale_draft", "bench_scale_t_dossier", "bench_scale_t_participant",
                  "bench_scale_t_workitem", "bench_scale_t_timer", "bench_scale_t_event"):
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
    cursor.execute("DROP FUNCTION IF EXISTS bench_scale_chain(text, bigint, bigint)")


def _dsn():
    from django.db import connection

    params = connection.get_connection_params()
    return {k: v for k, v in params.items() if k in ("dbname", "user", "host", "port", "password")}


def parallel(jobs, workers, run, settings=()):
    """run(conn, job) for every job, in order, on `workers` connections of their own (autocommit, `settings` SET
    first); the first error is raised once every connection has stopped."""
    import psycopg

    dsn = _dsn()
    todo = queue.Queue()
    for job in jobs:
        todo.put(job)
    errors = []

    def work():
        try:
            with psycopg.connect(**dsn, autocommit=True) as conn:
                for sql in settings:
                    conn.execute(sql)
                while not errors:
                    try:
                        job = todo.get_nowait()
                    except queue.Empty:
                        return
                    run(conn, job)
        except Exception as exc:  # noqa: BLE001 (raised by the main thread)
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def copy_all(copies, statements, workers):
    """The batches of the plan, each one transaction; returns {table: s} (summed over the connections)."""
    seconds = {name: 0.0 for name, _, _ in statements}
    lock, done = threading.Lock(), [0]
    started = time.monotonic()

    def run(conn, bounds):
        lo, hi = bounds
        with conn.transaction():
            for name, sql, extra in statements:
                t = time.monotonic()
                conn.execute(sql, {"lo": lo, "hi": hi, **extra})
                with lock:
                    seconds[name] += time.monotonic() - t
        with lock:
            done[0] += hi - lo + 1
            if done[0] // 100_000 != (done[0] - (hi - lo + 1)) // 100_000:
                rate = done[0] / (time.monotonic() - started)
                note(f"{done[0]}/{copies} copies ({rate:.0f}/s)")

    parallel([(lo, min(copies, lo + BATCH - 1)) for lo in range(1, copies + 1, BATCH)], workers, run,
             # simulated rows: a crash may lose the last batches (the run starts again from an empty database)
             settings=["SET synchronous_commit TO off", "SET work_mem TO '128MB'"])
    return seconds


def bulk_schema(cursor):
    """The indexes and constraints of the five bulk tables, as the catalog spells them."""
    cursor.execute("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                   "AND tablename = ANY(%s) ORDER BY 1, 2", [list(BULK_TABLES)])
    indexes = cursor.fetchall()
    cursor.execute("SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid), "
                   "       COALESCE(conindid::regclass::text, '') "
                   "  FROM pg_constraint WHERE conrelid = ANY(%s::regclass[]) ORDER BY 1, 2", [list(BULK_TABLES)])
    constraints = cursor.fetchall()
    cursor.execute("SELECT tgrelid::regclass::text, tgname, tgenabled FROM pg_trigger "
                   "WHERE tgrelid = ANY(%s::regclass[]) AND NOT tgisinternal ORDER BY 1, 2", [list(BULK_TABLES)])
    return {"indexes": indexes, "constraints": constraints, "triggers": cursor.fetchall()}


def drop_secondary(cursor, schema):
    """Drops what the copies would maintain row by row: every foreign key and unique constraint of the five tables
    and every index but their primary keys (the copies' ids ascend: appending to a primary key is cheap). Check
    constraints stay (checked per row, no lookup)."""
    for table, name, kind, _definition, _index in schema["constraints"]:
        if kind in ("f", "u"):
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    keep = {index for _t, _n, kind, _d, index in schema["constraints"] if kind == "p"}
    for table, name, _definition in schema["indexes"]:
        if name not in keep:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')


def restore_secondary(cursor, schema, workers, phase):
    """Re-creates what drop_secondary dropped, from the definitions read before: the indexes (unique ones
    included) by CREATE INDEX on `workers` connections, biggest table first; then the unique constraints on their
    index and the foreign keys (each validated over the whole table). Fails unless the catalog then spells every
    index, constraint and trigger of the five tables as before."""
    unique = {index: (table, name) for table, name, kind, _d, index in schema["constraints"] if kind == "u"}
    primary = {index for _t, _n, kind, _d, index in schema["constraints"] if kind == "p"}
    todo = [(table, name, definition) for table, name, definition in schema["indexes"] if name not in primary]
    cursor.execute("SELECT relname, pg_relation_size(oid) FROM pg_class WHERE relname = ANY(%s)", [list(BULK_TABLES)])
    size = dict(cursor.fetchall())
    todo.sort(key=lambda job: -size[job[0]])
    per_table, lock = {}, threading.Lock()

    def build(conn, job):
        table, name, definition = job
        t = time.monotonic()
        conn.execute(definition.replace("CREATE UNIQUE INDEX ", "CREATE UNIQUE INDEX IF NOT EXISTS ", 1)
                     .replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
        with lock:
            per_table[table] = per_table.get(table, 0.0) + time.monotonic() - t

    parallel(todo, workers, build, settings=["SET maintenance_work_mem TO '1GB'",
                                             "SET max_parallel_maintenance_workers TO 0"])
    phase("indexes", f"{len(todo)} CREATE INDEX on {workers} connections; per table, summed: "
          + ", ".join(f"{k} {v:.1f} s" for k, v in per_table.items()))
    cursor.execute("SET work_mem TO '256MB'")
    try:
        for table, name, kind, definition, index in schema["constraints"]:
            if kind == "u":
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" UNIQUE USING INDEX "{index}"')
        for table, name, kind, definition, _index in schema["constraints"]:
            if kind == "f":
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    finally:
        cursor.execute("RESET work_mem")
    phase("constraints", f"{len(unique)} unique on their index, "
          f"{sum(1 for c in schema['constraints'] if c[2] == 'f')} foreign keys validated")
    now = bulk_schema(cursor)
    if now != schema:
        raise RuntimeError(f"the bulk tables' schema differs after the copies: {now} != {schema}")


def verify(cursor, copies, first_copy_event, sample=2000, seed=8):
    """Proves the chains: verify_chains on every stream of the templates and the platform and on `sample` random
    copies; no row left unchained; then one event through the trigger on a copied dossier must chain onto the
    bulk-loaded head. Raises on any problem; returns what was checked."""
    from processes.models import Dossier, Event
    from processes.services.audit import verify_chains
    from processes.services.events import record_event

    cursor.execute("SELECT DISTINCT stream FROM processes_event WHERE id < %s ORDER BY 1", [first_copy_event])
    streams = [row[0] for row in cursor.fetchall()]
    n_templates = len(streams)
    # the copies checked (with sample -1, one: the dossier of the trigger's event)
    picked = sorted(random.Random(seed).sample(range(1, copies + 1), 1 if sample < 0 else min(sample, copies)))
    cursor.execute("SELECT new_id FROM bench_scale_plan WHERE g = ANY(%s) ORDER BY g", [picked])
    copied = [row[0] for row in cursor.fetchall()]
    if sample < 0:  # the whole log in one walk
        problems = verify_chains()
        cursor.execute("SELECT count(*), count(DISTINCT stream) FROM processes_event")
        events, n_streams = cursor.fetchone()
    else:
        streams += [f"dossier:{pk}" for pk in copied]
        problems = []
        for stream in streams:
            problems += verify_chains(stream)
        cursor.execute("SELECT count(*) FROM processes_event WHERE stream = ANY(%s)", [streams])
        events, n_streams = cursor.fetchone()[0], len(streams)
    if problems:
        raise RuntimeError(f"{len(problems)} chain problems in {n_streams} streams: "
                           + "; ".join(str(p.as_dict()) for p in problems[:10]))
    cursor.execute("SELECT count(*) FROM processes_event WHERE seq IS NULL OR hash = '' OR prev_hash = '' "
                   "OR stream = ''")
    unchained = cursor.fetchone()[0]
    if unchained:
        raise RuntimeError(f"{unchained} events without a chain")

    dossier = Dossier.objects.get(pk=copied[0])
    stream = f"dossier:{dossier.pk}"
    head = Event.objects.filter(stream=stream).order_by("-seq").first()
    added = record_event("bench_chain_check", dossier=dossier, after={"note": "chain check of the bulk load"})
    added.refresh_from_db()
    if (added.stream, added.seq, added.prev_hash) != (stream, head.seq + 1, head.hash) or not added.hash:
        raise RuntimeError(f"the trigger's event does not follow the bulk-loaded head of {stream}: "
                           f"{(added.stream, added.seq, added.prev_hash)} after {(head.seq, head.hash)}")
    if verify_chains(stream):
        raise RuntimeError(f"{stream} broken after the trigger's event: {verify_chains(stream)}")
    return {"streams": n_streams, "template_streams": n_templates, "copied_streams": n_streams - n_templates,
            "events": events, "problems": 0, "unchained": 0,
            "trigger_event": {"stream": stream, "seq": added.seq, "prev_hash_is_bulk_head": True}}


def generate(args, total, busy_open, busy_items, n_simulated):
    from django.core.management import call_command
    from django.db import connection, transaction

    from engine import clock
    from engine.calendar import VN_TZ
    from processes.demo import seed_procedures, seed_units_and_officials

    started = time.monotonic()
    phases = {}
    mark = [started]

    def phase(name, detail=""):
        now = time.monotonic()
        phases[name] = round(now - mark[0], 1)
        note(f"scale_generate_s: {name} {now - mark[0]:.1f} s" + (f" ({detail})" if detail else ""))
        mark[0] = now

    call_command("migrate", verbosity=0)
    seed_units_and_officials(password="bench")
    seed_procedures()
    phase("migrate_seed")
    today = clock.now().astimezone(VN_TZ).date()
    templates = make_templates(n_simulated, today)
    phase("templates")
    with connection.cursor() as cursor:
        copies = make_plan(cursor, templates, total, busy_open, busy_items, today, args.events)
        cursor.execute("SELECT min(ev_base) + 1 FROM bench_scale_plan")
        first_copy_event = cursor.fetchone()[0] or 2**62
        event_columns = catalog_columns(cursor, "processes_event")
        if args.chain == "loop":
            cursor.execute(CHAIN_LOOP)
        schema = bulk_schema(cursor)
        assert ("processes_event", "processes_event_chain", "O") in schema["triggers"], schema["triggers"]
    phase("plan")
    statements = copy_statements(event_columns, args.chain)
    with connection.cursor() as cursor:
        dropped = False
        try:
            # the chain trigger off for the copies only (they chain their events themselves); the append-only
            # trigger stays
            cursor.execute("ALTER TABLE processes_event DISABLE TRIGGER processes_event_chain")
            try:
                with transaction.atomic():  # all or nothing: what is dropped is restored below
                    drop_secondary(cursor, schema)
                dropped = True
                phase("drop_indexes")
                seconds = copy_all(copies, statements, args.workers)
            finally:
                cursor.execute("ALTER TABLE processes_event ENABLE TRIGGER processes_event_chain")
            phases.update({f"copy_{k}": round(v, 1) for k, v in seconds.items()})
            phase("copies", "per table, summed over the connections: "
                  + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()))
            tables = [*BULK_TABLES, "processes_personalrecord"]
            cursor.execute("SELECT relname FROM pg_class WHERE relname = ANY(%s) ORDER BY pg_relation_size(oid) DESC",
                           [tables])
            parallel([row[0] for row in cursor.fetchall()], args.workers,
                     lambda conn, table: conn.execute(f"VACUUM ANALYZE {table}"))
            # and the statistics of every other table: autovacuum never analyzes a table of a few rows (the 10
            # procedures, the units, the officials), and without them the planner guessed the year report's joins
            # and the inbox's plan wrong at 1,000,000 dossiers (9.5 s instead of 4.4 s; 79 ms instead of 33 ms)
            cursor.execute("SELECT relid::regclass::text FROM pg_stat_user_tables WHERE relname <> ALL(%s) "
                           "AND relname NOT LIKE 'bench\\_scale\\_%%' ORDER BY 1", [tables])
            for (table,) in cursor.fetchall():
                cursor.execute(f"ANALYZE {table}")
            phase("vacuum_analyze")
        finally:
            if dropped:
                restore_secondary(cursor, schema, args.workers, phase)
        checked = verify(cursor, copies, first_copy_event, sample=args.verify_sample)
        drop_scratch(cursor)
        phase("verification", str(checked))
        # whatever of the load is still dirty written out before anything is measured (the figures should not share
        # the disk with a checkpoint of the load; at 1,000,000 dossiers it found nothing left: 0.0 s)
        cursor.execute("CHECKPOINT")
        phase("checkpoint")
    return time.monotonic() - started, copies, templates, phases, checked


def counts():
    from django.db import connection

    found = {}
    with connection.cursor() as cursor:
        for name, table in (("dossiers", "processes_dossier"), ("work_items", "processes_workitem"),
                            ("events", "processes_event"), ("timers", "processes_timer"),
                            ("participants", "processes_dossierparticipant")):
            cursor.execute(f"SELECT count(*) FROM {table}")
            found[name] = cursor.fetchone()[0]
        cursor.execute("SELECT pg_database_size(current_database())")
        found["database_mb"] = round(cursor.fetchone()[0] / 2**20)
    return found


# ------------------------------------------------------------------------------------------------ measurements


def timed_requests(client, paths, check, **headers):
    samples = []
    for i, path in enumerate(paths):
        started = time.perf_counter()
        response = client.get(path, **headers)
        elapsed = (time.perf_counter() - started) * 1000
        check(response, i)
        samples.append(elapsed)
    return samples


def measure_inbox(busy_items):
    import json

    from django.contrib.auth import get_user_model
    from django.test import Client
    from rest_framework.authtoken.models import Token

    token, _ = Token.objects.get_or_create(user=get_user_model().objects.get(username=BUSY_OFFICIAL))
    client = Client()

    def check(response, _i):
        assert response.status_code == 200, response.content[:500]
        body = json.loads(response.content)
        assert body["count"] == busy_items, (body["count"], busy_items)
        assert len(body["results"]) == min(50, busy_items)

    headers = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    timed_requests(client, ["/api/v1/tasks/"] * WARMUP, check, **headers)
    samples = timed_requests(client, ["/api/v1/tasks/"] * REQUESTS, check, **headers)
    return samples


def random_codes(n, seed=1):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM processes_dossier")
        lo, hi = cursor.fetchone()
        rng = random.Random(seed)
        cursor.execute("SELECT code FROM processes_dossier WHERE id = ANY(%s)",
                       [[rng.randint(lo, hi) for _ in range(n * 2)]])
        codes = [row[0] for row in cursor.fetchall()]
    rng.shuffle(codes)
    return codes[:n]


def measure_lookup():
    from urllib.parse import quote

    from django.test import Client

    codes = random_codes(REQUESTS + WARMUP)
    client = Client()

    def check(response, i):
        assert response.status_code == 200, (response.status_code, response.content[:300])
        assert codes_used[i].encode() in response.content

    codes_used = codes[:WARMUP]
    timed_requests(client, [f"/tra-cuu/?ma={quote(c)}" for c in codes_used], check)
    codes_used = codes[WARMUP:]
    return timed_requests(client, [f"/tra-cuu/?ma={quote(c)}" for c in codes_used], check)


def year_scope():
    from engine import clock
    from engine.calendar import VN_TZ
    from processes.demo import PROVINCE
    from processes.models import AdministrativeUnit
    from processes.statistics import Scope, subtree_ids

    year = clock.now().astimezone(VN_TZ).year
    province = AdministrativeUnit.objects.get(code=PROVINCE[0])
    return Scope.for_days(date(year, 1, 1), date(year, 12, 31), unit_ids=sorted(subtree_ids([province.pk])))


def measure_report(runs=3):
    from processes.statistics import report

    scope = year_scope()
    samples = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        found = report(scope)
        samples.append(time.perf_counter() - started)
    return samples, found


# Experiments (figures named *_jit_off, *_with_index): run for a figure that misses its target (never at size smoke,
# which checks the plumbing). The indexes are made by hand in this benchmark's database only (the schema changes
# through migrations) and dropped again; the figures say what they would buy.
REPORT_INDEXES = {
    # every column the report's grouped aggregate reads, so that a year of a province is an index-only scan of narrow
    # tuples instead of a scan of the dossiers' wide rows (workflow state, data, documents)
    "bench_exp_dossier_report": "CREATE INDEX bench_exp_dossier_report ON processes_dossier (receiving_unit_id, "
                                "received_at) INCLUDE (id, procedure_id, status, channel, finished_at, due_at, "
                                "returned_at, clock_paused_at, clock_generation, late_official_id)",
    # the officials' rows: the steps completed in the period, with what they count
    "bench_exp_workitem_completed": "CREATE INDEX bench_exp_workitem_completed ON processes_workitem (completed_at) "
                                    "INCLUDE (completed_by_id, dossier_id, result) WHERE kind = 'step' AND "
                                    "status = 'completed' AND completed_by_id IS NOT NULL",
}


def set_jit(on):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET jit = " + ("on" if on else "off"))


def explain_report(label):
    """EXPLAIN ANALYZE of the report's queries slower than 50 ms, on stderr."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from processes.statistics import report

    scope = year_scope()
    with CaptureQueriesContext(connection) as captured:
        report(scope)
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            if float(query["time"]) < 0.05:
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
            note(f"{label}: {query['time']} s\n{query['sql'][:300]}...\n{plan}")


def explain_inbox(label):
    from django.contrib.auth import get_user_model
    from django.db import connection

    from processes.selectors import inbox_for

    qs = inbox_for(get_user_model().objects.get(username=BUSY_OFFICIAL))
    with connection.cursor() as cursor:
        for sql, params in (qs[:50].query.sql_with_params(), qs.order_by().values("pk").query.sql_with_params()):
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            note(f"{label}:\n" + "\n".join(row[0] for row in cursor.fetchall()))


def report_experiments(size, median_s):
    """The year report again: with JIT off for the session, then with the covering indexes (JIT as configured, then
    off)."""
    from django.db import connection

    explain_report("year report (as configured)")
    set_jit(False)
    runs, _ = measure_report()
    value = statistics.median(runs[1:])
    emit("year_report_s_jit_off", round(value, 3), "s", size, baseline=round(median_s, 3),
         ratio=round(value / median_s, 3), experiment="SET jit = off (this session)",
         runs=[round(r, 3) for r in runs[1:]], target=TARGETS["year_report_s"])
    explain_report("year report (jit off)")
    set_jit(True)
    t = time.monotonic()
    with connection.cursor() as cursor:
        for sql in REPORT_INDEXES.values():
            cursor.execute(sql)
        cursor.execute("VACUUM ANALYZE processes_dossier")
        cursor.execute("VACUUM ANALYZE processes_workitem")
        cursor.execute("SELECT sum(pg_relation_size(c.oid)) FROM pg_class c WHERE c.relname = ANY(%s)",
                       [list(REPORT_INDEXES)])
        index_mb = round(cursor.fetchone()[0] / 2**20)
    made = time.monotonic() - t
    try:
        for jit in (True, False):
            set_jit(jit)
            runs, _ = measure_report()
            value = statistics.median(runs[1:])
            emit("year_report_s_with_index" + ("" if jit else "_jit_off"), round(value, 3), "s", size,
                 baseline=round(median_s, 3), ratio=round(value / median_s, 3),
                 experiment="CREATE INDEX by hand (no migration): " + "; ".join(REPORT_INDEXES.values())
                            + ("" if jit else "; SET jit = off"),
                 index_mb=index_mb, index_build_s=round(made, 1), runs=[round(r, 3) for r in runs[1:]],
                 target=TARGETS["year_report_s"])
        explain_report("year report (covering indexes, jit off)")
    finally:
        set_jit(True)
        with connection.cursor() as cursor:
            for name in REPORT_INDEXES:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default=os.environ.get("SIZE") or "quick", choices=sorted(SIZES))
    parser.add_argument("--database", default=os.environ.get("BENCH_SCALE_DATABASE", "motcua_bench_scale"))
    parser.add_argument("--events", type=int, default=None, help="events copied per copy (default: all of them)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                        help="connections copying, vacuuming and indexing")
    parser.add_argument("--chain", choices=("loop", "cte"), default="loop",
                        help="how the copies' events are chained: a plpgsql loop per batch carrying the previous "
                             "hash (default, the faster) or a recursive CTE over the seq levels")
    parser.add_argument("--verify-sample", type=int, default=2000,
                        help="copied streams checked by verify_chains after the load, with every template's "
                             "(-1: one verify_chains() walk of the whole log)")
    parser.add_argument("--experiments", choices=("auto", "always", "never"), default="auto",
                        help="auto: for the figures that miss their target, except at size smoke")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the database of a previous run of the same size (no generation, no figure)")
    args = parser.parse_args()
    total, busy_open, busy_items, n_simulated = SIZES[args.size]

    if not args.reuse:
        reset_database(args.database)
    setup_django(args.database)
    if args.reuse:
        found = counts()
        note(f"reusing {args.database}: {found}")
    else:
        seconds, copies, templates, phases, checked = generate(args, total, busy_open, busy_items, n_simulated)
        found = counts()
        note(f"generated {found} in {seconds:.1f} s ({copies} bulk copies of {len(templates['finished'])} finished, "
             f"{len(templates['open'])} open and 4 busy-unit templates); phases {phases}")
    size = {"dossiers": found["dossiers"], "busy_unit_open": busy_open, "busy_official_items": busy_items,
            "data": "simulated"}
    if not args.reuse:
        emit("scale_generate_s", round(seconds, 1), "s", {**size, **{k: found[k] for k in found if k != "dossiers"}},
             phases=phases, events_per_copy=args.events or "all", chain=args.chain, verified=checked)

    inbox = measure_inbox(busy_items)
    emit("inbox_p95_ms", round(percentile(inbox, 95), 2), "ms", size, p50=round(percentile(inbox, 50), 2),
         requests=len(inbox), target=TARGETS["inbox_p95_ms"])
    lookup = measure_lookup()
    emit("lookup_p95_ms", round(percentile(lookup, 95), 2), "ms", size, p50=round(percentile(lookup, 50), 2),
         requests=len(lookup), target=TARGETS["lookup_p95_ms"])
    runs, found_report = measure_report()
    report_s = statistics.median(runs[1:])
    emit("year_report_s", round(report_s, 3), "s", size, first=round(runs[0], 3),
         runs=[round(r, 3) for r in runs[1:]], to_process=found_report.totals["to_process"],
         target=TARGETS["year_report_s"])

    experiments = args.experiments == "always" or (args.experiments == "auto" and args.size != "smoke")
    if experiments and (args.experiments == "always" or percentile(inbox, 95) > TARGETS["inbox_p95_ms"]):
        explain_inbox("inbox")
    if experiments and (args.experiments == "always" or report_s > TARGETS["year_report_s"]):
        report_experiments(size, report_s)


if __name__ == "__main__":
    main()
