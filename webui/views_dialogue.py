"""Dialogue meetings (issue 9): the meetings an official may see, recording one, a meeting with its opinions (each
one's field, answering unit, deadline, state, answer, and a link to its step page, where the answering unit's leader
answers and then publishes — webui/views.py step), adding an opinion; and on the citizens' portal the published
answers (no personal data). Thin: parse → one service or selector → render; processes.services.dialogue decides, and
its message is shown at the field it names."""
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.core import get_usage

from engine.calendar import VN_TZ
from processes import selectors as process_selectors
from processes.models import AdministrativeUnit, Field, UnitKind
from processes.services import dialogue
from processes.services.errors import InvalidInput, ServiceError

from .auth import current_unit, official_required
from .forms_dialogue import MeetingForm, OpinionForm, PublicFilterForm
from .views import actor_of

PAGE_SIZE = 20
PUBLIC_PAGE_SIZE = 20
PUBLIC_RATE = "60/m"  # per client address; MOTCUA_PORTAL_RATES["dialogue"] overrides it


# ---------------------------------------------------------------------------------------------------------------
# the officials' pages


def _show(form, exc):
    """A service's message at the field it names (InvalidInput, or NotFound of a unit); a refusal (NotAllowed) or a
    message naming no field of the form above the form."""
    if isinstance(exc, InvalidInput) or exc.field in form.fields:
        form.show_service_error(exc)
    else:
        form.add_error(None, exc.message[:1].upper() + exc.message[1:])


@official_required
def meetings(request):
    page = Paginator(dialogue.meetings_overview(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "meetings": list(page.object_list),
               "can_record": dialogue.recording_units(request.user).exists()}
    return render(request, "webui/dialogue/meetings.html", context)


def _meeting_form(request, data=None):
    units = list(dialogue.recording_units(request.user))
    if not units:
        raise PermissionDenied(_("Chỉ cán bộ tiếp nhận hoặc lãnh đạo của đơn vị mới ghi nhận được hội nghị đối "
                                 "thoại."))
    here = current_unit(request)
    # the current unit first when it may hold one (else its parent, for a department's official)
    preferred = here if here in units else (here.parent if here is not None and here.parent in units else None)
    if preferred is not None:
        units.remove(preferred)
        units.insert(0, preferred)
    holders = [u for u in units if u.kind != UnitKind.COMMUNE]
    communes = list(AdministrativeUnit.objects.filter(kind=UnitKind.COMMUNE, active=True)
                    .filter(pk__in=[u.pk for u in units if u.kind == UnitKind.COMMUNE]
                            + list(AdministrativeUnit.objects.filter(parent__in=holders, kind=UnitKind.COMMUNE)
                                   .values_list("pk", flat=True)))
                    .order_by("code"))
    return MeetingForm(data, units=units, communes=communes)


@official_required
@require_http_methods(["GET", "POST"])
def new_meeting(request):
    posted = request.method == "POST"
    form = _meeting_form(request, request.POST if posted else None)
    if posted and form.is_valid():
        try:
            meeting = dialogue.record_meeting(actor_of(request), **form.values())
        except ServiceError as exc:
            _show(form, exc)
        else:
            messages.success(request, _("Đã ghi nhận hội nghị đối thoại ngày %(day)s. Hãy ghi các ý kiến của người "
                                        "dân.") % {"day": meeting.held_on.strftime("%d/%m/%Y")})
            return redirect("webui:dialogue-meeting", meeting_id=meeting.pk)
    if form.is_bound:
        form.mark_errors()
    return render(request, "webui/dialogue/meeting_new.html", {"form": form}, status=400 if form.errors else 200)


def _meeting_or_404(request, meeting_id):
    meeting = dialogue.meeting_for(request.user, meeting_id)
    if meeting is None:
        raise Http404(_("Không có hội nghị đối thoại này."))
    return meeting


def _opinion_form(meeting, data=None):
    return OpinionForm(data, fields=Field.objects.order_by("name"), units=dialogue.assignable_units(meeting))


def _meeting_page(request, meeting, form=None, status=200):
    user = request.user
    opinions = dialogue.opinions_of(meeting)
    visible = set(process_selectors.dossiers_visible_to(user).filter(pk__in=[o.dossier.pk for o in opinions])
                  .values_list("pk", flat=True))
    can_record = dialogue.can_record(user, meeting.unit)
    for number, opinion in enumerate(opinions, start=1):
        opinion.number = number
        # the step page: the open step, else the last one (its history); only for those who may open it
        target = opinion.open_step or (opinion.steps[-1] if opinion.steps else None)
        opinion.link = target if opinion.dossier.pk in visible else None
        step = opinion.open_step
        opinion.can_act = bool(step and opinion.link and process_selectors.holds_role(user, step.unit_id, step.role))
        # who raised it: for the recorders and the answering unit only, never on the public page
        opinion.show_citizen = can_record or opinion.dossier.pk in visible
        opinion.citizen_named = opinion.dossier.applicant.full_name != dialogue.ANONYMOUS
    if can_record and form is None:
        form = _opinion_form(meeting)
    counts = {state: sum(1 for o in opinions if o.state == state) for state in ("open", "answered", "published")}
    counts["late"] = sum(1 for o in opinions if o.late)
    context = {"meeting": meeting, "opinions": opinions, "form": form if can_record else None,
               "counts": counts, "can_record": can_record}
    return render(request, "webui/dialogue/meeting.html", context, status=status)


@official_required
def meeting_page(request, meeting_id):
    return _meeting_page(request, _meeting_or_404(request, meeting_id))


@require_POST
@official_required
def add_opinion(request, meeting_id):
    meeting = _meeting_or_404(request, meeting_id)
    if not dialogue.can_record(request.user, meeting.unit):
        raise PermissionDenied(_("Chỉ cán bộ tiếp nhận hoặc lãnh đạo của đơn vị tổ chức hội nghị mới ghi nhận được ý "
                                 "kiến."))
    form = _opinion_form(meeting, request.POST)
    if form.is_valid():
        try:
            dossier = dialogue.add_opinion(actor_of(request), meeting.pk, **form.values())
        except ServiceError as exc:
            _show(form, exc)
        else:
            messages.success(request, _("Đã ghi nhận ý kiến (hồ sơ %(code)s), giao %(unit)s trả lời trước %(due)s.")
                             % {"code": dossier.code, "unit": dossier.receiving_unit.name,
                                "due": dossier.due_at.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")})
            return redirect(reverse("webui:dialogue-meeting", args=[meeting.pk]) + "#opinions")
    form.mark_errors()
    return _meeting_page(request, meeting, form=form, status=400)


# ---------------------------------------------------------------------------------------------------------------
# the citizens' portal: published answers


def _over_limit(request):
    rate = getattr(settings, "MOTCUA_PORTAL_RATES", {}).get("dialogue", PUBLIC_RATE)
    usage = get_usage(request, group="portal.dialogue", key="ip", rate=rate, increment=True)
    return usage is not None and usage["should_limit"]


@require_http_methods(["GET", "HEAD"])
def public_responses(request):
    """/dich-vu-cong/doi-thoai/ — the answers to opinions raised at dialogue meetings, once published: the meeting's
    date and unit, the field, the opinion, the answer, the answering unit, when it was published. Without sign-in;
    nothing about the citizen who raised it."""
    if _over_limit(request):
        response = render(request, "webui/portal_429.html", {}, status=429)
        response["Retry-After"] = "60"
        return response
    fields, units = dialogue.public_filter_choices()
    form = PublicFilterForm(request.GET or None, fields=fields, units=units)
    field_code = unit_code = ""
    status = 200
    if form.is_bound:
        if form.is_valid():
            field_code, unit_code = form.cleaned_data["linh_vuc"], form.cleaned_data["don_vi"]
        else:
            status = 400
    page = Paginator(dialogue.published_responses(field_code, unit_code), PUBLIC_PAGE_SIZE).get_page(
        form.cleaned_data.get("page") if form.is_bound and form.is_valid() else 1)
    query = urlencode({k: v for k, v in (("linh_vuc", field_code), ("don_vi", unit_code)) if v})
    context = {"form": form, "page": page, "rows": dialogue.published_rows(page.object_list), "query": query,
               "filtered": bool(field_code or unit_code)}
    response = render(request, "webui/dialogue/public.html", context, status=status)
    response["Cache-Control"] = "public, max-age=300"
    return response
