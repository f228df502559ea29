"""The auditors' search form (webui/views_audit.py): it only shapes and checks the filters; a bad value is a message
at its field (the page answers 400), never an error page."""
from django import forms
from django.utils.translation import gettext_lazy as _

from processes.models import AdministrativeUnit, Procedure

from .forms_reception import DeskForm

DATE_FORMATS = ["%d/%m/%Y"]
DATE_ATTRS = {"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off", "maxlength": 10,
              "class": "date-input"}

# The flags an auditor filters by (several: all of them must hold).
FLAGS = [
    ("late", _("Quá hạn theo luật")),
    ("explained", _("Đã giải trình")),
    ("apology_filed_late", _("Xin lỗi muộn")),
    ("reappointed_more_than_once", _("Hẹn lại quá một lần")),
    ("late_without_explanation", _("Trễ hạn chưa giải trình")),
    ("supplemented_twice", _("Yêu cầu bổ sung lần hai")),
]
FILTER_NAMES = ("code", "applicant", "procedure", "unit", "received_from", "received_to", "flags")


class AuditSearchForm(DeskForm):
    code = forms.CharField(label=_("Mã hồ sơ"), max_length=48, required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    applicant = forms.CharField(label=_("Người nộp"), max_length=200, required=False,
                                widget=forms.TextInput(attrs={"autocomplete": "off"}))
    procedure = forms.ModelChoiceField(label=_("Thủ tục"), required=False, to_field_name="code",
                                       queryset=Procedure.objects.order_by("name"), empty_label=_("— Tất cả —"),
                                       error_messages={"invalid_choice": _("Không có thủ tục này.")})
    unit = forms.ModelChoiceField(label=_("Đơn vị tiếp nhận"), required=False, to_field_name="code",
                                  queryset=AdministrativeUnit.objects.order_by("code"), empty_label=_("— Tất cả —"),
                                  error_messages={"invalid_choice": _("Không có đơn vị này.")})
    received_from = forms.DateField(label=_("Tiếp nhận từ ngày"), required=False, input_formats=DATE_FORMATS,
                                    widget=forms.TextInput(attrs=DATE_ATTRS),
                                    error_messages={"invalid": _("Ngày phải có dạng dd/mm/yyyy.")})
    received_to = forms.DateField(label=_("đến ngày"), required=False, input_formats=DATE_FORMATS,
                                  widget=forms.TextInput(attrs=DATE_ATTRS),
                                  error_messages={"invalid": _("Ngày phải có dạng dd/mm/yyyy.")})
    flags = forms.MultipleChoiceField(label=_("Dấu hiệu"), required=False, choices=FLAGS,
                                      widget=forms.CheckboxSelectMultiple,
                                      error_messages={"invalid_choice": _("Không có dấu hiệu này.")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["procedure"].label_from_instance = lambda p: p.name
        self.fields["unit"].label_from_instance = lambda u: u.name

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("received_from"), cleaned.get("received_to")
        if start and end and start > end:
            self.add_error("received_to", _("Ngày kết thúc phải sau ngày bắt đầu."))
        return cleaned

    def filters(self):
        """The valid filters (after is_valid()), the empty ones left out."""
        return {name: self.cleaned_data.get(name) for name in FILTER_NAMES if self.cleaned_data.get(name)}
