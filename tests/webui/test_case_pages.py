"""Complaints, denunciations and petitions (issue 9) on the officials' pages, through Django's test client with CSRF
checks on: the desk receives a case with its content and (for a complaint) the remote-area flag, worded as a letter
("đơn") on the intake page, the receipt and its printed receipt; the step page of a case shows its kind, clock phase,
due time, complexity, remoteness and extension decisions; a leader of the receiving unit decides extensions there
until the complexity's number is used up (then 409 at the field), anyone else is refused (403), bad input is answered
at its field (400), an administrative dossier has no such section."""
import re

from processes.models import CaseDecision, Dossier, WorkItem
from processes.services import dossiers as dossier_services
from processes.services import forms as form_services
from processes.services.events import Actor

from ..processes.helpers import at, official_for, vn
from .helpers import user
from .test_step_actions import client_for, error_at, page_text, post

DISTRICT = "000.00.16.H57"
FORM = {"full_name": "Trương Văn Tố", "id_number": "082090005555", "phone": "0909555666", "email": "",
        "address": "Ấp Bình Hòa, xã Tam Bình", "channel": "1"}


def intake(client, procedure, documents, **fields):
    return post(client, f"/reception/procedures/{procedure}/",
                {**FORM, "decision": "receive", "documents": documents, **fields})


def step(code, bpmn_id, data=None):
    item = WorkItem.objects.select_related("unit").get(dossier__code=code, bpmn_id=bpmn_id, status="open")
    who = Actor(user=user(official_for(item.unit.code, item.role)))
    dossier_services.claim_work_item(item_id=item.pk, actor=who)
    dossier_services.complete_work_item(item_id=item.pk, actor=who, data=data or {})
    return item


def denunciation(complexity=None):
    """A denunciation received at the district's desk; accepted with `complexity` when given. Returns (dossier, the
    step page a leader opens)."""
    desk = Actor(user=user("motcua.huyen"))
    dossier = dossier_services.receive_dossier(
        procedure_code="to-cao", unit_code=DISTRICT, applicant={"full_name": "Trương Văn Tố"}, actor=desk,
        data={"content": "Tố cáo cán bộ địa chính xã nhận tiền khi đo đạc."})
    item = dossier.work_items.get(status="open")
    if complexity:
        step(dossier.code, "xu_ly_ban_dau", {"classification": "accept"})
        item = step(dossier.code, "quyet_dinh_thu_ly", {"complexity": complexity, "acceptance_number": "05/QĐ"})
    return Dossier.objects.get(pk=dossier.pk), item


def section(html):
    match = re.search(r'<section class="card case-clock.*?</section>', html, re.S)
    assert match, "no case-clock section"
    return match.group(0)


def text_of(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ---------------------------------------------------------------------------------------------------------------
# intake at the desk


def test_the_desk_intake_reads_as_a_letter_and_asks_for_the_content_and_remoteness(demo):
    at("2026-12-07 09:00")
    desk = client_for("motcua.huyen", "/reception/procedures/khieu-nai-lan-dau/")
    complaint = page_text(desk.get("/reception/procedures/khieu-nai-lan-dau/"))
    assert 'data-testid="case-kind"' in complaint and "Khiếu nại" in complaint
    assert "Tiếp nhận đơn" in complaint and "Họ và tên người khiếu nại" in complaint
    assert 'name="content"' in complaint and 'name="remote_area"' in complaint and "vùng sâu, vùng xa" in complaint
    denounce = page_text(desk.get("/reception/procedures/to-cao/"))
    assert "Nội dung tố cáo" in denounce and 'name="remote_area"' not in denounce
    assert "Họ và tên người tố cáo" in denounce
    permit = page_text(desk.get("/reception/procedures/giay-phep-xay-dung/"))
    assert 'name="content"' not in permit and 'name="remote_area"' not in permit
    assert "Tiếp nhận hồ sơ" in permit and "Họ và tên người nộp" in permit and 'data-testid="case-kind"' not in permit

    documents = ["Đơn khiếu nại", "Tài liệu, chứng cứ kèm theo (nếu có)"]
    missing = intake(desk, "khieu-nai-lan-dau", documents, content="  ", remote_area="on")
    assert missing.status_code == 400 and "nội dung khiếu nại" in error_at(page_text(missing), "err-content").lower()
    assert 'aria-describedby="err-content"' in page_text(missing)
    received = intake(desk, "khieu-nai-lan-dau", documents, content="Khiếu nại mức bồi thường khi thu hồi đất.",
                      remote_area="on")
    dossier = Dossier.objects.get(applicant__full_name="Trương Văn Tố")
    assert received.status_code == 302 and received.url == f"/reception/dossiers/{dossier.code}/receipt/"
    assert dossier.data["remote_area"] is True
    assert dossier.data["content"] == "Khiếu nại mức bồi thường khi thu hồi đất."
    receipt = text_of(page_text(desk.get(received.url)))
    assert "Đã tiếp nhận đơn khiếu nại" in receipt and "Hạn xử lý ban đầu" in receipt
    assert "21/12/2026 09:00" in receipt  # acceptance: 10 working days
    assert "Khiếu nại mức bồi thường khi thu hồi đất." in receipt and "Vùng sâu, vùng xa" in receipt
    assert "Đã tiếp nhận đơn " + dossier.code in receipt  # the flash message

    # the printed receipt reads as a letter's, without the public services' form number
    rendered = form_services.form_01(dossier)
    assert rendered.title == "GIẤY TIẾP NHẬN ĐƠN KHIẾU NẠI"
    for words in ("tiếp nhận đơn của: Trương Văn Tố", "Khiếu nại mức bồi thường", "người khiếu nại ở vùng sâu",
                  "Hạn thông báo kết quả xử lý đơn: 09 giờ 00 phút, ngày 21/12/2026", "NGƯỜI TIẾP NHẬN ĐƠN"):
        assert words in rendered.text, words
    assert "Mẫu số" not in rendered.text and "Mẫu số" not in rendered.html
    assert "NGƯỜI GỬI ĐƠN" in rendered.html and "Liên 1: Giao người gửi đơn" in rendered.html
    pdf = desk.get(f"/reception/dossiers/{dossier.code}/form-01.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_an_administrative_receipt_keeps_form_01(demo):
    at("2026-12-07 09:00")
    desk = client_for("motcua.huyen", "/reception/procedures/giay-phep-xay-dung/")
    received = intake(desk, "giay-phep-xay-dung", ["Đơn đề nghị cấp giấy phép xây dựng",
                                                    "Giấy tờ chứng minh quyền sử dụng đất", "Bản vẽ thiết kế xây dựng"])
    assert received.status_code == 302
    dossier = Dossier.objects.get(applicant__full_name="Trương Văn Tố")
    assert "content" not in dossier.data
    receipt = text_of(page_text(desk.get(received.url)))
    assert "Đã tiếp nhận hồ sơ" in receipt and "Hẹn trả kết quả" in receipt
    rendered = form_services.form_01(dossier)
    assert rendered.title == "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" and "Mẫu số 01" in rendered.text
    assert "NGƯỜI TIẾP NHẬN HỒ SƠ" in rendered.text


def test_a_petition_submitted_on_the_portal_reaches_the_district_desk_and_is_received_as_a_letter(demo):
    from django.core.cache import cache
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from processes.models import OnlineSubmission

    from ..processes.test_reception import PDF

    cache.clear()  # the portal's rate limits count in the cache
    at("2026-12-07 08:00")
    citizen = Client()
    url = f"/dich-vu-cong/nop-truc-tuyen/phan-anh-kien-nghi/?don_vi={DISTRICT}"
    form = citizen.get(url)
    assert form.status_code == 200 and "Nội dung phản ánh, kiến nghị" in form.text
    sent = citizen.post(url, {"don_vi": DISTRICT, **FORM, "email": "to@example.vn",
                              "file-0": SimpleUploadedFile("kien-nghi.pdf", PDF, content_type="application/pdf")})
    assert sent.status_code == 302, sent.content.decode()[:2000]
    submission = OnlineSubmission.objects.get(procedure__code="phan-anh-kien-nghi")
    at("2026-12-07 09:00")
    desk = client_for("motcua.huyen", "/reception/")
    assert submission.reference in page_text(desk.get("/reception/"))
    received = post(desk, f"/reception/online/{submission.pk}/receive/", {})
    dossier = Dossier.objects.get(online_submission=submission)
    assert received.status_code == 302 and received.url == f"/reception/dossiers/{dossier.code}/receipt/"
    assert dossier.channel == 2 and dossier.procedure.kind == "petition"
    receipt = text_of(page_text(desk.get(received.url)))
    assert "Đã tiếp nhận đơn phản ánh, kiến nghị" in receipt and "28/12/2026 09:00" in receipt  # 15 working days
    item = dossier.work_items.get(status="open")
    specialist = client_for(official_for(item.unit.code, item.role), f"/steps/{item.pk}/")
    facts = text_of(section(page_text(specialist.get(f"/steps/{item.pk}/"))))
    assert "Phản ánh, kiến nghị" in facts and "Giai đoạn Trả lời" in facts and "28/12/2026 09:00" in facts
    assert "Giai đoạn này không được gia hạn" in facts
    cache.clear()


# ---------------------------------------------------------------------------------------------------------------
# the step page


def test_the_step_page_shows_the_cases_clock_and_offers_the_extension_to_the_leader_only(demo):
    at("2026-12-01 09:00")
    dossier, first = denunciation()
    specialist = client_for("cv.thanhtra", f"/steps/{first.pk}/")
    page = section(page_text(specialist.get(f"/steps/{first.pk}/")))
    facts = text_of(page)
    assert "Tố cáo" in facts and "Xử lý ban đầu" in facts and "10/12/2026 09:00" in facts  # 7 working days
    assert "Chưa xác định" in facts and "Vùng sâu, vùng xa" not in facts
    assert "Tố cáo cán bộ địa chính xã nhận tiền khi đo đạc." in facts
    assert "Đã gia hạn 0/1 lần" in facts and "mỗi lần 3 ngày làm việc" in facts
    assert "Chưa có quyết định gia hạn." in facts and 'data-testid="extend-form"' not in page
    leader = client_for("ct.huyen", f"/steps/{first.pk}/")
    assert 'data-testid="extend-form"' in page_text(leader.get(f"/steps/{first.pk}/"))

    # accepted as especially complex: the resolution phase, from the acceptance
    step(dossier.code, "xu_ly_ban_dau", {"classification": "accept"})
    accepted = step(dossier.code, "quyet_dinh_thu_ly", {"complexity": "especially_complex", "acceptance_number": "05"})
    facts = text_of(section(page_text(leader.get(f"/steps/{accepted.pk}/"))))
    assert "Giải quyết" in facts and "31/12/2026 17:00" in facts and "Đặc biệt phức tạp" in facts
    assert "Đã gia hạn 0/2 lần" in facts and "mỗi lần 30 ngày" in facts

    # an administrative dossier's step page has no such section
    desk = Actor(user=user("motcua.huyen"))
    permit = dossier_services.receive_dossier(procedure_code="giay-phep-xay-dung", unit_code=DISTRICT,
                                              applicant={"full_name": "Lê Văn Xây"}, actor=desk)
    item = permit.work_items.get(status="open")
    other = client_for(official_for(item.unit.code, item.role), f"/steps/{item.pk}/")
    assert 'data-testid="case-clock"' not in page_text(other.get(f"/steps/{item.pk}/"))


def test_the_leader_extends_twice_then_the_third_is_refused_at_the_field(demo):
    at("2026-12-01 09:00")
    dossier, item = denunciation("especially_complex")
    url = f"/steps/{item.pk}/extend/"
    leader = client_for("ct.huyen", f"/steps/{item.pk}/")

    blank = post(leader, url, {"extend-number": " ", "extend-reason": "Xác minh ở nhiều nơi"})
    assert blank.status_code == 400
    assert "số quyết định" in error_at(page_text(blank), "err-id_extend-number")
    assert 'aria-invalid="true"' in page_text(blank)
    no_reason = post(leader, url, {"extend-number": "10/QĐ-GH", "extend-reason": ""})
    assert no_reason.status_code == 400 and "lý do" in error_at(page_text(no_reason), "err-id_extend-reason")

    at("2026-12-10 09:00")
    done = post(leader, url, {"extend-number": "10/QĐ-GH", "extend-reason": "Xác minh ở nhiều nơi"})
    assert done.status_code == 302 and done.url == f"/steps/{item.pk}/#case-clock"
    page = page_text(leader.get(f"/steps/{item.pk}/"))
    assert "Đã gia hạn giải quyết" in page and "01/02/2027 17:00" in page  # the message
    rows = re.findall(r'<tr data-testid="case-decision">.*?</tr>', page, re.S)
    assert len(rows) == 1
    row = text_of(rows[0])
    for words in ("10/QĐ-GH", "Xác minh ở nhiều nơi", "Giải quyết", "lần 1", "30", "31/12/2026 17:00",
                  "01/02/2027 17:00", "Trần Văn Chủ", "10/12/2026 09:00"):
        assert words in row, words
    assert "Đã gia hạn 1/2 lần" in text_of(section(page))
    assert "Gia hạn giải quyết theo quyết định" in page  # the history names the event

    at("2027-01-20 09:00")
    assert post(leader, url, {"extend-number": "11/QĐ-GH", "extend-reason": "Nhiều người bị tố cáo"}).status_code \
        == 302
    page = section(page_text(leader.get(f"/steps/{item.pk}/")))
    assert len(re.findall(r'data-testid="case-decision"', page)) == 2 and "01/03/2027 17:00" in page
    # used up: no form, the reason why instead
    assert 'data-testid="extend-form"' not in page and 'data-testid="extensions-exhausted"' in page
    assert "đã gia hạn đủ 2 lần" in text_of(page)
    third = post(leader, url, {"extend-number": "12/QĐ-GH", "extend-reason": "Thêm lần nữa"})
    assert third.status_code == 409
    message = error_at(page_text(third), "err-id_extend-number")
    assert "Không gia hạn thêm được" in message and "tối đa 2 lần" in message and "đặc biệt phức tạp" in message
    assert CaseDecision.objects.filter(dossier=dossier).count() == 2
    assert Dossier.objects.get(pk=dossier.pk).due_at == vn("2027-03-01 17:00")


def test_others_are_refused_403_and_an_administrative_dossier_400(demo):
    at("2026-12-01 09:00")
    dossier, item = denunciation("complex")
    url = f"/steps/{item.pk}/extend/"
    data = {"extend-number": "10/QĐ-GH", "extend-reason": "Xác minh ở nhiều nơi"}
    for username in ("cv.thanhtra", "chanh.thanhtra", "motcua.huyen"):
        client = client_for(username, f"/steps/{item.pk}/")
        refused = post(client, url, data)
        assert refused.status_code == 403, username
        assert "Chỉ lãnh đạo đơn vị tiếp nhận" in page_text(refused)
    assert not CaseDecision.objects.filter(dossier=dossier).exists()
    # a commune's official does not see the step: 404
    outsider = client_for("motcua.hiepduc", "/inbox/")
    assert post(outsider, url, data).status_code == 404
    # an administrative dossier: not extended by decision
    permit = dossier_services.receive_dossier(procedure_code="giay-phep-xay-dung", unit_code=DISTRICT,
                                              applicant={"full_name": "Lê Văn Xây"},
                                              actor=Actor(user=user("motcua.huyen")))
    # a normal denunciation's resolution is not extended: said, no form
    normal, normal_item = denunciation("normal")
    facts = text_of(section(page_text(client_for("ct.huyen", f"/steps/{normal_item.pk}/")
                                      .get(f"/steps/{normal_item.pk}/"))))
    assert "Vụ việc thông thường: không được gia hạn" in facts and "Gia hạn giải quyết" not in facts
    permit_item = permit.work_items.get(status="open")
    leader = client_for("ct.huyen", f"/steps/{permit_item.pk}/")
    answer = post(leader, f"/steps/{permit_item.pk}/extend/", data)
    assert answer.status_code == 400 and "không gia hạn bằng quyết định" in page_text(answer)
    # without the CSRF token: refused before anything
    leader = client_for("ct.huyen", f"/steps/{item.pk}/")
    assert leader.post(url, data).status_code == 403
    assert not CaseDecision.objects.filter(dossier=dossier).exists()
