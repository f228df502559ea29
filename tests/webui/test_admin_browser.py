"""Unit administration end to end in real headless Chromium (tests/webui/browser.py): the commune's unit admin
appoints a substitute for the absent chairman; the substitute finds the chairman's signing step in their inbox and
completes it; the step page says "ký thay". Screenshots go to tests/artifacts/admin-*.png."""
import re

from processes.models import Substitution, WorkItem
from processes.services.dossiers import complete_work_item
from processes.services.events import Actor

from ..processes.helpers import at
from .helpers import open_step, receive, user
from .pages import fits_the_screen, shot, sign_in


def test_unit_admin_appoints_a_substitute_who_signs_the_chairmans_step(tdemo, browser, open_context, live_server):
    base = live_server.url
    expect = browser.expect
    at("2026-12-01 09:00")  # Tuesday
    dossier = receive("nhan-cha-me-con")
    complete_work_item(item_id=open_step(dossier).pk, actor=Actor(user=user("tuphap.hiepduc")),
                       data={"needs_verification": False})
    signing = open_step(dossier)
    assert signing.role == "signing_leader"

    # --- the commune's unit admin: the header's link, the officials, then the substitutes page
    admin = open_context().new_page()
    sign_in(admin, base, "quantri.hiepduc")
    expect(admin).to_have_url(base + "/inbox/")
    admin.get_by_role("navigation", name="Chức năng").get_by_role("link", name="Quản trị đơn vị").click()
    expect(admin).to_have_url(f"{base}/unit-admin/{tdemo['hiepduc'].pk}/")
    expect(admin.get_by_test_id("official-ct.hiepduc")).to_contain_text("Lãnh đạo ký duyệt")
    assert fits_the_screen(admin)
    shot(admin, "admin-01-officials", full_page=True)
    admin.get_by_role("link", name="Người thay thế").click()
    expect(admin.locator("h1")).to_contain_text("Người thay thế")
    form = admin.get_by_test_id("appoint-form")
    absent = "Chủ tịch UBND xã Hiệp Đức · Lãnh đạo ký duyệt · UBND xã Hiệp Đức"
    form.get_by_label("Người vắng mặt và vai trò được thay").select_option(label=absent)
    form.get_by_label("Người thay").select_option("tuphap.hiepduc")
    # a wrong date first: the message at the field, nothing saved
    form.get_by_label("Từ ngày").fill("30/11/2026")
    form.get_by_label("Đến hết ngày").fill("02/12/2026")
    form.get_by_label("Lý do").fill("Chủ tịch đi học tập trung")
    form.get_by_role("button", name="Cử người thay").click()
    expect(admin.locator("#err-starts_on")).to_contain_text("không được trước hôm nay")
    expect(admin.get_by_label("Từ ngày")).to_have_attribute("aria-invalid", "true")
    shot(admin, "admin-02-substitute-error", full_page=True)
    assert not Substitution.objects.exists()
    form = admin.get_by_test_id("appoint-form")
    form.get_by_label("Từ ngày").fill("01/12/2026")
    form.get_by_role("button", name="Cử người thay").click()
    expect(admin.locator(".message-success")).to_contain_text("Đã cử Tư pháp - hộ tịch Hiệp Đức thay Chủ tịch")
    substitution = Substitution.objects.get()
    expect(admin.get_by_test_id(f"substitution-{substitution.pk}")).to_contain_text("01/12/2026 – 02/12/2026")
    expect(admin.get_by_test_id(f"substitution-{substitution.pk}")).to_contain_text("Đang thay")
    assert fits_the_screen(admin)
    shot(admin, "admin-03-substitute-appointed", full_page=True)

    # --- the substitute: the chairman's step is in their inbox, they sign it
    deputy = open_context().new_page()
    sign_in(deputy, base, "tuphap.hiepduc")
    expect(deputy.locator(".roles")).to_contain_text("Lãnh đạo ký duyệt")
    deputy.get_by_role("link", name=re.compile("^Chưa ai nhận")).click()
    row = deputy.get_by_test_id(f"row-{signing.pk}")
    expect(row).to_contain_text(signing.name)
    shot(deputy, "admin-04-substitute-inbox")
    row.get_by_role("button", name=f"Nhận xử lý hồ sơ {dossier.code}").click()
    expect(deputy.locator(".message-success")).to_contain_text(f"Đã nhận xử lý bước “{signing.name}”")
    deputy.get_by_role("link", name=re.compile("^Của tôi")).click()
    deputy.get_by_test_id(f"row-{signing.pk}").get_by_role("link", name=dossier.code).click()
    expect(deputy).to_have_url(f"{base}/steps/{signing.pk}/")
    expect(deputy.locator("form[data-stepform]")).to_have_attribute("data-stepform-ready", "")
    viewer = deputy.get_by_test_id("stepform-viewer")
    viewer.get_by_role("radio", name="Có", exact=True).check()
    deputy.get_by_role("button", name="Hoàn thành bước").click()
    expect(deputy).to_have_url(base + "/inbox/")
    expect(deputy.locator(".message-success")).to_contain_text(f"Đã hoàn thành bước “{signing.name}”")
    done = WorkItem.objects.get(pk=signing.pk)
    assert done.status == "completed" and done.completed_by.username == "tuphap.hiepduc"
    assert done.completed_for.username == "ct.hiepduc"
    assert dossier.events.filter(kind="step_completed").latest("id").data_after["acting_for"] == "ct.hiepduc"

    # the step page and its history say whom they signed for
    deputy.goto(f"{base}/steps/{signing.pk}/")
    expect(deputy.locator(".history")).to_contain_text("ký thay Chủ tịch UBND xã Hiệp Đức")
    expect(deputy.locator(".step-main .facts")).to_contain_text("ký thay Chủ tịch UBND xã Hiệp Đức")
    assert fits_the_screen(deputy)
    shot(deputy, "admin-05-signed-for-the-chairman", full_page=True)

    # --- the admin's other pages: office hours with a wrong period, then moving work
    admin.get_by_role("link", name="Giờ làm việc và lịch").click()
    hours = admin.get_by_test_id("hours-form")
    hours.get_by_label("Buổi 1: từ").fill("07:30")
    hours.locator("#id_period_1_end").fill("11:30")
    hours.get_by_label("Buổi 2: từ").fill("11:00")
    hours.locator("#id_period_2_end").fill("17:00")
    hours.get_by_role("button", name="Lưu giờ làm việc").click()
    # the unit had the common hours: typed hours are not dropped silently, the box must be unticked
    expect(admin.locator("#err-use_default")).to_contain_text("bỏ chọn")
    admin.locator("#id_use_default").uncheck()
    admin.get_by_test_id("hours-form").get_by_role("button", name="Lưu giờ làm việc").click()
    expect(admin.locator("#err-period_2")).to_contain_text("không chồng nhau")
    expect(admin.get_by_test_id("new-steps-only")).to_be_visible()
    assert fits_the_screen(admin)
    shot(admin, "admin-06-office-hours-error", full_page=True)

    # the administration log on the officials page
    admin.get_by_role("link", name="Cán bộ và vai trò").click()
    expect(admin.locator(".admin-log")).to_contain_text("Cử người thay thế")
    expect(admin.locator(".admin-log")).to_contain_text("tuphap.hiepduc thay ct.hiepduc")
    shot(admin, "admin-07-officials-log", full_page=True)

    # the day after the period the substitute no longer sees the chairman's work
    at("2026-12-03 08:00")
    later = receive("nhan-cha-me-con")
    complete_work_item(item_id=open_step(later).pk, actor=Actor(user=user("tuphap.hiepduc")),
                       data={"needs_verification": False})
    deputy.goto(base + "/inbox/?tab=unclaimed")
    expect(deputy.get_by_test_id(f"row-{open_step(later).pk}")).to_have_count(0)
    expect(deputy.locator(".roles")).not_to_contain_text("Lãnh đạo ký duyệt")
