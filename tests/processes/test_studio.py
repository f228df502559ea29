"""The designer studio's services (processes/services/studio.py), on the real database: drafts, validation,
deployment with and without a second designer's approval, diffs, templates, imports from other modelers."""
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from processes.models import DraftStatus, Event, Procedure, ProcessDraft, ProcessVersion
from processes.services import studio
from processes.services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from processes.services.events import Actor

from .test_studio_samples import (
    CAMUNDA7_SCRIPT_LISTENER,
    CAMUNDA8,
    FIXTURES,
    SIGNAVIO_METADATA,
    UNKNOWN_EXTENSION,
    v1_xml,
    with_new_step,
)

CODE = "nhan-cha-me-con"


def actor(username):
    return Actor(user=get_user_model().objects.get(username=username))


@pytest.fixture
def designer(demo):
    return actor("thietke")


@pytest.fixture
def second_designer(demo):
    return actor("thietke2")


@pytest.fixture
def approval(settings):
    settings.MOTCUA_DEPLOY_APPROVAL = True


def fixture(name):
    return (FIXTURES / name).read_bytes()


# ---------------------------------------------------------------------------------------------------------------
# create_draft


def test_draft_from_the_latest_version_and_from_a_numbered_one(designer):
    draft = studio.create_draft(actor=designer, procedure_code=CODE)
    v1 = ProcessVersion.objects.get(procedure__code=CODE, number=1)
    assert draft.status == DraftStatus.DRAFT and draft.revision == 1 and draft.problems == []
    assert draft.based_on == v1 and draft.bpmn_xml == v1.bpmn_xml
    assert draft.created_by.username == "thietke"
    assert Event.objects.filter(kind="draft_created", data_after__draft=draft.pk).exists()
    again = studio.create_draft(actor=designer, procedure_code=CODE, from_version=1)
    assert again.based_on == v1


def test_create_draft_refusals(designer):
    with pytest.raises(NotAllowed):
        studio.create_draft(actor=actor("tuphap.hiepduc"), procedure_code=CODE)
    with pytest.raises(NotAllowed):
        studio.create_draft(actor=Actor(), procedure_code=CODE)  # the platform has no designer to name
    with pytest.raises(NotFound) as caught:
        studio.create_draft(actor=designer, procedure_code="khong-co")
    assert caught.value.field == "procedure_code"
    with pytest.raises(NotFound) as caught:
        studio.create_draft(actor=designer, procedure_code=CODE, from_version=9)
    assert caught.value.field == "from_version"
    with pytest.raises(InvalidInput) as caught:
        studio.create_draft(actor=designer, procedure_code=CODE, from_version="x")
    assert caught.value.field == "from_version"
    with pytest.raises(InvalidInput) as caught:
        studio.create_draft(actor=designer, procedure_code=CODE, template=studio.DEFAULT_TEMPLATE, xml=v1_xml())
    assert caught.value.field in ("template", "xml")
    with pytest.raises(InvalidInput) as caught:
        studio.create_draft(actor=designer)
    assert caught.value.field == "procedure_code"
    for name in ("../../etc/passwd", "Khong_co!"):
        with pytest.raises(InvalidInput) as caught:
            studio.create_draft(actor=designer, procedure_code=CODE, template=name)
        assert caught.value.field == "template"
    with pytest.raises(NotFound) as caught:
        studio.create_draft(actor=designer, procedure_code=CODE, template="khong_co")
    assert caught.value.field == "template"
    assert not ProcessDraft.objects.exists()


@pytest.mark.parametrize("code", ["tro-cap-xa-hoi", "dang-ky-khai-sinh", "giay-phep-xay-dung"])
def test_draft_from_the_template_fits_the_procedure(designer, code):
    """The template's steps are scaled to the procedure's limit (working days, same day, calendar days)."""
    draft = studio.create_draft(actor=designer, procedure_code=code, template=studio.DEFAULT_TEMPLATE)
    assert draft.problems == [], draft.problems
    assert f'value="{code}"' in draft.bpmn_xml
    assert [t["name"] for t in studio.list_templates()] == [studio.DEFAULT_TEMPLATE]
    version = studio.deploy_draft(draft_id=draft.pk, actor=designer)
    assert version.number == 2
    assert [s["bpmn_id"] for s in version.steps] == ["kiem_tra_thanh_phan", "tham_dinh", "ky_duyet"]
    assert version.steps[2]["form"]["components"][0]["key"] == "approved"


NEW_PROCEDURE = {
    "code": "xac-nhan-tinh-trang-hon-nhan", "name": "Cấp Giấy xác nhận tình trạng hôn nhân", "field": "ho-tich",
    "level": "commune", "statutory_limit": "3", "statutory_unit": "working_days", "fee": 0,
    "required_documents": [{"name": "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân", "copies": 1}],
}


def test_a_new_procedure_from_the_template_is_offered_once_deployed(designer):
    draft = studio.create_draft(actor=designer, procedure=NEW_PROCEDURE, template=studio.DEFAULT_TEMPLATE)
    procedure = Procedure.objects.get(code=NEW_PROCEDURE["code"])
    assert procedure.statutory_limit == Decimal(3) and procedure.active is False
    assert draft.procedure == procedure and draft.problems == []
    assert Event.objects.filter(kind="procedure_created", data_after__procedure=procedure.code).exists()
    version = studio.deploy_draft(draft_id=draft.pk, actor=designer)
    procedure.refresh_from_db()
    assert version.number == 1 and procedure.active is True


@pytest.mark.parametrize("change, error, field", [
    ({"name": ""}, InvalidInput, "procedure.name"),
    ({"code": "Có Dấu"}, InvalidInput, "procedure.code"),
    ({"code": "nhan-cha-me-con"}, Conflict, "procedure.code"),
    ({"field": "khong-co"}, NotFound, "procedure.field"),
    ({"level": "department"}, InvalidInput, "procedure.level"),
    ({"statutory_unit": "weeks"}, InvalidInput, "procedure.statutory_unit"),
    ({"statutory_limit": "-1"}, InvalidInput, "procedure.statutory_limit"),
    ({"statutory_limit": "NaN"}, InvalidInput, "procedure.statutory_limit"),
    ({"statutory_unit": "same_day"}, InvalidInput, "procedure.statutory_limit"),
    ({"statutory_unit": "calendar_days", "statutory_limit": "2.5"}, InvalidInput, "procedure.statutory_limit"),
    ({"fee": -5}, InvalidInput, "procedure.fee"),
    ({"required_documents": "giấy"}, InvalidInput, "procedure.required_documents"),
    ({"active": True}, InvalidInput, "procedure.active"),
])
def test_a_new_procedure_is_validated_field_by_field(designer, change, error, field):
    with pytest.raises(error) as caught:
        studio.create_draft(actor=designer, procedure={**NEW_PROCEDURE, **change}, template=studio.DEFAULT_TEMPLATE)
    assert caught.value.field == field
    assert not Procedure.objects.filter(code=NEW_PROCEDURE["code"]).exists()
    assert not ProcessDraft.objects.exists()


def test_a_new_procedure_needs_a_template_or_a_file(designer):
    with pytest.raises(InvalidInput) as caught:
        studio.create_draft(actor=designer, procedure=NEW_PROCEDURE)
    assert caught.value.field == "template"
    with pytest.raises(InvalidInput) as caught:
        studio.create_draft(actor=designer, procedure=NEW_PROCEDURE, procedure_code=CODE, template="x")
    assert caught.value.field == "procedure"


# ---------------------------------------------------------------------------------------------------------------
# imports from other modelers


def test_camunda_modeler_8_export_is_imported_and_deploys(designer):
    draft = studio.create_draft(actor=designer, xml=CAMUNDA8, filename="chung-thuc.bpmn")  # code from the file
    assert draft.procedure.code == "chung-thuc-ban-sao" and draft.problems == []
    version = studio.deploy_draft(draft_id=draft.pk, actor=designer)
    assert version.process_id == "Process_chung_thuc"
    ky = next(s for s in version.steps if s["bpmn_id"] == "Activity_ky")
    assert ky["form"]["components"][0]["key"] == "dong_y"


def test_execution_extensions_of_other_modelers_are_named_unknown_ones_refused(designer):
    listener = studio.create_draft(actor=designer, xml=CAMUNDA7_SCRIPT_LISTENER)
    assert {p["element_id"] for p in listener.problems} == {"Activity_kiem_tra"}
    assert any("camunda:executionListener" in p["message"] for p in listener.problems)
    unknown = studio.create_draft(actor=designer, xml=UNKNOWN_EXTENSION)
    assert [p["element_id"] for p in unknown.problems] == ["Activity_kiem_tra"]
    assert "http://example.com/schema/audit" in unknown.problems[0]["message"]
    for draft in (listener, unknown):
        with pytest.raises(InvalidInput) as caught:
            studio.deploy_draft(draft_id=draft.pk, actor=designer)
        assert caught.value.element_id == "Activity_kiem_tra" and caught.value.problems
    assert studio.create_draft(actor=designer, xml=SIGNAVIO_METADATA).problems == []


def test_camunda_7_export_gets_every_problem_at_its_element(designer):
    draft = studio.create_draft(actor=designer, procedure_code=CODE, xml=fixture("camunda_export.bpmn"))
    ids = {p["element_id"] for p in draft.problems}
    assert {"Process_cap_phep", "Activity_tham_dinh", "Activity_bao_cao", "Flow_yes"} <= ids
    assert any("camunda:formData" in p["message"] for p in draft.problems)
    assert all(p["line"] for p in draft.problems if p["element_id"] != "Process_cap_phep")


# ---------------------------------------------------------------------------------------------------------------
# save_draft, validate_xml, check_condition


@pytest.mark.parametrize("name, words", [
    ("xxe.bpmn", "DOCTYPE"), ("entity_bomb.bpmn", "DOCTYPE"), ("malformed.bpmn", "malformed XML"),
])
def test_hostile_or_broken_xml_is_never_stored(designer, name, words):
    draft = studio.create_draft(actor=designer, procedure_code=CODE)
    with pytest.raises(InvalidInput) as caught:
        studio.save_draft(draft_id=draft.pk, xml=fixture(name), actor=designer, revision=1)
    assert caught.value.field == "bpmn" and words in caught.value.message
    with pytest.raises(InvalidInput):
        studio.create_draft(actor=designer, procedure_code=CODE, xml=fixture(name))
    draft.refresh_from_db()
    assert draft.revision == 1 and draft.bpmn_xml == v1_xml()
    assert ProcessDraft.objects.count() == 1


def test_oversized_non_xml_and_non_bpmn_are_refused(designer):
    draft = studio.create_draft(actor=designer, procedure_code=CODE)
    huge = v1_xml().replace("</bpmn:definitions>", "<!--" + "x" * (2 * 1024 * 1024) + "--></bpmn:definitions>")
    cases = [huge, "not xml at all", b"\xff\xfe<bpmn/>", "<html><body>hi</body></html>", "", None, 42]
    for xml in cases:
        with pytest.raises(InvalidInput) as caught:
            studio.save_draft(draft_id=draft.pk, xml=xml, actor=designer, revision=1)
        assert caught.value.field == "bpmn", xml if not isinstance(xml, str) else xml[:40]
    draft.refresh_from_db()
    assert draft.revision == 1


def test_save_keeps_an_invalid_draft_with_its_problems_and_refuses_a_stale_revision(designer, second_designer):
    draft = studio.create_draft(actor=designer, procedure_code=CODE)
    saved = studio.save_draft(draft_id=draft.pk, xml=with_new_step(v1_xml(), in_lane=False), actor=designer,
                              revision=1)
    assert saved.revision == 2 and "vao_so_ho_tich" in saved.bpmn_xml
    assert saved.problems == [{"element_id": "vao_so_ho_tich", "line": saved.problems[0]["line"],
                               "message": saved.problems[0]["message"]}]
    assert "is in no lane" in saved.problems[0]["message"] and saved.problems[0]["line"] > 1
    with pytest.raises(Conflict) as caught:
        studio.save_draft(draft_id=draft.pk, xml=v1_xml(), actor=second_designer, revision=1)
    assert caught.value.field == "revision"
    for bad in ("2x", None, True):
        with pytest.raises(InvalidInput) as caught:
            studio.save_draft(draft_id=draft.pk, xml=v1_xml(), actor=designer, revision=bad)
        assert caught.value.field == "revision"
    with pytest.raises(NotAllowed):
        studio.save_draft(draft_id=draft.pk, xml=v1_xml(), actor=actor("ct.hiepduc"), revision=2)
    with pytest.raises(NotFound):
        studio.save_draft(draft_id=999999, xml=v1_xml(), actor=designer, revision=1)
    assert Event.objects.filter(kind="draft_saved", data_after__draft=draft.pk).count() == 1


def test_validate_xml_reports_without_saving(demo):
    assert studio.validate_xml(v1_xml()) == []
    problems = studio.validate_xml(fixture("script_task.bpmn"))
    assert problems and all(set(p) == {"element_id", "message", "line"} for p in problems)
    assert any("script tasks are not allowed" in p["message"] and p["element_id"] for p in problems)
    escaping = studio.validate_xml(fixture("escaping_expression.bpmn"))
    assert escaping and all(p["element_id"] for p in escaping)
    assert "DOCTYPE" in studio.validate_xml(fixture("xxe.bpmn"))[0]["message"]
    assert studio.validate_xml("garbage")[0]["element_id"] is None
    assert studio.validate_xml(None)[0]["message"]


def test_validate_xml_against_the_catalogue(demo):
    wrong_limit = v1_xml().replace('name="statutory_limit" value="3"', 'name="statutory_limit" value="4"')
    problems = studio.validate_xml(wrong_limit, procedure_code=CODE)
    assert [p["element_id"] for p in problems] == ["nhan_cha_me_con"]
    assert "catalogue" in problems[0]["message"]
    assert studio.validate_xml(v1_xml(), procedure_code="dang-ky-khai-sinh")  # another procedure's code
    with pytest.raises(NotFound):
        studio.validate_xml(v1_xml(), procedure_code="khong-co")


@pytest.mark.parametrize("expression, ok", [
    ("approved == True", True), ("needs_verification and fee > 0", True),
    ("add_working_days(received_at, 2)", True), ("().__class__", False), ("__import__('os')", False),
    ("${approved}", False), ("approved ==", False), ("", False), ("x" * 5000, False), (None, False),
    ("open('/etc/passwd')", False), ("(lambda: 1)()", False),
])
def test_check_condition(expression, ok):
    message = studio.check_condition(expression)
    assert (message is None) is ok, message
    if not ok:
        assert isinstance(message, str) and message


# ---------------------------------------------------------------------------------------------------------------
# deploy, diff, XML


def test_draft_error_fix_deploy_version_two_and_diff(designer):
    draft = studio.create_draft(actor=designer, procedure_code=CODE)
    draft = studio.save_draft(draft_id=draft.pk, xml=with_new_step(v1_xml(), in_lane=False), actor=designer,
                              revision=draft.revision)
    with pytest.raises(InvalidInput) as caught:
        studio.deploy_draft(draft_id=draft.pk, actor=designer)
    assert caught.value.element_id == "vao_so_ho_tich" and caught.value.problems[0]["element_id"] == "vao_so_ho_tich"
    draft = studio.save_draft(draft_id=draft.pk, xml=with_new_step(v1_xml()), actor=designer,
                              revision=draft.revision)
    assert draft.problems == []
    with pytest.raises(NotAllowed):
        studio.deploy_draft(draft_id=draft.pk, actor=actor("tuphap.hiepduc"))
    version = studio.deploy_draft(draft_id=draft.pk, actor=designer)
    draft.refresh_from_db()
    assert version.number == 2 and draft.status == DraftStatus.DEPLOYED and draft.deployed_version == version
    assert Event.objects.filter(kind="draft_deployed", data_after__version=2).exists()
    assert Event.objects.filter(kind="version_deployed", data_after__version=2).exists()
    # a deployed draft (and its version) never changes
    with pytest.raises(Conflict):
        studio.save_draft(draft_id=draft.pk, xml=v1_xml(), actor=designer, revision=draft.revision)
    with pytest.raises(Conflict):
        studio.deploy_draft(draft_id=draft.pk, actor=designer)
    with pytest.raises(Conflict):
        studio.discard_draft(draft_id=draft.pk, actor=designer)

    diff = studio.version_diff(CODE, 1, 2)
    assert diff["a"] == 1 and diff["b"] == 2
    added = {e["id"]: e for e in diff["added"]}
    assert added["vao_so_ho_tich"] == {"id": "vao_so_ho_tich", "type": "userTask", "name": "Vào Sổ hộ tịch"}
    assert "flow_vao_so_to_end_cap_trich_luc" in added and diff["removed"] == []
    changed = {e["id"]: e for e in diff["changed"]}
    assert changed["kiem_tra_ho_so"]["fields"] == ["properties"]
    assert changed["kiem_tra_ho_so"]["after"]["properties"]["allocation_days"] == "1.5"
    assert changed["flow_gw_phe_duyet_to_end_cap_trich_luc"]["fields"] == ["target"]
    assert changed["end_cap_trich_luc"]["fields"] == ["incoming"]
    assert changed["lane_chuyen_vien"]["fields"] == ["flow_nodes"]
    assert "start" not in changed  # its shape moved: the drawing is not a change
    assert set(changed) == {"kiem_tra_ho_so", "flow_gw_phe_duyet_to_end_cap_trich_luc", "end_cap_trich_luc",
                            "lane_chuyen_vien"}
    back = studio.version_diff(CODE, 2, 1)
    assert [e["id"] for e in back["removed"]] == sorted(added)
    assert studio.version_diff(CODE, 1, 1) == {"procedure": CODE, "a": 1, "b": 1, "added": [], "removed": [],
                                               "changed": []}
    assert studio.version_xml(CODE, 2) == with_new_step(v1_xml())
    assert studio.version_xml(CODE, "1") == v1_xml()
    with pytest.raises(NotFound) as caught:
        studio.version_xml(CODE, 3)
    assert caught.value.field == "number"
    with pytest.raises(NotFound) as caught:
        studio.version_diff(CODE, 1, 7)
    assert caught.value.field == "b"
    with pytest.raises(InvalidInput) as caught:
        studio.version_diff(CODE, "x", 1)
    assert caught.value.field == "a"
    with pytest.raises(NotFound):
        studio.version_diff("khong-co", 1, 2)


def test_diff_sees_conditions_names_lanes_and_forms(designer):
    changed_xml = (v1_xml()
                   .replace("<bpmn:conditionExpression xsi:type=\"bpmn:tFormalExpression\">approved == True",
                            "<bpmn:conditionExpression xsi:type=\"bpmn:tFormalExpression\">approved != False")
                   .replace('name="Kiểm tra hồ sơ"', 'name="Kiểm tra giấy tờ"')
                   .replace('"label":"Đồng ý đăng ký nhận cha, mẹ, con?"', '"label":"Đồng ý?"')
                   .replace('name="signing_leader@self"', 'name="unit_leader@self"'))
    draft = studio.create_draft(actor=designer, procedure_code=CODE, xml=changed_xml)
    assert draft.problems == []
    studio.deploy_draft(draft_id=draft.pk, actor=designer)
    changed = {e["id"]: e["fields"] for e in studio.version_diff(CODE, 1, 2)["changed"]}
    assert "condition" in changed["flow_gw_phe_duyet_to_end_cap_trich_luc"]
    assert "conditions" in changed["gw_phe_duyet"]
    assert changed["kiem_tra_ho_so"] == ["name"]
    assert "form" in changed["trinh_ky"] and "lane" in changed["trinh_ky"]
    assert changed["lane_lanh_dao_ky"] == ["name"]
    assert "forms" in changed["nhan_cha_me_con"]


def test_deploying_the_same_content_again_is_refused(designer):
    draft = studio.create_draft(actor=designer, procedure_code=CODE)
    with pytest.raises(InvalidInput) as caught:
        studio.deploy_draft(draft_id=draft.pk, actor=designer)
    assert caught.value.field == "bpmn"
    draft.refresh_from_db()
    assert draft.status == DraftStatus.DRAFT


def test_discard(designer):
    draft = studio.create_draft(actor=designer, procedure_code=CODE)
    with pytest.raises(NotAllowed):
        studio.discard_draft(draft_id=draft.pk, actor=actor("tuphap.hiepduc"))
    assert studio.discard_draft(draft_id=draft.pk, actor=designer).status == DraftStatus.DISCARDED
    with pytest.raises(Conflict):
        studio.save_draft(draft_id=draft.pk, xml=v1_xml(), actor=designer, revision=draft.revision)
    with pytest.raises(Conflict):
        studio.discard_draft(draft_id=draft.pk, actor=designer)
    assert Event.objects.filter(kind="draft_discarded", data_after__draft=draft.pk).exists()


# ---------------------------------------------------------------------------------------------------------------
# a second designer's approval (MOTCUA_DEPLOY_APPROVAL)


def test_approval_by_another_designer_deploys(designer, second_designer, approval):
    draft = studio.create_draft(actor=designer, procedure_code=CODE, xml=with_new_step(v1_xml()))
    with pytest.raises(Conflict) as caught:
        studio.deploy_draft(draft_id=draft.pk, actor=designer)
    assert caught.value.field == "status"
    with pytest.raises(Conflict):
        studio.approve_draft(draft_id=draft.pk, actor=second_designer)  # not submitted yet
    submitted = studio.submit_draft(draft_id=draft.pk, actor=designer)
    assert submitted.status == DraftStatus.SUBMITTED and submitted.submitted_by.username == "thietke"
    with pytest.raises(Conflict):
        studio.save_draft(draft_id=draft.pk, xml=v1_xml(), actor=designer, revision=submitted.revision)
    with pytest.raises(NotAllowed):
        studio.approve_draft(draft_id=draft.pk, actor=designer)  # the submitter
    with pytest.raises(NotAllowed):
        studio.approve_draft(draft_id=draft.pk, actor=actor("ct.hiepduc"))  # not a designer
    version = studio.approve_draft(draft_id=draft.pk, actor=second_designer)
    draft.refresh_from_db()
    assert version.number == 2 and draft.status == DraftStatus.DEPLOYED
    assert draft.approved_by.username == "thietke2" and version.deployed_by.username == "thietke2"
    assert Event.objects.filter(kind="draft_approved", data_after__draft=draft.pk).exists()
    assert Event.objects.filter(kind="draft_submitted", data_after__draft=draft.pk).exists()


def test_a_draft_with_problems_cannot_be_submitted_and_a_submitted_one_can_be_sent_back(designer, second_designer,
                                                                                      approval):
    draft = studio.create_draft(actor=designer, procedure_code=CODE, xml=with_new_step(v1_xml(), in_lane=False))
    with pytest.raises(InvalidInput) as caught:
        studio.submit_draft(draft_id=draft.pk, actor=designer)
    assert caught.value.element_id == "vao_so_ho_tich"
    draft = studio.save_draft(draft_id=draft.pk, xml=with_new_step(v1_xml()), actor=designer, revision=1)
    studio.submit_draft(draft_id=draft.pk, actor=designer)
    back = studio.reject_draft(draft_id=draft.pk, actor=second_designer, reason="Thiếu căn cứ pháp lý")
    assert back.status == DraftStatus.DRAFT and back.submitted_by is None
    assert Event.objects.filter(kind="draft_rejected", data_after__reason="Thiếu căn cứ pháp lý").exists()
    # the one who edited it last cannot approve it either, even when someone else submitted it
    edited = studio.save_draft(draft_id=draft.pk, xml=with_new_step(v1_xml()).replace("Vào Sổ", "Ghi Sổ"),
                               actor=second_designer, revision=back.revision)
    studio.submit_draft(draft_id=edited.pk, actor=designer)
    with pytest.raises(NotAllowed):
        studio.approve_draft(draft_id=draft.pk, actor=second_designer)
    assert ProcessVersion.objects.filter(procedure__code=CODE).count() == 1
    assert studio.discard_draft(draft_id=draft.pk, actor=designer).status == DraftStatus.DISCARDED
