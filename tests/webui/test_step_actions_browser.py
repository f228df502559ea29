"""The step page's actions end to end in headless Chromium (tests/webui/browser.py): a supplementation requested
from the step page and received back at the one-stop desk (the clock restarts from zero), an explanation (form 04)
filed from the inbox's button for a dossier due soon (time moved with the injectable clock), and a scan uploaded and
viewed. Screenshots go to tests/artifacts/."""
import io
import re

from PIL import Image, ImageDraw

from processes.models import Attachment, Dossier, Explanation, Supplementation, WorkItem
from processes.services import timers

from ..processes.helpers import at, vn
from .helpers import open_step, receive
from .pages import TABLET, fits_the_screen, shot, sign_in


def scan_png():
    """A small "scanned page": black text lines on white."""
    image = Image.new("RGB", (600, 800), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 560, 760), outline="black", width=3)
    draw.text((70, 70), "GIAY KHAI SINH (BAN SAO)", fill="black")
    for y in range(130, 700, 28):
        draw.line((70, y, 530, y), fill="#555555", width=2)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_supplementation_from_the_step_page_and_back_at_the_desk(tdemo, browser, open_context, live_server):
    base = live_server.url
    expect = browser.expect
    clock = at("2026-12-01 09:00")  # Tuesday
    dossier = receive("nhan-cha-me-con")
    item = open_step(dossier)

    page = open_context().new_page()
    sign_in(page, base, "tuphap.hiepduc", path=f"/steps/{item.pk}/")
    expect(page).to_have_url(f"{base}/steps/{item.pk}/")
    page.get_by_text("Yêu cầu bổ sung, hoàn thiện hồ sơ (mẫu 02)").click()  # opens the <details>
    rows = page.locator("[data-supplement-form] [data-row]")
    expect(rows).to_have_count(5)
    page.get_by_role("button", name="+ Thêm giấy tờ").click()  # the script adds a sixth row and focuses it
    expect(rows).to_have_count(6)
    expect(page.locator("#id_supplement-items-5-name")).to_be_focused()
    page.locator("#id_supplement-items-0-name").fill("Giấy khai sinh của con")
    page.locator("#id_supplement-items-0-kind").select_option("bản sao")
    page.locator("#id_supplement-items-5-name").fill("Căn cước công dân của người cha")
    page.locator("#id_supplement-items-5-kind").select_option("bản chụp")
    page.locator("#id_supplement-items-5-quantity").fill("2")
    # no reason: the service's message at the field, the rows kept
    page.get_by_role("button", name="Gửi yêu cầu bổ sung").click()
    expect(page.locator("#err-id_supplement-reason")).to_contain_text("Cần nêu lý do yêu cầu bổ sung")
    expect(page.locator("#id_supplement-reason")).to_be_focused()
    expect(page.locator("#id_supplement-items-5-name")).to_have_value("Căn cước công dân của người cha")
    assert fits_the_screen(page)
    shot(page, "20-supplement-missing-reason", full_page=True)
    page.locator("#id_supplement-reason").fill("Thiếu giấy tờ chứng minh quan hệ cha con")
    page.get_by_role("button", name="Gửi yêu cầu bổ sung").click()
    expect(page.locator(".message-success")).to_contain_text("Đã gửi phiếu yêu cầu bổ sung")
    waiting = page.get_by_test_id("supplement-waiting")
    expect(waiting).to_contain_text("Căn cước công dân của người cha")
    expect(waiting).to_contain_text("bản chụp · 2 bản")
    expect(page.locator(".history")).to_contain_text("Yêu cầu bổ sung")
    shot(page, "21-supplement-requested", full_page=True)
    dossier.refresh_from_db()
    assert dossier.status == "supplement_requested"
    assert [i["name"] for i in Supplementation.objects.get(dossier=dossier).items] == [
        "Giấy khai sinh của con", "Căn cước công dân của người cha"]

    # two days later the citizen brings the documents to the desk: the clock restarts from zero
    clock.set(vn("2026-12-03 10:00"))
    desk = open_context().new_page()
    sign_in(desk, base, "motcua.hiepduc", path=f"/reception/dossiers/{dossier.code}/")
    expect(desk).to_have_url(f"{base}/reception/dossiers/{dossier.code}/")
    expect(desk.locator("body")).to_contain_text("Căn cước công dân của người cha")
    desk.get_by_label("Bản quét giấy tờ bổ sung (PDF, JPEG, PNG)").set_input_files(
        files=[{"name": "cccd-cha.png", "mimeType": "image/png", "buffer": scan_png()}])
    desk.get_by_role("button", name="Đã nhận đủ giấy tờ bổ sung").click()
    expect(desk.locator(".message-success")).to_contain_text("thời hạn giải quyết được tính lại từ đầu")
    shot(desk, "22-supplement-received-at-desk", full_page=True)
    dossier = Dossier.objects.get(pk=dossier.pk)
    assert dossier.status == "processing" and dossier.clock_generation == 1
    assert dossier.clock_started_at == vn("2026-12-03 10:00") and dossier.due_at > vn("2026-12-03 10:00")

    page.reload()
    expect(page.get_by_test_id("supplement-waiting")).to_have_count(0)
    expect(page.get_by_test_id("attachments")).to_contain_text("cccd-cha.png")
    expect(page.locator(".history")).to_contain_text("Nhận hồ sơ bổ sung")


def test_explanation_filed_from_the_inbox(tdemo, browser, open_context, live_server):
    base = live_server.url
    expect = browser.expect
    clock = at("2026-12-01 09:00")
    dossier = receive("tro-cap-xa-hoi")  # 22 working days: due Thu 31/12/2026 09:00
    clock.set(vn("2026-12-29 09:00"))  # two working days before: the explanation item opens
    timers.sweep_inline()
    item = WorkItem.objects.get(dossier=dossier, kind="explain_delay", status="open")
    clock.set(vn("2026-12-29 10:00"))

    page = open_context().new_page()
    sign_in(page, base, "ct.hiepduc")
    expect(page).to_have_url(base + "/inbox/")
    page.get_by_role("link", name=re.compile("^Chưa ai nhận")).click()
    row = page.get_by_test_id(f"row-{item.pk}")
    expect(row).to_contain_text("Giải trình chậm trễ")
    shot(page, "23-inbox-explain-button")
    row.get_by_role("link", name=f"Giải trình chậm trễ hồ sơ {dossier.code}").click()
    expect(page).to_have_url(f"{base}/steps/{item.pk}/#explanation")
    form = page.get_by_test_id("explain-form")
    expect(form).to_be_visible()
    expect(page.locator("#explanation")).to_contain_text("31/12/2026 09:00")
    proposal = page.get_by_label("Ngày hẹn trả kết quả mới").input_value()
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", proposal)
    page.get_by_label("Lý do chậm trễ").fill("Chờ kết quả xác minh của công an xã")
    page.get_by_label("Ngày hẹn trả kết quả mới").fill("30/12/2026 09:00")  # before the statutory due time
    page.get_by_role("button", name="Gửi văn bản xin lỗi").click()
    expect(page.locator("#err-id_explain-new_appointment")).to_contain_text(
        "phải sau thời hạn giải quyết theo quy định")
    expect(page.get_by_label("Ngày hẹn trả kết quả mới")).to_be_focused()
    expect(page.get_by_label("Lý do chậm trễ")).to_have_value("Chờ kết quả xác minh của công an xã")
    shot(page, "24-explain-bad-date", full_page=True)
    page.get_by_label("Ngày hẹn trả kết quả mới").fill("07/01/2027 09:00")
    page.get_by_label("Ngày hẹn trả kết quả mới").press("Enter")  # keyboard submit
    expect(page.locator(".messages .message-success")).to_contain_text("hẹn mới 07/01/2027 09:00")
    letter = page.get_by_test_id("apology-letter")
    expect(letter).to_contain_text("Chờ kết quả xác minh của công an xã")
    expect(letter).to_contain_text(dossier.code)
    assert fits_the_screen(page)
    shot(page, "25-explanation-filed-letter", full_page=True)
    page.set_viewport_size(TABLET)
    assert fits_the_screen(page)
    shot(page, "26-explanation-letter-tablet", full_page=True)
    explanation = Explanation.objects.get(dossier=dossier)
    assert explanation.new_appointment == vn("2027-01-07 09:00") and explanation.filed_by.username == "ct.hiepduc"
    assert Dossier.objects.get(pk=dossier.pk).appointment_at == vn("2027-01-07 09:00")


def test_upload_and_view_a_scan(tdemo, browser, open_context, live_server):
    base = live_server.url
    expect = browser.expect
    at("2026-12-01 09:00")
    dossier = receive("nhan-cha-me-con")
    item = open_step(dossier)
    page = open_context().new_page()
    sign_in(page, base, "tuphap.hiepduc", path=f"/steps/{item.pk}/")
    file_input = page.get_by_label("Tệp (PDF, JPEG hoặc PNG)")
    # a web page disguised by a .pdf name: refused at the field
    file_input.set_input_files(files=[{"name": "giay-to.pdf", "mimeType": "application/pdf",
                                       "buffer": b"<html><script>alert(1)</script></html>"}])
    page.get_by_role("button", name="Tải lên").click()
    expect(page.locator("#err-attachment-file")).to_contain_text("không phải PDF, JPEG hoặc PNG")
    expect(page.get_by_label("Tệp (PDF, JPEG hoặc PNG)")).to_be_focused()
    shot(page, "27-upload-disguised-refused", full_page=True)
    assert not Attachment.objects.filter(dossier=dossier).exists()

    page.get_by_label("Tệp (PDF, JPEG hoặc PNG)").set_input_files(
        files=[{"name": "Giấy khai sinh.png", "mimeType": "image/png", "buffer": scan_png()}])
    page.get_by_label("Giấy tờ mà tệp thể hiện").fill("Giấy khai sinh của con")
    page.get_by_role("button", name="Tải lên").click()
    expect(page.locator(".message-success")).to_contain_text("Đã thêm tệp Giấy khai sinh.png")
    attachment = Attachment.objects.get(dossier=dossier)
    row = page.get_by_test_id(f"attachment-{attachment.pk}")
    expect(row).to_contain_text("Giấy khai sinh của con")
    expect(row).to_contain_text("Tư pháp - hộ tịch Hiệp Đức")
    expect(row).to_contain_text("01/12/2026 09:00")
    assert fits_the_screen(page)
    shot(page, "28-upload-listed", full_page=True)
    page.set_viewport_size(TABLET)
    assert fits_the_screen(page)
    shot(page, "29-step-actions-tablet", full_page=True)

    href = row.get_by_role("link", name="Giấy khai sinh.png").get_attribute("href")
    viewer = page.context.new_page()
    response = viewer.goto(base + href)
    assert response.status == 200
    headers = response.all_headers()
    assert headers["content-type"] == "image/png"
    assert headers["content-security-policy"] == "sandbox"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "private"
    assert headers["content-disposition"].startswith("inline; ")
    expect(viewer.locator("img")).to_have_count(1)  # Chromium shows the image itself
    shot(viewer, "30-scan-viewed")

    # another commune's official: 404 for the file
    stranger = open_context().new_page()
    sign_in(stranger, base, "tuphap.tambinh")
    expect(stranger).to_have_url(base + "/inbox/")
    assert stranger.goto(base + href).status == 404
