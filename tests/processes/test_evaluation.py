"""Circular 01/2018's nine indices and Decision 766's indicators (processes/evaluation.py) on a worked example computed
by hand, both ways (one dossier's detail in Python, the aggregates in SQL), and the bands' boundaries.

The example: xã Hiệp Đức, 2–6 March 2026 (no holiday), three "nhận cha, mẹ, con" dossiers (3 working days; steps
kiem_tra_ho_so — specialist, 2 days — and trinh_ky — signing leader, 1 day):

    D1 online, received Mon 02/03 08:00, due Thu 05/03 08:00; kiem_tra done 02/03 10:00 (due 04/03 08:00: early),
       trinh_ky done 02/03 14:00 (due 03/03 10:00: early). No contact.
       → 1: 2 (finished 02/03, a day before 05/03)  2: 2  3: 2  4: 2  7: 2
    D2 received 02/03 09:00, due 05/03 09:00; kiem_tra done 04/03 10:00 (due 04/03 09:00: late), trinh_ky done
       05/03 08:30 (due 05/03 10:00, same day: on time). Contacts: one phone call to the commune, one visit to the
       commune police that was the citizen's fault.
       → 1: 1 (same day, before 09:00)  2: 0 (worst step)  3: 1 (one counted)  4: 0 (another agency)  7: 1
    D3 received 02/03 10:00, due 05/03 10:00; kiem_tra done 03/03 09:00 (due 04/03 10:00: early), trinh_ky done
       06/03 09:00 (due 04/03 09:00: late). Contacts: two calls to the commune.
       → 1: 0  2: 0  3: 0 (two)  4: 1 (only the one-stop)  7: 0

Hiệp Đức, Q1 2026: 1 = (2+1+0)/3 = 1.0; 2 = its own verdicts (2, 0, 0)/3 = 0.67 → 0.7; 3 = (2+1+0)/3 = 1.0;
4 = (2+0+1)/3 = 1.0; 5 = one procedure, none of its dossiers routed elsewhere: 100% ≥ the commune's 100% → 2;
6 = 1 (electronic publication only); 7 = 1.0; 8 = not available; 9 = the four commune procedures all online (100% ≥
20%), 1 of 3 dossiers online (33.3% ≥ 30%), no online dossier late → 2. Total 9.7 of the 8 available indices (16
points) → 9.7 × 18 / 16 = 10.9125 → 10.9: fair.
Officials: tuphap.hiepduc (kiem_tra of all three): 1.0, own 2 = (2+0+2)/3 = 1.3, 1.0, 1.0, 1.0 → 5.3 → 100%;
ct.hiepduc (trinh_ky): 1.0, own 2 = (2+1+0)/3 = 1.0, 1.0, 1.0, 1.0 → 5.0 → 100% (the boundary).
Decision 766: within due 2 of 3 → 66.7%; online 1 of 3 → 33.3%; ratings D1 (5,5,5,5,5: average 5) and D2
(3,4,4,4,4: average 3.8) → satisfied 50.0%; electronic results not recorded → None; commune procedures online 100%.
"""
from datetime import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from engine import clock
from engine.calendar import VN_TZ
from processes import evaluation
from processes.evaluation import Period, agency_band, dossier_indices, evaluate, official_band
from processes.models import AdministrativeUnit, ServiceRating, WorkItem
from processes.services import dossiers
from processes.services.contacts import record_contact
from processes.services.errors import InvalidInput, NotAllowed
from processes.services.events import Actor

HIEPDUC = "003.00.16.H57"
APPLICANT = {"full_name": "Nguyễn Văn Ví Dụ", "phone": "0912345678"}


def actor(username):
    return Actor(get_user_model().objects.get(username=username))


def moment(text):
    fixed = clock.get_clock()
    value = datetime.strptime(text, "%d/%m %H:%M").replace(year=2026, tzinfo=VN_TZ)
    if isinstance(fixed, clock.FixedClock):
        fixed.set(value)
    else:
        clock.set_clock(clock.FixedClock(value))


def complete(dossier, when, data):
    moment(when)
    item = WorkItem.objects.get(dossier=dossier, status="open", kind="step")
    username = {"specialist": "tuphap.hiepduc", "signing_leader": "ct.hiepduc"}[item.role]
    dossiers.complete_work_item(item_id=item.pk, actor=actor(username), data=data)


def receive(when, channel=1):
    moment(when)
    return dossiers.receive_dossier(procedure_code="nhan-cha-me-con", unit_code=HIEPDUC, applicant=APPLICANT,
                                    channel=channel, actor=actor("motcua.hiepduc"))


def contact(dossier, when, **kwargs):
    moment(when)
    return record_contact(dossier_code=dossier.code, actor=actor("motcua.hiepduc"), **kwargs)


def build_worked_example():
    """The three dossiers of the module's docstring; returns them."""
    d1 = receive("02/03 08:00", channel=2)
    d2 = receive("02/03 09:00")
    d3 = receive("02/03 10:00")
    complete(d1, "02/03 10:00", {"needs_verification": False})
    complete(d1, "02/03 14:00", {"approved": True})
    complete(d3, "03/03 09:00", {"needs_verification": False})
    contact(d2, "03/03 10:00", kind="phone", unit_code=HIEPDUC, note="Hỏi tiến độ")
    contact(d2, "03/03 11:00", kind="visit", agency_name="Công an xã Hiệp Đức", citizen_fault=True)
    complete(d2, "04/03 10:00", {"needs_verification": False})
    contact(d3, "04/03 14:00", kind="phone", unit_code=HIEPDUC)
    contact(d3, "05/03 14:00", kind="phone", unit_code=HIEPDUC)
    complete(d2, "05/03 08:30", {"approved": True})
    complete(d3, "06/03 09:00", {"approved": True})
    moment("06/03 10:00")
    ServiceRating.objects.create(dossier=d1, access=5, procedure=5, official=5, result=5, feedback=5,
                                 rated_at=clock.now())
    ServiceRating.objects.create(dossier=d2, access=3, procedure=4, official=4, result=4, feedback=4,
                                 rated_at=clock.now())
    for d in (d1, d2, d3):
        d.refresh_from_db()
    return d1, d2, d3


def D(text):
    return Decimal(text)


def test_each_dossier_scores_as_computed_by_hand(demo):
    d1, d2, d3 = build_worked_example()
    expected = {d1: {1: 2, 2: 2, 3: 2, 4: 2, 7: 2}, d2: {1: 1, 2: 0, 3: 1, 4: 0, 7: 1},
                d3: {1: 0, 2: 0, 3: 0, 4: 1, 7: 0}}
    for dossier, scores in expected.items():
        got = dossier_indices(dossier)
        assert {k: got[k] for k in scores} == scores, dossier.code
    assert dossier_indices(d2)["agencies"] == ["UBND xã Hiệp Đức", "Công an xã Hiệp Đức"]
    assert dossier_indices(d2)["contacts"] == 1


def test_the_agency_the_officials_and_766_as_computed_by_hand(demo):
    build_worked_example()
    hiepduc = AdministrativeUnit.objects.get(code=HIEPDUC)
    result = evaluate(Period(2026, 1), {hiepduc.pk}, now=datetime(2026, 11, 1, tzinfo=VN_TZ))
    [agency] = result["agencies"]
    assert agency["unit"] == hiepduc and agency["dossiers"] == 3
    assert agency["indices"] == {1: D("1.0"), 2: D("0.7"), 3: D("1.0"), 4: D("1.0"), 5: D("2"), 6: D("1"),
                                 7: D("1.0"), 8: None, 9: D("2")}
    assert agency["total"] == D("9.7") and agency["available"] == 8
    assert agency["scaled"] == D("10.9") and agency["band"] == "fair"
    assert agency["details"]["one_stop_pct"] == D("100.0")
    assert agency["details"]["dossiers_online_pct"] == D("33.3")
    officials = {row["user"].username: row for row in result["officials"]}
    assert set(officials) == {"tuphap.hiepduc", "ct.hiepduc"}
    assert officials["tuphap.hiepduc"]["indices"] == {1: D("1.0"), 2: D("1.3"), 3: D("1.0"), 4: D("1.0"),
                                                      7: D("1.0")}
    assert officials["tuphap.hiepduc"]["total"] == D("5.3") and officials["tuphap.hiepduc"]["band"] == "100"
    assert officials["ct.hiepduc"]["indices"][2] == D("1.0")
    assert officials["ct.hiepduc"]["total"] == D("5.0") and officials["ct.hiepduc"]["band"] == "100"
    indicators = result["indicators"]
    assert (indicators["to_process"], indicators["within_due"], indicators["on_time_pct"]) == (3, 2, D("66.7"))
    assert indicators["online_pct"] == D("33.3")
    assert indicators["electronic_result_pct"] is None
    assert (indicators["ratings"], indicators["satisfied_pct"]) == (2, D("50.0"))
    assert indicators["procedures_online_pct"] == D("100.0")


def test_the_period_and_the_scope_bound_the_evaluation(demo):
    build_worked_example()
    hiepduc = AdministrativeUnit.objects.get(code=HIEPDUC)
    later = datetime(2026, 11, 1, tzinfo=VN_TZ)
    assert evaluate(Period(2026, 2), {hiepduc.pk}, now=later)["agencies"] == []
    tambinh = AdministrativeUnit.objects.get(code="014.00.16.H57")
    assert evaluate(Period(2026, 1), {tambinh.pk}, now=later)["agencies"] == []
    # the year holds the quarter; every unit (None) too
    year = evaluate(Period(2026), None, now=later)
    assert [row["unit"].code for row in year["agencies"]] == [HIEPDUC]
    # a dossier routed to another unit makes the procedure not fully handled at the one-stop (index 5)
    from processes.models import DossierParticipant

    d = hiepduc.received_dossiers.order_by("id").first()
    DossierParticipant.objects.create(dossier=d, unit=AdministrativeUnit.objects.get(code="000.02.16.H57"))
    [agency] = [row for row in evaluate(Period(2026, 1), {hiepduc.pk}, now=later)["agencies"]]
    assert agency["indices"][5] == D("0") and agency["details"]["one_stop_pct"] == D("0.0")


@pytest.mark.parametrize("points, band", [
    (D("18"), "excellent"), (D("15"), "excellent"), (D("14.9"), "good"), (D("12"), "good"), (D("11.9"), "fair"),
    (D("9"), "fair"), (D("8.9"), "average"), (D("6"), "average"), (D("5.9"), "weak"), (D("0"), "weak"),
])
def test_agency_bands(points, band):
    assert agency_band(points) == band


@pytest.mark.parametrize("points, band", [
    (D("10"), "100"), (D("5"), "100"), (D("4.9"), "70-100"), (D("3.5"), "70-100"), (D("3.4"), "under-70"),
    (D("0"), "under-70"),
])
def test_official_bands(points, band):
    assert official_band(points) == band


def test_periods():
    assert Period.parse("2026-Q3").start == datetime(2026, 7, 1, tzinfo=VN_TZ)
    assert Period.parse("2026-q4").end == datetime(2027, 1, 1, tzinfo=VN_TZ)
    assert Period.parse("2026").end == datetime(2027, 1, 1, tzinfo=VN_TZ)
    for bad in ("", "26", "2026-Q5", "2026-Q", "abcd"):
        with pytest.raises(ValueError):
            Period.parse(bad)


def test_record_contact_checks_its_input_and_who_records(demo):
    d1, _, _ = build_worked_example()
    with pytest.raises(InvalidInput) as exc:
        record_contact(dossier_code=d1.code, kind="fax", unit_code=HIEPDUC, actor=actor("motcua.hiepduc"))
    assert exc.value.field == "kind"
    with pytest.raises(InvalidInput) as exc:
        record_contact(dossier_code=d1.code, kind="phone", actor=actor("motcua.hiepduc"))
    assert exc.value.field == "unit"
    with pytest.raises(InvalidInput) as exc:
        record_contact(dossier_code=d1.code, kind="phone", unit_code="nope", actor=actor("motcua.hiepduc"))
    assert exc.value.field == "unit"
    with pytest.raises(NotAllowed):  # another commune's desk; an auditor only reads
        record_contact(dossier_code=d1.code, kind="phone", unit_code=HIEPDUC, actor=actor("motcua.tambinh"))
    with pytest.raises(NotAllowed):
        record_contact(dossier_code=d1.code, kind="phone", unit_code=HIEPDUC, actor=actor("thanhtra"))
    contact = record_contact(dossier_code=d1.code, kind="phone", unit_code=HIEPDUC, note="Hỏi kết quả",
                             actor=actor("tuphap.hiepduc"))
    event = d1.events.filter(kind="citizen_contact_recorded").get()
    assert event.data_after["contact"] == contact.pk and event.actor.username == "tuphap.hiepduc"
    assert evaluation.dossier_indices(d1)[3] == 1
