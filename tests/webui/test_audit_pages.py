"""The auditors' pages (issue 6) through Django's test client: only auditors get in (403 for officials), GET only,
404 for unknown codes and usernames; the search across communes with its filters and flags, bad filters at their
field (400); the exports read back (CSV with BOM, XLSX with openpyxl, the PDF's text); the timeline's chain verdict
after tampering through SQL. One short headless-Chromium walk from the search to the timeline at the end
(screenshots tests/artifacts/audit-*.png)."""
import csv
import io
import re
from datetime import datetime

import pytest
from django.db import connection
from django.test import Client
from openpyxl import load_workbook

from engine.calendar import VN_TZ
from processes.models import Dossier, Event, Explanation, Supplementation
from processes.services.dossiers import claim_work_item
from processes.services.events import Actor
from processes.services.pdf import pdf_text

from ..processes.helpers import at
from .helpers import HIEPDUC, TAMBINH, open_step, receive, signed_in, user
from .pages import fits_the_screen, shot, sign_in

AUDITOR = "thanhtra"  # processes/demo.py: Dương Thị Sát, auditor at the province


def field_error(page, name):
    match = re.search(rf'id="err-{name}"[^>]*>(.*?)</p>', page.content.decode(), re.DOTALL)
    return match.group(1).strip() if match else None


def codes(page):
    return re.findall(r'data-testid="audit-row-([^"]+)"', page.content.decode())


def sql(statement, params=()):
    with connection.cursor() as cursor:
        if statement.startswith("ALTER TABLE"):
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # Django's deferred foreign-key checks, run now
        cursor.execute(statement, params)


@pytest.fixture
def dossiers(demo):
    """Three dossiers: two at Hiệp Đức (one late, explained late, re-appointed twice), one at Tam Bình a month later."""
    at("2026-12-01 09:00")
    first = receive("nhan-cha-me-con", applicant={"full_name": "Nguyễn Văn An", "id_number": "082090001234",
                                                  "phone": "0912345678"})
    claim_work_item(item_id=open_step(first).pk, actor=Actor(user=user("tuphap.hiepduc"), client_address="10.0.0.7"))
    at("2026-12-02 10:00")
    second = receive("nhan-cha-me-con", applicant={"full_name": "Trần Thị Bình", "id_number": "082090005678",
                                                   "phone": "0912000111"})
    at("2027-01-05 08:30")
    third = receive("nhan-cha-me-con", unit_code=TAMBINH,
                    applicant={"full_name": "=Lê Văn Cường", "id_number": "082090009999", "phone": "0912999888"})
    # the flags the statutory clock and the explanations would set (their own tests drive them)
    Dossier.objects.filter(pk=second.pk).update(flags=["late", "apology_filed_late"], reappointments=2)
    when = datetime(2026, 12, 20, 9, 0, tzinfo=VN_TZ)
    Explanation.objects.create(dossier=second, sequence=1, reason="Chờ xác minh", new_appointment=when,
                               filed_by=user("tuphap.hiepduc"), unit=demo["hiepduc"], filed_at=when,
                               apology_deadline=when, filed_late=True, letter="Xin lỗi ông bà")
    Dossier.objects.filter(pk=third.pk).update(flags=["late", "late_without_explanation"])
    return [Dossier.objects.get(pk=d.pk) for d in (first, second, third)]


# ---------------------------------------------------------------------------------------------------------------
# who gets in


def test_only_auditors_get_in_get_only_and_unknown_is_404(dossiers):
    code = dossiers[0].code
    pages = ["/audit/", f"/audit/dossiers/{code}/", f"/audit/dossiers/{code}/history.pdf",
             "/audit/officials/tuphap.hiepduc/", "/audit/?format=csv", "/audit/?format=xlsx"]
    auditor = signed_in(AUDITOR)
    for page in pages:
        assert auditor.get(page).status_code == 200, page
        assert auditor.post(page).status_code == 403, page  # an auditor changes nothing: refused before the view
        for official in ("tuphap.hiepduc", "ct.huyen", "quantri", "motcua.hiepduc"):
            assert signed_in(official).get(page).status_code == 403, (page, official)
        response = Client().get(page)
        assert response.status_code == 302 and response.url.startswith("/login/?next="), page
    assert auditor.get("/audit/dossiers/NO-SUCH-CODE/").status_code == 404
    assert auditor.get("/audit/dossiers/NO-SUCH-CODE/history.pdf").status_code == 404
    assert auditor.get("/audit/officials/nobody.here/").status_code == 404
    # reading changes nothing: no event, no dossier touched
    before = (Event.objects.count(), list(Dossier.objects.order_by("pk").values_list("pk", "revision", "status")))
    for page in pages:
        auditor.get(page)
    assert (Event.objects.count(), list(Dossier.objects.order_by("pk").values_list("pk", "revision", "status"))) \
        == before


def test_the_nav_link_shows_to_auditors_only(dossiers):
    assert 'href="/audit/"' in signed_in(AUDITOR).get("/inbox/").content.decode()
    assert 'href="/audit/"' not in signed_in("tuphap.hiepduc").get("/inbox/").content.decode()


# ---------------------------------------------------------------------------------------------------------------
# search


def test_an_auditor_sees_the_dossiers_of_two_communes_and_filters_them(dossiers, demo):
    first, second, third = dossiers
    auditor = signed_in(AUDITOR)
    page = auditor.get("/audit/")
    assert codes(page) == [third.code, second.code, first.code]  # newest reception first, both communes
    text = page.content.decode()
    assert "UBND xã Hiệp Đức" in text and "UBND xã Tam Bình" in text and "Trần Thị Bình" in text

    def found(**query):
        response = auditor.get("/audit/", query)
        assert response.status_code == 200, (query, response.content.decode()[:500])
        return codes(response)

    assert found(code=first.code) == [first.code]
    assert found(applicant="thị bình") == [second.code]  # case-insensitive, Vietnamese
    assert found(unit=TAMBINH) == [third.code]
    assert found(unit=HIEPDUC, procedure="nhan-cha-me-con") == [second.code, first.code]
    assert found(received_from="02/12/2026", received_to="31/12/2026") == [second.code]
    assert found(received_to="01/12/2026") == [first.code]  # the last day is included
    assert found(flags="late") == [third.code, second.code]
    assert found(flags="explained") == [second.code]
    assert found(flags="apology_filed_late") == [second.code]
    assert found(flags="reappointed_more_than_once") == [second.code]
    assert found(flags="late_without_explanation") == [third.code]
    assert found(flags=["late", "explained"]) == [second.code]  # all of them
    assert found(flags="supplemented_twice") == []
    Supplementation.objects.create(dossier=first, sequence=2, items=[{"name": "Giấy khai sinh"}], reason="Thiếu",
                                   requested_by=user("tuphap.hiepduc"), requested_at=first.received_at,
                                   previous_due_at=first.due_at)
    assert found(flags="supplemented_twice") == [first.code]


def test_bad_filters_are_messages_at_their_field_not_errors(dossiers):
    auditor = signed_in(AUDITOR)
    for query, name in ((({"received_from": "31/02/2026"}), "received_from"),
                        ({"received_to": "2026-12-01"}, "received_to"),
                        ({"received_from": "05/12/2026", "received_to": "01/12/2026"}, "received_to"),
                        ({"flags": "drunk"}, "flags"),
                        ({"unit": "nowhere"}, "unit"),
                        ({"procedure": "x" * 500}, "procedure"),
                        ({"code": "x" * 500}, "code")):
        response = auditor.get("/audit/", query)
        assert response.status_code == 400, query
        assert field_error(response, name), query
        assert 'data-testid="audit-results"' not in response.content.decode()
    response = auditor.get("/audit/", {"format": "pdf"})
    assert response.status_code == 400 and "Chỉ xuất được CSV hoặc XLSX" in response.content.decode()
    assert auditor.get("/audit/", {"page": "abc"}).status_code == 200
    assert auditor.get("/audit/", {"page": "99999999999999999999"}).status_code == 200
    assert auditor.get("/audit/", {"format": "csv", "received_from": "bad"}).status_code == 400


def test_search_is_a_fixed_number_of_queries(dossiers, django_assert_max_num_queries):
    auditor = signed_in(AUDITOR)
    auditor.get("/audit/")  # warm the session
    with django_assert_max_num_queries(12):
        response = auditor.get("/audit/", {"flags": "late"})
    assert len(codes(response)) == 2


# ---------------------------------------------------------------------------------------------------------------
# exports


def test_csv_and_xlsx_exports_keep_the_vietnamese_and_defuse_formulas(dossiers):
    first, second, third = dossiers
    auditor = signed_in(AUDITOR)
    response = auditor.get("/audit/", {"unit": HIEPDUC, "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Mã hồ sơ", "Thủ tục", "Người nộp", "Đơn vị tiếp nhận"]
    assert [r[0] for r in rows[1:]] == [second.code, first.code]
    assert rows[1][2] == "Trần Thị Bình" and rows[1][3] == "UBND xã Hiệp Đức"
    assert "Quá hạn theo luật" in rows[1][8] and "Đã giải trình" in rows[1][8]

    response = auditor.get("/audit/", {"format": "xlsx"})
    assert response.status_code == 200 and "spreadsheetml" in response["Content-Type"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][2] == "Người nộp"
    assert [r[0] for r in values[1:]] == [third.code, second.code, first.code]
    assert values[1][2] == "'=Lê Văn Cường"  # a name starting with = is text, never a formula
    assert values[1][3] == "UBND xã Tam Bình"
    assert values[2][2] == "Trần Thị Bình" and values[2][7] == 2


def test_the_history_pdf_prints_the_timeline(dossiers):
    first = dossiers[0]
    response = signed_in(AUDITOR).get(f"/audit/dossiers/{first.code}/history.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "LỊCH SỬ XỬ LÝ HỒ SƠ" in text and first.code in text
    assert "Nguyễn Văn An" in text and "Tư pháp - hộ tịch Hiệp Đức" in text
    assert "nguyên vẹn" in text and "10.0.0.7" in text
    assert "01/12/2026 09:00:00" in text
    first_hash = Event.objects.filter(dossier=first).order_by("seq").first().hash
    assert first_hash[:12] in text


# ---------------------------------------------------------------------------------------------------------------
# timeline, official history


def test_the_timeline_shows_everything_and_a_tampered_row_breaks_the_chain(dossiers):
    first = dossiers[0]
    auditor = signed_in(AUDITOR)
    events = list(Event.objects.filter(dossier=first).order_by("seq"))
    page = auditor.get(f"/audit/dossiers/{first.code}/")
    text = page.content.decode()
    assert 'data-intact="true"' in text
    for event in events:
        assert f'data-testid="event-{event.pk}"' in text and event.hash[:12] in text
    claimed = next(e for e in events if e.kind == "claimed")
    assert claimed.engine_task_id and claimed.engine_task_id in text
    assert "10.0.0.7" in text and "01/12/2026 09:00:00" in text and "Tư pháp - hộ tịch Hiệp Đức" in text
    assert "/audit/officials/tuphap.hiepduc/" in text

    victim = next(e for e in events if e.kind == "received")
    sql("ALTER TABLE processes_event DISABLE TRIGGER processes_event_append_only")
    sql("UPDATE processes_event SET data_after = data_after || '{\"due_at\": \"2027-01-01\"}' WHERE id = %s",
        [victim.pk])
    sql("ALTER TABLE processes_event ENABLE TRIGGER processes_event_append_only")
    text = auditor.get(f"/audit/dossiers/{first.code}/").content.decode()
    assert 'data-intact="false"' in text and "KHÔNG nguyên vẹn" in text
    row = re.search(rf'data-testid="event-{victim.pk}" class="chain-broken".*?</tr>', text, re.DOTALL)
    assert row and "Nội dung đã bị sửa" in row.group(0)
    assert "Bản ghi số 1" in text
    pdf = pdf_text(auditor.get(f"/audit/dossiers/{first.code}/history.pdf").content)
    assert "KHÔNG nguyên vẹn" in pdf


def test_an_officials_history_newest_first(dossiers):
    first = dossiers[0]
    auditor = signed_in(AUDITOR)
    page = auditor.get("/audit/officials/motcua.hiepduc/")
    text = page.content.decode()
    assert page.status_code == 200 and "Một cửa Hiệp Đức" in text
    ids = [int(i) for i in re.findall(r'data-testid="event-(\d+)"', text)]
    assert ids and ids == sorted(ids, reverse=True)
    assert set(ids) == set(Event.objects.filter(actor=user("motcua.hiepduc")).values_list("pk", flat=True))
    assert first.code in text and dossiers[1].code in text and dossiers[2].code not in text


# ---------------------------------------------------------------------------------------------------------------
# in the browser


def test_an_auditor_searches_and_opens_a_timeline_in_chromium(tdemo, browser, open_context, live_server):
    base = live_server.url
    expect = browser.expect
    at("2026-12-01 09:00")
    dossier = receive("nhan-cha-me-con")
    at("2026-12-01 09:30")
    receive("nhan-cha-me-con", unit_code=TAMBINH, applicant={"full_name": "Phạm Thị Dung", "phone": "0912777666"})
    page = open_context().new_page()
    sign_in(page, base, AUDITOR)
    page.get_by_role("navigation", name="Chức năng").get_by_role("link", name="Thanh tra").click()
    expect(page).to_have_url(base + "/audit/")
    expect(page.get_by_test_id("audit-count")).to_have_text("2")
    page.get_by_label("Người nộp").fill("nguyễn văn")
    page.get_by_label("Tiếp nhận từ ngày").fill("01/12/2026")
    page.get_by_role("button", name="Tìm").click()
    expect(page.get_by_test_id("audit-count")).to_have_text("1")
    assert fits_the_screen(page)
    shot(page, "audit-01-search", full_page=True)
    page.get_by_role("link", name=dossier.code).click()
    expect(page.get_by_test_id("audit-code")).to_have_text(dossier.code)
    expect(page.get_by_test_id("chain-verdict")).to_contain_text("nguyên vẹn")
    expect(page.get_by_test_id("audit-events")).to_contain_text("01/12/2026 09:00:00")
    shot(page, "audit-02-timeline", full_page=True)
