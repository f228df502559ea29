"""The forms of Circular 01/2018/TT-VPCP that the statutory clock produces, in Vietnamese, as plain text (for e-mail,
SMS and Explanation.letter) and HTML (for printing, A5):

- form 02 — Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (supplementation request);
- form 03 — Phiếu từ chối tiếp nhận giải quyết hồ sơ (refusal);
- form 04 — Phiếu xin lỗi và hẹn lại ngày trả kết quả (apology with the new appointment);
- form 05 — Phiếu kiểm soát quá trình giải quyết hồ sơ (control sheet: one row per hand-over).

Dates are dd/mm/yyyy and times HH:MM in Asia/Ho_Chi_Minh. Templates: processes/templates/processes/forms/.
Field lists follow shared/docs/domain.md §1.6 (reconstructed from public implementations, not the official annex).
"""
from dataclasses import dataclass
from decimal import Decimal

from django.template.loader import render_to_string

from engine import clock
from engine.calendar import VN_TZ

from ..models import StepResult, WorkItemKind, WorkItemStatus

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


def _common(dossier, at):
    unit = dossier.receiving_unit
    applicant = dossier.applicant
    return {
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
# forms 02–04


def form_02(dossier, supplementation, *, requested_by=None):
    """Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (…/HDHS)."""
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
    return _render("form_02", "02", "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", context)


def form_03(dossier, reasons, *, refused_by, refused_at, unit):
    """Phiếu từ chối tiếp nhận giải quyết hồ sơ."""
    context = {
        **_common(dossier, refused_at),
        "reasons": list(reasons),
        "official": person_name(refused_by),
        "refusing_unit": unit.name,
        "refused": fmt_datetime(refused_at),
    }
    return _render("form_03", "03", "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ", context)


def form_04(dossier, *, sequence, reason, new_appointment, filed_by, unit, filed_at):
    """Phiếu xin lỗi và hẹn lại ngày trả kết quả (…/PXL), signed by the head of the unit that caused the delay."""
    context = {
        **_common(dossier, filed_at),
        "number": f"{sequence:02d}/PXL",
        "sequence": sequence,
        "reason": reason,
        "new_appointment": fmt_long(new_appointment),
        "new_appointment_short": fmt_datetime(new_appointment),
        "official": person_name(filed_by),
        "apologising_unit": unit.name,
    }
    return _render("form_04", "04", "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", context)


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
        .select_related("unit", "claimed_by", "completed_by")
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
        })
        previous_unit = item.unit
    returned = None
    if dossier.finished_at is not None:
        result = step_result(dossier.finished_at, dossier.due_at)
        returned = {"finished_at": dossier.finished_at, "due_at": dossier.due_at, "result": result,
                    "result_label": RESULT_LABELS[result], "outcome": dossier.outcome}
    return {"code": dossier.code, "rows": rows, "returned": returned}


def form_05(dossier, sheet=None, now=None):
    """Phiếu kiểm soát quá trình giải quyết hồ sơ."""
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
    return _render("form_05", "05", "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", context)
