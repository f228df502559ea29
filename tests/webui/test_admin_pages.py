"""The unit administration pages through Django's test client: who gets in (403 / 404), each form's bad input at
the field with 400, the changes done through processes.services.units, the nav link, the set-password link, and the
step page's "ký thay"."""
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from processes.models import CalendarOverride, Event, Membership, Substitution, WorkItem
from processes.services.dossiers import claim_work_item, complete_work_item
from processes.services.events import Actor

from ..processes.helpers import at
from .helpers import open_step, receive, signed_in, user

User = get_user_model()


def url(demo, unit="hiepduc", rest=""):
    return f"/unit-admin/{demo[unit].pk}/{rest}"


def field_error(page, name):
    """The message shown at a field (the template's err-<name>)."""
    match = re.search(rf'id="err-{name}"[^>]*>(.*?)</p>', page.text, re.S)
    return match.group(1).strip() if match else None


# ---------------------------------------------------------------------------------------------------------------
# who gets in


def test_admins_get_in_other_units_admins_get_404_others_403(demo):
    admin = signed_in("quantri.hiepduc")
    for rest in ("", "officials/new/", "substitutes/", "work/", "calendar/"):
        assert admin.get(url(demo, rest=rest)).status_code == 200, rest
        assert admin.get(url(demo, "tambinh", rest)).status_code == 404, rest  # another commune
        assert admin.get(url(demo, "district", rest)).status_code == 404, rest
        assert signed_in("tuphap.hiepduc").get(url(demo, rest=rest)).status_code == 403, rest
    assert admin.get(url(demo, "justice")).status_code == 404  # a department is administered through its unit
    assert admin.get("/unit-admin/999999999999999999/").status_code == 404
    other = User.objects.get(username="tuphap.tambinh")
    assert admin.get(url(demo, rest=f"officials/{other.pk}/")).status_code == 404  # not an official of the unit
    # the unit's leader: substitutes and moving work, not roles or the calendar
    leader = signed_in("ct.hiepduc")
    assert leader.get(url(demo, rest="substitutes/")).status_code == 200
    assert leader.get(url(demo, rest="work/")).status_code == 200
    assert leader.get(url(demo)).status_code == 403  # not an admin
    assert leader.get(url(demo, "tambinh", "substitutes/")).status_code == 404
    # signed out: the sign-in page, then back
    response = Client().get(url(demo))
    assert response.status_code == 302 and response.url.startswith("/login/?next=")
    # /unit-admin/ leads an admin to their unit
    assert admin.get("/unit-admin/").url == url(demo)
    assert signed_in("tuphap.hiepduc").get("/unit-admin/").status_code == 403


def test_the_nav_link_is_shown_to_the_unit_admin_only(demo):
    page = signed_in("quantri.hiepduc").get("/inbox/")
    assert 'href="/unit-admin/"' in page.text and "Quản trị đơn vị" in page.text
    assert 'href="/unit-admin/"' not in signed_in("tuphap.hiepduc").get("/inbox/").text
    assert 'href="/unit-admin/"' not in signed_in("ct.hiepduc").get("/inbox/").text


def test_csrf_is_required(demo):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user("quantri.hiepduc"))
    response = client.post(url(demo), {"username": "tuphap.hiepduc", "unit": demo["hiepduc"].pk, "role": "reception"})
    assert response.status_code == 403
    assert not Membership.objects.filter(user__username="tuphap.hiepduc", role="reception").exists()


# ---------------------------------------------------------------------------------------------------------------
# officials and roles


def test_list_grant_and_refuse_provincial_roles_at_the_field(demo):
    at("2026-12-01 09:00")
    admin = signed_in("quantri.hiepduc")
    page = admin.get(url(demo))
    assert "Chủ tịch UBND xã Hiệp Đức" in page.text and "tuphap.hiepduc" in page.text
    assert "tuphap.tambinh" not in page.text
    ok = admin.post(url(demo), {"username": "tuphap.hiepduc", "unit": demo["hiepduc"].pk, "role": "reception"})
    assert ok.status_code == 302
    assert Membership.objects.filter(user__username="tuphap.hiepduc", unit=demo["hiepduc"], role="reception").exists()
    assert "Đã phân công" in admin.get(ok.url).text
    refused = admin.post(url(demo), {"username": "tuphap.hiepduc", "unit": demo["hiepduc"].pk, "role": "auditor"})
    assert refused.status_code == 400 and "cấp tỉnh" in field_error(refused, "role")
    assert 'aria-invalid="true"' in refused.text
    unknown = admin.post(url(demo), {"username": "khongco", "unit": demo["hiepduc"].pk, "role": "specialist"})
    assert unknown.status_code == 400 and "khongco" in field_error(unknown, "username")
    other_unit = admin.post(url(demo), {"username": "tuphap.hiepduc", "unit": demo["tambinh"].pk,
                                        "role": "specialist"})
    assert other_unit.status_code == 400 and field_error(other_unit, "unit")  # not a choice: outside the tree
    empty = admin.post(url(demo), {})
    assert empty.status_code == 400 and field_error(empty, "username") and field_error(empty, "role")
    junk = admin.post(url(demo), {"username": "x" * 5000, "unit": "abc", "role": "\x00"})
    assert junk.status_code == 400


def test_add_an_official_shows_the_one_time_link_and_the_official_sets_a_password(demo):
    at("2026-12-01 09:00")
    admin = signed_in("quantri.hiepduc")
    bad = admin.post(url(demo, rest="officials/new/"), {"username": "Có Dấu", "full_name": "", "email": "x@",
                                                        "unit": demo["hiepduc"].pk, "role": "specialist"})
    assert bad.status_code == 400 and field_error(bad, "full_name")
    bad = admin.post(url(demo, rest="officials/new/"), {"username": "Có Dấu", "full_name": "Lê Văn", "email": "",
                                                        "unit": demo["hiepduc"].pk, "role": "specialist"})
    assert bad.status_code == 400 and "tên đăng nhập" in field_error(bad, "username").lower()
    taken = admin.post(url(demo, rest="officials/new/"), {"username": "tuphap.hiepduc", "full_name": "Lê Văn",
                                                          "unit": demo["hiepduc"].pk, "role": "specialist"})
    assert taken.status_code == 400 and "đã có người dùng" in field_error(taken, "username")
    created = admin.post(url(demo, rest="officials/new/"), {
        "username": "vanthu.hiepduc", "full_name": "Lê Thị Văn", "email": "vanthu@hiepduc.gov.vn",
        "unit": demo["hiepduc"].pk, "role": "specialist"})
    assert created.status_code == 200
    official = User.objects.get(username="vanthu.hiepduc")
    assert not official.has_usable_password()
    link = re.search(r'value="(http://testserver/account/set-password/[^"]+)"', created.text).group(1)
    path = link.removeprefix("http://testserver")
    visitor = Client()
    form_page = visitor.get(path, follow=True)
    assert form_page.status_code == 200 and "Lê Thị Văn" in form_page.text
    set_url = form_page.redirect_chain[-1][0]
    weak = visitor.post(set_url, {"new_password1": "123", "new_password2": "123"})
    assert weak.status_code == 200 and "new_password2" in weak.text  # Django's checks, at the field
    done = visitor.post(set_url, {"new_password1": "Hiep-Duc-2026!", "new_password2": "Hiep-Duc-2026!"})
    assert done.status_code == 302 and done.url == "/login/"
    assert User.objects.get(pk=official.pk).check_password("Hiep-Duc-2026!")
    assert "không còn dùng được" in Client().get(path, follow=True).text  # used once
    assert Client().post("/login/", {"username": "vanthu.hiepduc", "password": "Hiep-Duc-2026!"},
                         REMOTE_ADDR="10.9.9.9").status_code == 302


def test_revoke_a_role_and_deactivate_from_the_officials_page(demo):
    at("2026-12-01 09:00")
    admin = signed_in("quantri.hiepduc")
    official = User.objects.get(username="motcua.hiepduc")
    page = admin.get(url(demo, rest=f"officials/{official.pk}/"))
    assert page.status_code == 200 and "Tiếp nhận một cửa" in page.text
    grant = admin.post(url(demo, rest=f"officials/{official.pk}/"),
                       {"action": "grant", "unit": demo["hiepduc"].pk, "role": "specialist"})
    assert grant.status_code == 302
    membership = Membership.objects.get(user=official, role="specialist")
    # someone else's membership id through this official's page: refused, nothing revoked
    foreign = Membership.objects.get(user__username="tuphap.tambinh", role="specialist")
    wrong = admin.post(url(demo, rest=f"officials/{official.pk}/"), {"action": "revoke", "membership": foreign.pk})
    assert wrong.status_code == 400 and Membership.objects.filter(pk=foreign.pk).exists()
    revoked = admin.post(url(demo, rest=f"officials/{official.pk}/"), {"action": "revoke",
                                                                       "membership": membership.pk})
    assert revoked.status_code == 302 and not Membership.objects.filter(pk=membership.pk).exists()
    # deactivate: refused with claimed work (message in the form), then done
    dossier = receive("dang-ky-khai-sinh")
    claim_work_item(item_id=open_step(dossier).pk, actor=Actor(user=user("tuphap.hiepduc")))
    clerk = User.objects.get(username="tuphap.hiepduc")
    refused = admin.post(url(demo, rest=f"officials/{clerk.pk}/"), {"action": "deactivate", "reason": "nghỉ hưu"})
    assert refused.status_code == 400 and "chuyển việc" in refused.text
    assert User.objects.get(pk=clerk.pk).is_active
    long_reason = admin.post(url(demo, rest=f"officials/{official.pk}/"), {"action": "deactivate", "reason": "x" * 301})
    assert long_reason.status_code == 400 and field_error(long_reason, "reason")
    done = admin.post(url(demo, rest=f"officials/{official.pk}/"), {"action": "deactivate", "reason": "chuyển công tác"})
    assert done.status_code == 302 and not User.objects.get(pk=official.pk).is_active
    assert "Đã khóa" in admin.get(url(demo)).text
    assert admin.post(url(demo, rest=f"officials/{official.pk}/"), {"action": "bogus"}).status_code == 400


# ---------------------------------------------------------------------------------------------------------------
# substitutes


def test_appoint_and_revoke_a_substitute_with_errors_at_the_fields(demo):
    at("2026-12-01 09:00")
    admin = signed_in("quantri.hiepduc")
    chairman_signing = Membership.objects.get(user__username="ct.hiepduc", role="signing_leader")
    form = {"action": "appoint", "absent": chairman_signing.pk, "substitute": "tuphap.hiepduc",
            "starts_on": "01/12/2026", "ends_on": "03/12/2026", "reason": "Đi học"}
    for changes, name in [({"starts_on": "30/11/2026"}, "starts_on"), ({"ends_on": "31/11/2026"}, "ends_on"),
                          ({"ends_on": "2026"}, "ends_on"), ({"substitute": "ct.hiepduc"}, "substitute"),
                          ({"substitute": "tuphap.tambinh"}, "substitute"), ({"absent": "999999"}, "absent"),
                          ({"starts_on": ""}, "starts_on")]:
        page = admin.post(url(demo, rest="substitutes/"), {**form, **changes})
        assert page.status_code == 400 and field_error(page, name), changes
    assert not Substitution.objects.exists()
    ok = admin.post(url(demo, rest="substitutes/"), form)
    assert ok.status_code == 302
    substitution = Substitution.objects.get()
    assert substitution.substitute.username == "tuphap.hiepduc" and substitution.role == "signing_leader"
    listed = admin.get(ok.url)
    assert "Đã cử" in listed.text and f'data-testid="substitution-{substitution.pk}"' in listed.text
    clash = admin.post(url(demo, rest="substitutes/"), {**form, "substitute": "motcua.hiepduc"})
    assert clash.status_code == 400 and field_error(clash, "starts_on")
    # the substitute's header now shows the role they stand in for
    assert "Lãnh đạo ký duyệt" in signed_in("tuphap.hiepduc").get("/inbox/").text
    # another commune's admin cannot revoke it, even by id through their own page
    other = Membership.objects.get(user__username="ct.tambinh", role="unit_leader")
    assert other  # Tam Bình's leader
    tambinh = signed_in("ct.tambinh")
    stolen = tambinh.post(url(demo, "tambinh", "substitutes/"), {"action": "revoke", "substitution": substitution.pk})
    assert stolen.status_code == 404 and Substitution.objects.get().revoked_at is None
    # the chairman revokes it himself
    revoked = signed_in("ct.hiepduc").post(url(demo, rest="substitutes/"),
                                           {"action": "revoke", "substitution": substitution.pk})
    assert revoked.status_code == 302 and Substitution.objects.get().revoked_at is not None
    again = admin.post(url(demo, rest="substitutes/"), {"action": "revoke", "substitution": substitution.pk})
    assert again.status_code == 404  # no longer among the current ones


def test_the_step_page_shows_who_signed_for_whom(demo):
    at("2026-12-01 09:00")
    dossier = receive("nhan-cha-me-con")
    first = open_step(dossier)
    complete_work_item(item_id=first.pk, actor=Actor(user=user("tuphap.hiepduc")), data={"needs_verification": False})
    step = open_step(dossier)
    chairman_signing = Membership.objects.get(user__username="ct.hiepduc", role="signing_leader")
    signed_in("quantri.hiepduc").post(url(demo, rest="substitutes/"), {
        "action": "appoint", "absent": chairman_signing.pk, "substitute": "tuphap.hiepduc",
        "starts_on": "01/12/2026", "ends_on": "01/12/2026"})
    deputy = signed_in("tuphap.hiepduc")
    inbox = deputy.get("/inbox/?tab=unclaimed")
    assert f'data-testid="row-{step.pk}"' in inbox.text
    assert deputy.post(f"/steps/{step.pk}/claim/").status_code == 302
    done = deputy.post(f"/steps/{step.pk}/", {"approved": "true"})
    assert done.status_code == 302, done.text[:2000]
    item = WorkItem.objects.get(pk=step.pk)
    assert item.completed_for.username == "ct.hiepduc"
    page = deputy.get(f"/steps/{step.pk}/")
    assert "ký thay Chủ tịch UBND xã Hiệp Đức" in page.text
    at("2026-12-02 08:00")  # the day after: the leader's steps are gone from the deputy's inbox
    assert signed_in("tuphap.hiepduc").get("/inbox/?tab=unclaimed").status_code == 200


# ---------------------------------------------------------------------------------------------------------------
# moving work


def test_move_work_page(demo):
    at("2026-12-01 09:00")
    admin = signed_in("quantri.hiepduc")
    a, b = open_step(receive("dang-ky-khai-sinh")), open_step(receive("chung-thuc-ban-sao"))
    for item in (a, b):
        claim_work_item(item_id=item.pk, actor=Actor(user=user("tuphap.hiepduc")))
    admin.post(url(demo), {"username": "motcua.hiepduc", "unit": demo["hiepduc"].pk, "role": "specialist"})
    page = admin.get(url(demo, rest="work/?official=tuphap.hiepduc"))
    assert page.status_code == 200 and a.dossier.code in page.text and b.dossier.code in page.text
    assert admin.get(url(demo, rest="work/?official=tuphap.tambinh")).status_code == 404
    nothing = admin.post(url(demo, rest="work/"), {"official": "tuphap.hiepduc", "scope": "selected", "to": ""})
    assert nothing.status_code == 400 and field_error(nothing, "items")
    wrong = admin.post(url(demo, rest="work/"), {"official": "tuphap.hiepduc", "scope": "all", "to": "ct.hiepduc"})
    assert wrong.status_code == 400 and "không có vai trò" in field_error(wrong, "to")
    stale = admin.post(url(demo, rest="work/"), {"official": "tuphap.hiepduc", "items": ["99999999"],
                                                 "scope": "selected"})
    assert stale.status_code == 400 and field_error(stale, "items")
    moved = admin.post(url(demo, rest="work/"), {"official": "tuphap.hiepduc", "items": [str(a.pk)],
                                                 "scope": "selected", "to": "motcua.hiepduc", "reason": "nghỉ phép"})
    assert moved.status_code == 302
    assert WorkItem.objects.get(pk=a.pk).claimed_by.username == "motcua.hiepduc"
    assert "Đã chuyển 1 bước" in admin.get(moved.url).text
    released = admin.post(url(demo, rest="work/"), {"official": "tuphap.hiepduc", "scope": "all", "to": ""})
    assert released.status_code == 302 and WorkItem.objects.get(pk=b.pk).claimed_by is None
    assert Event.objects.filter(kind="work_moved").count() == 2
    history = signed_in("motcua.hiepduc").get(f"/steps/{a.pk}/").text
    assert "Chuyển việc" in history and "tuphap.hiepduc → motcua.hiepduc" in history


# ---------------------------------------------------------------------------------------------------------------
# office hours and calendar


@pytest.mark.parametrize("rows, name", [
    ({"period_1_start": "7:30", "period_1_end": "11:30"}, "period_1"),
    ({"period_1_start": "13:00", "period_1_end": "11:30"}, "period_1"),
    ({"period_1_start": "07:30", "period_1_end": "11:30", "period_2_start": "11:00", "period_2_end": "17:00"},
     "period_2"),
    ({"period_1_start": "07:30", "period_1_end": ""}, "period_1"),
    ({"period_1_start": "25:00", "period_1_end": "26:00"}, "period_1"),
])
def test_office_hours_errors_at_the_row(demo, rows, name):
    at("2026-12-01 09:00")
    page = signed_in("quantri.hiepduc").post(url(demo, rest="calendar/"), {"action": "hours", **rows})
    assert page.status_code == 400 and field_error(page, name)
    assert 'aria-invalid="true"' in page.text


def test_office_hours_and_overrides_pages(demo):
    at("2026-12-01 09:00")
    admin = signed_in("quantri.hiepduc")
    page = admin.get(url(demo, rest="calendar/"))
    assert "chỉ áp dụng cho việc tính hạn của các bước và hồ sơ mới" in page.text
    assert "07:30–11:30, 13:00–17:00" in page.text
    nothing = admin.post(url(demo, rest="calendar/"), {"action": "hours"})
    assert nothing.status_code == 400  # no period and not the default: said in the form
    saved = admin.post(url(demo, rest="calendar/"), {"action": "hours", "period_1_start": "07:00",
                                                     "period_1_end": "11:00", "period_2_start": "13:30",
                                                     "period_2_end": "17:00"})
    assert saved.status_code == 302
    assert "07:00–11:00, 13:30–17:00" in admin.get(saved.url).text
    both = admin.post(url(demo, rest="calendar/"), {"action": "hours", "use_default": "on",
                                                    "period_1_start": "07:00", "period_1_end": "11:00"})
    assert both.status_code == 400 and field_error(both, "use_default")
    reset = admin.post(url(demo, rest="calendar/"), {"action": "hours", "use_default": "on"})
    assert reset.status_code == 302 and type(demo["hiepduc"]).objects.get(pk=demo["hiepduc"].pk).office_hours == []
    for data, name in [({"date": "31/02/2026", "kind": "off", "reason": "x"}, "date"),
                       ({"date": "30/11/2026", "kind": "off", "reason": "x"}, "date"),
                       ({"date": "04/12/2026", "kind": "maybe", "reason": "x"}, "kind"),
                       ({"date": "04/12/2026", "kind": "off", "reason": ""}, "reason")]:
        bad = admin.post(url(demo, rest="calendar/"), {"action": "add_day", **data})
        assert bad.status_code == 400 and field_error(bad, name), data
    added = admin.post(url(demo, rest="calendar/"), {"action": "add_day", "date": "04/12/2026", "kind": "off",
                                                     "reason": "Bầu cử bổ sung"})
    assert added.status_code == 302
    assert 'data-testid="override-2026-12-04"' in admin.get(added.url).text
    assert CalendarOverride.objects.filter(unit=demo["hiepduc"], is_working_day=False).count() == 1
    removed = admin.post(url(demo, rest="calendar/"), {"action": "remove_day", "date": "04/12/2026"})
    assert removed.status_code == 302 and not CalendarOverride.objects.filter(unit=demo["hiepduc"]).exists()
    missing = admin.post(url(demo, rest="calendar/"), {"action": "remove_day", "date": "04/12/2026"})
    assert missing.status_code == 400
    assert admin.post(url(demo, rest="calendar/"), {"action": "remove_day", "date": "junk"}).status_code == 400


def test_the_admin_pages_in_english(demo):
    from django.conf import settings

    at("2026-12-01 09:00")
    admin = signed_in("quantri.hiepduc")
    admin.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Appoint a substitute" in admin.get(url(demo, rest="substitutes/")).text
    page = admin.get(url(demo, rest="calendar/"))
    assert "apply only to the due times of new steps and dossiers" in page.text
    assert "Officials and roles" in admin.get(url(demo)).text
