"""Migrating running dossiers from one process version to another (issue 5): real PostgreSQL, real engine, no mocks."""
import io
import json
import os
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

from processes.models import Dossier, Event, Field, Procedure, Timer, WorkItem
from processes.services.dossiers import claim_work_item, complete_work_item
from processes.services.errors import NotAllowed, NotFound
from processes.services.events import Actor
from processes.services.migration import migrate_dossiers
from processes.services.procedures import deploy_process_version

from .helpers import at, official_for, receive

ROOT = Path(__file__).resolve().parents[2]
HIEPDUC = "003.00.16.H57"
REMINDER = Path(__file__).resolve().parent / "fixtures" / "reminder_timer.bpmn"
LIBRARY = ROOT / "bpmn" / "nhan_cha_me_con.bpmn"


def reminder_v2(xml):
    """Version 2 of the reminder fixture: a signing step 'ky' inserted after 'xu_ly'."""
    xml = xml.replace('<bpmn:flowNodeRef>end</bpmn:flowNodeRef>',
                      '<bpmn:flowNodeRef>end</bpmn:flowNodeRef><bpmn:flowNodeRef>ky</bpmn:flowNodeRef>')
    xml = xml.replace('<bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>', """
    <bpmn:userTask id="ky" name="Ký duyệt">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="allocation_hours" value="4" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f2b</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2b</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f2b" sourceRef="ky" targetRef="end" />""")
    xml = xml.replace('<bpmn:sequenceFlow id="f2" sourceRef="xu_ly" targetRef="end" />',
                      '<bpmn:sequenceFlow id="f2" sourceRef="xu_ly" targetRef="ky" />')
    xml = xml.replace('<spiffworkflow:property name="allocation_days" value="2" />',
                      '<spiffworkflow:property name="allocation_days" value="1.5" />', 1)
    assert 'id="ky"' in xml and 'targetRef="ky"' in xml
    return xml


def library_v2(xml):
    """Version 2 of nhan_cha_me_con: a new step 'tham_dinh' right after the first step 'kiem_tra_ho_so'."""
    xml = xml.replace('<spiffworkflow:property name="allocation_days" value="2" />',
                      '<spiffworkflow:property name="allocation_days" value="1.5" />', 1)
    xml = xml.replace('<bpmn:flowNodeRef>kiem_tra_ho_so</bpmn:flowNodeRef>',
                      '<bpmn:flowNodeRef>kiem_tra_ho_so</bpmn:flowNodeRef>\n        '
                      '<bpmn:flowNodeRef>tham_dinh</bpmn:flowNodeRef>')
    xml = xml.replace('<bpmn:incoming>flow_kiem_tra_ho_so_to_gw_can_xac_minh</bpmn:incoming>',
                      '<bpmn:incoming>flow_tham_dinh_to_gw</bpmn:incoming>')
    xml = xml.replace('<bpmn:exclusiveGateway id="gw_can_xac_minh"', """<bpmn:userTask id="tham_dinh" name="Thẩm định hồ sơ">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="allocation_hours" value="4" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>flow_kiem_tra_ho_so_to_gw_can_xac_minh</bpmn:incoming>
      <bpmn:outgoing>flow_tham_dinh_to_gw</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="flow_tham_dinh_to_gw" sourceRef="tham_dinh" targetRef="gw_can_xac_minh" />
    <bpmn:exclusiveGateway id="gw_can_xac_minh\"""", 1)
    xml = xml.replace('sourceRef="kiem_tra_ho_so" targetRef="gw_can_xac_minh"', 'sourceRef="kiem_tra_ho_so" targetRef="tham_dinh"')
    assert 'id="tham_dinh"' in xml and 'targetRef="tham_dinh"' in xml
    return xml


def designer():
    return Actor(user=get_user_model().objects.get(username="thietke"))


def as_official(role, unit=HIEPDUC):
    return Actor(user=get_user_model().objects.get(username=official_for(unit, role)))


def reminder_procedure():
    Procedure.objects.create(code="thu-nhac-viec", name="Thủ tục thử có nhắc việc", field=Field.objects.first(),
                             level="commune", statutory_limit=Decimal(3), statutory_unit="working_days")
    deploy_process_version(xml=REMINDER.read_bytes(), filename=REMINDER.name)


def open_step(dossier, bpmn_id=None):
    items = WorkItem.objects.filter(dossier=dossier, status="open", kind="step")
    if bpmn_id:
        items = items.filter(bpmn_id=bpmn_id)
    return items.get()


def snapshot(dossier):
    dossier.refresh_from_db()
    return (dossier.version_id, dossier.revision, dossier.workflow_state, dossier.due_at,
            Event.objects.filter(dossier=dossier).count(),
            sorted(Timer.objects.filter(dossier=dossier).values_list("pk", "status", "due_at")),
            sorted(WorkItem.objects.filter(dossier=dossier).values_list("pk", "status", "claimed_by")))


def test_dry_run_then_migration_keeps_the_claim_rearms_the_timer_once_and_runs_to_the_end(demo, api):
    reminder_procedure()
    clock = at("2026-12-01 09:00")
    moved = Dossier.objects.get(code=receive(api, "thu-nhac-viec", HIEPDUC)["code"])
    stays = Dossier.objects.get(code=receive(api, "thu-nhac-viec", HIEPDUC)["code"])
    specialist = as_official("specialist")
    item = open_step(moved, "xu_ly")
    claim_work_item(item_id=item.pk, actor=specialist)
    timer = moved.timers.get(kind="diagram", status="scheduled")
    step_timer = moved.timers.get(kind="step_overrun", status="scheduled")
    v2 = deploy_process_version(xml=reminder_v2(REMINDER.read_text()), filename="v2.bpmn", actor=designer())
    assert v2.number == 2
    clock.advance(timedelta(hours=1))

    before = snapshot(moved)
    report = migrate_dossiers(procedure_code="thu-nhac-viec", from_version=1, to_version=2, actor=designer(),
                              dossier_codes=[moved.code], dry_run=True)
    assert report["summary"] == {"planned": 1, "migrated": 0, "refused": 0, "failed": 0}
    entry = report["dossiers"][0]
    assert entry["plan"]["added"] == ["ky"]
    assert {s["bpmn_id"] for s in entry["plan"]["reset"]} == {"xu_ly", "het_han_buoc"}
    assert [s["bpmn_id"] for s in entry["plan"]["ready_after"]] == ["xu_ly"]
    assert entry["work_items"] == {"kept": ["xu_ly"], "cancelled": [], "created": []}
    assert entry["claims_kept"] == [{"step": "xu_ly", "claimed_by": specialist.user.username}]
    assert snapshot(moved) == before  # the dry run changed nothing

    report = migrate_dossiers(procedure_code="thu-nhac-viec", from_version=1, to_version=2, actor=designer(),
                              dossier_codes=[moved.code])
    assert report["summary"]["migrated"] == 1, report
    moved.refresh_from_db()
    assert moved.version == v2 and moved.due_at == before[3]
    item.refresh_from_db()
    assert item.status == "open" and item.claimed_by == specialist.user  # the official keeps their work
    assert open_step(moved).pk == item.pk
    diagram = list(moved.timers.filter(kind="diagram", status="scheduled"))
    assert [t.pk for t in diagram] == [timer.pk]  # re-armed once: same timer, same due time, no duplicate
    assert moved.timers.filter(kind="diagram").count() == 1
    assert list(moved.timers.filter(kind="step_overrun", status="scheduled")) == [step_timer]
    event = moved.events.get(kind="version_migrated")
    assert event.data_before["version"] == 1 and event.data_after["version"] == 2
    assert set(event.data_after["reset"]) == {"xu_ly", "het_han_buoc"}
    assert event.data_after["claims_kept"] == [{"step": "xu_ly", "claimed_by": specialist.user.username}]
    assert event.actor.username == "thietke"

    # v2 runs to the end with its new step; the dossier left on v1 finishes on v1.
    complete_work_item(item_id=item.pk, actor=specialist)
    signing = open_step(moved, "ky")
    complete_work_item(item_id=signing.pk, actor=specialist)
    moved.refresh_from_db()
    assert moved.status == "processed" and moved.outcome == "end"
    assert list(moved.work_items.filter(kind="step").order_by("pk").values_list("bpmn_id", flat=True)) == ["xu_ly", "ky"]

    complete_work_item(item_id=open_step(stays, "xu_ly").pk, actor=specialist)
    stays.refresh_from_db()
    assert stays.status == "processed" and stays.version.number == 1
    assert not stays.work_items.filter(bpmn_id="ky").exists() and not stays.events.filter(kind="version_migrated")


def test_refused_when_the_ready_step_is_removed_in_the_target_and_nothing_changes(demo, api):
    reminder_procedure()
    at("2026-12-01 09:00")
    deploy_process_version(xml=reminder_v2(REMINDER.read_text()), filename="v2.bpmn", actor=designer())
    dossier = Dossier.objects.get(code=receive(api, "thu-nhac-viec", HIEPDUC)["code"])
    assert dossier.version.number == 2
    complete_work_item(item_id=open_step(dossier, "xu_ly").pk, actor=as_official("specialist"))
    claim_work_item(item_id=open_step(dossier, "ky").pk, actor=as_official("specialist"))
    before = snapshot(dossier)
    for dry_run in (True, False):
        report = migrate_dossiers(procedure_code="thu-nhac-viec", from_version=2, to_version=1, actor=designer(),
                                  dry_run=dry_run)
        entry = report["dossiers"][0]
        assert entry["status"] == "refused" and entry["element_id"] == "ky"
        assert "'ky'" in entry["reason"] and "does not exist in the target version" in entry["reason"]
        assert report["summary"]["refused"] == 1
        assert snapshot(dossier) == before


def test_one_refused_dossier_does_not_stop_the_others_and_the_library_procedure_migrates(demo, api):
    at("2026-12-01 09:00")
    first = Dossier.objects.get(code=receive(api, "nhan-cha-me-con", HIEPDUC)["code"])
    second = Dossier.objects.get(code=receive(api, "nhan-cha-me-con", HIEPDUC)["code"])
    source = first.version.number
    specialist = as_official("specialist")
    # the second is already past the first step: its work item is cancelled and 'trinh_ky' recreated
    complete_work_item(item_id=open_step(second).pk, actor=specialist, data={"needs_verification": False})
    target = deploy_process_version(xml=library_v2(LIBRARY.read_text()), filename="v2.bpmn", actor=designer())
    report = migrate_dossiers(procedure_code="nhan-cha-me-con", from_version=source, to_version=target.number,
                              actor=designer(), dossier_codes=[first.code, "NO-SUCH-CODE", second.code])
    statuses = {e["dossier"]: e["status"] for e in report["dossiers"]}
    assert statuses == {first.code: "migrated", "NO-SUCH-CODE": "refused", second.code: "migrated"}
    complete_work_item(item_id=open_step(first, "kiem_tra_ho_so").pk, actor=specialist,
                       data={"needs_verification": False})
    assert open_step(first).bpmn_id == "tham_dinh"  # the inserted step
    complete_work_item(item_id=open_step(first).pk, actor=specialist)
    complete_work_item(item_id=open_step(first, "trinh_ky").pk, actor=as_official("signing_leader"),
                       data={"approved": True})
    first.refresh_from_db()
    assert first.status == "processed" and first.outcome == "end_cap_trich_luc"
    complete_work_item(item_id=open_step(second, "trinh_ky").pk, actor=as_official("signing_leader"),
                       data={"approved": True})
    second.refresh_from_db()
    assert second.status == "processed" and second.version == target


def test_only_designers_may_migrate_and_bad_input_names_the_field(demo):
    with pytest.raises(NotAllowed):
        migrate_dossiers(procedure_code="nhan-cha-me-con", from_version=1, to_version=2, actor=as_official("specialist"))
    with pytest.raises(NotFound) as exc:
        migrate_dossiers(procedure_code="nhan-cha-me-con", from_version=1, to_version=99, actor=designer())
    assert exc.value.field == "to_version"


def test_command_prints_json_lines_and_a_summary(demo, api):
    reminder_procedure()
    at("2026-12-01 09:00")
    code = receive(api, "thu-nhac-viec", HIEPDUC)["code"]
    deploy_process_version(xml=reminder_v2(REMINDER.read_text()), filename="v2.bpmn", actor=designer())
    out = io.StringIO()
    call_command("migrate_dossiers", "thu-nhac-viec", "1", "2", "--dry-run", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[0]["dossier"] == code and lines[0]["status"] == "planned"
    assert lines[-1]["summary"]["planned"] == 1 and lines[-1]["summary"]["dry_run"] is True
    assert Dossier.objects.get(code=code).version.number == 1
    out = io.StringIO()
    call_command("migrate_dossiers", "thu-nhac-viec", "1", "2", "--dossier", code, stdout=out)
    assert json.loads(out.getvalue().splitlines()[-1])["summary"]["migrated"] == 1
    assert Dossier.objects.get(code=code).version.number == 2


def _manage(*args):
    env = dict(os.environ)
    db = settings.DATABASES["default"]
    env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate_dossiers", *args],
                          check=False, capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)


def test_command_exit_codes_in_a_subprocess(tdemo, api):
    reminder_procedure()
    at("2026-12-01 09:00")
    deploy_process_version(xml=reminder_v2(REMINDER.read_text()), filename="v2.bpmn", actor=designer())
    code = receive(api, "thu-nhac-viec", HIEPDUC)["code"]
    complete_work_item(item_id=open_step(Dossier.objects.get(code=code), "xu_ly").pk, actor=as_official("specialist"))
    refused = _manage("thu-nhac-viec", "2", "1", "--dry-run")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    first = json.loads(refused.stdout.splitlines()[0])
    assert first["dossier"] == code and first["status"] == "refused" and "'ky'" in first["reason"]
    unknown = _manage("khong-co", "1", "2")
    assert unknown.returncode == 2 and "khong-co" in unknown.stderr
    bad_version = _manage("thu-nhac-viec", "1", "9")
    assert bad_version.returncode == 2 and "to_version" in bad_version.stderr
    for proc in (refused, unknown, bad_version):
        assert "Traceback" not in proc.stdout + proc.stderr


def test_api_403_400_and_200(demo, api):
    reminder_procedure()
    at("2026-12-01 09:00")
    code = receive(api, "thu-nhac-viec", HIEPDUC)["code"]
    deploy_process_version(xml=reminder_v2(REMINDER.read_text()), filename="v2.bpmn", actor=designer())
    url = "/api/v1/procedures/thu-nhac-viec/migrations/"
    body = {"from_version": 1, "to_version": 2, "dry_run": True}
    assert api(official_for(HIEPDUC, "specialist")).post(url, body, format="json").status_code == 403
    client = api("thietke")
    bad = client.post(url, {"from_version": "x", "to_version": 2}, format="json")
    assert bad.status_code == 400 and bad.json()["field"] == "from_version"
    bad = client.post(url, {"from_version": 1, "to_version": 2, "dossiers": "abc"}, format="json")
    assert bad.status_code == 400 and bad.json()["field"] == "dossiers"
    assert client.post(url, {"from_version": 1, "to_version": 7}, format="json").json()["field"] == "to_version"
    dry = client.post(url, body, format="json")
    assert dry.status_code == 200 and dry.json()["dossiers"][0]["status"] == "planned"
    assert Dossier.objects.get(code=code).version.number == 1
    done = client.post(url, {**body, "dry_run": False, "dossiers": [code]}, format="json")
    assert done.status_code == 200 and done.json()["summary"]["migrated"] == 1
    assert Dossier.objects.get(code=code).version.number == 2


def test_a_refused_dossier_is_rolled_back_alone_while_the_next_one_migrates(demo, api):
    reminder_procedure()
    at("2026-12-01 09:00")
    deploy_process_version(xml=reminder_v2(REMINDER.read_text()), filename="v2.bpmn", actor=designer())
    specialist = as_official("specialist")
    at_signing = Dossier.objects.get(code=receive(api, "thu-nhac-viec", HIEPDUC)["code"])
    complete_work_item(item_id=open_step(at_signing, "xu_ly").pk, actor=specialist)
    at_first = Dossier.objects.get(code=receive(api, "thu-nhac-viec", HIEPDUC)["code"])
    claim_work_item(item_id=open_step(at_first, "xu_ly").pk, actor=specialist)
    untouched = snapshot(at_signing)
    report = migrate_dossiers(procedure_code="thu-nhac-viec", from_version=2, to_version=1, actor=designer(),
                              dossier_codes=[at_signing.code, at_first.code])
    statuses = [(e["dossier"], e["status"]) for e in report["dossiers"]]
    assert statuses == [(at_signing.code, "refused"), (at_first.code, "migrated")]
    assert snapshot(at_signing) == untouched
    at_first.refresh_from_db()
    assert at_first.version.number == 1 and open_step(at_first).claimed_by == specialist.user
    complete_work_item(item_id=open_step(at_first).pk, actor=specialist)
    at_first.refresh_from_db()
    assert at_first.status == "processed" and not at_first.work_items.filter(bpmn_id="ky").exists()
