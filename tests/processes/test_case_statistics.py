"""The statistics of complaints, denunciations, petitions and dialogue opinions (issue 9; processes/statistics.py,
"Cases") and their place in the evaluation (processes/evaluation.py: indices 7 and 8, Decision 766's complaint and
feedback indicators), against a hand-computed fixture. Every case is driven through the real services — reception,
each step completed by the official its lane routes to, the statutory clock's timers fired by timers.sweep_inline at
the instants set on the injectable clock — with the demo's diagrams (bpmn/khieu_nai_lan_dau.bpmn, to_cao.bpmn,
phan_anh_kien_nghi.bpmn, y_kien_doi_thoai.bpmn). The administrative dossiers beside them are received through the
reception service and given their result directly (status, finished_at), as tests/processes/test_statistics.py does.

Calendar: office hours 07:30–11:30, 13:00–17:00, Monday to Friday; May–July 2026 have no holiday after 1 May. n
working days from 09:00 end at 09:00 n working days later; n calendar days end at 17:00 of day n after the start.

At the district (UBND huyện Cai Lậy), complaints, first instance (acceptance 10 working days, resolution 30 days from
the acceptance, sending the decision 3 working days):

    C9  received Mon 11/05 09:00, not admissible 12/05 (end_khong_thu_ly)        May only
    C6  received Mon 04/05 09:00, accepted Wed 06/05 10:00 (resolution due Fri 05/06 17:00); the due time passes open
        (timer fired Mon 08/06 08:00: late); decided 08/06, sent Tue 09/06 10:00  carried over, accepted, resolved late
    C1  received Mon 01/06 09:00, accepted Wed 03/06, decided Fri 12/06, sent Mon 15/06   accepted, resolved on time
    C2  received Mon 01/06 09:30, not admissible 02/06, notified 03/06 (end_khong_thu_ly)   not accepted
    C3  received Tue 02/06 09:00, forwarded 03/06 (end_chuyen_don)                         forwarded
    C4  received Thu 04/06 09:00, acceptance due Thu 18/06 09:00 passes (timer fired Fri 19/06 10:00: late);
        accepted Mon 22/06 (resolution due 22/07): open, late in its first phase          accepted, overdue
    C7  received Mon 15/06 09:00, withdrawn Tue 16/06 10:00                                stopped
    C5  received Mon 22/06 09:00 (acceptance due Mon 06/07 09:00), not classified yet      not yet due
    C8  received Thu 02/07 09:00                                                           July only
Denunciations (initial handling 7 working days; forwarding 5 working days from reception; resolution 30 days):
    D1  received Mon 01/06 10:00, classified 03/06, accepted Thu 04/06 (resolution due Mon 06/07 17:00), in
        verification                                                                       accepted, not yet due
    D2  received Tue 02/06 10:00, to be forwarded (05/06; due Tue 09/06 10:00), forwarded Fri 12/06: late, but
        forwarded is its own figure                                                        forwarded
Petitions (15 working days; refusal 2, asking for information 5, forwarding 5 working days from reception;
publication of the answer 2 working days):
    P1  received Mon 01/06 14:00, to be answered 02/06, answered 05/06, signed 08/06, published Tue 09/06
                                                                                           accepted, answered on time
    P5  received Mon 01/06 15:00 (due Mon 22/06 15:00), to be answered 02/06; the due time passes (timer fired Tue
        23/06 09:00: late); answered, signed 23/06, published Wed 24/06                   accepted, answered late
    P2  received Wed 03/06 09:00, refused (end_tu_choi) 04/06                              not accepted
    P3  received Wed 03/06 10:00, information asked (end_de_nghi_bo_sung) 05/06            not accepted
    P4  received Mon 08/06 09:00, forwarded (end_chuyen) 10/06                             forwarded
    P6  received Mon 29/06 09:00, not classified yet (due 20/07)                           not yet due
Dialogue opinions (the response time given at the meeting, response_days; 15 working days without it):
    G1  xã Hiệp Đức, recorded Mon 01/06 09:00 with 10 days (due 15/06 09:00), answered 10/06, published 11/06
                                                                                           assigned, answered on time
    G2  xã Hiệp Đức, recorded Mon 01/06 09:30 with 5 days (due Mon 08/06 09:30), unanswered (timer fired 09/06)
                                                                                           assigned, overdue
    G3  xã Hiệp Đức, recorded Thu 25/06 09:00 (15 days: due 16/07), unanswered             assigned, not yet due
    G4  xã Tam Bình, recorded Tue 02/06 09:00 with 10 days, answered 05/06, published 08/06  answered on time
Administrative dossiers: A1…A8, construction permits received at the district on Mon 01/06 from 08:00 (15 calendar
days: due Tue 16/06 17:00): A1–A4 processed Wed 10/06 10:00 (early), A5–A7 Tue 16/06 10:00 (on time), A8 Wed 17/06
10:00 (late).

June 2026, seen on 15/07, at the district:
    complaints     received 6 (C1 C2 C3 C4 C5 C7), carried over 1 (C6), to process 7; accepted 3 (C1 C4 C6); not
                   accepted 1 (C2), forwarded 1 (C3), on time 1 (C1), late 1 (C6), stopped 1 (C7), not yet due 1
                   (C5), overdue 1 (C4); late 2 ÷ 7 = 28.57 %.
    denunciations  received 2, to process 2; accepted 1 (D1), forwarded 1 (D2), not yet due 1 (D1); late 0 %.
    petitions      received 6, to process 6; accepted 2 (P1 P5), not accepted 2 (P2 P3), forwarded 1 (P4), on time
                   1 (P1), late 1 (P5), not yet due 1 (P6); late 1 ÷ 6 = 16.67 %.
    dialogue       (Hiệp Đức) received 3, assigned 3, on time 1 (G1), not yet due 1 (G3), overdue 1 (G2); 33.33 %;
                   the district with its communes: received 4, on time 2 (G1 G4).
    administrative received 8, to process 8, early 4, on time 3, late 1: whatever the cases, as before them.

The evaluation of Q2 2026 (as of 01/07 00:00), the district and its communes:
    index 7, district: 8 dossiers, index 1 = (4 × 2 + 3 × 1 + 0) ÷ 8 = 1.375 → 1.4 (and index 7 before the cases);
        complaints and denunciations about it: C1 C4 C5 C6 C7 D1 = 6 (C2, C9 not admissible, C3 and D2 forwarded,
        are not) → 11 × (8 − 6) ÷ 8 ÷ 8 = 0.34375 → 0.3.
    index 8: district, petitions handled within their due time 5 of 6 (P5 late) = 83.3 % → 0; Hiệp Đức 2 of 3
        (G2 overdue) → 0; Tam Bình 1 of 1 → 2.
    Decision 766: feedback on time 8 of 10 = 80.0 %; complaints 6; satisfaction 100 − (late 12.5 % + complaints
        75 %) → (7 − 6) ÷ 8 = 12.5 % (87.5 % before the cases).
"""
from datetime import date, datetime
from decimal import Decimal

import pytest

from engine import clock
from engine.calendar import VN_TZ
from processes import evaluation, statistics
from processes.evaluation import Period
from processes.models import AdministrativeUnit, Dossier
from processes.services import dossiers as dossier_services
from processes.services import timers
from processes.services.statutory import withdraw_dossier

from .helpers import actor, at, official_for, step, vn

NOW = datetime(2026, 7, 15, 10, 0, tzinfo=VN_TZ)
DISTRICT = "000.00.16.H57"
HIEPDUC = "003.00.16.H57"
TAMBINH = "014.00.16.H57"
CITIZEN = {"full_name": "Phạm Văn Khiếu", "id_number": "082090009999", "phone": "0909000111"}
JUNE = (date(2026, 6, 1), date(2026, 6, 30))
MAY = (date(2026, 5, 1), date(2026, 5, 31))




def receive(procedure, unit=DISTRICT, data=None):
    return dossier_services.receive_dossier(procedure_code=procedure, unit_code=unit, applicant=dict(CITIZEN),
                                            data=data or {}, actor=actor(official_for(unit, "reception")))



def sweep(when):
    at(when)
    timers.sweep_inline()


def build_administrative():
    """A1…A8 of the module docstring; {key: Dossier}."""
    made = {}
    for number in range(1, 9):
        at(f"2026-06-01 08:{number:02d}")
        made[f"A{number}"] = receive("giay-phep-xay-dung")
    for key, finished in (("A1", "2026-06-10 10:00"), ("A2", "2026-06-10 10:00"), ("A3", "2026-06-10 10:00"),
                          ("A4", "2026-06-10 10:00"), ("A5", "2026-06-16 10:00"), ("A6", "2026-06-16 10:00"),
                          ("A7", "2026-06-16 10:00"), ("A8", "2026-06-17 10:00")):
        Dossier.objects.filter(pk=made[key].pk).update(status="processed", finished_at=vn(finished))
    return {key: Dossier.objects.get(pk=d.pk) for key, d in made.items()}


def build_cases():
    """The cases of the module docstring, driven through the services in time order; {key: Dossier}."""
    made = {}
    accept = {"complexity": "normal", "acceptance_number": "01/TB-UBND"}
    decide = {"decision_number": "15/QĐ-UBND", "result": "partly"}
    desk = actor(official_for(DISTRICT, "reception"))

    at("2026-05-04 09:00")
    made["C6"] = receive("khieu-nai-lan-dau")
    at("2026-05-05 10:00")
    step(made["C6"], "phan_loai", {"classification": "accept"})
    at("2026-05-06 10:00")
    step(made["C6"], "quyet_dinh_thu_ly", accept)
    at("2026-05-11 09:00")
    made["C9"] = receive("khieu-nai-lan-dau")
    at("2026-05-12 10:00")
    step(made["C9"], "phan_loai", {"classification": "not_admissible"})
    step(made["C9"], "thong_bao_khong_thu_ly", {"reason": "Hết thời hiệu khiếu nại"})

    at("2026-06-01 09:00")
    made["C1"] = receive("khieu-nai-lan-dau")
    made["G1"] = receive("y-kien-doi-thoai", HIEPDUC, {"response_days": 10})
    at("2026-06-01 09:30")
    made["C2"] = receive("khieu-nai-lan-dau")
    made["G2"] = receive("y-kien-doi-thoai", HIEPDUC, {"response_days": 5})
    at("2026-06-01 10:00")
    made["D1"] = receive("to-cao")
    at("2026-06-01 14:00")
    made["P1"] = receive("phan-anh-kien-nghi")
    at("2026-06-01 15:00")
    made["P5"] = receive("phan-anh-kien-nghi")
    at("2026-06-02 09:00")
    made["C3"] = receive("khieu-nai-lan-dau")
    made["G4"] = receive("y-kien-doi-thoai", TAMBINH, {"response_days": 10})
    at("2026-06-02 10:00")
    made["D2"] = receive("to-cao")
    step(made["C1"], "phan_loai", {"classification": "accept"})
    step(made["C2"], "phan_loai", {"classification": "not_admissible"})
    step(made["P1"], "phan_loai", {"classification": "answer"})
    step(made["P5"], "phan_loai", {"classification": "answer"})
    at("2026-06-03 09:00")
    made["P2"] = receive("phan-anh-kien-nghi")
    step(made["C1"], "quyet_dinh_thu_ly", accept)
    step(made["C2"], "thong_bao_khong_thu_ly", {"reason": "Không đủ điều kiện thụ lý"})
    step(made["C3"], "phan_loai", {"classification": "forward"})
    step(made["C3"], "chuyen_don")
    step(made["D1"], "xu_ly_ban_dau", {"classification": "accept"})
    step(made["P2"], "phan_loai", {"classification": "reject"})
    at("2026-06-03 10:00")
    made["P3"] = receive("phan-anh-kien-nghi")
    step(made["P3"], "phan_loai", {"classification": "ask_information"})
    at("2026-06-04 09:00")
    made["C4"] = receive("khieu-nai-lan-dau")
    step(made["P2"], "tu_choi", {"reason": "Không thuộc phạm vi tiếp nhận"})
    at("2026-06-04 10:00")
    step(made["D1"], "quyet_dinh_thu_ly", accept)
    at("2026-06-05 10:00")
    step(made["D2"], "xu_ly_ban_dau", {"classification": "forward"})
    step(made["P3"], "de_nghi_bo_sung", {"request": "Nêu rõ quy định được phản ánh"})
    step(made["P1"], "nghien_cuu_tra_loi", {"answer": "Quy định đã được sửa đổi"})
    step(made["G4"], "tra_loi", {"answer": "Đã sửa đường"})
    sweep("2026-06-08 08:00")  # C6's resolution was due Fri 05/06 17:00
    at("2026-06-08 09:00")
    made["P4"] = receive("phan-anh-kien-nghi")
    step(made["C6"], "xac_minh")
    step(made["C6"], "quyet_dinh_giai_quyet", decide)
    step(made["P1"], "duyet_tra_loi")
    step(made["G4"], "cong_khai")
    at("2026-06-09 09:00")
    step(made["P4"], "phan_loai", {"classification": "forward"})
    sweep("2026-06-09 10:00")  # G2 was due 08/06 09:30
    step(made["C6"], "gui_quyet_dinh")
    step(made["P1"], "cong_khai")
    at("2026-06-10 10:00")
    step(made["P4"], "chuyen_co_quan")
    step(made["C1"], "xac_minh")
    step(made["G1"], "tra_loi", {"answer": "Sẽ lắp đèn chiếu sáng trong quý III"})
    at("2026-06-11 10:00")
    step(made["G1"], "cong_khai")
    at("2026-06-12 10:00")
    step(made["D2"], "chuyen_don")
    step(made["C1"], "quyet_dinh_giai_quyet", decide)
    at("2026-06-15 09:00")
    made["C7"] = receive("khieu-nai-lan-dau")
    step(made["C1"], "gui_quyet_dinh")
    at("2026-06-16 10:00")
    withdraw_dossier(made["C7"].code, desk, "Người khiếu nại rút đơn")
    sweep("2026-06-19 10:00")  # C4's acceptance was due Thu 18/06 09:00
    at("2026-06-22 09:00")
    made["C5"] = receive("khieu-nai-lan-dau")
    at("2026-06-22 10:00")
    step(made["C4"], "phan_loai", {"classification": "accept"})
    step(made["C4"], "quyet_dinh_thu_ly", accept)
    sweep("2026-06-23 09:00")  # P5 was due Mon 22/06 15:00
    at("2026-06-23 10:00")
    step(made["P5"], "nghien_cuu_tra_loi", {"answer": "Đã kiến nghị sửa quy định"})
    step(made["P5"], "duyet_tra_loi")
    at("2026-06-24 10:00")
    step(made["P5"], "cong_khai")
    at("2026-06-25 09:00")
    made["G3"] = receive("y-kien-doi-thoai", HIEPDUC)
    at("2026-06-29 09:00")
    made["P6"] = receive("phan-anh-kien-nghi")
    at("2026-07-02 09:00")
    made["C8"] = receive("khieu-nai-lan-dau")
    return {key: Dossier.objects.get(pk=d.pk) for key, d in made.items()}


def scope_of(first, last, kind="administrative", unit_codes=(DISTRICT,), with_subunits=False, now=NOW):
    units = list(AdministrativeUnit.objects.filter(code__in=unit_codes).values_list("pk", flat=True))
    ids = statistics.subtree_ids(units) if with_subunits else units
    return statistics.Scope.for_days(first, last, unit_ids=ids, now=now, kind=kind)


def district_tree():
    return statistics.subtree_ids([AdministrativeUnit.objects.get(code=DISTRICT).pk])


def plain(report):
    """A report's figures without the model objects: comparable across two computations."""
    return {"totals": report.totals,
            "by_procedure": [{k: v for k, v in row.items() if k != "procedure"} for row in report.by_procedure],
            "by_unit": [{k: v for k, v in row.items() if k != "unit"} for row in report.by_unit],
            "by_official": [{k: v for k, v in row.items() if k != "official"} for row in report.by_official]}


@pytest.fixture
def cases(demo):
    """The administrative dossiers, their figures before any case (statistics of June, evaluation of Q2), then the
    cases."""
    administrative = build_administrative()
    before = {
        "june": plain(statistics.report(scope_of(*JUNE, with_subunits=True))),
        "evaluation": evaluation.evaluate(Period(2026, 2), district_tree(), now=NOW),
    }
    made = build_cases()
    clock.set_clock(clock.FixedClock(NOW))
    return {"dossiers": {**administrative, **made}, "before": before}


def keys_of(qs, dossiers):
    by_pk = {d.pk: key for key, d in dossiers.items()}
    return " ".join(sorted(by_pk[pk] for pk in qs.values_list("pk", flat=True)))


def figures(kind, expected, first_last=JUNE, **where):
    scope = scope_of(*first_last, kind=kind, **where)
    totals = statistics.report(scope).totals
    return scope, {name: totals[name] for name in expected}


COMPLAINTS = {
    "received": "C1 C2 C3 C4 C5 C7", "carried_over": "C6", "to_process": "C1 C2 C3 C4 C5 C6 C7",
    "accepted": "C1 C4 C6", "not_accepted": "C2", "forwarded": "C3", "resolved_on_time": "C1",
    "resolved_late": "C6", "stopped": "C7", "not_yet_due": "C5", "overdue": "C4",
    "resolved": "C1 C6", "in_progress": "C4 C5", "late_total": "C4 C6",
}
DENUNCIATIONS = {
    "received": "D1 D2", "carried_over": "", "to_process": "D1 D2", "accepted": "D1", "not_accepted": "",
    "forwarded": "D2", "resolved_on_time": "", "resolved_late": "", "stopped": "", "not_yet_due": "D1",
    "overdue": "", "resolved": "", "in_progress": "D1", "late_total": "",
}
PETITIONS = {
    "received": "P1 P2 P3 P4 P5 P6", "carried_over": "", "to_process": "P1 P2 P3 P4 P5 P6", "accepted": "P1 P5",
    "not_accepted": "P2 P3", "forwarded": "P4", "resolved_on_time": "P1", "resolved_late": "P5", "stopped": "",
    "not_yet_due": "P6", "overdue": "", "resolved": "P1 P5", "in_progress": "P6", "late_total": "P5",
}
DIALOGUE = {
    "received": "G1 G2 G3", "carried_over": "", "to_process": "G1 G2 G3", "accepted": "G1 G2 G3",
    "not_accepted": "", "forwarded": "", "resolved_on_time": "G1", "resolved_late": "", "stopped": "",
    "not_yet_due": "G3", "overdue": "G2", "resolved": "G1", "in_progress": "G2 G3", "late_total": "G2",
}


def counts(expected):
    return {name: len(keys.split()) for name, keys in expected.items()}


def _fixture_went_as_the_docstring_says(cases):
    made = cases["dossiers"]
    assert made["A1"].due_at == vn("2026-06-16 17:00")
    assert [made[k].outcome for k in ("C1", "C2", "C3", "C6", "C9")] == [
        "end_da_giai_quyet", "end_khong_thu_ly", "end_chuyen_don", "end_da_giai_quyet", "end_khong_thu_ly"]
    assert [made[k].outcome for k in ("P1", "P2", "P3", "P4", "P5", "G1", "G4", "D2")] == [
        "end_da_tra_loi", "end_tu_choi", "end_de_nghi_bo_sung", "end_chuyen", "end_da_tra_loi", "end_da_cong_khai",
        "end_da_cong_khai", "end_chuyen_don"]
    late = {key for key, d in made.items() if "late" in d.flags}
    assert late == {"C4", "C6", "D2", "P5", "G2"}
    assert made["C7"].status == "withdrawn" and made["C7"].finished_at == vn("2026-06-16 10:00")
    assert (made["C4"].clock_phase, made["C4"].due_at) == ("resolution", vn("2026-07-22 17:00"))
    assert made["C5"].due_at == vn("2026-07-06 09:00") and made["D1"].due_at == vn("2026-07-06 17:00")
    assert made["G2"].due_at == vn("2026-06-08 09:30") and made["G3"].due_at == vn("2026-07-16 09:00")
    assert made["P6"].status == "received" and made["C8"].received_at == vn("2026-07-02 09:00")


KINDS = (("complaint", COMPLAINTS, {}), ("denunciation", DENUNCIATIONS, {}), ("petition", PETITIONS, {}),
         ("dialogue", DIALOGUE, {"unit_codes": (HIEPDUC,)}))


def test_june_every_figure_of_each_kind_its_dossiers_and_the_rates(cases):
    _fixture_went_as_the_docstring_says(cases)
    rates = {}
    for kind, expected, where in KINDS:
        scope, totals = figures(kind, expected, **where)
        assert totals == counts(expected), kind
        assert sum(totals[name] for name in statistics.CASE_PARTITION) == totals["to_process"], kind
        for category, keys in expected.items():
            assert keys_of(statistics.dossiers_for(scope, category), cases["dossiers"]) == keys, (kind, category)
        report = statistics.report(scope).totals
        rates[kind] = (report["late_rate"], report["on_time_rate"])
    assert rates == {
        "complaint": (Decimal("28.57"), Decimal("71.43")),
        "denunciation": (Decimal("0.00"), Decimal("100.00")),
        "petition": (Decimal("16.67"), Decimal("83.33")),
        "dialogue": (Decimal("33.33"), Decimal("66.67")),
    }


def test_may_the_carry_over_and_a_period_seen_while_it_runs(cases):
    scope, totals = figures("complaint", ("received", "carried_over", "to_process", "accepted", "not_accepted",
                                          "not_yet_due", "overdue", "resolved"), first_last=MAY)
    assert totals == {"received": 2, "carried_over": 0, "to_process": 2, "accepted": 1, "not_accepted": 1,
                      "not_yet_due": 1, "overdue": 0, "resolved": 0}
    assert keys_of(statistics.dossiers_for(scope, "in_progress"), cases["dossiers"]) == "C6"
    july = statistics.report(scope_of(date(2026, 7, 1), date(2026, 7, 31), kind="complaint")).totals
    assert (july["received"], july["carried_over"]) == (1, 2)  # C8; C4 and C5 left in progress by June
    _seen_while_it_runs(cases)


def _seen_while_it_runs(cases):
    """June seen on Fri 19/06 at 12:00: C4's acceptance was due Thursday at 09:00 and the clock said so at 10:00
    today (deadline_passed) — overdue, though its running phase is now the resolution's, due in July; C4 is accepted
    only on the 22nd; C5, P6, G3 are not received yet; P5 is accepted and not yet due (late on the 22nd)."""
    seen = vn("2026-06-19 12:00")
    scope = scope_of(*JUNE, kind="complaint", now=seen)
    made = cases["dossiers"]
    assert keys_of(statistics.dossiers_for(scope, "overdue"), made) == "C4"
    assert keys_of(statistics.dossiers_for(scope, "accepted"), made) == "C1 C6"
    assert keys_of(statistics.dossiers_for(scope, "received"), made) == "C1 C2 C3 C4 C7"
    petitions = scope_of(*JUNE, kind="petition", now=seen)
    assert keys_of(statistics.dossiers_for(petitions, "not_yet_due"), made) == "P5"
    assert keys_of(statistics.dossiers_for(petitions, "accepted"), made) == "P1 P5"
    assert keys_of(statistics.dossiers_for(petitions, "received"), made) == "P1 P2 P3 P4 P5"
    # before the clock said so, the due time counted is the one recorded now: the resolution's, in July
    earlier = scope_of(*JUNE, kind="complaint", now=vn("2026-06-19 09:00"))
    assert keys_of(statistics.dossiers_for(earlier, "not_yet_due"), made) == "C4"


def test_units_breakdowns_and_officials(cases):
    made = cases["dossiers"]
    whole = statistics.report(scope_of(*JUNE, kind="dialogue", with_subunits=True))
    assert {row["unit"].code: (row["to_process"], row["resolved_on_time"]) for row in whole.by_unit} == {
        HIEPDUC: (3, 1), TAMBINH: (1, 1)}
    assert whole.totals["received"] == 4 and whole.totals["late_rate"] == Decimal("25.00")
    # the district alone received no dialogue opinion; the communes received no complaint
    assert statistics.report(scope_of(*JUNE, kind="dialogue")).totals["to_process"] == 0
    assert statistics.report(scope_of(*JUNE, kind="complaint", unit_codes=(HIEPDUC,))).totals["to_process"] == 0
    report = statistics.report(scope_of(*JUNE, kind="complaint"))
    assert [(row["procedure"].code, row["to_process"]) for row in report.by_procedure] == [("khieu-nai-lan-dau", 7)]
    officials = {row["official"].username: row for row in report.by_official}
    # the inspectorate's specialist classified C1 C2 C3 C4 and verified C1 C6 in June; sent the decisions of C1 C6
    assert officials["cv.thanhtra"]["handled"] == 5
    assert keys_of(statistics.dossiers_for(scope_of(*JUNE, kind="complaint"), "handled",
                                           official_id=officials["cv.thanhtra"]["key"]), made) == "C1 C2 C3 C4 C6"
    # every figure of another kind is refused for the drill-down of this one
    with pytest.raises(ValueError):
        statistics.dossiers_for(scope_of(*JUNE, kind="complaint"), "early")


def test_administrative_figures_are_unchanged_by_the_cases(cases):
    june = statistics.report(scope_of(*JUNE, with_subunits=True))
    assert plain(june) == cases["before"]["june"]
    assert {k: june.totals[k] for k in ("received", "to_process", "early", "on_time", "late", "overdue",
                                        "not_yet_due", "late_rate")} == {
        "received": 8, "to_process": 8, "early": 4, "on_time": 3, "late": 1, "overdue": 0, "not_yet_due": 0,
        "late_rate": Decimal("12.50")}
    assert [row["procedure"].code for row in june.by_procedure] == ["giay-phep-xay-dung"]
    # every kind counts only its own: the administrative scope never lists a case
    made = cases["dossiers"]
    listed = keys_of(statistics.dossiers_for(scope_of(*JUNE, with_subunits=True), "to_process"), made)
    assert listed == "A1 A2 A3 A4 A5 A6 A7 A8"
    # the officials' figures too: the inspectorate handled only cases
    assert "cv.thanhtra" not in {row["official"].username for row in june.by_official}
    # the public statistics page publishes the administrative report
    from processes.services import portal

    published = portal.public_statistics(DISTRICT, 2026, 6)
    assert published["totals"] == june.totals
    assert [row["code"] for row in published["by_procedure"]] == ["giay-phep-xay-dung"]


def test_evaluation_indices_7_and_8_and_decision_766(cases):
    before = cases["before"]["evaluation"]
    after = evaluation.evaluate(Period(2026, 2), district_tree(), now=NOW)
    agencies = {row["unit"].code: row for row in after["agencies"]}
    earlier = {row["unit"].code: row for row in before["agencies"]}
    district = agencies[DISTRICT]
    assert earlier[DISTRICT]["indices"][7] == district["indices"][1] == Decimal("1.4")
    assert earlier[DISTRICT]["indices"][8] is None
    assert district["dossiers"] == 8 and district["details"]["complaints"] == 6
    assert district["indices"][7] == Decimal("0.3")
    # every other index of the district, and every official, as before the cases
    for number in (1, 2, 3, 4, 5, 6, 9):
        assert district["indices"][number] == earlier[DISTRICT]["indices"][number], number
    assert [(r["user"].username, r["indices"], r["total"]) for r in after["officials"]] == [
        (r["user"].username, r["indices"], r["total"]) for r in before["officials"]]
    assert not any(r["user"].username in ("cv.thanhtra", "ct.hiepduc") for r in after["officials"])
    # index 8: feedback handled within its due time
    assert (district["details"]["feedback"], district["details"]["feedback_within_due"]) == (6, 5)
    assert district["details"]["feedback_on_time_pct"] == Decimal("83.3") and district["indices"][8] == 0
    assert (agencies[HIEPDUC]["details"]["feedback"], agencies[HIEPDUC]["indices"][8]) == (3, 0)
    assert (agencies[TAMBINH]["details"]["feedback_on_time_pct"], agencies[TAMBINH]["indices"][8]) == (
        Decimal("100.0"), 2)
    # the communes evaluated only for their feedback: no administrative dossier, no index 7
    assert agencies[HIEPDUC]["dossiers"] == 0 and agencies[HIEPDUC]["indices"][7] is None
    # the district's total: index 7 lower by 1.1, index 8 available now (0 points)
    assert district["total"] == earlier[DISTRICT]["total"] - Decimal("1.4") + Decimal("0.3") + 0
    assert district["available"] == earlier[DISTRICT]["available"] + 1
    _decision_766(cases["before"]["evaluation"]["indicators"], after["indicators"], cases)


def _decision_766(before, after, cases):
    assert (before["to_process"], before["within_due"], before["on_time_pct"]) == (8, 7, Decimal("87.5"))
    assert before["satisfaction_766_pct"] == Decimal("87.5") and before["complaints"] == 0
    assert before["feedback_on_time_pct"] is None
    assert (after["complaints"], after["satisfaction_766_pct"]) == (6, Decimal("12.5"))
    assert (after["feedback"], after["feedback_within_due"], after["feedback_on_time_pct"]) == (10, 8, Decimal("80.0"))
    for name in ("to_process", "within_due", "on_time_pct", "received", "online", "online_pct", "ratings",
                 "satisfied_pct", "procedures", "procedures_online_pct"):
        assert after[name] == before[name], name
    # the procedures of the scope's levels offered online: the administrative ones only
    assert (after["procedures"], after["procedures_online_pct"]) == (5, Decimal("100.0"))
    # a case has no per-dossier indices
    made = cases["dossiers"]
    assert evaluation.dossier_indices(made["C1"]) is None
    assert evaluation.dossier_indices(made["A1"])[1] == 2


@pytest.mark.parametrize("feedback, score", [(None, None), ((0, 0), None), ((10, 10), 2), ((10, 9), 1),
                                             ((11, 9), 0), ((1, 0), 0)])
def test_index_8_scores(feedback, score):
    assert evaluation._index_8(feedback) == (None if score is None else Decimal(score))


def test_index_7_counts_each_complaint_as_one_dossier_scored_0():
    assert evaluation._index_7(11, 8, 0) == Decimal("1.4")
    assert evaluation._index_7(11, 8, 6) == Decimal("0.3")
    assert evaluation._index_7(11, 8, 20) == Decimal("0.0")
    assert evaluation._index_7(0, 0, 3) is None
