"""The leaders' statistics dashboard (issue 7) through Django's test client: who gets in (403 for a specialist, 200
for a commune chairman and for the auditor), bad filters at their field (400), the figures of June 2026 on the page
for the hand-computed fixture of tests/processes/test_statistics.py, each figure's link listing exactly that many
dossiers, the XLSX export read back with openpyxl. One headless-Chromium walk at the end: the charts drawn, a figure
clicked, its list (screenshots tests/artifacts/dashboard-*.png)."""
import io
import re
from html import unescape

import pytest
from django.test import Client
from openpyxl import load_workbook

from engine import clock
from ..processes.helpers import at
from ..processes.test_statistics import JUNE_EXPECTED, NOW, build_fixture
from .helpers import receive, signed_in
from .pages import fits_the_screen, shot, sign_in

LEADER = "ct.hiepduc"  # chairman of xã Hiệp Đức: signing_leader and unit_leader there
DISTRICT_LEADER = "ct.huyen"
SPECIALIST = "tuphap.hiepduc"
AUDITOR = "thanhtra"
JUNE = "period=month&year=2026&month=6&unit=003.00.16.H57&subunits=on"


def field_error(response, name):
    match = re.search(rf'id="err-{name}"[^>]*>(.*?)</p>', response.content.decode(), re.DOTALL)
    return match.group(1).strip() if match else None


def figures(response):
    """{category: (value, url)} of the page's figure links (the cards, and the totals in the groups' headings)."""
    html = response.content.decode()
    found = {name: (int(value), unescape(url)) for url, name, value in re.findall(
        r'<a class="figure[^"]*" href="([^"]+)" data-testid="fig-(\w+)"><span class="n">(\d+)</span>', html)}
    found.update({name: (int(value), unescape(url)) for url, name, value in re.findall(
        r'<h3>[^<]*<a href="([^"]+)" data-testid="fig-(\w+)">(\d+)</a></h3>', html)})
    return found


@pytest.fixture
def stats(demo):
    dossiers = build_fixture()
    clock.set_clock(clock.FixedClock(NOW))
    return dossiers


def test_only_leaders_and_auditors_get_in(stats):
    for path in ("/statistics/", f"/statistics/?{JUNE}", f"/statistics/dossiers/?{JUNE}&category=late"):
        assert signed_in(SPECIALIST).get(path).status_code == 403, path
        assert signed_in(LEADER).get(path).status_code == 200, path
        assert signed_in(AUDITOR).get(path).status_code == 200, path
    assert Client().get("/statistics/").status_code == 302  # to the sign-in page
    assert signed_in(LEADER).post(f"/statistics/?{JUNE}").status_code == 405
    nav = 'href="/statistics/"'
    assert nav in signed_in(LEADER).get("/inbox/").content.decode()
    assert nav in signed_in(AUDITOR).get("/inbox/").content.decode()
    assert nav not in signed_in(SPECIALIST).get("/inbox/").content.decode()


def test_a_commune_leader_sees_only_their_commune(stats):
    page = signed_in(LEADER).get("/statistics/")
    assert page.status_code == 200
    assert 'value="003.00.16.H57" selected' in page.content.decode()
    assert "014.00.16.H57" not in page.content.decode()  # Tam Bình is not theirs
    other = signed_in(LEADER).get("/statistics/?period=month&year=2026&month=6&unit=014.00.16.H57")
    assert other.status_code == 400
    assert field_error(other, "unit") == "Bạn không xem được thống kê của đơn vị này."
    # the district chairman sees the district and its communes
    district = signed_in(DISTRICT_LEADER).get("/statistics/?period=month&year=2026&month=6&unit=000.00.16.H57"
                                             "&subunits=on")
    assert district.status_code == 200
    assert figures(district)["to_process"][0] == 17


@pytest.mark.parametrize("query, field, message", [
    ("period=month&year=2026&month=13", "month", "Tháng phải từ 1 đến 12."),
    ("period=month&year=abc&month=6", "year", "Năm phải là một số, ví dụ 2026."),
    ("period=week&year=2026", "period", "Kỳ báo cáo là tháng, quý, năm hoặc tùy chọn."),
    ("period=quarter&year=2026", "quarter", "Hãy chọn quý."),
    ("period=custom&date_from=31/02/2026&date_to=01/03/2026", "date_from", "Ngày phải có dạng dd/mm/yyyy."),
    ("period=custom&date_from=02/03/2026&date_to=01/03/2026", "date_to", "Ngày kết thúc phải sau ngày bắt đầu."),
    ("period=month&year=2026&month=6&field=khong-co", "field", "Không có lĩnh vực này."),
])
def test_bad_filters_are_messages_at_their_field(stats, query, field, message):
    response = signed_in(LEADER).get(f"/statistics/?{query}")
    assert response.status_code == 400
    assert field_error(response, field) == message
    assert 'aria-invalid="true"' in response.content.decode()
    drill = signed_in(LEADER).get(f"/statistics/dossiers/?{query}&category=late")
    assert drill.status_code == 400 and field_error(drill, field) == message


def test_a_bad_figure_is_a_400(stats):
    response = signed_in(LEADER).get(f"/statistics/dossiers/?{JUNE}&category=everything")
    assert response.status_code == 400 and "Không có chỉ tiêu này." in response.content.decode()
    response = signed_in(LEADER).get(f"/statistics/dossiers/?{JUNE}&category=handled")
    assert response.status_code == 400 and "cần tên đăng nhập" in response.content.decode()
    response = signed_in(LEADER).get(f"/statistics/dossiers/?{JUNE}&category=late&procedure=khong-co")
    assert response.status_code == 400 and "Không có thủ tục này." in response.content.decode()


def test_the_figures_of_june_and_each_figure_lists_its_dossiers(stats):
    client = signed_in(LEADER)
    page = client.get(f"/statistics/?{JUNE}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "UBND xã Hiệp Đức — Tháng 06/2026" in html
    shown = figures(page)
    expected = {k: v for k, v in JUNE_EXPECTED.items() if k not in ("late_rate", "on_time_rate", "finished",
                                                                      "in_progress", "late_total",
                                                                      "received_online", "received_offline")}
    assert {k: shown[k][0] for k in expected} == expected
    assert "81,25 %" in html and "18,75 %" in html
    for name, (value, url) in shown.items():
        listing = client.get(url)
        assert listing.status_code == 200, name
        count = re.search(r'data-testid="drill-count">(\d+)<', listing.content.decode())
        assert int(count.group(1)) == value, name
    # a row's figure: the overdue dossiers of nhan-cha-me-con, and one official's
    late = client.get(f"/statistics/dossiers/?{JUNE}&procedure=nhan-cha-me-con&category=overdue")
    codes = set(re.findall(r'data-testid="drill-row-([^"]+)"', late.content.decode()))
    assert codes == {stats["B"].code, stats["J"].code}
    held = client.get(f"/statistics/dossiers/?{JUNE}&official=tuphap.hiepduc&category=late_held")
    assert set(re.findall(r'data-testid="drill-row-([^"]+)"', held.content.decode())) == {stats["H"].code,
                                                                                         stats["J"].code}
    assert 'data-testid="official-tuphap.hiepduc"' in html
    # each listed dossier opens: its forms page for the leader, its timeline for the auditor
    link = re.search(r'<a class="code" href="([^"]+)">', late.content.decode()).group(1)
    assert link.endswith("/forms/") and client.get(link).status_code == 200
    audited = signed_in(AUDITOR).get(f"/statistics/dossiers/?{JUNE}&category=overdue")
    link = re.search(r'<a class="code" href="([^"]+)">', audited.content.decode()).group(1)
    assert link.startswith("/audit/dossiers/") and signed_in(AUDITOR).get(link).status_code == 200


def test_the_drill_down_list_is_paginated(stats):
    at("2026-06-30 09:00")
    for _ in range(26):
        receive("nhan-cha-me-con")
    clock.set_clock(clock.FixedClock(NOW))
    client = signed_in(LEADER)
    first = client.get(f"/statistics/dossiers/?{JUNE}&category=not_yet_due")
    body = first.content.decode()
    assert re.search(r'data-testid="drill-count">29<', body)  # L, R, T and the 26
    assert len(re.findall(r'data-testid="drill-row-', body)) == 25
    assert "Trang 1/2" in body
    second = client.get(f"/statistics/dossiers/?{JUNE}&category=not_yet_due&page=2")
    assert len(re.findall(r'data-testid="drill-row-', second.content.decode())) == 4


def test_the_xlsx_export_is_laid_out_like_the_periodic_report(stats):
    response = signed_in(LEADER).get(f"/statistics/?{JUNE}&format=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="thong-ke-20260601-20260630.xlsx"' in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Theo thủ tục", "Theo đơn vị", "Theo cán bộ"]
    sheet = book["Theo thủ tục"]
    assert sheet["A1"].value == "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"
    assert sheet["A2"].value == "Đơn vị: UBND xã Hiệp Đức"
    assert sheet["A3"].value == "Kỳ báo cáo: Tháng 06/2026 (từ ngày 01/06/2026 đến ngày 30/06/2026)"
    headers = [sheet.cell(row=7, column=c).value for c in range(1, 20)]
    assert headers[:6] == [None, None, "Tổng số", "Trong kỳ: trực tuyến", "Trong kỳ: trực tiếp, bưu chính",
                           "Từ kỳ trước"]
    assert sheet["C6"].value == "Số hồ sơ nhận giải quyết" and sheet["G6"].value == "Số hồ sơ đã giải quyết"
    assert sheet["A8"].value == "(1)" and sheet["S8"].value == "(19)"
    rows = {sheet.cell(row=r, column=2).value: [sheet.cell(row=r, column=c).value for c in range(1, 20)]
            for r in range(9, sheet.max_row + 1)}
    # to process, online, counter, carried over | finished, early, on time, late | in progress, not yet due,
    # due soon, overdue | refused, withdrawn | returned | late %, on time %
    assert rows["Bảo trợ xã hội"][0] == "I" and rows["Hộ tịch"][0] == "II"  # fields by name
    assert rows["Đăng ký nhận cha, mẹ, con"][2:] == [15, 0, 13, 2, 8, 2, 5, 1, 5, 2, 1, 2, 1, 1, 2, 20.0, 80.0]
    assert rows["Tổng cộng"][2:] == [16, 0, 14, 2, 8, 2, 5, 1, 6, 3, 1, 2, 1, 1, 2, 18.75, 81.25]
    units = book["Theo đơn vị"]
    assert units["B9"].value == "UBND xã Hiệp Đức" and units["C9"].value == 16
    officials = book["Theo cán bộ"]
    found = {officials.cell(row=r, column=3).value: [officials.cell(row=r, column=c).value for c in (4, 5, 6)]
             for r in range(6, officials.max_row + 1)}
    assert found["tuphap.hiepduc"] == [2, 1, 2]
    assert signed_in(LEADER).get(f"/statistics/?{JUNE}&format=pdf").status_code == 400


def test_the_dashboard_is_a_fixed_number_of_queries(stats, django_assert_max_num_queries):
    client = signed_in(AUDITOR)
    client.get("/statistics/")  # session, language
    with django_assert_max_num_queries(30):
        assert client.get(f"/statistics/?{JUNE}").status_code == 200


# ---------------------------------------------------------------------------------------------------------------
# in the browser


def test_a_leader_reads_the_dashboard_and_opens_a_figure_in_chromium(tdemo, browser, open_context, live_server):
    base = live_server.url
    expect = browser.expect
    dossiers = build_fixture()
    clock.set_clock(clock.FixedClock(NOW))
    page = open_context().new_page()
    errors = []
    # a resource that fails is named by its response below (the browser's own /favicon.ico aside)
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda response: errors.append(f"{response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico") else None)
    sign_in(page, base, LEADER)
    page.get_by_role("navigation", name="Chức năng").get_by_role("link", name="Thống kê").click()
    expect(page).to_have_url(base + "/statistics/")
    # this month (July 2026) first; then June
    expect(page.get_by_test_id("dashboard-title")).to_contain_text("Tháng 07/2026")
    page.get_by_label("Tháng", exact=True).select_option("6")
    page.get_by_role("button", name="Xem thống kê").click()
    expect(page.get_by_test_id("dashboard-title")).to_have_text("UBND xã Hiệp Đức — Tháng 06/2026")
    expect(page.locator("body[data-charts-ready='1']")).to_have_count(1)
    charts = page.evaluate("""() => ['chart-outcome', 'chart-procedures', 'chart-units'].map(id => {
        const chart = Chart.getChart(document.getElementById(id));
        return chart ? [chart.config.type, chart.data.datasets[0].data.length] : null; })""")
    assert charts == [["doughnut", 8], ["bar", 2], ["bar", 1]]
    outcome = page.evaluate("Chart.getChart(document.getElementById('chart-outcome')).data.datasets[0].data")
    assert outcome == [2, 5, 1, 1, 1, 3, 1, 2]
    expect(page.get_by_test_id("fig-to_process")).to_contain_text("16")
    assert fits_the_screen(page)
    shot(page, "dashboard-01-june", full_page=True)
    page.get_by_test_id("fig-overdue").click()
    expect(page.get_by_test_id("drill-title")).to_have_text("Đang giải quyết, quá hạn")
    expect(page.get_by_test_id("drill-count")).to_have_text("2")
    expect(page.get_by_test_id(f"drill-row-{dossiers['J'].code}")).to_be_visible()
    expect(page.get_by_test_id(f"drill-row-{dossiers['B'].code}")).to_be_visible()
    shot(page, "dashboard-02-overdue", full_page=True)
    page.get_by_role("link", name="← Thống kê giải quyết hồ sơ").click()
    expect(page.get_by_test_id("dashboard-title")).to_have_text("UBND xã Hiệp Đức — Tháng 06/2026")
    page.get_by_test_id("by-procedure").get_by_role("link", name="5", exact=True).first.click()
    expect(page.get_by_test_id("drill-title")).to_have_text("Giải quyết đúng hạn — Đăng ký nhận cha, mẹ, con")
    expect(page.get_by_test_id("drill-count")).to_have_text("5")
    assert errors == []


def test_counts_are_grouped_by_thousands_in_the_reader_s_language():
    """A district-year's figures (66,800 dossiers) read as 66.800 in Vietnamese and 66,800 in English, on the
    dashboard, its tables and the public statistics page (the `num` filter)."""
    from django.template import Context, Template
    from django.utils import translation

    template = Template("{% load webui %}{{ n|num }} {{ small|num }} {{ none|num }}")
    for language, expected in (("vi", "66.800 308 None"), ("en", "66,800 308 None")):
        with translation.override(language):
            assert template.render(Context({"n": 66800, "small": 308, "none": None})) == expected
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "webui" / "templates" / "webui"
    for name in ("dashboard.html", "_dashboard_table.html", "portal_statistics.html"):
        text = (templates / name).read_text()
        assert "|num" in text and not re.search(r"\{\{ (figure\.\w+|f|own\.1)\.value \}\}", text), name
