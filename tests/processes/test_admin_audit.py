"""The platform operators' admin site writes to the services' tables; every addition, change and deletion it makes is
an event of the "platform" stream with who, from where and the values before and after (issue 6), chained like the
rest. And every kind of event the code writes has a label on the auditors' pages."""
import re
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from processes.models import CalendarOverride, Event, Membership
from processes.services.audit import verify_chains
from webui.labels import EVENTS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def operator(demo):
    user = get_user_model().objects.create_superuser("vanhanh", "vanhanh@example.org", "pw")
    client = Client(REMOTE_ADDR="10.1.2.3")
    client.force_login(user)
    return client


def platform_events(kind):
    return list(Event.objects.filter(stream="platform", kind=kind).order_by("id"))


def test_a_role_changed_on_the_admin_site_is_logged_with_before_and_after(operator):
    membership = Membership.objects.filter(role="specialist").select_related("user", "unit").first()
    response = operator.post(f"/admin/processes/membership/{membership.pk}/change/",
                             {"user": membership.user_id, "unit": membership.unit_id, "role": "signing_leader"})
    assert response.status_code == 302, response.content.decode()[:500]
    membership.refresh_from_db()
    assert membership.role == "signing_leader"
    [event] = platform_events("admin_changed")
    assert event.actor.username == "vanhanh" and event.client_address == "10.1.2.3"
    assert event.data_before["values"]["role"] == "specialist"
    assert event.data_after["values"]["role"] == "signing_leader"
    assert event.data_after["model"] == "processes.Membership" and event.data_after["object_id"] == str(membership.pk)
    assert "Role" in event.data_after["message"] or "role" in event.data_after["message"].lower()
    assert verify_chains(stream="platform") == []


def test_calendar_overrides_added_and_deleted_on_the_admin_site_are_logged(operator):
    response = operator.post("/admin/processes/calendaroverride/add/",
                             {"date": "2027-01-02", "is_working_day": "on", "reason": "Làm bù"})
    assert response.status_code == 302, response.content.decode()[:500]
    override = CalendarOverride.objects.get(date=date(2027, 1, 2), unit=None)
    [added] = platform_events("admin_added")
    assert added.data_before is None and added.data_after["values"]["is_working_day"] == "True"
    assert added.data_after["values"]["reason"] == "Làm bù"
    response = operator.post("/admin/processes/calendaroverride/", {
        "action": "delete_selected", "_selected_action": [override.pk], "post": "yes"})
    assert response.status_code == 302
    assert not CalendarOverride.objects.filter(pk=override.pk).exists()
    [deleted] = platform_events("admin_deleted")
    assert deleted.data_before["values"]["date"] == "2027-01-02" and deleted.actor.username == "vanhanh"
    assert verify_chains(stream="platform") == []


def test_making_an_official_superuser_is_logged_and_the_password_never_is(operator):
    official = get_user_model().objects.get(username="tuphap.hiepduc")
    page = operator.get(f"/admin/auth/user/{official.pk}/change/")
    assert page.status_code == 200
    data = {"username": official.username, "first_name": official.first_name, "last_name": official.last_name,
            "email": official.email, "is_active": "on", "is_staff": "on", "is_superuser": "on",
            "last_login_0": "", "last_login_1": "", "date_joined_0": "01/01/2026", "date_joined_1": "08:00:00",
            "password": official.password}
    response = operator.post(f"/admin/auth/user/{official.pk}/change/", data)
    assert response.status_code == 302, re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.content.decode())
    [event] = platform_events("admin_changed")
    assert event.data_before["values"]["is_superuser"] == "False"
    assert event.data_after["values"]["is_superuser"] == "True"
    assert event.data_after["values"]["password"] == "(set)"
    assert official.password not in str(event.data_before) + str(event.data_after)


def test_every_kind_of_event_the_code_writes_has_a_label():
    source = "\n".join(p.read_text() for p in (ROOT / "processes").rglob("*.py"))
    kinds = set(re.findall(r'record_event\(\s*"([a-z_]+)"', source))
    kinds |= set(re.findall(r'record_event\(\s*\n\s*"([a-z_]+)"', source))
    kinds |= {f"admin_{k}" for k in ("added", "changed", "deleted")}
    assert len(kinds) > 50
    assert sorted(kinds - set(EVENTS)) == []
