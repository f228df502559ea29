"""The forms of the one-stop procedure in Vietnamese, as plain text (for e-mail, SMS and Explanation.letter) and HTML
(printed as PDF by form_pdf: A5, the register A4 landscape), in the legal regime of the dossier
(shared/docs/domain.md §0):

| kind        | Circular 01/2018/TT-VPCP (nd61-2018)          | Circular 03/2025/TT-VPCP (nd118-2025)                  |
|-------------|-----------------------------------------------|--------------------------------------------------------|
| receipt     | 01 Giấy tiếp nhận hồ sơ và hẹn trả kết quả    | 01 (same)                                              |
| supplement  | 02 Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ    | 02 (same)                                              |
| refusal     | 03 Phiếu từ chối tiếp nhận giải quyết hồ sơ   | 03 (same)                                              |
| apology     | 04 Phiếu xin lỗi và hẹn lại ngày trả kết quả  | 04 Văn bản xin lỗi và đề nghị gia hạn thời gian … |
| stop        | —                                             | 05 Thông báo dừng giải quyết hồ sơ                     |
| control     | 05 Phiếu kiểm soát quá trình giải quyết hồ sơ | 06 (same)                                              |
| register    | 06 Sổ theo dõi hồ sơ                          | 07 (same)                                              |

Dates are dd/mm/yyyy and times HH:MM in Asia/Ho_Chi_Minh. Templates: processes/templates/processes/forms/. Field lists
follow shared/docs/domain.md §1.6 (reconstructed from public implementations, not the official annexes; each template
says what it reconstructed). A step or letter done by a substitute (WorkItem.completed_for, Substitution) prints
"KT." and "(thay … vắng mặt)".
"""
from dataclasses import dataclass
from decimal import Decimal

from django.template.loader import render_to_string

from engine import clock
from engine.calendar import VN_TZ

from ..models import CaseKind, Channel, StepResult, WorkItemKind, WorkItemStatus

TEMPLATE_DIR = "processes/forms"
UNIT_PREFIXES = ("UBND tỉnh ", "UBND huyện ", "UBND xã ", "UBND phường ", "UBND thị trấn ", "UBND ")
RESULT_LABELS = {StepResult.EARLY: "Trước hạn", StepResult.ON_TIME: "Đúng hạn", StepResult.LATE: "Quá hạn"}


@dataclass(frozen=True)
class Rendered:
    number: str
    title: str
    text: str
    html: str

    def as_dict(self):
        return {"number": self.number, "title": self.title, "text": self.text, "html": self.html}


# ---------------------------------------------------------------------------------------------------------------
# formatting


def local(dt):
    return dt.astimezone(VN_TZ) if dt is not None else None


def fmt_date(dt):
    """dd/mm/yyyy in Vietnam's time zone ('' for None)."""
    return f"{local(dt):%d/%m/%Y}" if dt is not None else ""


def fmt_time(dt):
    return f"{local(dt):%H:%M}" if dt is not None else ""


def fmt_datetime(dt):
    """HH:MM dd/mm/yyyy, as on form 01."""
    return f"{fmt_time(dt)} {fmt_date(dt)}" if dt is not None else ""


def fmt_long(dt):
    """'HH giờ MM phút, ngày dd/mm/yyyy', as the forms write an appointment."""
    if dt is None:
        return ""
    t = local(dt)
    return f"{t:%H} giờ {t:%M} phút, ngày {t:%d/%m/%Y}"


def date_line(place, dt):
    t = local(dt)
    return f"{place}, ngày {t:%d} tháng {t:%m} năm {t:%Y}"


def place_of(unit):
    """'Hiệp Đức' for 'UBND xã Hiệp Đức'."""
    name = unit.name
    for prefix in UNIT_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def person_name(user):
    if user is None:
        return ""
    return (user.get_full_name() or user.first_name or user.username).strip()


def hours_text(hours):
    if hours is None:
        return ""
    hours = Decimal(hours)
    return f"{hours.normalize():f} giờ"


# ---------------------------------------------------------------------------------------------------------------
# the two legal regimes: which circular, which number each kind of form has


REGIME_61 = "nd61-2018"
REGIME_118 = "nd118-2025"

# kind of form → (number, title) in each regime (processes/reference.py lists the same forms by number).
REGIME_FORMS = {
    REGIME_61: {
        "receipt": ("01", "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"),
        "supplement": ("02", "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"),
        "refusal": ("03", "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ"),
        "apology": ("04", "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"),
        "control": ("05", "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"),
        "register": ("06", "SỔ THEO DÕI HỒ SƠ"),
    },
    REGIME_118: {
        "receipt": ("01", "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"),
        "supplement": ("02", "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"),
        "refusal": ("03", "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ"),
        "apology": ("04", "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT"),
        "stop": ("05", "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ"),
        "control": ("06", "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"),
        "register": ("07", "SỔ THEO DÕI HỒ SƠ"),
    },
}
REGIME_TEXTS = {
    REGIME_61: {"circular": "Thông tư 01/2018/TT-VPCP", "decree": "Nghị định 61/2018/NĐ-CP",
                "supplement_article": "khoản 4 Điều 19 Nghị định 61/2018/NĐ-CP",
                "desk": "Bộ phận Tiếp nhận và Trả kết quả"},
    REGIME_118: {"circular": "Thông tư 03/2025/TT-VPCP", "decree": "Nghị định 118/2025/NĐ-CP",
                 "supplement_article": "Nghị định 118/2025/NĐ-CP", "desk": "Bộ phận Một cửa"},
}


def regime_code(obj):
    """The regime code of a dossier or intake notice (or a regime, or a code); unknown → the 2018 regime."""
    if isinstance(obj, str):
        code = obj
    else:
        regime = getattr(obj, "regime", obj)
        code = getattr(regime, "code", None)
    return code if code in REGIME_FORMS else REGIME_61


def form_number(obj, kind):
    """'05' for the control sheet of a 2018 dossier, '06' for a 2025 one; None when the regime has no such form."""
    entry = REGIME_FORMS[regime_code(obj)].get(kind)
    return entry[0] if entry else None


def form_kind(obj, number):
    """The kind ('receipt', 'control', …) of form `number` in the regime of obj, or None."""
    for kind, (n, _title) in REGIME_FORMS[regime_code(obj)].items():
        if n == number:
            return kind
    return None


def regime_context(obj):
    code = regime_code(obj)
    return {"regime_code": code, **REGIME_TEXTS[code], "is_2025": code == REGIME_118}


def _numbered(obj, kind):
    number, title = REGIME_FORMS[regime_code(obj)][kind]
    return number, title


def _common(dossier, at):
    unit = dossier.receiving_unit
    applicant = dossier.applicant
    return {
        **regime_context(dossier),
        "dossier": dossier,
        "code": dossier.code,
        "agency": unit.name,
        "agency_parent": unit.parent.name if unit.parent_id else "",
        "date_line": date_line(place_of(unit), at),
        "applicant": {"name": applicant.full_name, "address": applicant.address, "phone": applicant.phone,
                      "email": applicant.email},
        "procedure": dossier.procedure.name,
        "received": fmt_datetime(dossier.received_at),
        "received_date": fmt_date(dossier.received_at),
        "due": fmt_datetime(dossier.due_at),
        "due_long": fmt_long(dossier.due_at),
    }


def _render(name, number, title, context):
    context = {**context, "form_number": number, "form_title": title}
    html = render_to_string(f"{TEMPLATE_DIR}/{name}.html", context)
    text = render_to_string(f"{TEMPLATE_DIR}/{name}_text.html", context)
    return Rendered(number=number, title=title, text=_tidy(text), html=html)


def _tidy(text):
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out = []
    for line in lines:
        if line or (out and out[-1]):  # at most one blank line in a row
            out.append(line)
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------------------------
# form 01: the receipt with the appointment, two copies


RECEIPT_COPIES = ("Liên 1: Giao người nộp hồ sơ", "Liên 2: Lưu tại Bộ phận Tiếp nhận và Trả kết quả")
# A case's receipt (issue 9: complaints, denunciations, petitions are letters, not dossiers of a public service): the
# same two copies, worded for a letter; no number of Circular 01/2018, whose forms are the public services'.
CASE_RECEIPT_COPIES = ("Liên 1: Giao người gửi đơn", "Liên 2: Lưu tại Bộ phận Tiếp nhận và Trả kết quả")
CASE_RECEIPT_TITLES = {CaseKind.COMPLAINT: "GIẤY TIẾP NHẬN ĐƠN KHIẾU NẠI",
                       CaseKind.DENUNCIATION: "GIẤY TIẾP NHẬN ĐƠN TỐ CÁO",
                       CaseKind.PETITION: "GIẤY TIẾP NHẬN PHẢN ÁNH, KIẾN NGHỊ",
                       CaseKind.DIALOGUE: "GIẤY TIẾP NHẬN Ý KIẾN TẠI HỘI NGHỊ ĐỐI THOẠI"}
LIMIT_UNITS = {"working_days": "ngày làm việc", "calendar_days": "ngày", "same_day": "trong ngày"}


def number_text(value):
    """'15' for Decimal('15.00'), '0,5' for 0.5 (Vietnamese decimal comma)."""
    return f"{Decimal(value).normalize():f}".replace(".", ",")


def limit_text(procedure, extension_days=0):
    if procedure.statutory_unit == "same_day" or not procedure.statutory_limit:
        text = "Trong ngày"
    else:
        text = f"{number_text(procedure.statutory_limit)} {LIMIT_UNITS.get(procedure.statutory_unit, 'ngày')}"
    if extension_days:
        text += f" (gia hạn theo quy định thêm {number_text(extension_days)} ngày làm việc)"
    return text


def tracking_url(code, secret=""):
    """The public look-up of a dossier; with the receipt's secret it opens the detailed progress (the QR code)."""
    from urllib.parse import quote

    from django.conf import settings

    url = f"{settings.PUBLIC_BASE_URL}/tra-cuu/?ma={quote(code, safe='.-_')}"
    return f"{url}&mk={quote(secret, safe='')}" if secret else url



def register_sequence(dossier):
    """The dossier's number in the year's register of its receiving unit (numbers run from 1 each year, TT 01/2018
    Art. 9): the dossiers that unit received that year up to this one."""
    from ..models import Dossier

    year = local(dossier.received_at).year
    return (Dossier.objects.filter(receiving_unit_id=dossier.receiving_unit_id,
                                   received_at__year=year, received_at__lte=dossier.received_at)
            .exclude(received_at=dossier.received_at, id__gt=dossier.id).count())


def received_documents(dossier):
    """[{"n", "name", "copies"}]: the checklist ticked at the desk (only what was received), else the procedure's
    required documents."""
    source = [d for d in (dossier.documents or []) if isinstance(d, dict) and d.get("received", True)]
    if not source:
        source = [d if isinstance(d, dict) else {"name": str(d)} for d in (dossier.procedure.required_documents or [])]
    return [{"n": i, "name": d.get("name", ""), "copies": d.get("copies") or 1}
            for i, d in enumerate(source, start=1)]


def form_01(dossier):
    """Giấy tiếp nhận hồ sơ và hẹn trả kết quả (Mẫu số 01, both regimes): two copies in one document (A5), one for
    the applicant and one kept at the desk with the control sheet; a QR code of the public tracking page."""
    from .pdf import qr_svg

    number, title = _numbered(dossier, "receipt")
    appointment = dossier.appointment_at or dossier.due_at
    extension_days = dossier.legal_extension_days
    case = dossier.procedure.kind in CASE_RECEIPT_TITLES
    if case:
        title = CASE_RECEIPT_TITLES[dossier.procedure.kind]
        if dossier.clock_phase:  # a later phase runs now: the receipt keeps the first limit, counted from reception
            from .calendar import calendar_for_unit, statutory_due_at

            appointment = statutory_due_at(calendar_for_unit(dossier.receiving_unit), dossier.received_at,
                                           dossier.procedure.statutory_limit, dossier.procedure.statutory_unit)
            extension_days = 0
    url = tracking_url(dossier.code, dossier.lookup_secret)
    context = {
        **_common(dossier, dossier.received_at),
        "header_desk": True,
        "copies": CASE_RECEIPT_COPIES if case else RECEIPT_COPIES,
        "case": case,
        "case_content": (dossier.data or {}).get("content", "") if case else "",
        "remote_area": case and bool((dossier.data or {}).get("remote_area")),
        "documents": received_documents(dossier),
        "sets": 1,
        "limit": limit_text(dossier.procedure, extension_days),
        "received_long": fmt_long(dossier.received_at),
        "appointment_long": fmt_long(appointment),
        "appointment": fmt_datetime(appointment),
        "reappointed": dossier.appointment_at is not None,
        "official": person_name(dossier.received_by),
        "channel": Channel(dossier.channel).label if dossier.channel in Channel.values else "",
        "return_place": f"{REGIME_TEXTS[regime_code(dossier)]['desk']} — {dossier.receiving_unit.name}",
        "register_year": local(dossier.received_at).year,
        "register_number": register_sequence(dossier),
        "tracking_url": tracking_url(dossier.code),
        # The secret opens the detailed progress: printed, and in the QR code, on the applicant's copy only.
        "lookup_secret": dossier.lookup_secret,
        "qr": qr_svg(url, scale=2),
        "qr_public": qr_svg(tracking_url(dossier.code), scale=2),
    }
    return _render("form_01", number, title, context)


def form_pdf(rendered):
    """The PDF bytes of a rendered form (its HTML's @page sets A5 or A4)."""
    from .pdf import render_pdf

    return render_pdf(rendered.html)


# ---------------------------------------------------------------------------------------------------------------
# forms 02–04


def form_02(dossier, supplementation, *, requested_by=None):
    """Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (…/HDHS), Mẫu số 02 in both regimes."""
    items = [
        {"n": i, "name": item.get("name", ""), "kind": item.get("kind", ""), "quantity": item.get("quantity", 1),
         "note": item.get("note", "")}
        for i, item in enumerate(supplementation.items, start=1)
    ]
    context = {
        **_common(dossier, supplementation.requested_at),
        "header_desk": True,
        "number": f"{supplementation.sequence:02d}/HDHS",
        "sequence": supplementation.sequence,
        "items": items,
        "reason": supplementation.reason,
        "official": person_name(requested_by or supplementation.requested_by),
        "requested": fmt_datetime(supplementation.requested_at),
    }
    return _render("form_02", *_numbered(dossier, "supplement"), context)


def form_03(dossier, reasons, *, refused_by, refused_at, unit, acting_for=None):
    """Phiếu từ chối tiếp nhận giải quyết hồ sơ, Mẫu số 03 in both regimes."""
    context = {
        **_common(dossier, refused_at),
        "reasons": list(reasons),
        "official": person_name(refused_by),
        "acting_for": person_name(acting_for),
        "refusing_unit": unit.name,
        "refused": fmt_datetime(refused_at),
    }
    return _render("form_03", *_numbered(dossier, "refusal"), context)


def form_04(dossier, *, sequence, reason, new_appointment, filed_by, unit, filed_at, acting_for=None):
    """The apology, signed by the head of the unit that caused the delay (or a substitute: "KT." and "thay …
    vắng mặt" when acting_for, the absent leader, is given):
    - Circular 01/2018: Phiếu xin lỗi và hẹn lại ngày trả kết quả (…/PXL);
    - Circular 03/2025: Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết (numbered …/PXL as before)."""
    is_2025 = regime_code(dossier) == REGIME_118
    context = {
        **_common(dossier, filed_at),
        "number": f"{sequence:02d}/PXL",
        "sequence": sequence,
        "reason": reason,
        "new_appointment": fmt_long(new_appointment),
        "new_appointment_short": fmt_datetime(new_appointment),
        "official": person_name(filed_by),
        "acting_for": person_name(acting_for),
        "apologising_unit": unit.name,
    }
    return _render("form_04_2025" if is_2025 else "form_04", *_numbered(dossier, "apology"), context)


def sms_04(dossier, new_appointment):
    return (f"{dossier.receiving_unit.name} xin lỗi vì hồ sơ {dossier.code} chưa có kết quả đúng hẹn; "
            f"hẹn trả kết quả lúc {fmt_datetime(new_appointment)}.")


# ---------------------------------------------------------------------------------------------------------------
# form 05: the control sheet


def _result_of(item, now):
    """Completed hand-overs carry their verdict; an open one is 'late' once past its due time."""
    if item.status == WorkItemStatus.COMPLETED:
        return item.result or ""
    if item.status == WorkItemStatus.OPEN and item.due_at is not None and now > item.due_at:
        return StepResult.LATE
    return ""


def control_sheet(dossier, now=None):
    """Form 05 as rows: every hand-over of the dossier (its step work items, in the order they were given) with the
    unit, the given / received / completed times, the allocation and the step's due time, the result (early, on
    time, late) against the allocation, and who handled it. Returns a dict with the rows and the overall return."""
    from .dossiers import step_result

    now = now or clock.now()
    items = list(
        dossier.work_items.filter(kind=WorkItemKind.STEP)
        .select_related("unit", "claimed_by", "completed_by", "completed_for")
        .order_by("given_at", "id")
    )
    rows = []
    previous_unit = dossier.receiving_unit
    for n, item in enumerate(items, start=1):
        result = _result_of(item, now)
        who = item.completed_by or item.claimed_by
        rows.append({
            "sequence": n,
            "task": item.pk,
            "step": item.bpmn_id,
            "name": item.name,
            "from_unit": previous_unit.code,
            "from_unit_name": (f"Bộ phận tiếp nhận và trả kết quả — {previous_unit.name}" if n == 1
                               else previous_unit.name),
            "unit": item.unit.code,
            "unit_name": item.unit.name,
            "role": item.role,
            "status": item.status,
            "given_at": item.given_at,
            "received_at": item.claimed_at,
            "completed_at": item.completed_at,
            "allocation_hours": item.allocation_hours,
            "due_at": item.due_at,
            "result": result,
            "result_label": RESULT_LABELS.get(result, "Đã hủy" if item.status == WorkItemStatus.CANCELLED else ""),
            "who": who.username if who else None,
            "who_name": person_name(who),
            # a substitute acting for an absent leader: the sheet names both ("thay … vắng mặt")
            "acting_for": item.completed_for.username if item.completed_for_id else None,
            "acting_for_name": person_name(item.completed_for) if item.completed_for_id else "",
        })
        previous_unit = item.unit
    returned = None
    if dossier.finished_at is not None:
        result = step_result(dossier.finished_at, dossier.due_at)
        returned = {"finished_at": dossier.finished_at, "due_at": dossier.due_at, "result": result,
                    "result_label": RESULT_LABELS[result], "outcome": dossier.outcome}
    return {"code": dossier.code, "rows": rows, "returned": returned}


def form_05(dossier, sheet=None, now=None):
    """Phiếu kiểm soát quá trình giải quyết hồ sơ: Mẫu số 05 of Circular 01/2018, Mẫu số 06 of Circular 03/2025."""
    now = now or clock.now()
    sheet = sheet or control_sheet(dossier, now)
    rows = []
    for row in sheet["rows"]:
        rows.append({
            **row,
            "given": fmt_long(row["given_at"]),
            "received": fmt_long(row["received_at"]),
            "completed": fmt_long(row["completed_at"]),
            "due": fmt_datetime(row["due_at"]),
            "allocation": hours_text(row["allocation_hours"]),
        })
    returned = None
    if sheet["returned"]:
        returned = {**sheet["returned"], "finished": fmt_long(sheet["returned"]["finished_at"]),
                    "last_unit": rows[-1]["unit_name"] if rows else dossier.receiving_unit.name}
    units = []
    for row in rows:
        if row["unit_name"] not in units:
            units.append(row["unit_name"])
    context = {
        **_common(dossier, now),
        "rows": rows,
        "returned": returned,
        "processing_units": units,
    }
    return _render("form_05", *_numbered(dossier, "control"), context)


control_sheet_form = form_05



# ---------------------------------------------------------------------------------------------------------------
# Circular 03/2025 form 05: the notice that processing stopped


STOP_EVENTS = ("refused", "withdrawn", "stopped", "not_accepted")
STOPPED_STATUSES = ("stopped", "withdrawn", "not_accepted")


def acting_for(user, unit, role, at):
    """The absent official `user` stood in for at `unit` in `role` on the day of `at` (a Substitution), or None when
    they acted in their own right."""
    from ..models import Membership, Substitution

    if user is None or unit is None or not role:
        return None
    if Membership.objects.filter(user=user, unit=unit, role=role).exists():
        return None
    day = local(at).date()
    substitution = (Substitution.objects.filter(substitute=user, unit=unit, role=role, starts_on__lte=day,
                                                ends_on__gte=day, revoked_at__isnull=True)
                    .select_related("absent").order_by("-starts_on").first())
    return substitution.absent if substitution else None


def _stop_event(dossier):
    return (dossier.events.filter(kind__in=STOP_EVENTS).select_related("actor", "actor_unit")
            .order_by("-id").first())


def refusal_event(dossier):
    return dossier.events.filter(kind="refused").select_related("actor", "actor_unit").order_by("-id").first()


def form_stop(dossier):
    """Thông báo dừng giải quyết hồ sơ (Mẫu số 05, Circular 03/2025 only): a dossier stopped mid-processing — refused
    (status stopped), withdrawn at the applicant's request, or not accepted. Reasons come from the event log."""
    number, title = _numbered(dossier, "stop")  # KeyError under Circular 01/2018: it has no such form
    event = _stop_event(dossier)
    after = (event.data_after or {}) if event else {}
    at = event.at if event else (dossier.finished_at or clock.now())
    unit = (event.actor_unit if event and event.actor_unit_id else None) or dossier.receiving_unit
    if event is not None and event.kind == "withdrawn":
        grounds = "Theo đề nghị rút hồ sơ của người nộp hồ sơ."
        reasons = [after["reason"]] if after.get("reason") else []
    elif event is not None and event.kind == "refused":
        grounds = "Hồ sơ không đủ điều kiện để tiếp tục giải quyết."
        reasons = list(after.get("reasons") or [])
    else:
        grounds = "Hồ sơ không được tiếp nhận giải quyết."
        reasons = list(after.get("reasons") or ([after["reason"]] if after.get("reason") else []))
    signer = event.actor if event else None
    context = {
        **_common(dossier, at),
        "number": "……/TB",  # left for the document register of the issuing office
        "grounds": grounds,
        "reasons": reasons,
        "stopped": fmt_long(at),
        "stopping_unit": unit.name,
        "official": person_name(signer),
        "acting_for": person_name(acting_for(signer, unit, event.actor_role, at) if event else None),
        "status_label": dossier.get_status_display(),
    }
    return _render("form_stop_2025", number, title, context)


# ---------------------------------------------------------------------------------------------------------------
# the register (Sổ theo dõi hồ sơ): Mẫu số 06 of Circular 01/2018, 07 of Circular 03/2025 — A4 landscape


def _regime_on(day):
    from .dossiers import regime_for
    from .errors import InvalidInput

    try:
        return regime_for(day)
    except InvalidInput:
        return REGIME_61


def register_rows(unit, date_from, date_to, now=None, viewer=None):
    """One row per dossier the unit received from date_from to date_to (local dates, both included), in order of
    reception, numbered as in the year's register. A denouncer's name and contacts only when `viewer` may read them
    (processes.privacy); without a viewer, never."""
    from datetime import datetime, time, timedelta

    from .. import privacy
    from ..models import Dossier, DossierStatus
    from .dossiers import step_result

    now = now or clock.now()
    start = datetime.combine(date_from, time.min, tzinfo=VN_TZ)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=VN_TZ)
    dossiers = list(
        Dossier.objects.filter(receiving_unit=unit, received_at__gte=start, received_at__lt=end)
        .select_related("procedure", "applicant").order_by("received_at", "id")
    )
    from django.db.models import Count

    supplements = dict(Dossier.objects.filter(pk__in=[d.pk for d in dossiers])
                       .annotate(n=Count("supplementations")).values_list("pk", "n"))
    shown = privacy.visible_ids(viewer, dossiers) if viewer is not None else {
        d.pk for d in dossiers if not privacy.is_protected(d)}
    numbers = {}
    for year in sorted({local(d.received_at).year for d in dossiers}):
        year_start = datetime(year, 1, 1, tzinfo=VN_TZ)
        ids = Dossier.objects.filter(receiving_unit=unit, received_at__gte=year_start, received_at__lt=end) \
            .order_by("received_at", "id").values_list("pk", flat=True)
        numbers.update({pk: n for n, pk in enumerate(ids, start=1)})
    rows = []
    for d in dossiers:
        notes = []
        result = ""
        if d.status == DossierStatus.WITHDRAWN:
            notes.append("Người nộp rút hồ sơ")
        elif d.status in (DossierStatus.STOPPED, DossierStatus.NOT_ACCEPTED) and d.outcome in ("refused", ""):
            notes.append("Từ chối, dừng giải quyết")
        elif d.finished_at is not None:
            result = step_result(d.finished_at, d.due_at)
        elif now > d.due_at:
            result = StepResult.LATE
            notes.append("Đang giải quyết")
        else:
            notes.append("Đang giải quyết")
        if d.status == DossierStatus.SUPPLEMENT_REQUESTED:
            notes.append("Chờ bổ sung hồ sơ")
        if supplements.get(d.pk):
            notes.append(f"Bổ sung {supplements[d.pk]} lần")
        if d.appointment_at:
            notes.append(f"Hẹn lại {fmt_datetime(d.appointment_at)}")
        a = d.applicant if d.pk in shown else privacy.masked_copy(d).applicant
        rows.append({
            "n": numbers.get(d.pk, ""),
            "code": d.code,
            "procedure": d.procedure.name,
            "applicant": a.full_name,
            "applicant_contact": ", ".join(x for x in (a.address, a.phone) if x),
            "received_date": fmt_date(d.received_at), "received_time": fmt_time(d.received_at),
            "due_date": fmt_date(d.due_at), "due_time": fmt_time(d.due_at),
            "finished_date": fmt_date(d.finished_at), "finished_time": fmt_time(d.finished_at),
            "returned_date": fmt_date(d.returned_at), "returned_time": fmt_time(d.returned_at),
            "returned_to": d.returned_to if d.pk in shown or not d.returned_to else privacy.MASK,
            "result": result,
            "result_label": RESULT_LABELS.get(result, ""),
            "notes": "; ".join(notes),
            "regime": d.regime_id,
        })
    return rows


def register(unit, date_from, date_to, *, now=None, prepared_by=None, viewer=None):
    """Sổ theo dõi hồ sơ of a unit for a period, in the regime in force at the end of the period. A denouncer's
    identity only when `viewer` may read it (register_rows)."""
    now = now or clock.now()
    regime = _regime_on(date_to)
    number, title = _numbered(regime, "register")
    rows = register_rows(unit, date_from, date_to, now, viewer=viewer)
    totals = {
        "all": len(rows),
        "early": sum(1 for r in rows if r["result"] == StepResult.EARLY),
        "on_time": sum(1 for r in rows if r["result"] == StepResult.ON_TIME),
        "late": sum(1 for r in rows if r["result"] == StepResult.LATE),
    }
    context = {
        **regime_context(regime),
        "unit": unit,
        "agency": unit.name,
        "agency_parent": unit.parent.name if unit.parent_id else "",
        "header_desk": True,
        "date_line": date_line(place_of(unit), now),
        "period": f"Từ ngày {date_from:%d/%m/%Y} đến ngày {date_to:%d/%m/%Y}",
        "date_from": f"{date_from:%d/%m/%Y}", "date_to": f"{date_to:%d/%m/%Y}",
        "rows": rows,
        "totals": totals,
        "printed": fmt_datetime(now),
        "official": person_name(prepared_by),
        "code": "",
    }
    return _render("register", number, title, context)


# ---------------------------------------------------------------------------------------------------------------
# the forms a dossier has, and re-rendering one of them from what was recorded


@dataclass(frozen=True)
class FormRef:
    number: str
    kind: str
    title: str
    seq: int | None = None
    note: str = ""

    @property
    def filename_part(self):
        return f"mau-{self.number}" + (f"-{self.seq}" if self.seq is not None else "")


def _title(dossier, kind):
    return REGIME_FORMS[regime_code(dossier)][kind][1].capitalize()


def dossier_forms(dossier):
    """The forms that exist for this dossier in its regime: the receipt always; one form 02 per supplementation
    request; form 03 when refused; one apology (04) per explanation; the control sheet; under Circular 03/2025 the
    stop notice (05) when processing stopped. The register (06/07) is per unit and period, not per dossier."""
    refs = [FormRef(form_number(dossier, "receipt"), "receipt", _title(dossier, "receipt"))]
    for s in dossier.supplementations.order_by("sequence"):
        refs.append(FormRef(form_number(dossier, "supplement"), "supplement", _title(dossier, "supplement"),
                            s.sequence, f"lần {s.sequence}, {fmt_date(s.requested_at)}"))
    refusal = refusal_event(dossier)
    if refusal is not None:
        refs.append(FormRef(form_number(dossier, "refusal"), "refusal", _title(dossier, "refusal"),
                            note=fmt_date(refusal.at)))
    for e in dossier.explanations.order_by("sequence"):
        refs.append(FormRef(form_number(dossier, "apology"), "apology", _title(dossier, "apology"), e.sequence,
                            f"lần {e.sequence}, {fmt_date(e.filed_at)}"))
    if regime_code(dossier) == REGIME_118 and dossier.status in STOPPED_STATUSES:
        refs.append(FormRef(form_number(dossier, "stop"), "stop", _title(dossier, "stop"),
                            note=fmt_date(dossier.finished_at)))
    refs.append(FormRef(form_number(dossier, "control"), "control", _title(dossier, "control")))
    return refs


class FormNotAvailable(LookupError):
    """No such form for this dossier (unknown number, or a repeated form's sequence that does not exist)."""


def find_form(dossier, number, seq=None):
    refs = [r for r in dossier_forms(dossier) if r.number == number]
    if not refs:
        raise FormNotAvailable(number)
    if seq is None:
        return refs[0]
    for ref in refs:
        if ref.seq == seq:
            return ref
    raise FormNotAvailable(f"{number}-{seq}")


def render_dossier_form(dossier, number, seq=None):
    """(FormRef, Rendered) of form `number` of the dossier, rebuilt from the records (supplementation, explanation,
    the refusal event, the work items); raises FormNotAvailable."""
    from ..models import WorkItemKind as Kind

    ref = find_form(dossier, number, seq)
    if ref.kind == "receipt":
        return ref, form_01(dossier)
    if ref.kind == "supplement":
        s = dossier.supplementations.select_related("requested_by").get(sequence=ref.seq)
        return ref, form_02(dossier, s)
    if ref.kind == "refusal":
        event = refusal_event(dossier)
        unit = event.actor_unit or dossier.receiving_unit
        reasons = (event.data_after or {}).get("reasons") or []
        return ref, form_03(dossier, reasons, refused_by=event.actor, refused_at=event.at, unit=unit,
                            acting_for=acting_for(event.actor, unit, event.actor_role, event.at))
    if ref.kind == "apology":
        e = dossier.explanations.select_related("filed_by", "unit").get(sequence=ref.seq)
        item = (dossier.work_items.filter(kind=Kind.EXPLAIN_DELAY, completed_at=e.filed_at)
                .select_related("completed_for").order_by("id").first())
        absent = item.completed_for if item is not None and item.completed_for_id else None
        return ref, form_04(dossier, sequence=e.sequence, reason=e.reason, new_appointment=e.new_appointment,
                            filed_by=e.filed_by, unit=e.unit, filed_at=e.filed_at, acting_for=absent)
    if ref.kind == "stop":
        return ref, form_stop(dossier)
    return ref, form_05(dossier)
