"""Since 1 July 2025 there is no district: a commune's parent is the province. The same diagram routes there."""
from processes.models import AdministrativeUnit, Membership, UnitKind, WorkItem

from .helpers import at, receive


def test_social_allowance_routes_from_commune_to_province_department_in_the_two_tier_layout(demo, api):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    province = AdministrativeUnit.objects.create(code="000.00.00.H29", name="UBND tỉnh Đồng Tháp", kind=UnitKind.PROVINCE)
    labour = AdministrativeUnit.objects.create(code="000.03.00.H29", name="Sở Nội vụ tỉnh Đồng Tháp",
                                               kind=UnitKind.DEPARTMENT, department_kind="labour", parent=province)
    commune = AdministrativeUnit.objects.create(code="101.00.00.H29", name="UBND phường Cai Lậy",
                                                kind=UnitKind.COMMUNE, parent=province)
    for username, unit, role in [("motcua.phuongcailay", commune, "reception"), ("cc.phuongcailay", commune, "specialist"),
                                 ("ct.phuongcailay", commune, "signing_leader"), ("cv.sonoivu", labour, "specialist"),
                                 ("ct.tinh", province, "signing_leader")]:
        Membership.objects.create(user=User.objects.create_user(username, password="pw"), unit=unit, role=role)
    at("2026-12-01 09:00")
    code = receive(api, "tro-cap-xa-hoi", commune.code)["code"]
    assert code.startswith("101.00.00.H29-261201-")
    route = []
    answers = {"eligible": True}
    while True:
        item = WorkItem.objects.filter(dossier__code=code, status="open").select_related("unit").first()
        if item is None:
            break
        user = Membership.objects.filter(unit=item.unit, role=item.role).first().user.username
        data = {name: answers[name] for name in item.required_fields}
        assert api(user).post(f"/api/v1/tasks/{item.pk}/complete/", {"data": data}, format="json").status_code == 200
        route.append((item.bpmn_id, item.unit.code))
    assert route == [
        ("xem_xet_tham_dinh_xa", commune.code), ("niem_yet_cong_khai", commune.code),
        ("ky_van_ban_de_nghi", commune.code), ("tham_dinh_phong_ldtbxh", labour.code),
        ("quyet_dinh_tro_cap", province.code),
    ]
