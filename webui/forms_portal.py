"""Forms of the citizens' portal and of the desk's answer to online submissions. They parse input;
processes.services.portal decides what is valid, and its message is shown at the field it names."""
from django import forms
from django.utils.translation import gettext_lazy as _

from .forms_reception import ApplicantFields, DeskForm, MultipleFileField

SCORE_CHOICES = [(n, str(n)) for n in range(1, 6)]
RATING_ELEMENTS = [
    ("access", _("Tiếp cận dịch vụ hành chính công")),
    ("procedure", _("Thủ tục hành chính")),
    ("official", _("Công chức trực tiếp giải quyết công việc")),
    ("result", _("Kết quả giải quyết thủ tục hành chính")),
    ("feedback", _("Tiếp nhận, xử lý ý kiến góp ý, phản ánh, kiến nghị")),
]


class PortalLookupForm(forms.Form):
    """The code alone (status only), or the code with the receipt's secret or the applicant's phone (progress)."""

    ma = forms.CharField(label=_("Mã hồ sơ (trên giấy tiếp nhận)"), max_length=48,
                         error_messages={"required": _("Hãy nhập mã hồ sơ."),
                                         "max_length": _("Mã hồ sơ dài tối đa 48 ký tự.")})
    mk = forms.CharField(label=_("Mã bí mật (in trên giấy tiếp nhận)"), max_length=32, required=False,
                         error_messages={"max_length": _("Mã bí mật dài tối đa 32 ký tự.")})
    sdt = forms.CharField(label=_("Hoặc số điện thoại của người nộp"), max_length=20, required=False,
                          error_messages={"max_length": _("Số điện thoại dài tối đa 20 ký tự.")})

    def wants_detail(self):
        return bool((self.cleaned_data.get("mk") or "").strip() or (self.cleaned_data.get("sdt") or "").strip())


class OnlineSubmissionForm(DeskForm, ApplicantFields):
    """The applicant and one file input per checklist item (several files allowed)."""

    service_fields = {
        "applicant.full_name": "full_name", "applicant.id_number": "id_number", "applicant.phone": "phone",
        "applicant.email": "email", "applicant.address": "address", "applicant": "full_name",
        "documents": None, "procedure": None, "unit": None,
    }

    def __init__(self, *args, checklist, **kwargs):
        super().__init__(*args, **kwargs)
        for name, hint in self.OWN_AUTOCOMPLETE.items():  # the citizen's own data: the browser may fill it in
            self.fields[name].widget.attrs["autocomplete"] = hint
        self.checklist = checklist
        for i, row in enumerate(checklist):
            self.fields[f"file-{i}"] = MultipleFileField(label=row["name"])
        self.service_fields = {**self.service_fields,
                               **{f"documents[{i}]": f"file-{i}" for i in range(len(checklist))}}

    def file_rows(self):
        return [{"n": i, "row": row, "field": self[f"file-{i}"]} for i, row in enumerate(self.checklist)]

    def applicant(self):
        return {name: self.cleaned_data.get(name) or "" for name in ("full_name", "id_number", "phone", "email",
                                                                      "address")}

    def files_for_service(self):
        return [(row["name"], upload, f"file-{i}") for i, row in enumerate(self.checklist)
                for upload in self.cleaned_data.get(f"file-{i}") or []]


class RatingForm(DeskForm):
    ma = forms.CharField(label=_("Mã hồ sơ"), max_length=48,
                         error_messages={"required": _("Hãy nhập mã hồ sơ."),
                                         "max_length": _("Mã hồ sơ dài tối đa 48 ký tự.")})
    mk = forms.CharField(label=_("Mã bí mật (in trên giấy tiếp nhận)"), max_length=32,
                         error_messages={"required": _("Hãy nhập mã bí mật in trên giấy tiếp nhận."),
                                         "max_length": _("Mã bí mật dài tối đa 32 ký tự.")})
    comment = forms.CharField(label=_("Ý kiến góp ý (không bắt buộc)"), max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              error_messages={"max_length": _("Ý kiến dài tối đa 2000 ký tự.")})
    service_fields = {"code": "ma", "status": None, "scores": None}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in RATING_ELEMENTS:
            self.fields[name] = forms.TypedChoiceField(
                label=label, choices=SCORE_CHOICES, coerce=int, widget=forms.RadioSelect,
                error_messages={"required": _("Hãy chọn mức từ 1 đến 5."),
                                "invalid_choice": _("Mức hài lòng là số từ 1 đến 5.")})
        self.order_fields(["ma", "mk", *[n for n, _label in RATING_ELEMENTS], "comment"])

    def element_fields(self):
        return [self[name] for name, _label in RATING_ELEMENTS]

    def scores(self):
        return {name: self.cleaned_data.get(name) for name, _label in RATING_ELEMENTS}


# ---------------------------------------------------------------------------------------------------------------
# the desk


class AskForMoreForm(DeskForm):
    """Form 02 of an online submission: the checklist items that are missing, each with its reason, and one more
    item outside the checklist."""

    extra_name = forms.CharField(label=_("Giấy tờ khác cần bổ sung"), max_length=300, required=False)
    extra_reason = forms.CharField(label=_("Lý do"), max_length=500, required=False)
    service_fields = {"items": "missing", "status": None, "submission": None}

    def __init__(self, *args, checklist, **kwargs):
        super().__init__(*args, **kwargs)
        self.checklist = checklist
        self.fields["missing"] = forms.MultipleChoiceField(
            label=_("Giấy tờ chưa đạt yêu cầu"), required=False, widget=forms.CheckboxSelectMultiple,
            choices=[(row["name"], row["name"]) for row in checklist])
        for i, row in enumerate(checklist):
            self.fields[f"reason-{i}"] = forms.CharField(label=_("Lý do: %(name)s") % {"name": row["name"]},
                                                         required=False, max_length=500)

    def rows(self):
        boxes = list(self["missing"])
        return [{"n": i, "row": row, "box": boxes[i], "reason": self[f"reason-{i}"]}
                for i, row in enumerate(self.checklist)]

    def items(self):
        """(items, the form field of each item's name, the form field of each item's reason)"""
        missing = set(self.cleaned_data.get("missing") or [])
        items, names, reasons = [], [], []
        for i, row in enumerate(self.checklist):
            if row["name"] in missing:
                items.append({"name": row["name"], "reason": self.cleaned_data.get(f"reason-{i}") or "",
                              "copies": row["copies"]})
                names.append("missing")
                reasons.append(f"reason-{i}")
        name = (self.cleaned_data.get("extra_name") or "").strip()
        reason = self.cleaned_data.get("extra_reason") or ""
        if name or reason.strip():
            items.append({"name": name, "reason": reason, "copies": 1})
            names.append("extra_name")
            reasons.append("extra_reason")
        return items, names, reasons


class RefuseSubmissionForm(DeskForm):
    reasons = forms.CharField(label=_("Lý do từ chối tiếp nhận (mỗi dòng một lý do)"), required=False,
                              max_length=8000, widget=forms.Textarea(attrs={"rows": 3}))
    service_fields = {"reasons[*": "reasons", "status": None, "submission": None}

    def reason_list(self):
        return [line.strip() for line in (self.cleaned_data.get("reasons") or "").splitlines() if line.strip()]


class PublicStatisticsForm(forms.Form):
    """The public statistics page's choice: a unit with a one-stop desk, a year, optionally a month."""

    unit = forms.ChoiceField(label=_("Đơn vị"))
    year = forms.IntegerField(label=_("Năm"), min_value=2000, max_value=2100)
    month = forms.TypedChoiceField(label=_("Tháng"), required=False, coerce=int, empty_value=None,
                                   choices=[("", _("Cả năm"))] + [(m, f"{m:02d}") for m in range(1, 13)])

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.code, u.name) for u in units]
        if not self.is_bound:
            from engine import clock
            from engine.calendar import VN_TZ

            self.fields["year"].initial = clock.now().astimezone(VN_TZ).year
