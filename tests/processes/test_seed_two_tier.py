"""`seed_demo --two-tier`: the new Đồng Tháp province as it is since 1 July 2025 (Decree 118/2025, Circular 03/2025),
with no district, in the same database as the 2019 three-tier demo."""
from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command

from processes import demo_two_tier
from processes.demo import PROCEDURES
from processes.models import (
    AdministrativeUnit,
    Dossier,
    DossierStatus,
    Event,
    Explanation,
    Incident,
    Membership,
    Procedure,
    ProcessVersion,
    Role,
    Timer,
    UnitKind,
    WorkItem,
)
from processes.services import dossiers
from processes.services.events import Actor
from processes.services.routing import resolve_lane

from .helpers import at

CIRCULAR_03_2025 = ["01", "02", "03", "04", "05", "06", "07"]


def seed(*args):
    out = StringIO()
    call_command("seed_demo", "--two-tier", *args, stdout=out)
    return out.getvalue()


def province():
    return AdministrativeUnit.objects.get(code=demo_two_tier.PROVINCE[0])


def counts():
    return {model.__name__: model.objects.count() for model in (
        AdministrativeUnit, get_user_model(), Membership, Procedure, ProcessVersion, Dossier, WorkItem, Timer, Event)}


def user(username):
    return get_user_model().objects.get(username=username)


def holder(item):
    return Membership.objects.filter(unit=item.unit, role=item.role).select_related("user").first().user


def run(dossier, answers, max_steps=20):
    """Completes every open step as an official of the unit and role the lane routed it to; returns the route."""
    route = []
    for _ in range(max_steps):
        item = WorkItem.objects.filter(dossier=dossier, kind="step", status="open").select_related("unit").first()
        if item is None:
            return route
        dossiers.complete_work_item(item_id=item.pk, actor=Actor(holder(item)),
                                    data={name: answers[name] for name in item.required_fields})
        route.append((item.bpmn_id, item.unit.code))
    raise AssertionError("the dossier did not finish")


def receive(procedure, unit, desk):
    return dossiers.receive_dossier(procedure_code=procedure, unit_code=unit.code, actor=Actor(user(desk)),
                                    applicant={"full_name": "Nguyễn Văn Bảy", "id_number": "082090001111"})


def test_seed_two_tier_twice_duplicates_nothing(demo):
    at("2026-12-01 09:00")
    first = seed()
    before = counts()
    assert before["Dossier"] >= 5
    second = seed()
    assert counts() == before
    assert "MotCua@2019" in first and "motcua.xahiepduc" in second and "deployed" not in second


def test_the_province_has_communes_and_departments_and_no_district(demo):
    seed("--no-dossiers")
    root = province()
    tree = demo_two_tier.units_in_tree(root)
    assert not tree.filter(kind=UnitKind.DISTRICT).exists()
    communes = tree.filter(kind=UnitKind.COMMUNE)
    assert communes.count() == len(demo_two_tier.COMMUNES) >= 6
    assert set(communes.values_list("parent", flat=True)) == {root.pk}
    assert {c.name for c in communes} >= {"UBND phường Cai Lậy", "UBND xã Hiệp Đức"}
    departments = {u.department_kind: u for u in tree.filter(kind=UnitKind.DEPARTMENT, parent=root)}
    assert set(departments) == {"justice", "urban", "labour", "home-affairs"}
    assert departments["labour"].name == "Sở Y tế tỉnh Đồng Tháp"
    assert departments["justice"].name == "Sở Tư pháp tỉnh Đồng Tháp"
    assert departments["urban"].name == "Sở Xây dựng tỉnh Đồng Tháp"
    assert tree.count() == 1 + 4 + 2 * len(demo_two_tier.COMMUNES)

    def roles(unit):
        return set(Membership.objects.filter(unit=unit).values_list("role", flat=True))

    assert roles(root) >= {Role.RECEPTION, Role.SIGNING_LEADER, Role.UNIT_LEADER, Role.AUDITOR}
    for commune in communes:
        assert roles(commune) >= {Role.RECEPTION, Role.SPECIALIST, Role.SIGNING_LEADER, Role.UNIT_LEADER}, commune
        economic = commune.children.get()
        assert economic.kind == UnitKind.DEPARTMENT and economic.department_kind == "urban"
        assert economic.name.startswith("Phòng Kinh tế")
        assert roles(economic) == {Role.SPECIALIST, Role.UNIT_LEADER}
    for department in departments.values():
        assert roles(department) == {Role.SPECIALIST, Role.UNIT_LEADER}
    desk = user("motcua.xahiepduc")
    assert desk.first_name == "Trần Thị Diễm My" and desk.check_password("MotCua@2019")
    # The 2019 demo is still there, untouched: its usernames and codes are not reused.
    assert AdministrativeUnit.objects.get(code="000.00.16.H57").kind == UnitKind.DISTRICT
    assert user("motcua.hiepduc").memberships.get().unit.code == "003.00.16.H57"


def test_every_deployed_lane_resolves_in_every_two_tier_commune(demo):
    seed("--no-dossiers")
    root = province()
    tree = set(demo_two_tier.units_in_tree(root).values_list("pk", flat=True))
    labour = root.children.get(department_kind="labour")
    # the administrative procedures (the cases' diagrams route to a district inspectorate: three-tier only)
    codes = [row["code"] for row in PROCEDURES if row.get("kind", "administrative") == "administrative"]
    procedures = Procedure.objects.filter(code__in=codes)
    assert procedures.count() == len(codes) == 5
    lanes = {step["lane"] for p in procedures for step in p.current_version().steps}
    assert lanes >= {"specialist@parent/labour", "signing_leader@parent", "specialist@self/urban", "reception@self"}
    for commune in root.children.filter(kind=UnitKind.COMMUNE):
        for lane in lanes:
            unit, role = resolve_lane(lane, commune)
            assert unit.pk in tree, (lane, commune)
            assert Membership.objects.filter(unit=unit, role=role).exists(), (lane, commune, unit)
        assert resolve_lane("specialist@parent/labour", commune)[0] == labour
        assert resolve_lane("signing_leader@parent", commune)[0] == root
        assert resolve_lane("specialist@self/urban", commune)[0].parent == commune


def test_a_dossier_of_a_two_tier_commune_goes_to_the_province_department_under_decree_118(demo):
    seed("--no-dossiers")
    root = province()
    commune = AdministrativeUnit.objects.get(name="UBND xã Hiệp Đức", parent=root)
    labour = root.children.get(department_kind="labour")
    at("2026-12-01 09:00")
    dossier = receive("tro-cap-xa-hoi", commune, "motcua.xahiepduc")
    assert dossier.code.startswith(f"{commune.code}-261201-")
    assert dossier.regime.code == "nd118-2025"
    forms = dossier.regime.forms
    assert [form["code"] for form in forms] == CIRCULAR_03_2025
    assert forms[3]["name"] == "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết"
    assert forms[4]["name"] == "Thông báo dừng giải quyết hồ sơ"
    assert run(dossier, {"eligible": True}) == [
        ("xem_xet_tham_dinh_xa", commune.code), ("niem_yet_cong_khai", commune.code),
        ("ky_van_ban_de_nghi", commune.code), ("tham_dinh_phong_ldtbxh", labour.code),
        ("quyet_dinh_tro_cap", root.code),
    ]
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.PROCESSED
    # The construction permit, a district procedure in 2019, is the commune's since 01/07/2025.
    permit = receive("giay-phep-xay-dung", commune, "motcua.xahiepduc")
    economic = commune.children.get(department_kind="urban")
    assert run(permit, {"eligible": True}) == [
        ("tiep_nhan_chuyen_ho_so", commune.code), ("tham_dinh_hien_trang", economic.code),
        ("trinh_ky_giay_phep", commune.code), ("nhan_ket_qua_tra", commune.code),
    ]
    assert permit.regime.code == "nd118-2025"
    # The regime follows the date of reception, not the layout: the day before, it was Decree 61/2018's.
    at("2025-06-30 09:00")
    assert receive("dang-ky-khai-sinh", commune, "motcua.xahiepduc").regime.code == "nd61-2018"


def test_the_sample_dossiers_are_at_various_stages_under_the_2025_regime(demo):
    at("2026-12-01 09:00")
    seed()
    root = province()
    samples = demo_two_tier.dossiers_in_tree(root)
    assert samples.count() == 6
    assert set(samples.values_list("regime__code", flat=True)) == {"nd118-2025"}
    assert {DossierStatus.RECEIVED, DossierStatus.PROCESSING, DossierStatus.RETURNED} <= set(
        samples.values_list("status", flat=True))
    labour = root.children.get(department_kind="labour")
    allowance = samples.get(procedure__code="tro-cap-xa-hoi")
    open_item = allowance.work_items.get(status="open", kind="step")
    assert (open_item.bpmn_id, open_item.unit) == ("tham_dinh_phong_ldtbxh", labour)
    assert allowance.received_at < open_item.given_at < allowance.due_at
    permit = samples.get(procedure__code="giay-phep-xay-dung")
    assert permit.work_items.get(status="open", kind="step").unit.department_kind == "urban"
    recognition = samples.get(procedure__code="nhan-cha-me-con")
    assert recognition.work_items.get(status="open", kind="step").bpmn_id == "xac_minh"
    assert recognition.legal_extension_days == 5
    # The officials the lanes routed to can work on them.
    cv = user("cv.soyte")
    dossiers.complete_work_item(item_id=open_item.pk, actor=Actor(cv), data={"eligible": True})
    assert allowance.work_items.get(status="open", kind="step").unit == root


def test_the_three_tier_demo_still_works_in_the_same_database(transactional_db):
    at("2026-12-01 09:00")
    seed()
    two_tier = counts()
    out = StringIO()
    # The 2019 district, with its dossiers and clock demo: received although the database has dossiers already.
    assert not Dossier.objects.filter(receiving_unit__code__endswith=".H57").exists()
    call_command("seed_demo", stdout=out)
    assert "motcua.hiepduc" in out.getvalue()
    # its clock demo is what test_seed_demo_clock expects, the two-tier dossiers changing nothing to it
    assert Explanation.objects.count() == 1
    assert Dossier.objects.filter(flags__contains=["late_without_explanation"],
                                  procedure__kind="administrative").count() == 1
    assert Incident.objects.filter(kind="stuck", resolved_at__isnull=True).count() == 1
    district = AdministrativeUnit.objects.get(code="000.00.16.H57")
    assert demo_two_tier.units_in_tree(district.parent).count() == 1 + 1 + 4 + 16
    hiepduc = AdministrativeUnit.objects.get(code="003.00.16.H57")
    assert Dossier.objects.filter(receiving_unit=hiepduc).count() >= 3
    assert Dossier.objects.filter(receiving_unit=district, procedure__code="giay-phep-xay-dung").exists()
    assert demo_two_tier.dossiers_in_tree(province()).count() == 6
    # (the 2019 tree may be there before, from the session's seed, or not, after a transactional test's flush)
    assert AdministrativeUnit.objects.count() == 22 + 1 + 4 + 2 * 8
    assert two_tier["AdministrativeUnit"] in (1 + 4 + 2 * 8, AdministrativeUnit.objects.count())
    # A 2019-layout allowance still goes commune → district's labour department → district chairman.
    allowance = receive("tro-cap-xa-hoi", hiepduc, "motcua.hiepduc")
    assert [unit for _, unit in run(allowance, {"eligible": True})][3:] == ["000.03.16.H57", "000.00.16.H57"]
    # Both at once, again: nothing new.
    before = counts()
    call_command("seed_demo", "--both", stdout=StringIO())
    assert counts() == before
