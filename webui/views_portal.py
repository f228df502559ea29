"""The citizens' portal, without sign-in: the home page, the look-up (status from the code alone; the progress down to
the department with the receipt's secret or the applicant's phone), online submission, the rating after the result
is returned, and the online services catalogue. Thin: parse → one service or selector → render.

Public endpoints are rate-limited per client address with django-ratelimit on Django's cache (`MOTCUA_PORTAL_RATES`
overrides the defaults below); over the limit the answer is a 429 page in Vietnamese. Wrong secrets are counted per
address and per dossier code; over the code's limit only the phone stops opening the progress, never the secret.
Pages that show a dossier's progress are `private, no-store`, `noindex` and send no referrer to other sites (their
address may carry the secret, from the receipt's QR code)."""
from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import get_usage

from processes.services import portal
from processes.services.errors import InvalidInput, NotFound, ServiceError

from .forms_portal import OnlineSubmissionForm, PortalLookupForm, PublicStatisticsForm, RatingForm

# Requests per client address (IPv4 /32, IPv6 /64), and wrong secrets per dossier code.
RATES = {
    "lookup": "30/m",  # every look-up
    "secret": "10/h",  # wrong secret or phone, per address
    "secret_code": "20/d",  # wrong secret or phone, per dossier code (whoever tries): then the phone no longer works
    "submit": "10/h",  # online submissions sent
    "rate": "10/h",  # ratings sent
    "statistics": "60/m",  # the public statistics page (answers come from a 5-minute cache)
}
SESSION_SUBMITTED = "portal_submitted"


def _rate(group):
    return {**RATES, **getattr(settings, "MOTCUA_PORTAL_RATES", {})}[group]


def _usage(request, group, increment, key="ip"):
    return get_usage(request, group=f"portal.{group}", key=key, rate=_rate(group), increment=increment)


def _over(request, group, *, increment=True, key="ip"):
    """Counts this request (increment) and says whether the address is over the limit; without increment, whether the
    limit is already reached."""
    usage = _usage(request, group, increment, key)
    if usage is None:
        return False
    return usage["should_limit"] if increment else usage["count"] >= usage["limit"]


def _code_key(code):
    return lambda _group, _request: f"code:{code}"


def too_many(request):
    response = render(request, "webui/portal_429.html", {}, status=429)
    response["Retry-After"] = "3600"
    response["Cache-Control"] = "private, no-store"
    return response


def _private(response):
    response["Cache-Control"] = "private, no-store"
    # Never sent to another site (the address may carry the secret). Not "no-referrer": Chromium then sends
    # "Origin: null" with the page's POST forms (language, rating) and Django's CSRF check refuses them.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


# ---------------------------------------------------------------------------------------------------------------
# home, look-up


def home(request):
    return render(request, "webui/portal_home.html", {"form": PortalLookupForm()})


@require_http_methods(["GET", "HEAD"])
def lookup(request):
    """/tra-cuu/?ma=<code> — the status only; &mk=<secret> or &sdt=<phone> — the progress. A wrong secret answers as
    an unknown code does (404, same words)."""
    form = PortalLookupForm(request.GET or None)
    found, detail, status = None, None, 200
    if form.is_bound:
        if _over(request, "lookup"):
            return too_many(request)
        if form.is_valid():
            code = form.cleaned_data["ma"].strip()
            if form.wants_detail():
                if _over(request, "secret", increment=False):
                    return too_many(request)
                secret, phone = form.cleaned_data.get("mk"), form.cleaned_data.get("sdt")
                if _over(request, "secret_code", increment=False, key=_code_key(code)):
                    # Many wrong tries on this code today, from wherever: a phone number is guessable, so it no
                    # longer opens the progress; the receipt's secret (~39 bits) still does, so nobody can lock a
                    # citizen out of their own dossier by typing wrong secrets on its code.
                    phone = None
                    if not (secret or "").strip():
                        form.add_error("sdt", _("Hôm nay đã có nhiều lần tra cứu sai với mã hồ sơ này, nên tạm thời "
                                                "không tra cứu bằng số điện thoại được. Hãy nhập mã bí mật in trên "
                                                "giấy tiếp nhận."))
                        return _private(render(request, "webui/public_lookup.html",
                                               {"form": form, "lookup_url": reverse("public:lookup"),
                                                "noindex": True}, status=429))
                detail = portal.progress(code, secret, phone)
                if detail is None:
                    _over(request, "secret")
                    _over(request, "secret_code", key=_code_key(code))
                    form.add_error("ma", _("Không tìm thấy hồ sơ với mã hồ sơ và mã bí mật (hoặc số điện thoại) "
                                           "này. Hãy kiểm tra lại giấy tiếp nhận."))
                    status = 404
            else:
                found = portal.public_status(code)
                if found is None:
                    form.add_error("ma", _("Không tìm thấy hồ sơ có mã %(code)s. Hãy kiểm tra lại mã trên giấy tiếp "
                                           "nhận.") % {"code": code})
                    status = 404
        else:
            status = 400
    response = render(request, "webui/public_lookup.html",
                      {"form": form, "found": found, "detail": detail, "lookup_url": reverse("public:lookup"),
                       "noindex": True}, status=status)
    return _private(response)


# ---------------------------------------------------------------------------------------------------------------
# online submission


def submit_start(request):
    """The procedures offered online, each with the units whose desks receive it."""
    return render(request, "webui/portal_submit_start.html", {"rows": portal.online_catalogue()})


@require_http_methods(["GET", "HEAD", "POST"])
def submit(request, procedure_code):
    unit_code = request.POST.get("don_vi") if request.method == "POST" else request.GET.get("don_vi")
    try:
        procedure, unit = portal.online_procedure(procedure_code, unit_code)
    except NotFound as exc:
        if exc.field == "unit" and not unit_code:
            return redirect("portal:submit-start")
        return render(request, "webui/portal_message.html",
                      {"title": _("Không nộp trực tuyến được"), "message": exc.message[:1].upper() + exc.message[1:]},
                      status=404)
    except InvalidInput as exc:
        return render(request, "webui/portal_message.html",
                      {"title": _("Không nộp trực tuyến được"), "message": exc.message[:1].upper() + exc.message[1:]},
                      status=400)
    from processes.services.reception import checklist_of

    checklist = checklist_of(procedure)
    posted = request.method == "POST"
    form = OnlineSubmissionForm(request.POST if posted else None, request.FILES if posted else None,
                                checklist=checklist)
    if posted:
        if _over(request, "submit"):
            return too_many(request)
        if form.is_valid():
            try:
                submission = portal.submit_online(procedure_code=procedure.code, unit_code=unit.code,
                                                  applicant=form.applicant(), files=form.files_for_service())
            except InvalidInput as exc:
                form.show_service_error(exc)
            except ServiceError as exc:
                form.add_error(None, exc.message[:1].upper() + exc.message[1:])
            else:
                request.session[SESSION_SUBMITTED] = {"reference": submission.reference,
                                                      "secret": submission.secret}
                return redirect("portal:submitted")
        form.mark_errors()
    response = render(request, "webui/portal_submit.html",
                      {"procedure": procedure, "unit": unit, "form": form},
                      status=400 if form.errors else 200)
    return _private(response) if posted else response


def submitted(request):
    """After a submission: its reference and secret (kept in the session for this browser only)."""
    data = request.session.get(SESSION_SUBMITTED)
    if not data:
        return redirect("portal:submit-start")
    found = portal.progress(data["reference"], data["secret"])
    response = render(request, "webui/portal_submitted.html",
                      {"reference": data["reference"], "secret": data["secret"], "detail": found, "noindex": True})
    return _private(response)


# ---------------------------------------------------------------------------------------------------------------
# rating


@require_http_methods(["GET", "HEAD", "POST"])
def rate(request):
    if request.method == "POST":
        form = RatingForm(request.POST)
        if _over(request, "rate"):
            return too_many(request)
        if form.is_valid():
            code = form.cleaned_data["ma"].strip()
            # Only the receipt's secret opens a rating (never the phone): the code's own limit, which guards the
            # guessable phone, does not apply here, or wrong tries by anyone would stop the citizen from rating.
            if _over(request, "secret", increment=False):
                return too_many(request)
            try:
                portal.rate_dossier(code, form.cleaned_data["mk"], form.scores(), form.cleaned_data["comment"])
            except NotFound as exc:
                _over(request, "secret")
                _over(request, "secret_code", key=_code_key(code))
                form.add_error("ma", exc.message[:1].upper() + exc.message[1:])
                form.mark_errors()
                return _private(render(request, "webui/portal_rate.html", {"form": form, "noindex": True},
                                       status=404))
            except InvalidInput as exc:
                form.show_service_error(exc)
            except ServiceError as exc:
                form.add_error(None, exc.message[:1].upper() + exc.message[1:])
            else:
                return _private(render(request, "webui/portal_message.html",
                                       {"title": _("Cảm ơn bạn đã đánh giá"), "thanks": True, "noindex": True,
                                        "message": _("Ý kiến của bạn giúp cơ quan phục vụ người dân tốt hơn.")}))
        form.mark_errors()
        status = 409 if form.non_field_errors() else 400
        return _private(render(request, "webui/portal_rate.html", {"form": form, "noindex": True}, status=status))
    initial = {"ma": request.GET.get("ma", "")[:48], "mk": request.GET.get("mk", "")[:32]}
    return _private(render(request, "webui/portal_rate.html", {"form": RatingForm(initial=initial),
                                                               "noindex": True}))


# ---------------------------------------------------------------------------------------------------------------
# the online services catalogue


def catalogue(request):
    return render(request, "webui/portal_catalogue.html", {"levels": portal.catalogue_levels()})


# ---------------------------------------------------------------------------------------------------------------
# public statistics per unit


def public_statistics(request):
    """A unit's figures for a year or a month, as the law asks them published: received, carried over, finished
    early / on time / late, in progress, overdue, the rates, by procedure. Counts only: no applicant, no official."""
    if _over(request, "statistics"):
        return too_many(request)
    form = PublicStatisticsForm(request.GET or None, units=portal.public_statistics_units())
    figures, status = None, 200
    if request.GET:
        if form.is_valid():
            data = form.cleaned_data
            figures = portal.public_statistics(data["unit"], data["year"], data["month"])
        else:
            status = 400
    response = render(request, "webui/portal_statistics.html", {"form": form, "figures": figures}, status=status)
    response["Cache-Control"] = "public, max-age=300"
    return response
