"""The one-stop reception desk: the catalogue, the intake form and its three decisions (receive → form 01,
incomplete → form 02, refuse → form 03), the desk's dossier page (fees, returning the result, supplementation,
withdrawal), the online submissions waiting at the desk (receive, ask for more, refuse), and the citizens' public
look-up (answered by views_portal). Thin: parse → one service or selector → render. Only officials holding
the reception role in their current unit use the desk (others get 403); another unit's dossier or notice is a 404."""
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from processes import privacy
from processes import selectors as process_selectors
from processes.models import Event, FeePayment
from processes.services import forms as form_services
from processes.services import portal, reception
from processes.services.errors import InvalidInput, NotFound, ServiceError
from processes.services.pdf import render_pdf

from .auth import current_unit, is_htmx, official_required, roles_in
from .forms_reception import (
    CASE_CONTENT,
    CatalogueSearchForm,
    FeeForm,
    FeePaidForm,
    FindDossierForm,
    IntakeForm,
    ReturnForm,
    SupplementForm,
    WithdrawForm,
)
from .forms_portal import AskForMoreForm, RefuseSubmissionForm
from .views import actor_of


def desk_required(view):
    """Signed in, and holding the reception role in the current unit; the view gets that unit."""

    @wraps(view)
    @official_required
    def wrapper(request, *args, **kwargs):
        unit = current_unit(request)
        if unit is None or "reception" not in roles_in(request, unit):
            raise PermissionDenied(_("Chỉ cán bộ tiếp nhận một cửa của đơn vị mới dùng được trang này."))
        return view(request, unit, *args, **kwargs)

    return wrapper


def _pdf(data, filename):
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _dossier_or_404(unit, code):
    dossier = reception.desk_dossier(unit, code)
    if dossier is None:
        raise Http404(_("Không có hồ sơ này tại đơn vị."))
    return dossier


# ---------------------------------------------------------------------------------------------------------------
# the desk: catalogue search, find a dossier, the work lists


def _desk_lists(request, unit):
    """The desk's work lists, each dossier's `applicant_label` a denouncer's name only for whoever may read it."""
    lists = reception.desk_lists(unit)
    for name in ("to_return", "awaiting_supplement"):
        privacy.label_applicants(lists[name], request.user)
    lists["notices"] = [privacy.notice_for_viewer(request.user, n) for n in lists["notices"]]
    return lists


@desk_required
def desk(request, unit):
    search = CatalogueSearchForm(request.GET or None)
    q = search.query()
    procedures, total = reception.search_catalogue(unit, q)
    context = {"unit": unit, "search": search, "q": q, "procedures": procedures, "total": total}
    if is_htmx(request) and request.headers.get("HX-History-Restore-Request") != "true":
        response = render(request, "webui/reception_catalogue.html", context)
    else:
        context.update(find=FindDossierForm(), lists=_desk_lists(request, unit),
                       online=portal.pending_submissions(unit))
        response = render(request, "webui/reception.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@desk_required
def find_dossier(request, unit):
    find = FindDossierForm(request.GET)
    if find.is_valid():
        dossier = reception.desk_dossier(unit, find.cleaned_data["code"])
        if dossier is not None:
            return redirect("webui:reception-dossier", code=dossier.code)
        find.add_error("code", _("Không có hồ sơ mã %(code)s tại %(unit)s.")
                       % {"code": find.cleaned_data["code"].strip(), "unit": unit.name})
        status = 404
    else:
        status = 400
    search = CatalogueSearchForm()
    procedures, total = reception.search_catalogue(unit, "")
    context = {"unit": unit, "search": search, "q": "", "procedures": procedures, "total": total, "find": find,
               "lists": _desk_lists(request, unit), "online": portal.pending_submissions(unit)}
    return render(request, "webui/reception.html", context, status=status)


# ---------------------------------------------------------------------------------------------------------------
# intake: the three decisions


def _intake_error(form, exc, name_fields=(), reason_fields=()):
    """Puts a service error at its field; form 02's items[i].name / items[i].reason go to the row they came from."""
    field = exc.field or ""
    if field.startswith("items[") and "]" in field:
        try:
            index = int(field[6:field.index("]")])
        except ValueError:
            index = -1
        targets = reason_fields if field.endswith(".reason") else name_fields
        if 0 <= index < len(targets):
            form.add_error(targets[index], exc.message[:1].upper() + exc.message[1:])
            return
    form.show_service_error(exc)


@desk_required
def intake(request, unit, procedure_code):
    try:
        procedure = reception.desk_procedure(unit, procedure_code)
    except NotFound:
        raise Http404(_("Không có thủ tục này trong danh mục tiếp nhận của đơn vị.")) from None
    checklist = reception.checklist_of(procedure)
    posted = request.method == "POST"
    form = IntakeForm(request.POST if posted else None, request.FILES if posted else None, checklist=checklist,
                      kind=procedure.kind)
    if posted and form.is_valid():
        decision = form.cleaned_data.get("decision") or "receive"
        actor = actor_of(request)
        common = {"unit_code": unit.code, "procedure_code": procedure.code, "applicant": form.applicant(),
                  "channel": form.cleaned_data["channel"], "actor": actor}
        name_fields = reason_fields = ()
        try:
            if decision == "receive":
                dossier = reception.receive_at_desk(ticked=form.ticked(), scans=form.scans(), **form.case_data(),
                                                    **common)
                messages.success(request, (_("Đã tiếp nhận đơn %(code)s.") if form.kind in CASE_CONTENT
                                           else _("Đã tiếp nhận hồ sơ %(code)s.")) % {"code": dossier.code})
                return redirect("webui:reception-receipt", code=dossier.code)
            if decision == "incomplete":
                items, name_fields, reason_fields = form.missing_items()
                notice = reception.issue_incomplete_notice(items=items, **common)
            else:
                notice = reception.issue_refusal_notice(reasons=form.reason_list(), **common)
        except InvalidInput as exc:
            _intake_error(form, exc, name_fields, reason_fields)
        except ServiceError as exc:  # NotAllowed / NotFound / Conflict: not a field's fault
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Đã lập phiếu số %(number)s.") % {"number": notice.number})
            return redirect("webui:reception-notice", notice_id=notice.pk)
    if form.is_bound:
        form.mark_errors()
    context = {"unit": unit, "procedure": procedure, "form": form, "checklist": checklist}
    return render(request, "webui/reception_intake.html", context, status=400 if form.errors else 200)


@desk_required
def receipt(request, unit, code):
    """Right after reception: the code and the appointment, and form 01 to print."""
    dossier = _dossier_or_404(unit, code)
    applicant = process_selectors.applicant_for(request.user, dossier)
    context = {"unit": unit, "dossier": dossier, "appointment": dossier.appointment_at or dossier.due_at,
               "attachments": [] if applicant["masked"] else list(dossier.attachments.all()),
               "applicant": applicant}
    return render(request, "webui/reception_receipt.html", context)


@desk_required
def form_01_pdf(request, unit, code):
    dossier = _dossier_or_404(unit, code)
    # the receipt names the denouncer: printed by whoever received the denunciation, masked for other desk officials
    rendered = form_services.form_01(privacy.for_viewer(request.user, dossier))
    return _pdf(render_pdf(rendered.html), f"mau-01-{dossier.code}.pdf")


@desk_required
def notice(request, unit, notice_id):
    found = reception.desk_notice(unit, notice_id)
    if found is None:
        raise Http404(_("Không có phiếu này tại đơn vị."))
    return render(request, "webui/reception_notice.html",
                  {"unit": unit, "notice": privacy.notice_for_viewer(request.user, found)})


@desk_required
def notice_pdf(request, unit, notice_id):
    found = reception.desk_notice(unit, notice_id)
    if found is None:
        raise Http404(_("Không có phiếu này tại đơn vị."))
    found = privacy.notice_for_viewer(request.user, found)
    return _pdf(render_pdf(found.form_html), f"mau-{found.form_code}-{found.number}.pdf")


# ---------------------------------------------------------------------------------------------------------------
# the desk's dossier page and its actions


def _dossier_page(request, unit, dossier, status=200, **forms):
    fees = list(dossier.fees.select_related("recorded_by").order_by("recorded_at", "id"))
    returned = Event.objects.filter(dossier=dossier, kind="returned").order_by("-id").first()
    applicant = process_selectors.applicant_for(request.user, dossier)
    context = {
        "unit": unit,
        "dossier": dossier,
        "applicant": applicant,
        "returned_to": privacy.returned_to(request.user, dossier),
        "appointment": dossier.appointment_at or dossier.due_at,
        "fees": fees,
        "waiting_fees": [f for f in fees if f.status == "waiting"],
        # a denunciation's scans (their names too) only to whoever may read the denouncer's identity
        "attachments": [] if applicant["masked"] else list(dossier.attachments.all()),
        "supplementation": reception.open_supplementation(dossier),
        "returned_event": returned,
        "history": privacy.redact_events(process_selectors.dossier_history(dossier), dossier, request.user),
        "fee_form": forms.get("fee_form") or FeeForm(initial={"status": "paid",
                                                              "amount": int(dossier.procedure.fee or 0),
                                                              "description": _("Phí, lệ phí: %(p)s")
                                                              % {"p": dossier.procedure.name}}),
        "paid_form": forms.get("paid_form") or FeePaidForm(),
        "paid_fee_id": forms.get("paid_fee_id"),
        "return_form": forms.get("return_form") or ReturnForm(),
        "supplement_form": forms.get("supplement_form") or SupplementForm(),
        "withdraw_form": forms.get("withdraw_form") or WithdrawForm(),
        "can_return": dossier.status == "processed",
        "can_supplement": dossier.status == "supplement_requested",
        "can_withdraw": dossier.status in ("received", "processing", "supplement_requested", "awaiting_fee"),
        "can_fee": dossier.status in ("received", "processing", "supplement_requested", "awaiting_fee",
                                      "processed"),
    }
    for form in forms.values():
        if hasattr(form, "mark_errors") and form.is_bound:
            form.mark_errors()
    return render(request, "webui/reception_dossier.html", context, status=status)


def _act(request, unit, dossier, form, key, action, done, **extra):
    """Runs one service with a valid form; a bad input comes back at the field (400), a conflict as a message."""
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except InvalidInput as exc:
            form.show_service_error(exc)
        except ServiceError as exc:
            messages.error(request, exc.message)
            return redirect("webui:reception-dossier", code=dossier.code)
        else:
            messages.success(request, done)
            return redirect("webui:reception-dossier", code=dossier.code)
    return _dossier_page(request, unit, dossier, status=400, **{key: form}, **extra)


@desk_required
def dossier_page(request, unit, code):
    return _dossier_page(request, unit, _dossier_or_404(unit, code))


@require_POST
@desk_required
def record_fee(request, unit, code):
    dossier = _dossier_or_404(unit, code)
    form = FeeForm(request.POST)
    return _act(request, unit, dossier, form, "fee_form",
                lambda data: reception.record_fee(code=dossier.code, amount=data["amount"],
                                                  description=data["description"],
                                                  receipt_number=data["receipt_number"], status=data["status"],
                                                  actor=actor_of(request)),
                _("Đã ghi nhận khoản phí, lệ phí."))


@require_POST
@desk_required
def fee_paid(request, unit, fee_id):
    fee = FeePayment.objects.select_related("dossier").filter(pk=fee_id, dossier__receiving_unit=unit).first()
    if fee is None:
        raise Http404(_("Không có khoản phí này tại đơn vị."))
    dossier = reception.desk_dossier(unit, fee.dossier.code)
    form = FeePaidForm(request.POST)
    return _act(request, unit, dossier, form, "paid_form",
                lambda data: reception.mark_fee_paid(fee_id=fee.pk, receipt_number=data["receipt_number"],
                                                     actor=actor_of(request)),
                _("Đã ghi nhận đã nộp phí, lệ phí."), paid_fee_id=fee.pk)


@require_POST
@desk_required
def return_result(request, unit, code):
    dossier = _dossier_or_404(unit, code)
    form = ReturnForm(request.POST)
    return _act(request, unit, dossier, form, "return_form",
                lambda data: reception.return_at_counter(
                    code=dossier.code, actor=actor_of(request), collector=data["collector"],
                    representative_name=data["representative_name"],
                    representative_id_number=data["representative_id_number"]),
                _("Đã trả kết quả hồ sơ %(code)s.") % {"code": dossier.code})


@require_POST
@desk_required
def receive_supplement(request, unit, code):
    dossier = _dossier_or_404(unit, code)
    form = SupplementForm(request.POST, request.FILES)
    supplementation = reception.open_supplementation(dossier)
    names = "; ".join(i.get("name", "") for i in (supplementation.items if supplementation else []))
    return _act(request, unit, dossier, form, "supplement_form",
                lambda data: reception.receive_supplementation_at_desk(
                    code=dossier.code, actor=actor_of(request),
                    scans=[(names[:300], upload, "scans") for upload in data["scans"]]),
                _("Đã nhận hồ sơ bổ sung; thời hạn giải quyết được tính lại từ đầu."))


@require_POST
@desk_required
def withdraw(request, unit, code):
    dossier = _dossier_or_404(unit, code)
    form = WithdrawForm(request.POST)
    return _act(request, unit, dossier, form, "withdraw_form",
                lambda data: reception.withdraw_at_desk(code=dossier.code, actor=actor_of(request),
                                                        reason=data["reason"]),
                _("Đã ghi nhận công dân rút hồ sơ %(code)s.") % {"code": dossier.code})


# ---------------------------------------------------------------------------------------------------------------
# the citizens' look-up (no sign-in)


def lookup(request):
    """/tra-cuu/ (public:lookup): the citizens' portal answers it (views_portal.lookup: status from the code alone,
    the progress with the receipt's secret, rate-limited)."""
    from .views_portal import lookup as portal_lookup

    return portal_lookup(request)


# ---------------------------------------------------------------------------------------------------------------
# online submissions waiting at the desk (the citizens' portal, channel 2)


def _submission_or_404(unit, submission_id):
    found = portal.desk_submission(unit, submission_id)
    if found is None:
        raise Http404(_("Không có hồ sơ nộp trực tuyến này tại đơn vị."))
    return found


def _online_page(request, unit, submission, status=200, **forms):
    checklist = [{"name": d.get("name", ""), "copies": d.get("copies") or 1}
                 for d in submission.documents or [] if isinstance(d, dict)]
    context = {
        "unit": unit,
        "submission": submission,
        "applicant": submission.applicant,
        "attachments": list(submission.attachments.order_by("id")),
        "pending": submission.status == "pending",
        "more_form": forms.get("more_form") or AskForMoreForm(checklist=checklist),
        "refuse_form": forms.get("refuse_form") or RefuseSubmissionForm(),
    }
    for form in forms.values():
        if hasattr(form, "mark_errors") and form.is_bound:
            form.mark_errors()
    return render(request, "webui/reception_online.html", context, status=status)


@desk_required
def online_submission(request, unit, submission_id):
    return _online_page(request, unit, _submission_or_404(unit, submission_id))


@require_GET
@desk_required
def online_file(request, unit, submission_id, attachment_id):
    """A file of an online submission, to this unit's desk."""
    from .views_step import attachment_response

    submission = _submission_or_404(unit, submission_id)
    return attachment_response(submission.attachments.filter(pk=attachment_id).first())


def _online_conflict(request, exc, submission):
    messages.error(request, exc.message[:1].upper() + exc.message[1:])
    return redirect("webui:reception-online", submission_id=submission.pk)


@require_POST
@desk_required
def online_receive(request, unit, submission_id):
    submission = _submission_or_404(unit, submission_id)
    try:
        dossier = portal.receive_submission(submission.pk, actor_of(request))
    except ServiceError as exc:
        return _online_conflict(request, exc, submission)
    messages.success(request, _("Đã tiếp nhận hồ sơ trực tuyến %(ref)s: mã hồ sơ %(code)s.")
                     % {"ref": submission.reference, "code": dossier.code})
    return redirect("webui:reception-receipt", code=dossier.code)


@require_POST
@desk_required
def online_more(request, unit, submission_id):
    submission = _submission_or_404(unit, submission_id)
    checklist = [{"name": d.get("name", ""), "copies": d.get("copies") or 1}
                 for d in submission.documents or [] if isinstance(d, dict)]
    form = AskForMoreForm(request.POST, checklist=checklist)
    if form.is_valid():
        items, name_fields, reason_fields = form.items()
        try:
            portal.ask_for_more(submission.pk, actor_of(request), items)
        except InvalidInput as exc:
            _intake_error(form, exc, name_fields, reason_fields)
        except ServiceError as exc:
            return _online_conflict(request, exc, submission)
        else:
            messages.success(request, _("Đã yêu cầu bổ sung hồ sơ trực tuyến %(ref)s; người nộp được thông báo.")
                             % {"ref": submission.reference})
            return redirect("webui:reception")
    return _online_page(request, unit, submission, status=400, more_form=form)


@require_POST
@desk_required
def online_refuse(request, unit, submission_id):
    submission = _submission_or_404(unit, submission_id)
    form = RefuseSubmissionForm(request.POST)
    if form.is_valid():
        try:
            portal.refuse_submission(submission.pk, actor_of(request), form.reason_list())
        except InvalidInput as exc:
            form.show_service_error(exc, {"reasons": "reasons"})
        except ServiceError as exc:
            return _online_conflict(request, exc, submission)
        else:
            messages.success(request, _("Đã từ chối hồ sơ trực tuyến %(ref)s; người nộp được thông báo.")
                             % {"ref": submission.reference})
            return redirect("webui:reception")
    return _online_page(request, unit, submission, status=400, refuse_form=form)
