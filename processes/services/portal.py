"""The citizens' portal (no sign-in; Decree 61/2018 Art. 17, 24; Circular 01/2018 Art. 16; Decree 42/2022).

What anyone reads:

- `public_status(code)` — a dossier code (or an online submission's reference) alone: the status only, the procedure,
  the receiving unit and the dates; never a name, an ID number, a phone or an address;
- `progress(code, secret=None, phone=None)` — with the secret printed on the receipt (form 01), or the applicant's
  phone number: the steps down to the department that handled each, the appointment and any re-appointment, the
  apology letters' reasons, what is asked for in a supplementation, the result status. A wrong secret answers exactly
  like an unknown code (None): no oracle. Every comparison is secrets.compare_digest;
- `catalogue_levels()` — the online services catalogue: each procedure's level (toàn trình / một phần) and the shares.

What a citizen does, and the desk's answer to an online submission — each one transaction writing its event:

- `submit_online` — a procedure offered online (toàn trình or một phần), at a unit whose desk receives it, with a file
  per checklist item: an OnlineSubmission waiting at that desk (channel 2), its reference and secret for the citizen;
- `receive_submission` (the dossier is received through dossiers.receive_dossier with channel 2, the files go to it,
  the citizen's secret becomes the dossier's), `ask_for_more` (documents missing, each named once with its reason) and
  `refuse_submission` (not competent, not eligible) — the reason is shown on the portal and sent by e-mail/SMS;
- `rate_dossier` — after the result is returned, once: SIPAS's five elements, 1–5 each, and a comment.

The events written here carry no personal data: ids, the reference, codes, document names, scores.
"""
from datetime import date, timedelta
import re
import secrets

from django.db import IntegrityError, transaction

from engine import clock
from engine.calendar import VN_TZ

from .. import privacy
from ..models import (
    AdministrativeUnit,
    Attachment,
    CaseKind,
    Channel,
    Dossier,
    DossierStatus,
    NotificationChannel,
    OnlineLevel,
    OnlineSubmission,
    PersonalRecord,
    Procedure,
    ProcessVersion,
    Role,
    ServiceRating,
    SubmissionStatus,
    WorkItemKind,
    WorkItemStatus,
)
from . import attachments, reception
from .dossiers import SECRET_ALPHABET, _require_role, clean_applicant, new_lookup_secret, receive_dossier
from .errors import Conflict, InvalidInput, NotFound
from .events import SYSTEM, record_event
from .statutory import clean_text

ONLINE_LEVELS = (OnlineLevel.FULL, OnlineLevel.PARTIAL)
MAX_FILES = 20
MAX_COMMENT = 2000
RATING_ELEMENTS = ("access", "procedure", "official", "result", "feedback")
REFERENCE_PREFIX = "TT"
REFERENCE = re.compile(r"^TT-\d{6}-[A-Z0-9]{6}$")
# The secret, as typed from the receipt: letters and digits, spaces and dashes ignored, case ignored.
SECRET_CHARS = re.compile(r"[\s\-]")
_DUMMY = "ZZZZZZZZ"


# ---------------------------------------------------------------------------------------------------------------
# input


def clean_code(code):
    """A dossier code or a submission reference as typed; None when it cannot be one."""
    if not isinstance(code, str):
        return None
    code = code.strip()
    if not code or len(code) > 48:
        return None
    return code


def clean_secret(secret):
    if not isinstance(secret, str):
        return ""
    return SECRET_CHARS.sub("", secret).upper()[:32]


def clean_phone(phone):
    """Digits only, +84… read as 0… ('+84 912 345 678' == '0912345678')."""
    if not isinstance(phone, str):
        return ""
    digits = re.sub(r"\D", "", phone)[:20]
    if phone.strip().startswith("+84") or (digits.startswith("84") and len(digits) == 11):
        digits = "0" + digits[2:]
    return digits


def _same(a, b):
    """Constant-time comparison of two strings (bytes of their UTF-8)."""
    return secrets.compare_digest(str(a).encode(), str(b).encode())


def _proves(secret, phone, *, expected_secret, expected_phone):
    """The secret (or the applicant's phone) matches. Both comparisons run whatever the input, so the time taken does
    not tell which one was tried nor whether the code exists."""
    secret, phone = clean_secret(secret), clean_phone(phone)
    by_secret = _same(secret or "-", expected_secret or _DUMMY) and bool(expected_secret) and bool(secret)
    expected_phone = clean_phone(expected_phone)
    by_phone = _same(phone or "-", expected_phone or "0") and bool(expected_phone) and bool(phone)
    return by_secret or by_phone


def _proof_phone(dossier):
    """The phone number that opens a dossier's progress: the applicant's — never a denouncer's, whose dossier a phone
    number must not find (it would confirm that they denounced; processes.privacy). The secret still opens it."""
    return "" if privacy.is_protected(dossier) else dossier.applicant.phone


def mask_name(full_name):
    """'Nguyễn Văn An' → 'Nguyễn V… A…': the family name, then initials — enough to recognise one's own dossier."""
    words = str(full_name or "").split()
    if not words:
        return ""
    if len(words) == 1:
        return words[0][:1] + "…"
    return " ".join([words[0], *[w[:1] + "…" for w in words[1:]]])


def is_reference(code):
    return bool(code) and bool(REFERENCE.match(code))


# ---------------------------------------------------------------------------------------------------------------
# reading (selector-like: only what is public)


def _dossier_status(dossier_row):
    appointment = dossier_row["appointment_at"] or dossier_row["due_at"]
    return {
        "kind": "dossier",
        "code": dossier_row["code"],
        "status": dossier_row["status"],
        "procedure": dossier_row["procedure__name"],
        "procedure_en": dossier_row["procedure__name_en"],
        "unit": dossier_row["receiving_unit__name"],
        "unit_en": dossier_row["receiving_unit__name_en"],
        "received_at": dossier_row["received_at"],
        "appointment_at": appointment,
        "returned_at": dossier_row["returned_at"],
    }


def _submission_status(submission):
    return {
        "kind": "submission",
        "code": submission.reference,
        "status": submission.status,
        "procedure": submission.procedure.name,
        "procedure_en": submission.procedure.name_en,
        "unit": submission.unit.name,
        "unit_en": submission.unit.name_en,
        "submitted_at": submission.submitted_at,
    }


def public_status(code):
    """What anyone may read from a dossier code or a submission reference alone: the status, the procedure, the
    receiving unit, the dates. None when there is no such dossier."""
    code = clean_code(code)
    if code is None:
        return None
    if is_reference(code.upper()):
        submission = (OnlineSubmission.objects.select_related("procedure", "unit")
                      .filter(reference=code.upper()).first())
        return _submission_status(submission) if submission is not None else None
    row = reception.public_lookup(code)
    return _dossier_status(row) if row is not None else None


def progress(code, secret=None, phone=None):
    """The detailed view, for whoever holds the receipt's secret (or the applicant's phone number); None when the code
    is unknown or the proof is wrong — the two are indistinguishable."""
    code = clean_code(code)
    if code is None:
        _proves(secret, phone, expected_secret="", expected_phone="")
        return None
    if is_reference(code.upper()):
        return _submission_progress(code.upper(), secret, phone)
    dossier = (Dossier.objects.select_related("procedure", "receiving_unit", "applicant")
               .filter(code=code).first())
    if dossier is None:
        _proves(secret, phone, expected_secret="", expected_phone="")
        return None
    protected = privacy.is_protected(dossier)
    if not _proves(secret, phone, expected_secret=dossier.lookup_secret, expected_phone=_proof_phone(dossier)):
        return None
    row = {"code": dossier.code, "status": dossier.status, "procedure__name": dossier.procedure.name,
           "procedure__name_en": dossier.procedure.name_en, "receiving_unit__name": dossier.receiving_unit.name,
           "receiving_unit__name_en": dossier.receiving_unit.name_en, "received_at": dossier.received_at,
           "due_at": dossier.due_at, "appointment_at": dossier.appointment_at, "returned_at": dossier.returned_at}
    steps = [
        {"name": item.name, "unit": item.unit.name, "unit_en": item.unit.name_en, "given_at": item.given_at,
         "completed_at": item.completed_at, "status": item.status, "result": item.result}
        for item in dossier.work_items.filter(kind=WorkItemKind.STEP).exclude(status=WorkItemStatus.CANCELLED)
        .select_related("unit").order_by("given_at", "id")
    ]
    apologies = [
        {"sequence": e.sequence, "unit": e.unit.name, "unit_en": e.unit.name_en, "filed_at": e.filed_at,
         "reason": e.reason, "new_appointment": e.new_appointment}
        for e in dossier.explanations.select_related("unit").order_by("sequence")
    ]
    open_supplementation = reception.open_supplementation(dossier)
    supplementation = None
    if open_supplementation is not None and dossier.status == DossierStatus.SUPPLEMENT_REQUESTED:
        supplementation = {"requested_at": open_supplementation.requested_at,
                           "reason": open_supplementation.reason,
                           "items": [str(i.get("name", "")) for i in open_supplementation.items or []
                                     if isinstance(i, dict)]}
    rated = ServiceRating.objects.filter(dossier=dossier).exists()
    return {
        **_dossier_status(row),
        "applicant": privacy.MASK_LABEL if protected else mask_name(dossier.applicant.full_name),
        "channel": dossier.channel,
        "due_at": dossier.due_at,
        "reappointed": dossier.appointment_at is not None,
        "reappointments": dossier.reappointments,
        "finished_at": dossier.finished_at,
        "steps": steps,
        "apologies": apologies,
        "supplementation": supplementation,
        "rated": rated,
        "can_rate": dossier.status == DossierStatus.RETURNED and not rated,
    }


def _submission_progress(reference, secret, phone):
    submission = (OnlineSubmission.objects.select_related("procedure", "unit", "applicant", "dossier")
                  .filter(reference=reference).first())
    if submission is None:
        _proves(secret, phone, expected_secret="", expected_phone="")
        return None
    protected = submission.procedure.kind == CaseKind.DENUNCIATION
    if not _proves(secret, phone, expected_secret=submission.secret,
                   expected_phone="" if protected else submission.applicant.phone):
        return None
    return {
        **_submission_status(submission),
        "applicant": privacy.MASK_LABEL if protected else mask_name(submission.applicant.full_name),
        "documents": [str(d.get("name", "")) for d in submission.documents or [] if isinstance(d, dict)],
        "handled_at": submission.handled_at,
        "reason": submission.reason if submission.status in (SubmissionStatus.INCOMPLETE,
                                                             SubmissionStatus.REFUSED) else "",
        "dossier_code": submission.dossier.code if submission.dossier_id else "",
    }


def online_catalogue():
    """The procedures anyone may submit online, with the units whose desks receive each:
    [(procedure, [units])], procedures by name, units by name."""
    units = list(AdministrativeUnit.objects.filter(active=True).exclude(kind="department").order_by("name"))
    deployed = ProcessVersion.objects.values_list("procedure_id", flat=True)
    rows = []
    for procedure in (Procedure.objects.filter(active=True, online_level__in=ONLINE_LEVELS, pk__in=deployed)
                      .select_related("field").order_by("name")):
        receiving = [u for u in units if u.kind == procedure.level]
        if receiving:
            rows.append((procedure, receiving))
    return rows


def online_procedure(procedure_code, unit_code):
    """(procedure, unit) for the online submission form, or NotFound / InvalidInput naming the field."""
    unit = AdministrativeUnit.objects.filter(code=str(unit_code or "")[:32], active=True).first()
    if unit is None or unit.kind == "department":
        raise NotFound(f"không có đơn vị tiếp nhận mã {str(unit_code)[:32]}", field="unit")
    procedure = Procedure.objects.filter(code=str(procedure_code or "")[:60], active=True).first()
    if procedure is None:
        raise NotFound(f"không có thủ tục mã {str(procedure_code)[:60]}", field="procedure")
    if procedure.online_level not in ONLINE_LEVELS:
        raise InvalidInput(f"thủ tục '{procedure.name}' chưa được cung cấp trực tuyến: hãy nộp tại bộ phận một cửa",
                           field="procedure")
    try:
        procedure = reception.desk_procedure(unit, procedure.code)
    except NotFound:
        raise InvalidInput(f"{unit.name} không tiếp nhận thủ tục '{procedure.name}'", field="unit") from None
    return procedure, unit


def catalogue_levels():
    """Every active administrative procedure with its online level, and the shares (% toàn trình, % một phần, % not
    online) — Decree 42/2022's two levels; the older view of Decree 43/2011 counts toàn trình as level 4 and một phần
    as level 3 (a rough equivalence, for historical comparison only). Complaints, denunciations, petitions and
    dialogue opinions are not public services: they are left out."""
    procedures = list(Procedure.objects.filter(active=True, kind=CaseKind.ADMINISTRATIVE).select_related("field")
                      .order_by("field__name", "name"))
    total = len(procedures)
    counts = {level: sum(1 for p in procedures if p.online_level == level) for level in OnlineLevel.values}

    def share(n):
        return round(100 * n / total, 1) if total else 0.0

    return {
        "procedures": procedures,
        "total": total,
        "counts": counts,
        "shares": {level: share(n) for level, n in counts.items()},
        "online_share": share(counts[OnlineLevel.FULL] + counts[OnlineLevel.PARTIAL]),
    }


# ---------------------------------------------------------------------------------------------------------------
# the citizen submits online


def _new_reference(now):
    day = now.astimezone(VN_TZ).strftime("%y%m%d")
    for _ in range(20):
        reference = f"{REFERENCE_PREFIX}-{day}-" + "".join(secrets.choice(SECRET_ALPHABET) for _ in range(6))
        if not OnlineSubmission.objects.filter(reference=reference).exists():
            return reference
    raise Conflict("không tạo được số tham chiếu, hãy thử lại")  # 31^6 per day: never in practice


def _clean_files(procedure, documents, files):
    """The checklist items the citizen submits (all of them) and their files [(name, upload, field)]: each item has at
    least one file, each file names an item of the checklist; InvalidInput at `documents[i]` (the i-th checklist
    item) or at the file's field."""
    checklist = reception.checklist_of(procedure)
    names = [row["name"] for row in checklist]
    if documents is None:
        documents = names
    if not isinstance(documents, (list, tuple)) or not all(isinstance(d, str) for d in documents):
        raise InvalidInput("danh sách giấy tờ không hợp lệ", field="documents")
    unknown = [d for d in documents if d not in names]
    if unknown:
        raise InvalidInput(f"giấy tờ không có trong thành phần hồ sơ: {unknown[0][:100]}", field="documents")
    files = list(files or [])
    if len(files) > MAX_FILES:
        raise InvalidInput(f"tối đa {MAX_FILES} tệp trong một hồ sơ", field=files[MAX_FILES][2])
    for name, upload, field in files:
        if name not in names:
            raise InvalidInput(f"tệp cho giấy tờ không có trong thành phần hồ sơ: {str(name)[:100]}", field=field)
        attachments.check_upload(upload, field=field)
    with_file = {name for name, _upload, _field in files}
    for i, name in enumerate(names):
        if name not in documents or name not in with_file:
            raise InvalidInput(f"cần tải lên bản quét hoặc bản điện tử của '{name}' (PDF, JPEG hoặc PNG)",
                               field=f"documents[{i}]")
    return checklist, files


def _write_file(upload, now):
    """The bytes stored as every attachment's are (attachments.write_file). Returns (type, key, size, sha256)."""
    content_type = attachments.sniff(upload)
    return (content_type, *attachments.write_file(upload, content_type, now))


@transaction.atomic
def submit_online(*, procedure_code, unit_code, applicant, documents=None, files=(), simulated=False):
    """A dossier submitted on the portal: checked (the procedure is offered online at that unit, the applicant has a
    name and a phone or e-mail to be answered at, every checklist item has a PDF/JPEG/PNG file), stored, waiting at
    the unit's desk. Returns the OnlineSubmission (its `reference` and `secret` are what the citizen keeps)."""
    procedure, unit = online_procedure(procedure_code, unit_code)
    applicant = clean_applicant(applicant)
    if not applicant["phone"] and not applicant["email"]:
        raise InvalidInput("cần số điện thoại hoặc thư điện tử để bộ phận một cửa trả lời", field="applicant.phone")
    checklist, files = _clean_files(procedure, documents, files)
    now = clock.now()
    record = PersonalRecord.objects.create(**applicant)
    submission = OnlineSubmission.objects.create(
        reference=_new_reference(now), secret=new_lookup_secret(), procedure=procedure, unit=unit,
        applicant=record, status=SubmissionStatus.PENDING, submitted_at=now, simulated=bool(simulated))
    stored = {row["name"]: [] for row in checklist}
    for name, upload, _field in files:
        content_type, key, size, sha256 = _write_file(upload, now)
        attachment = Attachment.objects.create(
            submission=submission, document=name[:300], original_name=attachments._clean_name(upload.name),
            content_type=content_type, size=size, sha256=sha256, storage_key=key, uploaded_at=now)
        stored[name].append(attachment.pk)
    submission.documents = [{"name": row["name"], "copies": row["copies"], "attachments": stored[row["name"]]}
                            for row in checklist]
    submission.save(update_fields=["documents"])
    record_event("online_submitted", actor=SYSTEM, stream="portal", at=now,
                 after={"submission": submission.pk, "reference": submission.reference,
                        "procedure": procedure.code, "unit": unit.code, "online_level": procedure.online_level,
                        "documents": [row["name"] for row in checklist], "files": len(files),
                        "applicant_record": record.pk, **({"simulated": True} if simulated else {})})
    return submission


# ---------------------------------------------------------------------------------------------------------------
# the desk answers an online submission


def _lock_submission(submission_id, actor, what):
    try:
        submission_id = int(submission_id)
    except (TypeError, ValueError):
        raise NotFound("không có hồ sơ nộp trực tuyến này", field="submission") from None
    submission = (OnlineSubmission.objects.select_for_update(of=("self",))
                  .select_related("procedure", "unit", "applicant").filter(pk=submission_id).first())
    if submission is None:
        raise NotFound("không có hồ sơ nộp trực tuyến này", field="submission")
    _require_role(actor, submission.unit, Role.RECEPTION, what)
    if submission.status != SubmissionStatus.PENDING:
        raise Conflict(f"hồ sơ trực tuyến {submission.reference} đã được xử lý "
                       f"({SubmissionStatus(submission.status).label.lower()})", field="status")
    return submission, actor.with_context(Role.RECEPTION, submission.unit)


def _notify_applicant(submission, subject, body, key):
    """E-mail and SMS to the applicant of a submission (the notifications outbox, sent later)."""
    from .notifications import SMS_MAX_CHARS, _outbox

    applicant = submission.applicant
    if applicant.email:
        _outbox(NotificationChannel.EMAIL, key=key, subject=subject, body=body, address=applicant.email)
    if applicant.phone:
        _outbox(NotificationChannel.SMS, key=key, subject=subject,
                body=f"{subject}. Tra cứu: số {submission.reference}"[:SMS_MAX_CHARS], address=applicant.phone)


def _handled(submission, actor, status, now, reason=""):
    submission.status = status
    submission.handled_at = now
    submission.handled_by = actor.user if actor.user is not None and actor.user.pk else None
    submission.reason = reason
    submission.save(update_fields=["status", "handled_at", "handled_by", "reason", "dossier"])


@transaction.atomic
def receive_submission(submission_id, actor):
    """The desk found the online dossier complete: it is received as a dossier (code, appointment, workflow) with
    channel 2, the submitted files become the dossier's, and the secret the citizen already holds opens its progress.
    Returns the dossier."""
    submission, desk = _lock_submission(submission_id, actor, "tiếp nhận hồ sơ trực tuyến")
    applicant = submission.applicant
    documents = [{"name": d.get("name", ""), "copies": d.get("copies") or 1, "received": True}
                 for d in submission.documents or [] if isinstance(d, dict)]
    dossier = receive_dossier(
        procedure_code=submission.procedure.code, unit_code=submission.unit.code,
        applicant={"full_name": applicant.full_name, "id_number": applicant.id_number, "phone": applicant.phone,
                   "email": applicant.email, "address": applicant.address},
        channel=Channel.ONLINE, actor=actor, documents=documents, simulated=submission.simulated,
        applicant_record=applicant)
    dossier.lookup_secret = submission.secret
    dossier.save(update_fields=["lookup_secret"])
    now = clock.now()
    for attachment in Attachment.objects.filter(submission=submission).order_by("id"):
        attachment.dossier = dossier
        attachment.save(update_fields=["dossier"])
        record_event("attachment_added", actor=desk, dossier=dossier, at=now,
                     after={"attachment": attachment.pk, "name": attachment.original_name, "size": attachment.size,
                            "type": attachment.content_type, "document": attachment.document,
                            "sha256": attachment.sha256, "submission": submission.pk})
    submission.dossier = dossier
    _handled(submission, desk, SubmissionStatus.RECEIVED, now)
    record_event("online_received", actor=desk, dossier=dossier, at=now,
                 after={"submission": submission.pk, "reference": submission.reference, "code": dossier.code,
                        "submitted_at": submission.submitted_at.astimezone(VN_TZ).isoformat()})
    _notify_applicant(submission, f"Hồ sơ trực tuyến {submission.reference} đã được tiếp nhận, mã hồ sơ "
                                  f"{dossier.code}",
                      f"{submission.unit.name} đã tiếp nhận hồ sơ '{submission.procedure.name}' nộp trực tuyến "
                      f"(số {submission.reference}).\nMã hồ sơ: {dossier.code}.\nHẹn trả kết quả: "
                      f"{(dossier.appointment_at or dossier.due_at).astimezone(VN_TZ):%H:%M %d/%m/%Y}.\n"
                      f"Tra cứu tiến độ bằng mã hồ sơ và mã bí mật đã nhận khi nộp.",
                      key=f"online-received:s{submission.pk}")
    return dossier


@transaction.atomic
def ask_for_more(submission_id, actor, items):
    """Documents are missing (Decree 61/2018 Art. 17: once, completely): each item named once with its reason. The
    citizen sees them on the portal and by e-mail/SMS and submits again. Returns the submission."""
    items = reception.clean_missing_items(items)
    submission, desk = _lock_submission(submission_id, actor, "yêu cầu bổ sung hồ sơ trực tuyến")
    now = clock.now()
    reason = "\n".join(f"{i['name']}: {i['reason']}" for i in items)
    _handled(submission, desk, SubmissionStatus.INCOMPLETE, now, reason)
    record_event("online_incomplete", actor=desk, stream="portal", at=now,
                 after={"submission": submission.pk, "reference": submission.reference,
                        "items": [{"name": i["name"], "reason": i["reason"]} for i in items]})
    _notify_applicant(submission, f"Hồ sơ trực tuyến {submission.reference} cần bổ sung, hoàn thiện",
                      f"{submission.unit.name} đề nghị bổ sung, hoàn thiện hồ sơ '{submission.procedure.name}' "
                      f"(số {submission.reference}):\n{reason}\nHãy nộp lại hồ sơ kèm các giấy tờ trên.",
                      key=f"online-incomplete:s{submission.pk}")
    return submission


@transaction.atomic
def refuse_submission(submission_id, actor, reasons):
    """Not competent or not eligible: refused with the reasons, shown on the portal and sent by e-mail/SMS."""
    reasons = reception.clean_refusal_reasons(reasons)
    submission, desk = _lock_submission(submission_id, actor, "từ chối hồ sơ trực tuyến")
    now = clock.now()
    reason = "\n".join(reasons)
    _handled(submission, desk, SubmissionStatus.REFUSED, now, reason)
    record_event("online_refused", actor=desk, stream="portal", at=now,
                 after={"submission": submission.pk, "reference": submission.reference, "reasons": reasons})
    _notify_applicant(submission, f"Hồ sơ trực tuyến {submission.reference} không được tiếp nhận",
                      f"{submission.unit.name} từ chối tiếp nhận hồ sơ '{submission.procedure.name}' "
                      f"(số {submission.reference}). Lý do:\n{reason}",
                      key=f"online-refused:s{submission.pk}")
    return submission


def pending_submissions(unit, limit=50):
    """The desk's queue: online submissions of this unit waiting for an answer, oldest first."""
    if unit is None:
        return []
    return list(OnlineSubmission.objects.filter(unit=unit, status=SubmissionStatus.PENDING)
                .select_related("procedure", "applicant").order_by("submitted_at", "id")[:limit])


def desk_submission(unit, submission_id):
    """An online submission of this unit (any status), else None."""
    if unit is None:
        return None
    return (OnlineSubmission.objects.select_related("procedure", "unit", "applicant", "dossier", "handled_by")
            .filter(unit=unit, pk=submission_id).first())


# ---------------------------------------------------------------------------------------------------------------
# the citizen rates the service (SIPAS's five elements)


def clean_scores(scores):
    if not isinstance(scores, dict):
        raise InvalidInput("cần chấm điểm năm nội dung", field="scores")
    cleaned = {}
    for name in RATING_ELEMENTS:
        value = scores.get(name)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if value is None or value == "":
            raise InvalidInput("hãy chọn mức từ 1 đến 5", field=name)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise InvalidInput("mức hài lòng là số nguyên từ 1 (rất không hài lòng) đến 5 (rất hài lòng)", field=name)
        cleaned[name] = value
    return cleaned


@transaction.atomic
def rate_dossier(code, secret, scores, comment="", phone=None, channel=Channel.ONLINE):
    """The applicant's rating after the result is returned: once per dossier, five scores 1–5 and a comment. A wrong
    code or secret is NotFound (the same answer for both). `channel`: online (the portal) or at the counter (a rating
    device). Returns the ServiceRating."""
    if channel not in (Channel.ONLINE, Channel.COUNTER):
        raise InvalidInput("kênh đánh giá không hợp lệ", field="channel")
    scores = clean_scores(scores)
    comment = clean_text(comment, "comment", what="ý kiến góp ý", limit=MAX_COMMENT, required=False)
    code = clean_code(code)
    dossier = None
    if code is not None and not is_reference(code.upper()):
        dossier = (Dossier.objects.select_for_update(of=("self",)).select_related("applicant", "procedure")
                   .filter(code=code).first())
    if dossier is None or not _proves(secret, phone, expected_secret=dossier.lookup_secret,
                                      expected_phone=_proof_phone(dossier)):
        if dossier is None:
            _proves(secret, phone, expected_secret="", expected_phone="")
        raise NotFound("không tìm thấy hồ sơ với mã hồ sơ và mã bí mật này", field="code")
    if dossier.status != DossierStatus.RETURNED:
        raise Conflict("chỉ đánh giá được sau khi đã nhận kết quả giải quyết hồ sơ", field="status")
    if ServiceRating.objects.filter(dossier=dossier).exists():
        raise Conflict("hồ sơ này đã được đánh giá; mỗi hồ sơ chỉ đánh giá một lần", field="code")
    now = clock.now()
    try:
        with transaction.atomic():
            rating = ServiceRating.objects.create(dossier=dossier, comment=comment, channel=channel,
                                                  rated_at=now, **scores)
    except IntegrityError:
        raise Conflict("hồ sơ này đã được đánh giá; mỗi hồ sơ chỉ đánh giá một lần", field="code") from None
    record_event("rated", actor=SYSTEM, dossier=dossier, at=now,
                 after={"rating": rating.pk, "scores": scores, "comment": bool(comment), "channel": int(channel)})
    return rating


# ---------------------------------------------------------------------------------------------------------------
# public statistics

PUBLIC_CACHE_SECONDS = 300


def public_statistics_units():
    """The units whose figures are published: those with a one-stop desk (districts, communes, wards)."""
    return list(AdministrativeUnit.objects.filter(active=True, memberships__role=Role.RECEPTION).distinct()
                .order_by("kind", "name"))


def public_statistics(unit_code, year, month=None):
    """The published figures of a unit (with its departments) for a year or a month: the statistics report's totals
    and its rows by procedure (administrative dossiers only: the report's default kind) — counts and rates only.
    Cached five minutes per unit and period, so that the public page costs the database one report however often it
    is read."""
    from django.core.cache import cache

    from .. import statistics

    unit = AdministrativeUnit.objects.filter(code=unit_code, active=True).first()
    if unit is None:
        raise NotFound(f"không có đơn vị mã {unit_code}", field="unit")
    first = date(year, month or 1, 1)
    last = (date(year + (month or 12) // 12, (month or 12) % 12 + 1, 1) - timedelta(days=1))
    key = f"portal:statistics:{unit.pk}:{first.isoformat()}:{last.isoformat()}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    parents = statistics.unit_parents()
    scope = statistics.Scope.for_days(first, last, unit_ids=statistics.subtree_ids({unit.pk}, parents))
    result = statistics.report(scope, parents)
    figures = {
        "unit": {"code": unit.code, "name": unit.name}, "first": first, "last": last, "totals": result.totals,
        "by_procedure": [{"name": row["procedure"].name, "code": row["procedure"].code,
                          **{k: v for k, v in row.items() if k not in ("procedure", "key")}}
                         for row in result.by_procedure],
        "as_of": scope.as_of,
    }
    cache.set(key, figures, PUBLIC_CACHE_SECONDS)
    return figures
