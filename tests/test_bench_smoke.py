"""`make bench SIZE=smoke` keeps working (issue 8): every figure is printed as a JSON line, and the benchmarks' own
checks (every timer fired exactly once, no incident) hold. Not a timed test: the values are not judged here."""
import json
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIGURES = {"step_overhead_ratio", "instance_bytes", "dossiers_per_s", "pgbench_tps", "sweep_idle_ms_10k",
           "sweep_idle_ms", "timer_storm_s", "worker_rss_mb", "http_rps", "http_p95_ms", "http_5xx",
           "scale_generate_s", "inbox_p95_ms", "lookup_p95_ms", "year_report_s"}


def test_make_bench_smoke_prints_every_figure(tmp_path):
    suffix = os.environ.get("MOTCUA_TEST_DB", "test")  # private databases, out of a real benchmark's way
    env = {**os.environ, "BENCH_DATABASE": f"{suffix}_bench_timers", "BENCH_ENGINE_DATABASE": f"{suffix}_bench_engine",
           "BENCH_HTTP_DATABASE": f"{suffix}_bench_http", "BENCH_SCALE_DATABASE": f"{suffix}_bench_scale"}
    results = tmp_path / "results.jsonl"
    done = subprocess.run(["make", "--no-print-directory", "bench", "SIZE=smoke", f"BENCH_RESULTS={results}"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    lines = [json.loads(line) for line in results.read_text().splitlines() if line.strip()]
    assert {line["bench"] for line in lines} == FIGURES
    for line in lines:
        assert set(line) >= {"bench", "value", "unit", "size", "baseline", "ratio"}
        assert isinstance(line["value"], (int, float)) and line["value"] >= 0, line
    storm = next(line for line in lines if line["bench"] == "timer_storm_s")
    assert storm["size"]["due"] == 500 and storm["reclaimed"] == 0
