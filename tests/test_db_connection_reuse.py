"""Kept database connections (DATABASE_CONN_MAX_AGE > 0, as docker-compose sets it) are health-checked at the start
of each request: a connection PostgreSQL closed meanwhile is replaced instead of failing the request."""
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = """
import django, os
django.setup()
import psycopg
from django.db import close_old_connections, connection
from django.core.signals import request_finished, request_started
request_started.send(sender=None)
with connection.cursor() as c:
    c.execute("SELECT pg_backend_pid()")
    pid = c.fetchone()[0]
request_finished.send(sender=None)  # the connection is kept (CONN_MAX_AGE)
params = connection.get_connection_params()
with psycopg.connect(**{k: v for k, v in params.items() if k in ("dbname", "user", "host", "port")},
                     autocommit=True) as admin:
    admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
request_started.send(sender=None)  # the next request
try:
    with connection.cursor() as c:
        c.execute("SELECT pg_backend_pid()")
        print("ok", c.fetchone()[0] != pid)
except Exception as exc:
    print("failed", type(exc).__name__)
"""


def run(max_age):
    db = settings.DATABASES["default"]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "motcua.settings", "DATABASE_CONN_MAX_AGE": str(max_age),
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"}
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr


def test_a_kept_connection_closed_by_the_server_is_replaced_at_the_next_request(db):
    assert run(60) == "ok True"


def test_without_keeping_connections_each_request_opens_its_own(db):
    assert run(0) == "ok True"
