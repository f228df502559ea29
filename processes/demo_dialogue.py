"""The demo's dialogue meetings (issue 9), for `make run`: two past meetings of Cai Lậy with their opinions driven
through the real services under the injectable clock, so that every state shows at once — answers published (on the
citizens' portal at /dich-vu-cong/doi-thoai/), one answered and waiting to be published, one overdue (flagged late by
the statutory clock, escalated to the commune's chairman), and fresh ones in the inboxes of xã Hiệp Đức."""
from django.contrib.auth import get_user_model

from engine import clock
from engine.calendar import VN_TZ

from .models import DialogueMeeting, WorkItem
from .services import dialogue
from .services import dossiers as dossier_services
from .services.calendar import calendar_for_unit
from .services.events import Actor
from .services.statutory import subtract_office_hours
from .services.timers import sweep_inline

# (key, field, assigned unit: "commune" | a department kind, working days to answer, the opinion, who raised it)
DISTRICT_OPINIONS = [
    ("land", "dat-dai", "commune", 10,
     "Đề nghị công khai quy hoạch khu dân cư ấp Hiệp Ninh để người dân biết, yên tâm xây nhà.",
     ("Nguyễn Văn Hòa", "0912300111")),
    ("road", "xay-dung", "urban", 15,
     "Đường giao thông nông thôn từ ấp Hiệp Thạnh ra tỉnh lộ 868 xuống cấp, nhiều ổ gà; đề nghị sửa chữa trước mùa "
     "mưa.", ("Lê Thị Thu", "")),
    ("allowance", "bao-tro-xa-hoi", "labour", 20,
     "Đề nghị rút ngắn thời gian xét trợ cấp xã hội hằng tháng cho người cao tuổi neo đơn.", ("", "")),
    ("civil", "ho-tich", "commune", 5,
     "Đề nghị UBND xã bố trí tiếp nhận hồ sơ hộ tịch vào sáng thứ Bảy cho người đi làm xa.",
     ("Phạm Văn Tâm", "0987300222")),
]
COMMUNE_OPINIONS = [
    ("light", "phan-anh-kien-nghi", "commune", 15,
     "Đề nghị lắp đèn chiếu sáng đoạn đường từ chợ Hiệp Đức đến trường tiểu học.", ("Trần Thị Mai", "")),
    ("certify", "ho-tich", "commune", 5,
     "Người dân phản ánh phải chờ lâu khi trích lục khai sinh; đề nghị bố trí thêm cán bộ vào đầu tuần.", ("", "")),
]
ANSWERS = {
    "land": "UBND xã đã niêm yết quy hoạch khu dân cư ấp Hiệp Ninh tại trụ sở UBND xã và nhà văn hóa ấp; bản đồ "
            "quy hoạch được đăng trên trang thông tin điện tử của huyện. Người dân có thể đến bộ phận một cửa để "
            "được hướng dẫn.",
    "road": "Phòng Kinh tế và Hạ tầng đã khảo sát tuyến đường; huyện bố trí vốn sửa chữa trong quý I, thi công "
            "trước mùa mưa. Trong thời gian chờ, UBND xã tổ chức vá ổ gà tạm thời.",
    "allowance": "Hồ sơ trợ cấp của người cao tuổi neo đơn được ưu tiên thẩm định trong 10 ngày làm việc; Phòng Lao "
                 "động - Thương binh và Xã hội hướng dẫn UBND các xã niêm yết danh sách hằng tháng.",
}


def _actor(username):
    return Actor(get_user_model().objects.get(username=username))


def _complete(dossier, bpmn_id, username, data=None):
    item = WorkItem.objects.get(dossier=dossier, bpmn_id=bpmn_id, status="open")
    dossier_services.complete_work_item(item_id=item.pk, actor=_actor(username), data=data or {})


def seed_demo_dialogue(seeded):
    """Idempotent: does nothing (returns []) when the district's tree already has dialogue meetings. Returns the
    meetings made."""
    district, hiepduc = seeded["district"], seeded["communes"]["hiepduc"]
    departments = seeded["departments"]
    if DialogueMeeting.objects.filter(unit__in=[district, *seeded["communes"].values()]).exists():
        return []
    leaders = {"commune": "ct.hiepduc", "urban": "tp.kthh", "labour": "tp.ldtbxh"}
    units = {"commune": hiepduc, **departments}
    real = clock.get_clock()
    now = real.now()
    calendar = calendar_for_unit(district)
    fixed = clock.FixedClock(subtract_office_hours(calendar, now, 30 * calendar.hours_per_day))

    def ago(working_days):
        """`working_days` working days before now (never before the moment already reached)."""
        fixed.set(max(fixed.now(), subtract_office_hours(calendar, now, working_days * calendar.hours_per_day)))
        return fixed.now()

    made, opinions = [], {}
    clock.set_clock(fixed)
    try:
        held = ago(20)
        meeting = dialogue.record_meeting(
            _actor("motcua.huyen"), district.code, held.astimezone(VN_TZ).date(),
            "Ông Trần Văn Chủ, Chủ tịch UBND huyện (chủ trì); lãnh đạo các phòng Kinh tế và Hạ tầng, Lao động - "
            "Thương binh và Xã hội, Tư pháp; Chủ tịch UBND xã Hiệp Đức", 126, commune_code=hiepduc.code,
            place="Hội trường UBND xã Hiệp Đức",
            summary="Hội nghị đối thoại giữa Chủ tịch UBND huyện với nhân dân xã Hiệp Đức về đất đai, giao thông "
                    "nông thôn, an sinh xã hội và thủ tục hành chính.")
        made.append(meeting)
        for key, field, where, days, content, (name, phone) in DISTRICT_OPINIONS:
            opinions[key] = (dialogue.add_opinion(_actor("motcua.huyen"), meeting.pk, content, field, units[where].code,
                                                  response_days=days, citizen_name=name, citizen_phone=phone),
                             leaders[where])
        for key, answered, published in (("land", 17, 16), ("road", 12, 11), ("allowance", 1, None)):
            dossier, leader = opinions[key]
            ago(answered)
            _complete(dossier, dialogue.ANSWER_STEP, leader, {"answer": ANSWERS[key]})
            if published is not None:
                ago(published)
                _complete(dossier, dialogue.PUBLISH_STEP, leader)
        # "civil" stays unanswered past its 5 working days: late once the timers below have run

        held = ago(2)
        meeting = dialogue.record_meeting(
            _actor("motcua.hiepduc"), hiepduc.code, held.astimezone(VN_TZ).date(),
            "Chủ tịch UBND xã Hiệp Đức (chủ trì); Bí thư Đảng ủy xã; Chủ tịch Ủy ban MTTQ xã", 58,
            commune_code=hiepduc.code, place="Nhà văn hóa ấp Hiệp Ninh",
            summary="Tiếp xúc, đối thoại định kỳ quý IV với nhân dân ấp Hiệp Ninh và ấp Hiệp Thạnh.")
        made.append(meeting)
        for key, field, where, days, content, (name, phone) in COMMUNE_OPINIONS:
            dialogue.add_opinion(_actor("motcua.hiepduc"), meeting.pk, content, field, units[where].code,
                                 response_days=days, citizen_name=name, citizen_phone=phone)
    finally:
        clock.set_clock(real)
    sweep_inline(owner="seed_demo_dialogue")  # what fell due meanwhile: the late opinion's warning, lateness
    return made
