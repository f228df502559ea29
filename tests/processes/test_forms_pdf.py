"""Printable forms as PDF (issue 4) for both legal regimes: every form of Circular 01/2018/TT-VPCP (01–06) for a dossier
received in 2019 and every form of Circular 03/2025/TT-VPCP (01–07) for one received in 2025, rendered by WeasyPrint
and read back with pypdf: the circular named, Vietnamese diacritics intact, code, names and dd/mm/yyyy dates, paper
size A5 (A4 landscape for the register), form 01 as two copies with its QR code, the substitutes' wording."""
import io
import re
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from pypdf import PdfReader

from processes.models import Dossier, Membership, Timer, WorkItem
from processes.services import forms, timers
from processes.services.pdf import pdf_text

from .helpers import at, official_for, receive

HIEPDUC = "003.00.16.H57"
CITIZEN = {"full_name": "Trần Thị Bình", "id_number": "082090001234", "phone": "0912345678",
           "email": "binh@example.vn", "address": "ấp 3, xã Hiệp Đức"}
A5 = (419.5, 595.3)
A4_LANDSCAPE = (841.9, 595.3)

REGIMES = [
    pytest.param("2019-03-04 09:00", "nd61-2018", "Thông tư 01/2018/TT-VPCP", id="tt01-2018"),
    pytest.param("2025-09-08 09:00", "nd118-2025", "Thông tư 03/2025/TT-VPCP", id="tt03-2025"),
]


def squash(text):
    return re.sub(r"\s+", "", text)


def read(pdf):
    """(pages, text, sizes) of a PDF."""
    reader = PdfReader(io.BytesIO(pdf))
    sizes = [(round(float(p.mediabox.width), 1), round(float(p.mediabox.height), 1)) for p in reader.pages]
    return len(reader.pages), pdf_text(pdf), sizes


def check(rendered, *, circular, size=A5, contains=(), absent=()):
    """The PDF of a rendered form: paper size on every page, the circular and the form number named, each string of
    `contains` in its text (white space ignored: pypdf breaks lines where the layout does)."""
    pdf = forms.form_pdf(rendered)
    assert pdf.startswith(b"%PDF-")
    pages, text, sizes = read(pdf)
    assert all(s == size for s in sizes), sizes
    flat = squash(text)
    assert squash(f"Mẫu số {rendered.number} ({circular})") in flat, text
    for needle in contains:
        assert squash(needle) in flat, (needle, text)
    for needle in absent:
        assert squash(needle) not in flat, (needle, text)
    return pages, text


def complete_step(api, code, data=None, username=None):
    item = WorkItem.objects.filter(dossier__code=code, kind="step", status="open").order_by("given_at", "id").first()
    assert item is not None, "no open step"
    client = api(username or official_for(item.unit.code, item.role))
    assert client.post(f"/api/v1/tasks/{item.pk}/claim/").status_code == 200
    done = client.post(f"/api/v1/tasks/{item.pk}/complete/", {"data": data or {}}, format="json")
    assert done.status_code == 200, done.content
    return item


def deputy():
    """An official who stands in for the absent chairman of Hiệp Đức (WorkItem.completed_for names the chairman)."""
    user, _ = get_user_model().objects.get_or_create(username="pct.hiepduc",
                                                     defaults={"first_name": "Lê Văn Phó"})
    return user


def ymd(dt):
    return forms.fmt_date(dt)


# ---------------------------------------------------------------------------------------------------------------
# form 01


@pytest.mark.parametrize("start,regime,circular", REGIMES)
def test_form_01_is_two_a5_copies_with_the_qr_code_in_the_regime_of_the_dossier(demo, api, settings, start, regime,
                                                                                  circular):
    settings.PUBLIC_BASE_URL = "https://motcua.example.vn"
    at(start)
    code = receive(api, "nhan-cha-me-con", HIEPDUC, applicant=CITIZEN)["code"]
    dossier = Dossier.objects.get(code=code)
    assert dossier.regime.code == regime
    rendered = forms.form_01(dossier)
    assert rendered.number == "01" and rendered.title == "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"
    url = f"https://motcua.example.vn/tra-cuu/?ma={code}"
    # The QR code is an inline SVG of the tracking address (drawn as paths), and the address is printed too.
    assert rendered.html.count("<svg") == 2 and "<path" in rendered.html and rendered.html.count(url) >= 2
    pages, text = check(rendered, circular=circular, contains=[
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", code, "Trần Thị Bình", "ấp 3, xã Hiệp Đức", "0912345678",
        "UBND XÃ HIỆP ĐỨC", "Đăng ký nhận cha, mẹ, con", "Tờ khai đăng ký nhận cha, mẹ, con",
        "Chứng cứ chứng minh quan hệ cha, mẹ, con", "3 ngày làm việc",
        f"09 giờ 00 phút, ngày {ymd(dossier.received_at)}", f"ngày {ymd(dossier.due_at)}",
        "Một cửa Hiệp Đức", "NGƯỜI NỘP HỒ SƠ", "NGƯỜI TIẾP NHẬN HỒ SƠ", url, "Số thứ tự: 1",
    ])
    assert pages == 2
    first, second = text.split("\f")
    assert "Liên 1: Giao người nộp hồ sơ" in first and "Liên 2" not in first
    assert "Liên 2: Lưu tại Bộ phận Tiếp nhận và Trả kết quả" in second and "Liên 1" not in second
    assert code in squash(first) and code in squash(second)
    assert squash("BỘ PHẬN MỘT CỬA" if regime == "nd118-2025" else "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ") in squash(first)
    # The text version says the same.
    assert code in rendered.text and url in rendered.text and "Trần Thị Bình" in rendered.text
    assert f"Mẫu số 01 ({circular})" in rendered.text


def test_form_01_lists_the_documents_ticked_at_the_desk_and_the_new_appointment(demo, api):
    at("2019-03-04 09:00")
    code = receive(api, "nhan-cha-me-con", HIEPDUC, applicant=CITIZEN)["code"]
    second = receive(api, "nhan-cha-me-con", HIEPDUC, applicant=CITIZEN)["code"]
    dossier = Dossier.objects.get(code=second)
    dossier.documents = [{"name": "Tờ khai đăng ký nhận cha, mẹ, con", "copies": 2, "received": True},
                         {"name": "Giấy xác nhận ADN", "copies": 1, "received": True},
                         {"name": "Sổ hộ khẩu", "copies": 1, "received": False}]
    dossier.appointment_at = dossier.due_at + timedelta(days=2)
    dossier.save(update_fields=["documents", "appointment_at"])
    rendered = forms.form_01(dossier)
    _, text = check(rendered, circular="Thông tư 01/2018/TT-VPCP",
                    contains=["Tờ khai đăng ký nhận cha, mẹ, con: 2 bản", "Giấy xác nhận ADN: 1 bản", "hẹn lại",
                              f"ngày {ymd(dossier.appointment_at)}", "Số thứ tự: 2"],
                    absent=["Sổ hộ khẩu", "Chứng cứ chứng minh"])
    assert code not in squash(text)


# ---------------------------------------------------------------------------------------------------------------
# forms 02, 04 and the control sheet (05 / 06), with a substitute


def _supplement_then_apologise(api, start):
    """A social-allowance dossier: documents requested (02) and supplied, then late: the explanation item opens and
    the chairman's deputy files the apology (04) for him; one step done by the deputy too."""
    clock = at(start)
    code = receive(api, "tro-cap-xa-hoi", HIEPDUC, applicant=CITIZEN)["code"]
    step = WorkItem.objects.get(dossier__code=code, kind="step", status="open")
    assert api("tuphap.hiepduc").post(f"/api/v1/tasks/{step.pk}/claim/").status_code == 200
    clock.set(clock.now() + timedelta(days=1))
    asked = api("tuphap.hiepduc").post(f"/api/v1/dossiers/{code}/supplement-request/", {
        "items": [{"name": "Giấy xác nhận khuyết tật", "kind": "bản sao chứng thực", "quantity": 1}],
        "reason": "Thiếu giấy tờ chứng minh đối tượng hưởng trợ cấp"}, format="json")
    assert asked.status_code == 200, asked.content
    clock.set(clock.now() + timedelta(days=2))
    assert api("motcua.hiepduc").post(f"/api/v1/dossiers/{code}/supplement-received/").status_code == 200
    opens = Timer.objects.get(dossier__code=code, kind="explanation_opens", status="scheduled")
    clock.set(opens.due_at + timedelta(minutes=5))
    timers.sweep_inline()
    item = WorkItem.objects.get(dossier__code=code, kind="explain_delay", status="open")
    dossier = Dossier.objects.get(code=code)
    new_appointment = dossier.due_at + timedelta(days=3)
    filed = api("ct.hiepduc").post(f"/api/v1/tasks/{item.pk}/explain/", {
        "reason": "Phải xác minh thêm thông tin hộ khẩu của đối tượng",
        "new_appointment": new_appointment.isoformat()}, format="json")
    assert filed.status_code == 200, filed.content
    chairman = get_user_model().objects.get(username="ct.hiepduc")
    # As if the deputy had done it for the absent chairman (the substitutes feature records it so).
    WorkItem.objects.filter(pk=item.pk).update(completed_by=deputy(), completed_for=chairman)
    dossier.explanations.update(filed_by=deputy())
    done = complete_step(api, code)  # the specialist's first step
    WorkItem.objects.filter(pk=done.pk).update(completed_by=deputy(), completed_for=chairman)
    return Dossier.objects.get(code=code)


@pytest.mark.parametrize("start,regime,circular", REGIMES)
def test_supplementation_apology_and_control_sheet(demo, api, start, regime, circular):
    dossier = _supplement_then_apologise(api, start)
    is_2025 = regime == "nd118-2025"
    refs = forms.dossier_forms(dossier)
    control = "06" if is_2025 else "05"
    assert [(r.number, r.seq) for r in refs] == [("01", None), ("02", 1), ("04", 1), (control, None)]

    _, supplement = forms.render_dossier_form(dossier, "02", 1)
    request = dossier.supplementations.get()
    check(supplement, circular=circular, contains=[
        "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", "01/HDHS", dossier.code, "Trần Thị Bình",
        "Giấy xác nhận khuyết tật", "bản sao chứng thực", "Thiếu giấy tờ chứng minh đối tượng hưởng trợ cấp",
        f"Ngày tiếp nhận: {forms.fmt_datetime(dossier.received_at)}", "Tư pháp - hộ tịch Hiệp Đức",
        forms.date_line("Hiệp Đức", request.requested_at),
        "Nghị định 118/2025/NĐ-CP" if is_2025 else "khoản 4 Điều 19 Nghị định 61/2018/NĐ-CP",
    ])

    _, apology = forms.render_dossier_form(dossier, "04", 1)
    explanation = dossier.explanations.get()
    title = ("VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT" if is_2025
             else "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ")
    check(apology, circular=circular, contains=[
        title, "01/PXL", dossier.code, "Trần Thị Bình", "Phải xác minh thêm thông tin hộ khẩu",
        forms.fmt_long(explanation.new_appointment), forms.fmt_long(dossier.due_at),
        "KT. THỦ TRƯỞNG CƠ QUAN", "Lê Văn Phó", "(thay Chủ tịch UBND xã Hiệp Đức vắng mặt)",
    ] + (["đề nghị ông/bà đồng ý gia hạn"] if is_2025 else []))
    assert "KT. THỦ TRƯỞNG CƠ QUAN" in apology.text and "thay Chủ tịch UBND xã Hiệp Đức vắng mặt" in apology.text

    _, sheet = forms.render_dossier_form(dossier, control)
    first = dossier.work_items.filter(kind="step").order_by("given_at", "id").first()
    check(sheet, circular=circular, contains=[
        "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", dossier.code, "Trần Thị Bình", "Trợ cấp xã hội hằng tháng",
        forms.fmt_long(first.given_at), "Lê Văn Phó (thay Chủ tịch UBND xã Hiệp Đức vắng mặt)",
    ])
    # The regime decides what number 05 is.
    if is_2025:
        with pytest.raises(forms.FormNotAvailable):
            forms.find_form(dossier, "05")  # no stop notice: the dossier is still being processed
    else:
        assert forms.find_form(dossier, "05").kind == "control"
    with pytest.raises(forms.FormNotAvailable):
        forms.find_form(dossier, "03")
    with pytest.raises(forms.FormNotAvailable):
        forms.find_form(dossier, "02", 2)
    # The receipt now shows the new appointment.
    check(forms.form_01(dossier), circular=circular,
          contains=[forms.fmt_long(explanation.new_appointment), "hẹn lại"])


# ---------------------------------------------------------------------------------------------------------------
# form 03 and the 2025 stop notice (05)


@pytest.mark.parametrize("start,regime,circular", REGIMES)
def test_refusal_and_the_stop_notice(demo, api, start, regime, circular):
    clock = at(start)
    refused = receive(api, "nhan-cha-me-con", HIEPDUC, applicant=CITIZEN)["code"]
    withdrawn = receive(api, "tro-cap-xa-hoi", HIEPDUC, applicant=CITIZEN)["code"]
    clock.set(clock.now() + timedelta(hours=3))
    reasons = ["Người nhận con không phải là cha đẻ theo kết quả giám định"]
    answer = api("tuphap.hiepduc").post(f"/api/v1/dossiers/{refused}/refuse/", {"reasons": reasons}, format="json")
    assert answer.status_code == 200, answer.content
    answer = api("motcua.hiepduc").post(f"/api/v1/dossiers/{withdrawn}/withdraw/",
                                        {"reason": "Người nộp xin rút hồ sơ để bổ sung sau"}, format="json")
    assert answer.status_code == 200, answer.content
    is_2025 = regime == "nd118-2025"
    refused_dossier = Dossier.objects.get(code=refused)
    withdrawn_dossier = Dossier.objects.get(code=withdrawn)
    control = "06" if is_2025 else "05"
    expected = [("01", None), ("03", None)] + ([("05", None)] if is_2025 else []) + [(control, None)]
    assert [(r.number, r.seq) for r in forms.dossier_forms(refused_dossier)] == expected

    _, refusal = forms.render_dossier_form(refused_dossier, "03")
    check(refusal, circular=circular, contains=[
        "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ", refused, "Trần Thị Bình", reasons[0], "NGƯỜI TỪ CHỐI",
        "Tư pháp - hộ tịch Hiệp Đức", forms.date_line("Hiệp Đức", refused_dossier.finished_at),
    ], absent=["KT."])

    if not is_2025:
        with pytest.raises(KeyError):
            forms.form_stop(refused_dossier)  # Circular 01/2018 has no stop notice
        assert [r.number for r in forms.dossier_forms(withdrawn_dossier)] == ["01", "05"]
        return
    _, stop = forms.render_dossier_form(refused_dossier, "05")
    check(stop, circular=circular, contains=[
        "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ", refused, "Trần Thị Bình", reasons[0], "Đăng ký nhận cha, mẹ, con",
        forms.fmt_long(refused_dossier.finished_at), "Tư pháp - hộ tịch Hiệp Đức",
    ])
    assert [r.number for r in forms.dossier_forms(withdrawn_dossier)] == ["01", "05", "06"]
    _, stop = forms.render_dossier_form(withdrawn_dossier, "05")
    check(stop, circular=circular, contains=[
        "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ", withdrawn, "Theo đề nghị rút hồ sơ của người nộp hồ sơ",
        "Người nộp xin rút hồ sơ để bổ sung sau", "Một cửa Hiệp Đức", "Trợ cấp xã hội hằng tháng",
    ])


def test_a_refusal_by_a_substitute_says_so(demo, api):
    """A deputy with a Substitution for the absent chairman refuses: form 03 prints KT. and 'thay … vắng mặt'."""
    from processes.models import Substitution

    clock = at("2025-09-08 09:00")
    code = receive(api, "nhan-cha-me-con", HIEPDUC, applicant=CITIZEN)["code"]
    chairman = get_user_model().objects.get(username="ct.hiepduc")
    dossier = Dossier.objects.get(code=code)
    Substitution.objects.create(unit=demo["hiepduc"], role="signing_leader", absent=chairman, substitute=deputy(),
                                starts_on=date(2025, 9, 8), ends_on=date(2025, 9, 12), created_at=clock.now())
    assert forms.acting_for(deputy(), demo["hiepduc"], "signing_leader", clock.now()) == chairman
    assert forms.acting_for(chairman, demo["hiepduc"], "signing_leader", clock.now()) is None
    assert forms.acting_for(deputy(), demo["hiepduc"], "signing_leader", clock.now() + timedelta(days=7)) is None
    rendered = forms.form_03(dossier, ["Không thuộc thẩm quyền"], refused_by=deputy(), refused_at=clock.now(),
                             unit=demo["hiepduc"], acting_for=chairman)
    check(rendered, circular="Thông tư 03/2025/TT-VPCP",
          contains=["KT. NGƯỜI TỪ CHỐI", "Lê Văn Phó", "(thay Chủ tịch UBND xã Hiệp Đức vắng mặt)"])
    assert not Membership.objects.filter(user=deputy()).exists()


# ---------------------------------------------------------------------------------------------------------------
# the register (06 / 07)


@pytest.mark.parametrize("start,regime,circular", REGIMES)
def test_register_of_a_unit_for_a_period_is_a4_landscape(demo, api, start, regime, circular):
    clock = at(start)
    first = receive(api, "nhan-cha-me-con", HIEPDUC, applicant=CITIZEN)["code"]
    second = receive(api, "tro-cap-xa-hoi", HIEPDUC,
                     applicant={"full_name": "Lê Văn Đức", "phone": "0987654321"})["code"]
    other = receive(api, "nhan-cha-me-con", "014.00.16.H57")["code"]  # Tam Bình: not in Hiệp Đức's register
    clock.set(clock.now() + timedelta(hours=1))
    complete_step(api, first, {"needs_verification": False})
    complete_step(api, first, {"approved": True})
    finished = Dossier.objects.get(code=first)
    assert finished.finished_at is not None
    day = finished.received_at.astimezone(forms.VN_TZ).date()
    rendered = forms.register(demo["hiepduc"], day - timedelta(days=3), day + timedelta(days=3),
                              now=clock.now() + timedelta(days=60))
    number = "07" if regime == "nd118-2025" else "06"
    assert rendered.number == number
    pages, text = check(rendered, circular=circular, size=A4_LANDSCAPE, contains=[
        "SỔ THEO DÕI HỒ SƠ", f"Từ ngày {day - timedelta(days=3):%d/%m/%Y} đến ngày {day + timedelta(days=3):%d/%m/%Y}",
        first, second, "Trần Thị Bình", "Lê Văn Đức", "0987654321", "Đăng ký nhận cha, mẹ, con",
        "Trợ cấp xã hội hằng tháng", ymd(finished.received_at), ymd(finished.due_at), ymd(finished.finished_at),
        "Trước hạn", "Quá hạn", "Tổng số hồ sơ: 2", "UBND XÃ HIỆP ĐỨC",
    ], absent=[other])
    assert pages == 1
    rows = forms.register_rows(demo["hiepduc"], day, day)
    assert [(r["n"], r["code"]) for r in rows] == [(1, first), (2, second)]
    # An empty period still prints, and says so.
    empty = forms.register(demo["hiepduc"], day + timedelta(days=10), day + timedelta(days=11))
    check(empty, circular=circular, size=A4_LANDSCAPE, contains=["Không có hồ sơ nào được tiếp nhận trong kỳ",
                                                                  "Tổng số hồ sơ: 0"])


def test_a_long_register_runs_over_several_pages_with_its_header_repeated(demo, api):
    at("2019-03-04 09:00")
    codes = [receive(api, "nhan-cha-me-con", HIEPDUC, applicant=CITIZEN)["code"] for _ in range(30)]
    rendered = forms.register(demo["hiepduc"], date(2019, 3, 1), date(2019, 3, 31))
    pages, text = check(rendered, circular="Thông tư 01/2018/TT-VPCP", size=A4_LANDSCAPE, contains=codes)
    assert pages >= 2
    assert all("Mã hồ sơ" in page for page in text.split("\f"))
    assert "Trang 2/" in text
