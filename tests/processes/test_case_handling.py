"""Handling complaints, denunciations and petitions (issue 9) through the desk's service and the REST API, on the real
PostgreSQL and the demo's diagrams: the remote-area flag and the content given at intake reach the workflow data and
the resolution limit; a petition submitted online arrives at the desk like any online submission; POST
/api/v1/dossiers/<code>/extend/ records extension decisions as many times as the case's complexity allows (409 at the
field beyond), only for a leader of the receiving unit (403), never on an administrative dossier (400), 404 for a
dossier the caller cannot see; the dossier's detail shows its kind, phase and decisions.

Instants are worked out from the calendar as in tests/processes/test_case_clocks.py: office hours 07:30–11:30 and
13:00–17:00, Monday to Friday; December 2026 has no holiday; n calendar days end at 17:00 of day n after the start day,
rolled to the next working day when that day is off."""
from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from processes.models import CaseDecision, Dossier, Event
from processes.services import portal, reception
from processes.services.errors import InvalidInput

from .helpers import actor, at, official_for, step, vn
from .test_case_clocks import accept

DISTRICT = "000.00.16.H57"
INSPECTION = "000.05.16.H57"
CITIZEN = {"full_name": "Huỳnh Văn Khiếu", "id_number": "082090007777", "phone": "0909000222",
           "address": "Ấp Mỹ Phú, xã Tam Bình"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def desk():
    return actor(official_for(DISTRICT, "reception"))


def at_desk(procedure, **case):
    """Received at the district's desk with every document of the checklist ticked."""
    unit = reception.AdministrativeUnit.objects.get(code=DISTRICT)
    ticked = [row["name"] for row in reception.checklist_of(reception.desk_procedure(unit, procedure))]
    return reception.receive_at_desk(unit_code=DISTRICT, procedure_code=procedure, applicant=dict(CITIZEN),
                                     channel=1, ticked=ticked, actor=desk(), **case)


def accepted_denunciation(complexity):
    dossier = at_desk("to-cao", content="Tố cáo cán bộ địa chính xã nhận tiền khi đo đạc đất.")
    step(dossier.code, "xu_ly_ban_dau", {"classification": "accept"})
    return step(dossier.code, "quyet_dinh_thu_ly", {"complexity": complexity, "acceptance_number": "05/QĐ-UBND"})


def extend(api, code, number="10/QĐ-GH", reason="Xác minh ở nhiều nơi", username="ct.huyen"):
    return api(username).post(f"/api/v1/dossiers/{code}/extend/", {"number": number, "reason": reason},
                              format="json")


# ---------------------------------------------------------------------------------------------------------------
# intake


def test_a_remote_complaint_received_at_the_desk_gets_the_longer_resolution_limit(demo):
    at("2026-12-07 09:00")  # Monday
    remote = at_desk("khieu-nai-lan-dau", content="Khiếu nại quyết định thu hồi đất.", remote_area=True)
    near = at_desk("khieu-nai-lan-dau", content="Khiếu nại quyết định xử phạt.")
    assert remote.data["remote_area"] is True and remote.data["content"] == "Khiếu nại quyết định thu hồi đất."
    assert "remote_area" not in near.data and near.data["content"] == "Khiếu nại quyết định xử phạt."
    received = Event.objects.get(dossier=remote, kind="received")
    assert received.data_after["data"] == {"content": "Khiếu nại quyết định thu hồi đất.", "remote_area": True}
    # acceptance first: 10 working days for both
    assert remote.due_at == near.due_at == vn("2026-12-21 09:00")
    remote, near = accept(remote, near)
    # resolution (Law on Complaints 2011 Art. 28): 45 days in a remote area, 30 elsewhere, from the acceptance
    assert remote.clock_phase == near.clock_phase == "resolution"
    assert remote.due_at == vn("2027-01-25 17:00")  # 9/12 + 45 = Saturday 23/01 → Monday 25/01
    assert near.due_at == vn("2027-01-08 17:00")
    started = Event.objects.get(dossier=remote, kind="clock_phase_started")
    assert started.data_after["limit"] == "45" and started.data_after["remote_area"] is True


def test_the_desk_service_checks_a_cases_content_and_remoteness(demo):
    at("2026-12-07 09:00")
    with pytest.raises(InvalidInput) as no_content:
        at_desk("to-cao", content="   ")
    assert no_content.value.field == "content" and "nội dung tố cáo" in no_content.value.message
    with pytest.raises(InvalidInput) as too_long:
        at_desk("khieu-nai-lan-dau", content="x" * 4001)
    assert too_long.value.field == "content"
    with pytest.raises(InvalidInput) as remote_denunciation:
        at_desk("to-cao", content="Tố cáo", remote_area=True)
    assert remote_denunciation.value.field == "remote_area"
    with pytest.raises(InvalidInput) as administrative:
        at_desk("giay-phep-xay-dung", content="Xin phép xây nhà")
    assert administrative.value.field == "content"
    with pytest.raises(InvalidInput) as administrative_remote:
        at_desk("giay-phep-xay-dung", remote_area=True)
    assert administrative_remote.value.field == "remote_area"
    assert not Dossier.objects.filter(applicant__full_name=CITIZEN["full_name"]).exists()
    # a petition's content may stay in its document; a building permit takes neither
    petition = at_desk("phan-anh-kien-nghi")
    assert "content" not in petition.data and petition.procedure.kind == "petition"
    assert at_desk("giay-phep-xay-dung").procedure.kind == "administrative"


def test_a_petition_submitted_online_arrives_at_the_desk_and_runs_its_clock(demo):
    at("2026-12-07 08:00")
    offered = {p.code: [u.code for u in units] for p, units in portal.online_catalogue()}
    assert DISTRICT in offered["phan-anh-kien-nghi"]  # online_level "full"
    submission = portal.submit_online(
        procedure_code="phan-anh-kien-nghi", unit_code=DISTRICT, applicant=dict(CITIZEN),
        files=[("Nội dung phản ánh, kiến nghị", SimpleUploadedFile("kien-nghi.pdf", PDF), "file-0")])
    assert submission in portal.pending_submissions(reception.AdministrativeUnit.objects.get(code=DISTRICT))
    at("2026-12-07 09:00")
    dossier = portal.receive_submission(submission.pk, desk())
    assert dossier.procedure.kind == "petition" and dossier.channel == 2 and dossier.attachments.count() == 1
    assert dossier.clock_phase == "" and dossier.due_at == vn("2026-12-28 09:00")  # answer: 15 working days
    item = dossier.work_items.get(status="open")
    assert item.bpmn_id == "phan_loai"
    # forwarded: 5 working days from the receipt
    at("2026-12-08 10:00")
    dossier = step(dossier.code, "phan_loai", {"classification": "forward"})
    assert dossier.clock_phase == "forward" and dossier.due_at == vn("2026-12-14 09:00")


# ---------------------------------------------------------------------------------------------------------------
# extensions over the API


@pytest.mark.parametrize("complexity, allowed", [("normal", 0), ("complex", 1), ("especially_complex", 2)])
def test_extensions_over_the_api_follow_the_complexity_then_409_at_the_number(demo, api, complexity, allowed):
    at("2026-12-01 09:00")  # Tuesday
    dossier = accepted_denunciation(complexity)
    # resolution: 30 days from the acceptance, 1/12 + 30 = Thursday 31/12
    assert dossier.clock_phase == "resolution" and dossier.due_at == vn("2026-12-31 17:00")
    expected = ["2027-02-01", "2027-03-01"]  # +30 days each: Saturday 30/01 → Monday 01/02; 1/3 is a Monday
    for n in range(allowed):
        at(f"2026-12-{10 + n:02d} 09:00")
        answer = extend(api, dossier.code, number=f"1{n}/QĐ-GH")
        assert answer.status_code == 200, answer.content
        body = answer.json()
        assert body["decision"]["number"] == f"1{n}/QĐ-GH" and body["decision"]["sequence"] == n + 1
        assert body["decision"]["decided_by"] == "ct.huyen" and body["decision"]["phase"] == "resolution"
        assert body["decision"]["days"] == "30.00" and body["clock_phase"] == "resolution"
        assert body["extensions"] == {"used": n + 1, "allowed": allowed, "days": "30.00"}
        assert body["due_at"] == body["decision"]["new_due_at"]
        assert datetime.fromisoformat(body["due_at"]) == vn(f"{expected[n]} 17:00")
    refused = extend(api, dossier.code, number="99/QĐ-GH")
    assert refused.status_code == 409
    assert refused.json()["field"] == "number" and refused.json()["code"] == "conflict"
    assert f"tối đa {allowed} lần" in refused.json()["detail"]
    assert CaseDecision.objects.filter(dossier=dossier).count() == allowed
    # the detail shows the kind, the phase and the decisions
    detail = api("ct.huyen").get(f"/api/v1/dossiers/{dossier.code}/").json()
    assert detail["kind"] == "denunciation" and detail["clock_phase"] == "resolution"
    assert detail["clock_phase_label"] == "Giải quyết"
    assert [d["number"] for d in detail["decisions"]] == [f"1{n}/QĐ-GH" for n in range(allowed)]


def test_only_a_leader_of_the_receiving_unit_extends_and_bad_input_names_the_field(demo, api):
    at("2026-12-01 09:00")
    dossier = accepted_denunciation("complex")
    for username in ("cv.thanhtra", "chanh.thanhtra", official_for(DISTRICT, "reception")):
        refused = extend(api, dossier.code, username=username)
        assert refused.status_code == 403, username
        assert refused.json()["code"] == "permission_denied"
    # a commune's official does not see the dossier at all
    assert extend(api, dossier.code, username=official_for("003.00.16.H57", "reception")).status_code == 404
    assert extend(api, "000.00.16.H57-000000-0000").status_code == 404
    blank = extend(api, dossier.code, number="  ")
    assert blank.status_code == 400 and blank.json()["field"] == "number"
    missing = api("ct.huyen").post(f"/api/v1/dossiers/{dossier.code}/extend/", {"number": "1/GH"}, format="json")
    assert missing.status_code == 400 and missing.json()["field"] == "reason"
    too_long = extend(api, dossier.code, number="x" * 61)
    assert too_long.status_code == 400 and too_long.json()["field"] == "number"
    assert not CaseDecision.objects.filter(dossier=dossier).exists()
    assert extend(api, dossier.code).status_code == 200


def test_an_administrative_dossier_is_not_extended_by_decision(demo, api):
    at("2026-12-01 09:00")
    permit = at_desk("giay-phep-xay-dung")
    answer = extend(api, permit.code)
    assert answer.status_code == 400 and answer.json()["field"] == "code"
    detail = api("ct.huyen").get(f"/api/v1/dossiers/{permit.code}/").json()
    assert detail["kind"] == "administrative" and detail["clock_phase"] == "" and detail["decisions"] == []
    assert detail["clock_phase_label"] == ""


def test_a_closed_case_is_not_extended_and_the_initial_handling_extends_once(demo, api):
    at("2026-12-01 09:00")
    waiting = at_desk("to-cao", content="Tố cáo doanh nghiệp xả thải ra kênh.")
    # initial handling: 7 working days, one extension of 3 (Law on Denunciation 2018 Art. 24)
    first = extend(api, waiting.code, number="01/GH")
    assert first.status_code == 200 and first.json()["clock_phase"] == ""
    assert first.json()["clock_phase_label"] == "Xử lý ban đầu"
    assert first.json()["extensions"] == {"used": 1, "allowed": 1, "days": "3.00"}
    assert datetime.fromisoformat(first.json()["due_at"]) == vn("2026-12-15 09:00")
    second = extend(api, waiting.code, number="02/GH")
    assert second.status_code == 409 and second.json()["field"] == "number"
    assert "tối đa 1 lần" in second.json()["detail"] and "vụ việc" not in second.json()["detail"]  # one for all
    # a petition's answer has no extension at all
    petition = extend(api, at_desk("phan-anh-kien-nghi").code)
    assert petition.status_code == 400 and petition.json()["field"] == "phase"
    forwarded = at_desk("to-cao", content="Tố cáo việc thuộc thẩm quyền huyện khác.")
    step(forwarded.code, "xu_ly_ban_dau", {"classification": "forward"})
    forwarded = step(forwarded.code, "chuyen_don")
    assert forwarded.status == "processed"
    closed = extend(api, forwarded.code)
    assert closed.status_code == 409 and closed.json()["code"] == "conflict"
