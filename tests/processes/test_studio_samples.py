"""BPMN samples of the designer studio's tests: a step added to nhan-cha-me-con (with and without its lane), and
hand-written exports of other modelers (Camunda Modeler 8 with embedded forms, Camunda 7 listeners, Signavio
metadata, an unknown extension)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "engine" / "fixtures"


def v1_xml():
    return (ROOT / "bpmn" / "nhan_cha_me_con.bpmn").read_text(encoding="utf-8")


NEW_STEP = """    <bpmn:userTask id="vao_so_ho_tich" name="Vào Sổ hộ tịch">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="allocation_days" value="0.5" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>flow_gw_phe_duyet_to_end_cap_trich_luc</bpmn:incoming>
      <bpmn:outgoing>flow_vao_so_to_end_cap_trich_luc</bpmn:outgoing>
    </bpmn:userTask>
"""


def with_new_step(xml, in_lane=True):
    """nhan-cha-me-con with a step 'vao_so_ho_tich' after the approval (the first check gives it half a day);
    in_lane=False leaves it out of every lane (a routing error). The start event's shape moves too (the drawing
    must not count as a change)."""
    def sub(old, new):
        nonlocal xml
        assert xml.count(old) == 1, old
        xml = xml.replace(old, new)

    sub('<spiffworkflow:property name="allocation_days" value="2" />',
        '<spiffworkflow:property name="allocation_days" value="1.5" />')
    sub('    <bpmn:endEvent id="end_cap_trich_luc"', NEW_STEP + '    <bpmn:endEvent id="end_cap_trich_luc"')
    sub('sourceRef="gw_phe_duyet" targetRef="end_cap_trich_luc">',
        'sourceRef="gw_phe_duyet" targetRef="vao_so_ho_tich">')
    sub('<bpmn:incoming>flow_gw_phe_duyet_to_end_cap_trich_luc</bpmn:incoming>\n    </bpmn:endEvent>',
        '<bpmn:incoming>flow_vao_so_to_end_cap_trich_luc</bpmn:incoming>\n    </bpmn:endEvent>')
    sub('  </bpmn:process>',
        '    <bpmn:sequenceFlow id="flow_vao_so_to_end_cap_trich_luc" sourceRef="vao_so_ho_tich" '
        'targetRef="end_cap_trich_luc" />\n  </bpmn:process>')
    sub('<dc:Bounds x="272" y="137" width="36" height="36" />', '<dc:Bounds x="262" y="137" width="36" height="36" />')
    if in_lane:
        sub('<bpmn:flowNodeRef>gw_sau_xac_minh</bpmn:flowNodeRef>',
            '<bpmn:flowNodeRef>gw_sau_xac_minh</bpmn:flowNodeRef>\n        '
            '<bpmn:flowNodeRef>vao_so_ho_tich</bpmn:flowNodeRef>')
    return xml


# A file as Camunda Modeler 5 writes it for Camunda 8 (Zeebe), with our properties added in its XML view: the
# embedded form-js form, a zeebe:userTask marker, zeebe:properties, the drawing. Procedure chung-thuc-ban-sao
# (same day).
CAMUNDA8 = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:modeler="http://camunda.org/schema/modeler/1.0" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Definitions_1k2j3h4" targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler" exporterVersion="5.28.0" modeler:executionPlatform="Camunda Cloud" modeler:executionPlatformVersion="8.5.0">
  <bpmn:collaboration id="Collaboration_0x1y2z3">
    <bpmn:participant id="Participant_0abc123" name="Chứng thực bản sao" processRef="Process_chung_thuc" />
  </bpmn:collaboration>
  <bpmn:process id="Process_chung_thuc" name="Chứng thực bản sao" isExecutable="true">
    <bpmn:extensionElements>
      <spiffworkflow:properties>
        <spiffworkflow:property name="statutory_limit" value="0" />
        <spiffworkflow:property name="statutory_unit" value="same_day" />
        <spiffworkflow:property name="procedure_code" value="chung-thuc-ban-sao" />
      </spiffworkflow:properties>
      <zeebe:userTaskForm id="UserTaskForm_1q2w3e4">{"components":[{"label":"Đồng ý chứng thực?","type":"radio","layout":{"row":"Row_0a1b2c3","columns":null},"id":"Field_0z9y8x7","key":"dong_y","validate":{"required":true},"values":[{"label":"Có","value":true},{"label":"Không","value":false}]}],"type":"default","id":"Form_ky_chung_thuc","executionPlatform":"Camunda Cloud","executionPlatformVersion":"8.5.0","exporter":{"name":"Camunda Modeler","version":"5.28.0"},"schemaVersion":16}</zeebe:userTaskForm>
      <zeebe:properties>
        <zeebe:property name="owner" value="Phòng Tư pháp" />
      </zeebe:properties>
    </bpmn:extensionElements>
    <bpmn:laneSet id="LaneSet_0m1n2o3">
      <bpmn:lane id="Lane_chuyen_vien" name="specialist@self">
        <bpmn:flowNodeRef>StartEvent_1</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Activity_kiem_tra</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="Lane_lanh_dao" name="signing_leader@self">
        <bpmn:flowNodeRef>Activity_ky</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Gateway_dong_y</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Event_xong</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Event_tu_choi</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="StartEvent_1" name="Nhận yêu cầu">
      <bpmn:outgoing>Flow_1a</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:userTask id="Activity_kiem_tra" name="Đối chiếu bản sao với bản chính">
      <bpmn:extensionElements>
        <zeebe:userTask />
        <spiffworkflow:properties>
          <spiffworkflow:property name="allocation_hours" value="4" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_1a</bpmn:incoming>
      <bpmn:outgoing>Flow_2b</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:userTask id="Activity_ky" name="Ký chứng thực">
      <bpmn:extensionElements>
        <zeebe:formDefinition formKey="camunda-forms:bpmn:UserTaskForm_1q2w3e4" />
        <spiffworkflow:properties>
          <spiffworkflow:property name="allocation_hours" value="3" />
          <spiffworkflow:property name="required_fields" value="dong_y" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_2b</bpmn:incoming>
      <bpmn:outgoing>Flow_3c</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:exclusiveGateway id="Gateway_dong_y" name="Đồng ý?" default="Flow_khong">
      <bpmn:incoming>Flow_3c</bpmn:incoming>
      <bpmn:outgoing>Flow_co</bpmn:outgoing>
      <bpmn:outgoing>Flow_khong</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:endEvent id="Event_xong" name="Trả bản sao đã chứng thực">
      <bpmn:incoming>Flow_co</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:endEvent id="Event_tu_choi" name="Từ chối">
      <bpmn:incoming>Flow_khong</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_1a" sourceRef="StartEvent_1" targetRef="Activity_kiem_tra" />
    <bpmn:sequenceFlow id="Flow_2b" sourceRef="Activity_kiem_tra" targetRef="Activity_ky" />
    <bpmn:sequenceFlow id="Flow_3c" sourceRef="Activity_ky" targetRef="Gateway_dong_y" />
    <bpmn:sequenceFlow id="Flow_co" name="Có" sourceRef="Gateway_dong_y" targetRef="Event_xong">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">dong_y == True</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_khong" name="Không" sourceRef="Gateway_dong_y" targetRef="Event_tu_choi" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="Collaboration_0x1y2z3">
      <bpmndi:BPMNShape id="Participant_0abc123_di" bpmnElement="Participant_0abc123" isHorizontal="true">
        <dc:Bounds x="129" y="80" width="800" height="360" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Lane_chuyen_vien_di" bpmnElement="Lane_chuyen_vien" isHorizontal="true">
        <dc:Bounds x="159" y="80" width="770" height="180" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Lane_lanh_dao_di" bpmnElement="Lane_lanh_dao" isHorizontal="true">
        <dc:Bounds x="159" y="260" width="770" height="180" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="_BPMNShape_StartEvent_2" bpmnElement="StartEvent_1">
        <dc:Bounds x="212" y="152" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Activity_kiem_tra_di" bpmnElement="Activity_kiem_tra">
        <dc:Bounds x="300" y="130" width="100" height="80" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Activity_ky_di" bpmnElement="Activity_ky">
        <dc:Bounds x="460" y="310" width="100" height="80" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Gateway_dong_y_di" bpmnElement="Gateway_dong_y" isMarkerVisible="true">
        <dc:Bounds x="615" y="325" width="50" height="50" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Event_xong_di" bpmnElement="Event_xong">
        <dc:Bounds x="742" y="332" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Event_tu_choi_di" bpmnElement="Event_tu_choi">
        <dc:Bounds x="742" y="392" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="Flow_1a_di" bpmnElement="Flow_1a">
        <di:waypoint x="248" y="170" />
        <di:waypoint x="300" y="170" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_2b_di" bpmnElement="Flow_2b">
        <di:waypoint x="400" y="170" />
        <di:waypoint x="510" y="170" />
        <di:waypoint x="510" y="310" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_3c_di" bpmnElement="Flow_3c">
        <di:waypoint x="560" y="350" />
        <di:waypoint x="615" y="350" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_co_di" bpmnElement="Flow_co">
        <di:waypoint x="665" y="350" />
        <di:waypoint x="742" y="350" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_khong_di" bpmnElement="Flow_khong">
        <di:waypoint x="640" y="375" />
        <di:waypoint x="640" y="410" />
        <di:waypoint x="742" y="410" />
      </bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""

_KIEM_TRA_EXT = "        <zeebe:userTask />\n"


def camunda8_with(extension, namespace_declaration=""):
    """The Camunda 8 sample with `extension` added to Activity_kiem_tra's extensionElements."""
    xml = CAMUNDA8.replace(_KIEM_TRA_EXT, _KIEM_TRA_EXT + extension, 1)
    if namespace_declaration:
        xml = xml.replace('xmlns:xsi=', f'{namespace_declaration} xmlns:xsi=', 1)
    return xml


CAMUNDA7_SCRIPT_LISTENER = camunda8_with(
    '        <camunda:executionListener event="start">\n'
    '          <camunda:script scriptFormat="groovy">execution.setVariable("dong_y", true)</camunda:script>\n'
    '        </camunda:executionListener>\n',
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"',
)
ZEEBE_JOB_WORKER = camunda8_with('        <zeebe:taskDefinition type="send-sms" retries="3" />\n')
SIGNAVIO_METADATA = camunda8_with(
    '        <signavio:signavioMetaData metaKey="bgcolor" metaValue="#ffffcc" />\n',
    'xmlns:signavio="http://www.signavio.com"',
)
UNKNOWN_EXTENSION = camunda8_with(
    '        <audit:trail level="full" />\n', 'xmlns:audit="http://example.com/schema/audit"',
)


# ---------------------------------------------------------------------------------------------------------------
# the samples themselves (pure engine checks; the services and the API use them in test_studio.py and
# test_studio_api.py)


def _problems(xml):
    from engine.bpmn import validate_bpmn

    return validate_bpmn(xml.encode("utf-8"), known_department_kinds={"justice", "labour", "urban"})


def test_camunda8_export_with_our_properties_is_executable():
    assert _problems(CAMUNDA8) == []
    assert _problems(SIGNAVIO_METADATA) == []  # documentation-only metadata is ignored


def test_other_modelers_execution_extensions_are_refused_at_their_element():
    for xml, words in ((CAMUNDA7_SCRIPT_LISTENER, "execution listener"), (ZEEBE_JOB_WORKER, "job worker"),
                       (UNKNOWN_EXTENSION, "http://example.com/schema/audit")):
        problems = _problems(xml)
        assert problems, words
        assert all(p.element_id == "Activity_kiem_tra" for p in problems), problems
        assert any(words in p.message for p in problems), problems
        assert all(p.line is not None for p in problems)


def test_the_new_step_sample():
    assert _problems(with_new_step(v1_xml())) == []
    problems = _problems(with_new_step(v1_xml(), in_lane=False))
    assert [p.element_id for p in problems] == ["vao_so_ho_tich"]
    assert "is in no lane" in problems[0].message


def test_markup_in_texts_is_not_an_extension_but_a_bare_element_is():
    html = v1_xml().replace("<bpmn:documentation>Xác minh khi cần thiết;",
                            "<bpmn:documentation><b>Xác minh</b> khi cần thiết;", 1)
    assert _problems(html) == []
    bare = v1_xml().replace('<bpmn:userTask id="xac_minh" name="Xác minh quan hệ cha, mẹ, con">',
                            '<bpmn:userTask id="xac_minh" name="Xác minh quan hệ cha, mẹ, con">\n      <retry count="3"/>',
                            1)
    problems = _problems(bare)
    assert [p.element_id for p in problems] == ["xac_minh"] and "no namespace" in problems[0].message
