"""A dossier is visible to the units it passed through, their parents' leaders and auditors; others get 404."""
from .helpers import at, official_for, receive

HIEPDUC = "003.00.16.H57"
TAMBINH = "014.00.16.H57"
LABOUR = "000.03.16.H57"


def status_for(api, username, code):
    return api(username).get(f"/api/v1/dossiers/{code}/").status_code


def test_district_department_routed_a_step_sees_the_commune_dossier_another_commune_gets_404(demo, api):
    at("2026-12-01 09:00")
    code = receive(api, "tro-cap-xa-hoi", HIEPDUC)["code"]
    labour_specialist = official_for(LABOUR, "specialist")
    other_commune = official_for(TAMBINH, "specialist")
    assert status_for(api, official_for(HIEPDUC, "specialist"), code) == 200
    assert status_for(api, labour_specialist, code) == 404  # not routed to the district yet
    assert status_for(api, other_commune, code) == 404
    assert status_for(api, "ct.huyen", code) == 200  # leader of the commune's parent unit
    assert status_for(api, "thanhtra", code) == 200  # auditor

    # Commune steps done; the dossier moves to the district's labour department (liên thông).
    from processes.models import WorkItem

    for _ in range(3):
        item = WorkItem.objects.get(dossier__code=code, status="open")
        user = official_for(item.unit.code, item.role)
        assert api(user).post(f"/api/v1/tasks/{item.pk}/complete/", {"data": {}}, format="json").status_code == 200
    item = WorkItem.objects.get(dossier__code=code, status="open")
    assert item.unit.code == LABOUR and item.role == "specialist"

    assert status_for(api, labour_specialist, code) == 200
    assert status_for(api, "tp.ldtbxh", code) == 200
    assert status_for(api, other_commune, code) == 404
    assert status_for(api, "cv.kthh", code) == 404  # another district department
    inbox = api(labour_specialist).get("/api/v1/tasks/").json()["results"]
    assert [t["dossier"] for t in inbox] == [code]
    assert api(other_commune).get("/api/v1/tasks/").json()["results"] == []
    # Acting on a step one cannot see is a 404 too, not a 403 that would confirm it exists.
    assert api(other_commune).post(f"/api/v1/tasks/{item.pk}/claim/").status_code == 404
    assert api(other_commune).get(f"/api/v1/dossiers/{code}/history/").status_code == 404


def test_auditor_reads_but_cannot_act(demo, api):
    at("2026-12-01 09:00")
    received = receive(api, "dang-ky-khai-sinh", HIEPDUC)
    step = received["open_steps"][0]
    auditor = api("thanhtra")
    assert auditor.get(f"/api/v1/dossiers/{received['code']}/history/").status_code == 200
    assert auditor.post(f"/api/v1/tasks/{step['id']}/complete/", {"data": {}}, format="json").status_code == 403
    assert auditor.post(f"/api/v1/dossiers/{received['code']}/return/", {}, format="json").status_code == 403


def test_claim_unclaim_reassign(demo, api):
    at("2026-12-01 09:00")
    code = receive(api, "tro-cap-xa-hoi", HIEPDUC)["code"]
    from processes.models import WorkItem

    item = WorkItem.objects.get(dossier__code=code, status="open")
    clerk = api("tuphap.hiepduc")
    assert clerk.post(f"/api/v1/tasks/{item.pk}/claim/").json()["claimed_by"] == "tuphap.hiepduc"
    assert clerk.post(f"/api/v1/tasks/{item.pk}/claim/").status_code == 200  # idempotent for the holder
    assert clerk.post(f"/api/v1/tasks/{item.pk}/unclaim/").json()["claimed_by"] is None
    # Only a leader reassigns, and only to someone with the role in that unit.
    assert clerk.post(f"/api/v1/tasks/{item.pk}/reassign/", {"to": "tuphap.hiepduc"}, format="json").status_code == 403
    leader = api("ct.hiepduc")
    bad = leader.post(f"/api/v1/tasks/{item.pk}/reassign/", {"to": "cv.kthh"}, format="json")
    assert bad.status_code == 400 and bad.json()["field"] == "to"
    ok = leader.post(f"/api/v1/tasks/{item.pk}/reassign/", {"to": "tuphap.hiepduc"}, format="json")
    assert ok.status_code == 200 and ok.json()["claimed_by"] == "tuphap.hiepduc"
    kinds = list(item.dossier.events.values_list("kind", flat=True))
    assert kinds.count("claimed") == 1 and "unclaimed" in kinds and "reassigned" in kinds


def test_applicant_id_number_is_masked_outside_the_receiving_unit(demo, api):
    at("2026-12-01 09:00")
    code = receive(api, "dang-ky-khai-sinh", HIEPDUC)["code"]
    own = api(official_for(HIEPDUC, "specialist")).get(f"/api/v1/dossiers/{code}/").json()["applicant"]
    assert own["id_number"] == "082090001234"
    parent_leader = api("ct.huyen").get(f"/api/v1/dossiers/{code}/").json()["applicant"]
    assert parent_leader["id_number"] == "*********234" and parent_leader["full_name"] == "Nguyễn Văn A"
    history = api("ct.huyen").get(f"/api/v1/dossiers/{code}/history/").content.decode()
    assert "082090001234" not in history  # the log refers to the record, never copies it
