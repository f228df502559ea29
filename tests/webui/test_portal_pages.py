"""The citizens' portal pages (no sign-in) and the desk's queue of online submissions: the Django test client for the
answers (status codes, headers, no personal data, rate limits → 429), then headless Chromium for the look-up with and
without the secret, an online submission with a PDF received at the desk, and a rating after the result is returned.
Screenshots in tests/artifacts/portal-*.png."""
import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from processes.models import Attachment, Dossier, OnlineSubmission, ServiceRating
from processes.services import forms as form_services
from processes.services import portal, reception

from ..processes.helpers import at
from ..processes.test_reception import PDF, PNG, desk, finish
from .helpers import APPLICANT, HIEPDUC, receive, signed_in
from .pages import fits_the_screen, shot, sign_in

UNKNOWN = "003.00.16.H57-000000-0000"
CITIZEN = {"full_name": "Võ Thị Ngọc Hân", "id_number": "082299003344", "phone": "0939888777",
           "email": "han@example.vn", "address": "Ấp Hòa Thạnh, xã Hiệp Đức"}
SCORES = {"access": "5", "procedure": "4", "official": "5", "result": "5", "feedback": "4"}


@pytest.fixture(autouse=True)
def _fresh_limits():
    """The limiter counts in Django's cache: every test starts from zero."""
    cache.clear()
    yield
    cache.clear()


def error_of(response, field="ma"):
    found = re.search(rf'id="err-{re.escape(field)}"[^>]*>(.*?)</p>', response.content.decode(), re.S)
    return found.group(1).strip() if found else None


def personal_data_in(text, applicant=APPLICANT):
    return [v for v in (applicant["full_name"], applicant["id_number"], applicant["phone"],
                        applicant.get("address", "")) if v and v in text]


def pdf(name="to-khai.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def submit_birth(applicant=CITIZEN):
    return portal.submit_online(procedure_code="dang-ky-khai-sinh", unit_code=HIEPDUC, applicant=applicant,
                                files=[("Tờ khai đăng ký khai sinh", pdf(), "file-0"),
                                       ("Giấy chứng sinh", SimpleUploadedFile("cs.png", PNG), "file-1")])


# ---------------------------------------------------------------------------------------------------------------
# look-up


def test_the_code_alone_shows_the_status_only_and_the_secret_opens_the_progress(demo):
    at("2026-12-01 09:00")
    dossier = receive("nhan-cha-me-con")
    anonymous = Client()
    page = anonymous.get("/tra-cuu/", {"ma": dossier.code})
    assert page.status_code == 200 and "Được tiếp nhận" in page.text and "04/12/2026" in page.text
    assert personal_data_in(page.text) == [] and "Nguyễn V…" not in page.text
    assert 'data-testid="steps"' not in page.text and "UBND xã Hiệp Đức" in page.text
    assert page["Cache-Control"] == "private, no-store" and '<meta name="robots" content="noindex">' in page.text
    assert 'class="main-nav portal-nav"' in page.text and "Hộp việc" not in page.text  # no officials' nav

    detail = anonymous.get("/tra-cuu/", {"ma": dossier.code, "mk": dossier.lookup_secret.lower()})
    assert detail.status_code == 200 and 'data-testid="steps"' in detail.text
    assert "Nguyễn V… A…" in detail.text and personal_data_in(detail.text) == []
    assert detail["Cache-Control"] == "private, no-store" and detail["Referrer-Policy"] == "same-origin"
    assert '<meta name="robots" content="noindex">' in detail.text
    assert dossier.lookup_secret not in detail.text.replace(f'value="{dossier.lookup_secret}"', "")
    by_phone = anonymous.get("/tra-cuu/", {"ma": dossier.code, "sdt": APPLICANT["phone"]})
    assert by_phone.status_code == 200 and 'data-testid="steps"' in by_phone.text

    # a wrong secret answers exactly like an unknown code
    wrong = anonymous.get("/tra-cuu/", {"ma": dossier.code, "mk": "AAAA2222"})
    unknown = anonymous.get("/tra-cuu/", {"ma": UNKNOWN, "mk": dossier.lookup_secret})
    assert wrong.status_code == unknown.status_code == 404
    assert error_of(wrong) == error_of(unknown) and "Không tìm thấy hồ sơ" in error_of(wrong)
    assert "Được tiếp nhận" not in wrong.text and 'data-testid="lookup-result"' not in wrong.text
    # bad input: 400; the empty form: 200; a POST is not a look-up
    assert anonymous.get("/tra-cuu/", {"ma": "x" * 100}).status_code == 400
    assert anonymous.get("/tra-cuu/", {"ma": dossier.code, "mk": "x" * 40}).status_code == 400
    assert anonymous.get("/tra-cuu/").status_code == 200
    assert anonymous.post("/tra-cuu/", {"ma": dossier.code}).status_code in (403, 405)

    # the receipt's QR code carries the secret: it opens the progress at once
    url = form_services.tracking_url(dossier.code, dossier.lookup_secret)
    assert url.endswith(f"/tra-cuu/?ma={dossier.code}&mk={dossier.lookup_secret}")
    scanned = anonymous.get(url.split("127.0.0.1:8000", 1)[-1])
    assert scanned.status_code == 200 and 'data-testid="steps"' in scanned.text
    receipt = form_services.form_01(dossier)
    assert dossier.lookup_secret in receipt.text and receipt.html.count(dossier.lookup_secret) == 1  # copy 1 only


def test_look_ups_and_wrong_secrets_are_rate_limited_with_a_429_page(demo, settings):
    at("2026-12-01 09:00")
    dossier, other_dossier = receive("nhan-cha-me-con"), receive("nhan-cha-me-con")
    settings.MOTCUA_PORTAL_RATES = {"secret": "3/h", "lookup": "8/m", "secret_code": "5/d"}
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(3):
        assert client.get("/tra-cuu/", {"ma": dossier.code, "mk": "AAAA2222"}).status_code == 404
    # the limit is reached: even the right secret is refused from this address for now
    blocked = client.get("/tra-cuu/", {"ma": dossier.code, "mk": dossier.lookup_secret})
    assert blocked.status_code == 429 and "Quá nhiều yêu cầu" in blocked.text and blocked["Retry-After"]
    assert personal_data_in(blocked.text) == [] and "Nguyễn V…" not in blocked.text
    # the code alone still answers, until the look-up limit
    assert client.get("/tra-cuu/", {"ma": dossier.code}).status_code == 200
    other = Client(REMOTE_ADDR="198.51.100.9")
    assert other.get("/tra-cuu/", {"ma": dossier.code, "mk": dossier.lookup_secret}).status_code == 200
    # wrong tries on one code from many addresses: past the code's own limit (5 a day) the guessable phone no
    # longer opens it, whoever asks; the receipt's secret still does, so nobody can lock the citizen out
    phone = APPLICANT["phone"]
    assert Client(REMOTE_ADDR="192.0.2.40").get("/tra-cuu/", {"ma": dossier.code, "sdt": phone}).status_code == 200
    for n in range(2):
        assert Client(REMOTE_ADDR=f"192.0.2.{n + 1}").get(
            "/tra-cuu/", {"ma": dossier.code, "sdt": "0900000000"}).status_code == 404
    paused = Client(REMOTE_ADDR="192.0.2.50").get("/tra-cuu/", {"ma": dossier.code, "sdt": phone})
    assert paused.status_code == 429 and "số điện thoại" in error_of(paused, "sdt")
    assert 'data-testid="steps"' not in paused.text and personal_data_in(paused.text) == []
    both = Client(REMOTE_ADDR="192.0.2.51").get("/tra-cuu/", {"ma": dossier.code, "mk": "CCCC4444", "sdt": phone})
    assert both.status_code == 404  # the phone is ignored, the wrong secret answers as usual
    opened = Client(REMOTE_ADDR="192.0.2.52").get("/tra-cuu/", {"ma": dossier.code, "mk": dossier.lookup_secret})
    assert opened.status_code == 200 and 'data-testid="steps"' in opened.text
    # another dossier's code is not affected
    assert Client(REMOTE_ADDR="192.0.2.53").get("/tra-cuu/", {"ma": other_dossier.code, "sdt": phone}).status_code \
        == 200
    # every look-up counts towards the per-address limit (8 a minute)
    flood = Client(REMOTE_ADDR="203.0.113.99")
    answers = [flood.get("/tra-cuu/", {"ma": UNKNOWN}).status_code for _ in range(10)]
    assert answers[:8] == [404] * 8 and answers[8:] == [429, 429]


def test_the_submission_and_the_rating_are_rate_limited(demo, settings):
    at("2026-12-01 09:00")
    settings.MOTCUA_PORTAL_RATES = {"submit": "1/h", "rate": "2/h"}
    client = Client(REMOTE_ADDR="203.0.113.8")
    url = f"/dich-vu-cong/nop-truc-tuyen/dang-ky-khai-sinh/?don_vi={HIEPDUC}"
    assert client.post(url, {"don_vi": HIEPDUC, "full_name": ""}).status_code == 400
    assert client.post(url, {"don_vi": HIEPDUC, "full_name": ""}).status_code == 429
    assert OnlineSubmission.objects.count() == 0
    for expected in (404, 404, 429):
        assert client.post("/dich-vu-cong/danh-gia/", {"ma": UNKNOWN, "mk": "AAAA2222", **SCORES}).status_code \
            == expected


# ---------------------------------------------------------------------------------------------------------------
# online submission


def test_online_submission_pages_answer_bad_input_at_its_field_then_give_reference_and_secret(demo):
    at("2026-12-01 09:00")
    citizen = Client()
    start = citizen.get("/dich-vu-cong/nop-truc-tuyen/")
    assert start.status_code == 200 and "Đăng ký khai sinh" in start.text and "Toàn trình" in start.text
    assert citizen.get("/dich-vu-cong/nop-truc-tuyen/dang-ky-khai-sinh/").status_code == 302
    assert citizen.get("/dich-vu-cong/nop-truc-tuyen/khong-co/?don_vi=" + HIEPDUC).status_code == 404
    assert citizen.get("/dich-vu-cong/nop-truc-tuyen/dang-ky-khai-sinh/?don_vi=999.99").status_code == 404
    district = citizen.get("/dich-vu-cong/nop-truc-tuyen/dang-ky-khai-sinh/?don_vi=000.00.16.H57")
    assert district.status_code == 400 and "không tiếp nhận" in district.text
    url = f"/dich-vu-cong/nop-truc-tuyen/dang-ky-khai-sinh/?don_vi={HIEPDUC}"
    form = citizen.get(url)
    assert form.status_code == 200 and "Giấy chứng sinh" in form.text and 'type="file"' in form.text

    data = {"don_vi": HIEPDUC, **CITIZEN, "file-0": pdf()}
    missing = citizen.post(url, data)
    assert missing.status_code == 400 and "Giấy chứng sinh" in error_of(missing, "file-1")
    bad = citizen.post(url, {**data, "phone": "abc", "file-0": pdf(), "file-1": pdf("b.pdf")})
    assert bad.status_code == 400 and "điện thoại" in error_of(bad, "phone")
    assert 'value="Võ Thị Ngọc Hân"' in bad.text  # what was typed is kept
    exe = citizen.post(url, {**data, "file-0": SimpleUploadedFile("a.pdf", b"MZ\x90not a pdf"),
                             "file-1": pdf("b.pdf")})
    assert exe.status_code == 400 and "không phải PDF" in error_of(exe, "file-0")
    assert OnlineSubmission.objects.count() == 0

    sent = citizen.post(url, {**data, "file-0": pdf(), "file-1": pdf("chung-sinh.pdf")})
    assert sent.status_code == 302 and sent.url == "/dich-vu-cong/nop-truc-tuyen/da-nop/"
    submission = OnlineSubmission.objects.get()
    done = citizen.get(sent.url)
    assert done.status_code == 200 and submission.reference in done.text and submission.secret in done.text
    assert done["Cache-Control"] == "private, no-store" and '<meta name="robots" content="noindex">' in done.text
    assert Client().get(sent.url).status_code == 302  # another browser does not see them
    assert Attachment.objects.filter(submission=submission).count() == 2


def test_the_desk_sees_the_queue_opens_the_files_and_receives_asks_for_more_or_refuses(demo):
    at("2026-12-01 08:00")
    first, second, third = submit_birth(), submit_birth(), submit_birth()
    at("2026-12-01 09:00")
    counter = signed_in("motcua.hiepduc")
    page = counter.get("/reception/")
    assert page.status_code == 200 and first.reference in page.text and CITIZEN["full_name"] in page.text
    online = counter.get(f"/reception/online/{first.pk}/")
    assert online.status_code == 200 and CITIZEN["id_number"] in online.text and "to-khai.pdf" in online.text
    attachment = first.attachments.order_by("id").first()
    file = counter.get(f"/reception/online/{first.pk}/files/{attachment.pk}/")
    assert file.status_code == 200 and file["Content-Type"] == "application/pdf"
    assert b"".join(file.streaming_content) == PDF
    # another commune's desk: 404; a specialist: 403; no one signed in: the sign-in page
    assert signed_in("motcua.tambinh").get(f"/reception/online/{first.pk}/").status_code == 404
    assert signed_in("motcua.tambinh").get(f"/reception/online/{first.pk}/files/{attachment.pk}/").status_code == 404
    assert signed_in("tuphap.hiepduc").get(f"/reception/online/{first.pk}/").status_code == 403
    assert Client().get(f"/reception/online/{first.pk}/").status_code == 302

    received = counter.post(f"/reception/online/{first.pk}/receive/")
    dossier = Dossier.objects.get(online_submission=first)
    assert received.status_code == 302 and received.url == f"/reception/dossiers/{dossier.code}/receipt/"
    assert dossier.channel == 2 and dossier.attachments.count() == 2
    again = counter.post(f"/reception/online/{first.pk}/receive/", follow=True)
    assert "đã được xử lý" in again.text and Dossier.objects.filter(online_submission=first).count() == 1

    empty = counter.post(f"/reception/online/{second.pk}/ask/", {})
    assert empty.status_code == 400 and error_of(empty, "missing")
    no_reason = counter.post(f"/reception/online/{second.pk}/ask/", {"missing": ["Giấy chứng sinh"]})
    assert no_reason.status_code == 400 and error_of(no_reason, "reason-1")
    asked = counter.post(f"/reception/online/{second.pk}/ask/",
                         {"missing": ["Giấy chứng sinh"], "reason-1": "Ảnh chụp mờ"})
    assert asked.status_code == 302
    citizen = Client().get("/tra-cuu/", {"ma": second.reference, "mk": second.secret})
    assert "Yêu cầu bổ sung, hoàn thiện" in citizen.text and "Giấy chứng sinh: Ảnh chụp mờ" in citizen.text
    assert personal_data_in(citizen.text, CITIZEN) == []

    assert counter.post(f"/reception/online/{third.pk}/refuse/", {"reasons": "  "}).status_code == 400
    assert counter.post(f"/reception/online/{third.pk}/refuse/",
                        {"reasons": "Không cư trú tại xã\nĐã đăng ký ở nơi khác"}).status_code == 302
    status_only = Client().get("/tra-cuu/", {"ma": third.reference})
    assert "Từ chối tiếp nhận" in status_only.text and "Không cư trú" not in status_only.text
    refused = Client().get("/tra-cuu/", {"ma": third.reference, "mk": third.secret})
    assert "Không cư trú tại xã" in refused.text and "Đã đăng ký ở nơi khác" in refused.text
    queue = counter.get("/reception/").text.split('data-testid="online-queue"', 1)[1].split("</section>", 1)[0]
    assert "Không có hồ sơ trực tuyến chờ tiếp nhận" in queue and third.reference not in queue


# ---------------------------------------------------------------------------------------------------------------
# rating, catalogue


def test_the_rating_page_waits_for_the_result_then_takes_one_rating(demo, settings):
    at("2026-12-01 09:00")
    settings.MOTCUA_PORTAL_RATES = {"secret_code": "2/d"}
    dossier = receive("nhan-cha-me-con")
    citizen = Client()
    assert citizen.get("/dich-vu-cong/danh-gia/", {"ma": dossier.code}).status_code == 200
    data = {"ma": dossier.code, "mk": dossier.lookup_secret, **SCORES, "comment": "Nhanh gọn"}
    early = citizen.post("/dich-vu-cong/danh-gia/", data)
    assert early.status_code == 409 and "sau khi đã nhận kết quả" in early.text
    at("2026-12-02 10:00")
    finish(dossier)
    reception.return_at_counter(code=dossier.code, actor=desk(), collector="applicant")
    assert citizen.post("/dich-vu-cong/danh-gia/", {**data, "mk": "AAAA2222"}).status_code == 404
    # wrong secrets on this code from elsewhere, past the code's limit: they cannot stop the citizen from rating
    for n in range(3):
        assert Client(REMOTE_ADDR=f"192.0.2.{n + 1}").post(
            "/dich-vu-cong/danh-gia/", {**data, "mk": "BBBB3333"}).status_code == 404
    out_of_range = citizen.post("/dich-vu-cong/danh-gia/", {**data, "official": "7"})
    assert out_of_range.status_code == 400 and error_of(out_of_range, "official")
    missing = citizen.post("/dich-vu-cong/danh-gia/", {k: v for k, v in data.items() if k != "result"})
    assert missing.status_code == 400 and "1 đến 5" in error_of(missing, "result")
    thanks = citizen.post("/dich-vu-cong/danh-gia/", data)
    assert thanks.status_code == 200 and "Cảm ơn" in thanks.text
    rating = ServiceRating.objects.get(dossier=dossier)
    assert (rating.access, rating.procedure, rating.result, rating.comment) == (5, 4, 5, "Nhanh gọn")
    twice = citizen.post("/dich-vu-cong/danh-gia/", data)
    assert twice.status_code == 409 and "một lần" in twice.text


def test_the_catalogue_shows_each_level_the_shares_and_the_legacy_levels(demo):
    page = Client().get("/dich-vu-cong/danh-muc/")
    assert page.status_code == 200
    assert re.search(r'data-testid="share-full"><div class="pct">20[.,]0%', page.text)
    assert re.search(r'data-testid="share-partial"><div class="pct">80[.,]0%', page.text)
    assert re.search(r'data-testid="share-none"><div class="pct">0[.,]0%', page.text)
    assert "Mức độ 4" in page.text and "Mức độ 3" in page.text and "gần đúng" in page.text
    assert page.text.count('data-procedure="') == 5
    home = Client().get("/dich-vu-cong/")
    assert home.status_code == 200 and "/dich-vu-cong/nop-truc-tuyen/" in home.text and "/tra-cuu/" in home.text
    english = Client()
    english.cookies["django_language"] = "en"
    assert english.get("/dich-vu-cong/danh-muc/").status_code == 200


# ---------------------------------------------------------------------------------------------------------------
# headless Chromium


def console_errors(page):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    return errors


def test_browser_look_up_with_and_without_the_secret(tdemo, browser, open_context, live_server):
    base = live_server.url
    expect = browser.expect
    at("2026-12-01 09:00")
    dossier = receive("nhan-cha-me-con")
    page = open_context(locale="vi-VN").new_page()
    errors = console_errors(page)
    page.goto(base + "/dich-vu-cong/")
    shot(page, "portal-01-home", full_page=True)
    page.get_by_label("Mã hồ sơ (trên giấy tiếp nhận)").fill(dossier.code)
    page.get_by_role("button", name="Tra cứu").click()
    expect(page.get_by_test_id("lookup-status")).to_have_text("Được tiếp nhận")
    expect(page.get_by_test_id("steps")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text(APPLICANT["full_name"])
    shot(page, "portal-02-status-only", full_page=True)

    page.get_by_label("Mã hồ sơ (trên giấy tiếp nhận)").fill(dossier.code)
    page.get_by_label("Mã bí mật (in trên giấy tiếp nhận)").fill("AAAA2222")
    page.get_by_role("button", name="Tra cứu").click()
    expect(page.get_by_test_id("not-found")).to_contain_text("Không tìm thấy hồ sơ")
    expect(page.get_by_test_id("lookup-result")).to_have_count(0)
    shot(page, "portal-03-wrong-secret")

    page.get_by_label("Mã hồ sơ (trên giấy tiếp nhận)").fill(dossier.code)
    page.get_by_label("Mã bí mật (in trên giấy tiếp nhận)").fill(dossier.lookup_secret.lower())
    page.get_by_role("button", name="Tra cứu").click()
    steps = page.get_by_test_id("steps")
    expect(steps).to_contain_text("UBND xã Hiệp Đức")
    expect(page.get_by_test_id("masked-name")).to_have_text("Nguyễn V… A…")
    expect(page.locator("main")).not_to_contain_text(APPLICANT["full_name"])
    expect(page.get_by_test_id("appointment")).to_have_text("04/12/2026 09:00")
    assert fits_the_screen(page)
    shot(page, "portal-04-progress", full_page=True)
    # the receipt's QR code opens the same view
    scanned = open_context(locale="vi-VN").new_page()
    scanned.goto(form_services.tracking_url(dossier.code, dossier.lookup_secret).replace("http://127.0.0.1:8000",
                                                                                        base))
    expect(scanned.get_by_test_id("steps")).to_contain_text("UBND xã Hiệp Đức")
    assert errors == []


def test_browser_online_submission_with_a_pdf_reaches_the_desk_and_becomes_a_dossier(
        tdemo, browser, open_context, live_server, tmp_path):
    base = live_server.url
    expect = browser.expect
    at("2026-12-01 08:30")
    declaration, certificate = tmp_path / "to-khai-khai-sinh.pdf", tmp_path / "giay-chung-sinh.pdf"
    declaration.write_bytes(PDF)
    certificate.write_bytes(PDF)

    citizen = open_context(locale="vi-VN").new_page()
    errors = console_errors(citizen)
    citizen.goto(base + "/dich-vu-cong/")
    citizen.get_by_role("link", name=re.compile("^Nộp hồ sơ trực tuyến")).first.click()
    expect(citizen).to_have_url(base + "/dich-vu-cong/nop-truc-tuyen/")
    citizen.locator("#unit-dang-ky-khai-sinh").select_option(HIEPDUC)
    citizen.get_by_role("button", name="Nộp hồ sơ: Đăng ký khai sinh").click()
    expect(citizen.get_by_test_id("unit")).to_have_text("UBND xã Hiệp Đức")
    citizen.get_by_label("Họ và tên người nộp").fill(CITIZEN["full_name"])
    citizen.get_by_label("Số CCCD/CMND").fill(CITIZEN["id_number"])
    citizen.get_by_label("Điện thoại").fill(CITIZEN["phone"])
    citizen.get_by_label("Địa chỉ").fill(CITIZEN["address"])
    citizen.locator("#id_file-0").set_input_files(str(declaration))
    citizen.get_by_role("button", name="Nộp hồ sơ").click()
    expect(citizen.locator("#err-file-1")).to_contain_text("Giấy chứng sinh")  # one document is missing
    assert OnlineSubmission.objects.count() == 0
    shot(citizen, "portal-05-submission-missing-file", full_page=True)
    citizen.locator("#id_file-0").set_input_files(str(declaration))
    citizen.locator("#id_file-1").set_input_files(str(certificate))
    citizen.get_by_role("button", name="Nộp hồ sơ").click()
    expect(citizen).to_have_url(base + "/dich-vu-cong/nop-truc-tuyen/da-nop/")
    submission = OnlineSubmission.objects.get()
    expect(citizen.get_by_test_id("reference")).to_have_text(submission.reference)
    expect(citizen.get_by_test_id("secret")).to_have_text(submission.secret)
    shot(citizen, "portal-06-submitted")

    at("2026-12-01 09:00")
    counter = open_context(locale="vi-VN").new_page()
    desk_errors = console_errors(counter)
    sign_in(counter, base, "motcua.hiepduc", path="/reception/")
    expect(counter).to_have_url(base + "/reception/")
    queue = counter.get_by_test_id("online-queue")
    expect(queue).to_contain_text(CITIZEN["full_name"])
    shot(counter, "portal-07-desk-queue", full_page=True)
    queue.get_by_role("link", name=submission.reference).click()
    expect(counter.get_by_test_id("online-files")).to_contain_text("to-khai-khai-sinh.pdf")
    shot(counter, "portal-08-desk-submission", full_page=True)
    counter.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    dossier = Dossier.objects.get(online_submission=submission)
    expect(counter).to_have_url(f"{base}/reception/dossiers/{dossier.code}/receipt/")
    expect(counter.get_by_test_id("dossier-code")).to_have_text(dossier.code)
    shot(counter, "portal-09-desk-received")
    assert dossier.channel == 2 and sorted(a.original_name for a in dossier.attachments.all()) == \
        ["giay-chung-sinh.pdf", "to-khai-khai-sinh.pdf"]
    assert dossier.lookup_secret == submission.secret

    citizen.get_by_test_id("follow").click()
    expect(citizen.get_by_test_id("dossier-code")).to_contain_text(dossier.code)
    expect(citizen.get_by_test_id("lookup-status")).to_have_text("Đã tiếp nhận")
    shot(citizen, "portal-10-citizen-follows", full_page=True)
    assert errors == [] and desk_errors == []


def test_browser_rating_after_the_result_is_returned(tdemo, browser, open_context, live_server):
    base = live_server.url
    expect = browser.expect
    at("2026-12-01 09:00")
    dossier = receive("nhan-cha-me-con")
    at("2026-12-02 10:00")
    finish(dossier)
    reception.return_at_counter(code=dossier.code, actor=desk(), collector="applicant")

    page = open_context(locale="vi-VN").new_page()
    errors = console_errors(page)
    page.goto(f"{base}/tra-cuu/?ma={dossier.code}&mk={dossier.lookup_secret}")
    expect(page.get_by_test_id("lookup-status")).to_have_text("Đã trả kết quả")
    page.get_by_test_id("rate-link").click()
    expect(page.get_by_label("Mã hồ sơ")).to_have_value(dossier.code)
    page.get_by_label("Mã bí mật (in trên giấy tiếp nhận)").fill(dossier.lookup_secret)
    answers = {"1. Tiếp cận dịch vụ hành chính công": "5", "2. Thủ tục hành chính": "4",
               "3. Công chức trực tiếp giải quyết công việc": "5",
               "4. Kết quả giải quyết thủ tục hành chính": "5"}
    for group, score in answers.items():
        page.get_by_role("group", name=group).get_by_role("radio", name=score).check()
    page.get_by_label("Ý kiến góp ý (không bắt buộc)").fill("Cán bộ hướng dẫn tận tình")
    page.get_by_role("button", name="Gửi đánh giá").click()
    expect(page.locator("#err-feedback")).to_contain_text("1 đến 5")  # the fifth element was forgotten
    shot(page, "portal-11-rating-missing", full_page=True)
    page.get_by_label("Mã bí mật (in trên giấy tiếp nhận)").fill(dossier.lookup_secret)
    page.get_by_role("group", name="5. Tiếp nhận, xử lý ý kiến góp ý, phản ánh, kiến nghị") \
        .get_by_role("radio", name="3").check()
    page.get_by_role("button", name="Gửi đánh giá").click()
    expect(page.get_by_test_id("thanks")).to_be_visible()
    shot(page, "portal-12-rated")
    rating = ServiceRating.objects.get(dossier=dossier)
    assert (rating.access, rating.procedure, rating.official, rating.result, rating.feedback) == (5, 4, 5, 5, 3)
    page.goto(f"{base}/tra-cuu/?ma={dossier.code}&mk={dossier.lookup_secret}")
    expect(page.get_by_test_id("rated")).to_be_visible()
    page.goto(base + "/dich-vu-cong/danh-muc/")
    expect(page.get_by_test_id("share-full")).to_contain_text("20")
    shot(page, "portal-13-catalogue", full_page=True)
    assert errors == []


def test_the_browser_fills_in_the_citizens_own_details_but_never_the_desks(demo):
    """One set of applicant fields (forms_reception.ApplicantFields): autocomplete on the portal, where they are the
    citizen's own, and off at the desk, where they are someone else's."""
    portal = Client().get(f"/dich-vu-cong/nop-truc-tuyen/dang-ky-khai-sinh/?don_vi={HIEPDUC}").content.decode()
    assert 'name="full_name"' in portal and 'autocomplete="name"' in portal and 'autocomplete="tel"' in portal
    desk = signed_in("motcua.hiepduc").get("/reception/procedures/dang-ky-khai-sinh/").content.decode()
    assert 'name="full_name"' in desk and 'autocomplete="name"' not in desk and 'autocomplete="off"' in desk
