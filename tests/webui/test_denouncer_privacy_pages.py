"""A denouncer's identity on the officials' pages, in the exports and on the public portal (issue 9; Law on
Denunciation 2018, Art. 47; processes/privacy.py), through Django's test client: the step page, the inbox and its
search, the dossier's forms and their PDFs, the register, the reception desk's pages, lists and receipt, the audit
pages (the identity in full) and their CSV, XLSX and PDF exports (never), the statistics' drill-down rows and XLSX
export, and the portal's look-up by code, with the secret and by phone."""
import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from processes.models import Dossier, Role
from processes.services import attachments, reception
from processes.services.pdf import pdf_text
from webui.views_dashboard import drill_row

from ..processes.helpers import at
from ..processes.test_denouncer_privacy import (
    CITIZEN,
    DENOUNCER,
    DISTRICT,
    HIEPDUC,
    MASK,
    PDF,
    actor,
    case,  # noqa: F401 — the fixture
    forward_and_return,
    leaks,
    official,
)
from .helpers import receive, signed_in

HIDDEN_NOTE = 'data-testid="applicant-masked"'


def html(response, status=200):
    assert response.status_code == status, (response.status_code, response.content[:300])
    return response.content.decode()


def pdf(response):
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf", response.content[:300]
    data = b"".join(response.streaming_content) if response.streaming else response.content
    return pdf_text(data)


def xlsx_text(response):
    assert response.status_code == 200, response.content[:300]
    book = load_workbook(io.BytesIO(response.content))
    return "\n".join(str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                     for cell in row if cell is not None)


def step_id(dossier, bpmn_id="xu_ly_ban_dau"):
    return dossier.work_items.get(bpmn_id=bpmn_id).pk


# ---------------------------------------------------------------------------------------------------------------
# the officials' pages


def test_the_step_page_names_the_denouncer_to_the_official_who_took_the_case_only(case):
    url = f"/steps/{step_id(case)}/"
    page = html(signed_in("cv.thanhtra").get(url))
    assert DENOUNCER["full_name"] in page and DENOUNCER["phone"] in page and DENOUNCER["email"] in page
    assert HIDDEN_NOTE not in page
    for username in ("cv2.thanhtra", "chanh.thanhtra"):  # same unit, not taken it
        page = html(signed_in(username).get(url))
        assert case.code in page and MASK in page and HIDDEN_NOTE in page, username
        assert not leaks(page), (username, leaks(page))
    html(signed_in("tuphap.hiepduc").get(url), 404)  # another unit's official


def test_the_scans_are_locked_on_the_step_page_and_their_file_is_404(case):
    scan = attachments.add_attachment(code=case.code, actor=actor("motcua.huyen"), document="Đơn tố cáo",
                                      upload=SimpleUploadedFile("don-to-cao-kin-dao.pdf", PDF))
    url = f"/steps/{step_id(case)}/"
    page = html(signed_in("cv.thanhtra").get(url))
    assert f'href="/attachments/{scan.pk}/"' in page and "don-to-cao-kin-dao.pdf" in page
    assert signed_in("cv.thanhtra").get(f"/attachments/{scan.pk}/").status_code == 200
    page = html(signed_in("cv2.thanhtra").get(url))
    assert 'data-testid="attachment-locked"' in page and "don-to-cao-kin-dao.pdf" not in page
    assert f'href="/attachments/{scan.pk}/"' not in page
    assert signed_in("cv2.thanhtra").get(f"/attachments/{scan.pk}/").status_code == 404


def test_the_inbox_and_its_search_never_show_or_find_the_denouncer(case):
    at("2026-12-03 09:00")  # the step falls due tomorrow: listed under "due soon"
    for username in ("chanh.thanhtra", "cv2.thanhtra"):  # the unit's leader sees every step; the colleague its role's
        client = signed_in(username)
        page = html(client.get("/inbox/", {"tab": "due_soon"}))
        assert case.code in page and not leaks(page), username
        assert case.code in html(client.get("/inbox/", {"tab": "due_soon", "q": case.code}))
        for term in (DENOUNCER["full_name"], DENOUNCER["phone"], DENOUNCER["id_number"]):
            found = html(client.get("/inbox/", {"tab": "due_soon", "q": term})).replace(term, "")  # the echoed query
            assert case.code not in found and not leaks(found), (username, term)


def test_the_dossier_s_forms_and_pdfs_name_the_denouncer_only_for_whoever_may_read_it(case):
    mine = signed_in("cv.thanhtra")
    assert DENOUNCER["full_name"] in html(mine.get(f"/dossiers/{case.code}/forms/"))
    assert DENOUNCER["full_name"] in pdf(mine.get(f"/dossiers/{case.code}/forms/01.pdf"))
    for username in ("cv2.thanhtra", "chanh.thanhtra"):
        client = signed_in(username)
        page = html(client.get(f"/dossiers/{case.code}/forms/"))
        assert MASK in page and not leaks(page), username
        for number in ("01", "06"):  # the receipt, the control sheet (Circular 03/2025)
            text = pdf(client.get(f"/dossiers/{case.code}/forms/{number}.pdf"))
            assert case.code in text and not leaks(text), (username, number, leaks(text))
    html(signed_in("tuphap.hiepduc").get(f"/dossiers/{case.code}/forms/"), 404)
    assert signed_in("tuphap.hiepduc").get(f"/dossiers/{case.code}/forms/01.pdf").status_code == 404


def test_the_register_names_the_denouncer_only_for_the_desk_official_who_received_it(case):
    query = "/register/?from=01/12/2026&to=01/12/2026"
    assert DENOUNCER["full_name"] in pdf(signed_in("motcua.huyen").get(query))
    text = pdf(signed_in("motcua2.huyen").get(query))
    assert case.code in text and not leaks(text)


def test_the_reception_desk_names_the_denouncer_only_to_whoever_received_it(case):
    receiver, colleague = signed_in("motcua.huyen"), signed_in("motcua2.huyen")
    for url in (f"/reception/dossiers/{case.code}/", f"/reception/dossiers/{case.code}/receipt/"):
        assert DENOUNCER["full_name"] in html(receiver.get(url))
        page = html(colleague.get(url))
        assert MASK in page and not leaks(page), url
    assert DENOUNCER["phone"] in pdf(receiver.get(f"/reception/dossiers/{case.code}/form-01.pdf"))
    text = pdf(colleague.get(f"/reception/dossiers/{case.code}/form-01.pdf"))
    assert case.code in text and not leaks(text)

    forward_and_return(case)  # processed; a case's answer is sent by its own step, not listed to hand back
    for client in (receiver, colleague):
        desk = html(client.get("/reception/"))
        assert case.code not in desk and not leaks(desk)
    reception.return_at_counter(code=case.code, actor=actor("motcua.huyen"), collector="applicant")
    page = html(colleague.get(f"/reception/dossiers/{case.code}/"))
    assert 'data-testid="returned"' in page and not leaks(page)
    assert DENOUNCER["full_name"] in html(receiver.get(f"/reception/dossiers/{case.code}/"))
    # the step page's history of the colleague upstairs does not name the collector either
    assert not leaks(html(signed_in("cv2.thanhtra").get(f"/steps/{step_id(case)}/")))


def test_a_letter_refused_at_the_desk_names_the_denouncer_only_to_whoever_issued_the_notice(demo):
    at("2026-12-01 09:00")
    official("motcua2.huyen", DISTRICT, Role.RECEPTION)
    notice = reception.issue_refusal_notice(unit_code=DISTRICT, procedure_code="to-cao", applicant=dict(DENOUNCER),
                                            channel=1, reasons=["Đơn không ghi rõ nội dung tố cáo"],
                                            actor=actor("motcua.huyen"))
    issuer, colleague = signed_in("motcua.huyen"), signed_in("motcua2.huyen")
    for url in ("/reception/", f"/reception/notices/{notice.pk}/"):
        assert DENOUNCER["full_name"] in html(issuer.get(url)), url
        page = html(colleague.get(url))
        assert notice.number in page and not leaks(page), url
    for url in (f"/reception/notices/{notice.pk}/form.pdf", f"/intake-notices/{notice.pk}.pdf"):
        assert DENOUNCER["full_name"] in pdf(issuer.get(url)), url
        text = pdf(colleague.get(url))
        assert "Đơn không ghi rõ nội dung tố cáo" in text and not leaks(text), url


# ---------------------------------------------------------------------------------------------------------------
# auditors: the identity on their pages, never in their exports


def test_auditors_read_the_identity_on_their_pages_but_never_in_exports(case):
    forward_and_return(case)
    reception.return_at_counter(code=case.code, actor=actor("motcua.huyen"), collector="applicant")
    auditor = signed_in("thanhtra")
    assert DENOUNCER["full_name"] in html(auditor.get(f"/audit/dossiers/{case.code}/"))
    assert DENOUNCER["full_name"] in html(auditor.get("/audit/", {"code": case.code}))
    found = auditor.get("/audit/", {"code": case.code, "format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(found.streaming_content).decode("utf-8-sig"))))
    assert [case.code, MASK] == rows[1][:3:2] and not leaks(str(rows))
    text = xlsx_text(auditor.get("/audit/", {"code": case.code, "format": "xlsx"}))
    assert case.code in text and MASK in text and not leaks(text)
    text = pdf(auditor.get(f"/audit/dossiers/{case.code}/history.pdf"))
    assert case.code in text and not leaks(text), leaks(text)


def test_the_statistics_never_carry_the_denouncer(case):
    dossier = Dossier.objects.select_related("procedure", "receiving_unit", "applicant").get(pk=case.pk)
    for auditor in (True, False):
        row = drill_row(dossier, auditor)
        assert row["code"] == case.code and row["applicant"] == MASK and not leaks(str(row))
    at("2026-12-01 10:00")
    other = receive("nhan-cha-me-con", HIEPDUC, applicant=dict(CITIZEN))
    other = Dossier.objects.select_related("procedure", "receiving_unit", "applicant").get(pk=other.pk)
    assert drill_row(other, False)["applicant"] == CITIZEN["full_name"]  # an administrative dossier's name stays
    at("2026-12-02 09:00")
    query = "period=month&year=2026&month=12&unit=000.00.16.H57&subunits=on"
    text = xlsx_text(signed_in("ct.huyen").get(f"/statistics/?{query}&format=xlsx"))
    assert not leaks(text)
    drill = html(signed_in("ct.huyen").get(f"/statistics/dossiers/?{query}&category=received"))
    assert CITIZEN["full_name"] in drill and not leaks(drill)
    # the denunciations' figures (the kind filter): the case is listed, its denouncer is not, auditors included
    for username in ("ct.huyen", "thanhtra"):
        drill = html(signed_in(username).get(f"/statistics/dossiers/?{query}&kind=denunciation&category=received"))
        assert case.code in drill and MASK in drill and not leaks(drill), username
        text = xlsx_text(signed_in(username).get(f"/statistics/?{query}&kind=denunciation&format=xlsx"))
        assert not leaks(text), username


# ---------------------------------------------------------------------------------------------------------------
# the public portal


def test_the_portal_never_shows_the_denouncer_and_a_phone_number_does_not_find_the_case(case):
    client = Client()
    status = html(client.get("/tra-cuu/", {"ma": case.code}))
    assert case.code in status and not leaks(status)
    progress = html(client.get("/tra-cuu/", {"ma": case.code, "mk": case.lookup_secret}))
    assert 'data-testid="masked-name"' in progress and MASK in progress and not leaks(progress)
    by_phone = html(client.get("/tra-cuu/", {"ma": case.code, "sdt": DENOUNCER["phone"]}), 404)
    assert not leaks(by_phone) and 'data-testid="masked-name"' not in by_phone
