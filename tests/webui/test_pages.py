"""The officials' pages through Django's test client: sign-in and lockouts, the current unit, the inbox's tabs,
counts, filters and actions, the step page and its form, expired sessions in htmx requests, the language switch."""
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from processes.models import AdministrativeUnit, Dossier, Membership, WorkItem

from ..processes.helpers import at
from .helpers import HIEPDUC, TAMBINH, open_step, receive, signed_in, user

HX = {"HTTP_HX_REQUEST": "true"}


def login(client, username, password, address="10.0.0.1", next_url=""):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post("/login/", data, REMOTE_ADDR=address)


# ---------------------------------------------------------------------------------------------------------------
# sign-in


def test_root_leads_to_sign_in_then_to_the_inbox(demo):
    client = Client()
    assert client.get("/").url == "/login/"
    page = client.get("/login/")
    assert page.status_code == 200 and "Tên đăng nhập" in page.text and 'href="/api/docs/"' in page.text
    response = login(client, "tuphap.hiepduc", "pw")
    assert response.status_code == 302 and response.url == "/inbox/"
    assert client.get("/").url == "/inbox/"
    inbox = client.get("/inbox/")
    assert "UBND xã Hiệp Đức" in inbox.text and "Chuyên viên" in inbox.text  # unit and roles in the header
    assert client.post("/logout/").status_code == 302
    assert client.get("/inbox/").url == "/login/?next=/inbox/"


def test_wrong_passwords_lock_the_username_from_that_address_only(demo):
    attacker = Client()
    for _ in range(4):
        page = login(attacker, "ct.hiepduc", "wrong", address="10.0.0.66")
        assert page.status_code == 200 and "không đúng" in page.text
    page = login(attacker, "ct.hiepduc", "wrong", address="10.0.0.66")
    assert page.status_code == 429 and "bị tạm khóa" in page.text
    assert 'value="ct.hiepduc"' in page.text  # the username stays in the form
    assert login(Client(), "ct.hiepduc", "pw", address="10.0.0.66").status_code == 429  # even the right password
    # another username from the same address, and the same username from the colleague's own machine, sign in
    assert login(Client(), "tuphap.hiepduc", "pw", address="10.0.0.66").url == "/inbox/"
    assert login(Client(), "ct.hiepduc", "pw", address="10.0.0.7").url == "/inbox/"


def test_sign_in_returns_to_the_page_asked_for_and_refuses_foreign_next(demo):
    assert login(Client(), "tuphap.hiepduc", "pw", next_url="/inbox/?tab=overdue").url == "/inbox/?tab=overdue"
    assert login(Client(), "tuphap.hiepduc", "pw", next_url="https://evil.example/").url == "/inbox/"


def test_an_expired_session_answers_htmx_with_hx_redirect_to_the_page_in_the_address_bar(demo):
    client = signed_in("tuphap.hiepduc")
    assert client.get("/inbox/", **HX).status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/inbox/?tab=overdue", HTTP_HX_CURRENT_URL="http://testserver/inbox/?tab=due_soon", **HX)
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/login/?next=" + quote("/inbox/?tab=due_soon", safe="/")
    # an action too (the CSRF cookie outlives the session)
    item = open_step(receive("nhan-cha-me-con"))
    response = client.post(f"/steps/{item.pk}/claim/", HTTP_HX_CURRENT_URL="http://testserver/inbox/", **HX)
    assert response.status_code == 204 and response["HX-Redirect"] == "/login/?next=/inbox/"
    assert WorkItem.objects.get(pk=item.pk).claimed_by is None
    # a foreign HX-Current-URL is not a place to go back to
    response = client.get("/inbox/", HTTP_HX_CURRENT_URL="https://evil.example/x", **HX)
    assert response["HX-Redirect"] == "/login/?next=/inbox/"
    # a plain page: 302 with next
    assert client.get("/inbox/?tab=mine").url == "/login/?next=" + quote("/inbox/?tab=mine", safe="/")


def test_an_official_of_several_units_switches_and_the_choice_stays_in_the_session(demo):
    official = user("tuphap.hiepduc")
    tambinh = AdministrativeUnit.objects.get(code=TAMBINH)
    Membership.objects.create(user=official, unit=tambinh, role="signing_leader")
    at("2026-12-01 09:00")
    receive("nhan-cha-me-con")  # a specialist's step at Hiệp Đức
    client = signed_in("tuphap.hiepduc")
    page = client.get("/inbox/?tab=unclaimed")
    assert 'id="unit-select"' in page.text and page.context["unit"].code == HIEPDUC
    assert page.context["tabs"][1]["count"] == 1
    response = client.post("/unit/", {"unit": tambinh.pk, "next": "/inbox/?tab=unclaimed"})
    assert response.url == "/inbox/?tab=unclaimed"
    page = client.get("/inbox/?tab=unclaimed")
    assert page.context["unit"] == tambinh and page.context["my_roles"] == ["Lãnh đạo ký duyệt"]
    assert page.context["tabs"][1]["count"] == 0
    # a unit one does not belong to is refused
    other = AdministrativeUnit.objects.get(code="001.00.16.H57")
    client.post("/unit/", {"unit": other.pk})
    assert client.get("/inbox/").context["unit"] == tambinh


# ---------------------------------------------------------------------------------------------------------------
# inbox


def test_tabs_count_mine_unclaimed_due_soon_and_overdue(demo):
    at("2026-12-01 08:00")  # Tuesday
    late = receive("dang-ky-khai-sinh")  # same day: due 01/12 17:00
    at("2026-12-02 09:00")
    soon = receive("chung-thuc-ban-sao")  # same day: due 02/12 17:00
    later = receive("nhan-cha-me-con")  # 3 working days; its first step has 2
    Dossier.objects.filter(pk=later.pk).update(reappointments=1, flags=["late_without_explanation"])
    client = signed_in("tuphap.hiepduc")
    client.post(f"/steps/{open_step(later).pk}/claim/")
    page = client.get("/inbox/?tab=unclaimed")
    counts = {t["name"]: t["count"] for t in page.context["tabs"]}
    assert counts == {"mine": 1, "unclaimed": 2, "due_soon": 1, "overdue": 1}
    assert [r["item"].dossier.code for r in page.context["rows"]] == [late.code, soon.code]  # by due time
    mine = client.get("/inbox/").text
    assert later.code in mine and "Hẹn lại 1 lần" in mine and "Trễ hạn chưa giải trình" in mine
    overdue = client.get("/inbox/?tab=overdue")
    assert [r["item"].dossier.code for r in overdue.context["rows"]] == [late.code]
    assert "Quá hạn" in overdue.text and "01/12/2026 17:00" in overdue.text
    due_soon = client.get("/inbox/?tab=due_soon")
    assert [r["item"].dossier.code for r in due_soon.context["rows"]] == [soon.code]
    assert "Sắp đến hạn" in due_soon.text
    # the one-stop desk has none of these steps
    assert [t["count"] for t in signed_in("motcua.hiepduc").get("/inbox/").context["tabs"]] == [0, 0, 0, 0]


def test_filters_sort_and_pagination(demo):
    at("2026-12-02 09:00")
    codes = [receive("chung-thuc-ban-sao", channel=2 if i % 2 else 1).code for i in range(23)]
    receive("nhan-cha-me-con")
    client = signed_in("tuphap.hiepduc")
    page = client.get("/inbox/?tab=unclaimed")
    assert page.context["page"].paginator.count == 24 and len(page.context["rows"]) == 20
    assert len(client.get("/inbox/?tab=unclaimed&page=2").context["rows"]) == 4
    online = client.get("/inbox/?tab=unclaimed&channel=2&procedure=chung-thuc-ban-sao")
    assert online.context["page"].paginator.count == 11
    assert client.get("/inbox/?tab=unclaimed&field=ho-tich").context["page"].paginator.count == 1
    newest = client.get("/inbox/?tab=unclaimed&sort=-received&procedure=chung-thuc-ban-sao").context["rows"][0]
    assert newest["item"].dossier.code == codes[-1]
    assert client.get(f"/inbox/?tab=unclaimed&q={codes[3]}").context["page"].paginator.count == 1
    # bad values are ignored, not a 500
    assert client.get("/inbox/?tab=nope&channel=x&page=-3&sort=evil").status_code == 200
    # htmx asks for the fragment only
    fragment = client.get("/inbox/?tab=unclaimed", **HX)
    assert fragment.text.lstrip().startswith('<section id="inbox"') and "<html" not in fragment.text
    assert "HX-Request" in fragment["Vary"]


def test_claim_unclaim_with_htmx_and_a_leader_reassigns(demo):
    at("2026-12-02 09:00")
    item = open_step(receive("nhan-cha-me-con"))
    specialist = signed_in("tuphap.hiepduc")
    response = specialist.post(f"/steps/{item.pk}/claim/", **HX)
    assert response.status_code == 204 and response["HX-Trigger"] == "inbox-changed"
    page = specialist.get("/inbox/", **HX)
    assert "Đã nhận xử lý bước" in page.text and page.context["tabs"][0]["count"] == 1
    assert specialist.post(f"/steps/{item.pk}/unclaim/", **HX).status_code == 204
    assert WorkItem.objects.get(pk=item.pk).claimed_by is None
    # without htmx: back to the page named in next
    assert specialist.post(f"/steps/{item.pk}/claim/", {"next": "/inbox/?tab=mine"}).url == "/inbox/?tab=mine"

    leader = signed_in("ct.hiepduc")
    page = leader.get("/inbox/?tab=unclaimed")
    assert page.context["box"].is_leader
    assert item.pk not in [r["item"].pk for r in page.context["rows"]]  # claimed: not unclaimed
    # the leader sees the specialist's step (not a role of his) among the unit's open steps, and may unclaim it
    specialist.post(f"/steps/{item.pk}/unclaim/", **HX)
    row = next(r for r in leader.get("/inbox/?tab=unclaimed").context["rows"] if r["item"].pk == item.pk)
    assert not row["can_claim"] and [u.username for u in row["candidates"]] == ["tuphap.hiepduc"]
    specialist.post(f"/steps/{item.pk}/claim/", **HX)
    Membership.objects.create(user=user("motcua.hiepduc"), unit=item.unit, role="specialist")
    leader.post(f"/steps/{item.pk}/reassign/", {"to": "motcua.hiepduc"}, **HX)
    assert WorkItem.objects.get(pk=item.pk).claimed_by.username == "motcua.hiepduc"
    # someone without the role cannot be given the step; the service's message is shown
    leader.post(f"/steps/{item.pk}/reassign/", {"to": "tuphap.tambinh"}, **HX)
    assert "không có vai trò" in leader.get("/inbox/", **HX).text
    assert WorkItem.objects.get(pk=item.pk).claimed_by.username == "motcua.hiepduc"
    # the specialist may not reassign; actions need POST
    specialist.post(f"/steps/{item.pk}/reassign/", {"to": "tuphap.hiepduc"}, **HX)
    assert WorkItem.objects.get(pk=item.pk).claimed_by.username == "motcua.hiepduc"
    assert specialist.get(f"/steps/{item.pk}/claim/").status_code == 405


# ---------------------------------------------------------------------------------------------------------------
# step page


def test_step_page_shows_the_dossier_and_its_form_and_completes_through_the_service(demo):
    at("2026-12-02 09:00")
    dossier = receive("nhan-cha-me-con")
    item = open_step(dossier)
    client = signed_in("tuphap.hiepduc")
    page = client.get(f"/steps/{item.pk}/")
    text = page.text
    assert page.status_code == 200
    for expected in (dossier.code, "Đăng ký nhận cha, mẹ, con", "Nguyễn Văn An", "082090001234",
                     "02/12/2026 09:00", "07/12/2026 09:00", "Tiếp nhận hồ sơ", "Cần xác minh quan hệ cha, mẹ, con?"):
        assert expected in text, expected
    assert 'type="radio" name="needs_verification" id="sf-needs_verification-0" value="true"' in text  # the schema's
    # nothing chosen: the service's message at the field
    page = client.post(f"/steps/{item.pk}/", {})
    assert page.status_code == 400
    assert 'id="err-needs_verification"' in page.text and "Hãy chọn một phương án." in page.text
    assert 'aria-invalid="true"' in page.text
    assert WorkItem.objects.get(pk=item.pk).status == "open"
    response = client.post(f"/steps/{item.pk}/", {"needs_verification": "false"})
    assert response.status_code == 302 and response.url == "/inbox/"
    done = WorkItem.objects.get(pk=item.pk)
    assert done.status == "completed" and done.completed_by.username == "tuphap.hiepduc"
    assert Dossier.objects.get(pk=dossier.pk).data["needs_verification"] is False
    # completing again: a Conflict, shown as a message; the completed step is read-only
    page = client.get(f"/steps/{item.pk}/")
    assert "Hoàn thành bước</button>" not in page.text and "Đã hoàn thành" in page.text
    assert "Kiểm tra hồ sơ · Cần xác minh quan hệ cha, mẹ, con? Không" in page.text  # the history, in words
    response = client.post(f"/steps/{item.pk}/", {"needs_verification": "false"})
    assert response.status_code == 302
    assert "không còn chờ xử lý" in client.get(response.url).text  # the service's Conflict
    # the chairman sees the next step
    chairman = signed_in("ct.hiepduc").get("/inbox/?tab=unclaimed")
    assert [r["item"].bpmn_id for r in chairman.context["rows"]] == [open_step(dossier).bpmn_id]


def test_a_step_claimed_by_a_colleague_is_read_only_and_a_stale_form_gets_the_conflict(demo):
    at("2026-12-02 09:00")
    item = open_step(receive("nhan-cha-me-con"))
    Membership.objects.create(user=user("motcua.hiepduc"), unit=item.unit, role="specialist")
    first, second = signed_in("tuphap.hiepduc"), signed_in("motcua.hiepduc")
    first.post(f"/steps/{item.pk}/claim/")
    page = second.get(f"/steps/{item.pk}/")
    assert "đang do" in page.text and 'name="needs_verification"' not in page.text
    response = second.post(f"/steps/{item.pk}/", {"needs_verification": "true"})
    assert response.status_code == 302 and WorkItem.objects.get(pk=item.pk).status == "open"
    assert "bước đang do" in second.get(response.url).text  # the service's Conflict, as a message
    # an official of the dossier's unit without the step's role may read the step but not complete it
    desk = signed_in("motcua.hiepduc")
    Membership.objects.filter(user__username="motcua.hiepduc", role="specialist").delete()
    assert 'name="needs_verification"' not in desk.get(f"/steps/{item.pk}/").text
    response = desk.post(f"/steps/{item.pk}/", {"needs_verification": "true"})
    assert "không thể hoàn thành" in desk.get(response.url).text


def test_a_statutory_clock_item_shows_no_step_form_and_is_labelled_in_the_inbox(demo):
    at("2026-12-02 09:00")
    dossier = receive("nhan-cha-me-con")
    step = open_step(dossier)
    item = WorkItem.objects.create(
        kind="explain_delay", dossier=dossier, engine_task_id="explain-1", bpmn_id="explain_delay",
        name="Giải trình chậm trễ", lane="", role="unit_leader", unit=step.unit, given_at=step.given_at)
    chairman = signed_in("ct.hiepduc")
    page = chairman.get(f"/steps/{item.pk}/")
    assert 'data-testid="clock-item"' in page.text and "Hoàn thành bước</button>" not in page.text
    assert chairman.post(f"/steps/{item.pk}/", {}).status_code == 302
    assert WorkItem.objects.get(pk=item.pk).status == "open"
    assert 'class="badge badge-clock"' in chairman.get("/inbox/?tab=unclaimed").text


def test_another_communes_official_gets_404_on_the_step_and_its_actions(demo):
    at("2026-12-02 09:00")
    item = open_step(receive("nhan-cha-me-con"))
    stranger = signed_in("tuphap.tambinh")
    assert stranger.get(f"/steps/{item.pk}/").status_code == 404
    assert stranger.post(f"/steps/{item.pk}/", {"needs_verification": "yes"}).status_code == 404
    assert stranger.post(f"/steps/{item.pk}/claim/").status_code == 404
    assert stranger.get("/steps/999999999999999999/").status_code == 404
    assert stranger.get("/steps/9999999999999999999999/").status_code == 404
    assert WorkItem.objects.get(pk=item.pk).claimed_by is None


@pytest.mark.parametrize("path", ["/inbox/", "/login/"])
def test_language_switch_to_english_and_back(demo, path):
    client = signed_in("tuphap.hiepduc") if path == "/inbox/" else Client()
    # Vietnamese first: an English browser still gets Vietnamese pages until the official switches
    assert '<html lang="vi">' in client.get(path, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").text
    response = client.post("/i18n/setlang/", {"language": "en", "next": path})
    assert response.url == path
    page = client.get(path)
    assert '<html lang="en">' in page.text
    assert ("Inbox" if path == "/inbox/" else "Sign in") in page.text
    client.post("/i18n/setlang/", {"language": "vi", "next": path})
    assert '<html lang="vi">' in client.get(path).text
