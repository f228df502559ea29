"""The auditors' diagrams (issue 6): a dossier's steps on its version's BPMN (completed, active, overdue, time spent)
and a version's step heatmap (median, p90, late share). Through Django's test client: who gets in, 404s, bad filters,
the tables that say everything without JavaScript, the JSON the diagram draws. Then in headless Chromium: the markers
on the right shapes, the overlays' figures, no console error (screenshots tests/artifacts/audit-diagram-*.png,
audit-heatmap-*.png).

The worked example (07/12/2026 is a Monday; office hours 07:30–11:30, 13:00–17:00): two dossiers received at Hiệp Đức
at 08:00. "Kiểm tra hồ sơ" (2 working days: due Wed 08:00) is completed after 1 hour for the first and after 50 hours
for the second (late). The first's "Trình ký" (1 working day: due Tue 09:00) is still open when the pages are read,
on Wed 09/12 10:00: active and overdue, 2.5 + 4 + 8 + 2.5 = 17 office hours, 49 hours of plain time."""
import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from processes.models import Event, WorkItem
from processes.services.dossiers import complete_work_item
from processes.services.events import Actor
from processes.services.procedures import deploy_process_version

from ..processes.helpers import at, official_for
from .helpers import HIEPDUC, TAMBINH, receive, signed_in, user
from .pages import fits_the_screen, shot, sign_in

AUDITOR = "thanhtra"
LIBRARY = __import__("pathlib").Path(__file__).resolve().parents[2] / "bpmn"
HEATMAP = "/audit/procedures/nhan-cha-me-con/versions/1/heatmap/"


def complete(dossier, bpmn_id, data):
    item = WorkItem.objects.get(dossier=dossier, bpmn_id=bpmn_id, status="open", kind="step")
    role = {"kiem_tra_ho_so": "specialist", "xac_minh": "specialist", "trinh_ky": "signing_leader"}[bpmn_id]
    complete_work_item(item_id=item.pk, data=data,
                       actor=Actor(user=user(official_for(HIEPDUC, role)), client_address="127.0.0.1"))


def worked_example():
    at("2026-12-07 08:00")
    first, second = receive("nhan-cha-me-con"), receive("nhan-cha-me-con")
    at("2026-12-07 09:00")
    complete(first, "kiem_tra_ho_so", {"needs_verification": False})
    at("2026-12-09 10:00")
    complete(second, "kiem_tra_ho_so", {"needs_verification": False})
    return first, second


@pytest.fixture
def example(demo):
    return worked_example()


def cells(html, testid):
    row = re.search(rf'<tr data-testid="{re.escape(testid)}"[^>]*>(.*?)</tr>', html, re.DOTALL)
    assert row, testid
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.DOTALL)]


def diagram_data(response):
    found = re.search(r'<script id="audit-diagram-data" type="application/json">(.*?)</script>',
                      response.content.decode(), re.DOTALL)
    assert found
    return json.loads(found.group(1))


# ---------------------------------------------------------------------------------------------------------------
# who gets in


def test_auditors_only_get_only_and_404s(example):
    code = example[0].code
    pages = [f"/audit/dossiers/{code}/", HEATMAP, "/audit/procedures/"]
    auditor = signed_in(AUDITOR)
    for page in pages:
        assert auditor.get(page).status_code == 200, page
        assert auditor.post(page).status_code == 403, page
        for official in ("tuphap.hiepduc", "ct.huyen"):
            assert signed_in(official).get(page).status_code == 403, (page, official)
        assert Client().get(page).status_code == 302, page
    assert auditor.get("/audit/procedures/no-such-procedure/versions/1/heatmap/").status_code == 404
    assert auditor.get("/audit/procedures/nhan-cha-me-con/versions/9/heatmap/").status_code == 404
    assert auditor.get("/audit/procedures/nhan-cha-me-con/versions/0/heatmap/").status_code == 404
    before = (Event.objects.count(), list(WorkItem.objects.order_by("pk").values_list("pk", "status", "completed_at")))
    for page in pages:
        auditor.get(page)
    assert (Event.objects.count(),
            list(WorkItem.objects.order_by("pk").values_list("pk", "status", "completed_at"))) == before


# ---------------------------------------------------------------------------------------------------------------
# the dossier's steps


def test_the_dossier_page_tables_the_steps_and_carries_the_marks(example):
    first, _second = example
    response = signed_in(AUDITOR).get(f"/audit/dossiers/{first.code}/")
    html = response.content.decode()
    assert "Thời gian các bước (tính đến 09/12/2026 10:00)" in html
    assert cells(html, "step-row-kiem_tra_ho_so-1") == [
        "Kiểm tra hồ sơ kiem_tra_ho_so", "1/1", "UBND xã Hiệp Đức", "07/12/2026 08:00", "09/12/2026 08:00",
        "07/12/2026 09:00", "1 giờ 16 giờ", "1 giờ", "Đúng hạn"]
    assert cells(html, "step-row-trinh_ky-1") == [
        "Trình ký trích lục đăng ký nhận cha, mẹ, con trinh_ky", "1/1", "UBND xã Hiệp Đức", "07/12/2026 09:00",
        "08/12/2026 09:00", "chưa xong", "17 giờ 8 giờ", "2 ngày 1 giờ", "Đang xử lý, đã quá hạn"]
    assert 'data-testid="step-row-xac_minh' not in html  # never reached
    assert f'href="{HEATMAP}"' in html
    data = diagram_data(response)
    assert data["mode"] == "dossier" and data["xml"] == first.version.bpmn_xml and data["reached_end"] == ""
    assert data["steps"] == [
        {"id": "kiem_tra_ho_so", "completed": True, "active": False, "overdue": False, "count": 1, "label": "1 giờ",
         "title": "Kiểm tra hồ sơ: đã xong"},
        {"id": "trinh_ky", "completed": False, "active": True, "overdue": True, "count": 1, "label": "17 giờ",
         "title": "Trình ký trích lục đăng ký nhận cha, mẹ, con: quá hạn"},
    ]
    # the scripts are on this page only (and its heatmap), not on the others
    assert "auditdiagram.js" in html and "bpmn-navigated-viewer.min.js" in html
    assert "auditdiagram.js" not in signed_in(AUDITOR).get("/audit/").content.decode()


def test_a_late_completed_step(example):
    _first, second = example
    auditor = signed_in(AUDITOR)
    html = auditor.get(f"/audit/dossiers/{second.code}/").content.decode()
    # Mon 08:00 → Wed 10:00: 7.5 + 8 + 2.5 office hours, 50 hours of plain time, after its due time
    assert cells(html, "step-row-kiem_tra_ho_so-1")[5:] == ["09/12/2026 10:00", "18 giờ 16 giờ", "2 ngày 2 giờ",
                                                            "Trễ hạn"]
    assert cells(html, "step-row-trinh_ky-1")[5:] == ["chưa xong", "0 phút 8 giờ", "0 phút", "Đang xử lý, còn hạn"]


def test_a_step_done_twice_shows_its_count_and_sum(demo):
    xml = (LIBRARY / "nhan_cha_me_con.bpmn").read_text(encoding="utf-8")
    looped = xml.replace('sourceRef="xac_minh" targetRef="gw_sau_xac_minh"', 'sourceRef="xac_minh" '
                         'targetRef="kiem_tra_ho_so"').replace(
        '<spiffworkflow:property name="allocation_days" value="5" />',
        '<spiffworkflow:property name="allocation_days" value="2" />')
    at("2026-12-07 07:00")
    deploy_process_version(xml=looped.encode(), filename="v2.bpmn", procedure_code="nhan-cha-me-con")
    at("2026-12-07 08:00")
    dossier = receive("nhan-cha-me-con")
    at("2026-12-07 09:00")
    complete(dossier, "kiem_tra_ho_so", {"needs_verification": True})
    at("2026-12-07 14:00")
    complete(dossier, "xac_minh", {})
    at("2026-12-07 16:30")
    complete(dossier, "kiem_tra_ho_so", {"needs_verification": False})
    response = signed_in(AUDITOR).get(f"/audit/dossiers/{dossier.code}/")
    html = response.content.decode()
    assert cells(html, "step-row-kiem_tra_ho_so-1")[1] == "1/2"
    assert cells(html, "step-row-kiem_tra_ho_so-2")[:2] == ["", "2/2"]
    assert cells(html, "step-total-kiem_tra_ho_so") == ["Cộng (2 lần)", "3 giờ 30 phút", "3 giờ 30 phút", ""]
    marks = {s["id"]: s for s in diagram_data(response)["steps"]}
    assert marks["kiem_tra_ho_so"]["label"] == "2 lần · 3 giờ 30 phút" and marks["kiem_tra_ho_so"]["count"] == 2
    assert "/audit/procedures/nhan-cha-me-con/versions/2/heatmap/" in html


# ---------------------------------------------------------------------------------------------------------------
# the heatmap


def test_the_heatmap_table_and_its_filters(example):
    auditor = signed_in(AUDITOR)
    response = auditor.get(HEATMAP)
    html = response.content.decode()
    # 1 h and 50 h: median 25 h 30 min, p90 1 + 0.9 × 49 = 45.1 h; shares of the 48 h allowed: 53 %, 94 %
    assert cells(html, "heat-row-kiem_tra_ho_so") == [
        "Kiểm tra hồ sơ kiem_tra_ho_so", "2 ngày làm việc", "2", "1 ngày 1 giờ 53%", "1 ngày 21 giờ 94%",
        "50% (1/2)", "53%"]
    assert re.search(r'data-testid="heat-row-kiem_tra_ho_so" data-bucket="2"', html)
    assert cells(html, "heat-row-trinh_ky") == [  # both still open: nothing counted
        "Trình ký trích lục đăng ký nhận cha, mẹ, con trinh_ky", "1 ngày làm việc", "0", "— —", "— —", "—",
        "chưa có"]
    steps = {s["id"]: s for s in diagram_data(response)["steps"]}
    assert steps["kiem_tra_ho_so"] == {
        "id": "kiem_tra_ho_so", "bucket": {"median": 2, "p90": 3}, "basis": "allocation", "title": "Kiểm tra hồ sơ",
        "lines": ["Trung vị 1 ngày 1 giờ · P90 1 ngày 21 giờ", "Trễ hạn 50% (1/2) · 2 lần"]}
    assert steps["trinh_ky"]["lines"] == [] and steps["trinh_ky"]["bucket"] == {"median": 0, "p90": 0}
    p90 = auditor.get(HEATMAP, {"metric": "p90"})
    assert re.search(r'data-testid="heat-row-kiem_tra_ho_so" data-bucket="3"', p90.content.decode())
    assert diagram_data(p90)["metric"] == "p90"
    # filters: by unit, by period (dd/mm/yyyy, the last day included)
    assert cells(auditor.get(HEATMAP, {"unit": TAMBINH}).content.decode(), "heat-row-kiem_tra_ho_so")[2] == "0"
    assert cells(auditor.get(HEATMAP, {"unit": HIEPDUC, "received_to": "07/12/2026"}).content.decode(),
                 "heat-row-kiem_tra_ho_so")[2] == "2"
    assert cells(auditor.get(HEATMAP, {"received_from": "08/12/2026"}).content.decode(),
                 "heat-row-kiem_tra_ho_so")[2] == "0"
    for query, name in (({"received_from": "31/02/2026"}, "received_from"),
                        ({"received_from": "09/12/2026", "received_to": "01/12/2026"}, "received_to"),
                        ({"unit": "nowhere"}, "unit"), ({"metric": "mean"}, "metric")):
        bad = auditor.get(HEATMAP, query)
        assert bad.status_code == 400, query
        assert re.search(rf'id="err-{name}"', bad.content.decode()), query
    listing = auditor.get("/audit/procedures/").content.decode()
    assert cells(listing, "version-nhan-cha-me-con-1")[1:] and cells(listing, "version-nhan-cha-me-con-1")[3] == "2"
    assert f'href="{HEATMAP}"' in listing


def test_the_heatmap_is_a_fixed_number_of_queries(example):
    auditor = signed_in(AUDITOR)
    auditor.get(HEATMAP)  # warm the session
    with CaptureQueriesContext(connection) as small:
        assert auditor.get(HEATMAP, {"unit": HIEPDUC}).status_code == 200
    at("2026-12-10 08:00")
    for _ in range(6):
        d = receive("nhan-cha-me-con")
        complete(d, "kiem_tra_ho_so", {"needs_verification": False})
    with CaptureQueriesContext(connection) as large:
        assert auditor.get(HEATMAP, {"unit": HIEPDUC}).status_code == 200
    assert len(large) == len(small)
    percentile = [q["sql"] for q in large.captured_queries if "percentile_cont" in q["sql"]]
    assert len(percentile) == 1 and "WITHIN GROUP" in percentile[0]
    print(f"heatmap page: {len(large)} queries")


# ---------------------------------------------------------------------------------------------------------------
# in the browser


def classes(page, element_id):
    return set(page.locator(f'.djs-element[data-element-id="{element_id}"]').first.get_attribute("class").split())


def test_the_diagrams_in_chromium(tdemo, browser, open_context, live_server):
    base = live_server.url
    expect = browser.expect
    first, _second = worked_example()
    errors = []
    page = open_context().new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text)
            if m.type in ("error", "warning") and not m.text.startswith("Failed to load resource") else None)
    sign_in(page, base, AUDITOR, path=f"/audit/dossiers/{first.code}/")
    expect(page.get_by_test_id("audit-diagram")).to_have_attribute("data-ready", "true")
    assert {"audit-completed"} <= classes(page, "start")
    assert "audit-completed" in classes(page, "kiem_tra_ho_so")
    assert not {"audit-overdue", "audit-active"} & classes(page, "kiem_tra_ho_so")
    assert {"audit-active", "audit-overdue"} <= classes(page, "trinh_ky")
    assert "audit-completed" not in classes(page, "trinh_ky")
    assert not {"audit-completed", "audit-active", "audit-overdue"} & classes(page, "xac_minh")
    expect(page.locator('.audit-time[data-step="kiem_tra_ho_so"]')).to_have_text("1 giờ")
    expect(page.locator('.audit-time[data-step="trinh_ky"]')).to_have_text("17 giờ")
    assert page.locator(".audit-time").count() == 2
    # the colours are really drawn: bpmn-js's inline styles are overridden
    fill = page.locator('.djs-element[data-element-id="trinh_ky"] .djs-visual > rect').first.evaluate(
        "e => getComputedStyle(e).fill")
    assert fill == "rgb(251, 211, 208)"
    assert fits_the_screen(page)
    page.get_by_test_id("audit-diagram").scroll_into_view_if_needed()
    shot(page, "audit-diagram-01-dossier")
    shot(page, "audit-diagram-02-dossier-page", full_page=True)

    # the first's signature, half an hour later: 49.5 h of the 24 allowed (206 %, late)
    at("2026-12-09 10:30")
    complete(first, "trinh_ky", {"approved": True})
    page.get_by_test_id("heatmap-link").click()
    expect(page).to_have_url(base + HEATMAP)
    expect(page.get_by_test_id("audit-diagram")).to_have_attribute("data-ready", "true")
    assert {"audit-heat-2"} <= classes(page, "kiem_tra_ho_so")
    assert {"audit-heat-5"} <= classes(page, "trinh_ky") and {"audit-heat-0"} <= classes(page, "xac_minh")
    expect(page.locator('.audit-heat-label[data-step="trinh_ky"]')).to_have_text(
        "Trung vị 2 ngày 1 giờ · P90 2 ngày 1 giờTrễ hạn 100% (1/1) · 1 lần")
    label = page.locator('.audit-heat-label[data-step="kiem_tra_ho_so"]')
    expect(label).to_have_text("Trung vị 1 ngày 1 giờ · P90 1 ngày 21 giờTrễ hạn 50% (1/2) · 2 lần")
    assert page.locator(".audit-heat-label").count() == 2
    page.get_by_test_id("audit-diagram").scroll_into_view_if_needed()
    shot(page, "audit-heatmap-01-median")
    page.get_by_label("Tô màu theo", exact=True).select_option("p90")  # re-coloured at once, before any reload
    assert "audit-heat-3" in classes(page, "kiem_tra_ho_so") and "audit-heat-2" not in classes(page, "kiem_tra_ho_so")
    shot(page, "audit-heatmap-02-p90")
    page.get_by_role("button", name="Xem").click()
    expect(page.get_by_test_id("heat-row-kiem_tra_ho_so")).to_have_attribute("data-bucket", "3")
    expect(page.get_by_test_id("audit-diagram")).to_have_attribute("data-ready", "true")
    assert "audit-heat-3" in classes(page, "kiem_tra_ho_so")
    assert fits_the_screen(page)
    # back to the dossier, now finished: its end event is marked too
    page.goto(f"{base}/audit/dossiers/{first.code}/")
    expect(page.get_by_test_id("audit-diagram")).to_have_attribute("data-ready", "true")
    assert "audit-completed" in classes(page, "end_cap_trich_luc") and "audit-completed" in classes(page, "trinh_ky")
    assert "audit-completed" not in classes(page, "end_tu_choi")
    expect(page.locator('.audit-time[data-step="trinh_ky"]')).to_have_text("17 giờ 30 phút")
    page.get_by_test_id("audit-diagram").scroll_into_view_if_needed()
    shot(page, "audit-diagram-03-finished")
    shot(page, "audit-heatmap-03-page", full_page=True)
    assert errors == []


def test_a_version_without_a_drawing_says_so_and_keeps_the_table(tdemo, browser, open_context, live_server):
    """A version deployed (by the API or the command) from a file without BPMNDI has nothing to draw: the page says
    so instead of an empty frame, and the steps' table is there."""
    from ..processes.test_migration import reminder_procedure

    at("2026-12-01 09:00")
    reminder_procedure()
    dossier = receive("thu-nhac-viec")
    page = open_context().new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, live_server.url, AUDITOR, path=f"/audit/dossiers/{dossier.code}/")
    message = page.get_by_test_id("audit-diagram-error")
    browser.expect(message).to_be_visible()
    browser.expect(message).to_contain_text("không có hình vẽ sơ đồ")
    browser.expect(page.locator("#audit-diagram")).to_have_attribute("data-ready", "error")
    browser.expect(page.locator("body")).to_contain_text("Xử lý hồ sơ")
    shot(page, "audit-diagram-04-no-drawing")
    assert errors == []
