"""Unit administration pages (issue 4): the unit's officials and roles, substitutes, moving a departing official's
work, office hours and calendar overrides. Thin: each POST calls one function of processes.services.units, whose
message is shown at the field it names (400); success redirects back (post/redirect/get).

Who gets in: the unit's admins (role unit_admin at the unit); the substitutes and move-work pages also the unit's
leaders. The unit is in the URL: an admin of another unit gets 404 (the page of a unit they do not administer does not
exist for them), an official who administers nothing gets 403."""
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from processes.models import AdministrativeUnit, Membership, Role, UnitKind
from processes.selectors import today_vn
from processes.services import units as unit_services
from processes.services.errors import ServiceError

from .auth import current_unit, official_required
from .forms_admin import (
    AddOfficialForm,
    CalendarDayForm,
    DeactivateForm,
    GrantRoleForm,
    MoveWorkForm,
    OfficeHoursForm,
    SubstituteForm,
)
from .views import actor_of

User = get_user_model()


# ---------------------------------------------------------------------------------------------------------------
# who gets in


def _may_enter(user, unit, leaders):
    return unit_services.is_unit_admin(user, unit) or (leaders and unit_services.is_unit_leader_of(user, unit))


def unit_admin_page(leaders=False):
    """The view gets the administered unit (never a department). 404 for a unit the official does not administer
    when they administer (or lead, on the leaders' pages) another one; 403 for everyone else."""

    def decorate(view):
        @wraps(view)
        @official_required
        def wrapper(request, unit_id, *args, **kwargs):
            user = request.user
            unit = AdministrativeUnit.objects.exclude(kind=UnitKind.DEPARTMENT).filter(pk=unit_id).first()
            if unit is not None and _may_enter(user, unit, leaders):
                request.admin_unit = unit
                request.is_unit_admin = unit_services.is_unit_admin(user, unit)
                return view(request, unit, *args, **kwargs)
            roles = [Role.UNIT_ADMIN] + ([Role.UNIT_LEADER] if leaders else [])
            if Membership.objects.filter(user=user, role__in=roles).exists():
                raise Http404(_("Không có trang quản trị này."))
            raise PermissionDenied(_("Chỉ quản trị đơn vị mới dùng được trang này."))

        return wrapper

    return decorate


def _page(request, unit, template, context, status=200):
    context = {"unit": unit, "tree": list(unit_services.unit_tree(unit).order_by("kind", "code")),
               "is_admin": getattr(request, "is_unit_admin", False), **context}
    return render(request, template, context, status=status)


def _fail(form, exc, mapping=None):
    form.show_service_error(exc, mapping)
    form.mark_errors()


@official_required
def admin_home(request):
    """`/unit-admin/`: the current unit's administration, else the first unit the official administers."""
    unit = current_unit(request)
    if unit is not None and unit.kind == UnitKind.DEPARTMENT and unit.parent_id:
        unit = unit.parent
    if unit is not None and unit_services.is_unit_admin(request.user, unit):
        return redirect("webui:admin-officials", unit_id=unit.pk)
    first = (Membership.objects.filter(user=request.user, role=Role.UNIT_ADMIN).exclude(unit__kind=UnitKind.DEPARTMENT)
             .order_by("unit__code").first())
    if first is not None:
        return redirect("webui:admin-officials", unit_id=first.unit_id)
    raise PermissionDenied(_("Chỉ quản trị đơn vị mới dùng được trang này."))


# ---------------------------------------------------------------------------------------------------------------
# officials and roles


@require_http_methods(["GET", "POST"])
@unit_admin_page()
def officials(request, unit):
    tree = list(unit_services.unit_tree(unit).order_by("kind", "code"))
    form = GrantRoleForm(request.POST if request.method == "POST" else None, tree=tree)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                membership = unit_services.grant_role(username=form.cleaned_data["username"].strip(),
                                                      unit=form.chosen_unit(), role=form.cleaned_data["role"],
                                                      actor=actor_of(request))
            except ServiceError as exc:
                _fail(form, exc)
            else:
                messages.success(request, _("Đã phân công %(who)s làm %(role)s tại %(unit)s.") % {
                    "who": membership.user.get_full_name() or membership.user.username,
                    "role": _role(membership.role), "unit": membership.unit.name})
                return redirect("webui:admin-officials", unit_id=unit.pk)
        form.mark_errors()
        status = 400
    context = {"officials": unit_services.officials_of(unit), "grant": form, "tab": "officials",
               "events": unit_services.admin_events(unit)}
    return _page(request, unit, "webui/admin_officials.html", context, status)


def _role(code):
    from . import labels

    return str(labels.role(code))


def _password_link(request, uid, token):
    return request.build_absolute_uri(reverse("webui:admin-set-password", kwargs={"uidb64": uid, "token": token}))


@require_http_methods(["GET", "POST"])
@unit_admin_page()
def add_official(request, unit):
    tree = list(unit_services.unit_tree(unit).order_by("kind", "code"))
    form = AddOfficialForm(request.POST if request.method == "POST" else None, tree=tree, initial={"unit": str(unit.pk)})
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                official = unit_services.add_official(unit=form.chosen_unit(), username=data["username"],
                                                      full_name=data["full_name"], email=data["email"],
                                                      role=data["role"], actor=actor_of(request))
                uid, token = unit_services.issue_password_link(username=official.username, unit=unit,
                                                               actor=actor_of(request))
            except ServiceError as exc:
                _fail(form, exc)
            else:
                messages.success(request, _("Đã thêm cán bộ %(who)s.") % {"who": official.get_full_name()})
                return _official_page(request, unit, official, link=_password_link(request, uid, token))
        form.mark_errors()
        return _page(request, unit, "webui/admin_official_new.html", {"form": form, "tab": "officials"}, 400)
    return _page(request, unit, "webui/admin_official_new.html", {"form": form, "tab": "officials"})


def _official_or_404(unit, user_id):
    official = unit_services.official_in_tree(unit, user_id)
    if official is None:
        raise Http404(_("Cán bộ không thuộc đơn vị."))
    return official


def _official_page(request, unit, official, *, grant=None, deactivate=None, link=None, status=200):
    tree = list(unit_services.unit_tree(unit).order_by("kind", "code"))
    context = {
        "official": official,
        "roles": (Membership.objects.filter(user=official).select_related("unit").order_by("unit__code", "role")),
        "tree_ids": {u.pk for u in tree},
        "grant": grant or GrantRoleForm(tree=tree, username=official.username),
        "deactivate": deactivate or DeactivateForm(),
        "claimed": unit_services.claimed_work(unit, official),
        "link": link,
        "link_hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        "tab": "officials",
    }
    return _page(request, unit, "webui/admin_official.html", context, status)


@require_http_methods(["GET", "POST"])
@unit_admin_page()
def official(request, unit, user_id):
    """One official: their roles (revoke), grant a role, a set-password link, lock the account. POST `action`."""
    official = _official_or_404(unit, user_id)
    if request.method == "GET":
        return _official_page(request, unit, official)
    action = request.POST.get("action", "")
    actor = actor_of(request)
    tree = list(unit_services.unit_tree(unit).order_by("kind", "code"))
    if action == "grant":
        form = GrantRoleForm(request.POST, tree=tree, username=official.username)
        if form.is_valid():
            try:
                membership = unit_services.grant_role(username=official.username, unit=form.chosen_unit(),
                                                      role=form.cleaned_data["role"], actor=actor)
            except ServiceError as exc:
                _fail(form, exc)
            else:
                messages.success(request, _("Đã phân công %(who)s làm %(role)s tại %(unit)s.") % {
                    "who": official.get_full_name() or official.username, "role": _role(membership.role),
                    "unit": membership.unit.name})
                return redirect("webui:admin-official", unit_id=unit.pk, user_id=official.pk)
        form.mark_errors()
        return _official_page(request, unit, official, grant=form, status=400)
    if action == "revoke":
        membership = Membership.objects.filter(pk=_int(request.POST.get("membership")), user=official).first()
        if membership is None:
            messages.error(request, _("Không có phân công này."))
            return _official_page(request, unit, official, status=400)
        try:
            unit_services.revoke_role(membership_id=membership.pk, actor=actor)
        except ServiceError as exc:
            messages.error(request, exc.message[:1].upper() + exc.message[1:])
            return _official_page(request, unit, official, status=400)
        messages.success(request, _("Đã thu hồi vai trò %(role)s tại %(unit)s của %(who)s.") % {
            "role": _role(membership.role), "unit": membership.unit.name,
            "who": official.get_full_name() or official.username})
        if unit_services.official_in_tree(unit, official.pk) is None:  # no role left here
            return redirect("webui:admin-officials", unit_id=unit.pk)
        return redirect("webui:admin-official", unit_id=unit.pk, user_id=official.pk)
    if action == "deactivate":
        form = DeactivateForm(request.POST)
        if form.is_valid():
            try:
                unit_services.deactivate_official(username=official.username, unit=unit, actor=actor,
                                                  reason=form.cleaned_data["reason"])
            except ServiceError as exc:
                _fail(form, exc, {"username": None})
            else:
                messages.success(request, _("Đã khóa tài khoản %(who)s.") % {
                    "who": official.get_full_name() or official.username})
                return redirect("webui:admin-official", unit_id=unit.pk, user_id=official.pk)
        form.mark_errors()
        return _official_page(request, unit, official, deactivate=form, status=400)
    if action == "link":
        try:
            uid, token = unit_services.issue_password_link(username=official.username, unit=unit, actor=actor)
        except ServiceError as exc:
            messages.error(request, exc.message[:1].upper() + exc.message[1:])
            return _official_page(request, unit, official, status=400)
        return _official_page(request, unit, official, link=_password_link(request, uid, token))
    messages.error(request, _("Yêu cầu không hợp lệ."))
    return _official_page(request, unit, official, status=400)


def _int(value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 10**18 else None


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """The one-time link a unit admin hands to a new official: they choose their password (Django's checks, the
    token dies once it is used), then sign in."""

    template_name = "webui/admin_set_password.html"
    success_url = reverse_lazy("webui:login")
    post_reset_login = False

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Đã đặt mật khẩu. Hãy đăng nhập bằng mật khẩu mới."))
        return response


# ---------------------------------------------------------------------------------------------------------------
# substitutes


def _substitute_form(unit, data=None):
    tree = unit_services.unit_tree(unit)
    absent = [m for m in unit_services.absent_candidates(unit) if m.user.is_active]
    people = (User.objects.filter(is_active=True, memberships__unit__in=tree).distinct()
              .order_by("first_name", "username"))
    return SubstituteForm(data, absent_choices=absent, substitute_choices=people)


@require_http_methods(["GET", "POST"])
@unit_admin_page(leaders=True)
def substitutes(request, unit):
    form = _substitute_form(unit, request.POST if request.method == "POST" and
                            request.POST.get("action") == "appoint" else None)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "revoke":
            substitution = unit_services.substitutions_in(unit).filter(pk=_int(request.POST.get("substitution"))).first()
            try:
                if substitution is None:
                    raise Http404(_("Không có quyết định cử người thay này."))
                unit_services.revoke_substitution(substitution_id=substitution.pk, actor=actor_of(request))
            except ServiceError as exc:
                messages.error(request, exc.message[:1].upper() + exc.message[1:])
                status = 400
            else:
                messages.success(request, _("Đã thu hồi việc cử %(who)s thay %(absent)s.") % {
                    "who": substitution.substitute.get_full_name() or substitution.substitute.username,
                    "absent": substitution.absent.get_full_name() or substitution.absent.username})
                return redirect("webui:admin-substitutes", unit_id=unit.pk)
        elif action == "appoint":
            if form.is_valid():
                membership = form.chosen_membership()
                data = form.cleaned_data
                try:
                    substitution = unit_services.appoint_substitute(
                        unit=membership.unit, role=membership.role, absent_username=membership.user.username,
                        substitute_username=data["substitute"], starts_on=data["starts_on"], ends_on=data["ends_on"],
                        reason=data["reason"], actor=actor_of(request))
                except ServiceError as exc:
                    _fail(form, exc)
                else:
                    messages.success(request, _("Đã cử %(who)s thay %(absent)s (%(role)s) từ %(start)s đến hết "
                                                "%(end)s.") % {
                        "who": substitution.substitute.get_full_name() or substitution.substitute.username,
                        "absent": substitution.absent.get_full_name() or substitution.absent.username,
                        "role": _role(substitution.role), "start": f"{substitution.starts_on:%d/%m/%Y}",
                        "end": f"{substitution.ends_on:%d/%m/%Y}"})
                    return redirect("webui:admin-substitutes", unit_id=unit.pk)
            form.mark_errors()
            status = 400
        else:
            messages.error(request, _("Yêu cầu không hợp lệ."))
            status = 400
    context = {"form": form, "current": unit_services.substitutions_in(unit),
               "past": unit_services.substitutions_in(unit, current=False)[:20], "today": today_vn(),
               "tab": "substitutes"}
    return _page(request, unit, "webui/admin_substitutes.html", context, status)


# ---------------------------------------------------------------------------------------------------------------
# moving a departing official's work


@require_http_methods(["GET", "POST"])
@unit_admin_page(leaders=True)
def move_work(request, unit):
    """Choose an official (GET ?official=username); their claimed open steps in the unit, to move or release."""
    people = list(User.objects.filter(memberships__unit__in=unit_services.unit_tree(unit)).distinct()
                  .order_by("-is_active", "first_name", "username"))
    username = (request.POST.get("official") if request.method == "POST" else request.GET.get("official")) or ""
    chosen = next((u for u in people if u.username == username), None)
    if username and chosen is None:
        raise Http404(_("Cán bộ không thuộc đơn vị."))
    items = list(unit_services.claimed_work(unit, chosen)) if chosen else []
    targets = [u for u in people if u.is_active and u != chosen]
    form = MoveWorkForm(request.POST if request.method == "POST" else None, items=items, targets=targets)
    status = 200
    if request.method == "POST":
        if chosen is None:
            messages.error(request, _("Hãy chọn cán bộ."))
            status = 400
        elif form.is_valid():
            selected = form.cleaned_data["items"]
            everything = request.POST.get("scope") == "all"
            try:
                moved = unit_services.move_work(
                    unit=unit, from_username=chosen.username, to_username=form.cleaned_data["to"] or None,
                    item_ids=None if everything else (selected or []), reason=form.cleaned_data["reason"],
                    actor=actor_of(request))
            except ServiceError as exc:
                _fail(form, exc)
                status = 400
            else:
                target = form.cleaned_data["to"]
                if target:
                    who = next(u for u in targets if u.username == target)
                    messages.success(request, _("Đã chuyển %(n)d bước của %(from)s cho %(to)s.") % {
                        "n": len(moved), "from": chosen.get_full_name() or chosen.username,
                        "to": who.get_full_name() or who.username})
                else:
                    messages.success(request, _("Đã trả %(n)d bước của %(from)s về “Chưa ai nhận”.") % {
                        "n": len(moved), "from": chosen.get_full_name() or chosen.username})
                return redirect(f"{reverse('webui:admin-work', kwargs={'unit_id': unit.pk})}?official={chosen.username}")
        else:
            form.mark_errors()
            status = 400
    context = {"people": people, "chosen": chosen, "items": items, "form": form, "tab": "work",
               "selected": set(form["items"].value() or [])}
    return _page(request, unit, "webui/admin_work.html", context, status)


# ---------------------------------------------------------------------------------------------------------------
# office hours and calendar overrides


@require_http_methods(["GET", "POST"])
@unit_admin_page()
def calendar(request, unit):
    action = request.POST.get("action", "") if request.method == "POST" else ""
    hours = OfficeHoursForm(request.POST if action == "hours" else None,
                            initial=OfficeHoursForm.initial_for(unit.office_hours))
    day_form = CalendarDayForm(request.POST if action == "add_day" else None, initial={"kind": "off"})
    status = 200
    actor = actor_of(request)
    if request.method == "POST":
        status = 400
        if action == "hours":
            if hours.is_valid():
                try:
                    unit_services.set_office_hours(unit=unit, periods=hours.periods(), actor=actor)
                except ServiceError as exc:
                    _fail(hours, exc)
                else:
                    messages.success(request, _("Đã lưu giờ làm việc. Hạn của các bước và hồ sơ mới được tính theo "
                                                "giờ mới; hạn đã tính không đổi."))
                    return redirect("webui:admin-calendar", unit_id=unit.pk)
            hours.mark_errors()
        elif action == "add_day":
            if day_form.is_valid():
                data = day_form.cleaned_data
                try:
                    row = unit_services.set_unit_calendar_day(unit=unit, day=data["date"],
                                                              is_working_day=data["kind"] == "work",
                                                              reason=data["reason"], actor=actor)
                except ServiceError as exc:
                    _fail(day_form, exc, {"is_working_day": "kind"})
                else:
                    messages.success(request, (_("Đã đặt ngày %(day)s là ngày làm việc.") if row.is_working_day
                                               else _("Đã đặt ngày %(day)s là ngày nghỉ.")) % {
                        "day": f"{row.date:%d/%m/%Y}"})
                    return redirect("webui:admin-calendar", unit_id=unit.pk)
            day_form.mark_errors()
        elif action == "remove_day":
            try:
                unit_services.clear_unit_calendar_day(unit=unit, day=request.POST.get("date", "")[:10], actor=actor)
            except ServiceError as exc:
                messages.error(request, exc.message[:1].upper() + exc.message[1:])
            else:
                messages.success(request, _("Đã bỏ điều chỉnh ngày %(day)s.") % {"day": request.POST.get("date")})
                return redirect("webui:admin-calendar", unit_id=unit.pk)
        else:
            messages.error(request, _("Yêu cầu không hợp lệ."))
    own, everyone = unit_services.upcoming_overrides(unit)
    from processes.services.calendar import office_hours_for

    effective = [(s.strftime("%H:%M"), e.strftime("%H:%M")) for s, e in office_hours_for(unit)]
    context = {"hours": hours, "day_form": day_form, "own": own, "everyone": everyone, "effective": effective,
               "tab": "calendar", "today": today_vn()}
    return _page(request, unit, "webui/admin_calendar.html", context, status)
