"""Printable forms as PDF (issue 4): a dossier's forms in its legal regime, the register of a unit for a period, and
the intake notices issued at the desk. Thin: visibility through processes.selectors, rendering in
processes.services.forms, PDF in processes.services.pdf."""
from datetime import date, datetime

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from engine import clock
from engine.calendar import VN_TZ
from processes import privacy
from processes import selectors as process_selectors
from processes.models import IntakeNotice, Membership
from processes.services import forms as form_services
from processes.services.pdf import render_pdf

from .auth import current_unit, official_required

MAX_REGISTER_DAYS = 366


def _pdf(data, filename):
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _missing(request, message, status=404):
    return render(request, "webui/forms_missing.html", {"message": message}, status=status)


def _visible(request, code):
    return process_selectors.get_visible_dossier(request.user, code)


def _safe_name(text):
    return "".join(c if c.isalnum() or c in ".-_" else "-" for c in text)


# ---------------------------------------------------------------------------------------------------------------
# a dossier's forms


@official_required
def dossier_forms(request, code):
    dossier = _visible(request, code)
    if dossier is None:
        return _missing(request, _("Không có hồ sơ này, hoặc bạn không có quyền xem hồ sơ này."))
    refs = form_services.dossier_forms(dossier)
    context = {
        "dossier": dossier,
        "applicant": process_selectors.applicant_for(request.user, dossier),
        "circular": form_services.regime_context(dossier)["circular"],
        "forms": refs,
        "register_number": form_services.form_number(dossier, "register"),
    }
    return render(request, "webui/forms.html", context)


@official_required
def dossier_form_pdf(request, code, number):
    dossier = _visible(request, code)
    if dossier is None:
        return _missing(request, _("Không có hồ sơ này, hoặc bạn không có quyền xem hồ sơ này."))
    seq = request.GET.get("seq")
    if seq is not None:
        if not seq.isdigit() or len(seq) > 4:
            return _missing(request, _("Số thứ tự của biểu mẫu không hợp lệ: %(seq)s.") % {"seq": seq[:20]})
        seq = int(seq)
    try:
        # a denouncer's identity printed only for whoever may read it (processes.privacy)
        ref, rendered = form_services.render_dossier_form(privacy.for_viewer(request.user, dossier), number, seq)
    except form_services.FormNotAvailable:
        circular = form_services.regime_context(dossier)["circular"]
        if form_services.form_kind(dossier, number) == "register":
            message = _("Mẫu số %(n)s (%(c)s) là sổ theo dõi hồ sơ của đơn vị: in tại trang Biểu mẫu.") % {
                "n": number, "c": circular}
        else:
            message = _("Hồ sơ %(code)s không có mẫu số %(n)s%(seq)s theo %(c)s.") % {
                "code": dossier.code, "n": number[:10], "seq": f" (lần {seq})" if seq else "", "c": circular}
        return _missing(request, message)
    return _pdf(form_services.form_pdf(rendered), f"{_safe_name(dossier.code)}-{ref.filename_part}.pdf")


# ---------------------------------------------------------------------------------------------------------------
# the register of the current unit for a period


def _parse_day(value):
    try:
        return datetime.strptime(value.strip(), "%d/%m/%Y").date()
    except (ValueError, AttributeError):
        return None


def _register_input(params):
    """(from, to, errors): errors maps 'from'/'to' to a message."""
    errors = {}
    raw_from, raw_to = params.get("from", ""), params.get("to", "")
    day_from, day_to = _parse_day(raw_from), _parse_day(raw_to)
    if not raw_from.strip():
        errors["from"] = _("Hãy nhập ngày bắt đầu (dd/mm/yyyy).")
    elif day_from is None:
        errors["from"] = _("Ngày không hợp lệ: hãy nhập theo dạng dd/mm/yyyy, ví dụ 01/03/2019.")
    if not raw_to.strip():
        errors["to"] = _("Hãy nhập ngày kết thúc (dd/mm/yyyy).")
    elif day_to is None:
        errors["to"] = _("Ngày không hợp lệ: hãy nhập theo dạng dd/mm/yyyy, ví dụ 31/03/2019.")
    if day_from and day_to and not errors:
        if day_to < day_from:
            errors["to"] = _("Ngày kết thúc phải từ ngày bắt đầu trở đi.")
        elif (day_to - day_from).days >= MAX_REGISTER_DAYS:
            errors["to"] = _("Mỗi lần in tối đa một năm (366 ngày).")
        elif day_from.year < 2000 or day_to.year > 2100:
            errors["from"] = _("Ngày nằm ngoài phạm vi cho phép.")
    return day_from, day_to, errors


@official_required
def register(request):
    unit = current_unit(request)
    if unit is None:
        return _missing(request, _("Bạn chưa được phân công đơn vị nào."), status=403)
    today = clock.now().astimezone(VN_TZ).date()
    if "from" not in request.GET and "to" not in request.GET:
        initial = {"from": f"{date(today.year, today.month, 1):%d/%m/%Y}", "to": f"{today:%d/%m/%Y}"}
        return render(request, "webui/register.html", {"unit": unit, "values": initial, "errors": {}})
    day_from, day_to, errors = _register_input(request.GET)
    if errors:
        values = {"from": request.GET.get("from", "")[:20], "to": request.GET.get("to", "")[:20]}
        return render(request, "webui/register.html", {"unit": unit, "values": values, "errors": errors},
                      status=400)
    rendered = form_services.register(unit, day_from, day_to, prepared_by=request.user, viewer=request.user)
    filename = f"{_safe_name(unit.code)}-mau-{rendered.number}-{day_from:%Y%m%d}-{day_to:%Y%m%d}.pdf"
    return _pdf(form_services.form_pdf(rendered), filename)


# ---------------------------------------------------------------------------------------------------------------
# intake notices (forms 02/03 issued at the desk without a dossier code)


@official_required
def intake_notice_pdf(request, notice_id):
    notice = IntakeNotice.objects.filter(pk=notice_id).first()
    if notice is None or not Membership.objects.filter(user=request.user, unit_id=notice.unit_id).exists():
        return _missing(request, _("Không có phiếu này, hoặc phiếu không thuộc đơn vị của bạn."))
    notice = privacy.notice_for_viewer(request.user, notice)  # a denunciation's: the denouncer to its issuer only
    return _pdf(render_pdf(notice.form_html), f"{_safe_name(notice.number)}-mau-{notice.form_code}.pdf")
