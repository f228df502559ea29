"""The demo: Cai Lậy district (Tiền Giang) as it was in 2019 — the district People's Committee, its departments and
16 communes — with officials for every role and the procedures of bpmn/ deployed. Agency codes follow the shape of
QCVN 102:2016 but are demo values, not the official registry's."""
import hashlib
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from .models import AdministrativeUnit, CaseKind, Field, Membership, Procedure, ProcessVersion, Role, UnitKind
from .reference import ensure_reference_data
from .services.procedures import deploy_process_version

DEMO_PASSWORD = "MotCua@2019"
PROVINCE = ("000.00.00.H57", "UBND tỉnh Tiền Giang", "Tien Giang Provincial People's Committee")
DISTRICT = ("000.00.16.H57", "UBND huyện Cai Lậy", "Cai Lay District People's Committee")
DEPARTMENTS = [
    ("000.02.16.H57", "Phòng Tư pháp huyện Cai Lậy", "justice"),
    ("000.03.16.H57", "Phòng Lao động - Thương binh và Xã hội huyện Cai Lậy", "labour"),
    ("000.04.16.H57", "Phòng Kinh tế và Hạ tầng huyện Cai Lậy", "urban"),
    ("000.05.16.H57", "Thanh tra huyện Cai Lậy", "inspection"),
]
COMMUNES = [
    ("binhphu", "Bình Phú"), ("camson", "Cẩm Sơn"), ("hiepduc", "Hiệp Đức"), ("hoixuan", "Hội Xuân"),
    ("longtien", "Long Tiên"), ("longtrung", "Long Trung"), ("mylong", "Mỹ Long"), ("mythanhbac", "Mỹ Thành Bắc"),
    ("mythanhnam", "Mỹ Thành Nam"), ("ngohiep", "Ngũ Hiệp"), ("phuan", "Phú An"), ("phucuong", "Phú Cường"),
    ("phunhuan", "Phú Nhuận"), ("tambinh", "Tam Bình"), ("thanhloc", "Thạnh Lộc"), ("tanphong", "Tân Phong"),
]
FIELDS = [
    ("chung-thuc", "Chứng thực", "Certification"),
    ("ho-tich", "Hộ tịch", "Civil status"),
    ("xay-dung", "Xây dựng", "Construction"),
    ("bao-tro-xa-hoi", "Bảo trợ xã hội", "Social protection"),
    ("khieu-nai-to-cao", "Khiếu nại, tố cáo", "Complaints and denunciations"),
    ("phan-anh-kien-nghi", "Phản ánh, kiến nghị", "Petitions and feedback"),
    ("dat-dai", "Đất đai", "Land"),
]
PROCEDURES = [
    {
        "code": "chung-thuc-ban-sao", "field": "chung-thuc", "level": UnitKind.COMMUNE,
        "name": "Chứng thực bản sao từ bản chính giấy tờ, văn bản",
        "name_en": "Certified copy from the original", "statutory_limit": Decimal(0), "statutory_unit": "same_day",
        "fee": Decimal(2000), "fee_note": "2.000 đ/trang; từ trang thứ ba 1.000 đ/trang; tối đa 200.000 đ/bản",
        "required_documents": [{"name": "Bản chính giấy tờ, văn bản", "copies": 1},
                               {"name": "Bản sao cần chứng thực", "copies": 1}],
        "file": "chung_thuc_ban_sao.bpmn", "online_level": "partial",
    },
    {
        "code": "dang-ky-khai-sinh", "field": "ho-tich", "level": UnitKind.COMMUNE,
        "name": "Đăng ký khai sinh", "name_en": "Birth registration", "statutory_limit": Decimal(0),
        "statutory_unit": "same_day", "fee": Decimal(0), "fee_note": "Miễn lệ phí khi đăng ký đúng hạn",
        "required_documents": [{"name": "Tờ khai đăng ký khai sinh", "copies": 1},
                               {"name": "Giấy chứng sinh", "copies": 1}],
        "file": "khai_sinh.bpmn", "online_level": "full",
    },
    {
        "code": "nhan-cha-me-con", "field": "ho-tich", "level": UnitKind.COMMUNE,
        "name": "Đăng ký nhận cha, mẹ, con", "name_en": "Recognition of parent and child",
        "statutory_limit": Decimal(3), "statutory_unit": "working_days", "fee": Decimal(15000),
        "fee_note": "Theo nghị quyết của HĐND tỉnh",
        "required_documents": [{"name": "Tờ khai đăng ký nhận cha, mẹ, con", "copies": 1},
                               {"name": "Chứng cứ chứng minh quan hệ cha, mẹ, con", "copies": 1}],
        "file": "nhan_cha_me_con.bpmn", "online_level": "partial",
    },
    {
        "code": "giay-phep-xay-dung", "field": "xay-dung", "level": UnitKind.DISTRICT,
        "name": "Cấp giấy phép xây dựng nhà ở riêng lẻ", "name_en": "Construction permit for a private house",
        "statutory_limit": Decimal(15), "statutory_unit": "calendar_days", "fee": Decimal(75000),
        "fee_note": "Theo nghị quyết của HĐND tỉnh",
        "required_documents": [{"name": "Đơn đề nghị cấp giấy phép xây dựng", "copies": 1},
                               {"name": "Giấy tờ chứng minh quyền sử dụng đất", "copies": 1},
                               {"name": "Bản vẽ thiết kế xây dựng", "copies": 2}],
        "file": "giay_phep_xay_dung.bpmn", "online_level": "partial",
    },
    {
        "code": "tro-cap-xa-hoi", "field": "bao-tro-xa-hoi", "level": UnitKind.COMMUNE,
        "name": "Trợ cấp xã hội hằng tháng", "name_en": "Monthly social allowance",
        "statutory_limit": Decimal(22), "statutory_unit": "working_days", "fee": Decimal(0), "fee_note": "",
        "required_documents": [{"name": "Tờ khai đề nghị trợ giúp xã hội", "copies": 1}],
        "file": "tro_cap_xa_hoi.bpmn", "online_level": "partial",
    },
    # Complaints, denunciations, petitions and dialogue opinions (issue 9): dossiers of their own kinds, with the
    # clocks of their laws (processes.services.case_clock). Calendar or working days: each phase's "unit".
    {
        "code": "khieu-nai-lan-dau", "kind": CaseKind.COMPLAINT, "field": "khieu-nai-to-cao",
        "level": UnitKind.DISTRICT, "name": "Giải quyết khiếu nại lần đầu", "name_en": "Complaint, first instance",
        "statutory_limit": Decimal(10), "statutory_unit": "working_days", "fee": Decimal(0), "fee_note": "",
        "required_documents": [{"name": "Đơn khiếu nại", "copies": 1},
                               {"name": "Tài liệu, chứng cứ kèm theo (nếu có)", "copies": 1}],
        "file": "khieu_nai_lan_dau.bpmn", "online_level": "partial",
        "clock_phases": {
            "initial": {"name": "Thụ lý"},
            "resolution": {"limit": 30, "unit": "calendar_days", "complex": 45, "remote": 45, "remote_complex": 60},
            "send_decision": {"limit": 3, "unit": "working_days"},
        },
    },
    {
        "code": "khieu-nai-lan-hai", "kind": CaseKind.COMPLAINT, "field": "khieu-nai-to-cao",
        "level": UnitKind.DISTRICT, "name": "Giải quyết khiếu nại lần hai", "name_en": "Complaint, second instance",
        "statutory_limit": Decimal(10), "statutory_unit": "working_days", "fee": Decimal(0), "fee_note": "",
        "required_documents": [{"name": "Đơn khiếu nại", "copies": 1},
                               {"name": "Quyết định giải quyết khiếu nại lần đầu", "copies": 1}],
        "file": "khieu_nai_lan_hai.bpmn", "online_level": "partial",
        "clock_phases": {
            "initial": {"name": "Thụ lý"},
            "resolution": {"limit": 45, "unit": "calendar_days", "complex": 60, "remote": 60, "remote_complex": 70},
            # the second-instance decision is sent within 07 working days (Law on Complaints 2011, Art. 40)
            "send_decision": {"limit": 7, "unit": "working_days"},
        },
    },
    {
        "code": "to-cao", "kind": CaseKind.DENUNCIATION, "field": "khieu-nai-to-cao", "level": UnitKind.DISTRICT,
        "name": "Giải quyết tố cáo", "name_en": "Denunciation", "statutory_limit": Decimal(7),
        "statutory_unit": "working_days", "fee": Decimal(0), "fee_note": "",
        "required_documents": [{"name": "Đơn tố cáo hoặc biên bản ghi nội dung tố cáo", "copies": 1}],
        "file": "to_cao.bpmn", "online_level": "partial",
        "clock_phases": {
            "initial": {"extension": 3, "extensions": 1},
            "forward": {"limit": 5, "unit": "working_days", "from": "received"},
            "resolution": {"limit": 30, "unit": "calendar_days", "extension": 30,
                           "extensions": {"normal": 0, "complex": 1, "especially_complex": 2}},
            "send_decision": {"limit": 3, "unit": "working_days"},
        },
    },
    {
        "code": "phan-anh-kien-nghi", "kind": CaseKind.PETITION, "field": "phan-anh-kien-nghi",
        "level": UnitKind.DISTRICT, "name": "Tiếp nhận, xử lý phản ánh, kiến nghị về quy định hành chính",
        "name_en": "Petition or feedback on administrative regulations", "statutory_limit": Decimal(15),
        "statutory_unit": "working_days", "fee": Decimal(0), "fee_note": "",
        "required_documents": [{"name": "Nội dung phản ánh, kiến nghị", "copies": 1}],
        "file": "phan_anh_kien_nghi.bpmn", "online_level": "full",
        "clock_phases": {
            "initial": {"name": "Trả lời"},
            "reject": {"limit": 2, "unit": "working_days", "from": "received"},
            "ask_information": {"limit": 5, "unit": "working_days", "from": "received"},
            "forward": {"limit": 5, "unit": "working_days", "from": "received"},
            "publish": {"limit": 2, "unit": "working_days"},
        },
    },
    {
        "code": "y-kien-doi-thoai", "kind": CaseKind.DIALOGUE, "field": "phan-anh-kien-nghi",
        "level": UnitKind.COMMUNE, "name": "Trả lời ý kiến tại hội nghị đối thoại",
        "name_en": "Answer to an opinion raised at a dialogue meeting", "statutory_limit": Decimal(15),
        "statutory_unit": "working_days", "fee": Decimal(0), "fee_note": "", "required_documents": [],
        "file": "y_kien_doi_thoai.bpmn", "online_level": "none",
        "clock_phases": {
            "response": {"limit": 15, "unit": "working_days", "from": "received", "limit_data": "response_days"},
            "publish": {"limit": 2, "unit": "working_days"},
        },
    },
]


def bpmn_dir():
    return Path(settings.BASE_DIR) / "bpmn"


def _unit(code, name, kind, parent=None, name_en="", department_kind=""):
    unit, _ = AdministrativeUnit.objects.update_or_create(
        code=code,
        defaults={"name": name, "name_en": name_en, "kind": kind, "parent": parent, "department_kind": department_kind},
    )
    return unit


def _official(username, full_name, memberships, password):
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults={"first_name": full_name})
    if created:
        user.set_password(password)
        user.save()
    for unit, role in memberships:
        Membership.objects.get_or_create(user=user, unit=unit, role=role)
    return user


@transaction.atomic
def seed_units_and_officials(password=DEMO_PASSWORD):
    ensure_reference_data()
    province = _unit(PROVINCE[0], PROVINCE[1], UnitKind.PROVINCE, name_en=PROVINCE[2])
    district = _unit(DISTRICT[0], DISTRICT[1], UnitKind.DISTRICT, province, name_en=DISTRICT[2])
    departments = {
        kind: _unit(code, name, UnitKind.DEPARTMENT, district, department_kind=kind) for code, name, kind in DEPARTMENTS
    }
    communes = {}
    for index, (slug, name) in enumerate(COMMUNES, start=1):
        communes[slug] = _unit(f"{index:03d}.00.16.H57", f"UBND xã {name}", UnitKind.COMMUNE, district)
    officials = [
        ("motcua.huyen", "Nguyễn Thị Tiếp", [(district, Role.RECEPTION)]),
        ("ct.huyen", "Trần Văn Chủ", [(district, Role.SIGNING_LEADER), (district, Role.UNIT_LEADER)]),
        ("cv.tuphap", "Lê Văn Tư", [(departments["justice"], Role.SPECIALIST)]),
        ("tp.tuphap", "Phạm Thị Trưởng", [(departments["justice"], Role.UNIT_LEADER)]),
        ("cv.ldtbxh", "Võ Thị Lao", [(departments["labour"], Role.SPECIALIST)]),
        ("tp.ldtbxh", "Huỳnh Văn Xã", [(departments["labour"], Role.UNIT_LEADER)]),
        ("cv.kthh", "Đặng Văn Hạ", [(departments["urban"], Role.SPECIALIST)]),
        ("tp.kthh", "Bùi Thị Tầng", [(departments["urban"], Role.UNIT_LEADER)]),
        ("cv.thanhtra", "Mai Văn Minh", [(departments["inspection"], Role.SPECIALIST)]),
        ("chanh.thanhtra", "Lâm Thị Chánh", [(departments["inspection"], Role.UNIT_LEADER)]),
        ("thietke", "Ngô Văn Quy", [(district, Role.PROCESS_DESIGNER)]),
        # a second designer: with MOTCUA_DEPLOY_APPROVAL=1 a draft goes live only when another designer approves it
        ("thietke2", "Trịnh Thị Duyệt", [(district, Role.PROCESS_DESIGNER)]),
        ("thanhtra", "Dương Thị Sát", [(province, Role.AUDITOR)]),
        ("quantri", "Lý Văn Trị", [(district, Role.UNIT_ADMIN)]),
        # the unit admin of one commune (issue 4: officials, roles, substitutes, office hours of xã Hiệp Đức)
        ("quantri.hiepduc", "Quản trị xã Hiệp Đức", [(communes["hiepduc"], Role.UNIT_ADMIN)]),
    ]
    for slug, name in COMMUNES:
        unit = communes[slug]
        officials += [
            (f"motcua.{slug}", f"Một cửa {name}", [(unit, Role.RECEPTION)]),
            (f"tuphap.{slug}", f"Tư pháp - hộ tịch {name}", [(unit, Role.SPECIALIST)]),
            (f"ct.{slug}", f"Chủ tịch UBND xã {name}", [(unit, Role.SIGNING_LEADER), (unit, Role.UNIT_LEADER)]),
        ]
    users = [_official(username, name, memberships, password) for username, name, memberships in officials]
    return {"province": province, "district": district, "departments": departments, "communes": communes,
            "officials": users}


@transaction.atomic
def seed_procedures(deploy=True, administrative_only=False):
    """`administrative_only`: the two-tier province alone has no district inspectorate for the cases' lanes (a
    two-tier variant of those diagrams is not modelled)."""
    fields = {code: Field.objects.update_or_create(code=code, defaults={"name": n, "name_en": en})[0]
              for code, n, en in FIELDS}
    deployed = []
    for row in PROCEDURES:
        if administrative_only and row.get("kind", CaseKind.ADMINISTRATIVE) != CaseKind.ADMINISTRATIVE:
            continue
        row = dict(row)
        filename = row.pop("file")
        row["field"] = fields[row.pop("field")]
        procedure, _ = Procedure.objects.update_or_create(code=row.pop("code"), defaults=row)
        if not deploy:
            continue
        xml = (bpmn_dir() / filename).read_bytes()
        if not ProcessVersion.objects.filter(procedure=procedure, checksum=hashlib.sha256(xml).hexdigest()).exists():
            deployed.append(deploy_process_version(xml=xml, filename=filename, procedure_code=procedure.code))
    return deployed


# The demo's history: a few hundred simulated dossiers over the last months (processes/simulation.py), enough for every
# figure of the statistics and the evaluation to show something.
DEMO_SIMULATED_DOSSIERS = 300
DEMO_SIMULATED_DAYS = 150
DEMO_SIMULATION_SEED = 2019


def simulate_demo_history(seeded, dossiers=DEMO_SIMULATED_DOSSIERS, days=DEMO_SIMULATED_DAYS,
                          seed=DEMO_SIMULATION_SEED):
    """Simulates `dossiers` dossiers received by the district and its communes over the last `days` days, up to now.
    Idempotent: does nothing (returns None) when the district's tree already holds simulated dossiers."""
    from datetime import timedelta

    from engine import clock
    from engine.calendar import VN_TZ

    from .models import Dossier
    from .simulation import Simulation

    units = [seeded["district"], *seeded["communes"].values()]
    if Dossier.objects.filter(simulated=True, receiving_unit__in=units).exists():
        return None
    today = clock.now().astimezone(VN_TZ).date()
    return Simulation(dossiers=dossiers, first_day=today - timedelta(days=days), last_day=today, units=units,
                      seed=seed).run()
