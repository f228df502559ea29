"""The leaders' statistics (issue 7, processes/statistics.py) against a hand-computed fixture: dossiers received at
xã Hiệp Đức through the real reception service (their statutory due times and warning timers computed by the clock),
then ended through the refusal and withdrawal services or, for the processed ones, by writing the processing's result
(status, finished_at) directly. Every category of June 2026 is checked by its exact number, the rates, the carry-over
from May, the unit and field scopes, the breakdowns and that each figure's drill-down lists exactly its dossiers.

The fixture (3 working days for nhan-cha-me-con; due times are the service's, in the table for the reader):

    key received          due                 end                          June 2026
    A   Mon 18/05 09:00   Thu 21/05 09:00     processed 21/05 08:00,       finished in May: not counted;
                                              returned 02/06               returned in June
    B   Wed 20/05 09:00   Mon 25/05 09:00     open                         carried over, overdue
    C   Thu 28/05 09:00   Tue 02/06 09:00     processed 02/06 08:00        carried over, on time (May: due soon)
    D   Mon 01/06 09:00   Thu 04/06 09:00     processed Wed 03/06 10:00,   early, returned
                                              returned 05/06
    E   Tue 02/06 09:00   Fri 05/06 09:00     refused 03/06 10:00          refused
    F   Mon 08/06 09:00   Thu 11/06 09:00     processed Thu 11/06 08:00    on time (the due date itself)
    G   Wed 10/06 09:00   Mon 15/06 09:00     processed Sat 13/06 10:00    on time (a day off: no working day
                                                                           before the due date)
    H   Mon 15/06 09:00   Thu 18/06 09:00     processed 19/06 10:00,       late (the re-appointment changes
                                              re-appointed to 20/06        nothing)
    I   Tue 16/06 09:00   Fri 19/06 09:00     withdrawn 17/06 10:00        withdrawn
    J   Mon 22/06 09:00   Thu 25/06 09:00     open                         overdue
    K   Mon 29/06 09:00   Thu 02/07 09:00     open (warning Tue 30/06)     due soon
    L   Tue 30/06 10:00   Fri 03/07 10:00     open (warning Wed 01/07)     not yet due
    M   Thu 02/07 09:00                       open                         July: not counted
    O   Mon 01/06 10:00   04/06 → 12/06 10:00 processed 12/06 09:00        on time (supplementation restart
                          (restart)                                        moved the due time)
    P   Tue 23/06 09:00   Mon 29/06 09:00 *   processed Fri 26/06 10:00    on time (26/06 is Hiệp Đức's own
                                                                           day off)
    Q   Tue 23/06 09:30   Mon 29/06 09:30 *   processed Thu 25/06 10:00    early
    R   Wed 24/06 09:00   Tue 30/06 09:00 *   supplementation requested    not yet due (clock paused before
                                              25/06 10:00, still waiting   the due time)
    T   Fri 05/06 09:00   Wed 08/07 09:00 *   open (tro-cap-xa-hoi, 22 d.) not yet due; another field
    N   Wed 03/06 09:00 at Tam Bình, due Mon 08/06 09:00, processed Fri 05/06 10:00: early, district scope only.
    (* Hiệp Đức declares Fri 26/06/2026 a day off before these are received.)

June at Hiệp Đức: received 14, carried over 2, to process 16; early 2, on time 5, late 1, refused 1, withdrawn 1,
not yet due 3, due soon 1, overdue 2; returned 2; late rate 3/16 = 18.75 %, on-time rate 81.25 %.
"""
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engine import clock
from engine.calendar import VN_TZ
from processes import statistics
from processes.models import (
    AdministrativeUnit,
    CalendarOverride,
    Dossier,
    Field,
    StepResult,
    WorkItem,
    WorkItemStatus,
)
from processes.services.events import Actor
from processes.services.statutory import refuse_dossier, withdraw_dossier

from ..webui.helpers import HIEPDUC, TAMBINH, receive, user
from .helpers import at

NOW = datetime(2026, 7, 15, 10, 0, tzinfo=VN_TZ)


def t(text):
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=VN_TZ)


def _processed(dossier, finished, **more):
    Dossier.objects.filter(pk=dossier.pk).update(status="processed", finished_at=t(finished), **more)


def _step_done(dossier, username, completed, result):
    item = WorkItem.objects.filter(dossier=dossier, status=WorkItemStatus.OPEN).order_by("id").first()
    WorkItem.objects.filter(pk=item.pk).update(status=WorkItemStatus.COMPLETED, completed_by=user(username),
                                               completed_at=t(completed), claimed_by=user(username), result=result)


def build_fixture():
    """The dossiers of the module docstring; returns {key: Dossier (fresh from the database)}."""
    desk = Actor(user=user("motcua.hiepduc"), client_address="127.0.0.1")
    made = {}

    def rec(key, when, procedure="nhan-cha-me-con", unit=HIEPDUC):
        at(when)
        made[key] = receive(procedure, unit_code=unit)
        return made[key]

    rec("A", "2026-05-18 09:00")
    rec("B", "2026-05-20 09:00")
    rec("C", "2026-05-28 09:00")
    rec("D", "2026-06-01 09:00")
    rec("O", "2026-06-01 10:00")
    rec("E", "2026-06-02 09:00")
    rec("N", "2026-06-03 09:00", unit=TAMBINH)
    at("2026-06-03 10:00")
    refuse_dossier(made["E"].code, desk, ["Không thuộc thẩm quyền"])
    rec("T", "2026-06-05 09:00", procedure="tro-cap-xa-hoi")
    rec("F", "2026-06-08 09:00")
    rec("G", "2026-06-10 09:00")
    rec("H", "2026-06-15 09:00")
    rec("I", "2026-06-16 09:00")
    at("2026-06-17 10:00")
    withdraw_dossier(made["I"].code, desk, "Người nộp xin rút")
    rec("J", "2026-06-22 09:00")
    CalendarOverride.objects.create(date=date(2026, 6, 26), unit=AdministrativeUnit.objects.get(code=HIEPDUC),
                                    is_working_day=False, reason="Nghỉ bù của xã")
    rec("P", "2026-06-23 09:00")
    rec("Q", "2026-06-23 09:30")
    rec("R", "2026-06-24 09:00")
    rec("K", "2026-06-29 09:00")
    rec("L", "2026-06-30 10:00")
    rec("M", "2026-07-02 09:00")

    _processed(made["A"], "2026-05-21 08:00")
    Dossier.objects.filter(pk=made["A"].pk).update(status="returned", returned_at=t("2026-06-02 09:00"))
    _processed(made["C"], "2026-06-02 08:00")
    _processed(made["D"], "2026-06-03 10:00")
    Dossier.objects.filter(pk=made["D"].pk).update(status="returned", returned_at=t("2026-06-05 14:00"))
    _step_done(made["F"], "tuphap.hiepduc", "2026-06-10 10:00", StepResult.ON_TIME)
    _processed(made["F"], "2026-06-11 08:00")
    _processed(made["G"], "2026-06-13 10:00")
    _step_done(made["H"], "tuphap.hiepduc", "2026-06-18 10:00", StepResult.LATE)
    _processed(made["H"], "2026-06-19 10:00", appointment_at=t("2026-06-20 09:00"), reappointments=1,
               late_official=user("tuphap.hiepduc"), flags=["late"])
    Dossier.objects.filter(pk=made["J"].pk).update(late_official=user("tuphap.hiepduc"), flags=["late"])
    # O: a supplementation restarted the clock from zero; the new statutory due time is what counts
    _processed(made["O"], "2026-06-12 09:00", due_at=t("2026-06-12 10:00"), clock_generation=1)
    _processed(made["P"], "2026-06-26 10:00")
    _processed(made["Q"], "2026-06-25 10:00")
    Dossier.objects.filter(pk=made["R"].pk).update(status="supplement_requested",
                                                   clock_paused_at=t("2026-06-25 10:00"))
    _processed(made["N"], "2026-06-05 10:00")
    return {key: Dossier.objects.get(pk=d.pk) for key, d in made.items()}


@pytest.fixture
def stats(demo):
    dossiers = build_fixture()
    clock.set_clock(clock.FixedClock(NOW))
    return dossiers


def scope_of(first, last, unit_codes=(HIEPDUC,), with_subunits=False, field=None, now=NOW):
    units = list(AdministrativeUnit.objects.filter(code__in=unit_codes).values_list("pk", flat=True))
    ids = statistics.subtree_ids(units) if with_subunits else units
    field_id = Field.objects.get(code=field).pk if field else None
    return statistics.Scope.for_days(first, last, unit_ids=ids, field_id=field_id, now=now)


JUNE = (date(2026, 6, 1), date(2026, 6, 30))
MAY = (date(2026, 5, 1), date(2026, 5, 31))
JUNE_EXPECTED = {
    "received": 14, "carried_over": 2, "to_process": 16,
    "early": 2, "on_time": 5, "late": 1, "refused": 1, "withdrawn": 1,
    "not_yet_due": 3, "due_soon": 1, "overdue": 2, "returned": 2,
    "finished": 8, "in_progress": 6, "late_total": 3,
    "late_rate": Decimal("18.75"), "on_time_rate": Decimal("81.25"),
}
JUNE_DOSSIERS = {
    "received": "DEFGHIJKLOPQRT", "carried_over": "BC", "to_process": "BCDEFGHIJKLOPQRT",
    "early": "DQ", "on_time": "CFGOP", "late": "H", "refused": "E", "withdrawn": "I",
    "not_yet_due": "LRT", "due_soon": "K", "overdue": "BJ", "returned": "AD",
    "finished": "CDFGHOPQ", "in_progress": "BJKLRT", "late_total": "BHJ",
}


def keys_of(qs, dossiers):
    by_pk = {d.pk: key for key, d in dossiers.items()}
    return "".join(sorted(by_pk[pk] for pk in qs.values_list("pk", flat=True)))


def test_june_at_hiep_duc_every_figure_and_the_rates(stats):
    report = statistics.report(scope_of(*JUNE))
    totals = {name: report.totals[name] for name in JUNE_EXPECTED}
    assert totals == JUNE_EXPECTED
    # the eight categories split "to process" exactly
    assert sum(report.totals[name] for name in statistics.PARTITION) == report.totals["to_process"]


def test_every_figure_drills_down_to_exactly_its_dossiers(stats):
    scope = scope_of(*JUNE)
    for category, expected in JUNE_DOSSIERS.items():
        assert keys_of(statistics.dossiers_for(scope, category), stats) == "".join(sorted(expected)), category


def test_may_then_june_carry_over_between_consecutive_months(stats):
    may = statistics.report(scope_of(*MAY)).totals
    assert {k: may[k] for k in ("received", "carried_over", "to_process", "on_time", "early", "late",
                                "overdue", "due_soon", "not_yet_due", "returned", "late_rate", "on_time_rate")} == {
        "received": 3, "carried_over": 0, "to_process": 3, "on_time": 1, "early": 0, "late": 0,
        "overdue": 1, "due_soon": 1, "not_yet_due": 0, "returned": 0,
        "late_rate": Decimal("33.33"), "on_time_rate": Decimal("66.67"),
    }
    june = statistics.report(scope_of(*JUNE)).totals
    # what was in progress at the end of May is exactly what June carries over; A (finished in May) is not
    assert keys_of(statistics.dossiers_for(scope_of(*MAY), "in_progress"), stats) == "BC"
    assert june["carried_over"] == may["in_progress"] == 2
    # and July carries over what June left in progress
    july = statistics.report(scope_of(date(2026, 7, 1), date(2026, 7, 31))).totals
    assert july["carried_over"] == june["in_progress"] == 6
    assert july["received"] == 1  # M


def test_a_period_still_running_is_judged_now(stats):
    """June seen on Fri 26/06 at 12:00: K, L, M are not received yet; J (due 25/06) is overdue, R is paused before its
    due time; the dossiers processed after the 26th are still in progress."""
    scope = scope_of(*JUNE, now=t("2026-06-26 12:00"))
    assert scope.as_of == t("2026-06-26 12:00")
    totals = statistics.report(scope).totals
    assert keys_of(statistics.dossiers_for(scope, "overdue"), stats) == "BJ"
    assert totals["received"] == 12  # D E F G H I J O P Q R T; K, L and M come later
    assert keys_of(statistics.dossiers_for(scope, "finished"), stats) == "CDFGHOPQ"
    assert keys_of(statistics.dossiers_for(scope, "in_progress"), stats) == "BJRT"


def test_scopes_subunits_and_field(stats):
    district = AdministrativeUnit.objects.get(code="000.00.16.H57")
    whole = statistics.report(scope_of(*JUNE, unit_codes=(district.code,), with_subunits=True))
    assert whole.totals["to_process"] == 17 and whole.totals["early"] == 3  # N at Tam Bình
    assert {row["unit"].code: row["to_process"] for row in whole.by_unit} == {HIEPDUC: 16, TAMBINH: 1}
    alone = statistics.report(scope_of(*JUNE, unit_codes=(district.code,)))
    assert alone.totals["to_process"] == 0  # the district itself received nothing
    civil = statistics.report(scope_of(*JUNE, field="ho-tich")).totals
    assert civil["to_process"] == 15 and civil["not_yet_due"] == 2  # T is social protection
    assert statistics.report(scope_of(*JUNE, field="xay-dung")).totals["to_process"] == 0
    everyone = statistics.report(statistics.Scope.for_days(*JUNE, now=NOW)).totals
    assert everyone["to_process"] == 17


def test_breakdowns_by_procedure_and_by_official(stats):
    scope = scope_of(*JUNE)
    report = statistics.report(scope)
    rows = {row["procedure"].code: row for row in report.by_procedure}
    assert {code: row["to_process"] for code, row in rows.items()} == {"nhan-cha-me-con": 15, "tro-cap-xa-hoi": 1}
    assert rows["nhan-cha-me-con"]["late_rate"] == Decimal("20.00")  # 3 / 15
    assert rows["tro-cap-xa-hoi"]["late_rate"] == Decimal("0.00")
    procedure_id = rows["nhan-cha-me-con"]["key"]
    assert keys_of(statistics.dossiers_for(scope, "not_yet_due", procedure_id=procedure_id), stats) == "LR"
    officials = {row["official"].username: row for row in report.by_official}
    assert {k: officials["tuphap.hiepduc"][k] for k in statistics.OFFICIAL_CATEGORIES} == {
        "handled": 2, "late_handover": 1, "late_held": 2}
    official_id = officials["tuphap.hiepduc"]["key"]
    for category, expected in (("handled", "FH"), ("late_handover", "H"), ("late_held", "HJ")):
        qs = statistics.dossiers_for(scope, category, official_id=official_id)
        assert keys_of(qs, stats) == expected, category


def test_early_uses_the_units_own_calendar(stats):
    """P was processed on Fri 26/06, Hiệp Đức's own day off, before its Monday due date: on time there. Without the
    unit's override the same day is a working day before the due date: early."""
    scope = scope_of(*JUNE)
    assert "P" in keys_of(statistics.dossiers_for(scope, "on_time"), stats)
    CalendarOverride.objects.filter(unit__code=HIEPDUC).delete()
    assert keys_of(statistics.dossiers_for(scope, "early"), stats) == "DPQ"


def test_the_report_is_a_fixed_number_of_queries(stats):
    """Aggregates only: the same number of queries whatever the number of dossiers (one more unit calendar here,
    for Hiệp Đức's own day off)."""
    scope = scope_of(*JUNE)
    statistics.report(scope)  # the calendars' caches warm
    with CaptureQueriesContext(connection) as before:
        statistics.report(scope)
    at("2026-06-29 10:00")
    for _ in range(3):
        receive("nhan-cha-me-con")
    statistics.report(scope)
    with CaptureQueriesContext(connection) as after:
        assert statistics.report(scope).totals["to_process"] == 19
    assert len(after) == len(before) <= 12


def test_an_empty_period(stats):
    totals = statistics.report(scope_of(date(2025, 1, 1), date(2025, 1, 31))).totals
    assert totals["to_process"] == 0 and totals["late_rate"] is None and totals["on_time_rate"] is None
