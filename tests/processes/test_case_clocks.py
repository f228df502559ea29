"""The clocks of complaints, denunciations and petitions (issue 9; processes/services/case_clock.py) on worked examples,
through the real services, the real PostgreSQL and the demo's diagrams (bpmn/khieu_nai_lan_dau.bpmn, to_cao.bpmn,
phan_anh_kien_nghi.bpmn).

Every expected instant is worked out by hand from the calendar: office hours 07:30–11:30 and 13:00–17:00, Monday to
Friday; December 2026 has no holiday, 1 January 2027 is one (Friday), Tết 2027 is 4–10 February. n working days from
09:00 end at 09:00 n working days later; n calendar days end at 17:00 of day n after the start day, rolled to the
next working day when that day is off (Civil Code Art. 147–148)."""
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from processes.models import CaseDecision, Dossier, Event, Procedure, Timer
from processes.services import case_clock, timers
from processes.services import dossiers as dossier_services
from processes.services.errors import Conflict, InvalidInput, NotAllowed
from processes.services.procedures import deploy_process_version

from .helpers import actor, at, official_for, step, vn

BPMN = Path(__file__).resolve().parents[2] / "bpmn"
DISTRICT = "000.00.16.H57"
CITIZEN = {"full_name": "Phạm Văn Khiếu", "id_number": "082090009999", "phone": "0909000111"}


def diagram(name):
    return (BPMN / name).read_text()


def receive(procedure, data=None):
    return dossier_services.receive_dossier(procedure_code=procedure, unit_code=DISTRICT, applicant=dict(CITIZEN),
                                            data=data or {}, actor=actor(official_for(DISTRICT, "reception")))


def accept(*complaints, classified="2026-12-08 10:00", accepted="2026-12-09 14:00"):
    """First-instance complaints classified as admissible, then accepted (notices 01/TB-UBND, 02/TB-UBND…) at those
    instants; the dossiers as they are after it."""
    at(classified)
    for dossier in complaints:
        step(dossier.code, "phan_loai", {"classification": "accept"})
    at(accepted)
    return [step(dossier.code, "quyet_dinh_thu_ly", {"complexity": "normal", "acceptance_number": f"{n:02d}/TB-UBND"})
            for n, dossier in enumerate(complaints, start=1)]


def statutory_timer(dossier):
    return Timer.objects.get(dossier=dossier, kind="statutory_due", status="scheduled")


def test_a_complaint_in_a_remote_area_gets_45_days_to_resolve_and_3_working_days_to_send(demo):
    at("2026-12-07 09:00")  # Monday
    remote = receive("khieu-nai-lan-dau", {"remote_area": True})
    near = receive("khieu-nai-lan-dau")
    for dossier in (remote, near):  # acceptance: 10 working days (Art. 27; Circular 07/2013)
        assert dossier.due_at == vn("2026-12-21 09:00") and dossier.clock_phase == ""
    assert case_clock.phase_label(remote.procedure, "") == "Thụ lý"  # the first limit's name, from the catalogue
    assert case_clock.phase_label(remote.procedure, "send_decision") == "Gửi quyết định, kết luận"
    remote, near = accept(remote, near)
    # resolution, counted from the acceptance: 45 calendar days in a remote area, 30 elsewhere (Art. 28)
    assert remote.clock_phase == near.clock_phase == "resolution"
    assert remote.due_at == vn("2027-01-25 17:00")  # 9/12 + 45 = Saturday 23/01 → Monday 25/01
    assert near.due_at == vn("2027-01-08 17:00")  # 9/12 + 30 = Friday 08/01
    assert statutory_timer(remote).due_at == remote.due_at and remote.clock_generation == 1
    started = Event.objects.get(dossier=remote, kind="clock_phase_started")
    assert started.data_after["phase"] == "resolution" and started.data_after["limit"] == "45"
    assert started.data_after["remote_area"] is True and started.data_before["due_at"].startswith("2026-12-21T09:00")
    # the resolution decision; sending it is a phase of 3 working days (Art. 32)
    at("2027-01-11 10:00")
    step(remote.code, "xac_minh")
    remote = step(remote.code, "quyet_dinh_giai_quyet", {"decision_number": "15/QĐ-UBND", "result": "partly"})
    assert remote.clock_phase == "send_decision" and remote.due_at == vn("2027-01-14 10:00")
    # the acceptance notice's number and the decision's are both kept in the case's data
    assert (remote.data["acceptance_number"], remote.data["decision_number"]) == ("01/TB-UBND", "15/QĐ-UBND")
    at("2027-01-12 08:00")
    remote = step(remote.code, "gui_quyet_dinh")
    assert remote.status == "processed" and remote.outcome == "end_da_giai_quyet" and "late" not in remote.flags
    assert not Timer.objects.filter(dossier=remote, status="scheduled").exists()


def test_a_complex_complaint_in_a_remote_area_rolls_past_tet(demo):
    at("2026-12-08 09:00")
    dossier = receive("khieu-nai-lan-dau", {"remote_area": True})
    step(dossier.code, "phan_loai", {"classification": "accept"})
    dossier = step(dossier.code, "quyet_dinh_thu_ly", {"complexity": "complex", "acceptance_number": "03/TB-UBND"})
    # 8/12 + 60 = Saturday 06/02/2027, in Tết (4–10 February): the next working day is Thursday 11/02
    assert dossier.due_at == vn("2027-02-11 17:00")


def test_an_especially_complex_denunciation_is_extended_twice_by_decision_and_not_a_third_time(demo):
    at("2026-12-01 09:00")  # Tuesday
    dossier = receive("to-cao")
    assert dossier.due_at == vn("2026-12-10 09:00")  # initial handling: 7 working days (Art. 24)
    at("2026-12-03 09:00")
    step(dossier.code, "xu_ly_ban_dau", {"classification": "accept"})
    at("2026-12-04 10:00")
    dossier = step(dossier.code, "quyet_dinh_thu_ly",
                   {"complexity": "especially_complex", "acceptance_number": "05/QĐ"})
    # resolution: 30 days from the acceptance (Art. 30): 4/12 + 30 = Sunday 03/01/2027 → Monday 04/01
    assert dossier.clock_phase == "resolution" and dossier.due_at == vn("2027-01-04 17:00")
    assert case_clock.extensions_allowed(dossier) == (Decimal(30), 2, 0)
    leader = actor("ct.huyen")
    with pytest.raises(NotAllowed):
        case_clock.extend_clock(dossier.code, actor(official_for("000.05.16.H57", "specialist")), number="x",
                                reason="y")
    with pytest.raises(InvalidInput) as missing:
        case_clock.extend_clock(dossier.code, leader, number="", reason="Xác minh ở nhiều nơi")
    assert missing.value.field == "number"
    at("2026-12-28 09:00")
    first = case_clock.extend_clock(dossier.code, leader, number="10/QĐ-GH", reason="Xác minh ở nhiều nơi")
    dossier.refresh_from_db()
    # 30 + 30 days from 4/12: Tuesday 02/02/2027
    assert (first.sequence, first.days, first.previous_due_at) == (1, Decimal(30), vn("2027-01-04 17:00"))
    assert dossier.due_at == first.new_due_at == vn("2027-02-02 17:00")
    assert statutory_timer(dossier).due_at == dossier.due_at
    at("2027-01-25 09:00")
    second = case_clock.extend_clock(dossier.code, leader, number="11/QĐ-GH", reason="Nhiều người bị tố cáo")
    dossier.refresh_from_db()
    assert second.sequence == 2 and dossier.due_at == vn("2027-03-04 17:00")  # 4/12 + 90 = Thursday 04/03
    with pytest.raises(Conflict) as third:
        case_clock.extend_clock(dossier.code, leader, number="12/QĐ-GH", reason="Thêm lần nữa")
    assert "tối đa 2" in str(third.value.message)
    assert CaseDecision.objects.filter(dossier=dossier).count() == 2
    assert [e.data_after["sequence"] for e in Event.objects.filter(dossier=dossier, kind="clock_extended")
            .order_by("id")] == [1, 2]
    # the old due times were never reached: nothing is late, no warning fired for them
    at("2027-02-03 09:00")
    timers.sweep_inline()
    dossier.refresh_from_db()
    assert "late" not in dossier.flags


def test_denunciation_extensions_follow_complexity_and_the_initial_handling_extends_once(demo):
    at("2026-12-01 09:00")
    normal, complex_, waiting = receive("to-cao"), receive("to-cao"), receive("to-cao")
    leader = actor("ct.huyen")
    # initial handling: 7 working days, one extension to 10 (Art. 24)
    case_clock.extend_clock(waiting.code, leader, number="01/GH", reason="Xác minh ở nhiều nơi")
    waiting.refresh_from_db()
    assert waiting.due_at == vn("2026-12-15 09:00")
    with pytest.raises(Conflict):
        case_clock.extend_clock(waiting.code, leader, number="02/GH", reason="lần hai")
    for dossier, complexity in ((normal, "normal"), (complex_, "complex")):
        step(dossier.code, "xu_ly_ban_dau", {"classification": "accept"})
        step(dossier.code, "quyet_dinh_thu_ly", {"complexity": complexity, "acceptance_number": "x"})
    with pytest.raises(Conflict):  # not complex: no extension of the resolution
        case_clock.extend_clock(normal.code, leader, number="03/GH", reason="r")
    case_clock.extend_clock(complex_.code, leader, number="04/GH", reason="r")
    with pytest.raises(Conflict):  # complex: one only
        case_clock.extend_clock(complex_.code, leader, number="05/GH", reason="r")
    administrative = dossier_services.receive_dossier(
        procedure_code="giay-phep-xay-dung", unit_code=DISTRICT, applicant=dict(CITIZEN),
        actor=actor(official_for(DISTRICT, "reception")))
    with pytest.raises(InvalidInput):
        case_clock.extend_clock(administrative.code, leader, number="06/GH", reason="r")


def test_a_denunciation_outside_competence_is_forwarded_within_5_working_days_of_receipt(demo):
    at("2026-12-01 09:00")
    dossier = receive("to-cao")
    at("2026-12-03 10:00")
    dossier = step(dossier.code, "xu_ly_ban_dau", {"classification": "forward"})
    # forwarding: 5 working days counted from the receipt, not from the classification (Art. 24)
    assert dossier.clock_phase == "forward" and dossier.due_at == vn("2026-12-08 09:00")
    at("2026-12-07 15:00")
    dossier = step(dossier.code, "chuyen_don")
    assert dossier.status == "processed" and dossier.outcome == "end_chuyen_don" and "late" not in dossier.flags


def test_a_petition_forwarded_within_5_working_days_and_one_forwarded_late(demo):
    at("2026-12-07 09:00")  # Monday
    on_time, late = receive("phan-anh-kien-nghi"), receive("phan-anh-kien-nghi")
    assert on_time.due_at == vn("2026-12-28 09:00")  # answer: 15 working days
    at("2026-12-08 10:00")
    for dossier in (on_time, late):
        step(dossier.code, "phan_loai", {"classification": "forward"})
    on_time, late = Dossier.objects.get(pk=on_time.pk), Dossier.objects.get(pk=late.pk)
    assert on_time.clock_phase == "forward" and on_time.due_at == vn("2026-12-14 09:00")  # receipt + 5 working days
    at("2026-12-11 16:00")
    on_time = step(on_time.code, "chuyen_co_quan")
    assert on_time.status == "processed" and on_time.outcome == "end_chuyen" and "late" not in on_time.flags
    at("2026-12-14 10:00")
    timers.sweep_inline()  # the forwarding time passed with the petition still here
    late.refresh_from_db()
    assert "late" in late.flags
    assert Event.objects.filter(dossier=late, kind="deadline_passed").exists()
    late = step(late.code, "chuyen_co_quan")
    assert late.status == "processed" and "late" in late.flags


def test_a_petition_answered_then_published_within_2_working_days(demo):
    at("2026-12-07 09:00")
    dossier = receive("phan-anh-kien-nghi")
    step(dossier.code, "phan_loai", {"classification": "answer"})
    assert Dossier.objects.get(pk=dossier.pk).clock_phase == ""  # answering is the procedure's own 15 days
    at("2026-12-15 09:00")
    step(dossier.code, "nghien_cuu_tra_loi", {"answer": "Quy định đã được sửa đổi."})
    at("2026-12-16 14:00")
    dossier = step(dossier.code, "duyet_tra_loi")
    assert dossier.clock_phase == "publish" and dossier.due_at == vn("2026-12-18 14:00")
    dossier = step(dossier.code, "cong_khai")
    assert dossier.status == "processed" and dossier.outcome == "end_da_tra_loi"


def test_the_phase_settings_are_checked_and_each_limit_says_working_or_calendar_days(demo):
    good = case_clock.clean_clock_phases({"resolution": {"limit": 30, "unit": "calendar_days", "extension": 30,
                                                         "extensions": {"complex": 1}}})
    assert good["resolution"]["unit"] == "calendar_days" and good["resolution"]["extensions"] == {"complex": 1}
    for bad, field_text in [
        ({"resolution": {"limit": 30}}, "unit"),
        ({"resolution": {"limit": 2.5, "unit": "calendar_days"}}, "nguyên"),
        ({"resolution": {"limit": -1, "unit": "working_days"}}, "limit"),
        ({"resolution": {"limit": 3, "unit": "working_days", "from": "tomorrow"}}, "from"),
        ({"resolution": {"limit": 3, "unit": "working_days", "colour": "red"}}, "colour"),
        ({"Bad Name": {"limit": 3, "unit": "working_days"}}, "Bad Name"),
        ({"resolution": {"limit": 3, "unit": "working_days", "extension": 1, "extensions": {"hard": 1}}}, "hard"),
        ([1, 2], "JSON"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            case_clock.clean_clock_phases(bad)
        assert refused.value.field == "clock_phases" and field_text in refused.value.message
    # a setting per case type: counting the resolution in working days instead moves the due time
    procedure = Procedure.objects.get(code="khieu-nai-lan-dau")
    procedure.clock_phases = {**procedure.clock_phases,
                              "resolution": {"limit": "30", "unit": "working_days", "from": "phase"}}
    procedure.save()
    at("2026-12-07 09:00")
    dossier = receive("khieu-nai-lan-dau")
    step(dossier.code, "phan_loai", {"classification": "accept"})
    dossier = step(dossier.code, "quyet_dinh_thu_ly", {"complexity": "normal", "acceptance_number": "1"})
    assert dossier.due_at == vn("2027-01-19 09:00")  # 30 working days from Monday 7/12 09:00 (1/1 a holiday)


def test_deploying_a_diagram_whose_task_names_an_unknown_phase_is_refused_at_the_element(demo):
    xml = diagram("to_cao.bpmn")
    xml = xml.replace('name="clock_phase" value="resolution"', 'name="clock_phase" value="giai_quyet"')
    with pytest.raises(InvalidInput) as refused:
        deploy_process_version(xml=xml, filename="to_cao.bpmn", procedure_code="to-cao")
    assert refused.value.element_id == "xac_minh" and "giai_quyet" in refused.value.message


def test_deploying_a_case_diagram_with_an_end_that_does_not_say_what_it_means_is_refused_at_the_end(demo):
    xml = diagram("to_cao.bpmn")
    xml = xml.replace('<spiffworkflow:property name="case_outcome" value="forwarded" />', "")
    with pytest.raises(InvalidInput) as refused:
        deploy_process_version(xml=xml, filename="to_cao.bpmn", procedure_code="to-cao")
    assert refused.value.element_id == "end_chuyen_don" and "case_outcome" in refused.value.message
    # an administrative procedure's ends need not say it
    xml = diagram("nhan_cha_me_con.bpmn")
    assert "case_outcome" not in xml
    deploy_process_version(xml=xml.replace("Cấp trích lục", "Cấp trích lục (v2)"), filename="v2.bpmn",
                           procedure_code="nhan-cha-me-con")


def test_a_case_is_counted_by_what_its_end_declares_whatever_the_end_is_called(demo):
    """A designer's denunciation diagram with its own end ids: forwarded by its case_outcome, not by a name."""
    from processes import statistics
    from processes.statistics import Scope

    xml = diagram("to_cao.bpmn")
    version = deploy_process_version(xml=xml.replace("end_chuyen_don", "end_gui_co_quan_co_tham_quyen"),
                                     filename="to_cao_v2.bpmn", procedure_code="to-cao")
    assert version.end_outcomes == {"end_gui_co_quan_co_tham_quyen": "forwarded", "end_khong_thu_ly": "not_accepted",
                                    "end_da_giai_quyet": "resolved"}
    at("2026-12-01 09:00")
    dossier = receive("to-cao")
    at("2026-12-02 10:00")
    step(dossier.code, "xu_ly_ban_dau", {"classification": "forward"})
    dossier = step(dossier.code, "chuyen_don")
    assert (dossier.outcome, dossier.case_outcome) == ("end_gui_co_quan_co_tham_quyen", "forwarded")
    assert dossier.events.get(kind="processed").data_after["case_outcome"] == "forwarded"
    scope = Scope.for_days(date(2026, 12, 1), date(2026, 12, 31), now=vn("2026-12-03 10:00"),
                           kind="denunciation")
    figures = statistics.report(scope).totals
    assert (figures["forwarded"], figures["resolved_on_time"], figures["not_accepted"]) == (1, 0, 0)


def test_the_admin_form_refuses_bad_phase_settings_at_the_field(demo):
    from django.core.exceptions import ValidationError

    procedure = Procedure.objects.get(code="to-cao")
    procedure.clock_phases = {"resolution": {"limit": 30, "unit": "weeks"}}
    with pytest.raises(ValidationError) as refused:
        procedure.full_clean()
    assert "clock_phases" in refused.value.message_dict and "unit" in refused.value.message_dict["clock_phases"][0]


def test_forms_02_and_03_are_not_for_cases(demo):
    from processes.services import statutory
    from processes.services.errors import Conflict

    at("2026-12-07 09:00")
    dossier = receive("phan-anh-kien-nghi")
    leader = actor("ct.huyen")
    with pytest.raises(Conflict) as refused:
        statutory.refuse_dossier(dossier.code, leader, ["Không thuộc phạm vi"])
    assert refused.value.field == "code" and "mẫu 03" in refused.value.message
    with pytest.raises(Conflict):
        statutory.request_supplementation(dossier.code, actor(official_for(DISTRICT, "reception")),
                                          [{"name": "Thông tin", "kind": "bản sao", "quantity": 1}], "thiếu")
    assert Dossier.objects.get(pk=dossier.pk).status == "received"
