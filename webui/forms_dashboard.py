"""The filters of the leaders' dashboard (webui/views_dashboard.py): the kind of dossier counted (administrative, or a
kind of case), a period (month, quarter, year or a custom range of days), a receiving unit with or without its
sub-units, a field. A bad value is a message at its field (the page answers 400), never an error page. The drill-down
list adds the figure: a category and the row it belongs to."""
import calendar as month_calendar
from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from processes import statistics
from processes.models import AdministrativeUnit, CaseKind, Field

from .forms_reception import DeskForm

DATE_FORMATS = ["%d/%m/%Y"]
DATE_ATTRS = {"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off", "maxlength": 10,
              "class": "date-input"}
MAX_CUSTOM_DAYS = 731  # two years: the off-day runs of the period are spelled out in the query
PERIODS = [("month", _("Tháng")), ("quarter", _("Quý")), ("year", _("Năm")), ("custom", _("Tùy chọn"))]
FILTER_NAMES = ("period", "year", "month", "quarter", "date_from", "date_to", "unit", "subunits", "field", "kind")
# What the figures count: administrative dossiers (the default), or one kind of case (issue 9).
KINDS = [(CaseKind.ADMINISTRATIVE, _("Hồ sơ thủ tục hành chính")), (CaseKind.COMPLAINT, _("Khiếu nại")),
         (CaseKind.DENUNCIATION, _("Tố cáo")), (CaseKind.PETITION, _("Phản ánh, kiến nghị")),
         (CaseKind.DIALOGUE, _("Ý kiến tại hội nghị đối thoại"))]
ALL_UNITS = ""


class DashboardForm(DeskForm):
    kind = forms.ChoiceField(label=_("Loại hồ sơ"), choices=KINDS, required=False,
                             error_messages={"invalid_choice": _("Không có loại hồ sơ này.")})
    period = forms.ChoiceField(label=_("Kỳ báo cáo"), choices=PERIODS,
                               error_messages={"invalid_choice": _("Kỳ báo cáo là tháng, quý, năm hoặc tùy chọn."),
                                               "required": _("Hãy chọn kỳ báo cáo.")})
    year = forms.IntegerField(label=_("Năm"), required=False, min_value=2000, max_value=2100,
                              widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
                              error_messages={"invalid": _("Năm phải là một số, ví dụ 2026."),
                                              "min_value": _("Năm phải từ 2000 đến 2100."),
                                              "max_value": _("Năm phải từ 2000 đến 2100.")})
    month = forms.TypedChoiceField(label=_("Tháng"), required=False, coerce=int, empty_value=None,
                                   choices=[("", "—")] + [(m, f"{m:02d}") for m in range(1, 13)],
                                   error_messages={"invalid_choice": _("Tháng phải từ 1 đến 12.")})
    quarter = forms.TypedChoiceField(label=_("Quý"), required=False, coerce=int, empty_value=None,
                                     choices=[("", "—"), (1, "I"), (2, "II"), (3, "III"), (4, "IV")],
                                     error_messages={"invalid_choice": _("Quý phải từ 1 đến 4.")})
    date_from = forms.DateField(label=_("Từ ngày"), required=False, input_formats=DATE_FORMATS,
                                widget=forms.TextInput(attrs=DATE_ATTRS),
                                error_messages={"invalid": _("Ngày phải có dạng dd/mm/yyyy.")})
    date_to = forms.DateField(label=_("Đến ngày"), required=False, input_formats=DATE_FORMATS,
                              widget=forms.TextInput(attrs=DATE_ATTRS),
                              error_messages={"invalid": _("Ngày phải có dạng dd/mm/yyyy.")})
    unit = forms.ChoiceField(label=_("Đơn vị"), required=False,
                             error_messages={"invalid_choice": _("Bạn không xem được thống kê của đơn vị này.")})
    subunits = forms.BooleanField(label=_("Gồm cả đơn vị trực thuộc"), required=False)
    field = forms.ModelChoiceField(label=_("Lĩnh vực"), required=False, to_field_name="code",
                                   queryset=Field.objects.order_by("name"), empty_label=_("— Tất cả lĩnh vực —"),
                                   error_messages={"invalid_choice": _("Không có lĩnh vực này.")})

    def __init__(self, data=None, *, allowed=None, parents=None, today=None, **kwargs):
        """allowed: statistics.statistics_units() of the official (None = every unit); today: the local date."""
        self.allowed = allowed
        self.parents = parents if parents is not None else statistics.unit_parents()
        self.today = today
        super().__init__(data, **kwargs)
        units = AdministrativeUnit.objects.order_by("code")
        if allowed is not None:
            units = units.filter(pk__in=allowed)
        self.units = {u.code: u for u in units}
        choices = [(ALL_UNITS, _("— Tất cả đơn vị —"))] if allowed is None else []
        choices += [(code, u.name) for code, u in self.units.items()]
        self.fields["unit"].choices = choices
        self.fields["field"].label_from_instance = lambda f: f.name

    @classmethod
    def defaults(cls, allowed, today, parents):
        """The initial filters: this month, the official's top unit (every unit for auditors), with sub-units."""
        top = ALL_UNITS
        if allowed is not None:
            roots = [u for u in allowed if parents.get(u) not in allowed]
            top_unit = AdministrativeUnit.objects.filter(pk__in=roots).order_by("code").first()
            top = top_unit.code if top_unit else ALL_UNITS
        return {"period": "month", "year": str(today.year), "month": str(today.month), "unit": top, "subunits": "on",
                "kind": CaseKind.ADMINISTRATIVE}

    def clean(self):
        cleaned = super().clean()
        period = cleaned.get("period")
        if period in ("month", "quarter", "year") and cleaned.get("year") is None and "year" not in self.errors:
            self.add_error("year", _("Hãy nhập năm."))
        if period == "month" and cleaned.get("month") is None and "month" not in self.errors:
            self.add_error("month", _("Hãy chọn tháng."))
        if period == "quarter" and cleaned.get("quarter") is None and "quarter" not in self.errors:
            self.add_error("quarter", _("Hãy chọn quý."))
        if period == "custom":
            start, end = cleaned.get("date_from"), cleaned.get("date_to")
            for name in ("date_from", "date_to"):
                if cleaned.get(name) is None and name not in self.errors:
                    self.add_error(name, _("Hãy nhập ngày (dd/mm/yyyy)."))
            if start and end and start > end:
                self.add_error("date_to", _("Ngày kết thúc phải sau ngày bắt đầu."))
            elif start and end and (end - start).days >= MAX_CUSTOM_DAYS:
                self.add_error("date_to", _("Khoảng thời gian dài nhất là hai năm."))
        return cleaned

    # -- after is_valid() ---------------------------------------------------------------------------------------

    def days(self):
        """(first day, last day) of the chosen period, inclusive."""
        data = self.cleaned_data
        period, year = data["period"], data.get("year")
        if period == "month":
            return date(year, data["month"], 1), date(year, data["month"],
                                                      month_calendar.monthrange(year, data["month"])[1])
        if period == "quarter":
            first_month = 3 * data["quarter"] - 2
            last_month = first_month + 2
            return date(year, first_month, 1), date(year, last_month, month_calendar.monthrange(year, last_month)[1])
        if period == "year":
            return date(year, 1, 1), date(year, 12, 31)
        return data["date_from"], data["date_to"]

    def period_label(self):
        data = self.cleaned_data
        first, last = self.days()
        if data["period"] == "month":
            return _("Tháng %(month)02d/%(year)d") % {"month": data["month"], "year": data["year"]}
        if data["period"] == "quarter":
            return _("Quý %(q)s năm %(year)d") % {"q": ("I", "II", "III", "IV")[data["quarter"] - 1],
                                                  "year": data["year"]}
        if data["period"] == "year":
            return _("Năm %(year)d") % {"year": data["year"]}
        return _("Từ %(first)s đến %(last)s") % {"first": f"{first:%d/%m/%Y}", "last": f"{last:%d/%m/%Y}"}

    def chosen_kind(self):
        """The kind counted: administrative unless a case kind is chosen."""
        return self.cleaned_data.get("kind") or CaseKind.ADMINISTRATIVE

    def chosen_unit(self):
        return self.units.get(self.cleaned_data.get("unit") or "")

    def unit_ids(self):
        """The receiving units of the report: the unit (and its sub-units when asked), within what the official may
        see; None = every unit (auditors, no unit chosen)."""
        unit = self.chosen_unit()
        if unit is None:
            return None
        if self.cleaned_data.get("subunits"):
            ids = statistics.subtree_ids([unit.pk], self.parents)
            return ids if self.allowed is None else ids & self.allowed
        return {unit.pk}

    def scope(self, now):
        first, last = self.days()
        chosen_field = self.cleaned_data.get("field")
        return statistics.Scope.for_days(first, last, unit_ids=self.unit_ids(),
                                         field_id=chosen_field.pk if chosen_field else None, now=now,
                                         kind=self.chosen_kind())

    def query(self):
        """The filters as a query string (the figures' links and the export keep them)."""
        from django.http import QueryDict

        query = QueryDict(mutable=True)
        for name in FILTER_NAMES:
            value = self.data.get(name)
            if value not in (None, ""):
                query[name] = value[:40]
        return query


class DrillDownForm(forms.Form):
    """The figure behind a list: its category and, for a row's figure, the row (a procedure, a unit, an official)."""

    category = forms.ChoiceField(
        choices=[(c, c) for c in dict.fromkeys((*statistics.CATEGORIES, *statistics.CASE_CATEGORIES,
                                                *statistics.OFFICIAL_CATEGORIES))],
        error_messages={"invalid_choice": _("Không có chỉ tiêu này."), "required": _("Hãy chọn chỉ tiêu.")})
    procedure = forms.SlugField(required=False, max_length=60)
    row_unit = forms.CharField(required=False, max_length=32)
    official = forms.CharField(required=False, max_length=150)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("category") in statistics.OFFICIAL_CATEGORIES and not cleaned.get("official"):
            self.add_error("official", _("Chỉ tiêu của cán bộ cần tên đăng nhập của cán bộ."))
        return cleaned
