"""The one-stop desk end to end in headless Chromium (Debian's, via Playwright in its own thread): search the
catalogue with htmx, open the procedure, tick the checklist, upload a scan, receive; the code and the appointment are
shown at once; form 01 is fetched as PDF and its text checked (code, applicant, appointment, both copies). Then form 02
for an incomplete visit, a waiting fee at the dossier page (tablet width), the result returned, and the citizen's
public look-up. Screenshots in tests/artifacts/reception-*.png."""
import re

from processes.models import Attachment, Dossier, IntakeNotice
from processes.services.pdf import pdf_text

from ..processes.helpers import at
from ..processes.test_reception import PDF, finish
from .pages import ARTIFACTS, TABLET, VIEWPORT, fits_the_screen, shot, sign_in


def test_the_desk_receives_prints_form_01_asks_for_documents_takes_a_fee_and_returns(tdemo, browser, live_server,
                                                                                       tmp_path):
    base = live_server.url
    expect = browser.expect
    at("2026-12-01 09:00")  # Tuesday
    scan = tmp_path / "giay-chung-sinh.pdf"
    scan.write_bytes(PDF)

    context = browser.new_context(viewport=VIEWPORT, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, base, "motcua.hiepduc")
    expect(page).to_have_url(base + "/inbox/")
    page.get_by_role("link", name="Tiếp nhận hồ sơ").click()
    expect(page).to_have_url(base + "/reception/")
    expect(page.get_by_test_id("catalogue").locator("li")).to_have_count(4)
    shot(page, "reception-01-desk", full_page=True)

    # live filtering (htmx, debounced), without diacritics
    page.get_by_role("searchbox", name="Tìm thủ tục").fill("khai sinh")
    expect(page.get_by_test_id("catalogue").locator("li")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"/reception/\?q=khai"))
    shot(page, "reception-02-search")
    page.get_by_role("link", name="Đăng ký khai sinh").click()
    expect(page).to_have_url(base + "/reception/procedures/dang-ky-khai-sinh/")

    # the intake form: first sent without the checklist → the message at the checklist, nothing received
    page.get_by_label("Họ và tên người nộp").fill("Huỳnh Thị Mai")
    page.get_by_label("Số CCCD/CMND").fill("082195001122")
    page.get_by_label("Điện thoại").fill("0908111222")
    page.get_by_label("Địa chỉ").fill("Ấp Mỹ Hòa, xã Hiệp Đức")
    page.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    expect(page.locator("#err-documents")).to_contain_text("Tờ khai đăng ký khai sinh")
    expect(page.get_by_label("Họ và tên người nộp")).to_have_value("Huỳnh Thị Mai")  # kept
    assert not Dossier.objects.filter(applicant__full_name="Huỳnh Thị Mai").exists()
    shot(page, "reception-03-intake-missing", full_page=True)
    # keyboard: tick with Space
    page.get_by_label("Tờ khai đăng ký khai sinh").focus()
    page.keyboard.press("Space")
    page.get_by_label("Giấy chứng sinh").check()
    page.locator("#id_scan-1").set_input_files(str(scan))
    assert fits_the_screen(page)
    shot(page, "reception-04-intake-filled", full_page=True)
    page.get_by_role("button", name="Tiếp nhận hồ sơ").click()

    # the code and the appointment at once
    dossier = Dossier.objects.get(applicant__full_name="Huỳnh Thị Mai")
    expect(page).to_have_url(f"{base}/reception/dossiers/{dossier.code}/receipt/")
    expect(page.get_by_test_id("dossier-code")).to_have_text(dossier.code)
    expect(page.get_by_test_id("appointment")).to_have_text("01/12/2026 17:00")
    assert Attachment.objects.get(dossier=dossier).document == "Giấy chứng sinh"
    shot(page, "reception-05-received")

    # form 01 as PDF, with the browser's session
    href = page.get_by_test_id("form-01").get_attribute("href")
    response = context.request.get(base + href)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.body())
    pages = text.split("\f")
    assert len(pages) == 2
    for copy in pages:
        assert dossier.code in copy and "Huỳnh Thị Mai" in copy and "01/12/2026" in copy and "17" in copy
    assert "Liên 1: Giao người nộp hồ sơ" in pages[0]
    assert "Liên 2: Lưu tại Bộ phận Tiếp nhận và Trả kết quả" in re.sub(r"\s+", " ", pages[1])
    (ARTIFACTS / "reception-form-01.pdf").write_bytes(response.body())

    # an incomplete visit: form 02, no code
    page.goto(base + "/reception/procedures/nhan-cha-me-con/")
    page.get_by_label("Họ và tên người nộp").fill("Đoàn Văn Phúc")
    page.get_by_label("Tờ khai đăng ký nhận cha, mẹ, con").check()
    page.get_by_text("Giấy tờ khác cần bổ sung, hoàn thiện").click()
    page.get_by_label("Giấy tờ khác cần bổ sung 1").fill("Giấy xác nhận cư trú")
    page.get_by_label("Lý do 1", exact=True).fill("Để xác định thẩm quyền đăng ký")
    page.get_by_role("button", name="Yêu cầu bổ sung").click()
    notice = IntakeNotice.objects.get(applicant__full_name="Đoàn Văn Phúc")
    expect(page.get_by_test_id("notice-number")).to_have_text(notice.number)
    expect(page.get_by_test_id("notice-text")).to_contain_text("Chứng cứ chứng minh quan hệ cha, mẹ, con")
    expect(page.get_by_test_id("notice-text")).to_contain_text("Giấy xác nhận cư trú")
    shot(page, "reception-06-form-02", full_page=True)
    assert not Dossier.objects.filter(applicant__full_name="Đoàn Văn Phúc").exists()
    notice_pdf = context.request.get(base + page.get_by_test_id("notice-pdf").get_attribute("href"))
    assert "PHIẾU YÊU CẦU BỔ SUNG" in pdf_text(notice_pdf.body())

    # the workflow finishes; at tablet width the desk takes a waiting fee, then returns the result
    at("2026-12-01 10:00")
    finish(dossier)
    tablet = browser.new_context(viewport=TABLET, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    tablet.set_default_timeout(10_000)
    desk = tablet.new_page()
    sign_in(desk, base, "motcua.hiepduc", path="/reception/")
    expect(desk).to_have_url(base + "/reception/")
    desk.get_by_label("Mã hồ sơ").fill(dossier.code)
    desk.get_by_role("button", name="Mở hồ sơ").click()
    expect(desk).to_have_url(f"{base}/reception/dossiers/{dossier.code}/")
    expect(desk.get_by_test_id("status")).to_have_text("Đã xử lý xong")
    desk.get_by_label("Số tiền (đồng)").fill("-10")
    desk.get_by_role("button", name="Ghi nhận", exact=True).click()
    expect(desk.locator("#err-amount")).to_contain_text("âm")
    desk.get_by_label("Số tiền (đồng)").fill("8000")
    desk.get_by_label("Chờ nộp").check()
    desk.get_by_role("button", name="Ghi nhận", exact=True).click()
    expect(desk.get_by_test_id("status")).to_have_text("Chờ nộp phí, lệ phí")
    assert fits_the_screen(desk)
    shot(desk, "reception-07-dossier-fee-tablet", full_page=True)
    desk.get_by_placeholder("Số biên lai").first.fill("BL-0042")
    desk.get_by_role("button", name="Đã nộp", exact=True).click()
    expect(desk.get_by_test_id("status")).to_have_text("Đã xử lý xong")
    desk.get_by_role("button", name="Trả kết quả").click()
    expect(desk.get_by_test_id("status")).to_have_text("Đã trả kết quả")
    expect(desk.get_by_test_id("early")).to_be_visible()  # returned at 10:00, appointment 17:00
    shot(desk, "reception-08-returned-tablet", full_page=True)
    assert Dossier.objects.get(pk=dossier.pk).returned_by.username == "motcua.hiepduc"

    # the citizen's look-up from the QR code's address, without signing in
    public = browser.new_context(viewport=VIEWPORT, locale="vi-VN").new_page()
    public.goto(f"{base}/tra-cuu/?ma={dossier.code}")
    expect(public.get_by_test_id("lookup-status")).to_have_text("Đã trả kết quả")
    expect(public.get_by_test_id("lookup-result")).not_to_contain_text("Huỳnh Thị Mai")
    shot(public, "reception-09-public-lookup")
    public.get_by_label("Mã hồ sơ (trên giấy tiếp nhận)").fill("không-có-mã")
    public.get_by_role("button", name="Tra cứu").click()
    expect(public.get_by_test_id("not-found")).to_contain_text("Không tìm thấy hồ sơ")
    context.close()
    tablet.close()
