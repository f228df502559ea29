"""The step page's actions (issue 4): request a supplementation (form 02), refuse (form 03), explain a delay and
apologise with a new appointment (form 04), record the measure taken on an escalation, and the dossier's scans
(list, upload, view). Thin: parse → one service → redirect, or the step page again with the service's message at the
field. Each action is shown to whoever may do it (the predicates below mirror the services' rules); the services
decide.

Bodies are parsed defensively (`guarded_post`): a body beyond DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields or
files, a malformed multipart body or a file beyond ATTACHMENT_MAX_BYTES gives the page back with a message at the
field (400), never a 500 or Django's bare "Bad Request"; nothing is acted on then. A file over the limit is not
even written to a temporary file: `CappedUploadHandler` stops reading it at the limit."""
import os
import unicodedata
from functools import wraps
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import FileResponse, Http404, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from processes import privacy
from processes import selectors as process_selectors
from processes.models import OPEN_STATUSES, CaseKind, DossierStatus, Role, WorkItemKind, WorkItemStatus
from processes.services import attachments as attachment_services
from processes.services import dossiers as dossier_services
from processes.services import statutory
from processes.services.errors import ServiceError

from . import selectors
from .auth import official_required
from .forms_step import AttachmentForm, EscalationForm, ExplainForm, RefuseForm, SupplementForm, fmt_vn
from .views import _step_or_404, actor_of, completion_form, step_context

SUPPLEMENT_STATUSES = (DossierStatus.RECEIVED, DossierStatus.PROCESSING)
# The forms of the page, by the keyword step_context passes them on with.
FORMS = ("supplement_form", "refuse_form", "explain_form", "escalation_form", "attachment_form")


# ---------------------------------------------------------------------------------------------------------------
# reading the body without a 500


class CappedUploadHandler(FileUploadHandler):
    """First of the upload handlers: a file that passes the attachment limit is skipped at that point (its name is
    noted on the request), so a huge upload is never stored in full, not even in a temporary file."""

    def __init__(self, request=None):
        super().__init__(request)
        self.limit = attachment_services.max_bytes()

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.request.too_large.append(os.path.basename(self.file_name or "")[:255])
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handlers build the file


def _body_message(exc):
    if isinstance(exc, RequestDataTooBig):
        return _("Nội dung gửi lên quá lớn (tối đa %(mb)s MB ngoài tệp đính kèm), chưa có gì được ghi nhận. Hãy "
                 "rút gọn nội dung rồi gửi lại.") % {"mb": settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)}
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        return _("Biểu mẫu gửi lên có quá nhiều trường hoặc quá nhiều tệp, chưa có gì được ghi nhận. Hãy gửi lại.")
    return _("Không đọc được dữ liệu gửi lên (đường truyền có thể đã bị ngắt), chưa có gì được ghi nhận. Hãy gửi "
             "lại.")


def guarded_post(uploads=False):
    """Reads the POST body before the CSRF check (which would otherwise read it first and answer a bare 400 or a 500):
    a body that cannot be read sets `request.body_error` and the view answers the page with that message, acting on
    nothing (so skipping the CSRF check then is harmless); a readable body goes through csrf_protect as usual.
    With `uploads`, files over ATTACHMENT_MAX_BYTES are skipped while reading (`request.too_large`)."""

    def decorate(view):
        protected = csrf_protect(view)

        @wraps(view)
        def wrapper(request, *args, **kwargs):
            request.body_error = None
            request.too_large = []
            if uploads:
                request.upload_handlers.insert(0, CappedUploadHandler(request))
            try:
                request.POST  # noqa: B018 — parse now, under our handlers
                request.FILES  # noqa: B018
            except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent, MultiPartParserError,
                    UnreadablePostError) as exc:
                request.body_error = _body_message(exc)
                return view(request, *args, **kwargs)
            return protected(request, *args, **kwargs)

        return csrf_exempt(wrapper)

    return decorate


# ---------------------------------------------------------------------------------------------------------------
# who is offered what (the services decide; these only choose what the page shows)


def _holds(user, unit_id, role):
    return process_selectors.holds_role(user, unit_id, role)


def _works_on(user, item):
    return item.status == WorkItemStatus.OPEN and (item.claimed_by_id == user.pk or selectors.has_role_for(user, item))


def may_request_supplement(user, item):
    """statutory.request_supplementation: the holder of an open step, or the receiving unit's reception/specialist."""
    dossier = item.dossier
    if item.kind != WorkItemKind.STEP or item.status != WorkItemStatus.OPEN or dossier.status not in SUPPLEMENT_STATUSES:
        return False
    if dossier.procedure.kind != CaseKind.ADMINISTRATIVE:
        return False  # forms 02 and 03 are the one-stop procedures'; a case asks and refuses through its own steps
    return _works_on(user, item) or any(_holds(user, dossier.receiving_unit_id, role)
                                        for role in (Role.RECEPTION, Role.SPECIALIST))


def may_refuse(user, item):
    """statutory.refuse_dossier: an official of the unit of an open step, or the receiving unit's reception and
    leaders."""
    dossier = item.dossier
    if dossier.procedure.kind != CaseKind.ADMINISTRATIVE:
        return False
    if item.kind != WorkItemKind.STEP or item.status != WorkItemStatus.OPEN or dossier.status not in OPEN_STATUSES:
        return False
    return _works_on(user, item) or any(_holds(user, dossier.receiving_unit_id, role)
                                        for role in (Role.RECEPTION, Role.UNIT_LEADER, Role.SIGNING_LEADER))


def may_explain(user, item):
    """statutory.file_explanation: the leader of the late unit or of its parent, or the receiving unit's signing
    leader."""
    if item.kind != WorkItemKind.EXPLAIN_DELAY or item.status != WorkItemStatus.OPEN:
        return False
    return (_holds(user, item.unit_id, Role.UNIT_LEADER)
            or (item.unit.parent_id is not None and _holds(user, item.unit.parent_id, Role.UNIT_LEADER))
            or _holds(user, item.dossier.receiving_unit_id, Role.SIGNING_LEADER))


def may_resolve(user, item):
    """dossiers.resolve_escalation: the item's role at its unit (the receiving unit's signing leader)."""
    return (item.kind == WorkItemKind.ESCALATION and item.status == WorkItemStatus.OPEN
            and _holds(user, item.unit_id, item.role))


def may_attach(user, dossier):
    return dossier.status not in attachment_services.CLOSED and attachment_services.can_attach(user, dossier)


def actions_context(request, item, **bound):
    """What step.html's action partials need; `bound` holds the forms of a failed action, shown with its messages."""
    user = request.user
    dossier = item.dossier
    context = {name: bound.get(name) for name in FORMS}
    context["can_request_supplement"] = may_request_supplement(user, item)
    if context["can_request_supplement"] and context["supplement_form"] is None:
        context["supplement_form"] = SupplementForm(prefix="supplement")
    context["can_refuse"] = may_refuse(user, item)
    if context["can_refuse"] and context["refuse_form"] is None:
        context["refuse_form"] = RefuseForm(prefix="refuse")
    context["supplementation"] = selectors.open_supplementation(dossier)
    shown = privacy.applicant_visible(user, dossier)
    if item.kind == WorkItemKind.EXPLAIN_DELAY:
        explanation = selectors.explanation_for(item)
        if explanation is not None and not shown:
            # the apology letter is addressed to the denouncer: their identity redacted (processes.privacy)
            explanation.letter = privacy.redact_text(explanation.letter, dossier, str(privacy.MASK_LABEL))
        context["explanation"] = explanation
        context["can_explain"] = may_explain(user, item)
        if context["can_explain"]:
            draft = statutory.explanation_draft(item.pk, actor_of(request))
            context["explain_draft"] = draft
            if context["explain_form"] is None:
                context["explain_form"] = ExplainForm(
                    prefix="explain", initial={"new_appointment": fmt_vn(draft["proposed_appointment"])})
    if item.kind == WorkItemKind.ESCALATION:
        context["escalation_note"] = selectors.escalation_note(item)
        context["can_resolve"] = may_resolve(user, item)
        if context["can_resolve"] and context["escalation_form"] is None:
            context["escalation_form"] = EscalationForm(prefix="escalation")
    context["attachments"] = selectors.attachments_of(dossier)
    # a denunciation's scans carry the denouncer's identity: opened only by whoever may read it (processes.privacy)
    context["attachments_locked"] = not shown
    context["can_attach"] = may_attach(user, dossier)
    if context["can_attach"] and context["attachment_form"] is None:
        context["attachment_form"] = AttachmentForm(prefix="attachment")
    context["attachment_documents"] = selectors.document_names(dossier)
    context["attachment_limit"] = AttachmentForm.limit_text()
    return context


# ---------------------------------------------------------------------------------------------------------------
# the actions


# The flag under which step.html shows each form.
SHOWN_WHEN = {"supplement_form": "can_request_supplement", "refuse_form": "can_refuse", "explain_form": "can_explain",
              "escalation_form": "can_resolve", "attachment_form": "can_attach"}


def _page(request, item, status=400, **forms):
    """The step page again, with the failed action's form and its messages. When the page no longer shows that form
    (the official may not do it, or it was done meanwhile) its messages go to the page's message area."""
    for form in forms.values():
        form.mark_errors()
    context = step_context(request, item, completion_form(request, item), **forms)
    context["here"] = reverse("webui:step", args=[item.pk])
    for name, form in forms.items():
        if not context.get(SHOWN_WHEN[name]):
            found = [e for errors in form.errors.values() for e in errors]
            found += [getattr(form, "file_error", None), getattr(form, "items_error", None)]
            for error in dict.fromkeys(e for e in found if e):
                messages.error(request, error)
    return render(request, "webui/step.html", context, status=status)


def _done(request, item, message, anchor=""):
    messages.success(request, message)
    response = redirect("webui:step", item_id=item.pk)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


def _run(request, item, form, name, action, done, anchor=""):
    """form parsed → action() → the step page with `done`, or the page again with the service's message at the field
    (status: 400 bad input, 403 not allowed, 404, 409 conflict)."""
    status = 400
    if request.body_error:
        form.add_body_error(request.body_error)
    elif form.is_valid() and not form.has_errors:
        try:
            result = action()
        except ServiceError as exc:
            form.apply_service_error(exc)
            status = exc.status_code
        else:
            return _done(request, item, done(result) if callable(done) else done, anchor)
    return _page(request, item, status=status, **{name: form})


@require_POST
@guarded_post()
@official_required
def request_supplement(request, item_id):
    item = _step_or_404(request, item_id)
    form = SupplementForm(request.POST, prefix="supplement")
    items = None
    if not request.body_error:
        items = form.items()  # None: a quantity is not a number (said at its row)
        if items is None:
            form.is_valid()
            return _page(request, item, supplement_form=form)
    return _run(request, item, form, "supplement_form",
                lambda: statutory.request_supplementation(item.dossier.code, actor_of(request), items,
                                                          form.cleaned_data["reason"]),
                _("Đã gửi phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (mẫu 02) cho công dân; hồ sơ %(code)s tạm dừng "
                  "tính thời hạn cho đến khi nhận đủ giấy tờ bổ sung.") % {"code": item.dossier.code})


@require_POST
@guarded_post()
@official_required
def refuse(request, item_id):
    item = _step_or_404(request, item_id)
    form = RefuseForm(request.POST, prefix="refuse")
    return _run(request, item, form, "refuse_form",
                lambda: statutory.refuse_dossier(item.dossier.code, actor_of(request), form.reason_list()),
                _("Đã từ chối giải quyết hồ sơ %(code)s; phiếu từ chối (mẫu 03) đã gửi công dân.")
                % {"code": item.dossier.code})


@require_POST
@guarded_post()
@official_required
def explain(request, item_id):
    item = _step_or_404(request, item_id)
    form = ExplainForm(request.POST, prefix="explain")
    return _run(request, item, form, "explain_form",
                lambda: statutory.file_explanation(item.pk, actor_of(request), form.cleaned_data["reason"],
                                                   form.cleaned_data["new_appointment"]),
                lambda outcome: _("Đã gửi văn bản xin lỗi và hẹn lại ngày trả kết quả (mẫu 04) của hồ sơ %(code)s: "
                                  "hẹn mới %(when)s.") % {"code": item.dossier.code,
                                                          "when": fmt_vn(outcome.record.new_appointment)},
                anchor="explanation")


@require_POST
@guarded_post()
@official_required
def resolve_escalation(request, item_id):
    item = _step_or_404(request, item_id)
    form = EscalationForm(request.POST, prefix="escalation")
    return _run(request, item, form, "escalation_form",
                lambda: dossier_services.resolve_escalation(item_id=item.pk, actor=actor_of(request),
                                                            note=form.cleaned_data["note"]),
                _("Đã ghi nhận biện pháp xử lý hồ sơ %(code)s.") % {"code": item.dossier.code},
                anchor="escalation")


# ---------------------------------------------------------------------------------------------------------------
# attachments


@require_POST
@guarded_post(uploads=True)
@official_required
def upload_attachment(request, item_id):
    item = _step_or_404(request, item_id)
    form = AttachmentForm(request.POST, prefix="attachment")
    upload = request.FILES.get("attachment-file")
    if request.body_error:
        form.file_error = request.body_error
    elif request.too_large:
        form.file_error = _("Tệp %(name)s vượt quá giới hạn %(limit)s, chưa được lưu. Hãy quét lại với độ phân giải "
                            "thấp hơn hoặc chia thành nhiều tệp.") % {"name": request.too_large[0],
                                                                     "limit": AttachmentForm.limit_text()}
    elif upload is None:
        form.file_error = _("Hãy chọn một tệp PDF, JPEG hoặc PNG.")
    status = 400
    if not form.file_error and form.is_valid():
        try:
            attachment = attachment_services.add_attachment(
                code=item.dossier.code, actor=actor_of(request), upload=upload,
                document=form.cleaned_data["document"], work_item_id=item.pk, field="file")
        except ServiceError as exc:
            form.apply_service_error(exc)
            status = exc.status_code
        else:
            return _done(request, item, _("Đã thêm tệp %(name)s vào hồ sơ %(code)s.")
                         % {"name": attachment.original_name, "code": item.dossier.code}, anchor="attachments")
    return _page(request, item, status=status, attachment_form=form)


def download_name(attachment, content_type):
    """The name the browser shows: the uploaded name without control or path characters, with the extension of the
    type found in the bytes (a PNG named .pdf is offered as .png)."""
    stem = os.path.splitext(os.path.basename(attachment.original_name or ""))[0]
    stem = "".join(c for c in stem if c.isprintable() and c not in '\\/"<>:|?*;%').strip(" .")[:120]
    return (stem or "tep-dinh-kem") + attachment_services.EXTENSIONS.get(content_type, ".bin")


def content_disposition(name, disposition="inline"):
    """RFC 6266: an ASCII fallback and the UTF-8 name (Vietnamese names keep their marks where supported)."""
    ascii_name = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    ascii_name = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else ("-" if c in " ,()[]" else "")
                         for c in ascii_name if not unicodedata.combining(c)) or "tep-dinh-kem"
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


@require_GET
@official_required
def attachment_file(request, attachment_id):
    """The file, to an official who may see its dossier (404 otherwise): the type found in its bytes, inline, never
    sniffed by the browser, images sandboxed, not kept in shared caches."""
    return attachment_response(process_selectors.attachment_for(request.user, attachment_id))


def attachment_response(attachment):
    """A stored file as the officials' pages serve it (404 for None or a file gone from the store): the type found in
    its bytes, inline, never sniffed by the browser, images sandboxed, not kept in shared caches."""
    if attachment is None:
        raise Http404(_("Không có tệp này"))
    try:
        handle = open(attachment_services.attachment_path(attachment), "rb")  # noqa: SIM115 — FileResponse closes
    except OSError:
        raise Http404(_("Không có tệp này")) from None
    content_type = attachment_services.sniff(handle)
    disposition = "inline"
    if content_type is None:  # the stored bytes are not what was accepted: never shown in the browser
        content_type, disposition = "application/octet-stream", "attachment"
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition(download_name(attachment, content_type), disposition)
    response["X-Content-Type-Options"] = "nosniff"
    if content_type != "application/pdf":
        # Not on PDFs: Chromium does not open its PDF viewer in a sandboxed document, and officials must read scans.
        response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private"
    response["Referrer-Policy"] = "no-referrer"
    return response
