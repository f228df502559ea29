"""Step forms in BPMN files (engine.bpmn): Camunda 8's embedded form-js forms, zeebe:userTaskForm +
zeebe:formDefinition, read by our hardened loader. Pure Python."""
import json
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from engine.bpmn import compile_bpmn, validate_bpmn
from engine.errors import BpmnInvalid
from engine.forms import MAX_SCHEMA_BYTES, parse_form_schema, validate_submission
from engine.runner import Instance

LIBRARY = Path(__file__).resolve().parents[2] / "bpmn"

RADIO = {"type": "radio", "key": "approved", "label": "Đồng ý?", "validate": {"required": True},
         "values": [{"label": "Có", "value": True}, {"label": "Không", "value": False}]}


def form_json(*components):
    return json.dumps({"type": "default", "id": "f", "components": list(components)}, ensure_ascii=False)


def diagram(form_text=None, definition='<zeebe:formDefinition formKey="camunda-forms:bpmn:form_check" />',
            required="approved", condition="approved == True", extra_task_xml="", raw_forms=None):
    """One user task `check` with a form, a gateway on `approved`."""
    forms = raw_forms if raw_forms is not None else (
        f'<zeebe:userTaskForm id="form_check">{escape(form_text)}</zeebe:userTaskForm>' if form_text is not None
        else "")
    required_xml = f'<spiffworkflow:property name="required_fields" value="{required}" />' if required else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:extensionElements>
      <spiffworkflow:properties>
        <spiffworkflow:property name="statutory_limit" value="3" />
        <spiffworkflow:property name="statutory_unit" value="working_days" />
      </spiffworkflow:properties>
      {forms}
    </bpmn:extensionElements>
    <bpmn:laneSet id="ls"><bpmn:lane id="lane" name="specialist@self">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>check</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>gw</bpmn:flowNodeRef><bpmn:flowNodeRef>yes</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>no</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check" />
    <bpmn:userTask id="check" name="Kiểm tra">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="allocation_days" value="1" />
          {required_xml}
        </spiffworkflow:properties>
        {definition}
      </bpmn:extensionElements>
    </bpmn:userTask>
    {extra_task_xml}
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="gw" />
    <bpmn:exclusiveGateway id="gw" default="f_no" />
    <bpmn:sequenceFlow id="f_yes" sourceRef="gw" targetRef="yes">
      <bpmn:conditionExpression>{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_no" sourceRef="gw" targetRef="no" />
    <bpmn:endEvent id="yes" /><bpmn:endEvent id="no" />
  </bpmn:process>
</bpmn:definitions>""".encode()


def problems(xml):
    return validate_bpmn(xml, "t.bpmn")


def only_problem(xml, element_id="check"):
    found = problems(xml)
    assert len(found) == 1, found
    assert found[0].element_id == element_id
    assert found[0].line is not None
    return found[0].message


def test_a_task_with_an_embedded_form_compiles_and_its_step_carries_the_schema():
    compiled = compile_bpmn(diagram(form_json(RADIO)), "t.bpmn")
    (step,) = compiled.steps
    assert step.form["components"][0]["key"] == "approved"
    assert parse_form_schema(step.form).field("approved").is_boolean
    # SpiffWorkflow ignores the zeebe elements: the process runs as before
    instance = Instance.start(compiled.spec_json, {}, {})
    (task,) = instance.ready_tasks()
    instance.complete_task(task.task_id, validate_submission(step.form, {"approved": True}).data)
    assert instance.end_event_id == "yes"


def test_a_task_without_a_form_keeps_form_none():
    (step,) = compile_bpmn(diagram(definition=""), "t.bpmn").steps
    assert step.form is None and step.required_fields == ("approved",)


def test_an_unused_form_is_ignored():
    assert problems(diagram(form_json(RADIO), definition="", raw_forms=(
        f'<zeebe:userTaskForm id="form_check">{escape(form_json(RADIO))}</zeebe:userTaskForm>'
        '<zeebe:userTaskForm id="orphan">{not json</zeebe:userTaskForm>'))) == []


@pytest.mark.parametrize("form_text, needle", [
    ("{not json", "not valid JSON"),
    ("[]", "JSON object"),
    ('{"components": {}}', "components"),
    ("", "empty"),
    (form_json({"type": "iframe", "key": "x"}), "not supported"),
    (form_json(RADIO, {"type": "textfield", "key": "note", "conditional": {"hide": "=approved"}}), "conditional"),
    (form_json(RADIO, {"type": "textfield", "key": "a", "validate": {"pattern": "(("}}), "regular expression"),
    (form_json({**RADIO, "key": "x.y"}), "no dots"),
    ('{"components": [], "x": "' + "a" * MAX_SCHEMA_BYTES + '"}', "limit"),
    ("[" * 20_000 + "]" * 20_000, "nested too deeply"),
])
def test_a_malformed_schema_is_refused_naming_the_task(form_text, needle):
    message = only_problem(diagram(form_text, required=None, condition="True"))
    assert "form 'form_check' of user task 'check'" in message and needle in message


def test_the_schema_must_produce_the_required_fields():
    text = form_json({"type": "textfield", "key": "note"})
    assert "no field with key 'approved'" in only_problem(diagram(text, condition="True"))
    optional = form_json({**RADIO, "validate": {}})
    assert "must be required" in only_problem(diagram(optional))
    read_only = form_json({**RADIO, "readonly": True})
    assert "read-only" in only_problem(diagram(read_only))
    checkbox = form_json({"type": "checkbox", "key": "approved", "label": "Đồng ý"})
    assert problems(diagram(checkbox)) == []  # a checkbox always gives true or false


def test_the_schema_must_produce_the_types_the_conditions_compare():
    text = form_json({"type": "textfield", "key": "approved", "validate": {"required": True}})
    assert "does not produce true/false" in only_problem(diagram(text))
    strings = form_json({**RADIO, "values": [{"label": "Có", "value": "yes"}, {"label": "Không", "value": "no"}]})
    assert "does not produce true/false" in only_problem(diagram(strings))
    assert "does not produce true/false" in only_problem(diagram(text, condition="not approved"))
    number = form_json({"type": "textfield", "key": "area", "validate": {"required": True}})
    assert "does not produce numbers" in only_problem(diagram(number, required="area", condition="area > 100"))
    good = form_json({"type": "number", "key": "area", "validate": {"required": True}})
    assert problems(diagram(good, required="area", condition="area > 100")) == []


@pytest.mark.parametrize("definition, needle", [
    ('<zeebe:formDefinition formId="approval-form" />', "linked forms"),
    ('<zeebe:formDefinition externalReference="https://example/f" />', "linked forms"),
    ('<zeebe:formDefinition formKey="custom:my-form" />', "must be"),
    ('<zeebe:formDefinition formKey="camunda-forms:bpmn:nope" />', "names no zeebe:userTaskForm"),
    ('<zeebe:formDefinition formKey="camunda-forms:bpmn:form_check" />'
     '<zeebe:formDefinition formKey="camunda-forms:bpmn:form_check" />', "keep one"),
])
def test_form_links_other_than_an_embedded_form_are_refused(definition, needle):
    assert needle in only_problem(diagram(form_json(RADIO), definition=definition))


def test_xml_inside_the_form_and_forms_without_id_are_refused():
    nested = '<zeebe:userTaskForm id="form_check"><bpmn:documentation>x</bpmn:documentation></zeebe:userTaskForm>'
    assert "only the form's JSON text" in only_problem(diagram(raw_forms=nested))
    found = problems(diagram(form_json(RADIO), raw_forms=(
        f'<zeebe:userTaskForm id="form_check">{escape(form_json(RADIO))}</zeebe:userTaskForm>'
        '<zeebe:userTaskForm>{}</zeebe:userTaskForm>')))
    assert [p.element_id for p in found] == ["p"] and "has no id" in found[0].message


def test_a_form_on_another_element_is_refused():
    xml = diagram(form_json(RADIO)).replace(
        b'<bpmn:endEvent id="yes" />',
        b'<bpmn:endEvent id="yes"><bpmn:extensionElements><zeebe:formDefinition '
        b'formKey="camunda-forms:bpmn:form_check" /></bpmn:extensionElements></bpmn:endEvent>')
    assert "only user tasks have a form" in only_problem(xml, "yes")


def test_cdata_json_is_read():
    xml = diagram(raw_forms=f'<zeebe:userTaskForm id="form_check"><![CDATA[{form_json(RADIO)}]]></zeebe:userTaskForm>')
    assert compile_bpmn(xml, "t.bpmn").steps[0].form["components"][0]["key"] == "approved"


def test_bpmn_invalid_lists_the_problem():
    with pytest.raises(BpmnInvalid) as caught:
        compile_bpmn(diagram("{bad"), "t.bpmn")
    assert caught.value.problems[0].format("t.bpmn").startswith("t.bpmn:")
    assert ": check: " in caught.value.problems[0].format("t.bpmn")


# ---------------------------------------------------------------------------------------------------------------
# the library


def test_every_library_step_that_asks_for_data_has_a_form_for_exactly_those_fields():
    with_form = {}
    for path in sorted(LIBRARY.glob("*.bpmn")):
        for step in compile_bpmn(path.read_bytes(), path.name).steps:
            if step.required_fields:
                assert step.form is not None, f"{path.name}: {step.bpmn_id}"
            if step.form is not None:
                schema = parse_form_schema(step.form)
                with_form[(path.stem, step.bpmn_id)] = schema
                assert set(schema.keys) == set(step.required_fields)
                for f in schema.fields:
                    assert f.required and f.label, (path.name, f)
                    assert all(label for _value, label in f.options)
                    # the procedures' yes/no questions; the cases' classifications and decisions are choices and texts
                    assert f.is_boolean or path.stem in CASE_FILES, (path.name, f)
    assert set(with_form) == {
        ("nhan_cha_me_con", "kiem_tra_ho_so"), ("nhan_cha_me_con", "trinh_ky"),
        ("giay_phep_xay_dung", "tham_dinh_hien_trang"), ("tro_cap_xa_hoi", "tham_dinh_phong_ldtbxh"),
        ("khieu_nai_lan_dau", "phan_loai"), ("khieu_nai_lan_dau", "thong_bao_khong_thu_ly"),
        ("khieu_nai_lan_dau", "quyet_dinh_thu_ly"), ("khieu_nai_lan_dau", "quyet_dinh_giai_quyet"),
        ("khieu_nai_lan_hai", "phan_loai"), ("khieu_nai_lan_hai", "thong_bao_khong_thu_ly"),
        ("khieu_nai_lan_hai", "quyet_dinh_thu_ly"), ("khieu_nai_lan_hai", "quyet_dinh_giai_quyet"),
        ("to_cao", "xu_ly_ban_dau"), ("to_cao", "thong_bao_khong_thu_ly"), ("to_cao", "quyet_dinh_thu_ly"),
        ("to_cao", "ket_luan"), ("phan_anh_kien_nghi", "phan_loai"), ("phan_anh_kien_nghi", "tu_choi"),
        ("phan_anh_kien_nghi", "de_nghi_bo_sung"), ("phan_anh_kien_nghi", "nghien_cuu_tra_loi"),
        ("y_kien_doi_thoai", "tra_loi"),
    }


CASE_FILES = {"khieu_nai_lan_dau", "khieu_nai_lan_hai", "to_cao", "phan_anh_kien_nghi", "y_kien_doi_thoai"}
