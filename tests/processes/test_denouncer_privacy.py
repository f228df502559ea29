"""A denouncer's identity (issue 9; Law on Denunciation 2018, Art. 47; processes/privacy.py) through the real services,
the REST API and PostgreSQL: read by the officials assigned to the case (who received it, who claimed or completed a
step of it) and by auditors; masked for another official of the same unit who has not taken the case, for the
unit's leaders before they act, in the printed forms they open, in the register, in the API's lists, details,
history and forms; another unit's official does not see the dossier at all (404); officials' notifications never
quote it; the public portal shows the mask and a phone number does not find a denunciation. An administrative
dossier is unchanged."""
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from processes import privacy
from processes.models import Dossier, Membership, Notification, Role, WorkItem
from processes.selectors import attachment_for
from processes.services import attachments, forms, portal, reception, timers
from processes.services import dossiers as dossier_services
from processes.services.errors import Conflict, NotFound
from processes.services.events import Actor

from .helpers import at

DISTRICT = "000.00.16.H57"
INSPECTION = "000.05.16.H57"
HIEPDUC = "003.00.16.H57"
DENOUNCER = {"full_name": "Đoàn Thị Kín Đáo", "id_number": "082199004567", "phone": "0977123456",
             "email": "kin.dao@example.com", "address": "Số 9 đường Bí Mật, thị trấn Cai Lậy"}
CITIZEN = {"full_name": "Võ Văn Công Khai", "id_number": "082090007777", "phone": "0912000777",
           "address": "Ấp 1, xã Hiệp Đức"}
MASK = "Người tố cáo (được giữ bí mật)"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def user(username):
    return get_user_model().objects.get(username=username)


def actor(username):
    return Actor(user=user(username), client_address="127.0.0.1")


def leaks(text, identity=DENOUNCER):
    """The parts of the identity found in the text."""
    return [value for value in identity.values() if value and value in text]


def as_text(data):
    return json.dumps(data, ensure_ascii=False, default=str)


def official(username, unit_code, role):
    """A further official of a unit (the test's own; rolled back with it)."""
    created = get_user_model().objects.create_user(username=username, password="pw", first_name=username)
    Membership.objects.create(user=created, unit_id=_unit(unit_code), role=role)
    return created


def _unit(code):
    from processes.models import AdministrativeUnit

    return AdministrativeUnit.objects.get(code=code).pk


def open_item(dossier, bpmn_id):
    return WorkItem.objects.get(dossier=dossier, bpmn_id=bpmn_id, status="open")


def claim(dossier, bpmn_id, username):
    item = open_item(dossier, bpmn_id)
    dossier_services.claim_work_item(item_id=item.pk, actor=actor(username))
    return item


def complete(item, username, data=None):
    dossier_services.complete_work_item(item_id=item.pk, actor=actor(username), data=data or {})


def receive_denunciation():
    """A denunciation received at the district's desk by motcua.huyen; its first step (initial handling, at the
    district inspectorate) claimed by cv.thanhtra. A second specialist (cv2.thanhtra) and a second desk official
    (motcua2.huyen) of the same units have not taken it."""
    at("2026-12-01 09:00")
    official("cv2.thanhtra", INSPECTION, Role.SPECIALIST)
    official("motcua2.huyen", DISTRICT, Role.RECEPTION)
    dossier = dossier_services.receive_dossier(
        procedure_code="to-cao", unit_code=DISTRICT, applicant=dict(DENOUNCER), actor=actor("motcua.huyen"),
        data={"content": f"Tôi là {DENOUNCER['full_name']}, điện thoại {DENOUNCER['phone']}, tố cáo cán bộ địa chính "
                         "nhận tiền để cấp giấy chứng nhận."})
    claim(dossier, "xu_ly_ban_dau", "cv.thanhtra")
    return Dossier.objects.select_related("procedure", "applicant").get(pk=dossier.pk)


def forward_and_return(dossier):
    """Not within the district's competence: forwarded (two steps by cv.thanhtra), the result handed to the
    denouncer at the counter by motcua.huyen (the 'returned' event names who collected it)."""
    complete(open_item(dossier, "xu_ly_ban_dau"), "cv.thanhtra", {"classification": "forward"})
    item = claim(dossier, "chuyen_don", "cv.thanhtra")
    complete(item, "cv.thanhtra")
    assert Dossier.objects.get(pk=dossier.pk).status == "processed"


@pytest.fixture
def case(demo):
    return receive_denunciation()


def fresh(dossier):
    return Dossier.objects.select_related("procedure", "applicant").get(pk=dossier.pk)


# ---------------------------------------------------------------------------------------------------------------
# the rule


def test_only_the_officials_assigned_to_the_case_and_auditors_read_the_identity(case):
    readers = {"motcua.huyen", "cv.thanhtra", "thanhtra"}
    others = {"cv2.thanhtra", "chanh.thanhtra", "ct.huyen", "motcua2.huyen", "tuphap.hiepduc", "ct.hiepduc"}
    for username in readers | others:
        who = user(username)
        assert privacy.applicant_visible(who, fresh(case)) is (username in readers), username
        # the list's annotation says the same in one query
        annotated = privacy.with_visibility(Dossier.objects.select_related("procedure"), who).get(pk=case.pk)
        assert annotated.applicant_shown is (username in readers), username
        assert privacy.applicant_visible(who, annotated) is (username in readers), username
        shown = privacy.applicant_view(who, fresh(case))
        if username in readers:
            assert shown["full_name"] == DENOUNCER["full_name"] and shown["phone"] == DENOUNCER["phone"]
        else:
            assert shown["masked"] and shown["full_name"] == MASK and not leaks(as_text(shown))
    assert not privacy.applicant_visible(None, fresh(case))

    # the step done, the next one (the chairman's acceptance decision) is routed to the district's signing leader:
    # cv.thanhtra keeps reading it (completed), ct.huyen reads it once he takes the step, not before
    complete(open_item(case, "xu_ly_ban_dau"), "cv.thanhtra", {"classification": "accept"})
    assert privacy.applicant_visible(user("cv.thanhtra"), fresh(case))
    assert not privacy.applicant_visible(user("ct.huyen"), fresh(case))
    claim(case, "quyet_dinh_thu_ly", "ct.huyen")
    assert privacy.applicant_visible(user("ct.huyen"), fresh(case))
    assert not privacy.applicant_visible(user("cv2.thanhtra"), fresh(case))


def test_a_search_by_the_denouncer_s_name_or_phone_finds_nothing_for_an_official_who_may_not_read_it(case):
    for term in (DENOUNCER["full_name"], "Kín Đáo", DENOUNCER["phone"], DENOUNCER["id_number"]):
        found = set(Dossier.objects.filter(privacy.applicant_match_q(user("cv.thanhtra"), term))
                    .values_list("code", flat=True))
        assert case.code in found, term
        for username in ("cv2.thanhtra", "chanh.thanhtra", "motcua2.huyen"):
            assert not Dossier.objects.filter(privacy.applicant_match_q(user(username), term)).exists(), term
    assert Dossier.objects.filter(privacy.applicant_match_q(user("thanhtra"), DENOUNCER["phone"])).exists()


# ---------------------------------------------------------------------------------------------------------------
# the REST API


def test_the_api_masks_the_denouncer_for_an_official_of_the_unit_who_has_not_taken_the_case(case, api):
    mine = api("cv.thanhtra").get(f"/api/v1/dossiers/{case.code}/").json()
    assert mine["applicant_name"] == DENOUNCER["full_name"] and DENOUNCER["phone"] in mine["data"]["content"]
    assert mine["applicant"]["phone"] == DENOUNCER["phone"] and mine["applicant"]["masked"] is False
    audited = api("thanhtra").get(f"/api/v1/dossiers/{case.code}/").json()
    assert audited["applicant"]["id_number"] == DENOUNCER["id_number"]

    for username in ("cv2.thanhtra", "chanh.thanhtra"):
        client = api(username)
        detail = client.get(f"/api/v1/dossiers/{case.code}/")
        assert detail.status_code == 200, username
        body = detail.json()
        assert body["applicant_name"] == MASK and body["applicant"]["masked"] is True
        assert body["data"]["content"].startswith(f"Tôi là {MASK}, điện thoại {MASK}, tố cáo")  # the letter's text
        assert not leaks(as_text(body)), username
        listed = client.get("/api/v1/dossiers/").json()
        rows = listed["results"] if isinstance(listed, dict) else listed
        assert case.code in [row["code"] for row in rows]
        assert not leaks(as_text(listed)), username
        assert not leaks(as_text(client.get(f"/api/v1/dossiers/{case.code}/history/").json()))
        assert not leaks(as_text(client.get("/api/v1/tasks/").json()))
        sheet = client.get(f"/api/v1/dossiers/{case.code}/control-sheet/")
        assert sheet.status_code == 200 and not leaks(as_text(sheet.json())), username
    assert DENOUNCER["full_name"] in api("cv.thanhtra").get(
        f"/api/v1/dossiers/{case.code}/control-sheet/").json()["text"]


def test_another_unit_s_official_gets_404(case, api):
    client = api("tuphap.hiepduc")
    assert client.get(f"/api/v1/dossiers/{case.code}/").status_code == 404
    assert client.get(f"/api/v1/dossiers/{case.code}/history/").status_code == 404
    assert client.get(f"/api/v1/dossiers/{case.code}/control-sheet/").status_code == 404
    listed = client.get("/api/v1/dossiers/").json()
    assert case.code not in as_text(listed) and not leaks(as_text(listed))


def test_the_result_s_collector_is_masked_in_the_api_and_its_history(case, api):
    forward_and_return(case)
    reception.return_at_counter(code=case.code, actor=actor("motcua.huyen"), collector="applicant")
    returned = fresh(case)
    assert returned.returned_to == DENOUNCER["full_name"]  # recorded as it was
    body = api("cv2.thanhtra").get(f"/api/v1/dossiers/{case.code}/").json()
    assert body["returned_to"] == MASK and not leaks(as_text(body))
    history = api("cv2.thanhtra").get(f"/api/v1/dossiers/{case.code}/history/").json()
    assert "returned" in [e["kind"] for e in history] and not leaks(as_text(history))
    history = api("cv.thanhtra").get(f"/api/v1/dossiers/{case.code}/history/").json()
    assert DENOUNCER["full_name"] in as_text(history)
    # the log itself is unchanged (append-only)
    assert returned.events.get(kind="returned").data_after["collected_by"] == DENOUNCER["full_name"]


def test_an_administrative_dossier_is_unchanged(demo, api):
    at("2026-12-01 09:00")
    dossier = dossier_services.receive_dossier(procedure_code="nhan-cha-me-con", unit_code=HIEPDUC,
                                               applicant=dict(CITIZEN), actor=actor("motcua.hiepduc"))
    dossier = fresh(dossier)
    for username in ("tuphap.hiepduc", "ct.hiepduc"):  # neither has taken it
        assert privacy.applicant_visible(user(username), dossier)
        body = api(username).get(f"/api/v1/dossiers/{dossier.code}/").json()
        assert body["applicant_name"] == CITIZEN["full_name"] and body["applicant"]["masked"] is False
        assert body["applicant"]["phone"] == CITIZEN["phone"]
    assert privacy.export_name(dossier) == CITIZEN["full_name"]
    assert portal.progress(dossier.code, phone=CITIZEN["phone"]) is not None
    with pytest.raises(Conflict):  # the phone proves it: refused only because the result is not returned yet
        portal.rate_dossier(dossier.code, "", dict.fromkeys(portal.RATING_ELEMENTS, 5), phone=CITIZEN["phone"])


# ---------------------------------------------------------------------------------------------------------------
# printed forms and the register


def test_printed_forms_and_the_register_name_the_denouncer_only_for_whoever_may_read_it(case):
    for username, shown in (("motcua.huyen", True), ("cv.thanhtra", True), ("cv2.thanhtra", False),
                            ("motcua2.huyen", False), ("chanh.thanhtra", False)):
        for number in ("01", forms.form_number(case, "control")):  # the receipt, the control sheet
            _ref, rendered = forms.render_dossier_form(privacy.for_viewer(user(username), fresh(case)), number)
            if shown:
                assert DENOUNCER["full_name"] in rendered.text and DENOUNCER["full_name"] in rendered.html
                assert number != "01" or DENOUNCER["phone"] in rendered.text
            else:
                assert MASK in rendered.text and not leaks(rendered.text + rendered.html), (username, number)
        day = case.received_at.date()
        register = forms.register(case.receiving_unit, day, day, viewer=user(username))
        assert case.code in register.text
        assert (DENOUNCER["full_name"] in register.text) is shown, username
        if not shown:
            assert not leaks(register.text + register.html)
    day = case.received_at.date()
    assert not leaks(forms.register(case.receiving_unit, day, day).text)  # nobody named: nobody shown
    # the dossier itself is untouched by the masked copies
    assert fresh(case).applicant.full_name == DENOUNCER["full_name"]


def test_the_scans_open_only_for_whoever_may_read_the_identity(case):
    scan = attachments.add_attachment(code=case.code, actor=actor("motcua.huyen"), document="Đơn tố cáo",
                                      upload=SimpleUploadedFile("don-to-cao.pdf", PDF))
    for username in ("motcua.huyen", "cv.thanhtra", "thanhtra"):
        assert attachment_for(user(username), scan.pk) == scan, username
    for username in ("cv2.thanhtra", "chanh.thanhtra", "motcua2.huyen", "tuphap.hiepduc"):
        assert attachment_for(user(username), scan.pk) is None, username


# ---------------------------------------------------------------------------------------------------------------
# notifications and the public portal


def test_officials_notifications_never_quote_the_denouncer(case):
    at("2026-12-10 10:00")  # the initial handling's 7 working days passed with the step still open
    timers.sweep_inline()
    to_officials = list(Notification.objects.filter(dossier=case, recipient__isnull=False))
    assert to_officials, "the warnings and the lateness reach the officials"
    for row in to_officials:
        assert not leaks(row.subject + row.body), row.subject


def test_the_portal_shows_the_mask_and_a_phone_number_does_not_find_a_denunciation(case):
    detail = portal.progress(case.code, secret=case.lookup_secret)
    assert detail is not None and detail["code"] == case.code
    assert str(detail["applicant"]) == MASK and not leaks(as_text(detail))
    assert portal.progress(case.code, phone=DENOUNCER["phone"]) is None
    assert portal.progress(case.code, phone="+84 977 123 456") is None
    status = portal.public_status(case.code)
    assert status["code"] == case.code and not leaks(as_text(status))
    with pytest.raises(NotFound):
        portal.rate_dossier(case.code, "", dict.fromkeys(portal.RATING_ELEMENTS, 5), phone=DENOUNCER["phone"])
