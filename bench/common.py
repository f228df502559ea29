"""What every benchmark script shares: the JSON line of a figure, notes on stderr, and its own database made anew."""
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
