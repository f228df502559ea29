"""Signing in and out, the current unit, and what an expired session answers (to a page and to an htmx request)."""
from functools import wraps
from urllib.parse import quote, unquote, urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _, gettext_lazy

from processes import selectors as process_selectors

from .selectors import memberships_of

UNIT_SESSION_KEY = "webui_unit_id"


def is_htmx(request):
    return request.headers.get("HX-Request") == "true"


def safe_next(request, candidate, default=None):
    """`candidate` if it is a path on this site, else `default` (or the inbox)."""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                     require_https=request.is_secure()):
        parts = urlsplit(candidate)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return default or resolve_url("webui:inbox")


def login_url_for(request):
    """The sign-in page, with ?next= the page the official was on. For an htmx request that is the page in the
    browser's address bar (HX-Current-URL), not the fragment the request asked for."""
    if is_htmx(request):
        next_url = safe_next(request, request.headers.get("HX-Current-URL"), default=resolve_url("webui:inbox"))
    elif request.method == "POST":
        # A form's action may accept POST only: come back to the page the form was on.
        next_url = safe_next(request, request.headers.get("Referer"),
                             default=safe_next(request, request.POST.get("next"), default=request.get_full_path()))
    else:
        next_url = request.get_full_path()
    return f"{resolve_url(settings.LOGIN_URL)}?next={quote(next_url, safe='/')}"


PENDING_FORM = "motcua_unsent_form"
NOT_KEPT = {"csrfmiddlewaretoken", "password", "password1", "password2", "old_password", "new_password1",
            "new_password2"}


def keep_unsent_form(request, login_target):
    """A form posted after the session expired is not lost: its fields (not files, not passwords) are kept in the new
    session and put back into the same form on the page the official returns to after signing in, to check and send
    again. Nothing is acted on without the official sending it again."""
    next_url = login_target.split("?next=", 1)[1] if "?next=" in login_target else ""
    fields = {name: request.POST.getlist(name)[:50] for name in list(request.POST.keys())[:200]
              if name not in NOT_KEPT}
    if not fields:
        return
    request.session[PENDING_FORM] = {
        "page": unquote(next_url).split("?", 1)[0],
        "action": request.path,
        "fields": {name: [value[:5000] for value in values] for name, values in fields.items()},
        "had_files": bool(request.FILES) or "multipart/form-data" in request.content_type,
    }


def unsent_form_for(request):
    """The kept form for this page, once (the session forgets it when it is shown)."""
    kept = request.session.get(PENDING_FORM) if hasattr(request, "session") else None
    if not kept or request.method != "GET" or kept.get("page") != request.path:
        return None
    del request.session[PENDING_FORM]
    return kept


def official_required(view):
    """Like login_required, and an htmx request without a session gets HX-Redirect (htmx would otherwise follow a
    302 silently and swap the sign-in page into the fragment)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        target = login_url_for(request)
        if request.method == "POST":
            keep_unsent_form(request, target)
        if is_htmx(request):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return HttpResponseRedirect(target)

    return wrapper


# ---------------------------------------------------------------------------------------------------------------
# the current unit


def current_unit(request):
    """The unit the official works in now: kept in the session, one of their units; the first one by default.
    None when they belong to no unit."""
    if hasattr(request, "_webui_unit"):
        return request._webui_unit
    units = units_for(request)
    chosen = None
    if units:
        wanted = request.session.get(UNIT_SESSION_KEY)
        chosen = next((u for u in units if u.pk == wanted), units[0])
        if wanted != chosen.pk:
            request.session[UNIT_SESSION_KEY] = chosen.pk
    request._webui_unit = chosen
    return chosen


def units_for(request):
    if not hasattr(request, "_webui_units"):
        request._webui_units = list(process_selectors.units_of(request.user).order_by("code"))
    return request._webui_units


def set_current_unit(request, unit_id):
    """Switches the current unit; False when the official does not belong to it."""
    for unit in units_for(request):
        if str(unit.pk) == str(unit_id):
            request.session[UNIT_SESSION_KEY] = unit.pk
            request._webui_unit = unit
            return True
    return False


def _memberships(request):
    if not hasattr(request, "_webui_memberships"):
        request._webui_memberships = list(memberships_of(request.user))
    return request._webui_memberships


def roles_in(request, unit):
    """The official's roles at `unit`: held, or stood in for today (an active substitution), each once."""
    return list(dict.fromkeys(m.role for m in _memberships(request) if m.unit_id == getattr(unit, "pk", None)))


def all_roles(request):
    """Every role the signed-in official holds or stands in for today, in any unit (the same two queries per request
    as roles_in: the nav's links ask this, not the database)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return set()
    return {m.role for m in _memberships(request)}


# ---------------------------------------------------------------------------------------------------------------
# sign-in page


class LoginForm(AuthenticationForm):
    username = forms.CharField(label=gettext_lazy("Tên đăng nhập"), max_length=150,
                               widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username",
                                                             "autocapitalize": "none", "spellcheck": "false"}))
    password = forms.CharField(label=gettext_lazy("Mật khẩu"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    error_messages = {
        "invalid_login": gettext_lazy("Tên đăng nhập hoặc mật khẩu không đúng."),
        "inactive": gettext_lazy("Tài khoản này đã bị khóa."),
    }


class LoginView(auth_views.LoginView):
    template_name = "webui/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def lockout_response(request, original_response=None, credentials=None):
    """django-axes: the sign-in page again, saying this username is locked from this address and for how long."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    # Unbound, with the typed username: a bound form would authenticate again when its errors are rendered.
    form = LoginForm(request, initial={"username": request.POST.get("username", "")[:150]})
    message = _("Đã nhập sai mật khẩu %(limit)d lần: tên đăng nhập này bị tạm khóa từ địa chỉ của bạn trong "
                "%(minutes)d phút. Các tài khoản khác và các máy khác không bị ảnh hưởng.") % {
        "limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes}
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    return render(request, "webui/login.html", {"form": form, "locked_out": message, "next": next_url},
                  status=429)
