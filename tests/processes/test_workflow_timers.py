"""A timer drawn in a diagram: its due time is stored on the dossier (next_wakeup_at) and the Celery task body fires it
once, however often it runs."""
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from processes.models import Dossier, Field, Procedure, WorkItem
from processes.services.procedures import deploy_process_version
from processes.services.timers import sweep_inline

from .helpers import at, receive

HIEPDUC = "003.00.16.H57"
BPMN = Path(__file__).resolve().parent / "fixtures" / "reminder_timer.bpmn"


def test_diagram_timer_is_stored_and_fires_exactly_once(demo, api):
    Procedure.objects.create(code="thu-nhac-viec", name="Thủ tục thử có nhắc việc", field=Field.objects.first(),
                             level="commune", statutory_limit=Decimal(3), statutory_unit="working_days")
    deploy_process_version(xml=BPMN.read_bytes(), filename=BPMN.name)
    clock = at("2026-12-01 09:00")
    code = receive(api, "thu-nhac-viec", HIEPDUC)["code"]
    dossier = Dossier.objects.get(code=code)
    assert dossier.next_wakeup_at.isoformat() == "2026-12-03T02:00:00+00:00"  # Thu 03/12 09:00 +07:00

    timer = dossier.timers.get(kind="diagram")
    assert timer.due_at == dossier.next_wakeup_at and timer.status == "scheduled"
    assert sweep_inline() == 0  # not due yet
    clock.advance(timedelta(days=2, minutes=1))
    assert sweep_inline() >= 1
    assert sweep_inline() == 0  # nothing left
    from processes.services.timers import fire_timer

    assert fire_timer(timer.pk) == "skipped"  # the same firing delivered again does nothing
    open_steps = set(WorkItem.objects.filter(dossier=dossier, status="open", kind="step").values_list("bpmn_id", "role"))
    assert open_steps == {("xu_ly", "specialist"), ("nhac_viec", "unit_leader")}
    dossier.refresh_from_db()
    assert dossier.next_wakeup_at is None
    assert dossier.events.filter(kind="timer_fired").count() == 1


def test_a_batch_of_firings_delivered_twice_or_with_a_repeat_fires_each_timer_once(demo, api, settings):
    """The sweeper sends claimed timers in batches (tasks.fire_timers); a batch that repeats an id, or comes again
    after a crash, changes nothing the second time."""
    from processes import tasks
    from processes.models import Timer
    from processes.services.timers import claim_due_timers

    Procedure.objects.create(code="thu-nhac-viec", name="Thủ tục thử có nhắc việc", field=Field.objects.first(),
                             level="commune", statutory_limit=Decimal(3), statutory_unit="working_days")
    deploy_process_version(xml=BPMN.read_bytes(), filename=BPMN.name)
    clock = at("2026-12-01 09:00")
    codes = [receive(api, "thu-nhac-viec", HIEPDUC)["code"] for _ in range(3)]
    clock.advance(timedelta(days=2, minutes=1))
    Timer.objects.exclude(kind="diagram").update(status="cancelled")  # only the diagram's timers fall due
    claimed = claim_due_timers("owner-1", batch=10)
    assert len(claimed) == 3
    first = tasks.fire_timers(claimed + claimed[:1], "owner-1")
    assert first == ["fired", "fired", "fired", "skipped"]
    assert tasks.fire_timers(claimed, "owner-1") == ["skipped"] * 3  # the whole batch redelivered
    for code in codes:
        dossier = Dossier.objects.get(code=code)
        assert dossier.events.filter(kind="timer_fired").count() == 1
        assert dossier.work_items.filter(bpmn_id="nhac_viec").count() == 1
    settings.MOTCUA_FIRE_BATCH = 2
    assert tasks.fire_batch_size() == 2
