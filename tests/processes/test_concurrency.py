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


def test_steps_of_two_dossiers_of_one_version_and_unit_do_not_wait_for_each_other(tdemo, api):
    """Locking a dossier locks its row only: not its version's or its unit's (select_for_update of=self). Otherwise
    every step of a procedure version waits for the others, and deferred foreign-key checks at commit deadlock
    (found by bench/engine.py's dossiers_per_s)."""
    import time

    from django.db import transaction

    from processes.services.dossiers import _lock_item

    at("2026-12-01 09:00")
    codes = [receive(api, "nhan-cha-me-con", HIEPDUC)["code"] for _ in range(2)]
    items = [WorkItem.objects.get(dossier__code=code, status="open").pk for code in codes]
    holding, release = threading.Event(), threading.Event()
    waited = {}

    def first():
        with transaction.atomic():
            _lock_item(items[0])
            holding.set()
            release.wait(10)
        connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert holding.wait(10)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            started = time.monotonic()
            dossier, item = _lock_item(items[1])  # before the fix: blocked on the version row, then lock timeout
            waited["s"] = time.monotonic() - started
        assert dossier.code == codes[1] and waited["s"] < 1
    finally:
        release.set()
        thread.join(10)
