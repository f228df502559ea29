"""Complaints, denunciations and petitions on the step page (issue 9): the case's kind, the running phase of its
statutory clock and that phase's due time, its complexity and remoteness, the extension decisions recorded so far, and
— for a leader of the receiving unit — the form deciding an extension (processes.services.case_clock.extend_clock).
Thin: parse → the service → back to the step page, or the page again with the service's message at its field (400 bad
input, 403 not a leader, 409 no extension left or the case closed)."""
from decimal import Decimal

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from processes import privacy
from processes import selectors as process_selectors
from processes.models import CaseKind, DossierStatus, Role
from processes.services import case_clock
from processes.services.errors import ServiceError

from .auth import official_required
from .forms_cases import ExtendForm
from .forms_step import fmt_vn
from .views import _step_or_404, actor_of, completion_form, step_context
from .views_step import guarded_post

OPEN = (DossierStatus.RECEIVED, DossierStatus.PROCESSING)
LEADER_ROLES = (Role.SIGNING_LEADER, Role.UNIT_LEADER)


def is_leader(user, dossier):
    """A leader of the receiving unit (a membership or a substitution): who may decide an extension."""
    return any(process_selectors.holds_role(user, dossier.receiving_unit_id, role) for role in LEADER_ROLES)


def _days(value):
    return format(Decimal(value).normalize(), "f") if value is not None else ""


def case_context(request, dossier, form=None):
    """What webui/cases/_case_clock.html shows; None for an administrative dossier. `form`: a posted extension that
    failed, shown with its messages."""
    procedure = dossier.procedure
    if procedure.kind == CaseKind.ADMINISTRATIVE:
        return None
    data = dossier.data or {}
    days, allowed, used = case_clock.extensions_allowed(dossier)
    extendable = days is not None and allowed > 0
    exhausted = extendable and used >= allowed
    leader = dossier.status in OPEN and is_leader(request.user, dossier)
    # the form while an extension is left; after a refused one, again with its message
    show_form = leader and extendable and (not exhausted or (form is not None and form.has_errors))
    if show_form and form is None:
        form = ExtendForm(prefix="extend")
    decisions = list(dossier.decisions.select_related("decided_by").order_by("decided_at", "id"))
    for decision in decisions:
        decision.phase_label = case_clock.phase_label(procedure, decision.phase)
        decision.days_text = _days(decision.days)
    content = data.get("content") or ""
    if content and not privacy.applicant_visible(request.user, dossier):
        content = privacy.redact_text(content, dossier, str(privacy.MASK_LABEL))  # it may name the denouncer
    complexity = data.get("complexity")
    return {
        "kind": procedure.kind,
        "phase": dossier.clock_phase or case_clock.INITIAL,
        "phase_label": case_clock.phase_label(procedure, dossier.clock_phase),
        "due_at": dossier.due_at,
        "open": dossier.status in OPEN,
        "complexity": complexity if complexity in case_clock.COMPLEXITIES else "",
        "remote": case_clock.remote(dossier),
        "content": content,
        "decisions": decisions,
        "extension_days": _days(days) if days is not None else "",
        "working_days": case_clock.current_limit(dossier)[1] == "working_days",
        "extensions_allowed": allowed,
        "extensions_used": used,
        "extendable": extendable,
        "exhausted": exhausted,
        "leader": leader,
        "form": form if show_form else None,
    }


@require_POST
@guarded_post()
@official_required
def extend(request, item_id):
    """A leader of the receiving unit decides an extension of the case's running phase, from any of its steps."""
    item = _step_or_404(request, item_id)
    dossier = item.dossier
    form = ExtendForm(request.POST, prefix="extend")
    status = 400
    if request.body_error:
        form.add_body_error(request.body_error)
    elif dossier.procedure.kind != CaseKind.ADMINISTRATIVE and not is_leader(request.user, dossier):
        form.add_error(None, _("Chỉ lãnh đạo đơn vị tiếp nhận mới được quyết định gia hạn giải quyết."))
        status = 403
    elif form.is_valid():
        try:
            decision = case_clock.extend_clock(dossier.code, actor_of(request), number=form.cleaned_data["number"],
                                               reason=form.cleaned_data["reason"])
        except ServiceError as exc:
            form.apply_service_error(exc)
            status = exc.status_code
        else:
            messages.success(request, _("Đã gia hạn giải quyết %(code)s theo quyết định %(number)s: thêm %(days)s "
                                        "ngày, hạn mới %(due)s.")
                             % {"code": dossier.code, "number": decision.number, "days": _days(decision.days),
                                "due": fmt_vn(decision.new_due_at)})
            response = redirect("webui:step", item_id=item.pk)
            response["Location"] += "#case-clock"
            return response
    form.mark_errors()
    context = step_context(request, item, completion_form(request, item))
    context["case"] = case_context(request, dossier, form)
    if context["case"] is None or context["case"]["form"] is None:
        # the page does not show the form (not a case, not a leader, nothing left to extend): the message on top
        for error in dict.fromkeys(e for errors in form.errors.values() for e in errors):
            messages.error(request, error)
    return render(request, "webui/step.html", context, status=status)
