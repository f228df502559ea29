"""The printable forms' pages: a dossier's forms list and PDFs (only for officials who may see the dossier), the
register of the current unit for a period, the intake notices' PDFs, the nav link and the step page's card."""
import io
from datetime import timedelta

from django.test import Client
from pypdf import PdfReader

from processes.services import statutory
from processes.services.events import Actor
from processes.services.pdf import pdf_text

from ..processes.helpers import at
from .helpers import HIEPDUC, TAMBINH, open_step, receive, signed_in, user


def pdf_of(response):
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    data = b"".join(response.streaming_content) if response.streaming else response.content
    reader = PdfReader(io.BytesIO(data))
    box = reader.pages[0].mediabox
    return pdf_text(data), (round(float(box.width), 1), round(float(box.height), 1)), len(reader.pages)


def test_a_dossier_s_forms_are_listed_and_downloaded_as_pdf(demo):
    clock = at("2019-03-04 09:00")
    dossier = receive("nhan-cha-me-con")
    clock.set(clock.now() + timedelta(hours=1))
    statutory.request_supplementation(dossier.code, Actor(user=user("tuphap.hiepduc")),
                                      [{"name": "Giấy xác nhận ADN", "quantity": 1}], "Thiếu kết quả giám định")
    client = signed_in("tuphap.hiepduc")
    page = client.get(f"/dossiers/{dossier.code}/forms/")
    assert page.status_code == 200
    assert "Thông tư 01/2018/TT-VPCP" in page.text and dossier.code in page.text
    assert f"/dossiers/{dossier.code}/forms/01.pdf" in page.text
    assert f"/dossiers/{dossier.code}/forms/02.pdf?seq=1" in page.text
    assert f"/dossiers/{dossier.code}/forms/05.pdf" in page.text
    assert "/forms/03.pdf" not in page.text and "/forms/04.pdf" not in page.text

    receipt = client.get(f"/dossiers/{dossier.code}/forms/01.pdf")
    assert receipt["Content-Disposition"] == f'inline; filename="{dossier.code}-mau-01.pdf"'
    text, size, pages = pdf_of(receipt)
    assert size == (419.5, 595.3) and pages == 2 and "Liên 1" in text and "Liên 2" in text
    assert "Nguyễn Văn An" in text and "04/03/2019" in text

    supplement = client.get(f"/dossiers/{dossier.code}/forms/02.pdf?seq=1")
    assert supplement["Content-Disposition"] == f'inline; filename="{dossier.code}-mau-02-1.pdf"'
    text, size, _ = pdf_of(supplement)
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text and "Giấy xác nhận ADN" in text

    sheet = client.get(f"/dossiers/{dossier.code}/forms/05.pdf")
    text, size, _ = pdf_of(sheet)
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text and "Mẫu số 05 (Thông tư 01/2018/TT-VPCP)" in text
    # An auditor of the province sees it too.
    assert signed_in("thanhtra").get(f"/dossiers/{dossier.code}/forms/01.pdf").status_code == 200


def test_another_commune_s_official_gets_404(demo):
    at("2019-03-04 09:00")
    dossier = receive("nhan-cha-me-con")
    stranger = signed_in("tuphap.tambinh")
    for url in (f"/dossiers/{dossier.code}/forms/", f"/dossiers/{dossier.code}/forms/01.pdf",
                f"/dossiers/{dossier.code}/forms/05.pdf"):
        page = stranger.get(url)
        assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
        assert "Nguyễn Văn An" not in page.text and "Không có hồ sơ này" in page.text
    assert stranger.get("/dossiers/khong-co/forms/01.pdf").status_code == 404
    # Signed out: to the sign-in page.
    assert Client().get(f"/dossiers/{dossier.code}/forms/01.pdf").url.startswith("/login/")


def test_unknown_form_numbers_and_sequences_are_404_with_a_message(demo):
    at("2025-09-08 09:00")
    dossier = receive("nhan-cha-me-con")
    client = signed_in("motcua.hiepduc")
    page = client.get(f"/dossiers/{dossier.code}/forms/09.pdf")
    assert page.status_code == 404
    assert "không có mẫu số 09 theo Thông tư 03/2025/TT-VPCP" in page.text
    assert 'data-testid="forms-message"' in page.text
    # Under Circular 03/2025, 05 is the stop notice: not for a dossier still being processed; 06 is the control sheet.
    assert client.get(f"/dossiers/{dossier.code}/forms/05.pdf").status_code == 404
    text, size, _ = pdf_of(client.get(f"/dossiers/{dossier.code}/forms/06.pdf"))
    assert "Mẫu số 06 (Thông tư 03/2025/TT-VPCP)" in text
    page = client.get(f"/dossiers/{dossier.code}/forms/02.pdf")
    assert page.status_code == 404 and "không có mẫu số 02" in page.text
    assert client.get(f"/dossiers/{dossier.code}/forms/01.pdf?seq=2").status_code == 404
    assert "không hợp lệ" in client.get(f"/dossiers/{dossier.code}/forms/01.pdf?seq=x").text
    register = client.get(f"/dossiers/{dossier.code}/forms/07.pdf")
    assert register.status_code == 404 and "sổ theo dõi hồ sơ của đơn vị" in register.text


def test_the_stop_notice_of_a_withdrawn_2025_dossier(demo):
    clock = at("2025-09-08 09:00")
    dossier = receive("tro-cap-xa-hoi")
    clock.set(clock.now() + timedelta(hours=2))
    statutory.withdraw_dossier(dossier.code, Actor(user=user("motcua.hiepduc")), "Xin rút để bổ sung sau")
    client = signed_in("motcua.hiepduc")
    page = client.get(f"/dossiers/{dossier.code}/forms/")
    assert f"/dossiers/{dossier.code}/forms/05.pdf" in page.text and "Thông báo dừng giải quyết hồ sơ" in page.text
    response = client.get(f"/dossiers/{dossier.code}/forms/05.pdf")
    assert response["Content-Disposition"] == f'inline; filename="{dossier.code}-mau-05.pdf"'
    text, size, _ = pdf_of(response)
    assert "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ" in text and "Xin rút để bổ sung sau" in text
    assert "08/09/2025" in text and size == (419.5, 595.3)


def test_the_register_of_the_current_unit(demo):
    at("2019-03-04 09:00")
    mine = receive("nhan-cha-me-con")
    theirs = receive("nhan-cha-me-con", unit_code=TAMBINH)
    client = signed_in("motcua.hiepduc")
    form = client.get("/register/")
    assert form.status_code == 200 and 'name="from"' in form.text and 'name="to"' in form.text
    assert 'href="/register/"' in form.text and 'aria-current="page"' in form.text  # the nav link
    response = client.get("/register/?from=01/03/2019&to=31/03/2019")
    assert response["Content-Disposition"] == \
        f'inline; filename="{HIEPDUC}-mau-06-20190301-20190331.pdf"'
    text, size, _ = pdf_of(response)
    assert size == (841.9, 595.3)  # A4 landscape
    assert "SỔ THEO DÕI HỒ SƠ" in text and "Từ ngày 01/03/2019 đến ngày 31/03/2019" in text
    assert mine.code in text.replace("\n", "") and theirs.code not in text.replace("\n", "")
    assert "Mẫu số 06 (Thông tư 01/2018/TT-VPCP)" in text
    # A period ending after 01/07/2025 prints form 07 of Circular 03/2025.
    text, _, _ = pdf_of(client.get("/register/?from=01/07/2025&to=31/07/2025"))
    assert "Mẫu số 07 (Thông tư 03/2025/TT-VPCP)" in text and "Không có hồ sơ nào" in text


def test_bad_register_dates_get_a_message_at_the_field(demo):
    client = signed_in("motcua.hiepduc")
    page = client.get("/register/?from=32/01/2019&to=31/01/2019")
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")
    assert 'id="err-from"' in page.text and "dd/mm/yyyy" in page.text and 'id="err-to"' not in page.text
    assert 'value="32/01/2019"' in page.text  # what was typed stays in the field
    page = client.get("/register/?from=01/02/2019&to=2019-02-28")
    assert page.status_code == 400 and 'id="err-to"' in page.text and 'id="err-from"' not in page.text
    page = client.get("/register/?from=01/03/2019&to=01/02/2019")
    assert page.status_code == 400 and "Ngày kết thúc phải từ ngày bắt đầu trở đi" in page.text
    page = client.get("/register/?from=01/01/2019&to=31/03/2021")
    assert page.status_code == 400 and "tối đa một năm" in page.text
    page = client.get("/register/?from=&to=")
    assert page.status_code == 400 and 'id="err-from"' in page.text and 'id="err-to"' in page.text


def test_the_step_page_links_to_the_dossier_s_forms(demo):
    at("2019-03-04 09:00")
    dossier = receive("nhan-cha-me-con")
    item = open_step(dossier)
    page = signed_in("tuphap.hiepduc").get(f"/steps/{item.pk}/")
    assert page.status_code == 200
    assert 'data-testid="forms-card"' in page.text and f'href="/dossiers/{dossier.code}/forms/"' in page.text


def test_intake_notices_are_printable_by_officials_of_their_unit_only(demo):
    from processes.services import reception

    at("2025-09-08 09:00")
    notice = reception.issue_refusal_notice(
        unit_code=HIEPDUC, procedure_code="nhan-cha-me-con",
        applicant={"full_name": "Phạm Thị Hoa", "phone": "0911222333"}, channel=1,
        reasons=["Không thuộc thẩm quyền giải quyết của UBND xã"], actor=Actor(user=user("motcua.hiepduc")))
    url = f"/intake-notices/{notice.pk}.pdf"
    for username in ("motcua.hiepduc", "ct.hiepduc"):
        text, size, _ = pdf_of(signed_in(username).get(url))
        assert "Phạm Thị Hoa" in text and "Không thuộc thẩm quyền" in text and size == (419.5, 595.3)
        assert "Thông tư 03/2025/TT-VPCP" in text
    for username in ("motcua.tambinh", "tp.tuphap"):
        page = signed_in(username).get(url)
        assert page.status_code == 404 and "Phạm Thị Hoa" not in page.text
    assert signed_in("motcua.hiepduc").get("/intake-notices/999999999.pdf").status_code == 404
