"""Checked expressions, the restricted SpiffWorkflow environment and the whitelisted functions.

Pure engine tests: run with `-p no:django`.
"""
from __future__ import annotations

import time
from datetime import date, datetime
from xml.sax.saxutils import escape

import pytest
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import BasePythonScriptEngineEnvironment, PythonScriptEngine
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine.calendar import WorkCalendar
from engine.expressions import (
    MAX_SOURCE_CHARS,
    ExpressionError,
    RestrictedScriptEnvironment,
    check_expression,
    compile_expression,
    make_script_engine,
)
from engine.functions import FUNCTION_NAMES, build_functions


@pytest.fixture(scope="module")
def functions():
    return build_functions(WorkCalendar())


@pytest.fixture()
def env(functions):
    return RestrictedScriptEnvironment(functions)


# ---------------------------------------------------------------- check_expression: allowed

ALLOWED = [
    "approved == True",
    "needs_verification",
    "fee > 0 and pages <= 10",
    "add_working_days(received_at, 3)",
    'f"P{n}D"',
    "applicant['age'] >= 18",
    "x in ['a','b']",
    "not approved or (fee - 2000) // 1000 % 3 == 1 and pages / 2 < 10",
    "x is None and y is not None and z not in {1, 2}",
    "'yes' if -a < +b else 'no'",
    "{'a': 1, 'b': [1, 2, (3,)]}['a']",
    "applicant['address']['province'] == 'HN'",
    "codes[-1] == 'X' and code[:2] == '01' and items[i] > 0",
    "copy_certification_fee(pages, copies=2) + len(name) + max(1, 2) + min([3, 4])",
    "1000000 + 1000000000000 + 1.5",
    "round(abs(-1.25), 1) + int('3') + float('2.5')",
    "str(n) + 'x'",
    "\n   approved == True\n  ",   # BPMN text keeps the surrounding whitespace
]


@pytest.mark.parametrize("source", ALLOWED)
def test_allowed_expressions(source):
    assert check_expression(source) == []


# ---------------------------------------------------------------- check_expression: refused

REFUSED = [
    ("__import__('os')", "function '__import__' is not allowed"),
    ("open('/etc/passwd')", "function 'open' is not allowed"),
    ("().__class__.__bases__[0].__subclasses__()", "attribute access is not allowed (.__class__)"),
    ("().__class__.__bases__[0].__subclasses__()", "method calls are not allowed (.__subclasses__())"),
    ("'{0.__class__}'.format(x)", "method calls are not allowed (.format())"),
    ("10**10**10", "the ** operator is not allowed"),
    ("'x'*10**9", "the ** operator is not allowed"),
    ("add_working_days(d, 10**9)", "the ** operator is not allowed"),
    ("lambda: 1", "lambda is not allowed"),
    ("(lambda: 1)()", "lambda is not allowed"),
    ("[c for c in s]", "comprehensions are not allowed"),
    ("{k: 1 for k in s}", "comprehensions are not allowed"),
    ("any(c for c in s)", "comprehensions are not allowed"),
    ("getattr(x, 'y')", "function 'getattr' is not allowed"),
    ("eval('1')", "function 'eval' is not allowed"),
    ("exec('import os')", "function 'exec' is not allowed"),
    ("exec", "name 'exec' is reserved and not allowed"),
    ("globals()", "function 'globals' is not allowed"),
    ("vars()", "function 'vars' is not allowed"),
    ("breakpoint()", "function 'breakpoint' is not allowed"),
    ("(y := 1)", "the walrus operator (:=) is not allowed"),
    ("x" * 3000, "expression too long (3,000 characters; max 2,000)"),
    ("_secret", "name '_secret' is not allowed (names may not start with '_')"),
    ("__builtins__", "name '__builtins__' is not allowed (names may not start with '_')"),
    ("_getitem_(x, 1)", "function '_getitem_' is not allowed"),
    ("x.y", "attribute access is not allowed (.y)"),
    ("x[0].y", "attribute access is not allowed (.y)"),
    ("1 << 1000000", "the << operator is not allowed"),
    ("1 | 2", "the | operator is not allowed"),
    ("~x", "the ~ operator is not allowed"),
    ("10000000000000", "integer literal too large (max 1,000,000,000,000)"),
    ("1e999", "number literal too large"),
    ("'" + "a" * 1500 + "'", "text literal too long (1,500 characters; max 1,000)"),
    ("b'x'", "bytes literals are not allowed"),
    ("1j", "complex literals are not allowed"),
    ("...", "ellipsis literals are not allowed"),
    ("[" + ",".join(["1"] * 101) + "]", "list literal too long (101 items; max 100)"),
    ("x[::2]", "slices with a step are not allowed"),
    ("x[a + 1]", "an index must be a constant or a data field name"),
    ("f'{x!r}'", "conversions (!r, !s, !a) in f-strings are not allowed"),
    ("f'{x:>1000000000}'", "format specifications in f-strings are not allowed"),
    ("'%1000000000d' % 1", "text formatting with % is not allowed; use an f-string"),
    ("len(*a)", "* unpacking is not allowed"),
    ("len(**a)", "** unpacking is not allowed"),
    ("{**a}", "** unpacking is not allowed"),
    ("len(x, _y=1)", "keyword '_y' is not allowed"),
    ("len", "function 'len' may only be called, not used as a value"),
    ("max(len, 1)", "function 'len' may only be called, not used as a value"),
    ("(x)(1)", "function 'x' is not allowed"),
    ("f(x)(1)", "only whitelisted functions may be called, by name"),
    ("print('x')", "function 'print' is not allowed"),
    ("await x", "await is not allowed"),
    ("-" * 150 + "1", "expression nested too deeply (max depth 100)"),
    ("[" + ",".join("[" + ",".join(["a"] * 100) + "]" for _ in range(6)) + "]", "expression too complex"),
    ("", "expression is empty"),
    ("approved ==", "syntax error"),
    ("x = 1", "syntax error"),
    ("import os", "syntax error"),
    ("a\x00b", "syntax error: source code string cannot contain null bytes"),
]


@pytest.mark.parametrize("source,message", REFUSED)
def test_refused_expressions(source, message):
    problems = check_expression(source)
    assert problems, source
    assert any(message in p for p in problems), problems


def test_refused_non_string():
    assert check_expression(42) == ["expression must be text, not int"]


def test_length_limit_is_inclusive():
    source = "x == '" + "a" * 900 + "'"
    assert check_expression(source + " " * (MAX_SOURCE_CHARS - len(source))) == []


def test_custom_function_set():
    assert check_expression("foo(1)", allowed_functions={"foo"}) == []
    assert check_expression("len(x)", allowed_functions={"foo"}) != []


def test_default_whitelist_matches_build_functions(functions):
    assert set(functions) == FUNCTION_NAMES


# ---------------------------------------------------------------- evaluate: values and run-time bounds

def test_evaluate_values(env):
    data = {"approved": True, "fee": 4000, "pages": 3, "n": 5, "applicant": {"age": 20}, "x": "a",
            "received_at": "2030-12-04T09:00:00+07:00"}
    assert env.evaluate("approved == True", data) is True
    assert env.evaluate("fee > 0 and pages <= 10", data) is True
    assert env.evaluate('f"P{n}D"', data) == "P5D"
    assert env.evaluate("applicant['age'] >= 18", data) is True
    assert env.evaluate("x in ['a','b']", data) is True
    # Wednesday 09:00 + 2 working days (16 office hours) -> Friday 09:00, Vietnam time.
    assert env.evaluate("add_working_days(received_at, 2)", data) == "2030-12-06T09:00:00+07:00"
    assert env.evaluate("copy_certification_fee(pages, copies=2)", data) == 10_000


def test_functions_win_over_data_and_guards_cannot_be_replaced(env):
    data = {"len": "not a function", "_getitem_": "evil", "__builtins__": __builtins__, "s": [1, 2, 3]}
    assert env.evaluate("len(s) + s[0]", data) == 4


def test_external_context_is_visible_but_task_data_wins(env):
    assert env.evaluate("a + b", {"a": 1}, {"a": 100, "b": 10}) == 11


def test_evaluate_refuses_unchecked_expression(env):
    with pytest.raises(ExpressionError, match=r"attribute access is not allowed \(\.__class__\)"):
        env.evaluate("().__class__", {})


@pytest.mark.parametrize("source,data,message", [
    ("'x' * 1000000000", {}, r"result of \* too large \(1,000,000,000 items; max 100,000\)"),
    ("name * count", {"name": "x", "count": 10**9}, r"result of \* too large"),
    ("count * name", {"name": ["x"], "count": 10**9}, r"result of \* too large"),
    ("a * b", {"a": 10**20, "b": 10**20}, r"result of \* too large \(max 1e\+30\)"),
    ("a * a * a * a", {"a": 10**9}, r"result of \* too large"),
    ("s + s", {"s": "x" * 60_000}, r"result of \+ too large \(120,000 items; max 100,000\)"),
    ("f % 1", {"f": "%1000000000d"}, "text formatting with % is not allowed"),
    ("add_working_days(d, 1000000)", {"d": "2030-12-04T09:00:00"}, r"n must be between 0 and 3,660"),
    ("add_working_days(d, n)", {"d": "2030-12-04T09:00:00", "n": -1}, r"n must be between 0 and 3,660"),
    ("add_office_hours(d, 40000)", {"d": "2030-12-04T09:00:00"}, r"hours must be between 0 and 30,000"),
    ("add_working_days(d, 1)", {"d": "x" * 100}, r"start is too long to be a date/time"),
    ("add_working_days(d, 1)", {"d": "9999-12-31T00:00:00"}, r"year must be between 2000 and 2100"),
    ("working_hours_between(a, b)", {"a": "2000-01-01", "b": "2100-01-01"}, r"more than 3,660 days apart"),
    ("int(s)", {"s": "9" * 1_000_000}, r"text argument too long \(1,000,000 characters; max 1,000\)"),
    ("float(s)", {"s": "1e999"}, r"not a finite number"),
    ("copy_certification_fee(p)", {"p": 10**6}, r"pages must be between 0 and 10,000"),
    ("copy_certification_fee(2, copies=c)", {"c": 5000}, r"copies must be between 0 and 1,000"),
    ("max(v)", {"v": list(range(200_000))}, r"too many values"),
    ("x[0]", {"x": 5}, r"indexing a int is not allowed"),
])
def test_run_time_bounds(env, source, data, message):
    assert check_expression(source) == []
    with pytest.raises((ExpressionError, ValueError, TypeError), match=message):
        env.evaluate(source, data)


def test_execute_and_call_service_refuse(env):
    with pytest.raises(ExpressionError, match="scripts are not allowed"):
        env.execute("x = 1", {})
    with pytest.raises(ExpressionError, match="service tasks are not allowed"):
        env.call_service({}, operation_name="x")


def test_environment_and_engine_types(functions):
    engine = make_script_engine(functions)
    assert isinstance(engine, PythonScriptEngine)
    assert isinstance(engine.environment, BasePythonScriptEngineEnvironment)
    with pytest.raises(ValueError, match="bad whitelisted function"):
        RestrictedScriptEnvironment({"_x": len})


def test_compile_cache_returns_same_code():
    assert compile_expression("a > 1") is compile_expression("a > 1")


# ---------------------------------------------------------------- whitelisted functions

def test_timer_functions_return_vn_iso_strings(functions):
    f = functions
    assert f["add_working_days"]("2030-12-04T09:00:00+07:00", 0) == "2030-12-04T17:00:00+07:00"
    assert f["add_working_days"](datetime(2030, 12, 4, 9, 0), 2) == "2030-12-06T09:00:00+07:00"  # naive = VN
    assert f["add_working_days"]("2030-12-04T02:00:00Z", 2) == "2030-12-06T09:00:00+07:00"
    assert f["add_calendar_days"]("2030-12-04T09:00:00", 3) == "2030-12-09T17:00:00+07:00"  # Sat 7 -> Mon 9
    assert f["add_office_hours"]("2030-12-04T09:00:00", 4) == "2030-12-04T14:30:00+07:00"
    assert f["working_hours_between"]("2030-12-04T09:00:00", "2030-12-06T09:00:00") == 16.0
    assert f["is_working_day"]("2030-12-07") is False
    assert f["is_working_day"](date(2030, 12, 6)) is True
    assert f["is_working_day"]("2030-12-06T23:30:00+00:00") is False   # Saturday in Vietnam


@pytest.mark.parametrize("call,message", [
    (lambda f: f["add_working_days"]("2030-12-04", True), TypeError),
    (lambda f: f["add_working_days"]("2030-12-04", "3"), TypeError),
    (lambda f: f["add_working_days"](None, 3), TypeError),
    (lambda f: f["add_working_days"]("tomorrow", 3), ValueError),
    (lambda f: f["add_calendar_days"]("2030-12-04", 1.5), ValueError),
    (lambda f: f["add_working_days"]("2030-12-04", float("nan")), ValueError),
    (lambda f: f["len"](5), TypeError),
    (lambda f: f["abs"]("x"), TypeError),
    (lambda f: f["round"](1.5, 10**9), ValueError),
    (lambda f: f["min"](), TypeError),
    (lambda f: f["min"]([]), ValueError),
    (lambda f: f["max"]([{}]), TypeError),
    (lambda f: f["str"](["x" * 60_000, "y" * 60_000]), ValueError),
])
def test_functions_validate_arguments(functions, call, message):
    with pytest.raises(message):
        call(functions)


@pytest.mark.parametrize("pages,copies,fee", [
    (0, 1, 0), (1, 1, 2_000), (2, 1, 4_000), (3, 1, 5_000), (10, 1, 12_000),
    (196, 1, 198_000), (197, 1, 199_000), (198, 1, 200_000), (500, 1, 200_000), (3, 4, 20_000),
    (500, 3, 600_000), (3.0, 1, 5_000),
])
def test_copy_certification_fee(functions, pages, copies, fee):
    assert functions["copy_certification_fee"](pages, copies) == fee


def test_copy_fee_refuses_fractions_and_booleans(functions):
    with pytest.raises(ValueError, match="whole number"):
        functions["copy_certification_fee"](2.5)
    with pytest.raises(TypeError):
        functions["copy_certification_fee"](True)


def test_small_helpers(functions):
    f = functions
    assert f["min"](3, 1, 2) == 1 and f["max"]([1, 5]) == 5 and f["abs"](-2) == 2
    assert f["round"](2.675, 2) == 2.67 and f["round"](2.5) == 2
    assert f["len"]({"a": 1}) == 1 and f["int"](" 42 ") == 42 and f["float"]("1.5") == 1.5
    assert f["str"](12) == "12" and f["bool"]([]) is False


# ---------------------------------------------------------------- through a real SpiffWorkflow workflow

BPMN_NS = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"')


def _bpmn(condition: str, timer: str, script: str | None = None) -> bytes:
    """start -> [script] -> gateway; approved -> approve (with a non-interrupting timeDate boundary) -> end;
    otherwise -> reject -> end. The timer path leads to explain_delay."""
    after_start = "script" if script else "gw"
    script_xml = (f'<bpmn:scriptTask id="script" name="Script"><bpmn:script>{escape(script)}</bpmn:script>'
                  f'</bpmn:scriptTask><bpmn:sequenceFlow id="f_s" sourceRef="script" targetRef="gw"/>'
                  if script else "")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {BPMN_NS} id="defs" targetNamespace="http://example.org/motcua">
  <bpmn:process id="proc" name="Test" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="{after_start}"/>
    {script_xml}
    <bpmn:exclusiveGateway id="gw" default="f_no"/>
    <bpmn:sequenceFlow id="f_yes" sourceRef="gw" targetRef="approve">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(condition)}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_no" sourceRef="gw" targetRef="reject"/>
    <bpmn:userTask id="approve" name="Approve"/>
    <bpmn:boundaryEvent id="late" name="Late" attachedToRef="approve" cancelActivity="false">
      <bpmn:timerEventDefinition>
        <bpmn:timeDate xsi:type="bpmn:tFormalExpression">{escape(timer)}</bpmn:timeDate>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f_late" sourceRef="late" targetRef="explain_delay"/>
    <bpmn:userTask id="explain_delay" name="Explain delay"/>
    <bpmn:sequenceFlow id="f_late_end" sourceRef="explain_delay" targetRef="end_late"/>
    <bpmn:endEvent id="end_late"/>
    <bpmn:userTask id="reject" name="Reject"/>
    <bpmn:sequenceFlow id="f_a" sourceRef="approve" targetRef="end_ok"/>
    <bpmn:sequenceFlow id="f_r" sourceRef="reject" targetRef="end_no"/>
    <bpmn:endEvent id="end_ok"/>
    <bpmn:endEvent id="end_no"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


def _start(functions, data, condition="approved == True", timer="add_working_days(received_at, 2)", script=None):
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(_bpmn(condition, timer, script), filename="test.bpmn")
    wf = BpmnWorkflow(parser.get_spec("proc"), script_engine=make_script_engine(functions))
    for task in wf.get_tasks(state=TaskState.READY):
        task.data.update(data)
    wf.do_engine_steps()
    return wf


def _ready(wf):
    return sorted(t.task_spec.bpmn_id for t in wf.get_tasks(state=TaskState.READY, manual=True))


RECEIVED = "2030-12-04T09:00:00+07:00"   # a Wednesday, far enough ahead that the timer is still waiting


def test_workflow_gateway_routes_by_data_and_timer_is_vn_iso(functions):
    wf = _start(functions, {"approved": True, "received_at": RECEIVED})
    assert _ready(wf) == ["approve"]
    waiting = [t for t in wf.get_tasks(state=TaskState.WAITING)
               if isinstance(getattr(t.task_spec, "event_definition", None), TimerEventDefinition)]
    assert [t.task_spec.bpmn_id for t in waiting] == ["late"]
    value = waiting[0].task_spec.event_definition.details(waiting[0]).value
    assert value == "2030-12-06T09:00:00+07:00"
    assert [e.value for e in wf.waiting_events()] == [value]

    wf = _start(functions, {"approved": False, "received_at": RECEIVED})
    assert _ready(wf) == ["reject"]


def test_workflow_survives_serialization_with_engine_reattached(functions):
    wf = _start(functions, {"approved": True, "received_at": RECEIVED})
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    state = serializer.serialize_json(wf)
    loaded = serializer.deserialize_json(state)
    loaded.script_engine = make_script_engine(functions)   # the engine is not serialized: re-attach
    assert [e.value for e in loaded.waiting_events()] == ["2030-12-06T09:00:00+07:00"]
    approve = loaded.get_tasks(state=TaskState.READY, manual=True)[0]
    approve.run()
    loaded.do_engine_steps()
    assert loaded.is_completed()


def test_workflow_memory_bomb_fails_with_clear_error(functions):
    started = time.perf_counter()
    with pytest.raises(WorkflowTaskException) as info:
        _start(functions, {"name": "x", "count": 10**9, "received_at": RECEIVED}, condition="len(name * count) > 3")
    assert time.perf_counter() - started < 1.0
    message = str(info.value)
    assert "len(name * count) > 3" in message
    assert "result of * too large (1,000,000,000 items; max 100,000)" in message
    assert info.value.error_type == "ExpressionError"


def test_workflow_refused_expression_fails_at_run_time_too(functions):
    # The deploy-time validator should have refused it; evaluation checks again anyway.
    with pytest.raises(WorkflowTaskException, match=r"attribute access is not allowed \(\.__class__\)"):
        _start(functions, {"received_at": RECEIVED}, condition="().__class__.__bases__[0].__subclasses__()")


def test_workflow_bad_timer_argument_fails_with_clear_error(functions):
    with pytest.raises(WorkflowTaskException, match=r"n must be between 0 and 3,660"):
        _start(functions, {"approved": True, "received_at": RECEIVED, "n": 1_000_000},
               timer="add_working_days(received_at, n)")


def test_workflow_script_task_is_refused(functions):
    with pytest.raises(WorkflowTaskException, match="scripts are not allowed") as info:
        _start(functions, {"approved": True, "received_at": RECEIVED}, script="import os\nos.system('id')")
    assert info.value.task.task_spec.bpmn_id == "script"


def test_workflow_missing_field_names_it(functions):
    with pytest.raises(WorkflowTaskException, match="name 'approved' is not defined"):
        _start(functions, {"received_at": RECEIVED})


# ---------------------------------------------------------------- cost

def test_evaluate_cost_with_cache(env, capsys):
    data = {"approved": True, "fee": 4000, "pages": 3, "received_at": RECEIVED,
            **{f"field_{i}": i for i in range(30)}}
    results = {}
    for source in ("approved == True", "fee > 0 and pages <= 10", "add_working_days(received_at, 2)"):
        env.evaluate(source, data)   # fill the cache
        runs = 2_000
        started = time.perf_counter()
        for _ in range(runs):
            env.evaluate(source, data)
        results[source] = (time.perf_counter() - started) / runs * 1e6
    with capsys.disabled():
        print("\nevaluate() cost per call, cached:",
              ", ".join(f"{s!r}: {us:.1f} µs" for s, us in results.items()))
    assert results["approved == True"] < 200   # generous: CI machines vary


# ---------------------------------------------------------------- layer 2 on its own (defence in depth)

def test_restricted_python_layer_refuses_without_the_whitelist():
    from RestrictedPython import compile_restricted_eval

    from engine.expressions import _GUARDS, _Policy

    for source in ("().__class__", "x.format", "2 ** 3", "__import__('os')", "_getitem_"):
        assert compile_restricted_eval(source, policy=_Policy).errors, source
    code = compile_restricted_eval("name * count", policy=_Policy).code
    assert "_safe_mul_" in code.co_names
    with pytest.raises(ExpressionError, match="too large"):
        eval(code, {**_GUARDS, "name": "x", "count": 10**9})
