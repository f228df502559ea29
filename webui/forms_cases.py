"""The form of a case's extension decision on the step page (webui/views_cases.py). It parses; the service
(processes.services.case_clock.extend_clock) decides, and its message goes to the field it names."""
from django import forms
from django.utils.translation import gettext_lazy as _

from .forms_step import ActionForm


class ExtendForm(ActionForm):
    number = forms.CharField(label=_("Số quyết định gia hạn"), required=False, max_length=200,
                             widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "12/QĐ-UBND"}))
    reason = forms.CharField(label=_("Lý do gia hạn"), required=False, max_length=8000,
                             widget=forms.Textarea(attrs={"rows": 3}))
    service_fields = {"number": "number", "reason": "reason"}

    @property
    def has_errors(self):
        return bool(self.is_bound and self.errors)
