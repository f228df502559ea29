"""Forms of the one-stop desk's pages. They parse input; processes.services.reception decides what is valid, and
its message is shown at the field it names (`show_service_error`)."""
from django import forms
from django.utils.translation import gettext_lazy as _

from . import labels

EXTRA_ITEMS = 3  # blank rows of form 02 for items outside the checklist
DEFAULT_MISSING_REASON = _("Chưa nộp")
ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True
    template_name = "django/forms/widgets/file.html"


class MultipleFileField(forms.FileField):
    """Several scans in one input; the service checks each file's type and size."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        files = data if isinstance(data, (list, tuple)) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files if f]


class DeskForm(forms.Form):
    """Shared behaviour: a service error goes to the field it names (`mapping` translates the service's names),
    aria-invalid/aria-describedby on the inputs with a message, the first one focused."""

    service_fields = {}

    def show_service_error(self, exc, mapping=None):
        mapping = {**self.service_fields, **(mapping or {})}
        name = exc.field or ""
        target = mapping.get(name)
        if target is None:
            target = name if name in self.fields else None
        if target is None:
            for prefix, field in mapping.items():
                if prefix.endswith("*") and name.startswith(prefix[:-1]):
                    target = field
                    break
        self.add_error(target, exc.message[:1].upper() + exc.message[1:])
        return target

    def mark_errors(self):
        first = True
        for name in self.fields:
            if name in self.errors:
                attrs = {"aria-invalid": "true", "aria-describedby": f"err-{name}"}
                if first:
                    attrs["autofocus"] = True
                    first = False
                self.fields[name].widget.attrs.update(attrs)


class CatalogueSearchForm(forms.Form):
    q = forms.CharField(label=_("Tìm thủ tục"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off",
                                                      "placeholder": _("Tên, mã thủ tục hoặc lĩnh vực")}))

    def query(self):
        return (self.cleaned_data.get("q") or "").strip() if self.is_valid() else ""


class FindDossierForm(forms.Form):
    code = forms.CharField(label=_("Mã hồ sơ"), max_length=48,
                           widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off",
                                                         "placeholder": "003.00.16.H57-…"}),
                           error_messages={"required": _("Hãy nhập mã hồ sơ."),
                                           "max_length": _("Mã hồ sơ dài tối đa 48 ký tự.")})


class ApplicantFields(forms.Form):
    """The applicant's fields of the desk's intake and of the portal's online submission (the service checks them:
    processes.services.reception.clean_applicant). Autocomplete is off: at the desk they are someone else's data;
    the portal turns it on for the citizen's own (OWN_AUTOCOMPLETE)."""

    APPLICANT = ("full_name", "id_number", "phone", "email", "address")
    OWN_AUTOCOMPLETE = {"full_name": "name", "phone": "tel", "email": "email", "address": "street-address"}

    full_name = forms.CharField(label=_("Họ và tên người nộp"), max_length=200, required=False,
                                widget=forms.TextInput(attrs={"autocomplete": "off"}))
    id_number = forms.CharField(label=_("Số CCCD/CMND"), max_length=20, required=False,
                                help_text=_("9 hoặc 12 chữ số"),
                                widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    phone = forms.CharField(label=_("Điện thoại"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))
    email = forms.CharField(label=_("Thư điện tử"), max_length=254, required=False,
                            widget=forms.TextInput(attrs={"type": "email", "autocomplete": "off"}))
    address = forms.CharField(label=_("Địa chỉ"), max_length=400, required=False,
                              widget=forms.TextInput(attrs={"autocomplete": "off"}))

    def applicant_fields(self):
        return [self[name] for name in self.APPLICANT]


# The desk's words for a case's letter and its writer (processes.models.CaseKind; dialogue opinions are recorded at
# their meeting, not at the desk).
CASE_CONTENT = {"complaint": _("Nội dung khiếu nại"), "denunciation": _("Nội dung tố cáo"),
                "petition": _("Nội dung phản ánh, kiến nghị")}
CASE_APPLICANT = {"complaint": _("Họ và tên người khiếu nại"), "denunciation": _("Họ và tên người tố cáo"),
                  "petition": _("Họ và tên người phản ánh, kiến nghị")}


class IntakeForm(DeskForm, ApplicantFields):
    """The applicant, the channel, the checklist with a scan input and a 'reason if missing' per document, extra
    rows for form 02, and the reasons of form 03. The decision is the button pressed."""

    DECISIONS = ("receive", "incomplete", "refuse")
    service_fields = {
        "applicant.full_name": "full_name", "applicant.id_number": "id_number", "applicant.phone": "phone",
        "applicant.email": "email", "applicant.address": "address", "applicant": "full_name",
        "channel": "channel", "documents": "documents", "items": "documents", "reasons": "reasons",
        "reasons[*": "reasons", "procedure": None,
    }

    channel = forms.TypedChoiceField(label=_("Hình thức nộp"), coerce=int, initial=1, widget=forms.RadioSelect,
                                     error_messages={"required": _("Hãy chọn hình thức nộp."),
                                                     "invalid_choice": _("Hình thức nộp không hợp lệ.")})
    documents = forms.MultipleChoiceField(label=_("Thành phần hồ sơ đã nhận"), required=False,
                                          widget=forms.CheckboxSelectMultiple)
    reasons = forms.CharField(label=_("Lý do từ chối tiếp nhận (mỗi dòng một lý do)"), required=False,
                              max_length=8000, widget=forms.Textarea(attrs={"rows": 3}))
    decision = forms.ChoiceField(choices=[(d, d) for d in DECISIONS], required=False)

    def __init__(self, *args, checklist, kind="administrative", **kwargs):
        super().__init__(*args, **kwargs)
        self.checklist = checklist
        self.kind = kind
        if kind in CASE_CONTENT:
            # a case (issue 9): who writes, what the letter says (workflow datum "content"), a complaint's remoteness
            self.fields["full_name"].label = CASE_APPLICANT[kind]
            self.fields["content"] = forms.CharField(
                label=CASE_CONTENT[kind], required=False, max_length=4000,
                help_text=_("Tóm tắt nội dung đơn: việc gì, của ai, đề nghị gì."),
                widget=forms.Textarea(attrs={"rows": 4}))
        if kind == "complaint":
            self.fields["remote_area"] = forms.BooleanField(
                label=_("Người khiếu nại ở vùng sâu, vùng xa, đi lại khó khăn"), required=False,
                help_text=_("Thời hạn giải quyết khiếu nại dài hơn (Luật Khiếu nại 2011, Điều 28 và 37)."))
        self.fields["channel"].choices = list(labels.CHANNELS.items())
        self.fields["documents"].choices = [(row["name"], row["name"]) for row in checklist]
        for i, row in enumerate(checklist):
            self.fields[f"scan-{i}"] = MultipleFileField(label=_("Bản quét: %(name)s") % {"name": row["name"]})
            self.fields[f"reason-{i}"] = forms.CharField(
                label=_("Lý do cần bổ sung: %(name)s") % {"name": row["name"]}, required=False, max_length=500,
                initial=DEFAULT_MISSING_REASON)
        for n in range(EXTRA_ITEMS):
            self.fields[f"extra-name-{n}"] = forms.CharField(label=_("Giấy tờ khác cần bổ sung %(n)d") % {"n": n + 1},
                                                             required=False, max_length=300)
            self.fields[f"extra-reason-{n}"] = forms.CharField(label=_("Lý do %(n)d") % {"n": n + 1},
                                                               required=False, max_length=500)

    # what the template iterates
    def rows(self):
        boxes = list(self["documents"])
        return [{"n": i, "row": row, "box": boxes[i], "scan": self[f"scan-{i}"], "reason": self[f"reason-{i}"]}
                for i, row in enumerate(self.checklist)]

    def extra_rows(self):
        return [{"n": n, "name": self[f"extra-name-{n}"], "reason": self[f"extra-reason-{n}"]}
                for n in range(EXTRA_ITEMS)]

    # what the services get
    def applicant(self):
        return {name: self.cleaned_data.get(name) or "" for name in ("full_name", "id_number", "phone", "email",
                                                                      "address")}

    def case_data(self):
        """The case's content and remoteness for reception.receive_at_desk (nothing for an administrative dossier)."""
        found = {}
        if "content" in self.fields:
            found["content"] = self.cleaned_data.get("content") or ""
        if "remote_area" in self.fields:
            found["remote_area"] = bool(self.cleaned_data.get("remote_area"))
        return found

    def ticked(self):
        return list(self.cleaned_data.get("documents") or [])

    def scans(self):
        """[(document name, file, form field)]: each scan names the document it shows."""
        return [(row["name"], upload, f"scan-{i}") for i, row in enumerate(self.checklist)
                for upload in self.cleaned_data.get(f"scan-{i}") or []]

    def missing_items(self):
        """Form 02's items: the unticked documents with their reasons, then the extra rows filled in. Returns
        (items, form field of each item's name, form field of each item's reason)."""
        ticked = set(self.ticked())
        items, name_fields, reason_fields = [], [], []
        for i, row in enumerate(self.checklist):
            if row["name"] in ticked:
                continue
            items.append({"name": row["name"], "copies": row["copies"],
                          "reason": self.cleaned_data.get(f"reason-{i}") or ""})
            name_fields.append("documents")
            reason_fields.append(f"reason-{i}")
        for n in range(EXTRA_ITEMS):
            name = (self.cleaned_data.get(f"extra-name-{n}") or "").strip()
            reason = self.cleaned_data.get(f"extra-reason-{n}") or ""
            if not name and not reason.strip():
                continue
            items.append({"name": name, "reason": reason, "copies": 1})
            name_fields.append(f"extra-name-{n}")
            reason_fields.append(f"extra-reason-{n}")
        return items, name_fields, reason_fields

    def reason_list(self):
        return [line.strip() for line in (self.cleaned_data.get("reasons") or "").splitlines() if line.strip()]


class FeeForm(DeskForm):
    amount = forms.CharField(label=_("Số tiền (đồng)"), max_length=30, required=False,
                             widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    description = forms.CharField(label=_("Nội dung"), max_length=300, required=False)
    receipt_number = forms.CharField(label=_("Số biên lai"), max_length=60, required=False)
    status = forms.ChoiceField(label=_("Tình trạng"), choices=[("paid", _("Đã nộp")), ("waiting", _("Chờ nộp"))],
                               initial="paid", widget=forms.RadioSelect,
                               error_messages={"required": _("Hãy chọn đã nộp hoặc chờ nộp.")})


class FeePaidForm(DeskForm):
    receipt_number = forms.CharField(label=_("Số biên lai"), max_length=60, required=False)


class ReturnForm(DeskForm):
    collector = forms.ChoiceField(label=_("Người nhận kết quả"), widget=forms.RadioSelect, initial="applicant",
                                  choices=[("applicant", _("Người nộp hồ sơ")),
                                           ("representative", _("Người được ủy quyền"))],
                                  error_messages={"required": _("Hãy chọn người nhận kết quả.")})
    representative_name = forms.CharField(label=_("Họ tên người được ủy quyền"), max_length=150, required=False)
    representative_id_number = forms.CharField(label=_("Số CCCD/CMND người được ủy quyền"), max_length=20,
                                               required=False,
                                               widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    service_fields = {"collected_by": "representative_name", "status": None, "fees": None}


class SupplementForm(DeskForm):
    scans = MultipleFileField(label=_("Bản quét giấy tờ bổ sung (PDF, JPEG, PNG)"))
    service_fields = {"status": None}


class WithdrawForm(DeskForm):
    reason = forms.CharField(label=_("Lý do rút hồ sơ"), max_length=2000, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))
    service_fields = {"status": None}


class LookupForm(forms.Form):
    ma = forms.CharField(label=_("Mã hồ sơ"), max_length=48,
                         error_messages={"required": _("Hãy nhập mã hồ sơ."),
                                         "max_length": _("Mã hồ sơ dài tối đa 48 ký tự.")},
                         widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off",
                                                       "placeholder": "003.00.16.H57-…"}))
