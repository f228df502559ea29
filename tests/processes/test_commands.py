"""The management commands, including deploy_bpmn run as a real subprocess: never a traceback."""
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "engine" / "fixtures"


def run(*args):
    out = StringIO()
    code = 0
    try:
        call_command(*args, stdout=out)
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue().strip().splitlines()


def test_due_date_prints_the_due_time_on_its_last_line(demo):
    code, lines = run("due_date", "--received", "2026-02-13 10:00", "--working-days", "1")
    assert code == 0 and lines[-1] == "2026-02-23 10:00"  # Tết 16–20/02/2026
    assert run("due_date", "--received", "2026-02-10 09:00", "--calendar-days", "7")[1][-1] == "2026-02-23 17:00"
    assert run("due_date", "--received", "2026-12-01 15:01", "--working-days", "0")[1][-1] == "2026-12-02 17:00"


def test_calendar_day_override_changes_due_dates_and_is_logged(demo):
    from processes.models import Event

    assert run("due_date", "--received", "2026-11-23 09:00", "--working-days", "1")[1][-1] == "2026-11-25 09:00"
    # 24/11/2026 ("Vietnam Cultural Day") is pending in law: declare it a working day.
    run("calendar_day", "2026-11-24", "--work", "--reason", "chưa có văn bản chính thức")
    assert run("due_date", "--received", "2026-11-23 09:00", "--working-days", "1")[1][-1] == "2026-11-24 09:00"
    # An extra day off for one commune only.
    run("calendar_day", "2026-11-24", "--off", "--unit", "003.00.16.H57")
    assert run("due_date", "--received", "2026-11-23 09:00", "--working-days", "1", "--unit",
               "003.00.16.H57")[1][-1] == "2026-11-25 09:00"
    assert run("due_date", "--received", "2026-11-23 09:00", "--working-days", "1")[1][-1] == "2026-11-24 09:00"
    run("calendar_day", "2026-11-24", "--clear")
    run("calendar_day", "2026-11-24", "--clear", "--unit", "003.00.16.H57")
    assert run("due_date", "--received", "2026-11-23 09:00", "--working-days", "1")[1][-1] == "2026-11-25 09:00"
    assert Event.objects.filter(kind__startswith="calendar_override").count() == 4


def test_deploy_bpmn_check_accepts_the_library(demo):
    files = sorted(str(p) for p in (ROOT / "bpmn").glob("*.bpmn"))
    code, lines = run("deploy_bpmn", "--check", *files)
    assert code == 0, lines
    assert len(lines) == len(files)
    for name, line in zip(files, lines):
        assert line.startswith(f"{name}: OK process=") and "version=" in line


EXPECTED = {
    "xxe.bpmn": "DOCTYPE",
    "entity_bomb.bpmn": "DOCTYPE",
    "script_task.bpmn": "script",
    "escaping_expression.bpmn": "",
    "cpu_bomb_expression.bpmn": "**",
    "malformed.bpmn": "",
}


@pytest.mark.parametrize("fixture", sorted(EXPECTED))
def test_deploy_bpmn_refuses_malicious_files_with_one_line_errors_and_no_traceback(demo, fixture):
    path = FIXTURES / fixture
    assert path.exists(), f"fixture {fixture} missing"
    env = dict(os.environ)
    db = settings.DATABASES["default"]
    env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "deploy_bpmn", "--check", str(path)],
        capture_output=True, text=True, timeout=60, env=env, cwd=ROOT,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[-1].startswith(f"{path}: REFUSED")
    for line in lines[:-1]:
        filename, lineno, element, message = line.split(":", 3)
        assert filename == str(path) and message.strip()
        assert lineno == "-" or lineno.isdigit()
    assert EXPECTED[fixture] in proc.stdout


def test_deploy_bpmn_names_the_script_task_element(demo):
    code, lines = run("deploy_bpmn", "--check", str(FIXTURES / "script_task.bpmn"))
    assert code == 2
    assert any(":" in line and "script" in line.lower() and line.split(":")[2].strip() not in ("", "-") for line in lines)


def test_deploy_bpmn_deploys_and_then_refuses_an_identical_version(demo):
    path = str(ROOT / "bpmn" / "khai_sinh.bpmn")
    code, lines = run("deploy_bpmn", path)
    assert code == 2 and "y hệt" in "\n".join(lines)  # the seed deployed it already


def test_seed_demo_is_idempotent(demo):
    from processes.models import AdministrativeUnit, ProcessVersion

    units, versions = AdministrativeUnit.objects.count(), ProcessVersion.objects.count()
    out = StringIO()
    call_command("seed_demo", "--no-dossiers", stdout=out)
    assert AdministrativeUnit.objects.count() == units == 1 + 1 + 4 + 16  # the district's four departments
    assert ProcessVersion.objects.count() == versions == 5 + 5  # and the five case procedures (issue 9)
    assert "MotCua@2019" in out.getvalue() or "password" in out.getvalue()


def test_openapi_schema_generates_without_warnings(demo, tmp_path):
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"), stdout=out,
                 stderr=out)
    assert "/api/v1/tasks/{id}/complete/" in (tmp_path / "schema.yml").read_text()
