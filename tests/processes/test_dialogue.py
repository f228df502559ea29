"""Dialogue meetings (issue 9; processes/services/dialogue.py): a meeting is recorded by the district's desk or a
leader, each opinion raised there becomes a dossier of `y-kien-doi-thoai` at the unit it is assigned to, with the
response deadline on the statutory clock; the unit's leader answers and publishes through the workflow's steps, and
the answer is listed on the citizens' portal without the citizen's personal data. Real services, real PostgreSQL, the
demo's diagram (bpmn/y_kien_doi_thoai.bpmn).

Office hours 07:30–11:30 and 13:00–17:00, Monday to Friday; December 2026 has no holiday. n working days from 09:00
end at 09:00 n working days later."""
from datetime import date

import pytest
from django.contrib.auth import get_user_model

from processes.models import DialogueMeeting, Dossier, Event, WorkItem
from processes.services import dialogue, timers
from processes.services import dossiers as dossier_services
from processes.services.errors import InvalidInput, NotAllowed, NotFound
from processes.services.events import Actor

from .helpers import at, vn

DISTRICT = "000.00.16.H57"
HIEPDUC = "003.00.16.H57"
TAMBINH = "014.00.16.H57"
URBAN = "000.04.16.H57"
PROVINCE = "000.00.00.H57"


def actor(username):
    return Actor(get_user_model().objects.get(username=username))


def district_meeting(**changes):
    values = {"unit_code": DISTRICT, "held_on": "30/11/2026", "leaders": "Ông Trần Văn Chủ, Chủ tịch UBND huyện",
              "attendees": 120, "commune_code": HIEPDUC, "place": "Hội trường UBND xã Hiệp Đức",
              "summary": "Đối thoại về đất đai, xây dựng và an sinh xã hội"}
    values.update(changes)
    return dialogue.record_meeting(actor("motcua.huyen"), **values)


def opinion(meeting, **changes):
    values = {"content": "Đường vào ấp Hiệp Ninh xuống cấp, đề nghị sửa chữa trước mùa mưa.", "field_code": "xay-dung",
              "assigned_unit_code": HIEPDUC, "response_days": 10, "citizen_name": "Nguyễn Văn Dân",
              "citizen_phone": "0912000111"}
    values.update(changes)
    return dialogue.add_opinion(actor("motcua.huyen"), meeting.pk, **values)


def complete(dossier, bpmn_id, username, data=None):
    item = WorkItem.objects.get(dossier=dossier, bpmn_id=bpmn_id, status="open")
    dossier_services.complete_work_item(item_id=item.pk, actor=actor(username), data=data or {})
    return Dossier.objects.get(pk=dossier.pk)


def refused(exc_type, call, field):
    with pytest.raises(exc_type) as caught:
        call()
    assert caught.value.field == field, (caught.value.field, caught.value.message)
    return caught.value.message


# ---------------------------------------------------------------------------------------------------------------
# recording a meeting


def test_the_district_desk_or_a_leader_records_a_meeting_and_the_event_names_them(demo):
    at("2026-12-01 09:00")
    meeting = district_meeting()
    assert (meeting.unit.code, meeting.commune.code, meeting.held_on) == (DISTRICT, HIEPDUC, date(2026, 11, 30))
    assert meeting.recorded_by.username == "motcua.huyen" and meeting.attendees == 120
    event = Event.objects.get(kind="dialogue_meeting_recorded")
    assert event.actor.username == "motcua.huyen" and event.actor_role == "reception"
    assert event.actor_unit.code == DISTRICT and event.data_after["meeting"] == meeting.pk
    # a commune's chairman records the commune's own meeting; the district's desk may record it too (parent unit)
    own = dialogue.record_meeting(actor("ct.hiepduc"), HIEPDUC, date(2026, 11, 27), "Chủ tịch UBND xã", "45")
    assert own.attendees == 45 and own.commune is None
    by_district = dialogue.record_meeting(actor("motcua.huyen"), TAMBINH, "2026-11-20", "Phó Chủ tịch UBND xã", 30,
                                          commune_code=TAMBINH)
    assert Event.objects.get(kind="dialogue_meeting_recorded", data_after__meeting=by_district.pk).actor_unit.code \
        == DISTRICT
    assert set(dialogue.recording_units(get_user_model().objects.get(username="ct.hiepduc"))
               .values_list("code", flat=True)) == {HIEPDUC}
    district_units = set(dialogue.recording_units(get_user_model().objects.get(username="motcua.huyen"))
                         .values_list("code", flat=True))
    assert DISTRICT in district_units and HIEPDUC in district_units and URBAN not in district_units
    assert len(district_units) == 1 + 16


def test_who_may_not_record_a_meeting(demo):
    at("2026-12-01 09:00")
    for username, unit in (("tuphap.hiepduc", HIEPDUC), ("ct.hiepduc", DISTRICT), ("ct.tambinh", HIEPDUC),
                           ("cv.kthh", DISTRICT), ("thanhtra", DISTRICT)):
        with pytest.raises(NotAllowed):
            dialogue.record_meeting(actor(username), unit, "30/11/2026", "Lãnh đạo", 10)
    with pytest.raises(NotAllowed):
        dialogue.record_meeting(Actor(), DISTRICT, "30/11/2026", "Lãnh đạo", 10)
    assert not DialogueMeeting.objects.exists() and not Event.objects.filter(kind="dialogue_meeting_recorded").exists()


def test_bad_input_is_refused_at_its_field(demo):
    at("2026-12-01 09:00")
    desk = actor("motcua.huyen")

    def record(**changes):
        values = {"unit_code": DISTRICT, "held_on": "30/11/2026", "leaders": "Chủ tịch UBND huyện", "attendees": 10}
        values.update(changes)
        return lambda: dialogue.record_meeting(desk, **values)

    assert "31/02/2026" in refused(InvalidInput, record(held_on="31/02/2026"), "held_on")
    assert "chưa đến" in refused(InvalidInput, record(held_on="02/12/2026"), "held_on")
    refused(InvalidInput, record(held_on=""), "held_on")
    refused(InvalidInput, record(leaders="   "), "leaders")
    refused(InvalidInput, record(leaders="x" * 1001), "leaders")
    for bad in (-1, "mười", 1.5, True, 100_001):
        refused(InvalidInput, record(attendees=bad), "attendees")
    refused(InvalidInput, record(commune_code=DISTRICT), "commune")  # a district is not a commune
    refused(InvalidInput, record(unit_code=HIEPDUC, commune_code=TAMBINH), "commune")  # not within the unit
    refused(NotFound, record(commune_code="999.99.99.H57"), "commune")
    refused(NotFound, record(unit_code="999.99.99.H57"), "unit")
    assert "phòng, ban" in refused(InvalidInput, record(unit_code=URBAN), "unit")
    refused(InvalidInput, record(place="x" * 301), "place")
    refused(InvalidInput, record(summary="x" * 4001), "summary")
    assert not DialogueMeeting.objects.exists()


# ---------------------------------------------------------------------------------------------------------------
# opinions


def test_an_opinion_becomes_a_dossier_of_the_assigned_unit_due_in_working_days(demo):
    at("2026-12-01 09:00")  # Tuesday
    meeting = district_meeting()
    dossier = opinion(meeting)
    assert dossier.procedure.code == "y-kien-doi-thoai" and dossier.procedure.kind == "dialogue"
    assert dossier.receiving_unit.code == HIEPDUC and dossier.meeting_id == meeting.pk
    assert dossier.data["content"].startswith("Đường vào ấp Hiệp Ninh") and dossier.data["field"] == "xay-dung"
    assert dossier.data["response_days"] == 10 and dossier.data["meeting"] == meeting.pk
    # the response phase: 10 working days counted from the recording
    assert dossier.clock_phase == "response" and dossier.due_at == vn("2026-12-15 09:00")
    step = WorkItem.objects.get(dossier=dossier, status="open")
    assert (step.bpmn_id, step.unit.code, step.role) == ("tra_loi", HIEPDUC, "unit_leader")
    assert dossier.applicant.full_name == "Nguyễn Văn Dân" and dossier.applicant.phone == "0912000111"
    # received by the platform at the commune; the event after it names who recorded and assigned it
    received = Event.objects.get(dossier=dossier, kind="received")
    assert received.actor is None and received.actor_unit.code == HIEPDUC
    recorded = Event.objects.get(dossier=dossier, kind="opinion_recorded")
    assert recorded.actor.username == "motcua.huyen" and recorded.actor_role == "reception"
    assert recorded.actor_unit.code == DISTRICT
    assert recorded.data_after["assigned_unit"] == HIEPDUC and recorded.data_after["response_days"] == "10"
    assert recorded.data_after["due_at"].startswith("2026-12-15T09:00")
    assert "Nguyễn Văn Dân" not in str(recorded.data_after)

    # 15 working days when no deadline is given; a department of the district answers with its head
    default = opinion(meeting, response_days=None, assigned_unit_code=URBAN, citizen_name="", citizen_phone="")
    assert default.data["response_days"] == 15 and default.due_at == vn("2026-12-22 09:00")
    assert default.applicant.full_name == dialogue.ANONYMOUS
    assert WorkItem.objects.get(dossier=default, status="open").unit.code == URBAN
    # a date: the end of office hours that day, the limit its exact number of working days
    by_date = opinion(meeting, response_days=None, due_on="18/12/2026")
    assert by_date.due_at == vn("2026-12-18 17:00")
    assert by_date.data["response_days"] == 13.8125 and by_date.data["response_due"] == "2026-12-18"
    # recorded after the 15:00 cut-off: counting starts the next morning, like any dossier
    at("2026-12-01 15:30")
    late_in_day = opinion(meeting, response_days=None, due_on="02/12/2026")
    assert late_in_day.due_at == vn("2026-12-02 17:00") and late_in_day.data["response_days"] == 1
    assert list(meeting.opinions.order_by("id")) == [dossier, default, by_date, late_in_day]


def test_an_opinion_with_bad_input_is_refused_at_its_field_and_nothing_is_received(demo):
    at("2026-12-01 09:00")
    meeting = district_meeting()
    commune_meeting = dialogue.record_meeting(actor("ct.hiepduc"), HIEPDUC, "27/11/2026", "Chủ tịch UBND xã", 40)
    before = Dossier.objects.count()

    def add(**changes):
        return lambda: opinion(meeting, **changes)

    refused(InvalidInput, add(content=" "), "content")
    refused(InvalidInput, add(content="x" * 4001), "content")
    refused(InvalidInput, add(field_code=""), "field")
    refused(InvalidInput, add(field_code="khong-co"), "field")
    refused(InvalidInput, add(assigned_unit_code=""), "assigned_unit")
    refused(InvalidInput, add(assigned_unit_code="999.99.99.H57"), "assigned_unit")
    refused(InvalidInput, add(assigned_unit_code=PROVINCE), "assigned_unit")  # above the meeting's unit
    for bad in (0, 91, "mười", "2.5", -3):
        refused(InvalidInput, add(response_days=bad), "response_days")
    refused(InvalidInput, add(response_days=5, due_on="10/12/2026"), "response_days")  # both
    assert "ngày nghỉ" in refused(InvalidInput, add(response_days=None, due_on="19/12/2026"), "due_on")  # Saturday
    refused(InvalidInput, add(response_days=None, due_on="30/11/2026"), "due_on")  # before the recording
    refused(InvalidInput, add(response_days=None, due_on="32/12/2026"), "due_on")
    refused(InvalidInput, add(response_days=None, due_on="03/05/2027"), "due_on")  # beyond 90 working days
    refused(InvalidInput, add(response_days=None, due_on="31/12/9999"), "due_on")
    refused(InvalidInput, add(citizen_phone="09-12"), "citizen_phone")
    refused(InvalidInput, add(citizen_name="x" * 201), "citizen_name")
    refused(NotFound, lambda: dialogue.add_opinion(actor("motcua.huyen"), 999999, "Nội dung", "dat-dai", HIEPDUC),
            "meeting")
    # a commune's meeting assigns to the commune, not to the district above it
    refused(InvalidInput, lambda: dialogue.add_opinion(actor("ct.hiepduc"), commune_meeting.pk, "Nội dung",
                                                       "dat-dai", DISTRICT), "assigned_unit")
    # who may not: the commune's clerk, the chairman of a commune for the district's meeting
    for username in ("tuphap.hiepduc", "ct.hiepduc", "thanhtra"):
        with pytest.raises(NotAllowed):
            dialogue.add_opinion(actor(username), meeting.pk, "Nội dung", "dat-dai", HIEPDUC)
    assert Dossier.objects.count() == before and not Event.objects.filter(kind="opinion_recorded").exists()


# ---------------------------------------------------------------------------------------------------------------
# answer, publish, the public list


def test_the_commune_answers_then_publishes_and_the_answer_is_listed_for_the_public(demo, client):
    at("2026-12-01 09:00")
    meeting = district_meeting()
    dossier = opinion(meeting, field_code="dat-dai", content="Đề nghị công khai quy hoạch khu dân cư ấp Hiệp Ninh.")
    other = opinion(meeting, assigned_unit_code=URBAN)
    [row, open_row] = dialogue.opinions_of(meeting)
    assert (row.state, row.late, row.answer, row.response_due) == ("open", False, "", vn("2026-12-15 09:00"))
    assert row.field.code == "dat-dai" and row.open_step.bpmn_id == "tra_loi" and open_row.unit.code == URBAN

    at("2026-12-03 10:00")
    with pytest.raises(InvalidInput) as missing:
        complete(dossier, "tra_loi", "ct.hiepduc")
    assert missing.value.field == "data.answer"
    answer = "UBND xã đã niêm yết quy hoạch tại trụ sở và nhà văn hóa ấp Hiệp Ninh từ ngày 05/12/2026."
    dossier = complete(dossier, "tra_loi", "ct.hiepduc", {"answer": answer})
    # publication: 2 working days from the answer
    assert dossier.clock_phase == "publish" and dossier.due_at == vn("2026-12-07 10:00")
    row = dialogue.opinions_of(meeting)[0]
    assert (row.state, row.answer, row.answered_at, row.answered_late) == ("answered", answer, vn("2026-12-03 10:00"),
                                                                          False)
    assert row.response_due == vn("2026-12-15 09:00") and row.open_step.bpmn_id == "cong_khai"
    assert dialogue.published_responses().count() == 0

    at("2026-12-04 09:00")
    dossier = complete(dossier, "cong_khai", "ct.hiepduc")
    assert dossier.status == "processed" and dossier.outcome == "end_da_cong_khai" and "late" not in dossier.flags
    row = dialogue.opinions_of(meeting)[0]
    assert (row.state, row.published_at, row.open_step) == ("published", vn("2026-12-04 09:00"), None)
    [published] = dialogue.published_rows(dialogue.published_responses())
    assert (published.content, published.answer, published.unit.code) == (dossier.data["content"], answer, HIEPDUC)
    assert (published.held_on, published.meeting_unit.code, published.commune.code) == (date(2026, 11, 30), DISTRICT,
                                                                                        HIEPDUC)
    assert published.field.code == "dat-dai" and published.answered_at == vn("2026-12-03 10:00")
    assert dialogue.published_responses(field_code="xay-dung").count() == 0
    assert dialogue.published_responses(unit_code=HIEPDUC).count() == 1
    overview = dialogue.meetings_overview(get_user_model().objects.get(username="motcua.huyen")).get(pk=meeting.pk)
    assert (overview.n_opinions, overview.n_open, overview.n_published, overview.n_late) == (2, 1, 1, 0)

    # the portal's page, without signing in: the opinion and its answer, nothing about who raised it
    response = client.get("/dich-vu-cong/doi-thoai/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "công khai quy hoạch khu dân cư" in page and "niêm yết quy hoạch" in page
    assert "30/11/2026" in page and "04/12/2026" in page and "Đất đai" in page
    assert "Nguyễn Văn Dân" not in page and "0912000111" not in page and other.code not in page
    assert dossier.code not in page
    filtered = client.get("/dich-vu-cong/doi-thoai/", {"linh_vuc": "dat-dai"})
    assert "niêm yết quy hoạch" in filtered.content.decode()
    assert client.get("/dich-vu-cong/doi-thoai/", {"linh_vuc": "khong-co"}).status_code == 400


def test_an_opinion_not_answered_in_time_is_warned_then_late_and_escalated(demo):
    at("2026-12-01 09:00")  # Tuesday
    meeting = district_meeting()
    dossier = opinion(meeting, response_days=3)
    assert dossier.due_at == vn("2026-12-04 09:00")
    at("2026-12-03 08:00")
    timers.sweep_inline()
    warning = Event.objects.get(dossier=dossier, kind="deadline_warning")
    assert warning.data_after["unit"] == HIEPDUC and "ct.hiepduc" in warning.data_after["leaders"]
    assert WorkItem.objects.filter(dossier=dossier, kind="explain_delay", status="open").exists()
    assert not dialogue.opinions_of(meeting)[0].late

    at("2026-12-04 10:00")
    timers.sweep_inline()
    dossier.refresh_from_db()
    assert {"late", "late_without_explanation"} <= set(dossier.flags) and dossier.late_unit.code == HIEPDUC
    escalation = WorkItem.objects.get(dossier=dossier, kind="escalation", status="open")
    assert escalation.unit.code == HIEPDUC and escalation.role == "signing_leader"
    row = dialogue.opinions_of(meeting)[0]
    assert row.late and row.overdue and row.state == "open"
    overview = dialogue.meetings_overview(get_user_model().objects.get(username="ct.huyen")).get(pk=meeting.pk)
    assert (overview.n_open, overview.n_late) == (1, 1)

    # answered late, then published: still late, the answer marked late
    at("2026-12-07 09:00")
    dossier = complete(dossier, "tra_loi", "ct.hiepduc", {"answer": "Đã sửa chữa."})
    dossier = complete(dossier, "cong_khai", "ct.hiepduc")
    row = dialogue.opinions_of(meeting)[0]
    assert row.state == "published" and row.late and row.answered_late and not row.overdue


def test_who_sees_a_meeting(demo):
    at("2026-12-01 09:00")
    meeting = district_meeting()
    opinion(meeting)
    opinion(meeting, assigned_unit_code=URBAN)
    commune_meeting = dialogue.record_meeting(actor("ct.tambinh"), TAMBINH, "27/11/2026", "Chủ tịch UBND xã", 40)
    User = get_user_model()

    def sees(username):
        return set(dialogue.visible_meetings(User.objects.get(username=username)).values_list("pk", flat=True))

    assert sees("motcua.huyen") == sees("ct.huyen") == sees("thanhtra") == {meeting.pk, commune_meeting.pk}
    assert sees("ct.hiepduc") == sees("tuphap.hiepduc") == {meeting.pk}  # an opinion is assigned to the commune
    assert sees("tp.kthh") == {meeting.pk}  # and one to the urban department
    assert sees("ct.tambinh") == {commune_meeting.pk} and sees("tp.tuphap") == set()
    assert dialogue.meeting_for(User.objects.get(username="ct.camson"), meeting.pk) is None
    assert [u.code for u in dialogue.assignable_units(commune_meeting)] == [TAMBINH]
    assignable = [u.code for u in dialogue.assignable_units(meeting)]
    assert assignable[0] == DISTRICT and HIEPDUC in assignable and URBAN in assignable and len(assignable) == 1 + 4 + 16


# ---------------------------------------------------------------------------------------------------------------
# the demo (make run)


@pytest.mark.parametrize("now", ["2026-12-10 10:00", "2026-12-13 06:00"])  # a Thursday morning; a Sunday at dawn
def test_the_demo_meetings_show_every_state_of_an_opinion(demo, now):
    from processes.demo_dialogue import seed_demo_dialogue
    from processes.models import AdministrativeUnit

    at(now)
    district = AdministrativeUnit.objects.get(code=DISTRICT)
    communes = {"hiepduc" if u.code == HIEPDUC else u.code: u for u in district.children.filter(kind="commune")}
    departments = {u.department_kind: u for u in district.children.filter(kind="department")}
    seeded = {"district": district, "communes": communes, "departments": departments}
    first, second = seed_demo_dialogue(seeded)
    assert seed_demo_dialogue(seeded) == []  # idempotent
    assert first.unit == district and first.commune.code == HIEPDUC and first.held_on < second.held_on
    assert second.unit.code == HIEPDUC and second.recorded_by.username == "motcua.hiepduc"
    rows = dialogue.opinions_of(first)
    assert [r.state for r in rows] == ["published", "published", "answered", "open"]
    assert [r.unit.code for r in rows] == [HIEPDUC, URBAN, "000.03.16.H57", HIEPDUC]
    assert not any(r.late for r in rows[:3]) and not any(r.answered_late for r in rows[:3])
    overdue = rows[3]
    assert overdue.late and overdue.overdue and "late_without_explanation" in overdue.dossier.flags
    assert WorkItem.objects.filter(dossier=overdue.dossier, kind="escalation", status="open").exists()
    fresh = dialogue.opinions_of(second)
    assert [r.state for r in fresh] == ["open", "open"] and not any(r.late for r in fresh)
    assert {r.open_step.unit.code for r in fresh} == {HIEPDUC}
    assert dialogue.published_responses().count() == 2
    # nothing left to fire: the clock of the demo is where it should be now
    assert timers.sweep_inline() == 0
