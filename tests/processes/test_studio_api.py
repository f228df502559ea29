"""The designer studio's REST API: every change is for process designers, every refusal a clear 4xx naming the field
or the BPMN element (never a 500), and the whole round: draft, error, fix, deploy version 2, diff, XML download."""
import json

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core import signals
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error

from motcua.wsgi import application
from processes.models import DraftStatus, Event, Procedure, ProcessDraft, ProcessVersion
from processes.services import studio
from processes.services.events import Actor

from .test_studio_samples import (
    CAMUNDA8,
    FIXTURES,
    UNKNOWN_EXTENSION,
    v1_xml,
    with_new_step,
)

CODE = "nhan-cha-me-con"
DRAFTS = "/api/v1/drafts/"


@pytest.fixture
def designer(demo, api):
    return api("thietke")


def new_draft(client, **body):
    response = client.post(DRAFTS, {"procedure_code": CODE, **body}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_non_designers_get_403_on_every_change(demo, api, designer):
    draft = new_draft(designer)
    url = f"{DRAFTS}{draft['id']}/"
    changes = [
        ("post", DRAFTS, {"procedure_code": CODE}),
        ("post", DRAFTS, {"procedure": {"code": "moi"}, "template": "tiep_nhan_tham_dinh_ky"}),
        ("put", url, {"xml": v1_xml(), "revision": 1}),
        ("patch", url, {"xml": v1_xml(), "revision": 1}),
        ("delete", url, None),
        ("post", f"{url}validate/", {}),
        ("post", f"{url}deploy/", None),
        ("post", f"{url}submit/", None),
        ("post", f"{url}approve/", None),
        ("post", f"{url}reject/", {"reason": "x"}),
        ("post", f"{url}discard/", None),
        ("post", "/api/v1/bpmn/check-condition/", {"expression": "approved == True"}),
        ("post", "/api/v1/bpmn/validate/", {"xml": v1_xml()}),
        ("post", f"/api/v1/procedures/{CODE}/versions/diff/", {}),
        ("post", f"/api/v1/procedures/{CODE}/versions/1/xml/", {}),
    ]
    reads = [DRAFTS, url]
    for username in ("tuphap.hiepduc", "ct.hiepduc", "motcua.hiepduc", "thanhtra", "quantri"):
        client = api(username)
        for method, target, body in changes:
            response = getattr(client, method)(target, body, format="json")
            assert response.status_code == 403, (username, method, target, response.status_code)
            assert response.json()["code"] == "permission_denied"
        for target in reads:
            assert client.get(target).status_code == 403, (username, target)
        # a huge body from a non-designer is refused as forbidden before it is read
        assert client.post(DRAFTS, data=b"x" * (6 * 1024 * 1024), content_type="application/json").status_code == 403
    anonymous = type(designer)()
    assert anonymous.post(DRAFTS, {"procedure_code": CODE}, format="json").status_code in (401, 403)
    assert ProcessDraft.objects.count() == 1
    assert ProcessDraft.objects.get().status == DraftStatus.DRAFT and ProcessDraft.objects.get().revision == 1


def test_reads_of_versions_are_for_every_official(demo, api):
    client = api("tuphap.hiepduc")
    assert client.get(f"/api/v1/procedures/{CODE}/versions/").status_code == 200
    xml = client.get(f"/api/v1/procedures/{CODE}/versions/1/xml/")
    assert xml.status_code == 200 and xml["Content-Type"].startswith("application/xml")
    assert xml["Content-Disposition"] == f'attachment; filename="{CODE}-v1.bpmn"'
    assert xml.content.decode("utf-8") == v1_xml()
    diff = client.get(f"/api/v1/procedures/{CODE}/versions/diff/?a=1&b=1")
    assert diff.status_code == 200 and diff.json()["changed"] == []


def test_draft_error_fix_deploy_v2_diff_and_download(designer):
    draft = new_draft(designer)
    assert draft["revision"] == 1 and draft["based_on"] == 1 and draft["bpmn_xml"] == v1_xml()
    url = f"{DRAFTS}{draft['id']}/"
    broken = designer.put(url, {"xml": with_new_step(v1_xml(), in_lane=False), "revision": 1}, format="json")
    assert broken.status_code == 200, broken.content
    body = broken.json()
    assert body["revision"] == 2 and [p["element_id"] for p in body["problems"]] == ["vao_so_ho_tich"]
    assert body["problems"][0]["line"] and "lane" in body["problems"][0]["message"]
    refused = designer.post(f"{url}deploy/")
    assert refused.status_code == 400
    assert refused.json()["element_id"] == "vao_so_ho_tich" and refused.json()["problems"]
    stale = designer.put(url, {"xml": with_new_step(v1_xml()), "revision": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["field"] == "revision"
    checked = designer.post(f"{url}validate/", {"xml": with_new_step(v1_xml())}, format="json")
    assert checked.status_code == 200 and checked.json() == {"valid": True, "problems": []}
    assert designer.post(f"{url}validate/").json()["valid"] is False  # the saved diagram still has its error
    fixed = designer.put(url, {"xml": with_new_step(v1_xml()), "revision": 2}, format="json")
    assert fixed.status_code == 200 and fixed.json()["problems"] == []
    deployed = designer.post(f"{url}deploy/")
    assert deployed.status_code == 200, deployed.content
    assert deployed.json()["status"] == "deployed" and deployed.json()["deployed_version"] == 2
    assert designer.put(url, {"xml": v1_xml(), "revision": 3}, format="json").status_code == 409
    assert designer.post(f"{url}deploy/").status_code == 409

    versions = designer.get(f"/api/v1/procedures/{CODE}/versions/").json()
    assert [v["number"] for v in versions] == [1, 2]
    diff = designer.get(f"/api/v1/procedures/{CODE}/versions/diff/?a=1&b=2")
    assert diff.status_code == 200
    assert {"id": "vao_so_ho_tich", "type": "userTask", "name": "Vào Sổ hộ tịch"} in diff.json()["added"]
    assert "kiem_tra_ho_so" in {c["id"] for c in diff.json()["changed"]}
    download = designer.get(f"/api/v1/procedures/{CODE}/versions/2/xml/")
    assert download.status_code == 200 and download.content.decode("utf-8") == with_new_step(v1_xml())
    listed = designer.get(f"{DRAFTS}?procedure={CODE}&status=deployed").json()
    assert [d["id"] for d in listed["results"]] == [draft["id"]] and "bpmn_xml" not in listed["results"][0]


@pytest.mark.parametrize("query, status, field", [
    ("", 400, "a"), ("?a=1", 400, "b"), ("?a=x&b=1", 400, "a"), ("?a=1&b=9", 404, "b"),
])
def test_diff_parameters(designer, query, status, field):
    response = designer.get(f"/api/v1/procedures/{CODE}/versions/diff/{query}")
    assert response.status_code == status and response.json()["field"] == field


def test_missing_things_are_404_naming_the_field(designer):
    assert designer.get("/api/v1/procedures/khong-co/versions/1/xml/").json()["field"] == "procedure_code"
    assert designer.get(f"/api/v1/procedures/{CODE}/versions/5/xml/").status_code == 404
    for url in (f"{DRAFTS}999999/", f"{DRAFTS}abc/"):
        response = designer.get(url)
        assert response.status_code == 404 and response.json()["field"] == "draft"
    assert designer.post(f"{DRAFTS}999999/deploy/").status_code == 404
    assert designer.put(f"{DRAFTS}999999/", {"xml": v1_xml(), "revision": 1}, format="json").status_code == 404
    assert designer.get(f"{DRAFTS}?status=nonsense").json()["field"] == "status"


@pytest.mark.parametrize("name, words", [
    ("xxe.bpmn", "DOCTYPE"), ("entity_bomb.bpmn", "DOCTYPE"), ("malformed.bpmn", "malformed XML"),
])
def test_hostile_uploads_are_refused_and_not_stored(designer, name, words):
    data = (FIXTURES / name).read_bytes()
    as_file = designer.post(DRAFTS, {"procedure_code": CODE, "file": SimpleUploadedFile(name, data)},
                            format="multipart")
    as_json = designer.post(DRAFTS, {"procedure_code": CODE, "xml": data.decode("utf-8")}, format="json")
    for response in (as_file, as_json):
        assert response.status_code == 400, response.content
        assert response.json()["field"] == "bpmn" and words in response.json()["detail"]
    draft = new_draft(designer)
    saved = designer.put(f"{DRAFTS}{draft['id']}/", {"xml": data.decode("utf-8"), "revision": 1}, format="json")
    assert saved.status_code == 400 and saved.json()["field"] == "bpmn"
    assert ProcessDraft.objects.count() == 1 and ProcessDraft.objects.get().revision == 1
    checked = designer.post("/api/v1/bpmn/validate/", {"xml": data.decode("utf-8")}, format="json")
    assert checked.status_code == 200 and words in checked.json()["problems"][0]["message"]


@pytest.mark.parametrize("name", ["script_task.bpmn", "escaping_expression.bpmn"])
def test_executable_code_is_refused_at_its_element(designer, name):
    data = (FIXTURES / name).read_bytes()
    created = designer.post(DRAFTS, {"procedure_code": CODE, "file": SimpleUploadedFile(name, data)},
                            format="multipart")
    assert created.status_code == 201, created.content  # a draft may be unfinished: kept, with its problems
    problems = created.json()["problems"]
    assert problems and all(p["element_id"] for p in problems if "script" in p["message"] or "__" in p["message"])
    deploy = designer.post(f"{DRAFTS}{created.json()['id']}/deploy/")
    assert deploy.status_code == 400 and deploy.json()["element_id"] and deploy.json()["problems"]
    assert ProcessVersion.objects.filter(procedure__code=CODE).count() == 1


def test_escaping_expressions_in_the_condition_checker(designer):
    for expression in ("().__class__", "().__class__.__bases__[0].__subclasses__()", "__import__('os')",
                       "${approved}"):
        response = designer.post("/api/v1/bpmn/check-condition/", {"expression": expression}, format="json")
        assert response.status_code == 200 and response.json()["valid"] is False and response.json()["message"]
    ok = designer.post("/api/v1/bpmn/check-condition/", {"expression": "approved == True"}, format="json")
    assert ok.json() == {"valid": True, "message": None}
    missing = designer.post("/api/v1/bpmn/check-condition/", {}, format="json")
    assert missing.status_code == 400 and missing.json()["field"] == "expression"


def test_bodies_of_50_mb_get_a_clear_413(designer):
    draft = new_draft(designer)
    big = "x" * (50 * 1024 * 1024)
    requests = [
        ("post", DRAFTS, {"data": json.dumps({"procedure_code": CODE, "xml": big}), "content_type": "application/json"}),
        ("put", f"{DRAFTS}{draft['id']}/", {"data": json.dumps({"xml": big, "revision": 1}),
                                            "content_type": "application/json"}),
        ("post", DRAFTS, {"data": {"procedure_code": CODE, "file": SimpleUploadedFile("big.bpmn", big.encode())},
                          "format": "multipart"}),
        ("post", "/api/v1/bpmn/validate/", {"data": json.dumps({"xml": big}), "content_type": "application/json"}),
    ]
    for method, url, kwargs in requests:
        response = getattr(designer, method)(url, **kwargs)
        assert response.status_code == 413, (url, response.status_code)
        assert response.json()["field"] == "bpmn" and response.json()["code"] == "too_large"
    # between the file limit (2 MB) and the body limit: refused by the service, still naming the field
    three = v1_xml().replace("</bpmn:definitions>", "<!--" + "x" * (3 * 1024 * 1024) + "--></bpmn:definitions>")
    response = designer.put(f"{DRAFTS}{draft['id']}/", {"xml": three, "revision": 1}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "bpmn"
    assert ProcessDraft.objects.get().revision == 1


def test_non_xml_and_bad_bodies(designer):
    draft = new_draft(designer)
    url = f"{DRAFTS}{draft['id']}/"
    cases = [
        ({"xml": "hello", "revision": 1}, "bpmn"),
        ({"xml": 12, "revision": 1}, "bpmn"),
        ({"revision": 1}, "bpmn"),
        ({"xml": v1_xml()}, "revision"),
        ({"xml": v1_xml(), "revision": "abc"}, "revision"),
    ]
    for body, field in cases:
        response = designer.put(url, body, format="json")
        assert response.status_code == 400 and response.json()["field"] == field, (body, response.content)
    assert designer.put(url, "{not json", content_type="application/json").status_code == 400
    assert designer.put(url, "[1, 2]", content_type="application/json").status_code == 400
    assert designer.post(DRAFTS, {"procedure_code": CODE, "procedure": "{bad"}, format="multipart").status_code == 400
    bad_procedure = designer.post(DRAFTS, {"procedure": {"code": "x-y", "name": "X", "field": "ho-tich",
                                                         "level": "commune", "statutory_limit": "abc",
                                                         "statutory_unit": "working_days"},
                                           "template": "tiep_nhan_tham_dinh_ky"}, format="json")
    assert bad_procedure.status_code == 400 and bad_procedure.json()["field"] == "procedure.statutory_limit"
    assert ProcessDraft.objects.get().revision == 1


def test_unknown_extensions_and_camunda_modeler_import(designer):
    unknown = designer.post("/api/v1/bpmn/validate/", {"xml": UNKNOWN_EXTENSION}, format="json").json()
    assert unknown["valid"] is False and unknown["problems"][0]["element_id"] == "Activity_kiem_tra"
    created = designer.post(DRAFTS, {"file": SimpleUploadedFile("Chung thuc.bpmn", CAMUNDA8.encode())},
                            format="multipart")
    assert created.status_code == 201, created.content
    assert created.json()["procedure"] == "chung-thuc-ban-sao" and created.json()["problems"] == []
    assert created.json()["title"] == "Nhập từ tệp Chung thuc.bpmn"
    deployed = designer.post(f"{DRAFTS}{created.json()['id']}/deploy/")
    assert deployed.status_code == 200 and deployed.json()["deployed_version"] == 2


def test_new_procedure_from_a_template_through_the_api(designer):
    templates = designer.get("/api/v1/bpmn/templates/").json()
    assert templates[0]["name"] == "tiep_nhan_tham_dinh_ky"
    body = {"procedure": {"code": "xac-nhan-cu-tru", "name": "Xác nhận thông tin cư trú", "field": "ho-tich",
                          "level": "commune", "statutory_limit": 2, "statutory_unit": "working_days"},
            "template": templates[0]["name"]}
    created = designer.post(DRAFTS, body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["problems"] == [] and created.json()["procedure"] == "xac-nhan-cu-tru"
    assert designer.post(DRAFTS, body, format="json").status_code == 409  # the code exists now
    assert designer.post(f"{DRAFTS}{created.json()['id']}/deploy/").status_code == 200
    assert Procedure.objects.get(code="xac-nhan-cu-tru").active


def test_two_designers_approve_through_the_api(demo, api, settings):
    settings.MOTCUA_DEPLOY_APPROVAL = True
    first, second = api("thietke"), api("thietke2")
    draft = new_draft(first, xml=with_new_step(v1_xml()))
    url = f"{DRAFTS}{draft['id']}/"
    direct = first.post(f"{url}deploy/")
    assert direct.status_code == 409 and direct.json()["field"] == "status"
    assert first.post(f"{url}submit/").json()["status"] == "submitted"
    own = first.post(f"{url}approve/")
    assert own.status_code == 403 and own.json()["field"] == "approved_by"
    approved = second.post(f"{url}approve/")
    assert approved.status_code == 200, approved.content
    assert approved.json()["approved_by"] == "thietke2" and approved.json()["deployed_version"] == 2
    kinds = list(Event.objects.filter(kind__startswith="draft_").order_by("id").values_list("kind", flat=True))
    assert kinds == ["draft_created", "draft_submitted", "draft_approved", "draft_deployed"]
    other = new_draft(first, xml=with_new_step(v1_xml()).replace("Vào Sổ", "Ghi Sổ"))
    first.post(f"{DRAFTS}{other['id']}/submit/")
    sent_back = second.post(f"{DRAFTS}{other['id']}/reject/", {"reason": "Chưa đúng tên bước"}, format="json")
    assert sent_back.status_code == 200 and sent_back.json()["status"] == "draft"
    assert first.post(f"{DRAFTS}{other['id']}/discard/").json()["status"] == "discarded"


def test_the_schema_documents_the_studio(demo, api):
    schema = api("thietke").get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = json.loads(schema.content)["paths"]
    for path in ("/api/v1/drafts/", "/api/v1/drafts/{id}/", "/api/v1/drafts/{id}/deploy/",
                 "/api/v1/drafts/{id}/approve/", "/api/v1/bpmn/check-condition/",
                 "/api/v1/procedures/{procedure_code}/versions/diff/",
                 "/api/v1/procedures/{procedure_code}/versions/{number}/xml/"):
        assert path in paths, path


# ---------------------------------------------------------------------------------------------------------------
# generated requests as a designer: the studio's operations never answer 5xx

studio_schema = schemathesis.openapi.from_wsgi("/api/schema/", application).include(
    path_regex=r"^/api/v1/(drafts/|bpmn/|procedures/\{procedure_code\}/versions/(diff|\{number\}))")


@studio_schema.parametrize()
@hypothesis_settings(max_examples=15, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                            HealthCheck.filter_too_much])
def test_studio_operations_never_answer_a_server_error_to_a_designer(case, demo):
    designer = get_user_model().objects.get(username="thietke")
    if not ProcessDraft.objects.exists():  # something for the {id} operations to find
        studio.create_draft(actor=Actor(user=designer), procedure_code=CODE)
    token, _ = Token.objects.get_or_create(user=designer)
    # Like Django's test client: the request must not close the test's connection (and roll back its transaction).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        case.call_and_validate(headers={"Authorization": f"Token {token.key}"}, checks=[not_a_server_error])
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
