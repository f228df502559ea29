"""A REAL Celery worker (and, for the fault tests, a private redis-server) as subprocesses, plus the timer load they
fire: used by tests/processes/test_timer_faults.py and bench/timers.py. Nothing here is mocked — the worker runs
`celery -A motcua worker --pool=prefork` against the PostgreSQL database the caller names, reads the shared clock
(MOTCUA_SHARED_CLOCK=1) and talks to a real broker (redis-server or kombu's filesystem:// folders).

The Redis on 127.0.0.1:6379 is shared with other people's workers, which would consume our messages (and we theirs):
the tests and the benchmark start their own redis-server on a free port instead.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
REMINDER_BPMN = REPO / "tests" / "processes" / "fixtures" / "reminder_timer.bpmn"
REMINDER_PROCEDURE = "thu-nhac-viec"
REMINDER_UNIT = "003.00.16.H57"  # Hiệp Đức commune in the demo data


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(predicate, timeout, what, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def _group_alive(pgid):
    """Any process of the group that is not a zombie."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # state, ppid, pgrp, ...
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


# --------------------------------------------------------------------------------------------------------- brokers


class RedisServer:
    """Our own redis-server without persistence: a restart loses every message it held (as a crash of a broker
    without AOF would), which is exactly what the timer table must survive."""

    def __init__(self, workdir, port=None):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.process = None
        if shutil.which("redis-server") is None:
            raise FileNotFoundError("redis-server is not installed")

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--maxmemory-policy", "noeviction", "--dir", str(self.workdir), "--daemonize", "no"],
            stdout=open(self.workdir / "redis.log", "ab"), stderr=subprocess.STDOUT, start_new_session=True,
        )
        _wait(self.ping, 10, f"redis-server on port {self.port}")
        return self

    def ping(self):
        import redis

        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
        except redis.RedisError:
            return False

    def kill(self):
        """A crash: SIGKILL, no shutdown, nothing saved."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def restart(self):
        self.kill()
        return self.start()

    def queue_length(self, queue="celery"):
        import redis

        return redis.Redis(port=self.port).llen(queue)


class RedisBroker:
    def __init__(self, server: RedisServer):
        self.server = server

    @property
    def url(self):
        return self.server.url

    def env(self):
        return {"CELERY_BROKER_URL": self.url}

    def transport_options(self):
        return {"socket_connect_timeout": 2, "socket_timeout": 10}


class FilesystemBroker:
    """kombu's filesystem:// transport: a message is deleted as soon as a worker fetches it, so after a crash nothing
    in the broker brings it back — only the timer lease does."""

    url = "filesystem://"

    def __init__(self, folder):
        self.folder = Path(folder)
        for sub in ("queue", "processed", "control"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)

    def env(self):
        return {"CELERY_BROKER_URL": self.url, "MOTCUA_BROKER_DIR": str(self.folder)}

    def transport_options(self):  # the same folders motcua/settings.py derives from MOTCUA_BROKER_DIR
        return {"data_folder_in": str(self.folder / "queue"), "data_folder_out": str(self.folder / "queue"),
                "processed_folder": str(self.folder / "processed"), "control_folder": str(self.folder / "control"),
                "store_processed": False}

    def queue_length(self):
        return sum(1 for _ in (self.folder / "queue").glob("*.msg"))

    def queued_firings(self):
        """The timer ids of the fire_timer / fire_timers messages still waiting in the queue folder."""
        import base64
        import json

        ids = set()
        for path in (self.folder / "queue").glob("*.msg"):
            try:
                message = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            task = message.get("headers", {}).get("task")
            if task not in ("processes.tasks.fire_timer", "processes.tasks.fire_timers"):
                continue
            body = message["body"]
            if message.get("properties", {}).get("body_encoding") == "base64":
                body = base64.b64decode(body)
            args = json.loads(body)[0]
            ids.update(args[0] if task == "processes.tasks.fire_timers" else [args[0]])
        return ids


def client_app(broker):
    """A Celery app in this process that publishes to `broker` (the test process's own settings may name another)."""
    from celery import Celery

    app = Celery(f"motcua-client-{uuid.uuid4().hex[:6]}", broker=broker.url, set_as_current=False)
    # Celery lets the CELERY_BROKER_URL environment variable (which `make test` exports) win over broker=; name the
    # broker for writes explicitly so this client publishes where the test's worker listens.
    app.conf.broker_write_url = broker.url
    app.conf.broker_read_url = broker.url
    app.conf.broker_transport_options = broker.transport_options()
    app.conf.broker_connection_retry_on_startup = True
    return app


# ---------------------------------------------------------------------------------------------------------- worker


def database_url(database=None):
    """A URL for the database Django uses now (the pytest test database inside a test)."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{database or db['NAME']}"


class CeleryWorker:
    """`celery -A motcua worker --pool=prefork --concurrency=N [-B]` in its own process group (so that kill() can
    `kill -9` the main process, its pool children and the embedded beat at once), logging to a file."""

    def __init__(self, broker, workdir, *, database=None, concurrency=2, beat=True, lease_seconds=5,
                 sweep_seconds=1, max_in_flight=20, visibility_timeout=10, extra_env=None):
        self.broker = broker
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.database_url = database_url(database)
        self.concurrency = concurrency
        self.beat = beat
        self.settings_env = {
            "MOTCUA_SHARED_CLOCK": "1",
            "MOTCUA_TIMER_LEASE_SECONDS": str(lease_seconds),
            "MOTCUA_SWEEP_SECONDS": str(sweep_seconds),
            "MOTCUA_SWEEP_MAX_IN_FLIGHT": str(max_in_flight),
            "CELERY_VISIBILITY_TIMEOUT": str(visibility_timeout),
            **(extra_env or {}),
        }
        self.process = None
        self.starts = 0
        self.log_path = None

    def env(self):
        env = {k: v for k, v in os.environ.items() if k not in ("MOTCUA_BROKER_DIR", "CELERY_BROKER_URL")}
        env.update({
            "DJANGO_SETTINGS_MODULE": "motcua.settings",
            "DATABASE_URL": self.database_url,
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "WARNING",  # Django's own loggers; the worker logs its tasks at INFO
            **self.broker.env(),
            **self.settings_env,
        })
        return env

    def start(self, timeout=60):
        self.starts += 1
        self.log_path = self.workdir / f"worker-{self.starts}.log"
        name = f"faults-{uuid.uuid4().hex[:8]}@%h"
        cmd = [sys.executable, "-m", "celery", "-A", "motcua", "worker", "--pool=prefork",
               f"--concurrency={self.concurrency}", "--loglevel=INFO", "-n", name,
               "--without-gossip", "--without-mingle", "--without-heartbeat"]
        if self.beat:
            cmd += ["-B", "--schedule", str(self.workdir / f"beat-schedule-{self.starts}")]
        self.process = subprocess.Popen(cmd, cwd=REPO, env=self.env(), stdin=subprocess.DEVNULL,
                                        stdout=open(self.log_path, "ab"), stderr=subprocess.STDOUT,
                                        start_new_session=True)
        try:
            _wait(lambda: " ready." in self.log() or self.process.poll() is not None, timeout, "the worker to be ready",
                  interval=0.1)
        except TimeoutError:
            self.kill()
            raise
        if self.process.poll() is not None:
            raise RuntimeError(f"the worker exited with {self.process.returncode}:\n{self.log()[-4000:]}")
        return self

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    def all_logs(self):
        return "".join(p.read_text(errors="replace") for p in sorted(self.workdir.glob("worker-*.log")))

    @property
    def alive(self):
        return self.process is not None and self.process.poll() is None

    def kill(self):
        """`kill -9` of the whole process group: main process, pool children, embedded beat. Waits until none is
        left."""
        if self.process is None:
            return
        pgid = self.process.pid  # start_new_session: the main process leads its own group
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(10)
        _wait(lambda: not _group_alive(pgid), 10, "the killed worker's processes to disappear")

    def stop(self, timeout=10):
        """A warm shutdown (SIGTERM to the main process, which stops its children), then kill -9 of whatever is
        left."""
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                self.process.send_signal(signal.SIGTERM)
                self.process.wait(timeout)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        self.kill()

    def task_outcome(self, task_id):
        """The return value the worker logged for a task id ('fired', 'skipped', …), or None if not finished yet."""
        marker = f"[{task_id}] succeeded in "
        for line in self.all_logs().splitlines():
            if marker in line:
                return line.rsplit(": ", 1)[-1].strip().strip("'\"")
        return None

    def wait_for_tasks(self, task_ids, timeout=120):
        _wait(lambda: all(self.task_outcome(t) is not None for t in task_ids), timeout, f"tasks {task_ids}", 0.1)
        return [self.task_outcome(t) for t in task_ids]


# ------------------------------------------------------------------------------------------------ the timer load


def deploy_reminder_procedure():
    """The test procedure whose diagram has a non-interrupting boundary timer on its step (fires a reminder item
    'nhac_viec' for the unit leader): see tests/processes/fixtures/reminder_timer.bpmn."""
    from decimal import Decimal

    from processes.models import Field, Procedure
    from processes.services.procedures import deploy_process_version

    if not Procedure.objects.filter(code=REMINDER_PROCEDURE).exists():
        Procedure.objects.create(code=REMINDER_PROCEDURE, name="Thủ tục thử có nhắc việc", field=Field.objects.first(),
                                 level="commune", statutory_limit=Decimal(3), statutory_unit="working_days")
        deploy_process_version(xml=REMINDER_BPMN.read_bytes(), filename=REMINDER_BPMN.name)


def _columns(model, *exclude):
    return [f.column for f in model._meta.concrete_fields if f.column not in ("id", *exclude)]


def clone_dossier(template_id, count, *, code_tag="c"):
    """Inserts `count` copies of dossier `template_id` in bulk SQL — its row, engine state, participants, work items,
    events and its scheduled DIAGRAM timers (with idempotency keys rewritten) — and returns the new ids. Each copy is a
    complete dossier that the engine loads and fires like the original; only id and code differ (simulated data, to
    load the timer machinery without paying receive_dossier's ~40 ms a dossier)."""
    from django.db import connection

    from processes.models import Dossier, DossierParticipant, Event, Timer, WorkItem

    cols = _columns(Dossier, "code", "data")
    new_code = f"d.code || '-{code_tag}' || lpad(g::text, 6, '0')"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO processes_dossier (code, data, {', '.join(cols)}) "
            f"SELECT {new_code}, jsonb_set(d.data, '{{dossier_code}}', to_jsonb({new_code})), "
            f"       {', '.join('d.' + c for c in cols)} "
            f"  FROM processes_dossier d, generate_series(1, %s) g WHERE d.id = %s ORDER BY g RETURNING id",
            [count, template_id],
        )
        ids = [row[0] for row in cursor.fetchall()]
        for model in (DossierParticipant, WorkItem, Event):
            c = _columns(model, "dossier_id")
            cursor.execute(
                f"INSERT INTO {model._meta.db_table} (dossier_id, {', '.join(c)}) "
                f"SELECT n.id, {', '.join('t.' + x for x in c)} FROM {model._meta.db_table} t, "
                f"       unnest(%s::bigint[]) AS n(id) WHERE t.dossier_id = %s",
                [ids, template_id],
            )
        c = _columns(Timer, "dossier_id", "idempotency_key")
        cursor.execute(
            f"INSERT INTO processes_timer (dossier_id, idempotency_key, {', '.join(c)}) "
            f"SELECT n.id, 'd' || n.id || substr(t.idempotency_key, %s), {', '.join('t.' + x for x in c)} "
            f"  FROM processes_timer t, unnest(%s::bigint[]) AS n(id) "
            f" WHERE t.dossier_id = %s AND t.kind = 'diagram' AND t.status = 'scheduled'",
            [len(f"d{template_id}") + 1, ids, template_id],
        )
    return ids


def reminder_dossiers(count, *, code_tag="c"):
    """`count` dossiers of the reminder procedure, each with exactly one scheduled DIAGRAM timer (the boundary timer on
    its first step). The first is received through receive_dossier; the others are bulk copies of it. The statutory
    and step-overrun timers of the template are cancelled so that only the diagram timers fall due (their handlers are
    tested elsewhere). Call with the (shared) clock set to the reception time, inside one transaction."""
    from processes.models import Dossier, Timer, TimerKind, TimerStatus
    from processes.services.dossiers import receive_dossier

    template = receive_dossier(procedure_code=REMINDER_PROCEDURE, unit_code=REMINDER_UNIT,
                               applicant={"full_name": "Dữ liệu mô phỏng"})
    Timer.objects.filter(dossier=template).exclude(kind=TimerKind.DIAGRAM).update(status=TimerStatus.CANCELLED)
    ids = [template.pk]
    if count > 1:
        ids += clone_dossier(template.pk, count - 1, code_tag=code_tag)
    assert Timer.objects.filter(dossier_id__in=ids, kind=TimerKind.DIAGRAM, status="scheduled").count() == count
    assert Dossier.objects.filter(pk__in=ids).count() == count
    return ids
