"""Forms of the officials' pages. They parse input; the services decide what is valid for the workflow."""
from django import forms
from django.utils.translation import gettext_lazy as _

from . import labels
from .selectors import SORTS, TABS

SORT_LABELS = {
    "due": _("Hạn gần nhất trước"),
    "-due": _("Hạn xa nhất trước"),
    "received": _("Tiếp nhận sớm nhất trước"),
    "-received": _("Tiếp nhận mới nhất trước"),
    "procedure": _("Theo tên thủ tục"),
}


class InboxFilterForm(forms.Form):
    tab = forms.ChoiceField(choices=[(t, t) for t in TABS], required=False)
    q = forms.CharField(label=_("Mã hồ sơ"), required=False, max_length=48)
    procedure = forms.ChoiceField(label=_("Thủ tục"), required=False)
    field = forms.ChoiceField(label=_("Lĩnh vực"), required=False)
    channel = forms.TypedChoiceField(label=_("Kênh nộp"), required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(label=_("Trạng thái hồ sơ"), required=False)
    sort = forms.ChoiceField(label=_("Sắp xếp"), required=False, choices=[(k, SORT_LABELS[k]) for k in SORTS])
    page = forms.IntegerField(required=False, min_value=1, max_value=100000)

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        every = [("", _("Tất cả"))]
        self.fields["procedure"].choices = every + choices["procedures"]
        self.fields["field"].choices = every + choices["fields"]
        self.fields["channel"].choices = every + list(labels.CHANNELS.items())
        self.fields["status"].choices = every + [(s.value, labels.DOSSIER_STATUSES[s.value])
                                                 for s in choices["statuses"]]

    def values(self):
        """The cleaned filters; a bad value counts as no filter (a stale bookmark still opens the inbox)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        for name in self.errors:
            data.pop(name, None)
        return {
            "tab": data.get("tab") or "mine",
            "q": (data.get("q") or "").strip(),
            "procedure": data.get("procedure") or "",
            "field": data.get("field") or "",
            "channel": data.get("channel"),
            "status": data.get("status") or "",
            "sort": data.get("sort") or "due",
            "page": data.get("page") or 1,
        }


YES_NO = [("yes", labels.YES), ("no", labels.NO)]


class StepForm(forms.Form):
    """One input per field the step requires: yes/no for the fields the diagram's conditions test as booleans,
    text for the others. Nothing is required here: the service checks, and its message is shown at the field."""

    def __init__(self, *args, required_fields, boolean_fields, **kwargs):
        super().__init__(*args, **kwargs)
        self.booleans = set(boolean_fields)
        for name in required_fields:
            label = labels.field(name)
            if name in self.booleans:
                self.fields[name] = forms.ChoiceField(label=label, choices=YES_NO, required=False,
                                                      widget=forms.RadioSelect)
            else:
                self.fields[name] = forms.CharField(label=label, required=False, max_length=2000)
                self.fields[name].widget.attrs["aria-required"] = "true"

    def add_missing_errors(self, data):
        for name in self.fields:
            if name not in data:
                self.add_error(name, _("Hãy chọn Có hoặc Không.") if name in self.booleans
                               else _("Hãy nhập nội dung này."))

    def mark_errors(self):
        """aria-invalid and aria-describedby on the inputs of the fields with a message (after the service's); the
        first of them gets the focus."""
        first = True
        for name in self.fields:
            if name in self.errors:
                attrs = {"aria-invalid": "true", "aria-describedby": f"err-{name}"}
                if first:
                    attrs["autofocus"] = True
                    first = False
                self.fields[name].widget.attrs.update(attrs)

    def step_data(self):
        """What the step produces, for complete_work_item; an unanswered field is left out (the service names it)."""
        data = {}
        for name, value in self.cleaned_data.items():
            if name in self.booleans:
                if value in ("yes", "no"):
                    data[name] = value == "yes"
            elif value not in (None, ""):
                data[name] = value.strip()
        return data
