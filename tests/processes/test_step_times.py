"""processes/step_times.py on worked examples: dossiers received and driven through the real services on an
injected clock, and every figure checked against values computed by hand below (office hours 07:30–11:30 and
13:00–17:00; 07/12/2026 is a Monday)."""
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from engine.calendar import VN_TZ
from processes.models import Event, ProcessVersion, WorkItem
from processes.services.dossiers import complete_work_item
from processes.services.events import Actor
from processes.services.procedures import deploy_process_version
from processes.step_times import (
    ALLOCATION_BOUNDS,
    RELATIVE_BOUNDS,
    PercentileCont,
    StepStats,
    bucket_of,
    colour_steps,
    dossier_steps,
    version_heatmap,
)

from ..webui.helpers import HIEPDUC, TAMBINH, receive, user
from .helpers import at, official_for

LIBRARY = __import__("pathlib").Path(__file__).resolve().parents[2] / "bpmn"
H = timedelta(hours=1)


def local(text):
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=VN_TZ)


def complete(dossier, bpmn_id, data, unit_code=HIEPDUC):
    item = WorkItem.objects.get(dossier=dossier, bpmn_id=bpmn_id, status="open", kind="step")
    role = {"kiem_tra_ho_so": "specialist", "xac_minh": "specialist", "trinh_ky": "signing_leader"}[bpmn_id]
    complete_work_item(item_id=item.pk, data=data,
                       actor=Actor(user=user(official_for(unit_code, role)), client_address="127.0.0.1"))


@pytest.fixture
def five(demo):
    """Five dossiers received Mon 07/12/2026 08:00 at Hiệp Đức. "Kiểm tra hồ sơ" (2 working days: due Wed 08:00,
    48 h later) completed after 1, 2, 3, 4 and 50 hours (the last one late); "Trình ký" (1 working day: due 24 h
    after it is given, for these) completed for the first two: after 6 h (on time) and 25 h (late); the third and
    fourth still open; the clock stops at Wed 09/12 10:00."""
    at("2026-12-07 08:00")
    d = [receive("nhan-cha-me-con") for _ in range(5)]
    no = {"needs_verification": False}
    for number, when in enumerate(("09:00", "10:00", "11:00", "12:00")):
        at(f"2026-12-07 {when}")
        complete(d[number], "kiem_tra_ho_so", no)
    at("2026-12-07 15:00")
    complete(d[0], "trinh_ky", {"approved": True})
    at("2026-12-08 11:00")
    complete(d[1], "trinh_ky", {"approved": True})
    at("2026-12-09 10:00")
    complete(d[4], "kiem_tra_ho_so", no)
    return d


def test_the_due_times_the_examples_rely_on(five):
    first = WorkItem.objects.get(dossier=five[0], bpmn_id="kiem_tra_ho_so")
    assert (first.given_at, first.due_at, first.allocation_hours) == (local("2026-12-07 08:00"),
                                                                       local("2026-12-09 08:00"), Decimal(16))
    assert WorkItem.objects.get(dossier=five[1], bpmn_id="trinh_ky").due_at == local("2026-12-08 10:00")
    assert WorkItem.objects.get(dossier=five[2], bpmn_id="trinh_ky").due_at == local("2026-12-08 11:00")


def test_a_dossier_with_an_overdue_open_step(five):
    before = (Event.objects.count(), WorkItem.objects.order_by("pk").values_list("pk", "status", "completed_at")[::1])
    marks = dossier_steps(five[2])  # the clock: Wed 10:00
    assert [s.bpmn_id for s in marks.steps] == ["kiem_tra_ho_so", "trinh_ky"]
    check, sign = marks.steps
    assert (check.completed, check.active, check.overdue, check.count) == (True, False, False, 1)
    assert check.working_hours == Decimal(3) and check.elapsed == 3 * H  # 08:00 → 11:00
    assert check.allocation_hours == Decimal(16)
    # given Mon 11:00, due Tue 11:00, still open on Wed 10:00: office hours 0.5 + 4 (Mon) + 8 (Tue) + 2.5 (Wed)
    assert (sign.completed, sign.active, sign.overdue, sign.count) == (False, True, True, 1)
    assert sign.working_hours == Decimal(15) and sign.elapsed == 47 * H
    assert sign.name == "Trình ký trích lục đăng ký nhận cha, mẹ, con"
    assert marks.reached_end == ""
    # now is the engine clock unless given: one hour later the open step has run an hour longer
    assert dossier_steps(five[2], now=local("2026-12-09 11:00")).by_id()["trinh_ky"].working_hours == Decimal(16)
    # nothing changed
    assert (Event.objects.count(), WorkItem.objects.order_by("pk").values_list("pk", "status", "completed_at")[::1]) \
        == before


def test_late_completed_steps_and_a_finished_dossier(five):
    late_check = dossier_steps(five[4]).by_id()
    # 50 hours after Mon 08:00: 7.5 (Mon) + 8 (Tue) + 2.5 (Wed until 10:00) office hours, late (due Wed 08:00)
    assert (late_check["kiem_tra_ho_so"].working_hours, late_check["kiem_tra_ho_so"].elapsed) == (Decimal(18), 50 * H)
    assert late_check["kiem_tra_ho_so"].overdue and late_check["kiem_tra_ho_so"].completed
    assert late_check["trinh_ky"].active and not late_check["trinh_ky"].overdue
    assert late_check["trinh_ky"].working_hours == Decimal(0)
    five[1].refresh_from_db()
    finished = dossier_steps(five[1])
    sign = finished.by_id()["trinh_ky"]
    # given Mon 10:00, completed Tue 11:00 (due Tue 10:00): 1.5 + 4 + 3.5 office hours, 25 h
    assert (sign.completed, sign.active, sign.overdue, sign.working_hours, sign.elapsed) == \
        (True, False, True, Decimal(9), 25 * H)
    assert finished.reached_end == "end_cap_trich_luc"
    on_time = dossier_steps(five[0]).by_id()
    # Mon 09:00 → 15:00: 2.5 office hours before lunch, 2 after; 6 h
    assert not on_time["trinh_ky"].overdue and on_time["trinh_ky"].working_hours == Decimal("4.5")
    # a completion during the lunch break: 08:00 → 12:00 is 3.5 office hours, 4 h
    assert (dossier_steps(five[3]).by_id()["kiem_tra_ho_so"].working_hours,
            dossier_steps(five[3]).by_id()["kiem_tra_ho_so"].elapsed) == (Decimal("3.5"), 4 * H)


def test_the_heatmap_of_a_version_is_one_query(five, django_assert_num_queries):
    version = five[0].version
    with django_assert_num_queries(1):
        stats = {s.bpmn_id: s for s in version_heatmap(version)}
    assert list(stats) == ["kiem_tra_ho_so", "xac_minh", "trinh_ky"]  # every step of the diagram, in its order
    check = stats["kiem_tra_ho_so"]
    # durations 1, 2, 3, 4, 50 h: median 3 h; p90 at rank 0.9 × 4 = 3.6: 4 + 0.6 × (50 − 4) = 31.6 h
    assert (check.completions, check.median, check.p90) == (5, 3 * H, timedelta(hours=31, minutes=36))
    # shares of the 48 h allowed: median 3/48; p90 (4 + 0.6 × 46) / 48
    assert check.usage_median == pytest.approx(3 / 48) and check.usage_p90 == pytest.approx(31.6 / 48)
    assert (check.with_due, check.late, check.late_share) == (5, 1, 0.2)
    assert check.basis == "allocation" and check.bucket == {"median": 1, "p90": 2}
    sign = stats["trinh_ky"]  # 6 h of 24, 25 h of 24; the two open ones do not count
    assert (sign.completions, sign.median, sign.p90) == (2, timedelta(hours=15, minutes=30),
                                                          timedelta(hours=23, minutes=6))
    assert sign.usage_median == pytest.approx((0.25 + 25 / 24) / 2)
    assert sign.usage_p90 == pytest.approx(0.25 + 0.9 * (25 / 24 - 0.25))
    assert (sign.late, sign.late_share) == (1, 0.5)
    assert sign.bucket == {"median": 2, "p90": 3}
    idle = stats["xac_minh"]
    assert (idle.completions, idle.median, idle.late_share, idle.basis, idle.bucket) == \
        (0, None, None, "", {"median": 0, "p90": 0})


def test_the_heatmap_filters_by_period_and_unit(five):
    at("2026-12-14 08:00")
    other = receive("nhan-cha-me-con", unit_code=TAMBINH)
    at("2026-12-14 08:30")
    complete(other, "kiem_tra_ho_so", {"needs_verification": False}, unit_code=TAMBINH)
    version = five[0].version

    def check(**filters):
        s = {s.bpmn_id: s for s in version_heatmap(version, **filters)}["kiem_tra_ho_so"]
        return s.completions, s.median

    assert check() == (6, timedelta(hours=2, minutes=30))  # 0.5, 1, 2, 3, 4, 50 h
    assert check(unit=other.receiving_unit) == (1, timedelta(minutes=30))
    district = other.receiving_unit.parent
    assert check(unit=district) == (6, timedelta(hours=2, minutes=30))  # a unit and its sub-units
    assert check(received_from=local("2026-12-14 00:00").date()) == (1, timedelta(minutes=30))
    assert check(received_to=local("2026-12-07 00:00").date()) == (5, 3 * H)  # the last day is included
    assert check(received_to=local("2026-12-06 00:00").date()) == (0, None)


def test_a_step_done_twice_is_summed(demo):
    """Version 2 loops back from the verification to the check (a second look after it)."""
    xml = (LIBRARY / "nhan_cha_me_con.bpmn").read_text(encoding="utf-8")
    looped = xml.replace('<bpmn:sequenceFlow id="flow_xac_minh_to_gw_sau_xac_minh" sourceRef="xac_minh" '
                         'targetRef="gw_sau_xac_minh" />',
                         '<bpmn:sequenceFlow id="flow_xac_minh_to_gw_sau_xac_minh" sourceRef="xac_minh" '
                         'targetRef="kiem_tra_ho_so" />')
    # one round of the loop must fit the statutory budget (3 working days + 5 of extension)
    looped = looped.replace('<spiffworkflow:property name="allocation_days" value="5" />',
                            '<spiffworkflow:property name="allocation_days" value="2" />')
    assert looped.count('targetRef="kiem_tra_ho_so"') == 2 and looped.count('value="2" />') == 2
    at("2026-12-07 07:00")
    version = deploy_process_version(xml=looped.encode(), filename="v2.bpmn", procedure_code="nhan-cha-me-con")
    assert version.number == 2
    at("2026-12-07 08:00")
    dossier = receive("nhan-cha-me-con")
    assert dossier.version == version
    at("2026-12-07 09:00")
    complete(dossier, "kiem_tra_ho_so", {"needs_verification": True})  # 1 h
    at("2026-12-07 14:00")
    complete(dossier, "xac_minh", {})  # 5 h (3.5 office hours)
    at("2026-12-07 16:00")
    complete(dossier, "kiem_tra_ho_so", {"needs_verification": False})  # again: 2 h
    at("2026-12-08 08:00")
    marks = dossier_steps(dossier).by_id()
    check = marks["kiem_tra_ho_so"]
    assert (check.count, check.working_hours, check.elapsed, check.completed, check.overdue) == \
        (2, Decimal(3), 3 * H, True, False)
    assert [(i.given_at, i.completed_at) for i in check.items] == [
        (local("2026-12-07 08:00"), local("2026-12-07 09:00")), (local("2026-12-07 14:00"), local("2026-12-07 16:00"))]
    assert (marks["xac_minh"].count, marks["xac_minh"].working_hours) == (1, Decimal("3.5"))
    # trinh_ky given 16:00, open on Tue 08:00: 1 office hour on Monday, 0.5 on Tuesday
    assert marks["trinh_ky"].active and marks["trinh_ky"].working_hours == Decimal("1.5")
    stats = {s.bpmn_id: s for s in version_heatmap(version)}
    assert (stats["kiem_tra_ho_so"].completions, stats["kiem_tra_ho_so"].median) == (2, timedelta(hours=1, minutes=30))
    assert (stats["xac_minh"].completions, stats["xac_minh"].median) == (1, 5 * H)
    # version 1's heatmap does not see version 2's dossier
    first = ProcessVersion.objects.get(procedure=version.procedure, number=1)
    assert all(s.completions == 0 for s in version_heatmap(first))


def test_steps_without_a_due_time_are_compared_to_the_slowest_step():
    """Every deployed user task has an allocation (the compiler refuses one without), so a step without a due time
    only comes from older data; the colouring then compares it with the slowest step of the version."""
    stats = [StepStats("a", "A", completions=3, median=2 * H, p90=10 * H, usage_median=0.25, usage_p90=1.2,
                       with_due=3, late=1),
             StepStats("b", "B", completions=2, median=5 * H, p90=6 * H),
             StepStats("c", "C", completions=1, median=H, p90=H),
             StepStats("d", "D")]
    colour_steps(stats)
    a, b, c, d = stats
    assert (a.basis, a.ratio, a.bucket) == ("allocation", {"median": 0.25, "p90": 1.2}, {"median": 1, "p90": 4})
    assert (b.basis, b.ratio, b.bucket) == ("relative", {"median": 1.0, "p90": 0.6}, {"median": 5, "p90": 3})
    assert (c.basis, c.ratio["median"], c.bucket) == ("relative", 0.2, {"median": 1, "p90": 1})
    assert (d.basis, d.bucket, d.late_share, a.late_share) == ("", {"median": 0, "p90": 0}, None, 1 / 3)


def test_buckets_and_the_percentile_aggregate():
    assert [bucket_of(r, ALLOCATION_BOUNDS) for r in (None, 0, 0.5, 0.51, 0.8, 1.0, 1.01, 1.5, 1.6)] == \
        [0, 1, 1, 2, 2, 3, 4, 4, 5]
    assert [bucket_of(r, RELATIVE_BOUNDS) for r in (0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 1.0)] == [1, 1, 2, 3, 4, 4, 5, 5]
    with pytest.raises(ValueError):
        PercentileCont("given_at", 1.5)
