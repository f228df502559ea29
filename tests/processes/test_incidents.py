"""Incidents: a timer that exhausts its attempts, a stuck dossier; administrators retry or resolve with a reason."""
from datetime import timedelta

from processes.models import Incident, Timer, WorkItem
from processes.services import timers
from processes.services.incidents import detect_stuck_dossiers

from .helpers import at, receive

HIEPDUC = "003.00.16.H57"


def test_a_timer_that_keeps_failing_becomes_an_incident_that_an_admin_retries(demo, api, monkeypatch, settings):
    settings.MOTCUA_TIMER_MAX_ATTEMPTS = 3
    clock = at("2026-12-01 09:00")
    code = receive(api, "dang-ky-khai-sinh", HIEPDUC)["code"]
    timer = Timer.objects.filter(dossier__code=code, kind="statutory_due").get()
    real_handler = timers.HANDLERS[timer.kind]
    calls = []

    def failing(dossier, t, now):
        calls.append(t.pk)
        raise RuntimeError("simulated failure of the handler")

    monkeypatch.setitem(timers.HANDLERS, timer.kind, failing)
    clock.set(timer.due_at + timedelta(minutes=1))
    for _ in range(6):
        timers.sweep_inline()
        clock.advance(timedelta(seconds=timers.lease_seconds() + 1))  # the lease runs out; the next sweep re-claims
    timer.refresh_from_db()
    assert timer.status == "incident" and "simulated failure" in timer.last_error
    assert calls.count(timer.pk) == 3  # max_attempts, then no more
    incident = Incident.objects.get(timer=timer)
    assert incident.kind == "timer_exhausted" and incident.resolved_at is None

    listed = api("quantri").get("/api/v1/incidents/?open=1").json()["results"]
    assert [i["id"] for i in listed] == [incident.pk]
    assert api("tuphap.hiepduc").get("/api/v1/incidents/").json()["results"] == []
    assert api("tuphap.hiepduc").post(f"/api/v1/incidents/{incident.pk}/retry/", {"reason": "x"},
                                      format="json").status_code == 404
    no_reason = api("quantri").post(f"/api/v1/incidents/{incident.pk}/retry/", {"reason": ""}, format="json")
    assert no_reason.status_code == 400 and no_reason.json()["field"] == "reason"

    monkeypatch.setitem(timers.HANDLERS, timer.kind, real_handler)
    retried = api("quantri").post(f"/api/v1/incidents/{incident.pk}/retry/", {"reason": "đã sửa lỗi cấu hình"},
                                  format="json")
    assert retried.status_code == 200 and retried.json()["resolution"] == "retried"
    timers.sweep_inline()
    timer.refresh_from_db()
    assert timer.status == "fired"
    again = api("quantri").post(f"/api/v1/incidents/{incident.pk}/resolve/", {"reason": "x"}, format="json")
    assert again.status_code == 409


def test_a_stuck_dossier_becomes_one_incident_and_is_resolved_with_a_reason(demo, api):
    at("2026-12-01 09:00")
    code = receive(api, "dang-ky-khai-sinh", HIEPDUC)["code"]
    assert detect_stuck_dossiers() == []
    # Simulate the damage an operator could do outside the services: no open work, no armed timer.
    WorkItem.objects.filter(dossier__code=code).update(status="cancelled")
    Timer.objects.filter(dossier__code=code).update(status="cancelled")
    opened = detect_stuck_dossiers()
    assert [i.dossier.code for i in opened] == [code]
    assert detect_stuck_dossiers() == []  # one open incident per dossier
    incident = opened[0]
    done = api("quantri").post(f"/api/v1/incidents/{incident.pk}/resolve/", {"reason": "hồ sơ nhập trùng, đã hủy"},
                               format="json")
    assert done.status_code == 200
    kinds = list(incident.dossier.events.values_list("kind", flat=True))
    assert "incident_opened" in kinds and "incident_resolved" in kinds
