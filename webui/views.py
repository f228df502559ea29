"""The officials' pages. Thin: parse input, call one service or selector, render. State changes only through
processes.services; no page touches the workflow engine."""
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _, gettext_lazy
from django.views.decorators.http import require_POST

from processes import privacy
from processes import selectors as process_selectors
from processes.services import dossiers as dossier_services
from processes.services.errors import InvalidInput, ServiceError
from processes.services.events import Actor

from . import selectors, stepform
from .auth import current_unit, is_htmx, official_required, roles_in, safe_next, set_current_unit
from .forms import InboxFilterForm, StepForm

PAGE_SIZE = 20
TAB_LABELS = {
    "mine": gettext_lazy("Của tôi"),
    "unclaimed": gettext_lazy("Chưa ai nhận"),
    "due_soon": gettext_lazy("Sắp đến hạn"),
    "overdue": gettext_lazy("Quá hạn"),
}


def actor_of(request):
    return Actor(user=request.user, client_address=request.META.get("REMOTE_ADDR"))


def home(request):
    """`/`: the inbox when signed in, else the sign-in page."""
    return redirect("webui:inbox" if request.user.is_authenticated else "webui:login")


# ---------------------------------------------------------------------------------------------------------------
# inbox


def _query(values, **changes):
    """The inbox's query string for these filters, without the defaults."""
    merged = {**values, **changes}
    defaults = {"page": 1, "sort": "due"}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "") and defaults.get(k) != v})


@official_required
def inbox(request):
    unit = current_unit(request)
    roles = roles_in(request, unit)
    form = InboxFilterForm(request.GET or None, choices=selectors.filter_choices())
    values = form.values()
    box = selectors.inbox(request.user, unit, roles, tab=values["tab"], procedure=values["procedure"],
                          field=values["field"], channel=values["channel"], status=values["status"],
                          sort=values["sort"], q=values["q"])
    page = Paginator(box.items, PAGE_SIZE).get_page(values["page"])
    items = list(page.object_list)
    candidates = selectors.reassign_candidates(items) if box.is_leader else {}
    mine = {(m.unit_id, m.role) for m in selectors.memberships_of(request.user)}
    rows = [
        {
            "item": item,
            "can_claim": item.claimed_by_id is None and (item.unit_id, item.role) in mine,
            "can_unclaim": item.claimed_by_id is not None and (item.claimed_by_id == request.user.pk or box.is_leader),
            "candidates": candidates.get((item.unit_id, item.role), []),
        }
        for item in items
    ]
    filters = {k: v for k, v in values.items() if k not in ("tab", "page")}
    tabs = [
        {"name": name, "label": TAB_LABELS[name], "count": box.counts[name],
         "query": _query(filters, tab=name), "current": name == values["tab"]}
        for name in selectors.TABS
    ]
    context = {
        "form": form, "filter_fields": [form[name] for name in ("procedure", "field", "channel", "status", "sort")],
        "tabs": tabs, "tab": values["tab"], "rows": rows, "page": page, "box": box, "unit": unit,
        "page_queries": {n: _query(filters, tab=values["tab"], page=n) for n in page.paginator.page_range
                         if abs(n - page.number) <= 3 or n in (1, page.paginator.num_pages)},
        "here": request.get_full_path(),
        "refresh_url": f"{reverse('webui:inbox')}?{_query(filters, tab=values['tab'], page=values['page'])}",
    }
    fragment = is_htmx(request) and request.headers.get("HX-History-Restore-Request") != "true"
    response = render(request, "webui/_inbox.html" if fragment else "webui/inbox.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _step_or_404(request, item_id):
    item = selectors.step_for(request.user, item_id)
    if item is None:
        raise Http404(_("Không có bước xử lý này"))
    return item


def _after_action(request):
    """htmx: 204 and an event the inbox listens to (it refreshes itself and shows the message); else back to where
    the official was."""
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Trigger"] = "inbox-changed"
        return response
    return redirect(safe_next(request, request.POST.get("next")))


def _act(request, item_id, action, done_message, **more):
    item = _step_or_404(request, item_id)
    try:
        action(item)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done_message % {"step": item.name, "code": item.dossier.code, **more})
    return _after_action(request)


@require_POST
@official_required
def claim(request, item_id):
    return _act(request, item_id,
                lambda item: dossier_services.claim_work_item(item_id=item.pk, actor=actor_of(request)),
                _("Đã nhận xử lý bước “%(step)s” của hồ sơ %(code)s."))


@require_POST
@official_required
def unclaim(request, item_id):
    return _act(request, item_id,
                lambda item: dossier_services.unclaim_work_item(item_id=item.pk, actor=actor_of(request)),
                _("Đã trả lại bước “%(step)s” của hồ sơ %(code)s."))


@require_POST
@official_required
def reassign(request, item_id):
    to = (request.POST.get("to") or "").strip()[:150]
    target = selectors.user_by_username(to)
    return _act(request, item_id,
                lambda item: dossier_services.reassign_work_item(item_id=item.pk, to_username=to,
                                                                 actor=actor_of(request)),
                _("Đã giao bước “%(step)s” của hồ sơ %(code)s cho %(to)s."), to=selectors.display_name(target))


# ---------------------------------------------------------------------------------------------------------------
# step page


def completion_form(request, item, posted=False):
    """The form completing the step, or None. It is shown to whoever may complete the step now; a posted one goes to
    the service whenever the official holds the step's role, so that a step done or claimed meanwhile answers with
    the service's Conflict. The statutory clock's items (explain a delay, escalation) have forms of their own
    (webui/views_step.py)."""
    user = request.user
    if item.kind == "step" and ((posted and selectors.has_role_for(user, item)) or selectors.can_act_on(user, item)):
        # The step's form-js schema when its BPMN has one (webui/stepform.py), else one input per required field.
        return stepform.form_for(item, request.POST if posted else None) or StepForm(
            request.POST if posted else None, required_fields=item.required_fields,
            boolean_fields=selectors.boolean_fields(item.dossier.version))
    return None


@official_required
def step(request, item_id):
    item = _step_or_404(request, item_id)
    dossier = item.dossier
    posted = request.method == "POST"
    form = completion_form(request, item, posted)
    if posted:
        if form is None:
            messages.error(request, _("Bạn không thể hoàn thành bước này."))
            return redirect("webui:step", item_id=item.pk)
        if form.is_valid():
            data = form.step_data()
            try:
                dossier_services.complete_work_item(item_id=item.pk, actor=actor_of(request), data=data)
            except InvalidInput as exc:
                name = (exc.field or "").removeprefix("data.")
                if name in form.fields and name not in data:
                    # The service found a required field missing: say so at every unanswered field, in words.
                    form.add_missing_errors(data)
                else:
                    form.add_error(name if name in form.fields else None, exc.message)
            except ServiceError as exc:  # Conflict (done or claimed meanwhile), NotAllowed, NotFound
                messages.error(request, exc.message)
                return redirect("webui:step", item_id=item.pk)
            else:
                messages.success(request, _("Đã hoàn thành bước “%(step)s” của hồ sơ %(code)s.")
                                 % {"step": item.name, "code": dossier.code})
                return redirect("webui:inbox")
    if form is not None and form.is_bound:
        form.mark_errors()
    return render(request, "webui/step.html", step_context(request, item, form),
                  status=400 if form is not None and form.errors else 200)


def step_context(request, item, form, **actions):
    """What step.html shows. `actions`: bound forms of the page's other actions (webui/views_step.py), which
    re-render the page with their errors."""
    from .views_cases import case_context
    from .views_step import actions_context

    dossier = item.dossier
    user = request.user
    has_role = selectors.has_role_for(user, item)
    return {
        "item": item,
        "dossier": dossier,
        "applicant": process_selectors.applicant_for(user, dossier),
        "history": privacy.redact_events(process_selectors.dossier_history(dossier), dossier, user),
        "open_steps": [s for s in selectors.open_steps_of(dossier) if s.pk != item.pk],
        "step_names": selectors.step_names(dossier),
        "form": form,
        "can_claim": item.status == "open" and item.claimed_by_id is None and has_role,
        "can_unclaim": item.status == "open" and item.claimed_by_id == user.pk,
        "here": request.get_full_path(),
        **actions_context(request, item, **actions),
        "case": case_context(request, dossier),  # a complaint's, denunciation's, petition's clock (webui/views_cases.py)
    }


# ---------------------------------------------------------------------------------------------------------------
# the current unit


@require_POST
@official_required
def switch_unit(request):
    if set_current_unit(request, request.POST.get("unit")):
        unit = current_unit(request)
        messages.success(request, _("Đang làm việc tại %(unit)s.") % {"unit": unit.name})
    else:
        messages.error(request, _("Bạn không thuộc đơn vị này."))
    return redirect(safe_next(request, request.POST.get("next")))

