"""Administering a unit (processes/services/units.py): officials and roles, substitutes and what they may do during
their period (and only then), moving a departing official's work, office hours and calendar overrides."""
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator

from engine.calendar import VN_TZ
from processes import selectors
from processes.models import CalendarOverride, Event, Membership, Substitution, WorkItem
from processes.services import units
from processes.services.calendar import calendar_for_unit
from processes.services.dossiers import claim_work_item, complete_work_item, has_role
from processes.services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from processes.services.events import Actor
from webui import selectors as web_selectors

from ..webui.helpers import HIEPDUC, open_step, receive
from .helpers import at

User = get_user_model()


def actor(username):
    return Actor(user=User.objects.get(username=username), client_address="127.0.0.1")


def user(username):
    return User.objects.get(username=username)


def signing_step(dossier):
    """Completes the specialist's check (no verification): the chairman's signing step is open."""
    first = open_step(dossier)
    complete_work_item(item_id=first.pk, actor=actor("tuphap.hiepduc"), data={"needs_verification": False})
    step = open_step(dossier)
    assert step.role == "signing_leader" and step.unit.code == HIEPDUC
    return step


# ---------------------------------------------------------------------------------------------------------------
# officials and roles


def test_grant_and_revoke_a_role_within_the_unit_tree_only(demo):
    at("2026-12-01 09:00")
    admin = actor("quantri.hiepduc")
    membership = units.grant_role(username="tuphap.hiepduc", unit=demo["hiepduc"], role="reception", actor=admin)
    assert Membership.objects.filter(user__username="tuphap.hiepduc", unit=demo["hiepduc"], role="reception").exists()
    event = Event.objects.filter(kind="role_granted").latest("id")
    assert event.actor.username == "quantri.hiepduc" and event.actor_unit == demo["hiepduc"]
    assert event.actor_role == "unit_admin" and event.data_before is None
    assert event.data_after == {"username": "tuphap.hiepduc", "unit": HIEPDUC, "role": "reception"}
    with pytest.raises(Conflict):
        units.grant_role(username="tuphap.hiepduc", unit=demo["hiepduc"], role="reception", actor=admin)
    # outside the tree: another commune, the district
    with pytest.raises(NotAllowed):
        units.grant_role(username="tuphap.hiepduc", unit=demo["tambinh"], role="reception", actor=admin)
    with pytest.raises(NotAllowed):
        units.grant_role(username="tuphap.hiepduc", unit=demo["district"], role="specialist", actor=admin)
    # provincial roles: refused with a message that says why
    for role in ("auditor", "process_designer"):
        with pytest.raises(NotAllowed, match="cấp tỉnh"):
            units.grant_role(username="tuphap.hiepduc", unit=demo["hiepduc"], role=role, actor=admin)
    with pytest.raises(InvalidInput):
        units.grant_role(username="tuphap.hiepduc", unit=demo["hiepduc"], role="chairman", actor=admin)
    with pytest.raises(InvalidInput) as unknown:
        units.grant_role(username="nobody", unit=demo["hiepduc"], role="specialist", actor=admin)
    assert unknown.value.field == "username"
    # a non-admin, even the unit's leader, does not grant roles
    with pytest.raises(NotAllowed):
        units.grant_role(username="tuphap.hiepduc", unit=demo["hiepduc"], role="specialist", actor=actor("ct.hiepduc"))
    # the district's admin grants in a department of the district; unit_admin only at the unit itself
    units.grant_role(username="cv.kthh", unit=demo["justice"], role="specialist", actor=actor("quantri"))
    with pytest.raises(InvalidInput):
        units.grant_role(username="cv.kthh", unit=demo["justice"], role="unit_admin", actor=actor("quantri"))

    before = units.revoke_role(membership_id=membership.pk, actor=admin)
    assert before == {"username": "tuphap.hiepduc", "unit": HIEPDUC, "role": "reception"}
    assert not Membership.objects.filter(pk=membership.pk).exists()
    revoked = Event.objects.filter(kind="role_revoked").latest("id")
    assert revoked.data_before["role"] == "reception" and revoked.data_after["role"] is None
    own = Membership.objects.get(user__username="quantri.hiepduc", role="unit_admin")
    with pytest.raises(NotAllowed):
        units.revoke_role(membership_id=own.pk, actor=admin)
    other = Membership.objects.get(user__username="tuphap.tambinh", role="specialist")
    with pytest.raises(NotAllowed):
        units.revoke_role(membership_id=other.pk, actor=admin)
    with pytest.raises(NotFound):
        units.revoke_role(membership_id=10**12, actor=admin)


def test_revoking_a_role_with_claimed_steps_is_refused_until_the_work_is_moved(demo):
    at("2026-12-01 09:00")
    dossier = receive("nhan-cha-me-con")
    claim_work_item(item_id=open_step(dossier).pk, actor=actor("tuphap.hiepduc"))
    specialist = Membership.objects.get(user__username="tuphap.hiepduc", role="specialist")
    with pytest.raises(Conflict, match="chuyển việc"):
        units.revoke_role(membership_id=specialist.pk, actor=actor("quantri.hiepduc"))
    units.move_work(unit=demo["hiepduc"], from_username="tuphap.hiepduc", actor=actor("quantri.hiepduc"))
    units.revoke_role(membership_id=specialist.pk, actor=actor("quantri.hiepduc"))
    assert not has_role(user("tuphap.hiepduc"), demo["hiepduc"], "specialist")


def test_add_an_official_who_sets_their_own_password_through_a_one_time_link(demo):
    at("2026-12-01 09:00")
    admin = actor("quantri.hiepduc")
    new = units.add_official(unit=demo["hiepduc"], username="vanthu.hiepduc", full_name="  Lê   Thị Văn  ",
                             email="vanthu@hiepduc.gov.vn", role="specialist", actor=admin)
    assert new.first_name == "Lê Thị Văn" and new.is_active and not new.has_usable_password()
    assert Membership.objects.filter(user=new, unit=demo["hiepduc"], role="specialist").exists()
    event = Event.objects.filter(kind="official_added").latest("id")
    assert event.data_after == {"username": "vanthu.hiepduc", "full_name": "Lê Thị Văn",
                                "email": "vanthu@hiepduc.gov.vn", "unit": HIEPDUC, "role": "specialist"}
    uid, token = units.issue_password_link(username="vanthu.hiepduc", unit=demo["hiepduc"], actor=admin)
    assert default_token_generator.check_token(new, token)
    assert Event.objects.filter(kind="password_link_issued", data_after__username="vanthu.hiepduc").exists()
    assert token not in str(Event.objects.filter(kind="password_link_issued").latest("id").data_after)
    for bad, field in [({"username": "Ab"}, "username"), ({"username": "có dấu"}, "username"),
                       ({"full_name": "  "}, "full_name"), ({"email": "not-an-email"}, "email"),
                       ({"role": "auditor"}, "role")]:
        args = {"unit": demo["hiepduc"], "username": "moi.hiepduc", "full_name": "Mới", "email": "",
                "role": "specialist", "actor": admin, **bad}
        with pytest.raises((InvalidInput, NotAllowed)) as refused:
            units.add_official(**args)
        assert refused.value.field == field, bad
    with pytest.raises(Conflict):
        units.add_official(unit=demo["hiepduc"], username="VANTHU.hiepduc".lower(), full_name="X", role="specialist",
                           actor=admin)
    with pytest.raises(NotAllowed):
        units.add_official(unit=demo["tambinh"], username="x.tambinh", full_name="X", role="specialist", actor=admin)
    # once the official has signed in, no more links (a forgotten password goes through the province)
    User.objects.filter(pk=new.pk).update(last_login=at("2026-12-01 10:00").now())
    with pytest.raises(Conflict):
        units.issue_password_link(username="vanthu.hiepduc", unit=demo["hiepduc"], actor=admin)


def test_deactivate_an_official_keeps_history_and_refuses_what_would_lose_work(demo):
    at("2026-12-01 09:00")
    admin = actor("quantri.hiepduc")
    dossier = receive("nhan-cha-me-con")
    claim_work_item(item_id=open_step(dossier).pk, actor=actor("tuphap.hiepduc"))
    with pytest.raises(Conflict, match="chuyển việc"):
        units.deactivate_official(username="tuphap.hiepduc", unit=demo["hiepduc"], actor=admin)
    with pytest.raises(NotAllowed):
        units.deactivate_official(username="quantri.hiepduc", unit=demo["hiepduc"], actor=admin)
    with pytest.raises(NotFound):
        units.deactivate_official(username="tuphap.tambinh", unit=demo["hiepduc"], actor=admin)
    # an official who also works for another unit: only the role here can be revoked
    units.grant_role(username="tuphap.tambinh", unit=demo["hiepduc"], role="specialist", actor=admin)
    with pytest.raises(NotAllowed, match="Tam Bình"):
        units.deactivate_official(username="tuphap.tambinh", unit=demo["hiepduc"], actor=admin)
    units.move_work(unit=demo["hiepduc"], from_username="tuphap.hiepduc", to_username="tuphap.tambinh", actor=admin)
    units.deactivate_official(username="tuphap.hiepduc", unit=demo["hiepduc"], actor=admin, reason="nghỉ hưu")
    gone = user("tuphap.hiepduc")
    assert not gone.is_active
    assert Membership.objects.filter(user=gone).exists()  # history kept
    event = Event.objects.filter(kind="official_deactivated").latest("id")
    assert event.data_before["is_active"] is True and event.data_after["is_active"] is False
    assert event.data_after["reason"] == "nghỉ hưu"
    with pytest.raises(Conflict):
        units.deactivate_official(username="tuphap.hiepduc", unit=demo["hiepduc"], actor=admin)
    with pytest.raises(NotAllowed):
        units.deactivate_official(username="tuphap.hiepduc", unit=demo["hiepduc"], actor=actor("ct.hiepduc"))


# ---------------------------------------------------------------------------------------------------------------
# substitutes


def appoint(demo, starts="03/12/2026", ends="04/12/2026", by="quantri.hiepduc", substitute="tuphap.hiepduc",
            role="signing_leader"):
    return units.appoint_substitute(unit=demo["hiepduc"], role=role, absent_username="ct.hiepduc",
                                    substitute_username=substitute, starts_on=starts, ends_on=ends,
                                    reason="Chủ tịch đi học", actor=actor(by))


def test_the_substitute_holds_the_role_only_during_the_period(demo):
    at("2026-12-01 09:00")
    dossier = receive("nhan-cha-me-con")
    step = signing_step(dossier)
    substitution = appoint(demo)
    assert substitution.starts_on == date(2026, 12, 3) and substitution.ends_on == date(2026, 12, 4)
    event = Event.objects.filter(kind="substitute_appointed").latest("id")
    assert event.data_after["absent"] == "ct.hiepduc" and event.data_after["substitute"] == "tuphap.hiepduc"
    assert event.data_after["starts_on"] == "2026-12-03" and event.actor_unit == demo["hiepduc"]
    deputy = user("tuphap.hiepduc")

    def sees():
        return selectors.inbox_for(deputy).filter(pk=step.pk).exists()

    # before
    at("2026-12-02 23:59")
    assert not sees() and not has_role(deputy, demo["hiepduc"], "signing_leader")
    assert "signing_leader" not in [m.role for m in web_selectors.memberships_of(deputy)]
    with pytest.raises(NotAllowed):
        claim_work_item(item_id=step.pk, actor=actor("tuphap.hiepduc"))
    # during: the first and the last day (inclusive), by the local date
    at("2026-12-03 00:00")
    assert sees() and has_role(deputy, demo["hiepduc"], "signing_leader")
    stand_in = [m for m in web_selectors.memberships_of(deputy) if m.role == "signing_leader"]
    assert stand_in and stand_in[0].acting_for.username == "ct.hiepduc"
    assert web_selectors.can_act_on(deputy, step)
    at("2026-12-04 23:59")
    assert sees()
    # after
    at("2026-12-05 00:00")
    assert not sees() and not has_role(deputy, demo["hiepduc"], "signing_leader")
    assert not web_selectors.can_act_on(deputy, step)


def test_a_revoked_substitution_gives_nothing_and_releases_what_the_substitute_claimed(demo):
    at("2026-12-01 09:00")
    dossier = receive("nhan-cha-me-con")
    step = signing_step(dossier)
    substitution = appoint(demo, starts="01/12/2026", ends="10/12/2026")
    deputy = user("tuphap.hiepduc")
    claim_work_item(item_id=step.pk, actor=actor("tuphap.hiepduc"))
    claimed = dossier.events.filter(kind="claimed").latest("id")
    assert claimed.data_after["acting_for"] == "ct.hiepduc"
    units.revoke_substitution(substitution_id=substitution.pk, actor=actor("ct.hiepduc"))  # the leader may
    assert Substitution.objects.get(pk=substitution.pk).revoked_at is not None
    assert WorkItem.objects.get(pk=step.pk).claimed_by is None  # released for the chairman
    moved = dossier.events.filter(kind="work_moved").latest("id")
    assert moved.data_before["claimed_by"] == "tuphap.hiepduc" and moved.data_after["claimed_by"] is None
    assert not selectors.inbox_for(deputy).filter(pk=step.pk).exists()
    assert not has_role(deputy, demo["hiepduc"], "signing_leader")
    event = Event.objects.filter(kind="substitute_revoked").latest("id")
    assert event.data_before["revoked_at"] is None and event.data_after["released_steps"] == [step.pk]
    with pytest.raises(Conflict):
        units.revoke_substitution(substitution_id=substitution.pk, actor=actor("quantri.hiepduc"))
    with pytest.raises(NotAllowed):
        units.revoke_substitution(substitution_id=appoint(demo, starts="11/12/2026", ends="12/12/2026").pk,
                                  actor=actor("quantri"))  # the district's admin: not this commune's


def test_the_substitute_signs_the_leaders_step_and_completed_for_and_acting_for_are_recorded(demo):
    at("2026-12-01 09:00")
    dossier = receive("nhan-cha-me-con")
    step = signing_step(dossier)
    appoint(demo, starts="01/12/2026", ends="01/12/2026")
    at("2026-12-01 10:00")
    complete_work_item(item_id=step.pk, actor=actor("tuphap.hiepduc"), data={"approved": True})
    done = WorkItem.objects.get(pk=step.pk)
    assert done.status == "completed" and done.completed_by.username == "tuphap.hiepduc"
    assert done.completed_for.username == "ct.hiepduc"
    event = dossier.events.filter(kind="step_completed").latest("id")
    assert event.data_after["acting_for"] == "ct.hiepduc" and event.actor.username == "tuphap.hiepduc"
    assert event.actor_role == "signing_leader"
    # the chairman signing his own step records no one
    first_done = WorkItem.objects.get(dossier=dossier, bpmn_id="kiem_tra_ho_so")
    assert first_done.completed_for is None
    assert "acting_for" not in dossier.events.filter(kind="step_completed").earliest("id").data_after


def test_a_substitute_for_the_district_leader_sees_the_communes_dossiers_and_the_units_inbox(demo):
    at("2026-12-01 09:00")
    dossier = receive("nhan-cha-me-con")
    head = user("tp.tuphap")  # head of the district's justice department
    assert not selectors.dossiers_visible_to(head).filter(pk=dossier.pk).exists()
    substitution = units.appoint_substitute(unit=demo["district"], role="unit_leader", absent_username="ct.huyen",
                                            substitute_username="tp.tuphap", starts_on="01/12/2026",
                                            ends_on="02/12/2026", actor=actor("quantri"))
    assert selectors.dossiers_visible_to(head).filter(pk=dossier.pk).exists()  # a commune of the district
    assert demo["district"] in selectors.units_of(head)
    assert web_selectors.leads(head, demo["district"])
    district_dossier = receive("giay-phep-xay-dung", unit_code=demo["district"].code)
    scope = web_selectors.inbox_scope(head, demo["district"])
    assert scope.filter(dossier=district_dossier).exists()
    at("2026-12-03 08:00")
    assert not selectors.dossiers_visible_to(head).filter(pk=dossier.pk).exists()
    assert demo["district"] not in selectors.units_of(head)
    assert not web_selectors.leads(head, demo["district"])
    assert substitution.pk  # ended by its dates, not revoked
    assert Substitution.objects.get(pk=substitution.pk).revoked_at is None


def test_appointing_a_substitute_is_checked(demo):
    at("2026-12-01 09:00")
    with pytest.raises(InvalidInput) as past:
        appoint(demo, starts="30/11/2026")
    assert past.value.field == "starts_on"
    with pytest.raises(InvalidInput) as order:
        appoint(demo, starts="05/12/2026", ends="04/12/2026")
    assert order.value.field == "ends_on"
    with pytest.raises(InvalidInput) as long:
        appoint(demo, starts="01/12/2026", ends="02/12/2027")
    assert long.value.field == "ends_on"
    with pytest.raises(InvalidInput) as bad_date:
        appoint(demo, starts="31/02/2026")
    assert bad_date.value.field == "starts_on"
    with pytest.raises(InvalidInput) as outsider:
        appoint(demo, substitute="tuphap.tambinh")
    assert outsider.value.field == "substitute"
    with pytest.raises(InvalidInput) as same:
        appoint(demo, substitute="ct.hiepduc")
    assert same.value.field == "substitute"
    with pytest.raises(InvalidInput) as not_held:
        units.appoint_substitute(unit=demo["hiepduc"], role="reception", absent_username="ct.hiepduc",
                                 substitute_username="tuphap.hiepduc", starts_on="01/12/2026", ends_on="02/12/2026",
                                 actor=actor("quantri.hiepduc"))
    assert not_held.value.field == "absent"
    with pytest.raises(InvalidInput):
        appoint(demo, role="unit_admin")
    with pytest.raises(NotAllowed):
        appoint(demo, by="tuphap.hiepduc")  # neither admin nor leader
    with pytest.raises(NotAllowed):
        appoint(demo, by="quantri")  # another unit's admin
    appoint(demo, by="ct.hiepduc")  # the leader appoints his own substitute
    with pytest.raises(Conflict):
        appoint(demo, starts="04/12/2026", ends="06/12/2026", substitute="motcua.hiepduc")  # overlaps


# ---------------------------------------------------------------------------------------------------------------
# moving work


def test_move_a_departing_officials_work_to_a_colleague_or_release_it(demo):
    at("2026-12-01 09:00")
    admin = actor("quantri.hiepduc")
    first, second = receive("nhan-cha-me-con"), receive("dang-ky-khai-sinh")
    a, b = open_step(first), open_step(second)
    for item in (a, b):
        claim_work_item(item_id=item.pk, actor=actor("tuphap.hiepduc"))
    colleague = units.add_official(unit=demo["hiepduc"], username="cv2.hiepduc", full_name="Chuyên viên Hai",
                                   role="specialist", actor=admin)
    # to someone without the role: nothing moves (all or nothing), the message names the step
    with pytest.raises(InvalidInput) as wrong:
        units.move_work(unit=demo["hiepduc"], from_username="tuphap.hiepduc", to_username="motcua.hiepduc",
                        actor=admin)
    assert wrong.value.field == "to"
    assert set(WorkItem.objects.filter(pk__in=[a.pk, b.pk]).values_list("claimed_by__username", flat=True)) == {
        "tuphap.hiepduc"}
    with pytest.raises(NotAllowed):
        units.move_work(unit=demo["hiepduc"], from_username="tuphap.hiepduc", actor=actor("motcua.hiepduc"))
    with pytest.raises(Conflict):
        units.move_work(unit=demo["hiepduc"], from_username="tuphap.hiepduc", item_ids=[a.pk, 10**12], actor=admin)
    moved = units.move_work(unit=demo["hiepduc"], from_username="tuphap.hiepduc", to_username="cv2.hiepduc",
                            item_ids=[a.pk], actor=admin, reason="nghỉ việc")
    assert [m.pk for m in moved] == [a.pk]
    assert WorkItem.objects.get(pk=a.pk).claimed_by == colleague
    event = first.events.filter(kind="work_moved").latest("id")
    assert event.data_before == {"step": a.bpmn_id, "claimed_by": "tuphap.hiepduc"}
    assert event.data_after == {"step": a.bpmn_id, "claimed_by": "cv2.hiepduc", "reason": "nghỉ việc"}
    assert event.actor_role == "unit_admin"
    # the rest released, by the leader this time
    units.move_work(unit=demo["hiepduc"], from_username="tuphap.hiepduc", actor=actor("ct.hiepduc"))
    assert WorkItem.objects.get(pk=b.pk).claimed_by is None
    assert second.events.filter(kind="work_moved").latest("id").actor_role == "unit_leader"
    with pytest.raises(InvalidInput):  # nothing left
        units.move_work(unit=demo["hiepduc"], from_username="tuphap.hiepduc", actor=admin)
    # the colleague completes the moved step
    complete_work_item(item_id=a.pk, actor=Actor(user=colleague), data={"needs_verification": False})


# ---------------------------------------------------------------------------------------------------------------
# office hours and calendar overrides


def test_office_hours_are_validated_and_visible_at_once_for_new_dossiers_only(demo):
    at("2026-12-01 09:00")  # Tuesday
    admin = actor("quantri.hiepduc")
    before = receive("dang-ky-khai-sinh")  # same day: due at the end of office hours, 17:00
    assert before.due_at.astimezone(VN_TZ).strftime("%H:%M") == "17:00"
    bad = [
        ([["7:30", "11:30"]], "period_1"),
        ([["07:30", "07:30"]], "period_1"),
        ([["07:30", "11:30"], ["11:00", "17:00"]], "period_2"),
        ([["13:00", "17:00"], ["07:30", "11:30"]], "period_2"),
        ([["07:30", "24:00"]], "period_1"),
        ([["07:30"]], "period_1"),
        ([["07:00", "08:00"]] * 5, "office_hours"),
    ]
    for periods, field in bad:
        with pytest.raises(InvalidInput) as refused:
            units.set_office_hours(unit=demo["hiepduc"], periods=periods, actor=admin)
        assert refused.value.field == field, periods
    with pytest.raises(NotAllowed):
        units.set_office_hours(unit=demo["hiepduc"], periods=[["07:00", "11:00"]], actor=actor("quantri"))
    units.set_office_hours(unit=demo["hiepduc"], periods=[["07:00", "11:00"], ["13:30", "16:30"]], actor=admin)
    calendar = calendar_for_unit(type(demo["hiepduc"]).objects.get(pk=demo["hiepduc"].pk))
    assert [(s.strftime("%H:%M"), e.strftime("%H:%M")) for s, e in calendar.office_hours] == [
        ("07:00", "11:00"), ("13:30", "16:30")]
    event = Event.objects.filter(kind="office_hours_changed").latest("id")
    assert event.data_before["office_hours"] == [] and event.data_after["office_hours"][1] == ["13:30", "16:30"]
    after = receive("dang-ky-khai-sinh")
    assert after.due_at.astimezone(VN_TZ).strftime("%H:%M") == "16:30"
    before.refresh_from_db()
    assert before.due_at.astimezone(VN_TZ).strftime("%H:%M") == "17:00"  # unchanged
    units.set_office_hours(unit=demo["hiepduc"], periods=[], actor=admin)  # back to the default
    assert calendar_for_unit(type(demo["hiepduc"]).objects.get(pk=demo["hiepduc"].pk)).hours_per_day == 8


def test_calendar_overrides_of_the_unit(demo):
    at("2026-12-01 09:00")
    admin = actor("quantri.hiepduc")
    unit = demo["hiepduc"]
    assert calendar_for_unit(unit).is_working_day(date(2026, 12, 4))  # a Friday
    units.set_unit_calendar_day(unit=unit, day="04/12/2026", is_working_day=False, reason="Bầu cử bổ sung",
                                actor=admin)
    assert not calendar_for_unit(unit).is_working_day(date(2026, 12, 4))  # at once
    assert calendar_for_unit(demo["tambinh"]).is_working_day(date(2026, 12, 4))  # this unit only
    row = CalendarOverride.objects.get(date=date(2026, 12, 4), unit=unit)
    assert row.reason == "Bầu cử bổ sung" and row.created_by.username == "quantri.hiepduc"
    event = Event.objects.filter(kind="calendar_override_set").latest("id")
    assert event.actor_unit == unit and event.data_after["unit"] == HIEPDUC
    own, everyone = units.upcoming_overrides(unit)
    assert [o.date for o in own] == [date(2026, 12, 4)]
    units.set_unit_calendar_day(unit=unit, day="05/12/2026", is_working_day=True, reason="Làm bù", actor=admin)
    assert calendar_for_unit(unit).is_working_day(date(2026, 12, 5))  # a Saturday
    for day, reason, field in [("30/11/2026", "x", "date"), ("4/13/2026", "x", "date"), ("07/12/2026", "", "reason")]:
        with pytest.raises(InvalidInput) as refused:
            units.set_unit_calendar_day(unit=unit, day=day, is_working_day=False, reason=reason, actor=admin)
        assert refused.value.field == field
    with pytest.raises(NotAllowed):
        units.set_unit_calendar_day(unit=unit, day="07/12/2026", is_working_day=False, reason="x",
                                    actor=actor("quantri"))
    units.clear_unit_calendar_day(unit=unit, day="04/12/2026", actor=admin)
    assert calendar_for_unit(unit).is_working_day(date(2026, 12, 4))
    assert Event.objects.filter(kind="calendar_override_cleared").latest("id").data_before["reason"] == "Bầu cử bổ sung"
    with pytest.raises(NotFound):
        units.clear_unit_calendar_day(unit=unit, day="04/12/2026", actor=admin)


def test_a_substitute_for_the_leader_files_the_explanation_and_the_letter_says_for_whom(demo):
    from processes.models import Explanation
    from processes.services import statutory, timers

    at("2026-12-01 09:00")  # Tuesday; 3 working days → due Friday 04/12 09:00
    dossier = receive("nhan-cha-me-con")
    units.appoint_substitute(unit=demo["hiepduc"], role="unit_leader", absent_username="ct.hiepduc",
                             substitute_username="tuphap.hiepduc", starts_on="01/12/2026", ends_on="11/12/2026",
                             reason="Chủ tịch đi công tác", actor=actor("quantri.hiepduc"))
    at("2026-12-03 09:00")
    timers.sweep_inline()
    item = dossier.work_items.get(kind="explain_delay", status="open")
    outcome = statutory.file_explanation(item.pk, actor("tuphap.hiepduc"), "Chờ kết quả xác minh của công an xã",
                                         "2026-12-08T09:00:00+07:00")
    item.refresh_from_db()
    assert item.completed_by.username == "tuphap.hiepduc" and item.completed_for.username == "ct.hiepduc"
    letter = Explanation.objects.get(dossier=dossier).letter
    assert "KT." in letter and "vắng mặt" in letter and outcome.dossier.pk == dossier.pk
    event = dossier.events.get(kind="explanation_filed")
    assert event.data_after["acting_for"] == "ct.hiepduc" and event.actor.username == "tuphap.hiepduc"
