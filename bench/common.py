"""What every benchmark script shares: the JSON line of a figure, notes on stderr, its own database made anew and
Django set up on it."""
from __future__ import annotations

import json
import os
import sys


def emit(bench, value, unit, size, baseline=None, ratio=None, **extra):
    """One figure: {"bench", "value", "unit", "size", "baseline", "ratio", ...} on stdout."""
    line = {"bench": bench, "value": value, "unit": unit, "size": size, "baseline": baseline, "ratio": ratio, **extra}
    print(json.dumps(line, ensure_ascii=False), flush=True)


def note(script, message):
    print(f"bench/{script}: {message}", file=sys.stderr, flush=True)


def reset_database(name):
    """Drops and creates the benchmark's own database (never the tests' or the demo's)."""
    import psycopg

    admin = os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def database_url(name):
    return os.environ.get("BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{name}")


def setup_django(name, **env):
    """Django on the benchmark's database (`env`: more environment for settings, e.g. MOTCUA_SHARED_CLOCK); a fast
    password hasher, since seeding makes ~60 officials."""
    os.environ["DATABASE_URL"] = database_url(name)
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings
