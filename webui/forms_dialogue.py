"""Forms of the dialogue-meeting pages (webui/views_dialogue.py). They parse input; processes.services.dialogue decides
what is valid, and its message is shown at the field it names (DeskForm.show_service_error)."""
from django import forms
from django.utils.translation import gettext_lazy as _

from .forms_reception import DeskForm
from .templatetags.webui import field_name, unit_name


def _textarea(rows):
    return forms.Textarea(attrs={"rows": rows})


def _date_input():
    return forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "placeholder": "dd/mm/yyyy",
                                  "class": "date-input"})


class MeetingForm(DeskForm):
    """A dialogue meeting: the unit holding it (one the official may record for), the date, where, who chaired it,
    how many citizens attended, what was said."""

    service_fields = {"unit": "unit", "held_on": "held_on", "commune": "commune", "place": "place",
                      "leaders": "leaders", "attendees": "attendees", "summary": "summary"}

    unit = forms.ChoiceField(label=_("Đơn vị tổ chức"), required=False)
    held_on = forms.CharField(label=_("Ngày tổ chức"), required=False, max_length=20, widget=_date_input(),
                              help_text=_("Dạng ngày/tháng/năm, ví dụ 01/12/2026."))
    commune = forms.ChoiceField(label=_("Xã, phường nơi tổ chức"), required=False,
                                help_text=_("Để trống khi hội nghị tổ chức tại trụ sở đơn vị."))
    place = forms.CharField(label=_("Địa điểm"), required=False, max_length=300,
                            widget=forms.TextInput(attrs={"placeholder": _("Ví dụ: Hội trường UBND xã")}))
    leaders = forms.CharField(label=_("Lãnh đạo chủ trì, tham dự"), required=False, max_length=1000,
                              widget=_textarea(2))
    attendees = forms.CharField(label=_("Số người dân tham dự"), required=False, max_length=7,
                                widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    summary = forms.CharField(label=_("Nội dung chính"), required=False, max_length=4000, widget=_textarea(3))

    def __init__(self, *args, units=(), communes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.code, unit_name(u)) for u in units]
        self.fields["commune"].choices = [("", "—")] + [(c.code, unit_name(c)) for c in communes]

    def values(self):
        data = self.cleaned_data
        return {"unit_code": data.get("unit") or "", "held_on": data.get("held_on") or "",
                "commune_code": data.get("commune") or None, "place": data.get("place") or "",
                "leaders": data.get("leaders") or "", "attendees": (data.get("attendees") or "").strip(),
                "summary": data.get("summary") or ""}


class OpinionForm(DeskForm):
    """An opinion raised at the meeting: its content, field, the unit that answers it, the deadline (working days, or
    a date), and optionally who raised it (never published)."""

    DEADLINES = (("days", _("Tính theo số ngày làm việc")), ("date", _("Theo ngày hết hạn")))
    service_fields = {"content": "content", "field": "field", "assigned_unit": "assigned_unit",
                      "response_days": "response_days", "due_on": "due_on", "citizen_name": "citizen_name",
                      "citizen_phone": "citizen_phone", "meeting": None}

    content = forms.CharField(label=_("Nội dung ý kiến"), required=False, max_length=4000, widget=_textarea(4))
    field = forms.ChoiceField(label=_("Lĩnh vực"), required=False)
    assigned_unit = forms.ChoiceField(label=_("Đơn vị được giao trả lời"), required=False)
    deadline = forms.ChoiceField(label=_("Thời hạn trả lời"), choices=DEADLINES, initial="days",
                                 widget=forms.RadioSelect, required=False)
    response_days = forms.CharField(label=_("Số ngày làm việc"), required=False, max_length=6, initial="15",
                                    widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off",
                                                                  "class": "date-input"}),
                                    help_text=_("Tính từ lúc ghi nhận ý kiến, như thời hạn giải quyết hồ sơ."))
    due_on = forms.CharField(label=_("Ngày hết hạn"), required=False, max_length=20, widget=_date_input(),
                             help_text=_("Hết giờ làm việc của ngày này; phải là ngày làm việc."))
    citizen_name = forms.CharField(label=_("Họ tên người nêu ý kiến"), required=False, max_length=200,
                                   widget=forms.TextInput(attrs={"autocomplete": "off"}))
    citizen_phone = forms.CharField(label=_("Điện thoại"), required=False, max_length=20,
                                    widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))

    def __init__(self, *args, fields=(), units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = [("", _("— Chọn lĩnh vực —"))] + [(f.code, field_name(f)) for f in fields]
        self.fields["assigned_unit"].choices = ([("", _("— Chọn đơn vị —"))]
                                                + [(u.code, unit_name(u)) for u in units])

    def values(self):
        data = self.cleaned_data
        by_date = data.get("deadline") == "date"
        return {"content": data.get("content") or "", "field_code": data.get("field") or "",
                "assigned_unit_code": data.get("assigned_unit") or "",
                "response_days": None if by_date else (data.get("response_days") or "").strip() or None,
                "due_on": (data.get("due_on") or "").strip() if by_date else None,
                "citizen_name": data.get("citizen_name") or "", "citizen_phone": data.get("citizen_phone") or ""}


class PublicFilterForm(forms.Form):
    """The public page's filters: field and unit (only those with published answers)."""

    linh_vuc = forms.ChoiceField(label=_("Lĩnh vực"), required=False)
    don_vi = forms.ChoiceField(label=_("Đơn vị"), required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)

    def __init__(self, *args, fields=(), units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["linh_vuc"].choices = [("", _("Tất cả lĩnh vực"))] + [(f.code, field_name(f)) for f in fields]
        self.fields["don_vi"].choices = [("", _("Tất cả đơn vị"))] + [(u.code, unit_name(u)) for u in units]
