"""The demo's complaints, denunciations and petitions (issue 9): a dozen cases of the district received over the last
three months and driven through the real services with the injectable clock, so that every clock, phase, extension
and outcome shows on `make run`'s data: complaints in resolution (one in a remote area), resolved and not accepted;
an especially complex denunciation extended twice, one forwarded; petitions answered and published, forwarded on time
and late, and one waiting to be classified."""
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model

from engine import clock
from engine.calendar import VN_TZ

from .models import CaseKind, Dossier, Membership, WorkItem
from .services import case_clock
from .services import dossiers as dossier_services
from .services.events import Actor
from .services.timers import sweep_inline

DENOUNCER = {"full_name": "Nguyễn Văn Tố", "id_number": "082085004321", "phone": "0918000222",
             "address": "ấp Hòa Hảo, xã Hiệp Đức"}
COMPLAINANTS = [
    {"full_name": "Lê Thị Khiếu", "phone": "0907000333", "address": "ấp 2, xã Long Tiên"},
    {"full_name": "Trần Văn Nại", "phone": "0907000444", "address": "ấp Mỹ Phú, xã Mỹ Long"},
    {"full_name": "Võ Thị Thưa", "phone": "0907000555", "address": "ấp 4, xã Tam Bình"},
]
PETITIONERS = [
    {"full_name": "Công ty TNHH Nông sản Cai Lậy", "phone": "0273300666"},
    {"full_name": "Phạm Minh Kiến", "phone": "0907000777"},
]


def _user(username):
    return Actor(get_user_model().objects.get(username=username))


def _member(unit, role):
    membership = Membership.objects.filter(unit=unit, role=role).select_related("user").order_by("user_id").first()
    return Actor(membership.user)


def _weekday(day):
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def seed_demo_cases(seeded):
    """Idempotent: does nothing when the district already holds cases. Returns the dossiers made."""
    district = seeded["district"]
    if Dossier.objects.filter(receiving_unit=district).exclude(procedure__kind=CaseKind.ADMINISTRATIVE).exists():
        return []
    real = clock.get_clock()
    today = real.now().astimezone(VN_TZ).date()
    desk = _member(district, "reception")
    fixed = clock.FixedClock(datetime.combine(today - timedelta(days=120), time(7), VN_TZ))

    def on(days_ago, hour=9):
        fixed.set(max(fixed.now(), datetime.combine(_weekday(today - timedelta(days=days_ago)), time(hour), VN_TZ)))

    def receive(procedure, applicant, data=None):
        return dossier_services.receive_dossier(procedure_code=procedure, unit_code=district.code,
                                                applicant=dict(applicant), data=data or {}, actor=desk)

    def step(dossier, bpmn_id, data=None):
        item = WorkItem.objects.select_related("unit").get(dossier=dossier, bpmn_id=bpmn_id, status="open")
        who = _member(item.unit, item.role)
        dossier_services.claim_work_item(item_id=item.pk, actor=who)
        dossier_services.complete_work_item(item_id=item.pk, actor=who, data=data or {})

    made = []
    clock.set_clock(fixed)
    try:
        on(85)
        denounced = receive("to-cao", DENOUNCER, {"content": "Tố cáo cán bộ địa chính xã nhận tiền khi đo đạc."})
        resolved = receive("khieu-nai-lan-dau", COMPLAINANTS[2],
                           {"content": "Khiếu nại quyết định thu hồi đất làm đường giao thông nông thôn."})
        on(83)
        step(denounced, "xu_ly_ban_dau", {"classification": "accept"})
        step(resolved, "phan_loai", {"classification": "accept"})
        on(80)
        step(denounced, "quyet_dinh_thu_ly", {"complexity": "especially_complex", "acceptance_number": "12/QĐ-UBND"})
        step(resolved, "quyet_dinh_thu_ly", {"complexity": "normal", "acceptance_number": "08/TB-UBND"})
        on(72)
        forwarded = receive("to-cao", {"full_name": "Đơn không ký tên, có địa chỉ", "address": "xã Phú An"},
                            {"content": "Tố cáo doanh nghiệp xả thải ra kênh."})
        on(70)
        step(forwarded, "xu_ly_ban_dau", {"classification": "forward"})
        on(68)
        step(forwarded, "chuyen_don")
        on(60)
        step(resolved, "xac_minh")
        on(57)
        step(resolved, "quyet_dinh_giai_quyet", {"decision_number": "25/QĐ-UBND", "result": "partly"})
        on(56)
        step(resolved, "gui_quyet_dinh")
        on(50)
        leader = _user("ct.huyen")
        case_clock.extend_clock(denounced.code, leader, number="31/QĐ-UBND",
                                reason="Cần xác minh tại nhiều nơi, nhiều người bị tố cáo (Nghị định 31/2019, Điều 3).")
        on(45)
        answered = receive("phan-anh-kien-nghi", PETITIONERS[0],
                           {"content": "Kiến nghị bỏ yêu cầu nộp bản sao sổ hộ khẩu khi đăng ký kinh doanh."})
        late = receive("phan-anh-kien-nghi", PETITIONERS[1],
                       {"content": "Phản ánh quy định cấp phép quảng cáo thuộc thẩm quyền của Sở."})
        on(44)
        step(answered, "phan_loai", {"classification": "answer"})
        step(late, "phan_loai", {"classification": "forward"})
        on(38)
        step(answered, "nghien_cuu_tra_loi", {"answer": "Từ 01/01/2023 không còn yêu cầu sổ hộ khẩu; đã chỉ đạo "
                                                        "bộ phận một cửa không yêu cầu giấy tờ này."})
        on(36)
        step(answered, "duyet_tra_loi")
        on(35)
        step(answered, "cong_khai")
        on(33)
        sweep_inline(owner="seed_demo")  # the forwarding time of `late` has passed: it is late now
        step(late, "chuyen_co_quan")
        not_admissible = receive("khieu-nai-lan-dau", COMPLAINANTS[0],
                                 {"content": "Khiếu nại việc hàng xóm lấn ranh đất (tranh chấp dân sự)."})
        on(31)
        step(not_admissible, "phan_loai", {"classification": "not_admissible"})
        on(30)
        step(not_admissible, "thong_bao_khong_thu_ly", {"reason": "Tranh chấp dân sự, không phải quyết định hành "
                                                                  "chính: hướng dẫn hoà giải tại ấp, khởi kiện tại toà án."})
        on(25)
        case_clock.extend_clock(denounced.code, leader, number="40/QĐ-UBND",
                                reason="Vụ việc đặc biệt phức tạp: có yếu tố nước ngoài, ý kiến các cơ quan khác nhau.")
        on(21)
        remote = receive("khieu-nai-lan-dau", COMPLAINANTS[1],
                         {"content": "Khiếu nại mức bồi thường khi thu hồi đất.", "remote_area": True})
        near = receive("khieu-nai-lan-dau", {"full_name": "Đỗ Văn Kiện", "phone": "0907000888"},
                       {"content": "Khiếu nại quyết định xử phạt vi phạm hành chính về xây dựng."})
        on(19)
        step(remote, "phan_loai", {"classification": "accept"})
        step(near, "phan_loai", {"classification": "accept"})
        on(17)
        step(remote, "quyet_dinh_thu_ly", {"complexity": "normal", "acceptance_number": "15/TB-UBND"})
        step(near, "quyet_dinh_thu_ly", {"complexity": "complex", "acceptance_number": "16/TB-UBND"})
        on(1)
        waiting = receive("phan-anh-kien-nghi", {"full_name": "Hồ Thị Nghị", "phone": "0907000999"},
                          {"content": "Kiến nghị niêm yết thủ tục chứng thực bằng mã QR tại bộ phận một cửa."})
        made = [denounced, resolved, forwarded, answered, late, not_admissible, remote, near, waiting]
    finally:
        clock.set_clock(real)
    sweep_inline(owner="seed_demo")
    return made
