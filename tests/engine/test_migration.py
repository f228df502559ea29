"""engine.migration on the real SpiffWorkflow engine: plan, migrate, refuse; the instance handed in is untouched."""
from pathlib import Path

import pytest

from engine.bpmn import compile_bpmn
from engine.calendar import WorkCalendar
from engine.functions import build_functions
from engine.migration import MigrationRefused, migrate, plan_migration
from engine.runner import Instance

REMINDER = Path(__file__).resolve().parents[1] / "processes" / "fixtures" / "reminder_timer.bpmn"


def _v2(xml):
    xml = xml.replace('<bpmn:flowNodeRef>end</bpmn:flowNodeRef>',
                      '<bpmn:flowNodeRef>end</bpmn:flowNodeRef><bpmn:flowNodeRef>ky</bpmn:flowNodeRef>')
    xml = xml.replace('<bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>',
                      '<bpmn:userTask id="ky" name="Ký"><bpmn:extensionElements><spiffworkflow:properties>'
                      '<spiffworkflow:property name="allocation_hours" value="4" /></spiffworkflow:properties>'
                      '</bpmn:extensionElements><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f2b</bpmn:outgoing>'
                      '</bpmn:userTask><bpmn:endEvent id="end"><bpmn:incoming>f2b</bpmn:incoming></bpmn:endEvent>'
                      '<bpmn:sequenceFlow id="f2b" sourceRef="ky" targetRef="end" />')
    xml = xml.replace('sourceRef="xu_ly" targetRef="end"', 'sourceRef="xu_ly" targetRef="ky"')
    return xml.replace('name="allocation_days" value="2"', 'name="allocation_days" value="1.5"', 1)


@pytest.fixture(scope="module")
def versions():
    xml = REMINDER.read_text()
    return compile_bpmn(xml.encode()).spec_json, compile_bpmn(_v2(xml).encode()).spec_json


FUNCTIONS = build_functions(WorkCalendar())
DATA = {"received_at": "2026-12-01T09:00:00+07:00"}


def test_plan_and_migrate_keep_the_ready_task_and_the_timer(versions):
    v1, v2 = versions
    instance = Instance.start(v1, DATA, FUNCTIONS)
    state = instance.dumps()
    plan = plan_migration(instance, v2, FUNCTIONS)
    assert plan.allowed and plan.added == ("ky",) and plan.removed == ()
    assert {s.bpmn_id for s in plan.reset} == {"xu_ly", "het_han_buoc"}
    assert plan.ready_after == plan.ready_before
    assert [t.due_at for t in plan.timers_after] == [t.due_at for t in plan.timers_before]
    assert instance.dumps() == state  # planning never touches the instance
    migrated, _done = migrate(instance, v2, FUNCTIONS)
    assert instance.dumps() == state
    assert [t.task_id for t in migrated.ready_tasks()] == [s.task_id for s in plan.ready_before]
    migrated.complete_task(migrated.ready_tasks()[0].task_id, {})
    assert [t.bpmn_id for t in migrated.ready_tasks()] == ["ky"]
    migrated.complete_task(migrated.ready_tasks()[0].task_id, {})
    assert migrated.is_completed and migrated.end_event_id == "end"
    assert Instance.load(v2, migrated.dumps(), FUNCTIONS).is_completed


def test_refuses_a_ready_task_missing_in_the_target_and_the_same_version(versions):
    v1, v2 = versions
    instance = Instance.start(v2, DATA, FUNCTIONS)
    instance.complete_task(instance.ready_tasks()[0].task_id, {})
    plan = plan_migration(instance, v1, FUNCTIONS)
    assert not plan.allowed and plan.element_id == "ky" and "does not exist in the target" in plan.reason
    with pytest.raises(MigrationRefused) as exc:
        migrate(instance, v1, FUNCTIONS)
    assert exc.value.element_id == "ky"
    assert "already on the target" in plan_migration(instance, v2, FUNCTIONS).reason


def test_refuses_another_process(versions):
    v1, _ = versions
    other = compile_bpmn((Path(__file__).resolve().parents[2] / "bpmn" / "khai_sinh.bpmn").read_bytes()).spec_json
    plan = plan_migration(Instance.start(v1, DATA, FUNCTIONS), other, FUNCTIONS)
    assert not plan.allowed and "runs process" in plan.reason
