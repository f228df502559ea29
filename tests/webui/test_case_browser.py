"""A denunciation end to end in headless Chromium (Debian's, via Playwright in its own thread): the district's desk
receives it with its content; the inspection's specialist classifies it "accept"; the chairman accepts it as
especially complex; the step page shows the resolution phase and its due time; the chairman extends it twice by
decision from the page, and a third extension, sent from a page opened before the second, is refused with the reason
at the decision number. Screenshots: /tmp/shots/case_*.png.

Instants as in tests/processes/test_case_clocks.py: initial handling 7 working days from Tuesday 01/12/2026 09:00;
resolution 30 days from the acceptance on 04/12 (Sunday 03/01/2027 → Monday 04/01 17:00), +30 days per extension."""
from pathlib import Path

from processes.models import CaseDecision, Dossier, WorkItem
from processes.services import forms as form_services

from ..processes.helpers import at
from .pages import VIEWPORT, fits_the_screen, sign_in

SHOTS = Path("/tmp/shots")


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"case_{name}.png"), full_page=True)


def open_item(dossier, bpmn_id):
    return WorkItem.objects.get(dossier=dossier, bpmn_id=bpmn_id)


def test_a_denunciation_is_received_classified_accepted_and_extended_twice_not_three_times(
        tdemo, browser, open_context, live_server):
    base = live_server.url
    expect = browser.expect
    errors = []

    def signed_in(username, path, **options):
        page = open_context(locale="vi-VN", **options).new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        sign_in(page, base, username, path=path)
        return page

    # the desk receives the denunciation
    at("2026-12-01 09:00")  # Tuesday
    desk = signed_in("motcua.huyen", "/reception/")
    expect(desk).to_have_url(base + "/reception/")
    # a complaint's intake asks whether the complainant lives in a remote area
    desk.goto(base + "/reception/procedures/khieu-nai-lan-dau/")
    remote = desk.get_by_role("checkbox", name="Người khiếu nại ở vùng sâu, vùng xa, đi lại khó khăn")
    expect(remote).not_to_be_checked()
    remote.check()
    shot(desk, "00_complaint_intake")
    desk.goto(base + "/reception/")
    desk.get_by_role("searchbox", name="Tìm thủ tục").fill("to cao")
    desk.get_by_role("link", name="Giải quyết tố cáo").click()
    expect(desk).to_have_url(base + "/reception/procedures/to-cao/")
    expect(desk.get_by_test_id("case-kind")).to_have_text("Tố cáo")
    desk.get_by_label("Họ và tên người tố cáo").fill("Trương Văn Tố")
    desk.get_by_label("Điện thoại").fill("0909555666")
    desk.get_by_label("Đơn tố cáo hoặc biên bản ghi nội dung tố cáo").check()
    desk.get_by_role("button", name="Tiếp nhận đơn").click()
    expect(desk.locator("#err-content")).to_contain_text("nội dung tố cáo")  # the content is required
    assert not Dossier.objects.filter(procedure__code="to-cao").exists()
    desk.get_by_role("textbox", name="Nội dung tố cáo").fill("Tố cáo cán bộ địa chính xã nhận tiền khi đo đạc đất.")
    desk.get_by_label("Đơn tố cáo hoặc biên bản ghi nội dung tố cáo").check()
    assert fits_the_screen(desk)
    shot(desk, "01_intake")
    desk.get_by_role("button", name="Tiếp nhận đơn").click()
    dossier = Dossier.objects.get(procedure__code="to-cao")
    expect(desk).to_have_url(f"{base}/reception/dossiers/{dossier.code}/receipt/")
    expect(desk.get_by_role("heading", name="Đã tiếp nhận đơn tố cáo")).to_be_visible()
    expect(desk.get_by_test_id("appointment")).to_have_text("10/12/2026 09:00")
    assert dossier.data["content"] == "Tố cáo cán bộ địa chính xã nhận tiền khi đo đạc đất."
    shot(desk, "02_receipt")
    printed = desk.context.request.get(base + desk.get_by_test_id("form-01").get_attribute("href"))
    assert printed.status == 200 and printed.headers["content-type"] == "application/pdf"
    receipt = desk.context.new_page()  # the printed receipt's HTML, to look at
    receipt.set_content(form_services.form_01(dossier).html)
    expect(receipt.locator("p.title").first).to_have_text("GIẤY TIẾP NHẬN ĐƠN TỐ CÁO")
    shot(receipt, "02b_receipt_printed")
    receipt.close()

    # the inspection's specialist classifies it: accept
    at("2026-12-03 09:00")
    classify = open_item(dossier, "xu_ly_ban_dau")
    specialist = signed_in("cv.thanhtra", f"/steps/{classify.pk}/", viewport=VIEWPORT)
    expect(specialist).to_have_url(f"{base}/steps/{classify.pk}/")
    clock = specialist.get_by_test_id("case-clock")
    expect(clock.get_by_test_id("case-kind")).to_have_text("Tố cáo")
    expect(clock.get_by_test_id("case-phase")).to_have_text("Xử lý ban đầu")
    expect(clock.get_by_test_id("case-due")).to_have_text("10/12/2026 09:00")
    expect(clock.get_by_test_id("extend-form")).to_have_count(0)  # not a leader
    expect(specialist.locator("form[data-stepform]")).to_have_attribute("data-stepform-ready", "")
    viewer = specialist.get_by_test_id("stepform-viewer")  # form-js's Viewer (the plain fallback is hidden)
    viewer.get_by_role("radio", name="Thuộc thẩm quyền, đủ điều kiện thụ lý").check()
    shot(specialist, "03_classify")
    specialist.get_by_role("button", name="Hoàn thành bước").click()
    expect(specialist).to_have_url(base + "/inbox/")
    assert WorkItem.objects.get(pk=classify.pk).status == "completed"

    # the chairman accepts it as especially complex: the resolution phase starts
    at("2026-12-04 10:00")
    accept = open_item(dossier, "quyet_dinh_thu_ly")
    leader = signed_in("ct.huyen", f"/steps/{accept.pk}/", viewport=VIEWPORT)
    expect(leader).to_have_url(f"{base}/steps/{accept.pk}/")
    expect(leader.locator("form[data-stepform]")).to_have_attribute("data-stepform-ready", "")
    viewer = leader.get_by_test_id("stepform-viewer")  # form-js's Viewer (the plain fallback is hidden)
    viewer.get_by_role("textbox", name="Số quyết định thụ lý").fill("05/QĐ-UBND")
    viewer.get_by_role("radio", name="Đặc biệt phức tạp").check()
    leader.get_by_role("button", name="Hoàn thành bước").click()
    expect(leader).to_have_url(base + "/inbox/")
    leader.goto(f"{base}/steps/{accept.pk}/")
    clock = leader.get_by_test_id("case-clock")
    expect(clock.get_by_test_id("case-phase")).to_have_text("Giải quyết")
    expect(clock.get_by_test_id("case-due")).to_have_text("04/01/2027 17:00")
    expect(clock.get_by_test_id("case-complexity")).to_have_text("Đặc biệt phức tạp")
    expect(clock.get_by_test_id("case-extensions")).to_contain_text("Đã gia hạn 0/2 lần")
    expect(clock.get_by_test_id("no-decisions")).to_be_visible()
    clock.scroll_into_view_if_needed()
    shot(leader, "04_resolution")

    # first extension: blank number first, answered at the field
    at("2026-12-28 09:00")
    form = leader.get_by_test_id("extend-form")
    form.get_by_label("Lý do gia hạn").fill("Xác minh ở nhiều nơi")
    form.get_by_role("button", name="Gia hạn giải quyết").click()
    expect(leader.locator("#err-id_extend-number")).to_contain_text("số quyết định")
    expect(leader.get_by_label("Số quyết định gia hạn")).to_be_focused()
    expect(leader.get_by_label("Lý do gia hạn")).to_have_value("Xác minh ở nhiều nơi")  # kept
    shot(leader, "05_extend_blank")
    leader.get_by_label("Số quyết định gia hạn").fill("10/QĐ-GH")
    leader.get_by_test_id("extend-form").get_by_role("button", name="Gia hạn giải quyết").click()
    expect(leader).to_have_url(f"{base}/steps/{accept.pk}/#case-clock")
    expect(leader.locator(".message-success")).to_contain_text("hạn mới 02/02/2027 17:00")
    clock = leader.get_by_test_id("case-clock")
    expect(clock.get_by_test_id("case-due")).to_have_text("02/02/2027 17:00")
    expect(clock.get_by_test_id("case-decision")).to_have_count(1)
    expect(clock.get_by_test_id("case-decision")).to_contain_text("10/QĐ-GH")
    expect(clock.get_by_test_id("case-extensions")).to_contain_text("Đã gia hạn 1/2 lần")
    shot(leader, "06_extended_once")

    # a second page opened now still shows the form after the second extension
    stale = leader.context.new_page()
    stale.goto(f"{base}/steps/{accept.pk}/")
    expect(stale.get_by_test_id("extend-form")).to_be_visible()

    at("2027-01-25 09:00")
    leader.get_by_label("Số quyết định gia hạn").fill("11/QĐ-GH")
    leader.get_by_label("Lý do gia hạn").fill("Nhiều người bị tố cáo, nhiều nội dung")
    leader.get_by_test_id("extend-form").get_by_role("button", name="Gia hạn giải quyết").click()
    expect(leader.locator(".message-success")).to_contain_text("hạn mới 04/03/2027 17:00")
    clock = leader.get_by_test_id("case-clock")
    expect(clock.get_by_test_id("case-decision")).to_have_count(2)
    expect(clock.get_by_test_id("case-due")).to_have_text("04/03/2027 17:00")
    expect(clock.get_by_test_id("extend-form")).to_have_count(0)
    expect(clock.get_by_test_id("extensions-exhausted")).to_contain_text("đã gia hạn đủ 2 lần")
    shot(leader, "07_extended_twice")

    # the third, from the page opened before: refused, the reason at the decision number
    stale.get_by_label("Số quyết định gia hạn").fill("12/QĐ-GH")
    stale.get_by_label("Lý do gia hạn").fill("Thêm lần nữa")
    stale.get_by_test_id("extend-form").get_by_role("button", name="Gia hạn giải quyết").click()
    message = stale.locator("#err-id_extend-number")
    expect(message).to_contain_text("Không gia hạn thêm được")
    expect(message).to_contain_text("tối đa 2 lần với vụ việc đặc biệt phức tạp")
    expect(stale.get_by_label("Số quyết định gia hạn")).to_have_attribute("aria-invalid", "true")
    expect(stale.get_by_test_id("case-decision")).to_have_count(2)
    stale.get_by_test_id("extend-form").scroll_into_view_if_needed()
    shot(stale, "08_third_refused")

    assert [d.number for d in CaseDecision.objects.filter(dossier=dossier).order_by("sequence")] == [
        "10/QĐ-GH", "11/QĐ-GH"]
    assert errors == []
