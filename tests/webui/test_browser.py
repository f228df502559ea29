"""End to end in real headless Chromium (Debian's, driven by Playwright with executable_path) against the pages
served by pytest-django's live_server. The browser runs in its own thread (tests/webui/browser.py); this thread does
the database work before, between and after the browser's steps. Screenshots go to tests/artifacts/."""
import re
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.utils import timezone

from processes.models import AdministrativeUnit, Dossier, Membership, WorkItem

from ..processes.helpers import at
from .helpers import TAMBINH, open_step, receive
from .pages import fits_the_screen, shot, sign_in

User = get_user_model()


def test_specialist_claims_and_completes_the_chairman_signs_others_get_404(tdemo, browser, open_context, live_server):
    base = live_server.url
    expect = browser.expect
    # --- the data, in this thread
    at("2026-12-01 08:00")  # Tuesday
    late = receive("dang-ky-khai-sinh")  # due 01/12 17:00: overdue tomorrow
    at("2026-12-02 09:00")
    first = receive("nhan-cha-me-con")
    soon = receive("chung-thuc-ban-sao", channel=2)  # due today 17:00
    marked = receive("nhan-cha-me-con", applicant={"full_name": "Trần Thị Bình"})
    Dossier.objects.filter(pk=marked.pk).update(reappointments=1, flags=["late_without_explanation"])
    receive("nhan-cha-me-con", unit_code=TAMBINH)
    item = open_step(first)

    # --- the commune's specialist: sign in, the inbox and its counts
    specialist = open_context().new_page()
    specialist.goto(base + "/")
    expect(specialist).to_have_url(re.compile(r"/login/$"))
    shot(specialist, "01-sign-in")
    sign_in(specialist, base, "tuphap.hiepduc")
    expect(specialist).to_have_url(base + "/inbox/")
    expect(specialist.get_by_test_id("current-unit")).to_have_text("UBND xã Hiệp Đức")
    expect(specialist.locator(".roles")).to_contain_text("Chuyên viên")
    for tab, count in {"mine": "0", "unclaimed": "4", "due_soon": "1", "overdue": "1"}.items():
        expect(specialist.get_by_test_id(f"count-{tab}")).to_have_text(count)
    specialist.get_by_role("link", name=re.compile("^Chưa ai nhận")).click()  # htmx swaps the list
    expect(specialist).to_have_url(re.compile(r"tab=unclaimed"))
    expect(specialist.locator("tbody tr")).to_have_count(4)
    expect(specialist.get_by_test_id(f"row-{late.work_items.get().pk}")).to_contain_text("Quá hạn")
    expect(specialist.get_by_test_id(f"row-{open_step(soon).pk}")).to_contain_text("Sắp đến hạn")
    expect(specialist.get_by_test_id(f"row-{open_step(marked).pk}")).to_contain_text("Trễ hạn chưa giải trình")
    expect(specialist.get_by_test_id(f"row-{item.pk}")).to_contain_text("Trong hạn")
    assert fits_the_screen(specialist)
    shot(specialist, "02-inbox-unclaimed")

    # claim (htmx POST with the CSRF token; the list refreshes itself and says what happened)
    specialist.get_by_role("button", name=f"Nhận xử lý hồ sơ {first.code}").click()
    expect(specialist.locator(".message-success")).to_contain_text(
        f"Đã nhận xử lý bước “Kiểm tra hồ sơ” của hồ sơ {first.code}")
    expect(specialist.get_by_test_id("count-mine")).to_have_text("1")
    expect(specialist.get_by_test_id("count-unclaimed")).to_have_text("3")
    assert WorkItem.objects.get(pk=item.pk).claimed_by.username == "tuphap.hiepduc"
    specialist.get_by_role("link", name=re.compile("^Của tôi")).click()
    expect(specialist.locator("tbody tr")).to_have_count(1)
    shot(specialist, "03-inbox-mine-after-claim")

    # the step page: dossier, applicant, history; completing without the answer → the message at the field
    specialist.get_by_role("link", name=first.code).click()
    expect(specialist).to_have_url(f"{base}/steps/{item.pk}/")
    expect(specialist.get_by_test_id("dossier-code")).to_have_text(first.code)
    expect(specialist.locator(".step-side")).to_contain_text("Nguyễn Văn An")
    expect(specialist.locator(".step-side")).to_contain_text("02/12/2026 09:00")
    expect(specialist.locator(".history")).to_contain_text("Nhận xử lý")
    assert fits_the_screen(specialist)
    shot(specialist, "04-step", full_page=True)
    # the step's form-js form (bpmn/nhan_cha_me_con.bpmn), rendered by form-js's Viewer; tests/webui/
    # test_step_form_browser.py checks the server's messages and the plain form without JavaScript
    viewer = specialist.get_by_test_id("stepform-viewer")
    expect(specialist.locator("form[data-stepform]")).to_have_attribute("data-stepform-ready", "")
    specialist.get_by_role("button", name="Hoàn thành bước").click()
    error = viewer.locator(".fjs-form-field-error")
    expect(error).to_have_text("Hãy chọn một phương án.")
    expect(viewer.get_by_role("radio", name="Có", exact=True)).to_be_focused()  # the first unanswered field
    expect(viewer.get_by_role("radio", name="Có", exact=True)).to_have_attribute("aria-invalid", "true")
    shot(specialist, "05-step-missing-field", full_page=True)
    assert WorkItem.objects.get(pk=item.pk).status == "open"
    # keyboard only: focus the "no" answer, choose it, submit
    viewer.get_by_role("radio", name="Không", exact=True).focus()
    specialist.keyboard.press("Space")
    expect(viewer.get_by_role("radio", name="Không", exact=True)).to_be_checked()
    specialist.get_by_role("button", name="Hoàn thành bước").press("Enter")
    expect(specialist).to_have_url(base + "/inbox/")
    expect(specialist.locator(".message-success")).to_contain_text(
        f"Đã hoàn thành bước “Kiểm tra hồ sơ” của hồ sơ {first.code}")
    shot(specialist, "06-completed")
    done = WorkItem.objects.get(pk=item.pk)
    assert done.status == "completed" and done.completed_by.username == "tuphap.hiepduc"
    next_step = open_step(first)
    assert next_step.role == "signing_leader"

    # --- the chairman sees the next step; the list refreshes itself every minute
    chairman_context = open_context()
    chairman = chairman_context.new_page()
    chairman.clock.install()
    sign_in(chairman, base, "ct.hiepduc")
    expect(chairman.locator(".roles")).to_contain_text("Lãnh đạo ký duyệt")
    expect(chairman.locator(".roles")).to_contain_text("Lãnh đạo đơn vị")
    chairman.get_by_role("link", name=re.compile("^Chưa ai nhận")).click()
    row = chairman.get_by_test_id(f"row-{next_step.pk}")
    expect(row).to_contain_text(next_step.name)
    expect(row.get_by_role("button", name=f"Nhận xử lý hồ sơ {first.code}")).to_be_visible()
    # a leader reassigns the specialists' steps: a select of the officials holding that role in that unit
    expect(chairman.get_by_label(f"Giao hồ sơ {soon.code} cho")).to_be_visible()
    shot(chairman, "07-chairman-unclaimed")
    chairman.get_by_label(f"Giao hồ sơ {soon.code} cho").select_option("tuphap.hiepduc")
    chairman.get_by_test_id(f"row-{open_step(soon).pk}").get_by_role("button", name="Giao").click()
    expect(chairman.locator(".message-success")).to_contain_text("cho Tư pháp - hộ tịch Hiệp Đức")
    expect(chairman.get_by_test_id(f"row-{open_step(soon).pk}")).to_have_count(0)  # no longer unclaimed
    assert open_step(soon).claimed_by.username == "tuphap.hiepduc"
    before = chairman.get_by_test_id("count-unclaimed").inner_text()
    receive("nhan-cha-me-con")  # a new dossier arrives while the page is open
    chairman.clock.run_for(61_000)
    expect(chairman.get_by_test_id("count-unclaimed")).to_have_text(str(int(before) + 1))

    # --- an official of another commune opening that step's URL: 404
    stranger = open_context().new_page()
    sign_in(stranger, base, "tuphap.tambinh")
    expect(stranger).to_have_url(base + "/inbox/")
    response = stranger.goto(f"{base}/steps/{item.pk}/")
    assert response.status == 404
    expect(stranger.locator("h1")).to_have_text("Không tìm thấy trang này")
    shot(stranger, "08-other-commune-404")
    response = stranger.goto(f"{base}/steps/{next_step.pk}/")
    assert response.status == 404


def test_lockout_expired_session_in_htmx_and_language_switch(tdemo, browser, open_context, live_server):
    base = live_server.url
    expect = browser.expect
    at("2026-12-02 09:00")
    receive("nhan-cha-me-con")

    # five wrong passwords lock that username from this address only
    page = open_context().new_page()
    for attempt in range(1, 6):
        sign_in(page, base, "motcua.tambinh", password=f"wrong-{attempt}")
        if attempt < 5:
            expect(page.locator(".message-error")).to_contain_text("không đúng")
    expect(page.get_by_test_id("locked-out")).to_contain_text("bị tạm khóa")
    expect(page.get_by_label("Tên đăng nhập")).to_have_value("motcua.tambinh")
    shot(page, "09-locked-out")
    sign_in(page, base, "motcua.tambinh")  # the right password does not help now
    expect(page.get_by_test_id("locked-out")).to_be_visible()
    sign_in(page, base, "ct.tambinh")  # another username from the same address
    expect(page).to_have_url(base + "/inbox/")
    expect(page.get_by_test_id("current-unit")).to_have_text("UBND xã Tam Bình")

    # an official of two units switches between them in the header; the choice stays in the session
    Membership.objects.create(user=User.objects.get(username="tuphap.hiepduc"),
                              unit=AdministrativeUnit.objects.get(code=TAMBINH), role="signing_leader")
    page = open_context().new_page()
    sign_in(page, base, "tuphap.hiepduc")
    expect(page.get_by_label("Đơn vị làm việc")).to_have_value(str(tdemo["hiepduc"].pk))
    expect(page.locator(".roles")).to_have_text("Chuyên viên")
    page.get_by_label("Đơn vị làm việc").select_option(label="UBND xã Tam Bình")
    page.get_by_role("button", name="Chuyển đơn vị").click()
    expect(page.locator(".message-success")).to_contain_text("Đang làm việc tại UBND xã Tam Bình")
    expect(page.locator(".roles")).to_have_text("Lãnh đạo ký duyệt")
    expect(page.locator("h1")).to_contain_text("UBND xã Tam Bình")
    shot(page, "10-unit-switched")
    page.reload()
    expect(page.get_by_label("Đơn vị làm việc")).to_have_value(str(tdemo["tambinh"].pk))
    page.get_by_label("Đơn vị làm việc").select_option(label="UBND xã Hiệp Đức")
    page.get_by_role("button", name="Chuyển đơn vị").click()
    expect(page.locator(".roles")).to_have_text("Chuyên viên")

    # an htmx request after the session expired → the sign-in page, then back to the same page
    page.get_by_role("link", name=re.compile("^Chưa ai nhận")).click()
    expect(page).to_have_url(re.compile(r"/inbox/\?tab=unclaimed$"))
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    page.get_by_role("link", name=re.compile("^Sắp đến hạn")).click()  # an htmx GET
    expect(page).to_have_url(re.compile(r"/login/\?next=/inbox/%3Ftab%3Dunclaimed$"))
    expect(page.locator(".hint")).to_be_visible()
    shot(page, "11-session-expired")
    page.get_by_label("Tên đăng nhập").fill("tuphap.hiepduc")
    page.get_by_label("Mật khẩu").fill("pw")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(base + "/inbox/?tab=unclaimed")
    expect(page.get_by_test_id("count-unclaimed")).to_have_text("1")

    # an htmx action the server refuses (here: the CSRF cookie is gone) says so instead of doing nothing
    page.context.clear_cookies(name="csrftoken")
    page.locator("tbody").get_by_role("button", name=re.compile("^Nhận xử lý hồ sơ")).click()
    expect(page.locator("#request-error")).to_contain_text("mã 403")
    shot(page, "12-request-refused")
    page.reload()
    expect(page.locator("#request-error")).to_be_hidden()

    # the language switch: English, then back to Vietnamese
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_contain_text("Inbox")
    expect(page.locator(".roles")).to_contain_text("Specialist")
    expect(page).to_have_url(base + "/inbox/?tab=unclaimed")
    shot(page, "13-english")
    page.get_by_role("link", name=re.compile("^Unclaimed")).click()
    expect(page.locator("tbody tr")).to_have_count(1)
    page.locator("tbody a.dossier-code").click()
    expect(page.locator("#history-title")).to_have_text("History")
    shot(page, "14-english-step", full_page=True)
    page.get_by_role("button", name="Tiếng Việt").click()
    expect(page.locator("html")).to_have_attribute("lang", "vi")
