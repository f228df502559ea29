"""The evaluation pages through Django's test client: who may read them (leaders of their units and sub-units,
auditors; 403 for everyone else), the table's figures on the worked example of tests/processes/test_evaluation.py,
bad filters answered at their field (400), a dossier's indices, the desk's form recording a citizen's contact (400 at
the field on bad input), and the "simulated" badge."""
import re

from django.test import Client

from engine import clock
from processes.models import CitizenContact, Dossier

from ..processes.test_evaluation import build_worked_example
from .helpers import HIEPDUC, signed_in

PAGE = "/evaluation/"


def example():
    dossiers = build_worked_example()
    clock.set_clock(clock.SystemClock())
    return dossiers


def cells(html, testid):
    """The data-value attributes of the cells of the row with this data-testid."""
    row = re.search(rf'<tr data-testid="{re.escape(testid)}">(.*?)</tr>', html, re.S)
    assert row, f"no row {testid}"
    return re.findall(r'data-value="([^"]*)"', row.group(1))


def field_error(html, name):
    found = re.search(rf'<p class="field-error" id="err-{name}" role="alert">(.*?)</p>', html, re.S)
    return found.group(1).strip() if found else None


def test_who_may_read_the_evaluation(demo):
    for username in ("tuphap.hiepduc", "motcua.hiepduc", "cv.tuphap", "thietke"):
        assert signed_in(username).get(PAGE).status_code == 403, username
    for username in ("ct.hiepduc", "ct.huyen", "tp.tuphap", "thanhtra"):
        assert signed_in(username).get(PAGE).status_code == 200, username
    assert Client().get(PAGE).status_code == 302  # the sign-in page


def test_the_table_shows_the_worked_example(demo):
    example()
    page = signed_in("ct.hiepduc").get(PAGE, {"period": "2026-Q1", "unit": HIEPDUC})
    assert page.status_code == 200
    html = page.content.decode()
    #            1      2      3      4      5    6    7      8   9   total  scaled  band
    assert cells(html, f"agency-{HIEPDUC}") == ["1.0", "0.7", "1.0", "1.0", "2", "1", "1.0", "", "2", "9.7", "10.9",
                                                "fair"]
    assert "Khá" in html
    assert cells(html, "official-tuphap.hiepduc") == ["1.0", "1.3", "1.0", "1.0", "1.0", "5.3", "100"]
    assert cells(html, "official-ct.hiepduc")[-2:] == ["5.0", "100"]
    assert 'data-testid="on_time_pct" data-value="66.7"' in html
    assert 'data-testid="satisfied_pct" data-value="50.0"' in html
    # the district's leader sees the commune among the district's units; another quarter has nothing
    district = signed_in("ct.huyen").get(PAGE, {"period": "2026-Q1"}).content.decode()
    assert cells(district, f"agency-{HIEPDUC}")[-3:] == ["9.7", "10.9", "fair"]
    later = signed_in("ct.huyen").get(PAGE, {"period": "2026-Q2"}).content.decode()
    assert f"agency-{HIEPDUC}" not in later


def test_bad_filters_are_answered_at_their_field(demo):
    page = signed_in("ct.hiepduc").get(PAGE, {"period": "2026-Q9"})
    assert page.status_code == 400 and field_error(page.content.decode(), "period")
    # a commune's leader cannot pick another commune
    page = signed_in("ct.tambinh").get(PAGE, {"period": "2026-Q1", "unit": HIEPDUC})
    assert page.status_code == 400 and field_error(page.content.decode(), "unit")


def test_a_dossiers_indices(demo):
    _, d2, _ = example()
    url = f"/evaluation/dossiers/{d2.code}/"
    page = signed_in("ct.hiepduc").get(url)
    assert page.status_code == 200
    html = page.content.decode()
    found = dict(re.findall(r'data-testid="index-(\d)" data-value="(\d)"', html))
    assert found == {"1": "1", "2": "0", "3": "1", "4": "0", "7": "1"}
    assert signed_in("thanhtra").get(url).status_code == 200
    assert signed_in("ct.tambinh").get(url).status_code == 404
    assert signed_in("tuphap.hiepduc").get(url).status_code == 403


def test_the_desk_records_a_contact(demo):
    d1, _, _ = example()
    url = f"/reception/dossiers/{d1.code}/contacts/"
    desk = signed_in("motcua.hiepduc")
    page = desk.get(f"/reception/dossiers/{d1.code}/")
    assert page.status_code == 200 and 'id="citizen-contacts"' in page.content.decode()
    # bad input: at its field, 400, nothing recorded
    page = desk.post(url, {"kind": "phone", "unit": "other", "agency_name": ""})
    assert page.status_code == 400
    assert field_error(page.content.decode(), "agency_name")
    page = desk.post(url, {"kind": "fax", "unit": HIEPDUC})
    assert page.status_code == 400 and field_error(page.content.decode(), "kind")
    page = desk.post(url, {"kind": "phone", "unit": "999.99.99.H57"})
    assert page.status_code == 400 and field_error(page.content.decode(), "unit")
    assert CitizenContact.objects.filter(dossier=d1).count() == 0
    # a good one
    page = desk.post(url, {"kind": "visit", "unit": "other", "agency_name": "Công an xã", "citizen_fault": "on",
                           "note": "Hỏi giấy tờ"})
    assert page.status_code == 302
    contact = CitizenContact.objects.get(dossier=d1)
    assert (contact.kind, contact.unit, contact.agency_name, contact.citizen_fault) == ("visit", None, "Công an xã",
                                                                                      True)
    assert "Công an xã" in desk.get(f"/reception/dossiers/{d1.code}/").content.decode()
    # not the desk: 403
    assert signed_in("tuphap.hiepduc").post(url, {"kind": "phone", "unit": HIEPDUC}).status_code == 403


def test_simulated_dossiers_wear_a_badge(demo):
    d1, _, _ = example()
    desk = signed_in("motcua.hiepduc")
    assert 'data-testid="simulated"' not in desk.get(f"/reception/dossiers/{d1.code}/").content.decode()
    Dossier.objects.filter(pk=d1.pk).update(simulated=True)
    assert 'data-testid="simulated"' in desk.get(f"/reception/dossiers/{d1.code}/").content.decode()
    assert 'data-testid="simulated"' in signed_in("thanhtra").get(f"/audit/dossiers/{d1.code}/").content.decode()
