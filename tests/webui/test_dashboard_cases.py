"""The leaders' dashboard for complaints, denunciations, petitions and dialogue opinions (issue 9) through Django's
test client, on the hand-computed fixture of tests/processes/test_case_statistics.py: the kind selector (every kind,
administrative by default, the filters kept), each kind's figures of June 2026 on the page, each figure's link
listing exactly its dossiers, a figure of another kind refused at its field (400), the XLSX export of a kind read back
with openpyxl, and the evaluation page with the complaint and feedback indicators."""
import io
import re
from html import unescape

import pytest
from openpyxl import load_workbook

from engine import clock

from ..processes.test_case_statistics import (
    COMPLAINTS,
    DIALOGUE,
    NOW,
    PETITIONS,
    build_administrative,
    build_cases,
    counts,
)
from .helpers import signed_in
from .test_dashboard import field_error, figures

DISTRICT_LEADER = "ct.huyen"
COMMUNE_LEADER = "ct.hiepduc"
AUDITOR = "thanhtra"
JUNE = "period=month&year=2026&month=6&unit=000.00.16.H57&subunits=on"
JUNE_HIEPDUC = "period=month&year=2026&month=6&unit=003.00.16.H57&subunits=on"


@pytest.fixture
def cases(demo):
    made = {**build_administrative(), **build_cases()}
    clock.set_clock(clock.FixedClock(NOW))
    return made


def listed(client, url):
    body = client.get(url).content.decode()
    count = int(re.search(r'data-testid="drill-count">(\d+)<', body).group(1))
    return count, set(re.findall(r'data-testid="drill-row-([^"]+)"', body))


def test_the_kind_selector_and_each_kinds_figures_and_lists(cases):
    client = signed_in(DISTRICT_LEADER)
    # administrative by default: the construction permits only, whatever the cases
    page = client.get(f"/statistics/?{JUNE}")
    assert page.status_code == 200
    html = page.content.decode()
    shown = figures(page)
    assert (shown["to_process"][0], shown["early"][0], shown["on_time"][0], shown["late"][0]) == (8, 4, 3, 1)
    kinds = re.findall(r'<a href="([^"]+)" data-kind="(\w+)"( aria-current="page")?', html)
    assert [(kind, bool(current)) for _url, kind, current in kinds] == [
        ("administrative", True), ("complaint", False), ("denunciation", False), ("petition", False),
        ("dialogue", False)]
    # each kind's link keeps the period and the unit
    complaint_url = unescape(next(url for url, kind, _c in kinds if kind == "complaint"))
    assert "month=6" in complaint_url and "unit=000.00.16.H57" in complaint_url
    page = client.get(f"/statistics/{complaint_url}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Khiếu nại — UBND huyện Cai Lậy và các đơn vị trực thuộc — Tháng 06/2026" in html
    assert 'data-kind="complaint" aria-current="page"' in html
    assert "28,57 %" in html and "71,43 %" in html
    shown = figures(page)
    expected = {name: n for name, n in counts(COMPLAINTS).items() if name != "late_total"}  # shown as the rate
    assert {name: shown[name][0] for name in expected} == expected
    rate = unescape(re.search(r'href="([^"]+)" data-testid="fig-late_rate"', html).group(1))
    assert listed(client, rate) == (2, {cases["C4"].code, cases["C6"].code})
    for name, (value, url) in shown.items():
        count, codes = listed(client, url)
        assert count == value == len(codes), name
        assert codes == {cases[key].code for key in COMPLAINTS[name].split()}, name
    # the tables: a row per procedure and per unit, each cell a list of its dossiers
    row = re.search(r'data-testid="row-khieu-nai-lan-dau">(.*?)</tr>', html, re.DOTALL).group(1)
    cells = dict(re.findall(r'<a href="[^"]+" data-category="(\w+)">(\d+)</a>', row))
    assert cells == {"to_process": "7", "carried_over": "1", "received": "6", "accepted": "3", "not_accepted": "1",
                     "forwarded": "1", "resolved_on_time": "1", "resolved_late": "1", "overdue": "1",
                     "not_yet_due": "1", "stopped": "1"}
    url = unescape(re.search(r'<a href="([^"]+)" data-category="overdue">', row).group(1))
    assert listed(client, url) == (1, {cases["C4"].code})
    # the officials' figures of the cases: the inspectorate's specialist
    assert 'data-testid="official-cv.thanhtra"' in html
    count, codes = listed(client, f"/statistics/dossiers/?{JUNE}&kind=complaint&official=cv.thanhtra"
                                  f"&category=handled")
    assert count == 5 and codes == {cases[k].code for k in ("C1", "C2", "C3", "C4", "C6")}
    # petitions: their own words for the same figures
    page = client.get(f"/statistics/?{JUNE}&kind=petition")
    html = page.content.decode()
    assert "Thuộc thẩm quyền, trả lời" in html and "Trả lời quá hạn" in html
    shown = figures(page)
    assert {name: shown[name][0] for name in PETITIONS if name != "late_total"} == {
        name: n for name, n in counts(PETITIONS).items() if name != "late_total"}
    assert listed(client, shown["not_accepted"][1])[1] == {cases["P2"].code, cases["P3"].code}


def test_dialogue_opinions_for_a_commune_leader_and_the_kind_alone(cases):
    client = signed_in(COMMUNE_LEADER)
    page = client.get(f"/statistics/?{JUNE_HIEPDUC}&kind=dialogue")
    assert page.status_code == 200
    html = page.content.decode()
    shown = figures(page)
    expected = {k: v for k, v in counts(DIALOGUE).items() if k not in ("not_accepted", "forwarded", "late_total")}
    assert {name: shown[name][0] for name in expected} == expected
    # an opinion is assigned when it is recorded: no "not accepted" nor "forwarded" figure
    assert "fig-not_accepted" not in html and "fig-forwarded" not in html and "Đã phân công trả lời" in html
    assert listed(client, shown["overdue"][1])[1] == {cases["G2"].code}
    # the kind alone (the selector's link without filters): this month (July 2026) at the leader's commune
    page = client.get("/statistics/?kind=dialogue")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-kind="dialogue" aria-current="page"' in html and "Tháng 07/2026" in html
    assert figures(page)["carried_over"][0] == 2  # G2 and G3 are still open
    assert '<option value="dialogue" selected>' in html


def test_bad_kinds_and_figures_of_another_kind_are_400(cases):
    client = signed_in(DISTRICT_LEADER)
    response = client.get(f"/statistics/?{JUNE}&kind=lawsuit")
    assert response.status_code == 400 and field_error(response, "kind") == "Không có loại hồ sơ này."
    response = client.get(f"/statistics/dossiers/?{JUNE}&kind=complaint&category=early")
    assert response.status_code == 400 and "Không có chỉ tiêu này." in response.content.decode()
    response = client.get(f"/statistics/dossiers/?{JUNE}&category=resolved_late")
    assert response.status_code == 400 and "Không có chỉ tiêu này." in response.content.decode()
    # a specialist still gets nothing
    assert signed_in("cv.thanhtra").get(f"/statistics/?{JUNE}&kind=complaint").status_code == 403


def test_the_xlsx_export_of_a_kind_and_the_evaluation_page(cases):
    response = signed_in(DISTRICT_LEADER).get(f"/statistics/?{JUNE}&kind=petition&format=xlsx")
    assert response.status_code == 200
    assert 'filename="thong-ke-petition-20260601-20260630.xlsx"' in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["Theo thủ tục"]
    assert sheet["A1"].value == "TÌNH HÌNH, KẾT QUẢ XỬ LÝ PHẢN ÁNH, KIẾN NGHỊ"
    assert sheet["A2"].value == "Đơn vị: UBND huyện Cai Lậy và các đơn vị trực thuộc"
    headers = [sheet.cell(row=7, column=c).value for c in range(3, 18)]
    assert headers == ["Tổng số", "Tiếp nhận trong kỳ", "Từ kỳ trước", "Thuộc thẩm quyền, trả lời",
                       "Từ chối, đề nghị bổ sung thông tin", "Chuyển cơ quan có thẩm quyền", "Tổng số", "Đúng hạn",
                       "Quá hạn", "Tổng số", "Chưa đến hạn", "Quá hạn", "Rút đơn, dừng giải quyết", "Quá hạn (%)",
                       "Đúng hạn (%)"]
    assert sheet["C6"].value == "Số đơn phải giải quyết" and sheet["I6"].value == "Đã trả lời"
    rows = {sheet.cell(row=r, column=2).value: [sheet.cell(row=r, column=c).value for c in range(3, 18)]
            for r in range(9, sheet.max_row + 1)}
    # to process, received, carried over | accepted, not accepted, forwarded | answered, on time, late |
    # in progress, not yet due, overdue | stopped | late %, on time %
    expected = [6, 6, 0, 2, 2, 1, 2, 1, 1, 1, 1, 0, 0, 16.67, 83.33]
    assert rows["Phản ánh, kiến nghị"] == expected  # the field
    assert rows["Tiếp nhận, xử lý phản ánh, kiến nghị về quy định hành chính"] == expected
    assert rows["Tổng cộng"] == expected
    assert book["Theo đơn vị"]["B9"].value == "UBND huyện Cai Lậy"
    # the administrative export is as it was: its title and file name
    response = signed_in(DISTRICT_LEADER).get(f"/statistics/?{JUNE}&format=xlsx")
    assert 'filename="thong-ke-20260601-20260630.xlsx"' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content))["Theo thủ tục"]
    assert sheet["A1"].value == "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"
    assert sheet.cell(row=sheet.max_row, column=3).value == 8  # to process: the construction permits

    # the evaluation of Q2: complaints and feedback from the cases
    page = signed_in(AUDITOR).get("/evaluation/?period=2026-Q2&unit=000.00.16.H57")
    assert page.status_code == 200
    html = page.content.decode()
    assert re.search(r'data-testid="complaints" data-value="6"', html)
    assert re.search(r'data-testid="feedback_on_time_pct" data-value="80.0">80,0% \(8/10\)', html)
    row = re.search(r'data-testid="agency-000.00.16.H57">(.*?)</tr>', html, re.DOTALL).group(1)
    assert re.findall(r'data-index="(\d)" data-value="([^"]*)"', row)[6:8] == [("7", "0.3"), ("8", "0")]
    case_page = signed_in(AUDITOR).get(f"/evaluation/dossiers/{cases['C1'].code}/")
    assert case_page.status_code == 200
    assert "không chấm điểm theo từng hồ sơ" in case_page.content.decode()
