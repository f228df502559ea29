"""Bad input gets a clear 4xx naming the field or BPMN element, and loses nothing."""
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from processes.models import Dossier, Event, ProcessVersion

from .helpers import at, official_for, receive

HIEPDUC = "003.00.16.H57"
FIXTURES = Path(__file__).resolve().parent.parent / "engine" / "fixtures"


def test_reception_validation_names_the_field(demo, api):
    at("2026-12-01 09:00")
    desk = api(official_for(HIEPDUC, "reception"))
    base = {"procedure": "dang-ky-khai-sinh", "receiving_unit": HIEPDUC, "applicant": {"full_name": "A"}}
    cases = [
        ({**base, "applicant": {}}, 400, "applicant"),
        ({**base, "applicant": {"full_name": "A", "id_number": "12ab"}}, 400, "applicant.id_number"),
        ({**base, "applicant": {"full_name": "A", "email": "not-an-email"}}, 400, "applicant.email"),
        ({**base, "channel": 9}, 400, "channel"),
        ({**base, "procedure": "khong-co"}, 404, "procedure"),
        ({**base, "receiving_unit": "999.99.99.X00"}, 404, "receiving_unit"),
        ({**base, "data": {"received_at": "hack"}}, 400, "data.received_at"),
        ({**base, "data": {"__class__": 1}}, 400, "data.__class__"),
    ]
    for body, status, field in cases:
        response = desk.post("/api/v1/dossiers/", body, format="json")
        assert response.status_code == status, (body, response.content)
        assert response.json()["field"] == field, response.json()
    assert not Dossier.objects.filter(receiving_unit__code=HIEPDUC, received_at__date="2026-12-01").exists()
    bad_json = desk.post("/api/v1/dossiers/", "{not json", content_type="application/json")
    assert bad_json.status_code == 400


def test_reception_outside_ones_unit_is_refused(demo, api):
    response = api(official_for("014.00.16.H57", "reception")).post(
        "/api/v1/dossiers/",
        {"procedure": "dang-ky-khai-sinh", "receiving_unit": HIEPDUC, "applicant": {"full_name": "A"}},
        format="json",
    )
    assert response.status_code == 403


def test_missing_required_field_and_repeated_completion(demo, api):
    at("2026-12-01 09:00")
    received = receive(api, "nhan-cha-me-con", HIEPDUC)
    step = received["open_steps"][0]
    clerk = api(official_for(HIEPDUC, "specialist"))
    missing = clerk.post(f"/api/v1/tasks/{step['id']}/complete/", {"data": {}}, format="json")
    assert missing.status_code == 400
    assert missing.json()["field"] == "data.needs_verification"
    assert missing.json()["element_id"] == "kiem_tra_ho_so"
    ok = clerk.post(f"/api/v1/tasks/{step['id']}/complete/", {"data": {"needs_verification": False}}, format="json")
    assert ok.status_code == 200
    again = clerk.post(f"/api/v1/tasks/{step['id']}/complete/", {"data": {"needs_verification": False}}, format="json")
    assert again.status_code == 409
    assert api(official_for(HIEPDUC, "reception")).post(
        f"/api/v1/dossiers/{received['code']}/return/", {}, format="json").status_code == 409  # not processed yet


def test_oversized_step_data_is_a_400_and_the_step_stays_open(demo, api):
    at("2026-12-01 09:00")
    received = receive(api, "nhan-cha-me-con", HIEPDUC)
    step = received["open_steps"][0]
    clerk = api(official_for(HIEPDUC, "specialist"))
    response = clerk.post(f"/api/v1/tasks/{step['id']}/complete/", {"data": {"needs_verification": "x" * 70000}},
                          format="json")
    assert response.status_code == 400
    dossier = Dossier.objects.get(code=received["code"])
    assert dossier.work_items.get(pk=step["id"]).status == "open"  # nothing lost, nothing advanced


@pytest.mark.parametrize("fixture", ["xxe.bpmn", "entity_bomb.bpmn", "script_task.bpmn", "escaping_expression.bpmn",
                                     "cpu_bomb_expression.bpmn"])
def test_deploying_a_malicious_bpmn_through_the_api_is_refused(demo, api, fixture):
    path = FIXTURES / fixture
    if not path.exists():
        pytest.fail(f"fixture {fixture} missing")
    before = ProcessVersion.objects.count()
    upload = SimpleUploadedFile(fixture, path.read_bytes(), content_type="application/xml")
    response = api("thietke").post("/api/v1/procedures/nhan-cha-me-con/versions/", {"file": upload}, format="multipart")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["field"] == "bpmn" and body["problems"], body
    assert ProcessVersion.objects.count() == before


def test_deploy_requires_the_designer_role_and_creates_version_two(demo, api):
    xml = (Path(__file__).resolve().parents[2] / "bpmn" / "nhan_cha_me_con.bpmn").read_text()
    changed = xml.replace("Kiểm tra hồ sơ", "Kiểm tra thành phần hồ sơ", 1)
    upload = lambda: SimpleUploadedFile("v2.bpmn", changed.encode(), content_type="application/xml")  # noqa: E731
    refused = api("tuphap.hiepduc").post("/api/v1/procedures/nhan-cha-me-con/versions/", {"file": upload()},
                                         format="multipart")
    assert refused.status_code == 403
    created = api("thietke").post("/api/v1/procedures/nhan-cha-me-con/versions/", {"file": upload()},
                                  format="multipart")
    assert created.status_code == 201, created.content
    assert created.json()["number"] == 2
    versions = api("thietke").get("/api/v1/procedures/nhan-cha-me-con/versions/").json()
    assert [v["number"] for v in versions] == [1, 2]
    assert Event.objects.filter(kind="version_deployed", data_after__version=2).exists()


def test_running_dossier_stays_on_its_version(demo, api):
    at("2026-12-01 09:00")
    old = receive(api, "nhan-cha-me-con", HIEPDUC)
    xml = (Path(__file__).resolve().parents[2] / "bpmn" / "nhan_cha_me_con.bpmn").read_text()
    changed = xml.replace("Kiểm tra hồ sơ", "Kiểm tra thành phần hồ sơ", 1)
    upload = SimpleUploadedFile("v2.bpmn", changed.encode(), content_type="application/xml")
    assert api("thietke").post("/api/v1/procedures/nhan-cha-me-con/versions/", {"file": upload},
                               format="multipart").status_code == 201
    new = receive(api, "nhan-cha-me-con", HIEPDUC)
    assert old["version"] == 1 and new["version"] == 2
    assert old["open_steps"][0]["name"] == "Kiểm tra hồ sơ"
    assert new["open_steps"][0]["name"] == "Kiểm tra thành phần hồ sơ"


def test_event_log_refuses_update_and_delete(demo):
    from django.db import DatabaseError, transaction

    event = Event.objects.create(kind="test", at="2026-12-01T00:00:00Z")
    with pytest.raises(DatabaseError), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(kind="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        Event.objects.filter(pk=event.pk).delete()


def test_openapi_schema_and_docs_are_served(demo, api):
    client = api("thanhtra")
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/dossiers/" in schema.content
    assert client.get("/api/docs/").status_code == 200


def test_anonymous_gets_401_and_token_auth_works(demo):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/dossiers/").status_code == 401
    from django.contrib.auth import get_user_model

    token = Token.objects.create(user=get_user_model().objects.get(username="thanhtra"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/v1/procedures/").status_code == 200
