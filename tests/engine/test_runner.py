"""Running instances (engine.runner): steps, routing, persistence, timers, signals, errors. Run with -p no:django."""
import json
import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from engine import clock
from engine.bpmn import compile_bpmn
from engine.calendar import VN_TZ, WorkCalendar
from engine.errors import EngineError, TaskNotReady
from engine.expressions import RestrictedScriptEngine
from engine.functions import build_functions
from engine.runner import SERIALIZER_VERSION, Instance, ReadyTask, WaitingTimer, _spec_for

FIXTURES = Path(__file__).parent / "fixtures"
RECEIVED = datetime(2026, 12, 1, 9, 0, tzinfo=VN_TZ)  # a Tuesday
START_DATA = {"received_at": RECEIVED.isoformat(), "dossier_code": "X-261201-0001"}


def compiled(name):
    return compile_bpmn((FIXTURES / f"{name}.bpmn").read_bytes(), f"{name}.bpmn", known_department_kinds={"labour"})


@pytest.fixture(scope="module")
def valid():
    return compiled("valid_minimal")


@pytest.fixture(scope="module")
def calendar():
    return WorkCalendar()


@pytest.fixture(scope="module")
def functions(calendar):
    return build_functions(calendar)


@pytest.fixture
def fixed_clock():
    with clock.use_clock(clock.FixedClock(RECEIVED)) as fixed:
        yield fixed


def only_ready(instance):
    ready = instance.ready_tasks()
    assert len(ready) == 1, ready
    return ready[0]


def ready_ids(instance):
    return sorted(t.bpmn_id for t in instance.ready_tasks())


def do(instance, bpmn_id, data=None):
    task = next(t for t in instance.ready_tasks() if t.bpmn_id == bpmn_id)
    instance.complete_task(task.task_id, data or {})


# ---------------------------------------------------------------------------------------------------------------
# the happy paths


def test_start_route_and_complete(valid, functions, fixed_clock):
    instance = Instance.start(valid.spec_json, START_DATA, functions)
    receive = only_ready(instance)
    assert isinstance(receive, ReadyTask)
    assert (receive.bpmn_id, receive.name, receive.lane) == ("receive", "Check the dossier", "reception@self")
    assert (receive.allocation_days, receive.allocation_hours) == (None, Decimal(4))
    assert receive.required_fields == ("complete",) and receive.legal_extension_days is None
    assert not instance.is_completed and instance.end_event_id is None

    instance.complete_task(receive.task_id, {"complete": True})
    review = only_ready(instance)
    assert (review.bpmn_id, review.lane, review.allocation_days) == ("review", "specialist@self/labour", Decimal(2))

    instance.complete_task(review.task_id, {"approved": True, "opinion": "đủ điều kiện"})
    sign = only_ready(instance)  # the gateway routed on approved == True
    assert (sign.bpmn_id, sign.lane) == ("sign", "signing_leader@self")
    assert instance.waiting_timers() == []  # the boundary timer went away with its task

    instance.complete_task(sign.task_id, {"decision_no": "12/QĐ"})
    assert instance.is_completed and instance.ready_tasks() == []
    assert instance.end_event_id == "end_approved"
    data = instance.data
    assert data["opinion"] == "đủ điều kiện" and data["decision_no"] == "12/QĐ"
    assert data["received_at"] == START_DATA["received_at"]
    json.dumps(data)


def test_default_flow_routes_refusals(valid, functions, fixed_clock):
    instance = Instance.start(valid.spec_json, START_DATA, functions)
    do(instance, "receive", {"complete": True})
    do(instance, "review", {"approved": False, "opinion": "thiếu giấy tờ"})
    assert instance.is_completed and instance.end_event_id == "end_refused"


def test_round_trip_in_the_middle(valid, functions, fixed_clock):
    instance = Instance.start(valid.spec_json, START_DATA, functions)
    do(instance, "receive", {"complete": True})
    state = instance.dumps()
    again = Instance.load(valid.spec_json, state, functions)
    assert again.ready_tasks() == instance.ready_tasks()
    assert again.waiting_timers() == instance.waiting_timers()
    assert again.data == instance.data
    assert again.dumps() == state  # loading changes nothing
    do(again, "review", {"approved": True, "opinion": "ok"})
    again = Instance.load(valid.spec_json, again.dumps(), functions)
    do(again, "sign")
    assert again.is_completed and again.end_event_id == "end_approved"


def test_dumps_has_no_spec_and_is_much_smaller(valid, functions, fixed_clock):
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

    instance = Instance.start(valid.spec_json, START_DATA, functions)
    do(instance, "receive", {"complete": True})
    state = instance.dumps()
    stored = json.loads(state)
    assert "spec" not in stored and "subprocess_specs" not in stored
    assert stored["serializer_version"] == SERIALIZER_VERSION
    full = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG)).serialize_json(instance._wf)
    assert "spec" in json.loads(full)
    assert len(state) < 0.6 * len(full), (len(state), len(full))


def test_load_always_attaches_the_restricted_engine(valid, functions, fixed_clock):
    instance = Instance.start(valid.spec_json, START_DATA, functions)
    assert isinstance(instance._wf.script_engine, RestrictedScriptEngine)
    again = Instance.load(valid.spec_json, instance.dumps(), functions)
    assert isinstance(again._wf.script_engine, RestrictedScriptEngine)


def test_decimal_and_dates_survive_and_data_is_json_safe(valid, functions, fixed_clock):
    data = dict(START_DATA, fee=Decimal("2000.50"), born=datetime(2026, 1, 2, tzinfo=timezone.utc).date())
    instance = Instance.start(valid.spec_json, data, functions)
    again = Instance.load(valid.spec_json, instance.dumps(), functions)
    assert again._wf.last_task.data["fee"] == Decimal("2000.50")
    assert again.data["fee"] == "2000.50" and again.data["born"] == "2026-01-02"
    json.dumps(again.data)


# ---------------------------------------------------------------------------------------------------------------
# the shared spec


def test_instances_share_one_restored_spec_safely(valid, functions, fixed_clock):
    assert _spec_for(valid.spec_json)[1] is _spec_for(str(valid.spec_json))[1]
    first = Instance.start(valid.spec_json, START_DATA, functions)
    second = Instance.start(valid.spec_json, dict(START_DATA, dossier_code="X-2"), functions)
    assert first._wf.spec is second._wf.spec
    do(first, "receive", {"complete": True})
    assert ready_ids(second) == ["receive"]
    do(second, "receive", {"complete": True})
    do(first, "review", {"approved": True, "opinion": "a"})
    do(second, "review", {"approved": False, "opinion": "b"})
    assert ready_ids(first) == ["sign"] and second.end_event_id == "end_refused"
    do(first, "sign")
    assert first.end_event_id == "end_approved"
    assert first.data["opinion"] == "a" and second.data["opinion"] == "b"


def test_concurrent_threads_on_one_spec(valid, functions):
    errors = []

    def run(n):
        try:
            for _ in range(10):
                instance = Instance.start(valid.spec_json, dict(START_DATA, dossier_code=str(n)), functions)
                for bpmn_id, data in (("receive", {"complete": True}), ("review", {"approved": True, "opinion": ""}),
                                      ("sign", {})):
                    instance = Instance.load(valid.spec_json, instance.dumps(), functions)
                    do(instance, bpmn_id, data)
                assert instance.end_event_id == "end_approved" and instance.data["dossier_code"] == str(n)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


# ---------------------------------------------------------------------------------------------------------------
# timers


def test_timer_waits_for_the_engine_clock(valid, functions, calendar, fixed_clock):
    instance = Instance.start(valid.spec_json, START_DATA, functions)
    do(instance, "receive", {"complete": True})
    due = calendar.add_working_days(RECEIVED, 1)
    (timer,) = instance.waiting_timers()
    assert isinstance(timer, WaitingTimer) and timer.bpmn_id == "review_late"
    assert timer.due_at == due and timer.due_at.tzinfo is not None
    assert instance.next_wakeup() == due

    assert instance.fire_due_timers() is False
    fixed_clock.set(due)  # due, but not past: SpiffWorkflow fires strictly after
    instance = Instance.load(valid.spec_json, instance.dumps(), functions)
    assert instance.fire_due_timers() is False
    assert ready_ids(instance) == ["review"]

    fixed_clock.advance(timedelta(minutes=1))
    assert instance.fire_due_timers() is True
    assert ready_ids(instance) == ["explain_delay", "review"]  # non-interrupting: review stays
    assert instance.waiting_timers() == [] and instance.next_wakeup() is None
    assert instance.fire_due_timers() is False

    do(instance, "explain_delay", {"reason": "chờ xác minh"})
    do(instance, "review", {"approved": True, "opinion": "ok"})
    do(instance, "sign")
    assert instance.is_completed and instance.end_event_id == "end_approved"  # not the side path's end


def test_timer_fires_only_when_the_clock_passed_even_after_reload(valid, functions, calendar, fixed_clock):
    instance = Instance.start(valid.spec_json, START_DATA, functions)
    do(instance, "receive", {"complete": True})
    state = instance.dumps()
    fixed_clock.set(calendar.add_working_days(RECEIVED, 1) + timedelta(seconds=1))
    later = Instance.load(valid.spec_json, state, functions)
    assert later.fire_due_timers() is True and "explain_delay" in ready_ids(later)


def test_timer_module_reads_engine_clock(fixed_clock):
    from SpiffWorkflow.bpmn.specs.event_definitions import timer

    assert timer.datetime.now(timezone.utc) == RECEIVED
    fixed_clock.advance(timedelta(days=3))
    assert timer.datetime.now(timezone.utc) == RECEIVED + timedelta(days=3)


# ---------------------------------------------------------------------------------------------------------------
# errors


def test_completing_a_task_that_is_not_ready(valid, functions, fixed_clock):
    instance = Instance.start(valid.spec_json, START_DATA, functions)
    receive = only_ready(instance)
    instance.complete_task(receive.task_id, {"complete": True})
    with pytest.raises(TaskNotReady) as caught:
        instance.complete_task(receive.task_id, {"complete": True})
    assert caught.value.element_id == "receive" and "completed" in str(caught.value)
    with pytest.raises(TaskNotReady):
        instance.complete_task("3f1c2b8e-0000-4000-8000-000000000000", {})
    with pytest.raises(TaskNotReady):
        instance.complete_task("not-a-uuid", {})
    future = next(t for t in instance._wf.get_tasks() if t.task_spec.name == "sign")
    with pytest.raises(TaskNotReady):
        instance.complete_task(str(future.id), {})
    engine_task = next(t for t in instance._wf.get_tasks() if t.task_spec.name == "start")
    with pytest.raises(TaskNotReady):
        instance.complete_task(str(engine_task.id), {})


def test_missing_required_field_is_named_and_changes_nothing(valid, functions, fixed_clock):
    instance = Instance.start(valid.spec_json, START_DATA, functions)
    do(instance, "receive", {"complete": True})
    before = instance.dumps()
    review = only_ready(instance)
    with pytest.raises(EngineError) as caught:
        instance.complete_task(review.task_id, {"approved": True})
    assert caught.value.element_id == "review"
    assert "opinion" in str(caught.value) and "approved" not in str(caught.value)
    assert instance.dumps() == before


def test_data_must_be_json_like(valid, functions, fixed_clock):
    instance = Instance.start(valid.spec_json, START_DATA, functions)
    task = only_ready(instance)
    for bad in ({"complete": object()}, {"complete": float("nan")}, {1: True}, ["complete"],
                {"complete": Decimal("Infinity")}, {"complete": len}):
        with pytest.raises(EngineError):
            instance.complete_task(task.task_id, bad)
    with pytest.raises(EngineError):
        Instance.start(valid.spec_json, {"received_at": {1, 2}}, functions)
    assert only_ready(instance) == task


def test_engine_error_in_a_condition_names_the_gateway(functions, fixed_clock):
    spec = compiled("runner_bad_condition")
    instance = Instance.start(spec.spec_json, {}, functions)
    with pytest.raises(EngineError) as caught:
        do(instance, "check", {"fee_due": 5})  # fee_paid was never set
    error = caught.value
    assert error.element_id == "decide"
    assert "'decide' (Fee paid?)" in str(error) and "fee_paid" in str(error)
    assert not isinstance(error.__cause__, EngineError)


def test_engine_error_in_a_timer_names_the_event(functions, fixed_clock):
    spec = compiled("runner_bad_timer")
    with pytest.raises(EngineError) as caught:
        Instance.start(spec.spec_json, {}, functions)
    assert caught.value.element_id == "wait_a_bit" and "next Tuesday" in str(caught.value)


def test_load_refuses_unknown_versions_and_foreign_state(valid, functions, fixed_clock):
    instance = Instance.start(valid.spec_json, START_DATA, functions)
    state = json.loads(instance.dumps())
    for version in ("9.9", "1.4", None):
        changed = dict(state, serializer_version=version)
        with pytest.raises(EngineError) as caught:
            Instance.load(valid.spec_json, json.dumps(changed), functions)
        assert "serializer version" in str(caught.value)
    other = compiled("runner_signal")
    with pytest.raises(EngineError) as caught:
        Instance.load(other.spec_json, json.dumps(state), functions)
    assert "another process version" in str(caught.value)
    for garbage in ("", "{", "[]", '{"typename": "BpmnWorkflow"}', None):
        with pytest.raises(EngineError):
            Instance.load(valid.spec_json, garbage, functions)
    broken = dict(state, tasks={"x": {"typename": "Task"}})
    with pytest.raises(EngineError):
        Instance.load(valid.spec_json, json.dumps(broken), functions)
    for bad_spec in ("", "{}", '{"format": "motcua.spec/1", "serializer_version": "0.1"}', 42):
        with pytest.raises(EngineError):
            Instance.start(bad_spec, START_DATA, functions)


# ---------------------------------------------------------------------------------------------------------------
# signals


def test_signals(functions, fixed_clock):
    spec = compiled("runner_signal")
    instance = Instance.start(spec.spec_json, {}, functions)
    assert instance.ready_tasks() == []
    (event,) = instance.waiting_events()
    assert (event.name, event.event_type) == ("documents_supplemented", "SignalEventDefinition")
    with pytest.raises(EngineError) as caught:
        instance.send_signal("withdrawn")
    assert "not waiting for signal 'withdrawn'" in str(caught.value) and "documents_supplemented" in str(caught.value)
    with pytest.raises(EngineError):
        instance.send_signal("documents_supplemented", {"pages": object()})
    instance = Instance.load(spec.spec_json, instance.dumps(), functions)
    instance.send_signal("documents_supplemented", {"pages": 3})
    assert ready_ids(instance) == ["check_supplement"]
    assert instance.data["supplement"] == {"pages": 3}
    with pytest.raises(EngineError):  # nothing waits any more
        instance.send_signal("documents_supplemented")
    do(instance, "check_supplement")
    assert instance.is_completed and instance.end_event_id == "end"


# ---------------------------------------------------------------------------------------------------------------
# multi-instance steps


def test_multi_instance_step_merges_each_result_once(functions, fixed_clock):
    spec = compiled("runner_multi_instance")
    instance = Instance.start(spec.spec_json, {"copies": 3}, functions)
    ready = instance.ready_tasks()
    assert [t.bpmn_id for t in ready] == ["certify_copy"] * 3
    assert {t.lane for t in ready} == {"specialist@self"} and len({t.task_id for t in ready}) == 3
    for n, task in enumerate(ready):
        instance = Instance.load(spec.spec_json, instance.dumps(), functions)
        instance.complete_task(task.task_id, {"certified": f"C{n}"})
    assert instance.is_completed and instance.data["results"] == ["C0", "C1", "C2"]
    # The merge callback was connected once, when the spec was restored, not by each run.
    shared = _spec_for(spec.spec_json)[1]
    event = shared.task_specs["certify_copy [child]"].completed_event
    assert len(event.hard_subscribers or []) + len(event.weak_subscribers or []) == 1
