"""Step forms through the API: a step whose BPMN carries a form-js schema gets its data checked against it by
complete_work_item (processes.services.step_forms → engine.forms); errors are 400s naming `data.<key>`."""
import json
import re
from pathlib import Path
from xml.sax.saxutils import escape

from processes.models import Dossier, Event, ProcessVersion
from processes.services.procedures import deploy_process_version

from .helpers import at, official_for, receive

HIEPDUC = "003.00.16.H57"
LIBRARY = Path(__file__).resolve().parents[2] / "bpmn"


def start(api):
    at("2026-12-01 09:00")
    received = receive(api, "nhan-cha-me-con", HIEPDUC)
    step = received["open_steps"][0]
    clerk = api(official_for(HIEPDUC, "specialist"))
    return received, step, clerk


def complete(clerk, step, data):
    return clerk.post(f"/api/v1/tasks/{step['id']}/complete/", {"data": data}, format="json")


def test_the_deployed_version_stores_each_step_s_form(demo):
    version = ProcessVersion.objects.filter(procedure__code="nhan-cha-me-con").order_by("-number").first()
    forms = {s["bpmn_id"]: s.get("form") for s in version.steps}
    assert forms["xac_minh"] is None
    assert forms["kiem_tra_ho_so"]["components"][1]["key"] == "needs_verification"
    assert forms["trinh_ky"]["components"][0]["values"][0]["value"] is True


def test_a_value_the_schema_refuses_is_a_400_naming_the_field_and_the_step_stays_open(demo, api):
    received, step, clerk = start(api)
    response = complete(clerk, step, {"needs_verification": "yes"})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["field"] == "data.needs_verification"
    assert body["element_id"] == "kiem_tra_ho_so"
    assert "Có hoặc Không" in body["detail"]
    assert body["problems"] == [{"field": "data.needs_verification",
                                 "message": "Phải là Có hoặc Không (true hoặc false)."}]
    assert Dossier.objects.get(code=received["code"]).work_items.get(pk=step["id"]).status == "open"


def test_a_key_the_form_does_not_have_is_refused(demo, api):
    _received, step, clerk = start(api)
    response = complete(clerk, step, {"needs_verification": False, "approved": True})
    assert response.status_code == 400
    assert response.json()["field"] == "data.approved"
    assert "không có trường này" in response.json()["detail"]


def test_every_field_in_error_is_listed(demo, api):
    _received, step, clerk = start(api)
    body = complete(clerk, step, {"extra": 1}).json()
    assert body["field"] == "data.extra"  # the unknown key first, then the form's fields in order
    assert [p["field"] for p in body["problems"]] == ["data.extra", "data.needs_verification"]


def test_null_for_a_required_choice_is_refused(demo, api):
    _received, step, clerk = start(api)
    response = complete(clerk, step, {"needs_verification": None})
    assert response.status_code == 400 and response.json()["field"] == "data.needs_verification"
    assert response.json()["problems"][0]["message"] == "Hãy chọn một phương án."


def test_a_step_without_a_form_keeps_accepting_plain_data(demo, api):
    received, step, clerk = start(api)
    assert complete(clerk, step, {"needs_verification": True}).status_code == 200
    dossier = Dossier.objects.get(code=received["code"])
    verify = dossier.work_items.get(bpmn_id="xac_minh")
    assert complete(clerk, {"id": verify.pk}, {"note": "đã xác minh tại thôn 3"}).status_code == 200
    assert Dossier.objects.get(code=received["code"]).data["note"] == "đã xác minh tại thôn 3"


def test_submitted_values_are_stored_coerced_to_the_schema_s_types(demo, api):
    """A new version whose first step also asks for a number and a date: text from a client becomes a number and
    an ISO date in the workflow's data and in the event log."""
    xml = (LIBRARY / "nhan_cha_me_con.bpmn").read_text(encoding="utf-8")
    schema = {"type": "default", "components": [
        {"type": "radio", "key": "needs_verification", "label": "Cần xác minh?", "validate": {"required": True},
         "values": [{"label": "Có", "value": True}, {"label": "Không", "value": False}]},
        {"type": "number", "key": "documents_count", "label": "Số giấy tờ", "decimalDigits": 0,
         "validate": {"min": 1, "max": 50}},
        {"type": "datetime", "subtype": "date", "key": "checked_on", "dateLabel": "Ngày kiểm tra"},
    ]}
    xml, count = re.subn(r'(<zeebe:userTaskForm id="form_kiem_tra_ho_so">).*?(</zeebe:userTaskForm>)',
                         lambda m: m.group(1) + escape(json.dumps(schema, ensure_ascii=False)) + m.group(2), xml)
    assert count == 1
    deploy_process_version(xml=xml.encode(), filename="nhan_cha_me_con.bpmn", procedure_code="nhan-cha-me-con")
    received, step, clerk = start(api)
    bad = complete(clerk, step, {"needs_verification": False, "documents_count": "100", "checked_on": "01/12/2026"})
    assert bad.status_code == 400 and bad.json()["field"] == "data.documents_count"
    assert bad.json()["detail"] == "Số giấy tờ: Giá trị lớn nhất là 50."
    ok = complete(clerk, step, {"needs_verification": False, "documents_count": "4", "checked_on": "01/12/2026"})
    assert ok.status_code == 200, ok.content
    data = Dossier.objects.get(code=received["code"]).data
    assert data["documents_count"] == 4 and data["checked_on"] == "2026-12-01"
    event = Event.objects.get(dossier__code=received["code"], kind="step_completed")
    assert event.data_after["input"] == {"needs_verification": False, "documents_count": 4,
                                         "checked_on": "2026-12-01"}
