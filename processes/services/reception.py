"""The one-stop reception desk (Decree 61/2018 Art. 15–17 and 20–22; Circular 01/2018 forms 01–03).

A citizen's visit ends in one of three decisions, each one transaction that writes its event:

- `receive_at_desk` — every required document is there: the dossier code and the appointment
  (dossiers.receive_dossier), the ticked checklist kept on the dossier (form 01 lists it), the scans stored;
- `issue_incomplete_notice` — documents are missing: form 02 listing every missing item once, with its reason; no
  dossier code (an IntakeNotice, event `intake_incomplete`);
- `issue_refusal_notice` — not competent or not eligible: form 03 with the reasons (IntakeNotice, `intake_refused`).

Then, on a received dossier: fees and charges (`record_fee`, `mark_fee_paid`; while one is waiting the dossier shows
the portal's status 6, awaiting_fee, and the statutory clock keeps running), the result returned at the counter
(`return_at_counter`), the documents brought for a supplementation (`receive_supplementation_at_desk`), withdrawal
(`withdraw_at_desk`).

Read-only helpers for the desk's pages (the catalogue, the lists, the look-up) are at the end.
"""
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef

from engine import clock
from engine.calendar import VN_TZ

from ..models import (
    AdministrativeUnit,
    CaseKind,
    Channel,
    Dossier,
    DossierStatus,
    FeePayment,
    FeeStatus,
    IntakeNotice,
    IntakeOutcome,
    PersonalRecord,
    Procedure,
    ProcessVersion,
    Role,
    WorkItemStatus,
)
from . import forms, statutory
from .statutory import clean_text
from .attachments import check_upload, store_attachment
from .dossiers import _require_role, clean_applicant, has_role, receive_dossier, regime_for, return_result
from .errors import Conflict, InvalidInput, NotAllowed, NotFound
from .events import record_event

MAX_ITEMS = 50
MAX_REASONS = 20
MAX_TEXT = 2000
MAX_SCANS = 50
MAX_CONTENT = 4000  # a case's content as the desk writes it down (workflow datum "content")
MAX_AMOUNT = Decimal("99999999999999")  # 14 digits (FeePayment.amount)
# pg_advisory_xact_lock(namespace, unit id): numbering of intake notices per unit and day, without gaps.
NOTICE_LOCK_NAMESPACE = 4102


# ---------------------------------------------------------------------------------------------------------------
# the catalogue of a desk


def fold(text):
    """Lower case without Vietnamese diacritics ('Đăng ký khai sinh' -> 'dang ky khai sinh'), for searching."""
    text = unicodedata.normalize("NFD", str(text or "")).replace("đ", "d").replace("Đ", "d")
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


def catalogue_for(unit):
    """The procedures a unit's desk receives: active, of the unit's level (a commune receives commune procedures, a
    district district ones) and with a deployed process version (receive_dossier starts the newest one). Complaints,
    denunciations and petitions are received here too; a dialogue meeting's opinions are not (they are recorded with
    their meeting: processes.services.dialogue)."""
    if unit is None:
        return Procedure.objects.none()
    deployed = ProcessVersion.objects.filter(procedure=OuterRef("pk"))
    return (Procedure.objects.filter(active=True, level=unit.kind).exclude(kind=CaseKind.DIALOGUE)
            .filter(Exists(deployed)).select_related("field").order_by("name"))


def search_catalogue(unit, q="", limit=50):
    """Procedures of the desk's catalogue whose name, code, national code or field contains every word of q,
    with or without diacritics. Returns (procedures, total matching)."""
    words = fold(q).split()
    found = []
    for procedure in catalogue_for(unit):
        haystack = fold(" ".join([procedure.name, procedure.name_en, procedure.code, procedure.national_code,
                                  procedure.field.name, procedure.field.name_en, procedure.field.code]))
        if all(word in haystack for word in words):
            found.append(procedure)
    return found[:limit], len(found)


def desk_procedure(unit, code):
    """A procedure of the desk's catalogue, or NotFound."""
    procedure = catalogue_for(unit).filter(code=str(code or "")[:60]).first()
    if procedure is None:
        raise NotFound(f"không có thủ tục mã {code} trong danh mục tiếp nhận của {unit.name}", field="procedure")
    return procedure


def checklist_of(procedure):
    """The procedure's required documents as [{"name", "copies"}] (rows without a name are skipped)."""
    rows = []
    for row in procedure.required_documents or []:
        if isinstance(row, str):
            row = {"name": row}
        if not isinstance(row, dict) or not str(row.get("name") or "").strip():
            continue
        copies = row.get("copies", 1)
        rows.append({"name": str(row["name"]).strip(),
                     "copies": copies if isinstance(copies, int) and not isinstance(copies, bool) and copies > 0
                     else 1})
    return rows


# ---------------------------------------------------------------------------------------------------------------
# input


def _channel(channel):
    try:
        channel = int(channel)
    except (TypeError, ValueError):
        channel = None
    if channel not in Channel.values:
        raise InvalidInput("kênh nộp không hợp lệ (1 trực tiếp, 2 trực tuyến, 3 bưu chính)", field="channel")
    return channel


def _desk(unit_code, actor, what):
    """The active unit and the actor's reception role there (NotAllowed otherwise)."""
    unit = AdministrativeUnit.objects.filter(code=str(unit_code or "")[:32], active=True).first()
    if unit is None:
        raise NotFound(f"không có đơn vị mã {unit_code}", field="receiving_unit")
    _require_role(actor, unit, Role.RECEPTION, what)
    return unit, actor.with_context(Role.RECEPTION, unit)


def _key(name):
    return " ".join(fold(name).split())


def clean_ticked(procedure, ticked):
    """The ticked checklist as Dossier.documents rows; InvalidInput(field="documents") naming what is missing or
    unknown."""
    if ticked is None:
        ticked = []
    if not isinstance(ticked, (list, tuple)) or not all(isinstance(t, str) for t in ticked):
        raise InvalidInput("danh sách giấy tờ đã nhận không hợp lệ", field="documents")
    checklist = checklist_of(procedure)
    known = {row["name"] for row in checklist}
    unknown = [t for t in ticked if t not in known]
    if unknown:
        raise InvalidInput(f"giấy tờ không có trong thành phần hồ sơ: {unknown[0][:100]}", field="documents")
    missing = [row["name"] for row in checklist if row["name"] not in ticked]
    if missing:
        raise InvalidInput(f"chưa đủ thành phần hồ sơ, còn thiếu: {'; '.join(missing)}. Hồ sơ chưa đầy đủ thì lập "
                           f"phiếu yêu cầu bổ sung, hoàn thiện (mẫu 02)", field="documents")
    return [{"name": row["name"], "copies": row["copies"], "received": True} for row in checklist]


def check_scans(scans):
    """scans: [(document name, uploaded file, form field)]; each is checked (type from its first bytes, size) before
    anything is written. Returns the list."""
    scans = list(scans or [])
    if len(scans) > MAX_SCANS:
        raise InvalidInput(f"tối đa {MAX_SCANS} tệp trong một lần", field=scans[MAX_SCANS][2])
    for _name, upload, field in scans:
        check_upload(upload, field=field)
    return scans


def clean_missing_items(items):
    """Form 02's items: [{"name", "reason", "copies"}], each named once (a missing document is asked for once,
    completely — Decree 61/2018 Art. 15), each with its reason."""
    if not isinstance(items, (list, tuple)) or not items:
        raise InvalidInput("cần liệt kê ít nhất một giấy tờ cần bổ sung, hoàn thiện", field="items")
    if len(items) > MAX_ITEMS:
        raise InvalidInput(f"tối đa {MAX_ITEMS} giấy tờ", field="items")
    cleaned, seen = [], {}
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise InvalidInput("mỗi giấy tờ gồm tên và lý do", field=f"items[{i}]")
        name = clean_text(item.get("name"), f"items[{i}].name", what="tên giấy tờ", limit=300)
        reason = clean_text(item.get("reason"), f"items[{i}].reason", what=f"lý do yêu cầu bổ sung '{name}'",
                            limit=500)
        copies = item.get("copies", 1)
        if isinstance(copies, bool) or not isinstance(copies, int) or not 1 <= copies <= 99:
            raise InvalidInput("số bản là số nguyên từ 1 đến 99", field=f"items[{i}].copies")
        key = _key(name)
        if key in seen:
            raise InvalidInput(f"giấy tờ '{name}' đã có ở dòng {seen[key] + 1}: mỗi giấy tờ chỉ ghi một lần",
                               field=f"items[{i}].name")
        seen[key] = i
        cleaned.append({"name": name, "reason": reason, "copies": copies})
    return cleaned


def clean_refusal_reasons(reasons):
    if isinstance(reasons, str):
        reasons = [reasons]
    if not isinstance(reasons, (list, tuple)):
        raise InvalidInput("cần nêu lý do từ chối", field="reasons")
    reasons = [r for r in reasons if not (isinstance(r, str) and not r.strip())]
    if not reasons:
        raise InvalidInput("cần nêu lý do từ chối", field="reasons")
    if len(reasons) > MAX_REASONS:
        raise InvalidInput(f"tối đa {MAX_REASONS} lý do", field="reasons")
    return [clean_text(r, f"reasons[{i}]", what="lý do từ chối") for i, r in enumerate(reasons)]


def clean_amount(amount):
    """A fee in đồng: a whole number ≥ 0 ('50000', '50.000' and '50 000' are read alike)."""
    if isinstance(amount, bool):
        raise InvalidInput("số tiền không hợp lệ", field="amount")
    if isinstance(amount, str):
        text = amount.strip().replace(" ", "").replace("\u00a0", "")
        if re.fullmatch(r"\d{1,3}(\.\d{3})+", text):  # 50.000 — Vietnamese thousands separator
            text = text.replace(".", "")
        if not text:
            raise InvalidInput("cần nhập số tiền (đồng)", field="amount")
        amount = text
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidInput("số tiền phải là số đồng, vd. 50000", field="amount") from None
    if not value.is_finite() or value != value.to_integral_value():
        raise InvalidInput("số tiền là số đồng nguyên, không có phần lẻ", field="amount")
    if value < 0:
        raise InvalidInput("số tiền không được âm", field="amount")
    if value > MAX_AMOUNT:
        raise InvalidInput("số tiền quá lớn", field="amount")
    return value.quantize(Decimal(1))


CONTENT_NAMES = {CaseKind.COMPLAINT: "nội dung khiếu nại", CaseKind.DENUNCIATION: "nội dung tố cáo",
                 CaseKind.PETITION: "nội dung phản ánh, kiến nghị", CaseKind.DIALOGUE: "nội dung ý kiến"}


def clean_case_data(procedure, *, content=None, remote_area=False):
    """The workflow data the desk gives a case at reception (issue 9): "content", the letter's content as the desk
    writes it down (required for a complaint or a denunciation), and "remote_area" (a complaint from a remote,
    disadvantaged area: its resolution limit is longer, processes.services.case_clock). An administrative dossier
    takes neither (InvalidInput naming the field)."""
    if remote_area not in (True, False, None):
        raise InvalidInput("vùng sâu, vùng xa: có hoặc không", field="remote_area")
    if procedure.kind == CaseKind.ADMINISTRATIVE:
        if content not in (None, "") and not (isinstance(content, str) and not content.strip()):
            raise InvalidInput("hồ sơ thủ tục hành chính không ghi nội dung đơn", field="content")
        if remote_area:
            raise InvalidInput("chỉ đơn khiếu nại mới tính thời hạn vùng sâu, vùng xa", field="remote_area")
        return {}
    data = {}
    text = clean_text(content, "content", what=CONTENT_NAMES.get(procedure.kind, "nội dung đơn"), limit=MAX_CONTENT,
                      required=procedure.kind in (CaseKind.COMPLAINT, CaseKind.DENUNCIATION))
    if text:
        data["content"] = text
    if remote_area:
        if procedure.kind != CaseKind.COMPLAINT:
            raise InvalidInput("chỉ đơn khiếu nại mới tính thời hạn vùng sâu, vùng xa", field="remote_area")
        data["remote_area"] = True
    return data


# ---------------------------------------------------------------------------------------------------------------
# the three decisions at the desk


def _store_scans(dossier, scans, actor, work_item=None):
    return [store_attachment(dossier=dossier, upload=upload, actor=actor, document=name, field=field,
                             work_item=work_item)
            for name, upload, field in scans]


@transaction.atomic
def receive_at_desk(*, unit_code, procedure_code, applicant, channel, ticked, scans=(), actor, content=None,
                    remote_area=False):
    """Every required document is there: the dossier is received (code, appointment, workflow started), the ticked
    checklist goes to Dossier.documents and the scans are stored as its attachments, all in one transaction. A
    case (complaint, denunciation, petition) also gets its content and remoteness as workflow data
    (clean_case_data). Returns the dossier."""
    unit, _context = _desk(unit_code, actor, "tiếp nhận hồ sơ")
    procedure = desk_procedure(unit, procedure_code)
    applicant = clean_applicant(applicant)
    channel = _channel(channel)
    data = clean_case_data(procedure, content=content, remote_area=remote_area)
    documents = clean_ticked(procedure, ticked)
    scans = check_scans(scans)
    dossier = receive_dossier(procedure_code=procedure.code, unit_code=unit.code, applicant=applicant,
                              channel=channel, actor=actor, documents=documents, data=data)
    _store_scans(dossier, scans, actor.with_context(Role.RECEPTION, unit))
    return dossier


def _notice_number(unit, outcome, now):
    """<agency code>-YYMMDD-HDHS-NNN (form 02) or -TC-NNN (form 03), numbered per unit and day without gaps: the
    transaction holds an advisory lock on the unit's numbering until it commits."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [NOTICE_LOCK_NAMESPACE, unit.pk])
    day = now.astimezone(VN_TZ).date()
    tag = "HDHS" if outcome == IntakeOutcome.INCOMPLETE else "TC"
    prefix = f"{unit.code}-{day:%y%m%d}-{tag}-"
    count = IntakeNotice.objects.filter(unit=unit, number__startswith=prefix).count()
    return f"{prefix}{count + 1:03d}"


def notice_form(notice):
    """Form 02 (documents missing) or 03 (refused) of an intake notice, as text and HTML (A5): like the dossier's
    forms 02/03 of processes.services.forms, without a dossier code — the notice's number stands in its place."""
    kind = "supplement" if notice.outcome == IntakeOutcome.INCOMPLETE else "refusal"
    regime = forms.regime_context(notice)
    number, title = forms.REGIME_FORMS[regime["regime_code"]][kind]
    unit = notice.unit
    applicant = notice.applicant
    context = {
        **regime,
        "code": "",
        "notice": notice,
        "agency": unit.name,
        "agency_parent": unit.parent.name if unit.parent_id else "",
        "header_desk": True,
        # the header's "Số: 001/HDHS" (form 02's reference style); the full number stands under the title
        "number": "/".join(reversed(notice.number.rsplit("-", 2)[1:])),
        "notice_number": notice.number,
        "date_line": forms.date_line(forms.place_of(unit), notice.issued_at),
        "applicant": {"name": applicant.full_name, "address": applicant.address, "phone": applicant.phone,
                      "email": applicant.email},
        "procedure": notice.procedure.name,
        "issued": forms.fmt_datetime(notice.issued_at),
        "items": [{"n": i, **item} for i, item in enumerate(notice.items or [], start=1)],
        "reasons": list(notice.reasons or []),
        "official": forms.person_name(notice.issued_by),
    }
    name = "intake_02" if kind == "supplement" else "intake_03"
    return forms._render(name, number, title, context)


def _issue_notice(*, outcome, unit_code, procedure_code, applicant, channel, items, reasons, actor, what):
    unit, actor = _desk(unit_code, actor, what)
    if actor.user is None:
        raise NotAllowed("phiếu do một cán bộ của bộ phận một cửa lập")
    procedure = desk_procedure(unit, procedure_code)
    applicant = clean_applicant(applicant)
    channel = _channel(channel)
    now = clock.now()
    regime = regime_for(now.astimezone(VN_TZ).date())
    number = _notice_number(unit, outcome, now)
    record = PersonalRecord.objects.create(**applicant)
    notice = IntakeNotice(number=number, outcome=outcome, procedure=procedure, unit=unit, regime=regime,
                          applicant=record, channel=channel, items=items, reasons=reasons, issued_by=actor.user,
                          issued_at=now)
    rendered = notice_form(notice)
    notice.form_code, notice.form_text, notice.form_html = rendered.number, rendered.text, rendered.html
    notice.save()
    kind = "intake_incomplete" if outcome == IntakeOutcome.INCOMPLETE else "intake_refused"
    after = {"notice": notice.pk, "number": number, "form": rendered.number, "procedure": procedure.code,
             "unit": unit.code, "channel": channel, "applicant_record": record.pk}
    if items:
        after["items"] = [{"name": i["name"], "reason": i["reason"]} for i in items]
    if reasons:
        after["reasons"] = reasons
    record_event(kind, actor=actor, dossier=None, at=now, after=after)
    return notice


@transaction.atomic
def issue_incomplete_notice(*, unit_code, procedure_code, applicant, channel, items, actor):
    """Documents are missing: form 02 (Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ) lists each missing item once with
    its reason. No dossier code is issued; the notice is kept with the form as handed over."""
    return _issue_notice(outcome=IntakeOutcome.INCOMPLETE, unit_code=unit_code, procedure_code=procedure_code,
                         applicant=applicant, channel=channel, items=clean_missing_items(items), reasons=[],
                         actor=actor, what="lập phiếu yêu cầu bổ sung, hoàn thiện hồ sơ")


@transaction.atomic
def issue_refusal_notice(*, unit_code, procedure_code, applicant, channel, reasons, actor):
    """Not competent or not eligible: form 03 (Phiếu từ chối tiếp nhận giải quyết hồ sơ) with the reasons."""
    return _issue_notice(outcome=IntakeOutcome.REFUSED, unit_code=unit_code, procedure_code=procedure_code,
                         applicant=applicant, channel=channel, items=[], reasons=clean_refusal_reasons(reasons),
                         actor=actor, what="lập phiếu từ chối tiếp nhận hồ sơ")


# ---------------------------------------------------------------------------------------------------------------
# fees and charges (Decree 61/2018 Art. 22)

FEE_STATUSES_OPEN = (DossierStatus.RECEIVED, DossierStatus.PROCESSING, DossierStatus.AWAITING_FEE,
                     DossierStatus.PROCESSED)


def _lock_desk_dossier(code, actor, what):
    dossier = statutory._lock_dossier(code)
    _require_role(actor, dossier.receiving_unit, Role.RECEPTION, what)
    return dossier, actor.with_context(Role.RECEPTION, dossier.receiving_unit)


def _bump(dossier, fields):
    dossier.revision = F("revision") + 1
    dossier.save(update_fields=sorted({*fields, "revision"}))
    dossier.refresh_from_db(fields=["revision"])


@transaction.atomic
def record_fee(*, code, amount, description, receipt_number="", status, actor):
    """A fee or charge of a received dossier. Paid: recorded with its receipt number. Waiting: the dossier shows the
    portal's status 6 (awaiting_fee) until every waiting fee is paid; the status it had is kept in the event. The
    statutory clock is not paused (awaiting_fee is an open status the clock runs in)."""
    amount = clean_amount(amount)
    description = clean_text(description, "description", what="nội dung khoản phí, lệ phí", limit=300)
    receipt_number = clean_text(receipt_number, "receipt_number", what="số biên lai", limit=60, required=False)
    if status not in FeeStatus.values:
        raise InvalidInput("trạng thái phải là 'đã nộp' hoặc 'chờ nộp'", field="status")
    if status == FeeStatus.PAID and amount > 0 and not receipt_number:
        raise InvalidInput("khoản đã nộp cần số biên lai", field="receipt_number")
    dossier, actor = _lock_desk_dossier(code, actor, "ghi nhận phí, lệ phí")
    allowed = FEE_STATUSES_OPEN if status == FeeStatus.WAITING else (*FEE_STATUSES_OPEN,
                                                                      DossierStatus.SUPPLEMENT_REQUESTED)
    if dossier.status not in allowed:
        raise Conflict(f"hồ sơ đang ở trạng thái '{DossierStatus(dossier.status).label}', không ghi nhận "
                       f"{'khoản chờ nộp' if status == FeeStatus.WAITING else 'phí, lệ phí'} được", field="status")
    now = clock.now()
    fee = FeePayment.objects.create(dossier=dossier, amount=amount, description=description,
                                    receipt_number=receipt_number, status=status, recorded_by=actor.user,
                                    recorded_at=now, paid_at=now if status == FeeStatus.PAID else None)
    previous = dossier.status
    if status == FeeStatus.WAITING and dossier.status != DossierStatus.AWAITING_FEE:
        dossier.status = DossierStatus.AWAITING_FEE
        _bump(dossier, ["status"])
    record_event("fee_recorded", actor=actor, dossier=dossier, at=now, before={"status": previous},
                 after={"fee": fee.pk, "amount": str(amount), "description": description,
                        "receipt_number": receipt_number, "fee_status": status, "status": dossier.status,
                        "previous_status": previous})
    return fee


def _status_after_fees(dossier):
    """The status to go back to once no fee is waiting: the one the dossier had when it started to wait (from the
    event), moved on by what happened meanwhile (steps completed, the workflow finished)."""
    from ..models import Event

    previous = DossierStatus.RECEIVED
    for event in Event.objects.filter(dossier=dossier, kind="fee_recorded").order_by("-id"):
        before = (event.data_before or {}).get("status")
        if before and before != DossierStatus.AWAITING_FEE:
            previous = before
            break
    if dossier.finished_at is not None:
        return DossierStatus.PROCESSED
    if previous == DossierStatus.PROCESSED:  # not finished any more: cannot happen, but never return a bad state
        previous = DossierStatus.PROCESSING
    if previous == DossierStatus.RECEIVED and dossier.work_items.filter(status=WorkItemStatus.COMPLETED).exists():
        return DossierStatus.PROCESSING
    return previous


@transaction.atomic
def mark_fee_paid(*, fee_id, receipt_number, actor):
    """A waiting fee is paid: with its receipt number. When none is waiting any more the dossier goes back to the
    status it had (kept in the fee_recorded event)."""
    receipt_number = clean_text(receipt_number, "receipt_number", what="số biên lai", limit=60, required=False)
    row = FeePayment.objects.filter(pk=fee_id).values("dossier__code").first()
    if row is None:
        raise NotFound("không có khoản phí, lệ phí này", field="fee")
    dossier, actor = _lock_desk_dossier(row["dossier__code"], actor, "ghi nhận nộp phí, lệ phí")
    fee = FeePayment.objects.select_for_update().get(pk=fee_id)
    if fee.status != FeeStatus.WAITING:
        raise Conflict("khoản này đã được ghi nhận đã nộp", field="fee")
    if fee.amount > 0 and not receipt_number:
        raise InvalidInput("cần số biên lai của khoản đã nộp", field="receipt_number")
    now = clock.now()
    fee.status, fee.paid_at, fee.receipt_number = FeeStatus.PAID, now, receipt_number
    fee.save(update_fields=["status", "paid_at", "receipt_number"])
    previous = dossier.status
    if dossier.status == DossierStatus.AWAITING_FEE and not dossier.fees.filter(status=FeeStatus.WAITING).exists():
        dossier.status = _status_after_fees(dossier)
        _bump(dossier, ["status"])
    record_event("fee_paid", actor=actor, dossier=dossier, at=now, before={"status": previous},
                 after={"fee": fee.pk, "amount": str(fee.amount), "receipt_number": receipt_number,
                        "status": dossier.status})
    return fee


# ---------------------------------------------------------------------------------------------------------------
# returning the result, supplementation, withdrawal


def return_at_counter(*, code, actor, collector, representative_name="", representative_id_number=""):
    """The result handed over at the counter (dossiers.return_result, which writes the event): to the applicant
    (collector 'applicant') or to a representative named with their ID number ('representative')."""
    if collector == "applicant":
        dossier = Dossier.objects.select_related("applicant").filter(code=code).first()
        if dossier is None:
            raise NotFound(f"không có hồ sơ {code}", field="code")
        return return_result(code=code, actor=actor, collected_by=dossier.applicant.full_name)
    if collector == "representative":
        name = clean_text(representative_name, "representative_name", what="họ tên người được ủy quyền", limit=150)
        try:
            return return_result(code=code, actor=actor, collected_by=name,
                                 representative_id_number=str(representative_id_number or "").strip())
        except InvalidInput as exc:
            if exc.field == "collected_by":
                exc.field = "representative_name"
            raise
    raise InvalidInput("chọn người nhận kết quả: người nộp hồ sơ hoặc người được ủy quyền", field="collector")


@transaction.atomic
def receive_supplementation_at_desk(*, code, actor, scans=()):
    """The citizen brings the missing documents: statutory.receive_supplementation (the clock restarts from zero),
    with the scans stored in the same transaction."""
    scans = check_scans(scans)
    outcome = statutory.receive_supplementation(code, actor)
    _store_scans(outcome.dossier, scans, actor.with_context(Role.RECEPTION, outcome.dossier.receiving_unit))
    return outcome


def withdraw_at_desk(*, code, actor, reason):
    """Withdrawal at the citizen's request, recorded by the receiving unit's desk (statutory.withdraw_dossier)."""
    dossier = Dossier.objects.select_related("receiving_unit").filter(code=code).first()
    if dossier is None:
        raise NotFound(f"không có hồ sơ {code}", field="code")
    if actor.user is not None and not has_role(actor.user, dossier.receiving_unit, Role.RECEPTION):
        raise NotAllowed(f"chỉ bộ phận một cửa của {dossier.receiving_unit.name} ghi nhận rút hồ sơ tại quầy")
    return statutory.withdraw_dossier(code, actor, reason)


# ---------------------------------------------------------------------------------------------------------------
# what the desk's pages read


def desk_dossier(unit, code):
    """A dossier this unit received, else None (the page answers 404 for another unit's)."""
    if unit is None or not isinstance(code, str) or not code or len(code) > 48:
        return None
    return (Dossier.objects.select_related("procedure", "procedure__field", "receiving_unit", "applicant",
                                           "received_by", "returned_by")
            .filter(receiving_unit=unit, code=code.strip()).first())


def desk_notice(unit, notice_id):
    if unit is None:
        return None
    return (IntakeNotice.objects.select_related("procedure", "unit", "applicant", "issued_by")
            .filter(unit=unit, pk=notice_id).first())


def desk_lists(unit, limit=50):
    """The desk's work lists: results to hand back, dossiers waiting for the citizen's documents, waiting fees, and
    the latest intake notices."""
    dossiers = Dossier.objects.filter(receiving_unit=unit).select_related("procedure", "applicant")
    return {
        # a case's decision or answer is sent by its own last step (send_decision, publish), not handed back here
        "to_return": list(dossiers.filter(status=DossierStatus.PROCESSED, procedure__kind=CaseKind.ADMINISTRATIVE)
                          .order_by("finished_at", "id")[:limit]),
        "awaiting_supplement": list(dossiers.filter(status=DossierStatus.SUPPLEMENT_REQUESTED)
                                    .order_by("clock_paused_at", "id")[:limit]),
        "waiting_fees": list(FeePayment.objects.filter(dossier__receiving_unit=unit, status=FeeStatus.WAITING)
                             .select_related("dossier", "dossier__procedure").order_by("recorded_at", "id")[:limit]),
        "notices": list(IntakeNotice.objects.filter(unit=unit).select_related("procedure", "applicant")
                        .order_by("-issued_at", "-id")[:10]),
    }


def open_supplementation(dossier):
    return dossier.supplementations.filter(supplied_at__isnull=True).order_by("-sequence").first()


def public_lookup(code):
    """What anyone may read about a dossier from its code (the citizen's look-up): no personal data."""
    if not isinstance(code, str):
        return None
    code = code.strip()
    if not code or len(code) > 48:
        return None
    row = (Dossier.objects.filter(code=code)
           .values("code", "status", "received_at", "due_at", "appointment_at", "returned_at",
                   "procedure__name", "procedure__name_en", "receiving_unit__name", "receiving_unit__name_en")
           .first())
    return row

