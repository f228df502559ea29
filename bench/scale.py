#!/usr/bin/env python3
"""Scale benchmark (issue 8): a database holding a year of a province's dossiers (1,000,000 at size full) with their
history; prints one JSON line per figure, {"bench": NAME, "value": V, "unit": U, "size": ..., "baseline": B,
"ratio": R, "target": T}.

* scale_generate_s — seconds to build the database: migrate, seed, the template dossiers through the real services,
  the bulk copies, VACUUM ANALYZE.
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
back in time by whole weeks so that receptions cover the year. Events go through the hash-chain trigger like any
insert (each copy is its own stream); `--events N` keeps only the first N events of each copy (default: all).

It uses its own database (BENCH_SCALE_DATABASE, default motcua_bench_scale, dropped and made anew on every run).

  python bench/scale.py [--size smoke|quick|full] [--database NAME] [--events N] [--keep]
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
BATCH = 2000  # copies per transaction: each copy's events take one advisory lock until commit (the shared lock table
# holds ~6,400 with the default max_locks_per_transaction, for every session of the server)
REQUESTS, WARMUP = 200, 20
SIMULATED_NAME = "Dữ liệu mô phỏng"


def database_url(name):
    return os.environ.get("BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{name}")


def setup_django(name):
    os.environ["DATABASE_URL"] = database_url(name)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # seeding ~60 officials
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


def copy_statements(events_per_copy):
    """The INSERT … SELECT of one batch of the plan (g between %(lo)s and %(hi)s), table by table."""
    from processes.models import Dossier, DossierParticipant, Event, Timer, WorkItem

    plan = "bench_scale_plan p"
    batch = "p.g BETWEEN %(lo)s AND %(hi)s"
    d_cols = _cols(Dossier)
    statements = [(
        "dossiers",
        f"INSERT INTO processes_dossier (id, {', '.join(d_cols)}) "
        f"SELECT p.new_id, " + _select(Dossier, d_cols, {
            "code": "p.code", "data": "jsonb_set(t.data, '{dossier_code}', to_jsonb(p.code))", "simulated": "true",
        }) + f" FROM {plan} JOIN processes_dossier t ON t.id = p.template_id WHERE {batch}",
    )]
    for model in (DossierParticipant, WorkItem):
        cols = _cols(model)
        statements.append((
            model._meta.db_table,
            f"INSERT INTO {model._meta.db_table} ({', '.join(cols)}) "
            f"SELECT " + _select(model, cols, {"dossier_id": "p.new_id"})
            + f" FROM {plan} JOIN {model._meta.db_table} t ON t.dossier_id = p.template_id WHERE {batch} "
              f"ORDER BY p.g, t.id",
        ))
    t_cols = _cols(Timer)
    statements.append((
        "timers",
        f"INSERT INTO processes_timer ({', '.join(t_cols)}) "
        f"SELECT " + _select(Timer, t_cols, {
            "dossier_id": "p.new_id", "work_item_id": "nw.id",
            "idempotency_key": "'sim:' || p.new_id || ':' || t.id",
        }) + f" FROM {plan} JOIN processes_timer t ON t.dossier_id = p.template_id "
             f"LEFT JOIN processes_workitem tw ON tw.id = t.work_item_id "
             f"LEFT JOIN processes_workitem nw ON nw.dossier_id = p.new_id AND nw.engine_task_id = tw.engine_task_id "
             f"WHERE {batch} ORDER BY p.g, t.id",
    ))
    # the chain columns are the trigger's (stream, seq, prev_hash, hash); the template's code becomes the copy's
    e_cols = _cols(Event, "stream", "seq", "prev_hash", "hash")
    recode = "replace({0}::text, '\"' || td.code || '\"', '\"' || p.code || '\"')::jsonb"
    limit = "" if events_per_copy is None else f"AND t.id IN (SELECT e.id FROM processes_event e WHERE " \
                                               f"e.dossier_id = p.template_id ORDER BY e.id LIMIT {events_per_copy})"
    statements.append((
        "events",
        f"INSERT INTO processes_event ({', '.join(e_cols)}) "
        f"SELECT " + _select(Event, e_cols, {
            "dossier_id": "p.new_id", "data_before": recode.format("t.data_before"),
            "data_after": recode.format("t.data_after"),
        }) + f" FROM {plan} JOIN processes_dossier td ON td.id = p.template_id "
             f"JOIN processes_event t ON t.dossier_id = p.template_id WHERE {batch} {limit} ORDER BY p.g, t.id",
    ))
    return statements


def make_plan(cursor, templates, total, busy_open, busy_items, today):
    """bench_scale_plan(g, new_id, template_id, shift, code): one row per copy. Returns the number of copies."""
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
    cursor.execute("DROP TABLE IF EXISTS bench_scale_plan")
    cursor.execute("CREATE UNLOGGED TABLE bench_scale_plan (g bigint PRIMARY KEY, new_id bigint NOT NULL, "
                   "template_id bigint NOT NULL, shift interval NOT NULL, code text)")
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
            f"INSERT INTO bench_scale_plan (g, new_id, template_id, shift) "
            f"SELECT g, nextval(pg_get_serial_sequence('processes_dossier', 'id')), "
            f"       (%(ids)s::bigint[])[1 + (g * 7 + g / 3) %% array_length(%(ids)s::bigint[], 1)], "
            f"       -({shift.replace('%', '%%')}) "
            f"  FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) g",
            {"ids": ids, "lo": g0 + 1, "hi": g0 + count},
        )
        g0 += count
    cursor.execute(
        "UPDATE bench_scale_plan p SET code = u.code || '-' || "
        "       to_char((t.received_at + p.shift) AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYMMDD') || '-M' || "
        "       lpad(p.g::text, 7, '0') "
        "  FROM processes_dossier t JOIN processes_administrativeunit u ON u.id = t.receiving_unit_id "
        " WHERE t.id = p.template_id")
    cursor.execute("ANALYZE bench_scale_plan")
    return g0


def copy_all(copies, events_per_copy, workers):
    """Runs the batches on `workers` connections of their own (each batch one transaction); returns {table: s}."""
    import psycopg
    from django.db import connection

    statements = copy_statements(events_per_copy)
    dsn = connection.get_connection_params()
    dsn = {k: v for k, v in dsn.items() if k in ("dbname", "user", "host", "port", "password")}
    todo = queue.Queue()
    for lo in range(1, copies + 1, BATCH):
        todo.put((lo, min(copies, lo + BATCH - 1)))
    seconds = {name: 0.0 for name, _ in statements}
    lock, errors, done = threading.Lock(), [], [0]
    started = time.monotonic()

    def work():
        try:
            with psycopg.connect(**dsn, autocommit=True) as conn:  # each batch its own transaction
                conn.execute("SET synchronous_commit TO off")  # simulated rows: a crash may lose the last batches
                while True:
                    try:
                        lo, hi = todo.get_nowait()
                    except queue.Empty:
                        return
                    with conn.transaction():
                        for name, sql in statements:
                            t = time.monotonic()
                            conn.execute(sql, {"lo": lo, "hi": hi})
                            with lock:
                                seconds[name] += time.monotonic() - t
                    with lock:
                        done[0] += hi - lo + 1
                        if done[0] // 50_000 != (done[0] - (hi - lo + 1)) // 50_000:
                            rate = done[0] / (time.monotonic() - started)
                            note(f"{done[0]}/{copies} copies ({rate:.0f}/s)")
        except Exception as exc:  # noqa: BLE001 (reported by the main thread)
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return seconds


def generate(args, total, busy_open, busy_items, n_simulated):
    from django.core.management import call_command
    from django.db import connection

    from engine import clock
    from engine.calendar import VN_TZ
    from processes.demo import seed_procedures, seed_units_and_officials

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    seed_units_and_officials(password="bench")
    seed_procedures()
    t_seed = time.monotonic()
    today = clock.now().astimezone(VN_TZ).date()
    templates = make_templates(n_simulated, today)
    t_templates = time.monotonic()
    with connection.cursor() as cursor:
        copies = make_plan(cursor, templates, total, busy_open, busy_items, today)
    t_plan = time.monotonic()
    seconds = copy_all(copies, args.events, args.workers)
    t_copy = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_scale_plan")
        for table in ("processes_dossier", "processes_dossierparticipant", "processes_workitem", "processes_timer",
                      "processes_event", "processes_personalrecord"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    t_vacuum = time.monotonic()
    phases = {"migrate_seed": t_seed - started, "templates": t_templates - t_seed, "plan": t_plan - t_templates,
              "copies": t_copy - t_plan, "vacuum_analyze": t_vacuum - t_copy,
              **{f"copy_{k}": v for k, v in seconds.items()}}
    return t_vacuum - started, copies, templates, {k: round(v, 1) for k, v in phases.items()}


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
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="connections copying")
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
        seconds, copies, templates, phases = generate(args, total, busy_open, busy_items, n_simulated)
        found = counts()
        note(f"generated {found} in {seconds:.1f} s ({copies} bulk copies of {len(templates['finished'])} finished, "
             f"{len(templates['open'])} open and 4 busy-unit templates); phases {phases}")
    size = {"dossiers": found["dossiers"], "busy_unit_open": busy_open, "busy_official_items": busy_items,
            "data": "simulated"}
    if not args.reuse:
        emit("scale_generate_s", round(seconds, 1), "s", {**size, **{k: found[k] for k in found if k != "dossiers"}},
             phases=phases, events_per_copy=args.events or "all")

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
