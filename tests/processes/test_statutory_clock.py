"""The statutory clock (Decree 61/2018 Art. 19; Circular 01/2018 forms 02–05) on the real PostgreSQL: warnings and the
explanation item, the apology with its new appointment, lateness judged on the statutory due time, escalation,
supplementation pause and restart, refusal, withdrawal, the control sheet, the notification outbox and the API.

Time moves through the injectable clock (`at`, FixedClock.set); timers are fired in-process with sweep_inline(). Every
expected instant below is worked out by hand from the calendar: office hours 07:30–11:30 and 13:00–17:00, Monday to
Friday, 1 January a holiday (December 2026 has none)."""
from datetime import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from processes.models import (
    Dossier,
    Explanation,
    Field,
    Notification,
    Procedure,
    Supplementation,
    Timer,
    WorkItem,
)
from processes.services import notifications, statutory, timers
from processes.services.events import Actor
from processes.services.procedures import deploy_process_version

from .helpers import at, official_for, receive, vn

HIEPDUC = "003.00.16.H57"
LABOUR = "000.03.16.H57"
CITIZEN = {"full_name": "Trần Thị Bình", "id_number": "082090001234", "phone": "0912345678",
           "email": "binh@example.vn", "address": "ấp 3, xã Hiệp Đức"}


def dossier_of(code):
    return Dossier.objects.select_related("late_unit", "late_official").get(code=code)


def clock_timers(code, **filters):
    return {t.kind: t for t in Timer.objects.filter(dossier__code=code, **filters)}


def open_items(code, kind):
    return list(WorkItem.objects.filter(dossier__code=code, kind=kind, status="open").select_related("unit"))


def complete_step(api, code, data=None, username=None):
    """Claims and completes the oldest open step of the dossier as the official its lane routes to."""
    item = WorkItem.objects.filter(dossier__code=code, kind="step", status="open").order_by("given_at", "id").first()
    assert item is not None, "no open step"
    username = username or official_for(item.unit.code, item.role)
    client = api(username)
    assert client.post(f"/api/v1/tasks/{item.pk}/claim/").status_code == 200
    done = client.post(f"/api/v1/tasks/{item.pk}/complete/", {"data": data or {}}, format="json")
    assert done.status_code == 200, done.content
    return item


def claim_step(api, code, username=None):
    item = WorkItem.objects.filter(dossier__code=code, kind="step", status="open").order_by("given_at", "id").first()
    username = username or official_for(item.unit.code, item.role)
    assert api(username).post(f"/api/v1/tasks/{item.pk}/claim/").status_code == 200
    return item


def set_email(username, email):
    get_user_model().objects.filter(username=username).update(email=email)


def explain(api, username, item, reason, new_appointment):
    return api(username).post(f"/api/v1/tasks/{item.pk}/explain/",
                              {"reason": reason, "new_appointment": new_appointment}, format="json")


def in_app(username):
    return Notification.objects.filter(recipient__username=username, channel="in_app")


# ---------------------------------------------------------------------------------------------------------------
# lead times


def test_warning_and_explanation_item_at_due_minus_two_working_days(demo, api):
    clock = at("2026-12-01 09:00")  # Tuesday
    code = receive(api, "tro-cap-xa-hoi", HIEPDUC, applicant=CITIZEN)["code"]
    dossier = dossier_of(code)
    # 22 working days from Tue 01/12 09:00: the 22nd working day after it is Thu 31/12, same time of day.
    assert dossier.due_at == vn("2026-12-31 09:00")
    armed = clock_timers(code, status="scheduled")
    assert armed["explanation_opens"].due_at == vn("2026-12-29 09:00")  # due − 2 working days
    assert armed["apology_deadline"].due_at == vn("2026-12-30 09:00")  # due − 1 working day (the law's limit)
    assert armed["statutory_due"].due_at == vn("2026-12-31 09:00")
    assert {t.generation for t in armed.values()} == {0}
    assert statutory.lead_times(dossier) == (vn("2026-12-29 09:00"), vn("2026-12-30 09:00"))

    set_email("tuphap.hiepduc", "tuphap@hiepduc.example.vn")
    set_email("ct.hiepduc", "ct@hiepduc.example.vn")
    step = claim_step(api, code, "tuphap.hiepduc")
    assert step.unit.code == HIEPDUC and step.role == "specialist"

    clock.set(vn("2026-12-29 08:59"))
    timers.sweep_inline()  # only the first step's allocation (7 working days → 10/12 09:00) was due
    assert open_items(code, "explain_delay") == []
    assert in_app("tuphap.hiepduc").filter(subject__contains="quá thời gian được giao").count() == 1

    clock.set(vn("2026-12-29 09:00"))
    assert timers.sweep_inline() == 1
    [item] = open_items(code, "explain_delay")
    assert (item.role, item.unit.code, item.lane) == ("unit_leader", HIEPDUC, "statutory_clock")
    assert item.given_at == vn("2026-12-29 09:00") and item.due_at == vn("2026-12-30 09:00")
    assert item.engine_task_id == f"explain:{dossier.pk}:1"
    # The holder of the step and the unit's leader are warned, in the app and by e-mail (outbox rows).
    for username, address in (("tuphap.hiepduc", "tuphap@hiepduc.example.vn"), ("ct.hiepduc", "ct@hiepduc.example.vn")):
        warning = in_app(username).get(subject__contains="sắp đến hạn")
        assert "31/12/2026" in warning.subject and "09:00 30/12/2026" in warning.body
        assert warning.sent_at is not None and warning.read_at is None
        assert Notification.objects.filter(channel="email", address=address, subject=warning.subject).count() == 1
    assert dossier.events.filter(kind="deadline_warning").count() == 1
    # The leader finds the item in the inbox.
    inbox = api("ct.hiepduc").get("/api/v1/tasks/").json()["results"]
    assert [t["id"] for t in inbox if t["bpmn_id"] == "explain_delay"] == [item.pk]
    # Nothing more happens on a second sweep or a repeated delivery of the same firing.
    assert timers.sweep_inline() == 0
    assert timers.fire_timer(armed["explanation_opens"].pk) == "skipped"
    assert len(open_items(code, "explain_delay")) == 1
    assert in_app("ct.hiepduc").filter(subject__contains="sắp đến hạn").count() == 1


def test_short_limit_opens_at_half_and_same_day_has_no_lead_time(demo, api):
    clock = at("2026-12-01 09:00")
    code = receive(api, "nhan-cha-me-con", HIEPDUC)["code"]
    dossier = dossier_of(code)
    assert dossier.due_at == vn("2026-12-04 09:00")  # 3 working days
    armed = clock_timers(code)
    # Half of 3 working days = 12 office hours from 09:00 Tue: 8 h to Wed 09:00, then 2.5 h to 11:30 and 1.5 h
    # after the lunch break → Wed 02/12 14:30. The apology: due − 1 working day (L ≥ 2).
    assert armed["explanation_opens"].due_at == vn("2026-12-02 14:30")
    assert armed["apology_deadline"].due_at == vn("2026-12-03 09:00")
    clock.set(vn("2026-12-02 14:29"))
    timers.sweep_inline()
    assert open_items(code, "explain_delay") == []
    clock.set(vn("2026-12-02 14:30"))
    timers.sweep_inline()
    [item] = open_items(code, "explain_delay")
    assert item.due_at == vn("2026-12-03 09:00")

    clock.set(vn("2026-12-01 09:00"))
    same_day = receive(api, "dang-ky-khai-sinh", HIEPDUC)["code"]
    same = dossier_of(same_day)
    assert same.due_at == vn("2026-12-01 17:00")
    armed = clock_timers(same_day)
    assert "explanation_opens" not in armed  # no lead time
    assert armed["apology_deadline"].due_at == armed["statutory_due"].due_at == vn("2026-12-01 17:00")
    assert statutory.lead_times(same) == (None, vn("2026-12-01 17:00"))
    clock.set(vn("2026-12-01 16:59"))
    timers.sweep_inline()
    assert open_items(same_day, "explain_delay") == [] and dossier_of(same_day).flags == []
    clock.set(vn("2026-12-01 17:00"))
    timers.sweep_inline()
    same = dossier_of(same_day)
    assert set(same.flags) == {"late", "late_without_explanation"}
    [escalation] = open_items(same_day, "escalation")
    assert (escalation.role, escalation.unit.code) == ("signing_leader", HIEPDUC)
    [item] = open_items(same_day, "explain_delay")  # the apology is still owed to the citizen
    assert item.due_at == vn("2026-12-01 17:00")


# ---------------------------------------------------------------------------------------------------------------
# the apology (form 04) and the new appointment


def test_apology_before_the_limit_records_the_appointment_and_lateness_stays_on_the_statutory_due_time(demo, api):
    clock = at("2026-12-01 09:00")
    code = receive(api, "tro-cap-xa-hoi", HIEPDUC, applicant=CITIZEN)["code"]
    clock.set(vn("2026-12-29 09:00"))
    timers.sweep_inline()
    [item] = open_items(code, "explain_delay")

    draft = api("ct.hiepduc").get(f"/api/v1/tasks/{item.pk}/explain/").json()
    assert draft["apology_deadline"] == "2026-12-30T09:00:00+07:00"
    # The first step (7 working days, given 01/12) has used all its allocation: the proposal is due + 1 working day.
    assert draft["proposed_appointment"] == "2027-01-04T09:00:00+07:00"  # 01/01 is New Year's Day

    clock.set(vn("2026-12-29 10:00"))
    # Not after the statutory due time: refused, naming the field.
    early = explain(api, "ct.hiepduc", item, "Chờ xác minh", "2026-12-31T08:00:00+07:00")
    assert early.status_code == 400 and early.json()["field"] == "new_appointment"
    no_reason = explain(api, "ct.hiepduc", item, "", "2027-01-05T09:00:00+07:00")
    assert no_reason.status_code == 400 and no_reason.json()["field"] == "reason"
    # Only the leader of the unit holding it (or the receiving unit's signing leader) files the apology.
    assert explain(api, "tuphap.hiepduc", item, "x", "2027-01-05T09:00:00+07:00").status_code == 403
    assert explain(api, "tuphap.tambinh", item, "x", "2027-01-05T09:00:00+07:00").status_code == 404

    filed = explain(api, "ct.hiepduc", item, "Phải xác minh thêm thông tin hộ khẩu của đối tượng",
                    "2027-01-05T09:00:00+07:00")
    assert filed.status_code == 200, filed.content
    body = filed.json()
    assert body["explanation"]["filed_late"] is False and body["explanation"]["sequence"] == 1
    assert body["dossier"]["appointment_at"] == "2027-01-05T09:00:00+07:00"
    assert body["dossier"]["due_at"] == "2026-12-31T09:00:00+07:00"  # the statutory due time never changes
    assert body["form"]["number"] == "04" and "<html" in body["form"]["html"]
    letter = Explanation.objects.get(dossier__code=code).letter
    # received in 2026: Circular 03/2025's form 04
    assert "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT" in letter and code in letter
    assert "09 giờ 00 phút, ngày 05/01/2027" in letter and "09 giờ 00 phút, ngày 31/12/2026" in letter
    assert "Trần Thị Bình" in letter and "Phải xác minh thêm" in letter and "01/PXL" in letter
    item.refresh_from_db()
    assert item.status == "completed" and item.completed_by.username == "ct.hiepduc" and item.result == "early"
    dossier = dossier_of(code)
    assert dossier.flags == [] and dossier.reappointments == 1
    appointment = Timer.objects.get(dossier=dossier, kind="appointment_due")
    assert appointment.due_at == vn("2027-01-05 09:00") and appointment.status == "scheduled"
    # The citizen gets the letter by e-mail and an SMS; the one-stop desk is told in the app.
    citizen = Notification.objects.filter(dossier=dossier, recipient__isnull=True, subject__contains="xin lỗi")
    assert {(n.channel, n.address) for n in citizen} == {("email", "binh@example.vn"), ("sms", "0912345678")}
    assert "05/01/2027" in citizen.get(channel="sms").body
    assert in_app("motcua.hiepduc").filter(subject__contains="hẹn lại").count() == 1
    # Filing twice is a conflict: the item is done.
    assert explain(api, "ct.hiepduc", item, "x", "2027-01-06T09:00:00+07:00").status_code == 409

    # The due time passes: late (an apology was filed in time, so not "without explanation").
    clock.set(vn("2026-12-31 09:00"))
    timers.sweep_inline()
    dossier = dossier_of(code)
    assert dossier.flags == ["late"] and open_items(code, "escalation") == []
    assert dossier.late_unit.code == HIEPDUC
    # Finished after the due time but before the new appointment: still late.
    clock.set(vn("2027-01-04 10:00"))
    complete_step(api, code)
    complete_step(api, code)
    complete_step(api, code)
    complete_step(api, code, {"eligible": True})
    complete_step(api, code)
    dossier = dossier_of(code)
    assert dossier.status == "processed" and dossier.finished_at < dossier.appointment_at
    assert dossier.flags == ["late"]
    assert dossier.events.get(kind="processed").data_after["late"] is True
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"


def test_apology_after_the_limit_is_flagged(demo, api):
    clock = at("2026-12-01 09:00")
    code = receive(api, "tro-cap-xa-hoi", HIEPDUC)["code"]
    clock.set(vn("2026-12-30 09:30"))  # past the apology deadline (30/12 09:00), before the due time
    timers.sweep_inline()
    [item] = open_items(code, "explain_delay")
    dossier = dossier_of(code)
    assert dossier.events.filter(kind="apology_deadline_passed").count() == 1
    assert in_app("ct.hiepduc").filter(subject__contains="quá hạn gửi phiếu xin lỗi").count() == 1
    filed = explain(api, "ct.hiepduc", item, "Cán bộ thụ lý nghỉ ốm", "2027-01-05T09:00:00+07:00")
    assert filed.status_code == 200 and filed.json()["explanation"]["filed_late"] is True
    assert dossier_of(code).flags == ["apology_filed_late"]
    clock.set(vn("2026-12-31 09:00"))
    timers.sweep_inline()
    assert dossier_of(code).flags == ["apology_filed_late", "late"]  # explained before the due time


def test_a_second_lateness_is_flagged_reappointed_more_than_once(demo, api):
    clock = at("2026-12-01 09:00")
    code = receive(api, "tro-cap-xa-hoi", HIEPDUC)["code"]
    clock.set(vn("2026-12-29 09:00"))
    timers.sweep_inline()
    [first] = open_items(code, "explain_delay")
    clock.set(vn("2026-12-29 10:00"))
    assert explain(api, "ct.hiepduc", first, "Chờ xác minh", "2027-01-05T09:00:00+07:00").status_code == 200
    clock.set(vn("2027-01-05 08:59"))
    timers.sweep_inline()
    assert open_items(code, "explain_delay") == []
    clock.set(vn("2027-01-05 09:00"))  # the new appointment passes with the dossier still open
    timers.sweep_inline()
    [second] = open_items(code, "explain_delay")
    assert second.engine_task_id.endswith(":2") and second.due_at == vn("2027-01-05 09:00")
    assert dossier_of(code).events.filter(kind="appointment_passed").count() == 1
    clock.set(vn("2027-01-05 10:00"))
    before_first = explain(api, "ct.hiepduc", second, "x", "2027-01-05T08:00:00+07:00")
    assert before_first.status_code == 400 and before_first.json()["field"] == "new_appointment"
    again = explain(api, "ct.hiepduc", second, "Hồ sơ liên thông chưa có kết quả", "2027-01-07T09:00:00+07:00")
    assert again.status_code == 200 and again.json()["explanation"]["sequence"] == 2
    dossier = dossier_of(code)
    assert set(dossier.flags) == {"late", "reappointed_more_than_once", "apology_filed_late"}
    assert dossier.reappointments == 2 and dossier.appointment_at == vn("2027-01-07 09:00")
    assert dossier.due_at == vn("2026-12-31 09:00")
    appointment = Timer.objects.get(dossier=dossier, kind="appointment_due", status="scheduled")
    assert appointment.due_at == vn("2027-01-07 09:00")


def test_no_apology_escalates_to_the_signing_leader_and_records_who_was_late(demo, api):
    clock = at("2026-12-01 09:00")
    code = receive(api, "tro-cap-xa-hoi", HIEPDUC)["code"]
    clock.set(vn("2026-12-02 09:00"))
    for _ in range(3):  # the commune's steps; the dossier moves to the district's labour department
        complete_step(api, code)
    step = claim_step(api, code, "cv.ldtbxh")
    assert step.unit.code == LABOUR
    clock.set(vn("2026-12-29 09:00"))
    timers.sweep_inline()
    [item] = open_items(code, "explain_delay")
    assert item.unit.code == LABOUR  # the leader of the unit holding the step explains
    assert in_app("tp.ldtbxh").filter(subject__contains="sắp đến hạn").count() == 1
    assert in_app("cv.ldtbxh").filter(subject__contains="sắp đến hạn").count() == 1
    assert in_app("ct.hiepduc").filter(subject__contains="sắp đến hạn").count() == 0

    clock.set(vn("2026-12-31 09:00"))
    timers.sweep_inline()
    dossier = dossier_of(code)
    assert set(dossier.flags) == {"late", "late_without_explanation"}
    assert dossier.late_unit.code == LABOUR and dossier.late_official.username == "cv.ldtbxh"
    [escalation] = open_items(code, "escalation")
    assert (escalation.role, escalation.unit.code) == ("signing_leader", HIEPDUC)
    assert in_app("ct.hiepduc").filter(subject__contains="quá hạn chưa có giải trình").count() == 1
    assert [t["id"] for t in api("ct.hiepduc").get("/api/v1/tasks/").json()["results"]] == [escalation.pk]
    event = dossier.events.get(kind="deadline_passed")
    assert event.data_after["explained"] is False and event.data_after["late_official"] == "cv.ldtbxh"
    assert open_items(code, "explain_delay") == [item]  # still owed; filing it now is late
    filed = explain(api, "tp.ldtbxh", item, "Quá tải hồ sơ", "2027-01-06T09:00:00+07:00")
    assert filed.status_code == 200 and filed.json()["explanation"]["filed_late"] is True


def test_the_explanation_item_disappears_when_the_dossier_finishes_in_time(demo, api):
    clock = at("2026-12-01 09:00")
    code = receive(api, "nhan-cha-me-con", HIEPDUC)["code"]
    clock.set(vn("2026-12-02 15:00"))
    timers.sweep_inline()
    [item] = open_items(code, "explain_delay")
    clock.set(vn("2026-12-03 10:00"))
    complete_step(api, code, {"needs_verification": False})
    complete_step(api, code, {"approved": True})
    dossier = dossier_of(code)
    assert dossier.status == "processed" and dossier.flags == []
    item.refresh_from_db()
    assert item.status == "cancelled"
    assert not Timer.objects.filter(dossier=dossier, status__in=["scheduled", "claimed"]).exists()
    clock.set(vn("2026-12-10 09:00"))
    assert timers.sweep_inline() == 0
    assert dossier_of(code).flags == []


def test_a_legal_extension_moves_the_due_time_and_the_warning_with_it(demo, api):
    clock = at("2026-12-01 09:00")
    code = receive(api, "nhan-cha-me-con", HIEPDUC)["code"]
    clock.set(vn("2026-12-02 14:30"))
    timers.sweep_inline()
    [premature] = open_items(code, "explain_delay")
    clock.set(vn("2026-12-02 15:00"))
    complete_step(api, code, {"needs_verification": True})  # verification: +5 working days (legal extension)
    dossier = dossier_of(code)
    assert dossier.due_at == vn("2026-12-11 09:00") and dossier.legal_extension_days == 5
    premature.refresh_from_db()
    assert premature.status == "cancelled"  # it opens again with the new warning
    armed = clock_timers(code, status="scheduled")
    # L is now 3 + 5 = 8 ≥ 4: due − 2 and due − 1 working days.
    assert armed["explanation_opens"].due_at == vn("2026-12-09 09:00")
    assert armed["apology_deadline"].due_at == vn("2026-12-10 09:00")
    assert armed["statutory_due"].due_at == vn("2026-12-11 09:00")
    clock.set(vn("2026-12-07 09:00"))  # past the original due time (04/12 09:00): not late
    timers.sweep_inline()
    assert dossier_of(code).flags == [] and open_items(code, "explain_delay") == []
    clock.set(vn("2026-12-09 09:00"))
    timers.sweep_inline()
    [item] = open_items(code, "explain_delay")
    assert item.due_at == vn("2026-12-10 09:00") and item.engine_task_id.endswith(":2")


# ---------------------------------------------------------------------------------------------------------------
# time that jumps (a worker outage) and duplicate deliveries


def test_timers_fired_late_judge_by_the_due_times(demo, api):
    clock = at("2026-12-01 09:00")
    # (a) Finished before the due time while workers were down: nothing is late when they come back days later.
    in_time = receive(api, "nhan-cha-me-con", HIEPDUC)["code"]
    # (b) Explained before the due time, still open: the due timer runs 3 days late and finds it late, explained.
    explained = receive(api, "nhan-cha-me-con", HIEPDUC)["code"]
    # (c) Never touched: everything fires in one sweep after the outage, in order of due time.
    untouched = receive(api, "nhan-cha-me-con", HIEPDUC)["code"]
    # (d) Finished after the due time while workers were down: late, and without explanation.
    finished_late = receive(api, "nhan-cha-me-con", HIEPDUC)["code"]
    claim_step(api, finished_late, "tuphap.hiepduc")

    clock.set(vn("2026-12-02 14:30"))
    timers.sweep_inline()  # the explanation items open; then the workers go down
    [item] = open_items(explained, "explain_delay")
    clock.set(vn("2026-12-03 08:00"))
    assert explain(api, "ct.hiepduc", item, "Chờ xác minh", "2026-12-08T09:00:00+07:00").status_code == 200
    complete_step(api, in_time, {"needs_verification": False})
    complete_step(api, in_time, {"approved": True})
    clock.set(vn("2026-12-04 10:00"))  # after the due time (04/12 09:00); no sweep ran
    complete_step(api, finished_late, {"needs_verification": False})
    complete_step(api, finished_late, {"approved": True})

    clock.set(vn("2026-12-07 10:00"))  # Monday: the workers are back
    timers.sweep_inline()
    assert dossier_of(in_time).flags == [] and dossier_of(in_time).status == "processed"
    assert dossier_of(explained).flags == ["late"]
    assert open_items(explained, "escalation") == []
    late = dossier_of(untouched)
    assert set(late.flags) == {"late", "late_without_explanation"}
    assert late.late_unit.code == HIEPDUC and late.late_official is None  # nobody had claimed the step
    kinds = list(late.events.filter(kind__in=["deadline_warning", "apology_deadline_passed", "deadline_passed"])
                 .values_list("kind", flat=True))
    assert kinds == ["deadline_warning", "apology_deadline_passed", "deadline_passed"]
    done = dossier_of(finished_late)
    assert done.status == "processed" and set(done.flags) == {"late", "late_without_explanation"}
    assert done.late_unit.code == HIEPDUC and done.late_official.username == "tuphap.hiepduc"
    assert not WorkItem.objects.filter(dossier=done, status="open").exists()


def test_the_same_firing_delivered_twice_has_one_effect(demo, api):
    clock = at("2026-12-01 09:00")
    code = receive(api, "tro-cap-xa-hoi", HIEPDUC)["code"]
    armed = clock_timers(code)
    clock.set(vn("2026-12-31 09:00"))
    for kind in ("explanation_opens", "apology_deadline", "statutory_due"):
        assert timers.fire_timer(armed[kind].pk) == "fired"
        assert timers.fire_timer(armed[kind].pk) == "skipped"
    assert timers.sweep_inline() == 1  # only the step's allocation is left
    assert len(open_items(code, "explain_delay")) == 1 and len(open_items(code, "escalation")) == 1
    dossier = dossier_of(code)
    assert dossier.events.filter(kind="deadline_warning").count() == 1
    assert dossier.events.filter(kind="deadline_passed").count() == 1
    assert in_app("ct.hiepduc").filter(subject__contains="sắp đến hạn").count() == 1


# ---------------------------------------------------------------------------------------------------------------
# supplementation (form 02)


def test_supplementation_pauses_the_clock_and_restarts_it_from_zero(demo, api):
    clock = at("2026-12-01 09:00")
    code = receive(api, "tro-cap-xa-hoi", HIEPDUC, applicant=CITIZEN)["code"]
    step = claim_step(api, code, "tuphap.hiepduc")
    url = f"/api/v1/dossiers/{code}/supplement-request/"
    clock.set(vn("2026-12-03 10:00"))
    assert api("tuphap.tambinh").post(url, {"items": [{"name": "x"}], "reason": "x"}, format="json").status_code == 404
    assert api("thanhtra").post(url, {"items": [{"name": "x"}], "reason": "x"}, format="json").status_code == 403
    empty = api("tuphap.hiepduc").post(url, {"items": [], "reason": "thiếu giấy tờ"}, format="json")
    assert empty.status_code == 400 and empty.json()["field"] == "items"
    bad_kind = api("tuphap.hiepduc").post(url, {"items": [{"name": "Giấy xác nhận khuyết tật", "kind": "bản gốc"}],
                                                "reason": "thiếu"}, format="json")
    assert bad_kind.status_code == 400 and bad_kind.json()["field"] == "items"
    answer = api("tuphap.hiepduc").post(url, {
        "items": [{"name": "Giấy xác nhận khuyết tật", "kind": "bản sao chứng thực", "quantity": 1},
                  {"name": "Sổ hộ khẩu", "kind": "bản chụp", "quantity": 2}],
        "reason": "Thiếu giấy tờ chứng minh đối tượng hưởng trợ cấp"}, format="json")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["dossier"]["status"] == "supplement_requested" and body["dossier"]["status_code"] == 5
    assert body["dossier"]["clock_paused_at"] == "2026-12-03T10:00:00+07:00"
    assert body["supplementation"]["sequence"] == 1 and body["form"]["number"] == "02"
    text = body["form"]["text"]
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text and "Giấy xác nhận khuyết tật" in text
    assert "bản sao chứng thực" in text and "Thiếu giấy tờ chứng minh" in text and "01/HDHS" in text
    assert "ngày 03 tháng 12 năm 2026" in text
    dossier = dossier_of(code)
    # The statutory timers are cancelled; the step's own allocation keeps running (the step clock is internal).
    assert not Timer.objects.filter(dossier=dossier, kind__in=statutory.CLOCK_KINDS, status="scheduled").exists()
    assert Timer.objects.get(dossier=dossier, kind="step_overrun", work_item=step).status == "scheduled"
    assert {n.channel for n in Notification.objects.filter(dossier=dossier, subject__contains="Yêu cầu bổ sung")} \
        == {"email", "sms"}
    # A second request while waiting is a conflict; the receipt is the desk's.
    assert api("tuphap.hiepduc").post(url, {"items": [{"name": "x"}], "reason": "x"}, format="json").status_code == 409
    received_url = f"/api/v1/dossiers/{code}/supplement-received/"
    assert api("tuphap.hiepduc").post(received_url).status_code == 403

    # Waiting time is excluded: at the old warning time nothing happens.
    clock.set(vn("2026-12-08 14:00"))
    restarted = api("motcua.hiepduc").post(received_url)
    assert restarted.status_code == 200, restarted.content
    dossier = dossier_of(code)
    assert dossier.status == "processing" and dossier.clock_generation == 1 and dossier.clock_paused_at is None
    assert dossier.clock_started_at == vn("2026-12-08 14:00")
    # 22 working days from Tue 08/12 14:00: 17 working days to Thu 31/12, 01/01 is a holiday, 5 more to Fri 08/01.
    assert dossier.due_at == vn("2027-01-08 14:00")
    supplementation = Supplementation.objects.get(dossier=dossier)
    assert supplementation.previous_due_at == vn("2026-12-31 09:00")
    assert supplementation.new_due_at == vn("2027-01-08 14:00")
    assert supplementation.supplied_at == vn("2026-12-08 14:00")
    armed = clock_timers(code, status="scheduled", generation=1)
    assert armed["explanation_opens"].due_at == vn("2027-01-06 14:00")
    assert armed["apology_deadline"].due_at == vn("2027-01-07 14:00")
    assert armed["statutory_due"].due_at == vn("2027-01-08 14:00")
    assert not Timer.objects.filter(dossier=dossier, generation=0, kind__in=statutory.CLOCK_KINDS,
                                    status="scheduled").exists()
    assert api("motcua.hiepduc").post(received_url).status_code == 409  # nothing awaited any more

    clock.set(vn("2026-12-31 10:00"))  # the old due time has passed: not late under the restarted clock
    timers.sweep_inline()
    assert dossier_of(code).flags == [] and open_items(code, "explain_delay") == []

    second = api("tuphap.hiepduc").post(url, {"items": [{"name": "Đơn đề nghị có xác nhận"}], "reason": "Chưa ký"},
                                        format="json")
    assert second.status_code == 200 and second.json()["supplementation"]["sequence"] == 2
    assert dossier_of(code).flags == ["supplemented_twice"]
    events = list(dossier.events.filter(kind__startswith="supplement").values_list("kind", "actor_role"))
    assert events == [("supplement_requested", "specialist"), ("supplement_received", "reception"),
                      ("supplement_requested", "specialist")]


# ---------------------------------------------------------------------------------------------------------------
# refusal (form 03) and withdrawal


def test_refusal_ends_the_dossier_and_cancels_its_timers_and_items(demo, api):
    clock = at("2026-12-01 09:00")
    code = receive(api, "nhan-cha-me-con", HIEPDUC, applicant=CITIZEN)["code"]
    clock.set(vn("2026-12-02 15:00"))
    timers.sweep_inline()
    assert len(open_items(code, "explain_delay")) == 1
    url = f"/api/v1/dossiers/{code}/refuse/"
    assert api("tuphap.tambinh").post(url, {"reasons": ["x"]}, format="json").status_code == 404
    assert api("cv.ldtbxh").post(url, {"reasons": ["x"]}, format="json").status_code == 404
    empty = api("tuphap.hiepduc").post(url, {"reasons": []}, format="json")
    assert empty.status_code == 400 and empty.json()["field"] == "reasons"
    blank = api("tuphap.hiepduc").post(url, {"reasons": [" "]}, format="json")
    assert blank.status_code == 400 and blank.json()["field"] == "reasons"
    reasons = ["Người nhận con không phải là cha đẻ theo kết quả giám định"]
    refused = api("tuphap.hiepduc").post(url, {"reasons": reasons}, format="json")
    assert refused.status_code == 200, refused.content
    body = refused.json()
    assert body["dossier"]["status"] == "stopped" and body["dossier"]["status_code"] == 8
    assert body["dossier"]["outcome"] == "refused" and body["dossier"]["finished_at"] == "2026-12-02T15:00:00+07:00"
    assert body["form"]["number"] == "03" and "PHIẾU TỪ CHỐI" in body["form"]["text"]
    assert "kết quả giám định" in body["form"]["text"]
    dossier = dossier_of(code)
    assert not Timer.objects.filter(dossier=dossier, status__in=["scheduled", "claimed"]).exists()
    assert not WorkItem.objects.filter(dossier=dossier, status="open").exists()
    assert dossier.flags == []
    event = dossier.events.get(kind="refused")
    assert event.actor.username == "tuphap.hiepduc" and event.actor_role == "specialist"
    assert event.data_before["status"] == "received" and event.data_after["reasons"]
    assert Notification.objects.filter(dossier=dossier, channel="email", subject__contains="từ chối").exists()
    assert api("tuphap.hiepduc").post(url, {"reasons": ["x"]}, format="json").status_code == 409
    clock.set(vn("2026-12-10 09:00"))
    assert timers.sweep_inline() == 0


def test_withdrawal_ends_the_dossier(demo, api):
    clock = at("2026-12-01 09:00")
    code = receive(api, "tro-cap-xa-hoi", HIEPDUC)["code"]
    clock.set(vn("2026-12-03 09:00"))
    url = f"/api/v1/dossiers/{code}/withdraw/"
    assert api("tuphap.tambinh").post(url, {"reason": "x"}, format="json").status_code == 404
    no_reason = api("motcua.hiepduc").post(url, {"reason": ""}, format="json")
    assert no_reason.status_code == 400 and no_reason.json()["field"] == "reason"
    done = api("motcua.hiepduc").post(url, {"reason": "Người nộp xin rút hồ sơ để bổ sung sau"}, format="json")
    assert done.status_code == 200, done.content
    assert done.json()["dossier"]["status"] == "withdrawn" and done.json()["dossier"]["status_code"] == 7
    dossier = dossier_of(code)
    assert dossier.outcome == "withdrawn" and dossier.finished_at == vn("2026-12-03 09:00")
    assert not Timer.objects.filter(dossier=dossier, status__in=["scheduled", "claimed"]).exists()
    assert not WorkItem.objects.filter(dossier=dossier, status="open").exists()
    assert dossier.events.get(kind="withdrawn").actor_role == "reception"
    assert api("motcua.hiepduc").post(url, {"reason": "x"}, format="json").status_code == 409


# ---------------------------------------------------------------------------------------------------------------
# form 05, notifications, signals


def test_control_sheet_lists_every_hand_over_with_its_result(demo, api):
    clock = at("2026-12-01 09:00")
    code = receive(api, "nhan-cha-me-con", HIEPDUC)["code"]
    clock.set(vn("2026-12-01 10:00"))
    complete_step(api, code, {"needs_verification": False})  # allocation 2 days → due 03/12 09:00: early
    clock.set(vn("2026-12-03 09:30"))
    complete_step(api, code, {"approved": True})  # allocation 1 day, given 01/12 10:00 → due 02/12 10:00: late
    answer = api("thanhtra").get(f"/api/v1/dossiers/{code}/control-sheet/")
    assert answer.status_code == 200
    sheet = answer.json()
    rows = sheet["rows"]
    assert [(r["step"], r["unit"], r["result"]) for r in rows] == [("kiem_tra_ho_so", HIEPDUC, "early"),
                                                                  ("trinh_ky", HIEPDUC, "late")]
    assert rows[0]["given_at"] == "2026-12-01T09:00:00+07:00" and rows[0]["completed_at"] == "2026-12-01T10:00:00+07:00"
    assert rows[0]["who"] == "tuphap.hiepduc" and rows[1]["who"] == "ct.hiepduc"
    assert rows[1]["due_at"] == "2026-12-02T10:00:00+07:00" and Decimal(rows[1]["allocation_hours"]) == 8
    assert sheet["returned"]["result"] == "early"  # the dossier itself: 03/12 09:30, a day before 04/12 09:00
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in sheet["html"] and "Quá hạn" in sheet["html"]
    assert "09 giờ 00 phút, ngày 01/12/2026" in sheet["text"]
    assert api("tuphap.tambinh").get(f"/api/v1/dossiers/{code}/control-sheet/").status_code == 404


class FailingSms:
    def send(self, phone, text, *, key=""):
        raise ConnectionError("SMS gateway unreachable")


def test_notifications_are_written_to_the_outbox_and_sent(demo, api, settings):
    clock = at("2026-12-01 09:00")
    set_email("ct.hiepduc", "ct@hiepduc.example.vn")
    code = receive(api, "tro-cap-xa-hoi", HIEPDUC, applicant=CITIZEN)["code"]
    clock.set(vn("2026-12-29 09:00"))
    timers.sweep_inline()
    [item] = open_items(code, "explain_delay")
    assert explain(api, "ct.hiepduc", item, "Chờ xác minh", "2027-01-05T09:00:00+07:00").status_code == 200
    dossier = dossier_of(code)
    rows = Notification.objects.filter(dossier=dossier)
    assert {r.channel for r in rows} == {"in_app", "email", "sms"}
    assert all(r.sent_at is not None for r in rows.filter(channel="in_app"))
    pending = rows.filter(channel__in=["email", "sms"], sent_at__isnull=True)
    # The leader's e-mails (the first step's overrun, the warning), the citizen's letter by e-mail and by SMS.
    assert sorted(pending.values_list("channel", "address")) == [
        ("email", "binh@example.vn"), ("email", "ct@hiepduc.example.vn"), ("email", "ct@hiepduc.example.vn"),
        ("sms", "0912345678")]

    settings.MOTCUA_SMS_BACKEND = "tests.processes.test_statutory_clock.FailingSms"
    mail.outbox.clear()
    result = notifications.send_pending()
    assert result == {"sent": 3, "failed": 1}
    assert len(mail.outbox) == 3
    sms = Notification.objects.get(dossier=dossier, channel="sms")
    assert sms.sent_at is None and sms.attempts == 1 and "unreachable" in sms.last_error
    letter = next(m for m in mail.outbox if m.to == ["binh@example.vn"])
    assert "VĂN BẢN XIN LỖI" in letter.body and letter.extra_headers["X-MotCua-Key"].startswith("apology:")
    assert any(m.to == ["ct@hiepduc.example.vn"] and "sắp đến hạn" in m.subject for m in mail.outbox)

    settings.MOTCUA_SMS_BACKEND = "processes.services.notifications.LoggingSmsBackend"
    assert notifications.send_pending() == {"sent": 1, "failed": 0}
    sms.refresh_from_db()
    assert sms.sent_at is not None and sms.attempts == 2 and sms.last_error == ""
    assert notifications.send_pending() == {"sent": 0, "failed": 0}
    assert not Notification.objects.filter(channel__in=["email", "sms"], sent_at__isnull=True, dossier=dossier).exists()

    # The caller's in-app notifications, and marking one read (someone else's is a 404).
    listed = api("ct.hiepduc").get("/api/v1/notifications/?unread=1").json()["results"]
    assert listed and all(n["dossier"] == code for n in listed)
    first = listed[0]["id"]
    assert api("tuphap.tambinh").post(f"/api/v1/notifications/{first}/read/").status_code == 404
    read = api("ct.hiepduc").post(f"/api/v1/notifications/{first}/read/")
    assert read.status_code == 200 and read.json()["read_at"] == "2026-12-29T09:00:00+07:00"
    assert first not in [n["id"] for n in api("ct.hiepduc").get("/api/v1/notifications/?unread=1").json()["results"]]
    assert api("ct.hiepduc").post("/api/v1/notifications/999999999/read/").status_code == 404


SIGNAL_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="defs_warning" targetNamespace="http://motcua.test/bpmn">
  <bpmn:signal id="sig_warning" name="deadline_warning" />
  <bpmn:process id="quy_trinh_canh_bao" name="Thủ tục thử có cảnh báo" isExecutable="true">
    <bpmn:extensionElements>
      <spiffworkflow:properties>
        <spiffworkflow:property name="statutory_limit" value="5" />
        <spiffworkflow:property name="statutory_unit" value="working_days" />
        <spiffworkflow:property name="procedure_code" value="thu-canh-bao" />
      </spiffworkflow:properties>
    </bpmn:extensionElements>
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_chuyen_vien" name="specialist@self">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>xu_ly</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="lane_lanh_dao" name="unit_leader@self">
        <bpmn:flowNodeRef>canh_bao</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>don_doc</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end_don_doc</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="xu_ly" name="Xử lý hồ sơ">
      <bpmn:extensionElements>
        <spiffworkflow:properties><spiffworkflow:property name="allocation_days" value="4" /></spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:boundaryEvent id="canh_bao" name="Sắp đến hạn" attachedToRef="xu_ly" cancelActivity="false">
      <bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:signalEventDefinition id="canh_bao_def" signalRef="sig_warning" />
    </bpmn:boundaryEvent>
    <bpmn:userTask id="don_doc" name="Đôn đốc xử lý">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="allocation_hours" value="4" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end_don_doc"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="xu_ly" />
    <bpmn:sequenceFlow id="f2" sourceRef="xu_ly" targetRef="end" />
    <bpmn:sequenceFlow id="f3" sourceRef="canh_bao" targetRef="don_doc" />
    <bpmn:sequenceFlow id="f4" sourceRef="don_doc" targetRef="end_don_doc" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_the_warning_signal_reaches_a_diagram_that_waits_for_it(demo, api):
    Procedure.objects.create(code="thu-canh-bao", name="Thủ tục thử có cảnh báo", field=Field.objects.first(),
                             level="commune", statutory_limit=Decimal(5), statutory_unit="working_days")
    deploy_process_version(xml=SIGNAL_BPMN.encode(), filename="canh_bao.bpmn")
    clock = at("2026-12-01 09:00")
    code = receive(api, "thu-canh-bao", HIEPDUC)["code"]
    assert dossier_of(code).due_at == vn("2026-12-08 09:00")
    clock.set(vn("2026-12-04 09:00"))  # due − 2 working days
    timers.sweep_inline()
    steps = {(i.bpmn_id, i.role) for i in WorkItem.objects.filter(dossier__code=code, status="open")}
    assert steps == {("xu_ly", "specialist"), ("don_doc", "unit_leader"), ("explain_delay", "unit_leader")}
    assert dossier_of(code).events.filter(kind="signal_thrown").get().data_after["signal"] == "deadline_warning"
    # deadline_passed is not waited for: nothing is thrown, nothing fails.
    clock.set(vn("2026-12-08 09:00"))
    timers.sweep_inline()
    assert dossier_of(code).events.filter(kind="signal_thrown").count() == 1
    assert "late" in dossier_of(code).flags


def test_services_name_the_field_in_their_errors(demo, api):
    at("2026-12-01 09:00")
    code = receive(api, "tro-cap-xa-hoi", HIEPDUC)["code"]
    actor = Actor(user=get_user_model().objects.get(username="tuphap.hiepduc"))
    from processes.services.errors import InvalidInput, NotFound

    with pytest.raises(InvalidInput) as caught:
        statutory.request_supplementation(code, actor, [{"name": "Sổ hộ khẩu", "quantity": 0}], "thiếu")
    assert caught.value.field == "items[0].quantity"
    with pytest.raises(InvalidInput) as caught:
        statutory.request_supplementation(code, actor, [{"name": " "}], "thiếu")
    assert caught.value.field == "items[0].name"
    with pytest.raises(NotFound) as caught:
        statutory.refuse_dossier("khong-co", actor, ["x"])
    assert caught.value.field == "code"
    with pytest.raises(InvalidInput) as caught:
        statutory.refuse_dossier(code, actor, ["ok", ""])
    assert caught.value.field == "reasons[1]"
    step = WorkItem.objects.get(dossier__code=code, kind="step", status="open")
    with pytest.raises(InvalidInput) as caught:
        statutory.file_explanation(step.pk, actor, "lý do", vn("2027-01-05 09:00"))
    assert caught.value.field == "task"
    bad = api("ct.hiepduc").post(f"/api/v1/tasks/{step.pk}/explain/",
                                 {"reason": "x", "new_appointment": "2027-01-05T09:00:00+07:00"}, format="json")
    assert bad.status_code == 404  # not an explanation item


def test_escalation_item_is_closed_by_the_signing_leader_with_a_note_not_by_complete(demo, api):
    from datetime import timedelta

    from processes.models import WorkItem
    from processes.services.timers import sweep_inline

    from .helpers import at as set_clock
    from .helpers import receive as receive_via_api

    clock = set_clock("2026-12-01 09:00")
    code = receive_via_api(api, "nhan-cha-me-con", "003.00.16.H57")["code"]
    clock.advance(timedelta(days=5))
    sweep_inline()
    item = WorkItem.objects.get(dossier__code=code, kind="escalation", status="open")
    leader = api("ct.hiepduc")
    assert leader.post(f"/api/v1/tasks/{item.pk}/complete/", {"data": {}}, format="json").status_code == 409
    empty = leader.post(f"/api/v1/tasks/{item.pk}/resolve-escalation/", {"note": " "}, format="json")
    assert empty.status_code == 400 and empty.json()["field"] == "note"
    assert api("tuphap.hiepduc").post(f"/api/v1/tasks/{item.pk}/resolve-escalation/", {"note": "x"},
                                      format="json").status_code == 403
    done = leader.post(f"/api/v1/tasks/{item.pk}/resolve-escalation/", {"note": "đã nhắc nhở, yêu cầu giải trình"},
                       format="json")
    assert done.status_code == 200 and done.json()["status"] == "completed"
    assert "late_without_explanation" in api("thanhtra").get(f"/api/v1/dossiers/{code}/").json()["flags"]
