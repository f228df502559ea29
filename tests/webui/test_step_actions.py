"""The step page's actions through Django's test client with CSRF checks on: request a supplementation (form 02),
refuse (form 03), explain a delay (form 04) — from the inbox's button too —, record the measure taken on an
escalation. Each: success, each kind of bad input answered at its field (400), permission (the service's refusal
shown, 403), another commune's official 404. Time moves through the injectable clock, as tests/processes/
test_statutory_clock.py does."""
import re

import pytest
from django.test import Client, override_settings

from processes.models import Dossier, Explanation, Supplementation, WorkItem
from processes.services import timers

from ..processes.helpers import at, vn
from .helpers import open_step, receive, user

HIEPDUC = "003.00.16.H57"


def client_for(username, page):
    """A client that checks CSRF like a browser: it reads the token from the page's cookie and sends it back."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user(username))
    assert client.get(page).status_code in (200, 404)
    client.token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
    return client


def post(client, url, data):
    return client.post(url, {"csrfmiddlewaretoken": client.token, **data})


def error_at(html, error_id):
    """The text of the message at a field (<p class="field-error" id=...>)."""
    match = re.search(rf'<p class="field-error" id="{re.escape(error_id)}"[^>]*>(.*?)</p>', html, re.S)
    assert match, f"no message at {error_id}"
    return match.group(1).strip()


def page_text(response):
    return response.content.decode()


ROWS = {f"supplement-items-{i}-{part}": "" for i in range(5) for part in ("name", "quantity")}


def supplement_data(**changes):
    data = {**ROWS, "supplement-reason": "Thiếu giấy tờ chứng minh quan hệ cha con"}
    data.update({"supplement-items-0-name": "Giấy khai sinh của con", "supplement-items-0-kind": "bản sao",
                 "supplement-items-0-quantity": "1"})
    data.update(changes)
    return data


# ---------------------------------------------------------------------------------------------------------------
# request a supplementation (form 02)


def test_the_step_page_offers_supplementation_refusal_and_upload_to_the_step_holder(demo):
    dossier = receive("nhan-cha-me-con")
    item = open_step(dossier)
    client = client_for("tuphap.hiepduc", f"/steps/{item.pk}/")
    html = page_text(client.get(f"/steps/{item.pk}/"))
    assert 'data-testid="supplement-form"' in html and 'data-testid="refuse-form"' in html
    assert 'data-testid="upload-form"' in html
    # five empty rows work without JavaScript, a template row for "add another document"
    for i in range(5):
        assert f'name="supplement-items-{i}-name"' in html
    assert 'name="supplement-items-__N__-name"' in html and "data-add-row" in html
    for kind in ("bản chính", "bản sao", "bản chụp"):
        assert f'<option value="{kind}"' in html
    # the complete-form part stays one delimited block (the form-js helper replaces it)
    assert html.count('data-testid="clock-item"') == 0
    # an official of the commune without a role at this step is not offered form 02 or 03
    admin_html = page_text(client_for("quantri.hiepduc", f"/steps/{item.pk}/").get(f"/steps/{item.pk}/"))
    assert 'data-testid="supplement-form"' not in admin_html and 'data-testid="refuse-form"' not in admin_html


def test_request_supplementation_stops_the_clock_and_the_page_says_what_is_awaited(demo):
    at("2026-12-01 09:00")
    dossier = receive("nhan-cha-me-con")
    item = open_step(dossier)
    client = client_for("tuphap.hiepduc", f"/steps/{item.pk}/")
    # without the CSRF token: refused
    assert client.post(f"/steps/{item.pk}/supplement/", supplement_data()).status_code == 403
    response = post(client, f"/steps/{item.pk}/supplement/", supplement_data(**{
        "supplement-items-3-name": "CCCD của người cha", "supplement-items-3-kind": "bản chụp",
        "supplement-items-3-quantity": "2"}))
    assert response.status_code == 302 and response.url == f"/steps/{item.pk}/"
    dossier.refresh_from_db()
    assert dossier.status == "supplement_requested" and dossier.clock_paused_at == vn("2026-12-01 09:00")
    supplementation = Supplementation.objects.get(dossier=dossier)
    assert supplementation.items == [
        {"name": "Giấy khai sinh của con", "kind": "bản sao", "quantity": 1, "note": ""},
        {"name": "CCCD của người cha", "kind": "bản chụp", "quantity": 2, "note": ""},
    ]
    assert supplementation.requested_by.username == "tuphap.hiepduc"
    assert dossier.events.filter(kind="supplement_requested", actor__username="tuphap.hiepduc").count() == 1
    page = client.get(response.url)
    html = page_text(page)
    assert "Đã gửi phiếu yêu cầu bổ sung" in html
    assert 'data-testid="supplement-waiting"' in html and "CCCD của người cha" in html
    # a second request while waiting: the service's conflict is shown, nothing changes
    again = post(client, f"/steps/{item.pk}/supplement/", supplement_data())
    assert again.status_code == 409 and "không thể yêu cầu bổ sung" in page_text(again)
    assert Supplementation.objects.filter(dossier=dossier).count() == 1


@pytest.mark.parametrize("changes, error_id, words", [
    ({"supplement-items-0-name": ""}, "err-supplement-items", "Cần liệt kê giấy tờ"),
    ({"supplement-items-0-quantity": "hai"}, "err-supplement-items-0-quantity", "Số lượng là số nguyên"),
    ({"supplement-items-0-quantity": "120"}, "err-supplement-items-0-quantity", "Số lượng là số nguyên từ 1 đến 99"),
    ({"supplement-items-0-quantity": "0"}, "err-supplement-items-0-quantity", "Số lượng là số nguyên từ 1 đến 99"),
    ({"supplement-items-0-kind": "bản gốc"}, "err-supplement-items-0-kind", "Loại bản phải là một trong"),
    ({"supplement-items-0-name": "x" * 301}, "err-supplement-items-0-name", "dài quá 300"),
    ({"supplement-reason": "   "}, "err-id_supplement-reason", "Cần nêu lý do yêu cầu bổ sung"),
    ({"supplement-reason": "x" * 2001}, "err-id_supplement-reason", "dài quá 2000"),
])
def test_bad_supplementation_input_is_answered_at_its_field(demo, changes, error_id, words):
    dossier = receive("nhan-cha-me-con")
    item = open_step(dossier)
    client = client_for("tuphap.hiepduc", f"/steps/{item.pk}/")
    response = post(client, f"/steps/{item.pk}/supplement/", supplement_data(**changes))
    assert response.status_code == 400
    html = page_text(response)
    assert words in error_at(html, error_id)
    assert '<details class="action" id="supplement" open>' in html  # the form comes back open, values kept
    if "supplement-items-0-name" not in changes:
        assert 'value="Giấy khai sinh của con"' in html
    dossier.refresh_from_db()
    assert dossier.status != "supplement_requested" and not dossier.supplementations.exists()


def test_a_second_row_error_is_shown_at_that_row_after_empty_rows(demo):
    dossier = receive("nhan-cha-me-con")
    item = open_step(dossier)
    client = client_for("tuphap.hiepduc", f"/steps/{item.pk}/")
    # rows 0 and 2 filled, row 1 empty (skipped); the service's items[1] is the page's row 2
    response = post(client, f"/steps/{item.pk}/supplement/", supplement_data(**{
        "supplement-items-2-name": "Tờ khai", "supplement-items-2-kind": "bản photo"}))
    assert response.status_code == 400
    assert "Loại bản" in error_at(page_text(response), "err-supplement-items-2-kind")
    # rows added by the script (index 7) are read too
    response = post(client, f"/steps/{item.pk}/supplement/", supplement_data(**{
        "supplement-items-7-name": "Tờ khai", "supplement-items-7-kind": "bản chính", "supplement-items-7-quantity": "3"}))
    assert response.status_code == 302
    assert [i["name"] for i in Supplementation.objects.get(dossier=dossier).items] == ["Giấy khai sinh của con",
                                                                                       "Tờ khai"]


def test_supplementation_permission_and_other_commune(demo):
    dossier = receive("nhan-cha-me-con")
    item = open_step(dossier)
    # the commune's unit admin sees the dossier but holds no step of it: the service refuses, shown in the form
    admin = client_for("quantri.hiepduc", f"/steps/{item.pk}/")
    response = post(admin, f"/steps/{item.pk}/supplement/", supplement_data())
    assert response.status_code == 403
    assert "không xử lý bước nào" in page_text(response)
    # another commune's official: 404 for the page and the action
    other = client_for("tuphap.tambinh", f"/steps/{item.pk}/")
    assert other.get(f"/steps/{item.pk}/").status_code == 404
    assert post(other, f"/steps/{item.pk}/supplement/", supplement_data()).status_code == 404
    assert post(other, f"/steps/{item.pk}/refuse/", {"refuse-reasons": "x"}).status_code == 404
    dossier.refresh_from_db()
    assert dossier.status != "supplement_requested"


def test_a_body_beyond_the_upload_limits_is_a_message_not_an_error_page(demo):
    dossier = receive("nhan-cha-me-con")
    item = open_step(dossier)
    client = client_for("tuphap.hiepduc", f"/steps/{item.pk}/")
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2000):
        response = post(client, f"/steps/{item.pk}/supplement/", supplement_data(**{"supplement-reason": "x" * 5000}))
    assert response.status_code == 400
    assert "Nội dung gửi lên quá lớn" in page_text(response)
    with override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=10):
        response = post(client, f"/steps/{item.pk}/refuse/", {f"f{i}": "x" for i in range(20)})
    assert response.status_code == 400 and "quá nhiều trường" in page_text(response)
    dossier.refresh_from_db()
    assert dossier.status == "processing" or dossier.status == "received"


# ---------------------------------------------------------------------------------------------------------------
# refuse (form 03)


def test_refuse_with_reasons_one_per_line_ends_the_dossier(demo):
    dossier = receive("nhan-cha-me-con")
    item = open_step(dossier)
    client = client_for("tuphap.hiepduc", f"/steps/{item.pk}/")
    empty = post(client, f"/steps/{item.pk}/refuse/", {"refuse-reasons": " \n  "})
    assert empty.status_code == 400
    assert "Cần nêu lý do" in error_at(page_text(empty), "err-id_refuse-reasons")
    too_long = post(client, f"/steps/{item.pk}/refuse/", {"refuse-reasons": "a\n" + "b" * 2001})
    assert too_long.status_code == 400 and "dài quá" in error_at(page_text(too_long), "err-id_refuse-reasons")
    response = post(client, f"/steps/{item.pk}/refuse/",
                    {"refuse-reasons": "Không đủ điều kiện công nhận\r\n\r\nNgười yêu cầu không có quyền yêu cầu"})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == "stopped" and dossier.outcome == "refused"
    event = dossier.events.get(kind="refused")
    assert event.data_after["reasons"] == ["Không đủ điều kiện công nhận", "Người yêu cầu không có quyền yêu cầu"]
    html = page_text(client.get(response.url))
    assert "Đã từ chối giải quyết hồ sơ" in html
    assert 'data-testid="refuse-form"' not in html and 'data-testid="upload-form"' not in html
    # refusing again: the service's conflict (the dossier is over) at the form
    again = post(client, f"/steps/{item.pk}/refuse/", {"refuse-reasons": "lần nữa"})
    assert again.status_code == 409 and "không thể từ chối" in page_text(again)


# ---------------------------------------------------------------------------------------------------------------
# explain a delay (form 04), from the inbox


def _due_soon(api_unused=None):
    """A social-allowance dossier (22 working days) received Tue 01/12/2026 09:00 at xã Hiệp Đức; at 29/12 09:00
    (two working days before its due time 31/12 09:00) the explanation item opens for the commune's leader."""
    clock = at("2026-12-01 09:00")
    dossier = receive("tro-cap-xa-hoi")
    clock.set(vn("2026-12-29 09:00"))
    timers.sweep_inline()
    item = WorkItem.objects.get(dossier=dossier, kind="explain_delay", status="open")
    return clock, dossier, item


def test_explanation_from_the_inbox_button_with_every_bad_input_then_the_letter(demo):
    clock, dossier, item = _due_soon()
    leader = client_for("ct.hiepduc", "/inbox/")
    inbox = page_text(leader.get("/inbox/?tab=unclaimed"))
    button = re.search(rf'<a href="(/steps/{item.pk}/#explanation)"[^>]*data-testid="explain-{item.pk}"[^>]*>\s*'
                       r"Giải trình\s*</a>", inbox)
    assert button, "the inbox's row has no Giải trình button"
    page = leader.get(f"/steps/{item.pk}/")
    html = page_text(page)
    assert page.status_code == 200 and 'data-testid="explain-form"' in html
    assert "31/12/2026 09:00" in html and "30/12/2026 09:00" in html  # due time, apology deadline
    proposal = re.search(r'name="explain-new_appointment" value="([^"]+)"', html).group(1)
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", proposal)
    url = f"/steps/{item.pk}/explain/"
    cases = [
        ({"explain-reason": "", "explain-new_appointment": proposal}, "err-id_explain-reason", "Cần nêu lý do chậm trễ"),
        ({"explain-reason": "Chờ xác minh", "explain-new_appointment": ""}, "err-id_explain-new_appointment",
         "Hãy nhập ngày hẹn mới"),
        ({"explain-reason": "Chờ xác minh", "explain-new_appointment": "07-01-2027 9h"},
         "err-id_explain-new_appointment", "không đúng dạng"),
        ({"explain-reason": "Chờ xác minh", "explain-new_appointment": "31/02/2027 09:00"},
         "err-id_explain-new_appointment", "không đúng dạng"),
        ({"explain-reason": "Chờ xác minh", "explain-new_appointment": "30/12/2026 09:00"},
         "err-id_explain-new_appointment", "phải sau thời hạn giải quyết theo quy định (09:00 31/12/2026)"),
        ({"explain-reason": "Chờ xác minh", "explain-new_appointment": "07/01/2029 09:00"},
         "err-id_explain-new_appointment", "quá xa"),
        ({"explain-reason": "x" * 2001, "explain-new_appointment": proposal}, "err-id_explain-reason", "dài quá"),
    ]
    for data, error_id, words in cases:
        response = post(leader, url, data)
        assert response.status_code == 400, data
        assert words in error_at(page_text(response), error_id), data
    assert not Explanation.objects.filter(dossier=dossier).exists()
    # the specialist is offered nothing and the service refuses; another commune gets 404
    specialist = client_for("tuphap.hiepduc", f"/steps/{item.pk}/")
    assert 'data-testid="explain-form"' not in page_text(specialist.get(f"/steps/{item.pk}/"))
    refused = post(specialist, url, {"explain-reason": "x", "explain-new_appointment": "07/01/2027 09:00"})
    assert refused.status_code == 403 and "Chỉ lãnh đạo" in page_text(refused)
    other = client_for("ct.tambinh", "/inbox/")
    assert other.get(f"/steps/{item.pk}/").status_code == 404
    assert post(other, url, {"explain-reason": "x", "explain-new_appointment": "07/01/2027 09:00"}).status_code == 404

    clock.set(vn("2026-12-29 10:00"))
    response = post(leader, url, {"explain-reason": "Chờ kết quả xác minh của công an xã",
                                  "explain-new_appointment": "07/01/2027 09:00"})
    assert response.status_code == 302 and response.url == f"/steps/{item.pk}/#explanation"
    explanation = Explanation.objects.get(dossier=dossier)
    assert explanation.new_appointment == vn("2027-01-07 09:00") and explanation.filed_by.username == "ct.hiepduc"
    dossier.refresh_from_db()
    assert dossier.appointment_at == vn("2027-01-07 09:00") and dossier.due_at == vn("2026-12-31 09:00")
    html = page_text(leader.get(f"/steps/{item.pk}/"))
    assert 'data-testid="apology-letter"' in html and "Chờ kết quả xác minh của công an xã" in html
    assert "07/01/2027 09:00" in html and 'data-testid="explain-form"' not in html
    # the inbox no longer lists it
    assert f'data-testid="explain-{item.pk}"' not in page_text(leader.get("/inbox/?tab=unclaimed"))
    # filing twice: the service's conflict
    again = post(leader, url, {"explain-reason": "x", "explain-new_appointment": "08/01/2027 09:00"})
    assert again.status_code == 409


# ---------------------------------------------------------------------------------------------------------------
# escalation


def test_escalation_measure_recorded_by_the_signing_leader(demo):
    clock, dossier, explain_item = _due_soon()
    clock.set(vn("2026-12-31 09:00"))  # the due time passes without an apology
    timers.sweep_inline()
    item = WorkItem.objects.get(dossier=dossier, kind="escalation", status="open")
    leader = client_for("ct.hiepduc", "/inbox/")
    assert f'data-testid="escalation-{item.pk}"' in page_text(leader.get("/inbox/?tab=unclaimed"))
    html = page_text(leader.get(f"/steps/{item.pk}/"))
    assert 'data-testid="escalation-form"' in html and "chưa có văn bản giải trình" in html
    url = f"/steps/{item.pk}/escalation/"
    empty = post(leader, url, {"escalation-note": "  "})
    assert empty.status_code == 400
    assert "Cần ghi biện pháp đã xử lý" in error_at(page_text(empty), "err-id_escalation-note")
    long = post(leader, url, {"escalation-note": "x" * 4001})
    assert long.status_code == 400 and "dài quá 4000" in error_at(page_text(long), "err-id_escalation-note")
    specialist = client_for("tuphap.hiepduc", f"/steps/{item.pk}/")
    assert 'data-testid="escalation-form"' not in page_text(specialist.get(f"/steps/{item.pk}/"))
    assert post(specialist, url, {"escalation-note": "x"}).status_code == 403
    assert client_for("ct.tambinh", "/inbox/").get(f"/steps/{item.pk}/").status_code == 404
    response = post(leader, url, {"escalation-note": "Đã họp với tư pháp xã, yêu cầu giải trình bằng văn bản"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "completed" and item.completed_by.username == "ct.hiepduc"
    html = page_text(leader.get(f"/steps/{item.pk}/"))
    assert 'data-testid="escalation-note"' in html and "yêu cầu giải trình bằng văn bản" in html
    assert Dossier.objects.get(pk=dossier.pk).events.filter(kind="escalation_resolved").count() == 1


def test_the_actions_speak_english_after_the_switch(demo):
    dossier = receive("nhan-cha-me-con")
    item = open_step(dossier)
    client = client_for("tuphap.hiepduc", f"/steps/{item.pk}/")
    client.cookies["django_language"] = "en"
    html = page_text(client.get(f"/steps/{item.pk}/"))
    for words in ("Request documents to supplement the dossier (form 02)", "Refuse the dossier (form 03)",
                  "Files of the dossier", "File (PDF, JPEG or PNG)", "Kind of copy"):
        assert words in html
    response = post(client, f"/steps/{item.pk}/refuse/", {"refuse-reasons": "Không đủ điều kiện"})
    assert response.status_code == 302
    assert "Dossier %s was refused" % dossier.code in page_text(client.get(response.url))
