#!/usr/bin/env python3
"""HTTP benchmark (issue 8): prints one JSON line per figure,
{"bench": NAME, "value": V, "unit": U, "size": ..., "baseline": B, "ratio": R}.

* http_rps — requests per second answered, locust (headless, 50 users) against gunicorn (2 × cores sync workers,
  DJANGO_DEBUG=0) on PostgreSQL. Target ≥ 200.
* http_p95_ms — the 95th percentile of the response times of all those requests. Target ≤ 200 ms.
* http_5xx — 5xx answers (and connection errors) during the run. Target 0. A 409 from a deliberate conflict (a
  completion posted twice, two users racing for one step) is expected and is not an error.

The load (bench/locustfile.py): 3 officials' users for 2 citizens' users. Officials (API tokens) list their own inbox
`/api/v1/tasks/`, read a dossier and its history, and claim and complete steps with the data each step needs;
citizens look up `/tra-cuu/?ma=<code>` (with the receipt's secret a third of the time; 1 in 10 a mistyped code).
Think times 0.05–0.25 s (BENCH_HTTP_WAIT) so that 50 users offer a little more than the 200 requests/s target.

Setup: its own database (motcua_bench_http, or BENCH_HTTP_DATABASE; dropped and migrated on every run), the demo's
units, officials and procedures, dossiers received through the services (simulated: applicant "Dữ liệu mô phỏng")
at the district and its communes so that the officials have work, an API token for each official of the lanes.
gunicorn gets production's environment: DJANGO_DEBUG and DATABASE_CONN_MAX_AGE as docker-compose.yml's web service
sets them (BENCH_HTTP_CONN_MAX_AGE=0 to compare with a connection per request), a secret key, ALLOWED_HOSTS. The portal's per-address rate limit is kept, and every citizen's
request comes from its own address (RATELIMIT_IP_META_KEY=HTTP_X_REAL_IP, as behind a reverse proxy). The cache is
Django's per-process memory cache unless BENCH_HTTP_CACHE_URL names a Redis (production: CACHE_URL=redis://…).

  python bench/http_load.py [--size smoke|quick|full] [--database NAME] [--workers N] [--users 50]
"""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import os  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402

from bench.common import database_url, emit, reset_database, setup_django  # noqa: E402
from bench.common import note as _note  # noqa: E402


def note(message):
    _note("http", message)


# (seconds of load, dossiers received beforehand)
SIZES = {"smoke": (5, 120), "quick": (30, 1200), "full": (120, 3000)}
USERS, SPAWN_RATE = 50, 25
DISTRICT = "000.00.16.H57"
LANE_ROLES = ("reception", "specialist", "unit_leader", "signing_leader")
PYTHON = sys.executable




def seed():
    from django.core.management import call_command

    from processes.demo import seed_procedures, seed_units_and_officials

    call_command("migrate", verbosity=0)
    seed_units_and_officials(password="bench")
    seed_procedures()


def _plans(count):
    """(procedure, unit) of `count` receptions: the district's procedures at the district, the communes' at the 16
    communes, round robin."""
    from processes.models import AdministrativeUnit, Procedure

    by_level = {}
    for procedure in Procedure.objects.filter(active=True, versions__isnull=False).distinct().order_by("code"):
        by_level.setdefault(procedure.level, []).append(procedure.code)
    pairs = []
    for unit in AdministrativeUnit.objects.filter(kind__in=list(by_level)).order_by("code"):
        pairs += [(code, unit.code) for code in by_level[unit.kind]]
    return [pairs[i % len(pairs)] for i in range(count)]


def _receive(plans):
    """In a worker process: receives the dossiers of `plans` at the units' desks."""
    from django.db import connection

    connection.close()
    from django.contrib.auth import get_user_model

    from processes.models import Membership, Procedure
    from processes.services.dossiers import receive_dossier
    from processes.services.events import Actor

    User = get_user_model()
    desks, documents = {}, {}
    for procedure, unit in plans:
        if unit not in desks:
            membership = Membership.objects.filter(unit__code=unit, role="reception").order_by("pk").first()
            desks[unit] = Actor(user=User.objects.get(pk=membership.user_id)) if membership else None
        if procedure not in documents:
            documents[procedure] = [{"name": d.get("name", ""), "copies": d.get("copies", 1), "received": True}
                                    for d in Procedure.objects.get(code=procedure).required_documents or []
                                    if isinstance(d, dict)]
        receive_dossier(procedure_code=procedure, unit_code=unit, actor=desks[unit], documents=documents[procedure],
                        applicant={"full_name": "Dữ liệu mô phỏng", "phone": "0900000000"}, simulated=True)
    connection.close()
    return len(plans)


def receive_dossiers(count, workers):
    from django.db import connection

    plans = _plans(count)
    connection.close()
    chunks = [plans[i::workers] for i in range(workers)]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return sum(pool.map(_receive, chunks))


def answers_by_step():
    """{procedure: {bpmn_id: [keys]}}: the step's required fields and its form's fields (what an official fills)."""
    from processes.models import ProcessVersion
    from processes.services.step_forms import _parsed

    found = {}
    for version in ProcessVersion.objects.select_related("procedure").order_by("number"):
        steps = found.setdefault(version.procedure.code, {})
        for step in version.steps or []:
            keys = list(step.get("required_fields") or [])
            if isinstance(step.get("form"), dict):
                form = _parsed(version.pk, version.checksum, step["bpmn_id"], json.dumps(step["form"], sort_keys=True))
                keys += [k for k in (form.keys if form else []) if k not in keys]
            steps[step["bpmn_id"]] = keys
    return found


def load_config(path):
    """The officials with open steps (most first) and their tokens, the dossiers' codes and secrets, the answers."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from rest_framework.authtoken.models import Token

    from processes.models import Dossier, Membership, WorkItem
    from processes.selectors import inbox_for
    from processes.simulation import BOOLEAN_ANSWERS

    users = get_user_model().objects.filter(
        pk__in=Membership.objects.filter(role__in=LANE_ROLES).values("user_id")).order_by("username")
    officials = []
    for user in users:
        open_steps = inbox_for(user).filter(kind="step").count()
        if open_steps:
            token, _ = Token.objects.get_or_create(user=user)
            officials.append({"username": user.username, "token": token.key, "open_steps": open_steps})
    officials.sort(key=lambda o: -o["open_steps"])
    dossiers = [{"code": code, "secret": secret}
                for code, secret in Dossier.objects.order_by("pk").values_list("code", "lookup_secret")]
    config = {"officials": officials, "dossiers": dossiers, "answers": answers_by_step(),
              "booleans": BOOLEAN_ANSWERS}
    path.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    open_items = WorkItem.objects.filter(status="open", kind="step").count()
    by_status = dict(Dossier.objects.values_list("status").annotate(n=Count("pk")))
    return config, open_items, by_status


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_env():
    """What production's web service sets that changes how a request is served (docker-compose.yml): DJANGO_DEBUG,
    DATABASE_CONN_MAX_AGE. The rest of its environment names its hosts (db, redis), which are not here."""
    import yaml

    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    env = compose["services"]["web"].get("environment") or {}
    return {key: str(env[key]) for key in ("DJANGO_DEBUG", "DATABASE_CONN_MAX_AGE") if key in env}


def server_env(database):
    env = {**os.environ, "DATABASE_URL": database_url(database), "DJANGO_SETTINGS_MODULE": "motcua.settings",
           "DJANGO_DEBUG": "0", "DATABASE_CONN_MAX_AGE": "0", **production_env(),
           "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
           "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost", "LOG_LEVEL": "WARNING",
           # many citizens behind one reverse proxy: the client's address is in X-Real-IP (each its own in the load)
           "RATELIMIT_IP_META_KEY": "HTTP_X_REAL_IP"}
    env.pop("CACHE_URL", None)
    if os.environ.get("BENCH_HTTP_CACHE_URL"):
        env["CACHE_URL"] = os.environ["BENCH_HTTP_CACHE_URL"]
    if os.environ.get("BENCH_HTTP_CONN_MAX_AGE"):  # to compare with another setting
        env["DATABASE_CONN_MAX_AGE"] = os.environ["BENCH_HTTP_CONN_MAX_AGE"]
    return env


def start_gunicorn(env, workers, port, log):
    command = [PYTHON, "-m", "gunicorn", "motcua.wsgi:application", "--workers", str(workers),
               "--bind", f"127.0.0.1:{port}", "--timeout", "60", "--error-logfile", "-"]
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode} (log: {log.name})")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/tra-cuu/", timeout=5) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.2)
    else:
        raise RuntimeError(f"gunicorn did not answer in 60 s (log: {log.name})")
    # one request per worker process so that none pays its first-request imports inside the measurement
    for _ in range(workers * 3):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/tra-cuu/", timeout=10).read()
    return proc


def stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # gunicorn's own session (start_new_session): it and its workers only
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def run_locust(host, users, seconds, config_path, workdir):
    prefix = workdir / "locust"
    env = {**os.environ, "BENCH_HTTP_CONFIG": str(config_path)}
    command = [PYTHON, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless", "-u", str(users),
               "-r", str(SPAWN_RATE), "-t", f"{seconds}s", "--host", host, "--csv", str(prefix),
               "--only-summary", "--stop-timeout", "10", "--exit-code-on-error", "0", "--loglevel", "WARNING"]
    with open(workdir / "locust.log", "w") as log:
        done = subprocess.run(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                              timeout=seconds + 120)
    if done.returncode != 0:
        raise RuntimeError(f"locust exited with {done.returncode}: {(workdir / 'locust.log').read_text()[-3000:]}")
    with open(f"{prefix}_stats.csv", newline="") as f:
        stats = list(csv.DictReader(f))
    with open(f"{prefix}_failures.csv", newline="") as f:
        failures = list(csv.DictReader(f))
    return stats, failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default=os.environ.get("SIZE") or "quick", choices=sorted(SIZES))
    parser.add_argument("--database", default=os.environ.get("BENCH_HTTP_DATABASE", "motcua_bench_http"))
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1), help="gunicorn workers")
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--seconds", type=int, help="seconds of load (overrides --size)")
    args = parser.parse_args()
    seconds, dossiers = SIZES[args.size]
    seconds = args.seconds or seconds

    started_all = time.monotonic()
    load_before = os.getloadavg()[0]  # another job on this machine skews every figure: said in each line
    reset_database(args.database)
    setup_django(args.database)
    seed()
    note(f"database {args.database} migrated and seeded in {time.monotonic() - started_all:.1f} s")
    t = time.monotonic()
    received = receive_dossiers(dossiers, os.cpu_count() or 2)
    workdir = Path(tempfile.mkdtemp(prefix="motcua-bench-http-"))
    config, open_items, by_status = load_config(workdir / "config.json")
    note(f"{received} dossiers received in {time.monotonic() - t:.1f} s ({by_status}); {open_items} open steps in "
         f"the inboxes of {len(config['officials'])} officials")

    port = free_port()
    env_used = server_env(args.database)
    log = open(workdir / "gunicorn.log", "w")
    server = start_gunicorn(env_used, args.workers, port, log)
    try:
        note(f"gunicorn ({args.workers} workers, DATABASE_CONN_MAX_AGE={env_used['DATABASE_CONN_MAX_AGE']}) on "
             f"127.0.0.1:{port}; locust: {args.users} users for {seconds} s "
             f"(files in {workdir})")
        stats, failures = run_locust(f"http://127.0.0.1:{port}", args.users, seconds, workdir / "config.json",
                                     workdir)
    finally:
        stop(server)
        log.close()

    total = next(row for row in stats if row["Name"] == "Aggregated")
    for row in stats:
        if row["Name"] != "Aggregated":
            note(f"{row['Type']:4} {row['Name']:45} {int(row['Request Count']):6} requests, "
                 f"median {row['50%']} ms, p95 {row['95%']} ms, max {float(row['Max Response Time']):.0f} ms, "
                 f"{row['Failure Count']} failures")
    # locust names a failure by its message, wrapped: "CatchResponseError('5xx 500')"
    server_errors = sum(int(f["Occurrences"]) for f in failures
                        if "5xx" in f["Error"] or "connection error" in f["Error"])
    other_failures = sum(int(f["Occurrences"]) for f in failures) - server_errors
    for f in failures:
        note(f"failure: {f['Method']} {f['Name']}: {f['Error'][:300]} × {f['Occurrences']}")
    rps, p95 = float(total["Requests/s"]), float(total["95%"])
    conflicts = sum(int(r["Request Count"]) for r in stats if r["Name"].endswith("(again: 409)"))
    size = {"users": args.users, "seconds": seconds, "gunicorn_workers": args.workers, "dossiers": received,
            "data": "simulated"}
    context = {"conn_max_age": int(env_used["DATABASE_CONN_MAX_AGE"]), "loadavg_before": round(load_before, 2)}
    requests_total = int(total["Request Count"])
    emit("http_rps", round(rps, 1), "requests/s", size, requests=requests_total, target=200, **context)
    emit("http_p95_ms", p95, "ms", size, median_ms=float(total["50%"]), p99_ms=float(total["99%"]), target=200,
         **context)
    emit("http_5xx", server_errors, "responses", size, other_failures=other_failures, deliberate_409=conflicts,
         target=0, **context)
    if server_errors or other_failures:
        note(f"the server's and locust's logs are kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    note(f"done in {time.monotonic() - started_all:.0f} s")


if __name__ == "__main__":
    main()
