"""BPMN loading and validation (engine.bpmn) and lane names (engine.lanes). Pure Python: run with -p no:django."""
import hashlib
import json
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.bpmn import (
    MAX_BYTES,
    MAX_DEPTH,
    MAX_ELEMENTS,
    MAX_PATHS,
    CompiledProcess,
    StepInfo,
    compile_bpmn,
    validate_bpmn,
)
from engine.errors import BpmnInvalid, EngineError, Problem
from engine.lanes import LaneError, LaneRoute, parse_lane

FIXTURES = Path(__file__).parent / "fixtures"
DOCTYPE = "DOCTYPE declarations are not allowed (XXE / entity expansion)"


def load(name):
    return (FIXTURES / name).read_bytes()


def line_of(name, needle, occurrence=1):
    """1-based line of the n-th line of fixture `name` that contains `needle`."""
    seen = 0
    for number, line in enumerate((FIXTURES / name).read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{needle!r} not in {name}")


def problems_for(name, kinds=None):
    return validate_bpmn(load(name), name, known_department_kinds=kinds)


def by_element(problems, element_id):
    return [p for p in problems if p.element_id == element_id]


# Inline documents for the rules that need no dedicated fixture ------------------------------------------------

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs">\n')


def props(**values):
    body = "".join(f'<spiffworkflow:property name="{k}" value="{v}"/>' for k, v in values.items())
    return (f"<bpmn:extensionElements><spiffworkflow:properties>{body}</spiffworkflow:properties>"
            f"</bpmn:extensionElements>")


def user_task(task_id, **values):
    values = values or {"allocation_days": "1"}
    return f'<bpmn:userTask id="{task_id}">{props(**values)}</bpmn:userTask>\n'


def document(body, lanes="", limit="5", unit="working_days", extra_root=""):
    process_props = props(**{k: v for k, v in (("statutory_limit", limit), ("statutory_unit", unit)) if v is not None})
    lane_xml = ""
    if lanes:
        refs = "".join(f"<bpmn:flowNodeRef>{t}</bpmn:flowNodeRef>" for t in lanes.split())
        lane_xml = (f'<bpmn:laneSet id="ls"><bpmn:lane id="lane" name="specialist@self">{refs}</bpmn:lane>'
                    f"</bpmn:laneSet>\n")
    return (HEAD + extra_root + '<bpmn:process id="p" isExecutable="true">\n' + process_props + "\n" + lane_xml
            + body + "</bpmn:process>\n</bpmn:definitions>\n").encode("utf-8")


def chain(*task_ids, **allocations):
    """start -> tasks in order -> end, every task in the specialist lane."""
    nodes = ['<bpmn:startEvent id="start"/>\n']
    flows = []
    previous = "start"
    for i, task_id in enumerate(task_ids):
        nodes.append(user_task(task_id, **allocations.get(task_id, {"allocation_days": "1"})))
        flows.append(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{previous}" targetRef="{task_id}"/>\n')
        previous = task_id
    nodes.append('<bpmn:endEvent id="end"/>\n')
    flows.append(f'<bpmn:sequenceFlow id="f_end" sourceRef="{previous}" targetRef="end"/>\n')
    return "".join(nodes + flows)


def xml_line(xml, needle):
    """1-based line of the first line of an inline document that contains `needle`."""
    return next(i for i, line in enumerate(xml.decode("utf-8").splitlines(), 1) if needle in line)


def messages(xml, **kwargs):
    return [p.message for p in validate_bpmn(xml, **kwargs)]


# ---------------------------------------------------------------------------------------------------------------
# lanes


@pytest.mark.parametrize("name, route", [
    ("reception@self", LaneRoute("reception", "self", None)),
    ("specialist@parent/labour", LaneRoute("specialist", "parent", "labour")),
    ("unit_leader@province/natural_resources", LaneRoute("unit_leader", "province", "natural_resources")),
    ("signing_leader@self", LaneRoute("signing_leader", "self", None)),
])
def test_parse_lane_accepts_routes(name, route):
    assert parse_lane(name) == route
    assert parse_lane(name).name == name == str(route)


@pytest.mark.parametrize("name, why", [
    ("Chuyên viên", "exactly one '@'"),
    ("specialist", "exactly one '@'"),
    ("clerk@self", "unknown role 'clerk'"),
    ("specialist@district", "unknown anchor 'district'"),
    ("specialist@parent/Labour", "invalid department kind 'Labour'"),
    ("specialist@parent/", "invalid department kind ''"),
    ("specialist@parent/labour/x", "invalid department kind 'labour/x'"),
    (" specialist@self", "spaces"),
    ("Specialist@self", "unknown role 'Specialist'"),
    ("", "no name"),
    (None, "no name"),
])
def test_parse_lane_refuses_with_form_and_example(name, why):
    with pytest.raises(LaneError) as caught:
        parse_lane(name)
    message = str(caught.value)
    assert why in message
    assert "ROLE@ANCHOR[/DEPARTMENT_KIND]" in message and "specialist@parent/labour" in message
    assert isinstance(caught.value, EngineError)


def test_lane_route_is_frozen():
    route = parse_lane("reception@self")
    with pytest.raises(AttributeError):
        route.role = "specialist"


# ---------------------------------------------------------------------------------------------------------------
# Problem / errors


def test_problem_format():
    assert Problem(12, "Flow_1", "bad").format("a.bpmn") == "a.bpmn:12: Flow_1: bad"
    assert Problem(None, None, "bad").format() == "<upload>:-: -: bad"


def test_bpmn_invalid_carries_every_problem():
    with pytest.raises(BpmnInvalid) as caught:
        compile_bpmn(load("camunda_export.bpmn"), "camunda_export.bpmn")
    assert len(caught.value.problems) == len(problems_for("camunda_export.bpmn"))
    assert caught.value.element_id == caught.value.problems[0].element_id
    assert isinstance(caught.value, EngineError)


# ---------------------------------------------------------------------------------------------------------------
# the valid file


def test_valid_file_has_no_problems_and_compiles():
    xml = load("valid_minimal.bpmn")
    assert validate_bpmn(xml, "valid_minimal.bpmn", known_department_kinds={"labour"}) == []
    compiled = compile_bpmn(xml, "valid_minimal.bpmn", known_department_kinds={"labour"})
    assert isinstance(compiled, CompiledProcess)
    assert compiled.process_id == "valid_minimal"
    assert compiled.name == "Minimal valid procedure"
    assert compiled.checksum == hashlib.sha256(xml).hexdigest()
    assert compiled.statutory_limit == Decimal(5) and compiled.statutory_unit == "working_days"
    assert compiled.procedure_code == "TEST.001"
    stored = json.loads(compiled.spec_json)
    assert stored["spec"]["name"] == "valid_minimal" and stored["subprocess_specs"] == {}
    assert [s.bpmn_id for s in compiled.steps] == ["receive", "review", "explain_delay", "sign"]
    assert compiled.steps[0] == StepInfo("receive", "Check the dossier", "reception@self", None, Decimal(4), None,
                                         ("complete",))
    assert compiled.steps[1].lane == "specialist@self/labour"
    assert compiled.steps[1].allocation_days == Decimal(2)
    assert compiled.steps[1].required_fields == ("approved", "opinion")


def test_str_input_is_accepted_and_non_bytes_refused():
    assert validate_bpmn(load("valid_minimal.bpmn").decode("utf-8")) == []
    assert "expected the BPMN file as bytes" in messages(12345)[0]


# ---------------------------------------------------------------------------------------------------------------
# XML security


def test_xxe_fixture_refused_at_the_doctype_line():
    problems = problems_for("xxe.bpmn")
    assert problems == [Problem(line_of("xxe.bpmn", "<!DOCTYPE"), None, DOCTYPE)]
    with pytest.raises(BpmnInvalid):
        compile_bpmn(load("xxe.bpmn"))


def test_xxe_does_not_read_the_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-4711")
    xml = (f'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>\n'
           f'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">'
           f'<bpmn:process id="p" name="&x;" isExecutable="true"/></bpmn:definitions>').encode()
    problems = validate_bpmn(xml)
    assert [p.message for p in problems] == [DOCTYPE]
    assert "TOP-SECRET" not in repr(problems)
    with pytest.raises(BpmnInvalid) as caught:
        compile_bpmn(xml)
    assert "TOP-SECRET" not in str(caught.value)


def test_doctype_hidden_in_utf16_or_another_encoding_is_refused():
    xml = load("xxe.bpmn").decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    assert "not valid UTF-8" in messages(xml.encode("utf-16"))[0]
    # Declared UTF-16 but written in ASCII: the parser would read other characters than our scan.
    no_doctype = load("valid_minimal.bpmn").decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    assert "only UTF-8 is accepted" in messages(no_doctype.encode("ascii", "ignore"))[0]


def test_lowercase_doctype_is_refused():
    xml = b'<?xml version="1.0"?>\n\n<!doctype x>\n<x/>'
    assert validate_bpmn(xml) == [Problem(3, None, DOCTYPE)]


def test_entity_bomb_refused_fast_without_memory():
    tracemalloc.start()
    started = time.perf_counter()
    try:
        problems = problems_for("entity_bomb.bpmn")
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert problems == [Problem(line_of("entity_bomb.bpmn", "<!DOCTYPE"), None, DOCTYPE)]
    assert elapsed < 0.5
    assert peak < 2 * 1024 * 1024


def test_malformed_xml_reports_the_line():
    problems = problems_for("malformed.bpmn")
    assert len(problems) == 1
    problem = problems[0]
    assert problem.line == line_of("malformed.bpmn", "</bpmn:process>")
    assert problem.element_id is None
    assert problem.message.startswith("malformed XML:") and "startEvent" in problem.message


def test_size_cap():
    xml = load("valid_minimal.bpmn") + b" " * MAX_BYTES
    assert messages(xml) == [f"the file is {len(xml)} bytes; the limit is 2 MB"]


def test_depth_cap():
    xml = HEAD.encode() + b"<a>" * (MAX_DEPTH + 5) + b"</a>" * (MAX_DEPTH + 5) + b"</bpmn:definitions>"
    problems = validate_bpmn(xml)
    assert problems == [Problem(3, None, f"XML elements are nested deeper than {MAX_DEPTH} levels")]


def test_element_count_cap():
    xml = HEAD.encode() + b"<a/>\n" * (MAX_ELEMENTS + 10) + b"</bpmn:definitions>"
    problems = validate_bpmn(xml)
    assert problems == [Problem(MAX_ELEMENTS + 2, None, f"the file has more than {MAX_ELEMENTS} XML elements")]


def test_not_utf8_and_empty_and_wrong_root():
    assert messages(b"\xff\xfe\x00<") == ["the file is not valid UTF-8; save the BPMN file as UTF-8"]
    assert messages(b"   ") == ["the file is empty"]
    assert "not bpmn:definitions" in messages(b"<definitions/>")[0]


def test_comments_and_processing_instructions_are_dropped():
    xml = load("valid_minimal.bpmn").replace(b"<bpmn:startEvent", b"<!-- a comment --><?pi x?><bpmn:startEvent")
    assert validate_bpmn(xml, known_department_kinds={"labour"}) == []


# ---------------------------------------------------------------------------------------------------------------
# refused elements and scripts


def test_script_task_refused_naming_it():
    problems = problems_for("script_task.bpmn")
    (script,) = by_element(problems, "compute_fee")
    assert script.line == line_of("script_task.bpmn", 'id="compute_fee"')
    assert "script tasks are not allowed; use a whitelisted function in a condition or timer" in script.message
    (post,) = by_element(problems, "check")
    assert post.line == line_of("script_task.bpmn", "<spiffworkflow:postScript>")
    assert "spiffworkflow:postScript" in post.message and "not allowed" in post.message


def test_prescript_refused_and_empty_script_ignored():
    body = chain("check").replace(
        '<bpmn:userTask id="check"><bpmn:extensionElements>',
        '<bpmn:userTask id="check"><bpmn:extensionElements><spiffworkflow:preScript>x = 1</spiffworkflow:preScript>'
        '<spiffworkflow:postScript>  </spiffworkflow:postScript>')
    problems = validate_bpmn(document(body, lanes="check"))
    assert [(p.element_id, "preScript" in p.message) for p in problems] == [("check", True)]


@pytest.mark.parametrize("tag, words", [
    ("serviceTask", "service tasks are not allowed"),
    ("callActivity", "call activities are not supported yet"),
    ("subProcess", "sub-processes are not supported yet"),
    ("manualTask", "manual tasks are not supported"),
    ("task", "untyped tasks are not supported"),
    ("businessRuleTask", "business rule (DMN) tasks are not supported"),
    ("sendTask", "send tasks are not supported"),
    ("receiveTask", "receive tasks are not supported"),
    ("complexGateway", "complex gateways are not supported"),
    ("choreographyTask", "is not supported here"),
])
def test_unsupported_elements_refused(tag, words):
    body = chain("check").replace('<bpmn:endEvent id="end"/>',
                                  f'<bpmn:{tag} id="odd" name="Odd"/><bpmn:endEvent id="end"/>')
    xml = document(body, lanes="check")
    odd = by_element(validate_bpmn(xml), "odd")
    assert odd and words in odd[0].message and odd[0].line == xml_line(xml, 'id="odd"')


# ---------------------------------------------------------------------------------------------------------------
# expressions


def test_escaping_expression_refused_naming_the_flow():
    problems = problems_for("escaping_expression.bpmn")
    assert problems and all(p.element_id == "flow_bad" for p in problems)
    assert {p.line for p in problems} == {line_of("escaping_expression.bpmn", "<bpmn:conditionExpression>")}
    assert any("__class__" in p.message or "attribute" in p.message for p in problems)


def test_cpu_bomb_expression_refused_naming_the_flow():
    started = time.perf_counter()
    problems = problems_for("cpu_bomb_expression.bpmn")
    assert time.perf_counter() - started < 1
    assert [p.element_id for p in problems] == ["flow_bad"]
    assert problems[0].line == line_of("cpu_bomb_expression.bpmn", "<bpmn:conditionExpression>")
    assert "**" in problems[0].message


def test_timer_signal_and_multi_instance_expressions_are_checked():
    body = chain("check").replace(
        '<bpmn:endEvent id="end"/>',
        '<bpmn:boundaryEvent id="late" attachedToRef="check" cancelActivity="false">\n'
        '<bpmn:timerEventDefinition id="late_def"><bpmn:timeDate>open("/etc/passwd")</bpmn:timeDate>'
        '</bpmn:timerEventDefinition></bpmn:boundaryEvent>\n'
        '<bpmn:endEvent id="end"/>')
    body = body.replace('<bpmn:userTask id="check">',
                        '<bpmn:userTask id="check"><bpmn:multiInstanceLoopCharacteristics>'
                        '<bpmn:loopCardinality>len(x.y)</bpmn:loopCardinality>'
                        '</bpmn:multiInstanceLoopCharacteristics>')
    signal = ('<bpmn:signal id="sig" name="s"><bpmn:extensionElements>'
              '<spiffworkflow:payloadExpression>__import__("os")</spiffworkflow:payloadExpression>'
              '</bpmn:extensionElements></bpmn:signal>\n')
    problems = validate_bpmn(document(body, lanes="check", extra_root=signal))
    by_id = {p.element_id for p in problems}
    assert {"late", "check", "sig"} <= by_id
    xml = document(body, lanes="check", extra_root=signal)
    assert next(p for p in problems if p.element_id == "sig").line == xml_line(xml, "payloadExpression")
    assert any(p.element_id == "late" and p.message.startswith("timer on 'late'") for p in problems)
    assert any(p.element_id == "check" and p.message.startswith("multi-instance on 'check'") for p in problems)


@pytest.mark.parametrize("cardinality, bounded", [
    ("3", True), ("min(copies, 20)", True), ("min(20, copies, pages)", True), ("copies", False),
    ("min(copies, 101)", False), ("max(copies, 2)", False), ("1000", False),
])
def test_multi_instance_count_must_be_bounded(cardinality, bounded):
    body = chain("check").replace('<bpmn:userTask id="check">',
                                  '<bpmn:userTask id="check"><bpmn:multiInstanceLoopCharacteristics>'
                                  f"<bpmn:loopCardinality>{cardinality}</bpmn:loopCardinality>"
                                  "</bpmn:multiInstanceLoopCharacteristics>")
    found = [p for p in validate_bpmn(document(body, lanes="check")) if "must be bounded" in p.message]
    assert (found == []) == bounded
    if found:
        assert found[0].element_id == "check" and "min(copies, 20)" in found[0].message


def test_unquoted_iso_duration_and_empty_timer():
    body = chain("check").replace(
        '<bpmn:endEvent id="end"/>',
        '<bpmn:boundaryEvent id="late" attachedToRef="check"><bpmn:timerEventDefinition>'
        '<bpmn:timeDuration>P5D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>'
        '<bpmn:boundaryEvent id="later" attachedToRef="check"><bpmn:timerEventDefinition>'
        '<bpmn:timeDate> </bpmn:timeDate></bpmn:timerEventDefinition></bpmn:boundaryEvent>'
        '<bpmn:endEvent id="end"/>')
    problems = validate_bpmn(document(body, lanes="check"))
    assert any(p.element_id == "late" and 'quote it ("P5D")' in p.message for p in problems)
    assert any(p.element_id == "later" and "is empty" in p.message for p in problems)


# ---------------------------------------------------------------------------------------------------------------
# lanes in the diagram


def test_missing_lane_names_the_task():
    problems = problems_for("missing_lane.bpmn")
    assert len(problems) == 1
    (problem,) = problems
    assert problem.element_id == "appraise"
    assert problem.line == line_of("missing_lane.bpmn", 'id="appraise"')
    assert "'appraise' (Appraise) is in no lane" in problem.message and "specialist@parent/labour" in problem.message


def test_bad_lane_names_lane_and_task():
    problems = problems_for("bad_lane.bpmn")
    assert [p.element_id for p in problems] == ["appraise"]
    problem = problems[0]
    assert problem.line == line_of("bad_lane.bpmn", 'id="appraise"')
    assert "Lane_vn" in problem.message and "Chuyên viên" in problem.message
    assert "ROLE@ANCHOR[/DEPARTMENT_KIND]" in problem.message and "specialist@parent/labour" in problem.message


def test_unknown_department_kind_when_kinds_are_given():
    problems = problems_for("bad_lane.bpmn", kinds={"labour", "justice"})
    (inspect,) = by_element(problems, "inspect")
    assert inspect.line == line_of("bad_lane.bpmn", 'id="inspect"')
    assert "'mining'" in inspect.message and "justice, labour" in inspect.message
    assert "specialist@parent/mining" in inspect.message


def test_flow_node_ref_with_spaces():
    body = chain("check")
    xml = document(body).replace(
        b"</bpmn:extensionElements>\n<bpmn:startEvent",
        b'</bpmn:extensionElements>\n<bpmn:laneSet id="ls"><bpmn:lane id="lane" name="specialist@self">'
        b"<bpmn:flowNodeRef> check </bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>\n<bpmn:startEvent", 1)
    found = messages(xml)
    assert any("spaces around the id" in m for m in found)
    assert any("is in no lane" in m for m in found)


# ---------------------------------------------------------------------------------------------------------------
# gateways


def test_gateway_without_condition_or_default():
    problems = problems_for("gateway_without_default.bpmn")
    assert len(problems) == 1  # SpiffWorkflow's own complaint about the same flow is not repeated
    (problem,) = problems
    assert problem.element_id == "decide"
    assert problem.line == line_of("gateway_without_default.bpmn", 'id="decide"')
    assert "'flow_no' has no condition" in problem.message and "default" in problem.message


def test_gateway_default_must_be_outgoing_and_may_have_a_condition():
    xml = load("valid_minimal.bpmn").replace(b'default="f_refused"', b'default="f_nowhere"')
    found = validate_bpmn(xml, known_department_kinds={"labour"})
    assert any(p.element_id == "decide" and "default flow 'f_nowhere' is not one of" in p.message for p in found)
    with_condition = load("valid_minimal.bpmn").replace(
        b'<bpmn:sequenceFlow id="f_refused" sourceRef="decide" targetRef="end_refused" />',
        b'<bpmn:sequenceFlow id="f_refused" sourceRef="decide" targetRef="end_refused">'
        b"<bpmn:conditionExpression>approved == False</bpmn:conditionExpression></bpmn:sequenceFlow>")
    assert validate_bpmn(with_condition, known_department_kinds={"labour"}) == []


def test_spiffworkflow_errors_get_our_line_numbers():
    # Two outgoing flows from a user task: only SpiffWorkflow objects to it; the line comes from our tree.
    body = chain("a", "b") + '<bpmn:sequenceFlow id="f_extra" sourceRef="a" targetRef="end"/>\n'
    xml = document(body, lanes="a b")
    problems = validate_bpmn(xml)
    (problem,) = problems
    assert problem.element_id == "a" and problem.message.startswith("SpiffWorkflow: bpmn:userTask 'a':")
    assert problem.line == xml_line(xml, '<bpmn:userTask id="a">')


def test_flows_to_unknown_elements_and_duplicate_ids():
    body = chain("check") + '<bpmn:sequenceFlow id="f_bad" sourceRef="check" targetRef="ghost"/>\n'
    body += '<bpmn:endEvent id="end"/>\n'
    found = messages(document(body, lanes="check"))
    assert any("targetRef 'ghost' is not an element" in m for m in found)
    assert any("duplicate id 'end'" in m for m in found)


# ---------------------------------------------------------------------------------------------------------------
# process and task properties


def test_executable_process_count():
    problems = problems_for("two_executable.bpmn")
    assert [(p.element_id, p.line) for p in problems] == [
        ("first", line_of("two_executable.bpmn", 'id="first"')),
        ("second", line_of("two_executable.bpmn", 'id="second"')),
    ]
    assert all("exactly one may be" in p.message for p in problems)
    none = load("two_executable.bpmn").replace(b'isExecutable="true"', b'isExecutable="false"')
    problems = validate_bpmn(none)
    assert [p.element_id for p in problems] == ["first", "second"]
    assert all('isExecutable="true"' in p.message for p in problems)
    assert "no bpmn:process" in messages(HEAD.encode() + b"</bpmn:definitions>")[0]


@pytest.mark.parametrize("limit, unit, expected", [
    (None, "working_days", "lacks the property statutory_limit"),
    ("5", None, "lacks the property statutory_unit"),
    ("5", "weeks", "statutory_unit 'weeks' must be one of"),
    ("five", "working_days", "must be a non-negative decimal"),
    ("-1", "working_days", "must be a non-negative decimal"),
    ("3661", "working_days", "is more than 3660"),
    ("1", "same_day", "same_day requires statutory_limit 0"),
    ("7.5", "calendar_days", "must be a whole number"),
])
def test_process_properties(limit, unit, expected):
    found = messages(document(chain("check"), lanes="check", limit=limit, unit=unit))
    assert any(expected in m for m in found), found


@pytest.mark.parametrize("task_props, expected", [
    ({"required_fields": "x"}, "needs exactly one of the properties allocation_days or allocation_hours"),
    ({"allocation_days": "1", "allocation_hours": "2"}, "has both allocation_days and allocation_hours"),
    ({"allocation_days": "0"}, "must be greater than 0"),
    ({"allocation_hours": "1e3"}, "must be a non-negative decimal"),
    ({"allocation_days": "1", "legal_extension_days": "x"}, "must be a non-negative decimal"),
    ({"allocation_days": "1", "required_fields": "ok, 2bad, class"}, "'2bad' is not a field name"),
    ({"allocation_days": "1", "required_fields": "ok, 2bad, class"}, "'class' is not a field name"),
    ({"allocation_days": "1", "required_fields": "a,a"}, "lists a field twice"),
])
def test_user_task_properties(task_props, expected):
    found = validate_bpmn(document(chain("check", check=task_props), lanes="check"))
    assert any(expected in p.message and p.element_id == "check" for p in found), found


def test_properties_on_other_nodes_are_refused():
    body = chain("check").replace('<bpmn:endEvent id="end"/>',
                                  f'<bpmn:endEvent id="end">{props(legal_extension_days="5", allocation_days="1")}'
                                  f"</bpmn:endEvent>")
    found = validate_bpmn(document(body, lanes="check"))
    assert any(p.element_id == "end" and "put it on the first user task" in p.message for p in found)
    assert any(p.element_id == "end" and "only user tasks carry it" in p.message for p in found)


def test_property_without_value_and_duplicates():
    body = chain("check").replace('<spiffworkflow:property name="allocation_days" value="1"/>',
                                  '<spiffworkflow:property name="allocation_days" value="1"/>'
                                  '<spiffworkflow:property name="allocation_days" value="2"/>'
                                  '<spiffworkflow:property name="x"/>')
    found = messages(document(body, lanes="check"))
    assert any("set twice" in m for m in found) and any("lacks its name or value" in m for m in found)


# ---------------------------------------------------------------------------------------------------------------
# the allocation budget


def test_over_budget_path_is_reported_on_its_last_user_task():
    problems = problems_for("over_budget.bpmn")
    assert len(problems) == 1  # the direct path (28 h) fits in 4 working days (32 h)
    (problem,) = problems
    assert problem.element_id == "sign"
    assert problem.line == line_of("over_budget.bpmn", 'id="sign"')
    assert "receive -> appraise -> verify -> sign" in problem.message
    assert "76 office hours" in problem.message and "72 h" in problem.message
    assert "40 h of legal extensions" in problem.message


def test_legal_extension_raises_the_budget_only_of_its_path():
    xml = load("over_budget.bpmn").replace(b'name="allocation_days" value="6"', b'name="allocation_days" value="5"')
    assert validate_bpmn(xml) == []
    without = xml.replace(b'<spiffworkflow:property name="legal_extension_days" value="5" />', b"")
    (problem,) = validate_bpmn(without)
    assert "68 office hours" in problem.message and "budget of 32 h" in problem.message


def test_same_day_budget_is_one_working_day():
    ok = document(chain("a", "b", a={"allocation_hours": "4"}, b={"allocation_hours": "4"}), lanes="a b",
                  limit="0", unit="same_day")
    assert validate_bpmn(ok) == []
    over = ok.replace(b'name="allocation_hours" value="4"', b'name="allocation_hours" value="4.5"', 1)
    (problem,) = validate_bpmn(over)
    assert problem.element_id == "b" and "8.5 office hours" in problem.message


def test_calendar_days_count_the_working_days_they_surely_hold():
    # 9 calendar days = 1 week + 2 days: at least 5 working days (the 2 days may be a weekend), 40 h.
    ok = document(chain("a", a={"allocation_days": "5"}), lanes="a", limit="9", unit="calendar_days")
    assert validate_bpmn(ok) == []
    over = ok.replace(b'value="5"/>', b'value="5.5"/>')
    (problem,) = validate_bpmn(over)
    assert "9 calendar_days hold at least 5 working days" in problem.message
    # 14 calendar days hold exactly 10.
    fourteen = document(chain("a", a={"allocation_days": "10"}), lanes="a", limit="14", unit="calendar_days")
    assert validate_bpmn(fourteen) == []


def test_loops_are_followed_once_per_path():
    # check -> decide -> (rework -> check) | end : the loop path goes check, rework, check.
    body = ('<bpmn:startEvent id="start"/>' + user_task("check", allocation_days="1")
            + user_task("rework", allocation_days="1")
            + '<bpmn:exclusiveGateway id="decide" default="f_ok"/><bpmn:endEvent id="end"/>'
            '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="decide"/>'
            '<bpmn:sequenceFlow id="f_rework" sourceRef="decide" targetRef="rework">'
            '<bpmn:conditionExpression>complete == False</bpmn:conditionExpression></bpmn:sequenceFlow>'
            '<bpmn:sequenceFlow id="f3" sourceRef="rework" targetRef="check"/>'
            '<bpmn:sequenceFlow id="f_ok" sourceRef="decide" targetRef="end"/>')
    assert validate_bpmn(document(body, lanes="check rework", limit="3")) == []
    (problem,) = validate_bpmn(document(body, lanes="check rework", limit="2"))
    assert "check -> rework -> check" in problem.message


def test_too_many_paths_is_a_problem_not_a_hang():
    # 16 diamonds in a row: 65,536 paths.
    parts, previous = ['<bpmn:startEvent id="start"/>'], "start"
    for i in range(16):
        parts.append(f'<bpmn:parallelGateway id="s{i}"/><bpmn:parallelGateway id="j{i}"/>')
        parts.append(f'<bpmn:sequenceFlow id="in{i}" sourceRef="{previous}" targetRef="s{i}"/>')
        parts.append(f'<bpmn:sequenceFlow id="a{i}" sourceRef="s{i}" targetRef="j{i}"/>')
        parts.append(f'<bpmn:sequenceFlow id="b{i}" sourceRef="s{i}" targetRef="j{i}"/>')
        previous = f"j{i}"
    parts.append(user_task("t") + '<bpmn:endEvent id="end"/>')
    parts.append(f'<bpmn:sequenceFlow id="to_t" sourceRef="{previous}" targetRef="t"/>')
    parts.append('<bpmn:sequenceFlow id="to_end" sourceRef="t" targetRef="end"/>')
    started = time.perf_counter()
    found = messages(document("".join(parts), lanes="t"))
    assert time.perf_counter() - started < 5
    assert any(f"more than {MAX_PATHS} paths" in m for m in found)


def test_boundary_event_branches_are_not_held_to_the_budget():
    # valid_minimal: explain_delay hangs off a boundary timer; with 5 days, receive+review+sign = 28 h fits.
    xml = load("valid_minimal.bpmn").replace(b'name="allocation_hours" value="2"',
                                             b'name="allocation_hours" value="200"')
    assert validate_bpmn(xml, known_department_kinds={"labour"}) == []


# ---------------------------------------------------------------------------------------------------------------
# a Camunda Modeler export


def test_camunda_export_is_refused_with_clear_messages():
    problems = problems_for("camunda_export.bpmn")
    name = "camunda_export.bpmn"
    expected = {
        ("Process_cap_phep", "lacks the property statutory_limit"),
        ("Process_cap_phep", "lacks the property statutory_unit"),
        ("Activity_tham_dinh", "is in no lane"),
        ("Activity_tham_dinh", "camunda:assignee, camunda:candidateGroups are ignored here"),
        ("Activity_tham_dinh", "needs exactly one of the properties allocation_days or allocation_hours"),
        ("Activity_ky", "is in no lane"),
        ("Event_qua_han", "'P5D' is evaluated as Python"),
        ("Activity_bao_cao", "service tasks are not allowed"),
        ("Flow_yes", "looks like a Camunda (JUEL) expression"),
        ("Flow_no", "looks like a Camunda (JUEL) expression"),
    }
    for element_id, words in expected:
        assert any(p.element_id == element_id and words in p.message for p in problems), (element_id, words)
    for problem in problems:
        assert problem.line is not None
        assert f"'{problem.element_id}'" in problem.message  # every message names its element
    assert by_element(problems, "Flow_yes")[0].line == line_of(name, "${approved}")
    assert by_element(problems, "Activity_bao_cao")[0].line == line_of(name, 'id="Activity_bao_cao"')
    assert [p.line for p in problems] == sorted(p.line for p in problems)


# ---------------------------------------------------------------------------------------------------------------
# robustness: hostile or broken input never raises


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_files_never_raise(data):
    xml = bytearray(load(data.draw(st.sampled_from(["valid_minimal.bpmn", "camunda_export.bpmn",
                                                     "over_budget.bpmn"]))))
    for _ in range(data.draw(st.integers(1, 5))):
        action = data.draw(st.sampled_from(["delete", "insert", "flip"]))
        position = data.draw(st.integers(0, len(xml) - 1))
        if action == "delete":
            del xml[position:position + data.draw(st.integers(1, 40))]
        elif action == "insert":
            xml[position:position] = data.draw(st.sampled_from(
                [b"<", b">", b"&amp;", b"<!DOCTYPE x>", b'"', b"\x00", b"<bpmn:userTask id='x'/>", b"]]>",
                 b"<bpmn:scriptTask id='s'/>", b"__class__", b"\xc3"]))
        elif xml:
            xml[position] = data.draw(st.integers(0, 255))
    problems = validate_bpmn(bytes(xml))
    assert isinstance(problems, list) and all(isinstance(p, Problem) for p in problems)


# ---------------------------------------------------------------------------------------------------------------
# clock phases (issue 9: a case's acceptance, resolution… each with its own limit in the catalogue)


def test_a_clock_phase_starts_another_budget_and_its_name_is_checked():
    over = chain("a", "b", "c", a={"allocation_days": "3"}, b={"allocation_days": "3"}, c={"allocation_days": "3"})
    assert any("more than the statutory budget" in m for m in messages(document(over, lanes="a b c", limit="5")))
    phased = chain("a", "b", "c", a={"allocation_days": "3"},
                   b={"allocation_days": "30", "clock_phase": "resolution"}, c={"allocation_days": "3"})
    xml = document(phased, lanes="a b c", limit="5")
    assert validate_bpmn(xml) == []  # a (3 days) within the 5 of the first limit; b and c belong to the phase
    compiled = compile_bpmn(xml)
    assert [s.clock_phase for s in compiled.steps] == [None, "resolution", None]
    still_over = chain("a", "b", "c", a={"allocation_days": "6"},
                       b={"allocation_days": "1", "clock_phase": "resolution"})
    assert any("more than the statutory budget" in m
               for m in messages(document(still_over, lanes="a b c", limit="5")))
    for bad in ("Resolution", "giai quyet", "1st", "x" * 41, ""):
        xml = document(chain("a", a={"allocation_days": "1", "clock_phase": bad}), lanes="a")
        problems = validate_bpmn(xml)
        assert [p.element_id for p in problems] == ["a"] and "clock_phase" in problems[0].message


def test_a_clock_phase_outside_a_user_task_is_refused():
    body = ('<bpmn:startEvent id="start"/>\n<bpmn:serviceTask id="s">'
            + props(clock_phase="resolution") + "</bpmn:serviceTask>\n" + user_task("a")
            + '<bpmn:endEvent id="end"/>\n<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="s"/>\n'
            + '<bpmn:sequenceFlow id="f2" sourceRef="s" targetRef="a"/>\n'
            + '<bpmn:sequenceFlow id="f3" sourceRef="a" targetRef="end"/>\n')
    problems = validate_bpmn(document(body, lanes="a"))
    assert any(p.element_id == "s" and "clock_phase" in p.message for p in problems)


# case outcomes (what a case's end means for the statistics: resolved, not accepted, forwarded)


def test_an_end_event_declares_its_case_outcome_and_the_compiled_process_keeps_it():
    body = ('<bpmn:startEvent id="start"/>\n' + user_task("a", allocation_days="1", required_fields="x")
            + '<bpmn:exclusiveGateway id="g" default="f_done"/>\n'
            + f'<bpmn:endEvent id="done">{props(case_outcome="resolved")}</bpmn:endEvent>\n'
            + f'<bpmn:endEvent id="sent_on">{props(case_outcome="forwarded")}</bpmn:endEvent>\n'
            + '<bpmn:endEvent id="plain"/>\n'
            + '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="a"/>\n'
            + '<bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="g"/>\n'
            + '<bpmn:sequenceFlow id="f_done" sourceRef="g" targetRef="done"/>\n'
            + '<bpmn:sequenceFlow id="f_on" sourceRef="g" targetRef="sent_on">'
            + '<bpmn:conditionExpression>x == 1</bpmn:conditionExpression></bpmn:sequenceFlow>\n'
            + '<bpmn:sequenceFlow id="f_plain" sourceRef="g" targetRef="plain">'
            + '<bpmn:conditionExpression>x == 2</bpmn:conditionExpression></bpmn:sequenceFlow>\n')
    xml = document(body, lanes="a")
    assert validate_bpmn(xml) == []
    compiled = compile_bpmn(xml)
    assert compiled.end_events == (("done", "resolved"), ("sent_on", "forwarded"), ("plain", None))
    assert compiled.end_outcomes == {"done": "resolved", "sent_on": "forwarded"}


def test_a_case_outcome_must_be_known_and_only_end_events_carry_it():
    for bad in ("Resolved", "late", ""):
        xml = document(chain("a").replace('<bpmn:endEvent id="end"/>',
                                          f'<bpmn:endEvent id="end">{props(case_outcome=bad)}</bpmn:endEvent>'),
                       lanes="a")
        problems = validate_bpmn(xml)
        assert [p.element_id for p in problems] == ["end"] and "case_outcome" in problems[0].message, bad
        assert "resolved, not_accepted, forwarded" in problems[0].message
    on_task = document(chain("a", a={"allocation_days": "1", "case_outcome": "resolved"}), lanes="a")
    problems = validate_bpmn(on_task)
    assert [p.element_id for p in problems] == ["a"] and "only end events carry it" in problems[0].message
