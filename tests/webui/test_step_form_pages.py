"""The step page of a step with a form-js schema, through Django's test client (no JavaScript): the schema, values
and messages for the Viewer as JSON, the plain HTML form generated from the same schema, and both ways of posting
(the Viewer's JSON in `formjs_data`, the plain inputs) checked by the server against the schema."""
import json
import re


from processes.models import Dossier, WorkItem

from ..processes.helpers import at
from .helpers import open_step, receive, signed_in


def json_script(text, element_id):
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', text, re.S)
    assert found, element_id
    return json.loads(found.group(1))


def test_the_page_carries_the_schema_for_the_viewer_and_a_plain_form_from_it(demo):
    at("2026-12-02 09:00")
    item = open_step(receive("nhan-cha-me-con"))
    page = signed_in("tuphap.hiepduc").get(f"/steps/{item.pk}/")
    text = page.text
    assert page.status_code == 200
    schema = json_script(text, "stepform-schema")
    assert [c.get("key") for c in schema["components"]] == [None, "needs_verification"]
    assert json_script(text, "stepform-values") == {} and json_script(text, "stepform-errors") == {}
    assert "vendor/form-viewer.umd.js" in text and "vendor/form-js.css" in text and "webui/stepform.js" in text
    # the plain form: a labelled radio group with the schema's options, its description linked
    assert '<legend>Cần xác minh quan hệ cha, mẹ, con? <span class="required">' in text
    assert 'type="radio" name="needs_verification" id="sf-needs_verification-0" value="true"' in text
    assert 'type="radio" name="needs_verification" id="sf-needs_verification-1" value="false"' in text
    assert 'aria-describedby=" desc-needs_verification"' in text and "Điều 25 Luật Hộ tịch" in text
    assert "Kiểm tra giấy tờ, chứng cứ chứng minh quan hệ cha, mẹ, con." in text  # the form's text component
    assert 'name="formjs_data"' not in text  # stepform.js adds it when the Viewer runs


def test_plain_form_errors_come_back_at_the_field_then_the_step_completes(demo):
    at("2026-12-02 09:00")
    dossier = receive("nhan-cha-me-con")
    item = open_step(dossier)
    client = signed_in("tuphap.hiepduc")
    page = client.post(f"/steps/{item.pk}/", {})
    assert page.status_code == 400
    text = page.text
    assert '<p class="field-error" id="err-needs_verification">Hãy chọn một phương án.</p>' in text
    assert 'aria-describedby="err-needs_verification desc-needs_verification"' in text
    assert 'aria-invalid="true"' in text and "autofocus" in text
    assert '<a href="#sf-needs_verification">Cần xác minh quan hệ cha, mẹ, con?</a>: Hãy chọn một phương án.' in text
    assert json_script(text, "stepform-errors") == {"needs_verification": "Hãy chọn một phương án."}
    # a value that is not one of the options (a forged or stale page)
    page = client.post(f"/steps/{item.pk}/", {"needs_verification": "yes"})
    assert page.status_code == 400 and "Phải là Có hoặc Không (true hoặc false)." in page.text
    assert WorkItem.objects.get(pk=item.pk).status == "open"
    response = client.post(f"/steps/{item.pk}/", {"needs_verification": "false"})
    assert response.status_code == 302 and response.url == "/inbox/"
    assert Dossier.objects.get(pk=dossier.pk).data["needs_verification"] is False
    assert WorkItem.objects.get(pk=item.pk).status == "completed"


def test_the_viewer_s_json_is_checked_by_the_server_and_comes_back_with_the_values(demo):
    at("2026-12-02 09:00")
    dossier = receive("nhan-cha-me-con")
    item = open_step(dossier)
    client = signed_in("tuphap.hiepduc")
    page = client.post(f"/steps/{item.pk}/", {"formjs_data": json.dumps({"needs_verification": "có"})})
    assert page.status_code == 400
    assert json_script(page.text, "stepform-errors") == {"needs_verification": "Phải là Có hoặc Không (true hoặc false)."}
    assert json_script(page.text, "stepform-values") == {"needs_verification": "có"}  # what was sent, shown again
    page = client.post(f"/steps/{item.pk}/", {"formjs_data": json.dumps({"needs_verification": True, "x": 1})})
    assert page.status_code == 400 and "Biểu mẫu của bước không có trường này." in page.text
    for bad in ("{not json", "[1, 2]", "x" * 70_000):
        page = client.post(f"/steps/{item.pk}/", {"formjs_data": bad})
        assert page.status_code == 400 and 'id="form-errors"' in page.text, bad
    assert WorkItem.objects.get(pk=item.pk).status == "open"
    response = client.post(f"/steps/{item.pk}/", {"formjs_data": json.dumps({"needs_verification": True})})
    assert response.status_code == 302
    assert Dossier.objects.get(pk=dossier.pk).data["needs_verification"] is True
    assert open_step(dossier).bpmn_id == "xac_minh"


def test_the_viewer_starts_from_the_dossier_s_current_data(demo):
    at("2026-12-02 09:00")
    dossier = receive("nhan-cha-me-con")
    Dossier.objects.filter(pk=dossier.pk).update(data={**dossier.data, "needs_verification": True, "other": 1})
    item = open_step(dossier)
    text = signed_in("tuphap.hiepduc").get(f"/steps/{item.pk}/").text
    assert json_script(text, "stepform-values") == {"needs_verification": True}
    assert 'id="sf-needs_verification-0" value="true" checked' in text


def test_a_step_without_a_schema_keeps_the_required_fields_form(demo):
    at("2026-12-02 09:00")
    item = open_step(receive("dang-ky-khai-sinh"))
    text = signed_in("tuphap.hiepduc").get(f"/steps/{item.pk}/").text
    assert "stepform-schema" not in text and "form-viewer.umd.js" not in text
    assert "Bước này không cần nhập dữ liệu." in text
