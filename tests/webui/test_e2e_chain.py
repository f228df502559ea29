"""The whole chain in headless Chromium, as the officials do it: the one-stop desk receives a dossier (form 01) →
the specialist claims it from the inbox and completes the check → the session expires while the chairman is signing,
the form comes back after signing in, he signs → the desk returns the result at the counter (form 05 control sheet
printed) → the citizen's look-up shows it returned. Screenshots: tests/artifacts/chain-*.png."""
import re
from datetime import timedelta

from django.contrib.sessions.models import Session
from django.utils import timezone

from processes.models import Dossier, WorkItem
from processes.services.pdf import pdf_text

from ..processes.helpers import at
from .pages import TABLET, VIEWPORT, fits_the_screen, shot, sign_in


def new_page(browser, viewport=VIEWPORT):
    context = browser.new_context(viewport=viewport, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(10_000)
    return context.new_page()


def test_reception_specialist_chairman_and_return_at_the_counter(tdemo, browser, live_server):
    base = live_server.url
    expect = browser.expect
    at("2026-12-01 08:30")  # Tuesday

    # --- the one-stop desk: catalogue → checklist → receive
    desk = new_page(browser)
    sign_in(desk, base, "motcua.hiepduc", path="/reception/")
    expect(desk).to_have_url(base + "/reception/")
    desk.get_by_role("searchbox", name="Tìm thủ tục").fill("nhan cha me")
    desk.get_by_role("link", name="Đăng ký nhận cha, mẹ, con").click()
    desk.get_by_label("Họ và tên người nộp").fill("Lê Văn Tâm")
    desk.get_by_label("Số CCCD/CMND").fill("082088004455")
    desk.get_by_label("Điện thoại").fill("0903555666")
    desk.get_by_label("Địa chỉ").fill("Ấp Hòa Bình, xã Hiệp Đức")
    desk.get_by_label("Tờ khai đăng ký nhận cha, mẹ, con").check()
    desk.get_by_label("Chứng cứ chứng minh quan hệ cha, mẹ, con").check()
    desk.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    dossier = Dossier.objects.get(applicant__full_name="Lê Văn Tâm")
    expect(desk.get_by_test_id("dossier-code")).to_have_text(dossier.code)
    expect(desk.get_by_test_id("appointment")).to_have_text("04/12/2026 08:30")  # 3 working days
    shot(desk, "chain-01-received")
    receipt = desk.context.request.get(base + desk.get_by_test_id("form-01").get_attribute("href"))
    assert "Lê Văn Tâm" in pdf_text(receipt.body()) and dossier.regime.code == "nd118-2025"

    # --- the specialist: the new dossier is in "unclaimed"; claim, open, answer with the keyboard, complete
    at("2026-12-01 09:15")
    specialist = new_page(browser)
    sign_in(specialist, base, "tuphap.hiepduc")
    specialist.get_by_role("link", name=re.compile("^Chưa ai nhận")).click()
    specialist.get_by_role("button", name=f"Nhận xử lý hồ sơ {dossier.code}").click()
    expect(specialist.get_by_test_id("count-mine")).to_have_text("1")
    specialist.get_by_role("link", name=re.compile("^Của tôi")).click()
    specialist.get_by_role("link", name=dossier.code).click()
    expect(specialist.locator("form[data-stepform]")).to_have_attribute("data-stepform-ready", "")
    viewer = specialist.get_by_test_id("stepform-viewer")
    viewer.get_by_role("radio", name="Không", exact=True).check()
    shot(specialist, "chain-02-specialist-step", full_page=True)
    specialist.get_by_role("button", name="Hoàn thành bước").click()
    expect(specialist).to_have_url(base + "/inbox/")
    expect(specialist.locator(".message-success")).to_contain_text(dossier.code)

    # --- the chairman signs; his session expires with the form filled in: nothing lost, nothing done
    at("2026-12-02 10:00")
    signing = dossier.work_items.get(status="open")
    assert signing.role == "signing_leader"
    chairman = new_page(browser, TABLET)
    sign_in(chairman, base, "ct.hiepduc", path=f"/steps/{signing.pk}/")
    expect(chairman).to_have_url(f"{base}/steps/{signing.pk}/")
    assert fits_the_screen(chairman)
    chairman.get_by_role("button", name="Nhận xử lý").click()
    expect(chairman.locator("form[data-stepform]")).to_have_attribute("data-stepform-ready", "")
    chairman.get_by_test_id("stepform-viewer").get_by_role("radio", name="Có", exact=True).check()
    Session.objects.filter(expire_date__gt=timezone.now()).update(expire_date=timezone.now() - timedelta(seconds=1))
    chairman.get_by_role("button", name="Hoàn thành bước").click()
    expect(chairman).to_have_url(re.compile(r"/login/\?next="))
    assert WorkItem.objects.get(pk=signing.pk).status == "open"
    chairman.get_by_label("Tên đăng nhập").fill("ct.hiepduc")
    chairman.get_by_label("Mật khẩu").fill("pw")
    chairman.get_by_role("button", name="Đăng nhập").click()
    expect(chairman).to_have_url(f"{base}/steps/{signing.pk}/")
    expect(chairman.locator("#unsent-form-notice")).to_be_visible()
    expect(chairman.get_by_test_id("stepform-viewer").get_by_role("radio", name="Có", exact=True)).to_be_checked()
    shot(chairman, "chain-03-chairman-form-kept-tablet", full_page=True)
    chairman.get_by_role("button", name="Hoàn thành bước").click()
    expect(chairman).to_have_url(base + "/inbox/")
    dossier.refresh_from_db()
    assert dossier.status == "processed" and dossier.outcome

    # --- the desk returns the result at the counter, before the appointment (noted as early)
    at("2026-12-03 14:00")
    sign_in(desk, base, "motcua.hiepduc", path=f"/reception/dossiers/{dossier.code}/")
    expect(desk.get_by_test_id("status")).to_have_text("Đã xử lý xong")
    desk.get_by_role("button", name="Trả kết quả").click()
    expect(desk.get_by_test_id("status")).to_have_text("Đã trả kết quả")
    expect(desk.get_by_test_id("early")).to_be_visible()
    shot(desk, "chain-04-returned", full_page=True)
    dossier.refresh_from_db()
    assert dossier.returned_by.username == "motcua.hiepduc" and dossier.status == "returned"

    # the control sheet lists every hand-over with its verdict; the dossier's forms page offers it
    desk.goto(f"{base}/dossiers/{dossier.code}/forms/")
    shot(desk, "chain-05-forms")
    sheet = desk.context.request.get(f"{base}/dossiers/{dossier.code}/forms/06.pdf")
    assert sheet.status == 200
    text = re.sub(r"\s+", " ", pdf_text(sheet.body()))
    assert dossier.code in text and "Kiểm tra hồ sơ" in text and "Trước hạn" in text

    # --- the citizen's look-up
    public = new_page(browser)
    public.goto(f"{base}/tra-cuu/?ma={dossier.code}")
    expect(public.get_by_test_id("lookup-status")).to_have_text("Đã trả kết quả")
    for page in (desk, specialist, chairman, public):
        page.context.close()
