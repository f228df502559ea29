"""Driving dossiers through the REST API as the officials the lanes route to."""
from datetime import datetime

from engine import clock
from engine.calendar import VN_TZ
from processes.models import Membership


def vn(text):
    """'YYYY-MM-DD HH:MM' in Asia/Ho_Chi_Minh."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=VN_TZ)


def at(text):
    """A FixedClock set to 'YYYY-MM-DD HH:MM' in Asia/Ho_Chi_Minh, installed as the engine clock."""
    fixed = clock.FixedClock(vn(text))
    clock.set_clock(fixed)
    return fixed


def official_for(unit_code, role):
    membership = Membership.objects.filter(unit__code=unit_code, role=role).select_related("user").first()
    assert membership is not None, f"no {role} at {unit_code}"
    return membership.user.username


def receive(api, procedure, unit_code, data=None, applicant=None):
    desk = official_for(unit_code, "reception")
    response = api(desk).post(
        "/api/v1/dossiers/",
        {
            "procedure": procedure,
            "receiving_unit": unit_code,
            "applicant": applicant or {"full_name": "Nguyễn Văn A", "id_number": "082090001234", "phone": "0912345678"},
            "channel": 1,
            "data": data or {},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def run_to_end(api, code, answers, max_steps=20):
    """Completes every open step as the official its lane routes to; answers maps field -> value. Returns the list of
    (step id, lane, unit code) taken."""
    taken = []
    for _ in range(max_steps):
        dossier = api_get_dossier(api, code)
        steps = [step for step in dossier["open_steps"] if step["kind"] == "step"]
        if not steps:
            return dossier, taken
        step = steps[0]
        username = official_for(step["unit"], step["role"])
        client = api(username)
        claimed = client.post(f"/api/v1/tasks/{step['id']}/claim/")
        assert claimed.status_code == 200, claimed.content
        data = {name: answers[name] for name in step["required_fields"]}
        done = client.post(f"/api/v1/tasks/{step['id']}/complete/", {"data": data}, format="json")
        assert done.status_code == 200, done.content
        taken.append((step["bpmn_id"], step["lane"], step["unit"]))
    raise AssertionError("the dossier did not finish")


def api_get_dossier(api, code):
    auditor = official_for("000.00.00.H57", "auditor")
    response = api(auditor).get(f"/api/v1/dossiers/{code}/")
    assert response.status_code == 200, response.content
    return response.json()


def actor(username):
    """The official as a service caller (processes.services.events.Actor)."""
    from django.contrib.auth import get_user_model

    from processes.services.events import Actor

    return Actor(user=get_user_model().objects.get(username=username), client_address="127.0.0.1")


def step(dossier_or_code, bpmn_id, data=None):
    """Claims and completes the open step `bpmn_id` of the dossier (or dossier code) through the services, as the
    official its lane routes to; returns the dossier as it is then."""
    from processes.models import Dossier, WorkItem
    from processes.services import dossiers as dossier_services

    code = getattr(dossier_or_code, "code", dossier_or_code)
    item = WorkItem.objects.select_related("unit").get(dossier__code=code, bpmn_id=bpmn_id, kind="step", status="open")
    who = actor(official_for(item.unit.code, item.role))
    dossier_services.claim_work_item(item_id=item.pk, actor=who)
    dossier_services.complete_work_item(item_id=item.pk, actor=who, data=data or {})
    return Dossier.objects.get(code=code)
