"""The evaluation pages (issue 7): Circular 01/2018's nine indices per agency and per official for a quarter or a
year, with the Decision 766 indicators the data supports (processes/evaluation.py says how each is computed); one
dossier's indices; and the desk's form recording a citizen's contact (indices 3 and 4). Leaders (unit_leader,
signing_leader) read their units and sub-units, auditors every unit; everyone else gets 403. A bad filter is a 400
at its field."""
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from engine import clock
from engine.calendar import VN_TZ
from processes import evaluation
from processes.models import AdministrativeUnit, ContactKind, Dossier, DossierParticipant
from processes.services.contacts import record_contact
from processes.services.errors import InvalidInput, ServiceError

from .auth import official_required
from .views import actor_of
from .views_reception import _dossier_or_404, _dossier_page, desk_required

AGENCY_BANDS = {
    "excellent": gettext_lazy("Xuất sắc"),
    "good": gettext_lazy("Tốt"),
    "fair": gettext_lazy("Khá"),
    "average": gettext_lazy("Trung bình"),
    "weak": gettext_lazy("Yếu"),
}
OFFICIAL_BANDS = {
    "100": gettext_lazy("Hoàn thành 100% nhiệm vụ"),
    "70-100": gettext_lazy("Hoàn thành từ 70% đến dưới 100%"),
    "under-70": gettext_lazy("Hoàn thành dưới 70%"),
}
INDEX_NAMES = {
    1: gettext_lazy("Tổng thời gian giải quyết so với quy định"),
    2: gettext_lazy("Thời gian của từng đơn vị so với thời gian được giao"),
    3: gettext_lazy("Số lần người dân phải liên hệ"),
    4: gettext_lazy("Số cơ quan người dân phải liên hệ"),
    5: gettext_lazy("Tỷ lệ thủ tục giải quyết trọn vẹn tại bộ phận một cửa"),
    6: gettext_lazy("Công khai thủ tục hành chính"),
    7: gettext_lazy("Thái độ của cán bộ"),
    8: gettext_lazy("Tiếp nhận, xử lý phản ánh, kiến nghị"),
    9: gettext_lazy("Dịch vụ công trực tuyến"),
}


def _allowed_units(request):
    """None (auditors: every unit) or the set of unit ids the official may evaluate; 403 when there is none."""
    allowed = evaluation.evaluation_units(request.user)
    if allowed is not None and not allowed:
        raise PermissionDenied(_("Chỉ lãnh đạo đơn vị và thanh tra, giám sát mới xem được kết quả đánh giá."))
    return allowed


def period_choices(now=None):
    year = (now or clock.now()).astimezone(VN_TZ).year
    choices = []
    for y in range(year, year - 3, -1):
        for q in (4, 3, 2, 1):
            choices.append((f"{y}-Q{q}", _("Quý %(q)s/%(y)s") % {"q": q, "y": y}))
        choices.append((str(y), _("Năm %(y)s") % {"y": y}))
    return choices


class EvaluationFilterForm(forms.Form):
    period = forms.ChoiceField(label=gettext_lazy("Kỳ đánh giá"), required=False)
    unit = forms.ChoiceField(label=gettext_lazy("Đơn vị"), required=False)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = period_choices()
        self.fields["unit"].choices = [("", _("Tất cả đơn vị được xem"))] + [(u.code, u.name) for u in units]

    def chosen_period(self):
        value = self.cleaned_data.get("period")
        return evaluation.Period.parse(value) if value else evaluation.Period.current()


@require_GET
@official_required
def evaluation_page(request):
    allowed = _allowed_units(request)
    units_qs = AdministrativeUnit.objects.order_by("code")
    if allowed is not None:
        units_qs = units_qs.filter(pk__in=allowed)
    units = list(units_qs)
    form = EvaluationFilterForm(request.GET or None, units=units)
    context = {"form": form, "index_headers": [(n, INDEX_NAMES[n]) for n in evaluation.AGENCY_INDICES],
               "official_headers": [(n, INDEX_NAMES[n]) for n in evaluation.OFFICIAL_INDICES]}
    if request.GET and not form.is_valid():
        return render(request, "webui/evaluation.html", context, status=400)
    period = form.chosen_period() if request.GET else evaluation.Period.current()
    scope = allowed
    chosen = form.cleaned_data.get("unit") if request.GET else ""
    if chosen:
        unit = next(u for u in units if u.code == chosen)
        scope = evaluation.unit_tree_ids([unit.pk])
        if allowed is not None:
            scope &= allowed
    result = evaluation.evaluate(period, scope)
    for row in result["agencies"]:
        row["band_label"] = AGENCY_BANDS.get(row["band"], "—")
        row["cells"] = [row["indices"].get(i) for i in evaluation.AGENCY_INDICES]
    for row in result["officials"]:
        row["band_label"] = OFFICIAL_BANDS.get(row["band"], "—")
        row["cells"] = [row["indices"].get(i) for i in evaluation.OFFICIAL_INDICES]
    context.update(result=result, period=period)
    return render(request, "webui/evaluation.html", context)


@require_GET
@official_required
def evaluation_dossier(request, code):
    allowed = _allowed_units(request)
    dossier = (Dossier.objects.select_related("procedure", "receiving_unit").filter(code=code[:48]).first())
    if dossier is None:
        raise Http404(_("Không có hồ sơ này."))
    if allowed is not None and not DossierParticipant.objects.filter(dossier=dossier, unit_id__in=allowed).exists():
        raise Http404(_("Không có hồ sơ này."))
    scores = evaluation.dossier_indices(dossier)
    rows = []
    if scores is not None:
        for number in evaluation.OFFICIAL_INDICES:
            rows.append({"number": number, "name": INDEX_NAMES[number], "score": scores[number]})
    context = {"dossier": dossier, "scores": scores, "rows": rows,
               "units": sorted(scores["units"].items(), key=lambda pair: pair[0].code) if scores else [],
               "contacts": list(dossier.citizen_contacts.select_related("unit", "recorded_by"))}
    return render(request, "webui/evaluation_dossier.html", context)


# ---------------------------------------------------------------------------------------------------------------
# the desk records a citizen's contact


class ContactForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Hình thức"), choices=ContactKind.choices,
                             error_messages={"required": gettext_lazy("Hãy chọn hình thức liên hệ."),
                                             "invalid_choice": gettext_lazy("Hình thức liên hệ không hợp lệ.")})
    unit = forms.CharField(label=gettext_lazy("Cơ quan đã liên hệ"), max_length=32, required=False)
    agency_name = forms.CharField(label=gettext_lazy("Tên cơ quan khác"), max_length=300, required=False,
                                  error_messages={"max_length": gettext_lazy("Tên cơ quan dài tối đa 300 ký tự.")})
    citizen_fault = forms.BooleanField(label=gettext_lazy("Do người dân (không tính vào chỉ số 3)"), required=False)
    note = forms.CharField(label=gettext_lazy("Ghi chú"), max_length=500, required=False,
                           error_messages={"max_length": gettext_lazy("Ghi chú dài tối đa 500 ký tự.")})

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if data.get("unit") == "other":
            data["unit"] = ""
            if not data.get("agency_name", "").strip():
                self.add_error("agency_name", _("Hãy nhập tên cơ quan đã liên hệ."))
        elif not data.get("unit"):
            self.add_error("unit", _("Hãy chọn cơ quan người dân đã liên hệ."))
        else:
            data["agency_name"] = ""
        return data


@require_POST
@desk_required
def record_contact_view(request, unit, code):
    dossier = _dossier_or_404(unit, code)
    form = ContactForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            record_contact(dossier_code=dossier.code, kind=data["kind"], unit_code=data["unit"],
                           agency_name=data["agency_name"], citizen_fault=data["citizen_fault"], note=data["note"],
                           actor=actor_of(request))
        except InvalidInput as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except ServiceError as exc:
            messages.error(request, exc.message)
            return redirect("webui:reception-dossier", code=dossier.code)
        else:
            messages.success(request, _("Đã ghi nhận lần liên hệ của người dân."))
            return redirect("webui:reception-dossier", code=dossier.code)
    # the desk's page again, the form's values and errors at their fields (the partial reads them from the request)
    request.citizen_contact_form = form
    return _dossier_page(request, unit, dossier, status=400)
