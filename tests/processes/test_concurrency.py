"""Locking on the real PostgreSQL: real commits, real threads, each with its own connection."""
import threading

from django.db import connection

from processes.models import Dossier, WorkItem

from .helpers import at, official_for, receive

HIEPDUC = "003.00.16.H57"
TANPHONG = "016.00.16.H57"


def run_together(count, action):
    """Starts `count` threads that wait on one barrier, then act at once; returns their results in order."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def worker(index):
        try:
            barrier.wait(timeout=30)
            results[index] = action(index)
        except Exception as exc:  # reported to the test, which fails on it
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_two_completions_of_one_task_released_together_give_one_success_and_one_409(tdemo, api):
    at("2026-12-01 09:00")
    received = receive(api, "nhan-cha-me-con", HIEPDUC)
    step = received["open_steps"][0]
    specialist = official_for(HIEPDUC, "specialist")

    def complete(_):
        return api(specialist).post(
            f"/api/v1/tasks/{step['id']}/complete/", {"data": {"needs_verification": False}}, format="json"
        ).status_code

    statuses = run_together(2, complete)
    assert sorted(statuses) == [200, 409], statuses
    dossier = Dossier.objects.get(code=received["code"])
    # The workflow advanced exactly once: one completed step, one open signing step.
    assert WorkItem.objects.filter(dossier=dossier, status="completed").count() == 1
    assert list(WorkItem.objects.filter(dossier=dossier, status="open").values_list("bpmn_id", flat=True)) == ["trinh_ky"]
    assert dossier.events.filter(kind="step_completed").count() == 1


def test_fifty_concurrent_receptions_get_unique_consecutive_codes(tdemo, api):
    at("2026-12-02 10:00")
    desk = official_for(TANPHONG, "reception")

    def reception(index):
        response = api(desk).post(
            "/api/v1/dossiers/",
            {"procedure": "dang-ky-khai-sinh", "receiving_unit": TANPHONG,
             "applicant": {"full_name": f"Người nộp {index}"}, "channel": 1},
            format="json",
        )
        return response.status_code, response.json().get("code")

    results = run_together(50, reception)
    assert all(not isinstance(r, Exception) for r in results), results
    assert {status for status, _ in results} == {201}
    codes = sorted(code for _, code in results)
    assert codes == [f"{TANPHONG}-261202-{n:04d}" for n in range(1, 51)]
