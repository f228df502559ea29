"""The dialogue-meeting flow from opinion to published response in real headless Chromium (Debian's, via Playwright in
its own thread): the district's desk records a meeting (a wrong date answered at the field), adds an opinion assigned
to xã Hiệp Đức (a deadline on a day off answered at the field) with 10 working days to answer; the commune's chairman
finds it in the meeting page, answers it on the step page (form-js's Viewer) and publishes it on the next step; the
citizens' portal lists the answer without the citizen's name or phone. Screenshots in tests/artifacts/dialogue-*.png."""
from processes.models import DialogueMeeting, Dossier

from ..processes.helpers import at
from .pages import VIEWPORT, fits_the_screen, shot, sign_in

ANSWER = "UBND xã đã làm việc với đơn vị thi công; kênh thủy lợi ấp Hiệp Thạnh được nạo vét xong trước ngày 20/12/2026."


def test_an_opinion_from_the_meeting_to_the_published_answer(tdemo, browser, open_context, live_server):
    base = live_server.url
    expect = browser.expect
    at("2026-12-01 09:00")  # Tuesday
    errors = []

    def new_page(username=None):
        """A page of its own browser context, signed in as `username` (None: a citizen, not signed in)."""
        page = open_context(viewport=VIEWPORT, locale="vi-VN").new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        if username:
            sign_in(page, base, username)
        return page

    # ---- the district's desk records the meeting
    page = new_page("motcua.huyen")
    expect(page).to_have_url(base + "/inbox/")
    page.get_by_role("link", name="Hội nghị đối thoại").click()
    expect(page).to_have_url(base + "/dialogue/")
    page.get_by_test_id("new-meeting").click()
    expect(page).to_have_url(base + "/dialogue/new/")
    expect(page.get_by_label("Đơn vị tổ chức")).to_have_value("000.00.16.H57")
    page.get_by_label("Ngày tổ chức").fill("31/11/2026")
    page.get_by_label("Xã, phường nơi tổ chức").select_option(label="UBND xã Hiệp Đức")
    page.get_by_label("Địa điểm").fill("Hội trường UBND xã Hiệp Đức")
    page.get_by_label("Lãnh đạo chủ trì, tham dự").fill("Ông Trần Văn Chủ, Chủ tịch UBND huyện (chủ trì)")
    page.get_by_label("Số người dân tham dự").fill("112")
    page.get_by_label("Nội dung chính").fill("Đối thoại về thủy lợi, giao thông nông thôn và đất đai.")
    page.get_by_role("button", name="Ghi nhận hội nghị").click()
    expect(page.locator("#err-held_on")).to_contain_text("31/11/2026")
    expect(page.get_by_label("Ngày tổ chức")).to_be_focused()
    expect(page.get_by_label("Số người dân tham dự")).to_have_value("112")  # kept
    assert not DialogueMeeting.objects.exists()
    shot(page, "dialogue-01-meeting-wrong-date", full_page=True)
    page.get_by_label("Ngày tổ chức").fill("30/11/2026")
    page.get_by_role("button", name="Ghi nhận hội nghị").click()
    meeting = DialogueMeeting.objects.get()
    expect(page).to_have_url(f"{base}/dialogue/{meeting.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hội nghị đối thoại ngày 30/11/2026")
    expect(page.get_by_test_id("meeting-facts")).to_contain_text("UBND xã Hiệp Đức")
    expect(page.get_by_test_id("meeting-facts")).to_contain_text("112")

    # ---- an opinion, assigned to the commune: a deadline on a Saturday is refused at its field
    form = page.get_by_test_id("opinion-form")
    form.get_by_label("Nội dung ý kiến").fill("Kênh thủy lợi ấp Hiệp Thạnh bị bồi lắng, đề nghị nạo vét trước vụ "
                                              "Đông Xuân.")
    form.get_by_label("Lĩnh vực").select_option(label="Xây dựng")
    form.get_by_label("Đơn vị được giao trả lời").select_option(label="UBND xã Hiệp Đức")
    form.get_by_label("Theo ngày hết hạn").check()
    form.get_by_label("Ngày hết hạn", exact=True).fill("19/12/2026")
    form.get_by_label("Họ tên người nêu ý kiến").fill("Võ Văn Kênh")
    form.get_by_label("Điện thoại").fill("0912777888")
    form.get_by_role("button", name="Ghi ý kiến").click()
    expect(page.locator("#err-due_on")).to_contain_text("ngày nghỉ")
    expect(page.get_by_test_id("opinion-form").get_by_label("Nội dung ý kiến")).to_have_value(
        "Kênh thủy lợi ấp Hiệp Thạnh bị bồi lắng, đề nghị nạo vét trước vụ Đông Xuân.")
    assert not Dossier.objects.filter(meeting=meeting).exists()
    shot(page, "dialogue-02-opinion-day-off", full_page=True)
    form = page.get_by_test_id("opinion-form")
    form.get_by_label("Tính theo số ngày làm việc").check()
    form.get_by_label("Số ngày làm việc", exact=True).fill("10")
    form.get_by_role("button", name="Ghi ý kiến").click()
    dossier = Dossier.objects.get(meeting=meeting)
    expect(page).to_have_url(f"{base}/dialogue/{meeting.pk}/#opinions")
    opinion = page.get_by_test_id("opinion")
    expect(opinion.get_by_test_id("opinion-state")).to_have_text("Chờ trả lời")
    expect(opinion.get_by_test_id("opinion-due")).to_have_text("15/12/2026 09:00")
    expect(opinion).to_contain_text("UBND xã Hiệp Đức")
    expect(opinion).to_contain_text("Võ Văn Kênh")
    expect(page.get_by_test_id("opinion-step")).to_have_count(0)  # the commune's step is not the desk's to open
    assert fits_the_screen(page)
    shot(page, "dialogue-03-opinion-recorded", full_page=True)
    page.context.close()

    # ---- the commune's chairman answers on the step page, two days later
    at("2026-12-03 10:00")
    page = new_page("ct.hiepduc")
    expect(page).to_have_url(base + "/inbox/")
    page.goto(base + "/inbox/?tab=unclaimed")  # routed to the commune's leader, nobody's yet
    expect(page.locator("main")).to_contain_text("Trả lời ý kiến của người dân")
    page.get_by_role("link", name="Hội nghị đối thoại").click()
    page.get_by_role("link", name="30/11/2026").click()
    expect(page).to_have_url(f"{base}/dialogue/{meeting.pk}/")
    expect(page.get_by_test_id("opinion-form")).to_have_count(0)  # the district's meeting: not the commune's to add to
    page.get_by_test_id("opinion-step").click()
    answer_step = dossier.work_items.get(bpmn_id="tra_loi")
    expect(page).to_have_url(f"{base}/steps/{answer_step.pk}/")
    viewer = page.get_by_test_id("stepform-viewer")
    expect(page.locator("form[data-stepform]")).to_have_attribute("data-stepform-ready", "")
    viewer.get_by_label("Nội dung trả lời").fill(ANSWER)
    shot(page, "dialogue-04-answer-step", full_page=True)
    page.get_by_role("button", name="Hoàn thành bước").click()
    expect(page).to_have_url(base + "/inbox/")
    page.goto(base + "/inbox/?tab=unclaimed")
    expect(page.locator("main")).to_contain_text("Công khai nội dung trả lời")

    # ---- and publishes it the next morning, from the meeting page
    at("2026-12-04 09:00")
    page.goto(f"{base}/dialogue/{meeting.pk}/")
    opinion = page.get_by_test_id("opinion")
    expect(opinion.get_by_test_id("opinion-state")).to_have_text("Đã trả lời, chờ công khai")
    expect(opinion.get_by_test_id("opinion-answer")).to_contain_text("nạo vét xong")
    expect(opinion).to_contain_text("07/12/2026 10:00")  # publication: 2 working days after the answer
    page.get_by_role("link", name="Công khai câu trả lời").click()
    publish_step = dossier.work_items.get(bpmn_id="cong_khai")
    expect(page).to_have_url(f"{base}/steps/{publish_step.pk}/")
    page.get_by_role("button", name="Hoàn thành bước").click()
    expect(page).to_have_url(base + "/inbox/")
    page.goto(f"{base}/dialogue/{meeting.pk}/")
    opinion = page.get_by_test_id("opinion")
    expect(opinion.get_by_test_id("opinion-state")).to_have_text("Đã công khai")
    expect(opinion.get_by_test_id("opinion-answer")).to_contain_text("công khai lúc 04/12/2026 09:00")
    expect(page.get_by_test_id("opinion-late")).to_have_count(0)
    shot(page, "dialogue-05-published", full_page=True)
    dossier.refresh_from_db()
    assert dossier.status == "processed" and dossier.outcome == "end_da_cong_khai"
    page.context.close()

    # ---- the citizens' portal, without signing in
    page = new_page()
    page.goto(base + "/dich-vu-cong/doi-thoai/")
    response = page.get_by_test_id("response")
    expect(response).to_have_count(1)
    expect(response.get_by_role("heading")).to_have_text("Hội nghị đối thoại ngày 30/11/2026 — UBND huyện Cai Lậy")
    expect(response.get_by_test_id("response-opinion")).to_contain_text("Kênh thủy lợi ấp Hiệp Thạnh bị bồi lắng")
    expect(response.get_by_test_id("response-answer")).to_contain_text(ANSWER)
    expect(response.get_by_test_id("response-answer")).to_contain_text("Trả lời của UBND xã Hiệp Đức")
    expect(response.get_by_test_id("response-field")).to_have_text("Xây dựng")
    expect(response.get_by_test_id("response-dates")).to_have_text(
        "Trả lời ngày 03/12/2026 · Công khai ngày 04/12/2026")
    expect(page.locator("main")).not_to_contain_text("Võ Văn Kênh")
    expect(page.locator("main")).not_to_contain_text("0912777888")
    expect(page.locator("main")).not_to_contain_text(dossier.code)
    page.get_by_label("Lĩnh vực").select_option(label="Xây dựng")
    page.get_by_role("button", name="Xem").click()
    expect(page).to_have_url(base + "/dich-vu-cong/doi-thoai/?linh_vuc=xay-dung&don_vi=")
    expect(page.get_by_test_id("response")).to_have_count(1)
    assert fits_the_screen(page)
    shot(page, "dialogue-06-public", full_page=True)
    page.context.close()
    assert errors == []
