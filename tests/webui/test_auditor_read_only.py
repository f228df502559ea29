"""An auditor changes nothing (issue 6): every URL of the site and the API — enumerated from the URL resolver, so a new
route is checked the day it is added — answers the auditor's POST, PUT, PATCH and DELETE with 403 (or 405 where the
route takes no such method), with real objects behind each id, and nothing in the database changes; signing out and
switching language (and the other personal settings listed in ALLOWED) stay allowed."""
import re

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from processes.models import DialogueMeeting, Dossier, Event, FeePayment, IntakeNotice, ProcessDraft, WorkItem
from processes.services import reception, studio
from processes.services.events import Actor

from .helpers import APPLICANT, HIEPDUC, receive, user

# Routes an auditor may use to change their own session or identity, not the data.
ALLOWED = {
    "logout/": "signing out",
    "i18n/setlang/": "switching language",
    "unit/": "choosing which of one's own units the pages show",
    "login/": "signing in",
    "api/v1/auth/token/": "obtaining one's own API token",
    "api/v1/^notifications/(?P<pk>\\d{1,18})/read/$": "marking one's own notification read",
    # the set-password link works for whoever holds its token (checked by the token, not the session)
    "account/set-password/<uidb64>/<token>/": "token-checked, not session",
}
METHODS = ("post", "put", "patch", "delete")


def routes():
    def walk(resolver, prefix=""):
        for pattern in resolver.url_patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if route == "admin/":
                    continue  # Django's admin: staff only (checked below)
                yield from walk(pattern, route)
            elif "(?P<format>" not in route and "<drf_format_suffix:format>" not in route:
                yield route

    return sorted(set(walk(get_resolver())))


@pytest.fixture
def objects(demo):
    dossier = receive("nhan-cha-me-con")
    item = dossier.work_items.get(status="open")
    desk = Actor(user=user("motcua.hiepduc"), client_address="127.0.0.1")
    fee = reception.record_fee(code=dossier.code, amount=8000, description="Lệ phí", status="waiting", actor=desk)
    notice = reception.issue_incomplete_notice(unit_code=HIEPDUC, procedure_code="nhan-cha-me-con",
                                               applicant=APPLICANT, channel=1,
                                               items=[{"name": "Tờ khai", "reason": "thiếu chữ ký"}], actor=desk)
    draft = studio.create_draft(actor=Actor(user=user("thietke")), procedure_code="nhan-cha-me-con")
    from processes.services import dialogue

    meeting = dialogue.record_meeting(Actor(user=user("ct.hiepduc")), HIEPDUC, "02/11/2026", "Chủ tịch UBND xã", 40)
    return {"dossier": dossier, "item": item, "fee": fee, "notice": notice, "draft": draft, "meeting": meeting}


def values(route, objects):
    """Each parameter of a route, filled with a real object of the right kind."""
    dossier, item = objects["dossier"], objects["item"]
    procedure_code = dossier.procedure.code
    by_name = {
        "item_id": item.pk, "draft_id": objects["draft"].pk, "notice_id": objects["notice"].pk,
        "fee_id": objects["fee"].pk, "attachment_id": 1, "submission_id": 1, "unit_id": dossier.receiving_unit_id,
        "user_id": user("tuphap.hiepduc").pk, "meeting_id": objects["meeting"].pk, "number": 1, "form_number": "01", "action": "deploy", "username": "tuphap.hiepduc",
        "procedure_code": procedure_code,
    }
    url = route
    for name in re.findall(r"\(\?P<(\w+)>[^)]*\)", url):  # the API router's regular expressions
        if name == "pk":
            value = objects["draft"].pk if "drafts" in url else item.pk
        else:
            value = procedure_code if "procedures" in url else dossier.code
        url = re.sub(rf"\(\?P<{name}>[^)]*\)", str(value), url, count=1)
    for name in re.findall(r"<(?:\w+:)?(\w+)>", url):  # path() converters
        value = by_name.get(name)
        if name == "code":
            value = procedure_code if ("procedures" in route or "studio" in route) else dossier.code
        url = re.sub(rf"<(?:\w+:)?{name}>", str(value), url)
    return "/" + url.replace("^", "").replace("$", "")


def state():
    return (Event.objects.exclude(stream="sign-in").count(), list(Dossier.objects.values_list("pk", "revision", "status")),
            list(WorkItem.objects.values_list("pk", "status", "claimed_by")), ProcessDraft.objects.count(),
            list(ProcessDraft.objects.values_list("pk", "status", "revision")), FeePayment.objects.count(),
            list(FeePayment.objects.values_list("pk", "status")), IntakeNotice.objects.count(),
            DialogueMeeting.objects.count())


def test_an_auditor_gets_403_on_every_state_changing_endpoint_and_nothing_changes(objects):
    site, api = Client(), APIClient()
    auditor = user("thanhtra")
    site.force_login(auditor)
    token, _ = Token.objects.get_or_create(user=auditor)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")  # as a client of the API would (not the session)
    before = state()
    checked, wrong = 0, []
    for route in routes():
        if route in ALLOWED:
            continue
        url = values(route, objects)
        client = api if route.startswith("api/") else site
        for method in METHODS:
            response = getattr(client, method)(url, {}, format="json") if client is api else getattr(client, method)(url)
            checked += 1
            if response.status_code not in (403, 405):
                wrong.append((method.upper(), url, response.status_code))
    assert wrong == [], "\n".join(map(str, wrong))
    assert checked > 300
    assert state() == before


def test_the_allowed_ones_are_still_allowed_and_the_admin_site_is_closed(objects):
    site = Client()
    site.force_login(user("thanhtra"))
    response = site.post("/i18n/setlang/", {"language": "en", "next": "/audit/"})
    assert response.status_code == 302, response.content.decode()[:800]
    assert site.post("/admin/processes/membership/add/", {"role": "auditor"}).status_code == 403
    admin = site.get("/admin/processes/membership/add/")
    assert admin.status_code == 302 and "/admin/login/" in admin["Location"]  # not staff
    before = state()
    assert site.post("/logout/").status_code == 302
    assert state() == before
    assert site.get("/audit/").status_code == 302  # signed out
