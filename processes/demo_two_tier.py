"""The two-tier demo (`seed_demo --two-tier`): the new Đồng Tháp province as it is since 1 July 2025, when local
government became two-tier (Decree 118/2025/NĐ-CP, Circular 03/2025/TT-VPCP; shared/docs/domain.md §0) — no district:
the province, its departments (Sở) and its communes and wards, each with its one-stop desk, its civil-status officer,
its chairman and its economic department.

Names are real: Tiền Giang was merged into the new Đồng Tháp (Resolution 202/2025/QH15), whose 102 communes and wards
were set up by Resolution 1663/NQ-UBTVQH15 (16/06/2025); the eight below are the new phường and xã that took over the
2019 Cai Lậy district and town (phường Cai Lậy, Nhị Quý, Mỹ Phước Tây, Thanh Hòa; xã Hiệp Đức, Bình Phú, Long Tiên,
Ngũ Hiệp). Agency codes have the shape of QCVN 102:2016 but are illustrative: H29 for the province, communes
101–108 with no district part (.00.00), a commune's department Z = 01; they are not the official registry's. The
officials' names are invented.

How the library's diagrams (bpmn/) land in this tree — the lanes are the same, only the tree differs:

- a commune's parent is the province, so `specialist@parent/labour` and `signing_leader@parent` of the monthly social
  allowance (tro_cap_xa_hoi.bpmn: commune → district in 2019) go to the province: the department of kind `labour` is
  **Sở Y tế**, which took over social protection (bảo trợ xã hội) from the labour sector in March 2025, and the
  decision to the provincial chairman. (The decentralisation decrees of June 2025 may have moved that decision to the
  commune chairman — not verified here; a two-tier variant of the diagram would then be deployed, not a new tree.)
  **Sở Nội vụ**, which took labour and employment, gets its own kind, `home-affairs`;
- the construction permit for a private house, a district procedure in 2019 (giay_phep_xay_dung.bpmn:
  `specialist@self/urban`), is granted since 1 July 2025 by the commune People's Committee (Decree 140/2025/NĐ-CP):
  received at the commune, it goes to the commune's **Phòng Kinh tế** (xã) or **Phòng Kinh tế, Hạ tầng và Đô thị**
  (phường) — the departments of communes under Decree 150/2025/NĐ-CP — which carry the kind `urban`. The province's
  Sở Xây dựng carries `urban` too, for provincial dossiers (`@self/urban` received by the province). The catalogue
  row still says level "district" (Procedure.level is one value for both layouts);
- one-stop reception happens at the commune's Trung tâm Phục vụ hành chính công; its officials hold the reception role
  at the commune itself, so that dossier codes carry the commune's code.
"""
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from engine import clock

from .demo import DEMO_PASSWORD, seed_procedures
from .models import AdministrativeUnit, Dossier, DossierStatus, Membership, Role, UnitKind, WorkItem
from .reference import ensure_reference_data

PROVINCE = ("000.00.00.H29", "UBND tỉnh Đồng Tháp", "Dong Thap Provincial People's Committee")
# (code, name, department_kind, specialist, director) — the directors hold unit_leader (Giám đốc Sở).
DEPARTMENTS = [
    ("000.01.00.H29", "Sở Nội vụ tỉnh Đồng Tháp", "home-affairs", "sonoivu",
     ("Bùi Thị Mỹ Duyên", "Dương Văn Tài")),
    ("000.02.00.H29", "Sở Tư pháp tỉnh Đồng Tháp", "justice", "sotuphap", ("Lê Minh Khoa", "Phạm Thị Thu Hà")),
    ("000.03.00.H29", "Sở Xây dựng tỉnh Đồng Tháp", "urban", "soxaydung", ("Võ Thanh Tùng", "Huỳnh Quốc Bảo")),
    ("000.04.00.H29", "Sở Y tế tỉnh Đồng Tháp", "labour", "soyte", ("Đặng Thị Kim Loan", "Ngô Văn Hiếu")),
]
PROVINCE_OFFICIALS = [
    ("motcua.tinh", "Nguyễn Thị Bích Ngọc", [Role.RECEPTION]),  # Trung tâm Phục vụ hành chính công tỉnh
    ("ct.tinh", "Trần Văn Hòa", [Role.SIGNING_LEADER, Role.UNIT_LEADER]),
    ("thietke.tinh", "Lâm Quốc Cường", [Role.PROCESS_DESIGNER]),
    ("thanhtra.tinh", "Kiều Thị Minh Nguyệt", [Role.AUDITOR]),
    ("quantri.tinh", "Tạ Văn Định", [Role.UNIT_ADMIN]),
]
PHUONG, XA = "phường", "xã"
# (slug, kind, name, name_en, [reception, civil-status officer, chairman, economic specialist, economic head])
COMMUNES = [
    ("phuongcailay", PHUONG, "Cai Lậy", "Cai Lay",
     ["Nguyễn Thị Thanh Thảo", "Trần Quốc Việt", "Lê Hoàng Phúc", "Phan Thị Ngọc Hân", "Võ Minh Trí"]),
    ("phuongnhiquy", PHUONG, "Nhị Quý", "Nhi Quy",
     ["Huỳnh Thị Kim Yến", "Nguyễn Văn Lợi", "Trương Công Danh", "Lâm Thị Hồng Nhung", "Đỗ Thành Nhân"]),
    ("phuongmyphuoctay", PHUONG, "Mỹ Phước Tây", "My Phuoc Tay",
     ["Châu Thị Mỹ Tiên", "Lý Văn Sang", "Nguyễn Hữu Thắng", "Tô Thị Bảo Trâm", "Phạm Văn Khải"]),
    ("phuongthanhhoa", PHUONG, "Thanh Hòa", "Thanh Hoa",
     ["Đinh Thị Cẩm Tú", "Mai Văn Hậu", "Nguyễn Thành Đạt", "Hồ Thị Thúy Vy", "Lưu Quang Vinh"]),
    ("xahiepduc", XA, "Hiệp Đức", "Hiep Duc",
     ["Trần Thị Diễm My", "Nguyễn Văn Tâm", "Võ Văn Chiến", "Lê Thị Kiều Oanh", "Huỳnh Tấn Phát"]),
    ("xabinhphu", XA, "Bình Phú", "Binh Phu",
     ["Phan Thị Hồng Đào", "Đặng Văn Lực", "Trần Minh Hiếu", "Nguyễn Thị Tuyết Mai", "Cao Văn Thuận"]),
    ("xalongtien", XA, "Long Tiên", "Long Tien",
     ["Lê Thị Ngọc Giàu", "Bùi Văn Nghĩa", "Nguyễn Phước Lộc", "Trịnh Thị Hạnh", "Vương Văn Toàn"]),
    ("xanguhiep", XA, "Ngũ Hiệp", "Ngu Hiep",
     ["Dương Thị Thu Trang", "Hà Văn Được", "Lê Quang Huy", "Ngô Thị Phương Thảo", "Trần Văn Bé Tư"]),
]
ECONOMIC_DEPARTMENT = {PHUONG: "Phòng Kinh tế, Hạ tầng và Đô thị", XA: "Phòng Kinh tế"}
# username prefixes of a commune's officials, in the order of the names above
COMMUNE_ROLES = [
    ("motcua", [Role.RECEPTION], False),
    ("tuphap", [Role.SPECIALIST], False),
    ("ct", [Role.SIGNING_LEADER, Role.UNIT_LEADER], False),
    ("cv.kt", [Role.SPECIALIST], True),
    ("tp.kt", [Role.UNIT_LEADER], True),
]


def commune_code(index):
    return f"{100 + index:03d}.00.00.H29"


def units_in_tree(root):
    """root and every unit below it."""
    found, frontier = [root.pk], [root.pk]
    while frontier:
        frontier = list(AdministrativeUnit.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        found += frontier
    return AdministrativeUnit.objects.filter(pk__in=found)


def _unit(code, name, kind, parent=None, name_en="", department_kind=""):
    unit, _ = AdministrativeUnit.objects.update_or_create(
        code=code,
        defaults={"name": name, "name_en": name_en, "kind": kind, "parent": parent, "department_kind": department_kind,
                  "active": True},
    )
    return unit


def _official(username, full_name, memberships, password_hash):
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username,
                                               defaults={"first_name": full_name, "password": password_hash})
    for unit, role in memberships:
        Membership.objects.get_or_create(user=user, unit=unit, role=role)
    return user


@transaction.atomic
def seed_two_tier_units_and_officials(password=DEMO_PASSWORD):
    """The province, its departments, its communes with their economic departments, and an official for every role
    the lanes route to. Idempotent: units are matched by code, officials by username (an existing official's
    password is left alone)."""
    ensure_reference_data()
    # One hash for every demo official: they share the demo password anyway, and ~55 PBKDF2 rounds would cost
    # make run most of a minute.
    password_hash = make_password(password)
    province = _unit(PROVINCE[0], PROVINCE[1], UnitKind.PROVINCE, name_en=PROVINCE[2])
    departments, officials = {}, []
    for code, name, kind, slug, (specialist, director) in DEPARTMENTS:
        department = _unit(code, name, UnitKind.DEPARTMENT, province, department_kind=kind)
        departments[kind] = department
        officials += [(f"cv.{slug}", specialist, [(department, Role.SPECIALIST)]),
                      (f"gd.{slug}", director, [(department, Role.UNIT_LEADER)])]
    officials = [(username, name, [(province, role) for role in roles])
                 for username, name, roles in PROVINCE_OFFICIALS] + officials
    communes, economic = {}, {}
    for index, (slug, kind, name, name_en, names) in enumerate(COMMUNES, start=1):
        label = "Ward" if kind == PHUONG else "Commune"
        commune = _unit(commune_code(index), f"UBND {kind} {name}", UnitKind.COMMUNE, province,
                        name_en=f"{name_en} {label} People's Committee")
        department = _unit(f"{100 + index:03d}.01.00.H29", f"{ECONOMIC_DEPARTMENT[kind]} {kind} {name}",
                           UnitKind.DEPARTMENT, commune, department_kind="urban")
        communes[slug], economic[slug] = commune, department
        for (prefix, roles, in_department), full_name in zip(COMMUNE_ROLES, names):
            unit = department if in_department else commune
            officials.append((f"{prefix}.{slug}", full_name, [(unit, role) for role in roles]))
    users = [_official(username, name, memberships, password_hash) for username, name, memberships in officials]
    return {"province": province, "departments": departments, "communes": communes, "economic": economic,
            "officials": users}


def seed_two_tier(password=DEMO_PASSWORD, deploy=True):
    seeded = seed_two_tier_units_and_officials(password=password)
    seeded["deployed"] = seed_procedures(deploy=deploy, administrative_only=True)
    return seeded


# ---------------------------------------------------------------------------------------------------------------
# sample dossiers, through the services


APPLICANTS = [
    {"full_name": "Nguyễn Thị Kim Ngân", "id_number": "082195003141", "phone": "0918223344",
     "address": "ấp Hiệp Thạnh, xã Hiệp Đức, tỉnh Đồng Tháp"},
    {"full_name": "Trần Văn Sáu", "id_number": "082052001876", "phone": "0939112233",
     "address": "khu phố 2, phường Cai Lậy, tỉnh Đồng Tháp"},
    {"full_name": "Lê Hoàng Nam", "id_number": "082088006512", "phone": "0977445566",
     "address": "khu phố Mỹ Phú, phường Cai Lậy, tỉnh Đồng Tháp"},
    {"full_name": "Phạm Thị Lan Anh", "id_number": "082093007788", "phone": "0908667788",
     "address": "ấp Long Hòa, xã Long Tiên, tỉnh Đồng Tháp"},
]


@dataclass
class Sample:
    label: str
    dossier: Dossier


def dossiers_in_tree(province):
    return Dossier.objects.filter(receiving_unit__in=units_in_tree(province))


def _holder(item):
    membership = (Membership.objects.filter(unit=item.unit, role=item.role).select_related("user")
                  .order_by("user__username").first())
    if membership is None:
        raise RuntimeError(f"no {item.role} at {item.unit.code} for step {item.bpmn_id}")
    return membership.user


def _advance(dossier, steps, answers=None, at=None):
    """Completes `steps` open steps of the dossier, one after the other, as the official its lane routes to — at the
    given instants (a list, one per step) when they are given."""
    from .services import dossiers
    from .services.events import Actor

    answers = answers or {}
    real = clock.get_clock()
    for number in range(steps):
        item = (WorkItem.objects.filter(dossier=dossier, kind="step", status="open").select_related("unit")
                .order_by("pk").first())
        if item is None:
            break
        if at is not None:
            clock.set_clock(clock.FixedClock(at[number]))
        try:
            dossiers.complete_work_item(item_id=item.pk, actor=Actor(_holder(item)),
                                        data={name: answers[name] for name in item.required_fields})
        finally:
            clock.set_clock(real)
    dossier.refresh_from_db()
    return dossier


def seed_two_tier_dossiers(seeded):
    """A few dossiers at various stages, received through the services like any other: at the commune desks, routed
    by the lanes in the two-tier tree, each under the regime in force at reception (nd118-2025 after 01/07/2025).
    Dossiers received in the past are received with the engine clock set back (office hours of the unit's
    calendar), so that their steps have given and due times that look like real work."""
    from .services import dossiers
    from .services.calendar import calendar_for_unit
    from .services.events import Actor
    from .services.statutory import subtract_office_hours

    User = get_user_model()
    communes = seeded["communes"]
    real = clock.get_clock()
    now = real.now()

    def desk(slug):
        return Actor(User.objects.get(username=f"motcua.{slug}"))

    def ago(slug, working_days):
        calendar = calendar_for_unit(communes[slug])
        return subtract_office_hours(calendar, now, Decimal(working_days) * calendar.hours_per_day)

    def receive(procedure, slug, applicant, at=None):
        if at is not None:
            clock.set_clock(clock.FixedClock(at))
        try:
            return dossiers.receive_dossier(procedure_code=procedure, unit_code=communes[slug].code,
                                            applicant=applicant, actor=desk(slug))
        finally:
            clock.set_clock(real)

    samples = []
    # Birth registrations at xã Hiệp Đức: one just received (civil-status officer), one waiting for the signature.
    samples.append(Sample("khai sinh — vừa tiếp nhận", receive("dang-ky-khai-sinh", "xahiepduc", APPLICANTS[0])))
    signing = receive("dang-ky-khai-sinh", "xahiepduc", APPLICANTS[0])
    samples.append(Sample("khai sinh — chờ Chủ tịch xã ký", _advance(signing, 1)))
    # A certified copy at phường Cai Lậy, done and handed back at the desk.
    copy = _advance(receive("chung-thuc-ban-sao", "phuongcailay", APPLICANTS[1]), 3)
    if copy.status == DossierStatus.PROCESSED:
        copy = dossiers.return_result(code=copy.code, actor=desk("phuongcailay"), collected_by=APPLICANTS[1]["full_name"])
    samples.append(Sample("chứng thực — đã trả kết quả", copy))
    # A monthly social allowance of phường Cai Lậy, through the ward's three steps, now at the province's Sở Y tế.
    allowance = receive("tro-cap-xa-hoi", "phuongcailay", APPLICANTS[1], at=ago("phuongcailay", 12))
    allowance = _advance(allowance, 3, at=[ago("phuongcailay", 7), ago("phuongcailay", 5), ago("phuongcailay", 4)])
    samples.append(Sample("trợ cấp xã hội — phường → Sở Y tế tỉnh", allowance))
    # A construction permit at phường Cai Lậy (commune competence since 01/07/2025): passed on by the desk, now at the
    # ward's Phòng Kinh tế, Hạ tầng và Đô thị.
    permit = receive("giay-phep-xay-dung", "phuongcailay", APPLICANTS[2], at=ago("phuongcailay", 3))
    samples.append(Sample("giấy phép xây dựng — tại Phòng KT, HT và ĐT phường",
                          _advance(permit, 1, at=[ago("phuongcailay", 2.5)])))
    # Recognition of parent and child at xã Long Tiên that needs verification (+5 working days by law).
    recognition = receive("nhan-cha-me-con", "xalongtien", APPLICANTS[3], at=ago("xalongtien", 1))
    samples.append(Sample("nhận cha, mẹ, con — đang xác minh",
                          _advance(recognition, 1, {"needs_verification": True}, at=[ago("xalongtien", 0.5)])))
    return samples
