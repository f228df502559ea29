"""Forms of the step page's actions (webui/views_step.py): request a supplementation (form 02), refuse (form 03),
explain a delay (form 04), record the measure taken on an escalation, add a scan. They parse input — lines into a
list, dd/mm/yyyy HH:MM into a datetime, rows into items — and the services decide what is valid; a service's error is
put at the field it names (`apply_service_error`)."""
import re
from datetime import datetime

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext, gettext_lazy as _

from engine.calendar import VN_TZ
from processes.services import attachments as attachment_services
from processes.services.statutory import MAX_ITEMS, SUPPLEMENT_KINDS

EMPTY_ROWS = 5  # rows of the supplementation list offered without JavaScript
DATETIME_FORMATS = ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %Hh%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M")
ROW_KEY = re.compile(r"^items-(\d{1,2})-(name|kind|quantity)$")
SERVICE_ITEM = re.compile(r"^items\[(\d+)\]\.(name|kind|quantity|note)$")


def sentence(message):
    """A service's message (lower case, no full stop) as a sentence at a field."""
    message = str(message).strip()
    if not message:
        return message
    message = message[0].upper() + message[1:]
    return message if message.endswith((".", "!", "?", ")")) else message + "."


def fmt_vn(value):
    return value.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M") if value else ""


class ActionForm(forms.Form):
    """Textareas and inputs with aria-invalid/aria-describedby on the fields that carry a message."""

    # service field -> form field; a name not here and not a field goes to the form's top
    service_fields = {}

    def field_for(self, service_field):
        name = self.service_fields.get(service_field or "", service_field or "")
        return name if name in self.fields else None

    def apply_service_error(self, exc):
        self.add_error(self.field_for(exc.field), sentence(exc.message))

    def mark_errors(self):
        first = True
        for name, field in self.fields.items():
            if name in self.errors:
                field.widget.attrs.update({"aria-invalid": "true", "aria-describedby": f"err-{self[name].auto_id}"})
                if first:
                    field.widget.attrs["autofocus"] = True
                    first = False

    def add_body_error(self, message):
        self.add_error(None, message)


def _textarea(rows=3, **attrs):
    return forms.Textarea(attrs={"rows": rows, **attrs})


# ---------------------------------------------------------------------------------------------------------------
# form 02: request a supplementation


class SupplementRow:
    def __init__(self, index, name="", kind="", quantity="1"):
        self.index = index
        self.name = name
        self.kind = kind or SUPPLEMENT_KINDS[0]
        self.quantity = quantity
        self.errors = {}

    @property
    def filled(self):
        return bool(self.name.strip())

    @property
    def has_errors(self):
        return bool(self.errors)


class SupplementForm(ActionForm):
    """The reason and the list of documents: rows items-N-name / items-N-kind / items-N-quantity (N < MAX_ITEMS);
    rows without a name are left out."""

    reason = forms.CharField(label=_("Lý do yêu cầu bổ sung, hoàn thiện"), required=False, widget=_textarea(3))
    kinds = SUPPLEMENT_KINDS
    service_fields = {"reason": "reason"}

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.items_error = None
        self.rows = []
        if data is not None:
            found = {}
            for key in data:
                bare = key.removeprefix(f"{self.prefix}-") if self.prefix else key
                match = ROW_KEY.match(bare)
                if match and int(match.group(1)) < MAX_ITEMS:
                    found.setdefault(int(match.group(1)), {})[match.group(2)] = str(data.get(key, ""))[:1000]
            self.rows = [SupplementRow(i, values.get("name", ""), values.get("kind", ""), values.get("quantity", "1"))
                         for i, values in sorted(found.items())]
        for i in range(len(self.rows), EMPTY_ROWS):
            self.rows.append(SupplementRow(max([r.index for r in self.rows], default=-1) + 1))
        self.filled = [row for row in self.rows if row.filled]

    def row_name(self, field):
        return f"{self.prefix}-items-__N__-{field}" if self.prefix else f"items-__N__-{field}"

    @property
    def next_index(self):
        return max(row.index for row in self.rows) + 1

    def items(self):
        """The filled rows as the service takes them; None when a quantity is not a whole number (said at the row)."""
        items, ok = [], True
        for row in self.filled:
            text = row.quantity.strip() or "1"
            if not re.fullmatch(r"\d{1,3}", text):
                row.errors["quantity"] = gettext("Số lượng là số nguyên từ 1 đến 99.")
                ok = False
                continue
            items.append({"name": row.name.strip(), "kind": row.kind, "quantity": int(text)})
        return items if ok else None

    def apply_service_error(self, exc):
        match = SERVICE_ITEM.match(exc.field or "")
        if match and int(match.group(1)) < len(self.filled):
            part = match.group(2) if match.group(2) != "note" else "name"
            self.filled[int(match.group(1))].errors[part] = sentence(exc.message)
        elif (exc.field or "").startswith("items"):
            self.items_error = sentence(exc.message)
        else:
            super().apply_service_error(exc)

    @property
    def has_errors(self):
        return bool(self.errors) or bool(self.items_error) or any(row.errors for row in self.rows)


# ---------------------------------------------------------------------------------------------------------------
# form 03: refuse


class RefuseForm(ActionForm):
    reasons = forms.CharField(label=_("Lý do từ chối"), required=False,
                              help_text=_("Mỗi lý do một dòng; lý do được ghi vào phiếu từ chối (mẫu 03) gửi công dân."),
                              widget=_textarea(4))

    def field_for(self, service_field):
        return "reasons" if (service_field or "").startswith("reasons") else None

    def reason_list(self):
        text = self.cleaned_data.get("reasons") or ""
        return [line.strip() for line in text.splitlines() if line.strip()]

    @property
    def has_errors(self):
        return bool(self.errors)


# ---------------------------------------------------------------------------------------------------------------
# form 04: explain a delay, apologise, propose a new appointment


class ExplainForm(ActionForm):
    reason = forms.CharField(label=_("Lý do chậm trễ"), required=False, widget=_textarea(4))
    new_appointment = forms.CharField(
        label=_("Ngày hẹn trả kết quả mới"), required=False, max_length=40,
        help_text=_("Dạng ngày/tháng/năm giờ:phút, ví dụ 07/01/2027 09:00; phải sau thời hạn giải quyết theo quy định."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "placeholder": "dd/mm/yyyy HH:MM"}))
    service_fields = {"reason": "reason", "new_appointment": "new_appointment"}

    def clean_new_appointment(self):
        text = " ".join((self.cleaned_data.get("new_appointment") or "").split())
        if not text:
            raise forms.ValidationError(gettext("Hãy nhập ngày hẹn mới, dạng ngày/tháng/năm giờ:phút."))
        for pattern in DATETIME_FORMATS:
            try:
                value = datetime.strptime(text, pattern)
            except ValueError:
                continue
            return value.replace(tzinfo=VN_TZ)
        raise forms.ValidationError(gettext("Ngày hẹn “%(text)s” không đúng dạng ngày/tháng/năm giờ:phút, ví dụ "
                                            "07/01/2027 09:00.") % {"text": text[:40]})

    @property
    def has_errors(self):
        return bool(self.errors)


# ---------------------------------------------------------------------------------------------------------------
# escalation: the measure taken


class EscalationForm(ActionForm):
    note = forms.CharField(label=_("Biện pháp đã xử lý"), required=False, widget=_textarea(4),
                           help_text=_("Ví dụ: đã làm việc với đơn vị chậm trễ, yêu cầu giải trình bằng văn bản, "
                                       "hẹn lại ngày trả kết quả với công dân."))
    service_fields = {"note": "note"}

    @property
    def has_errors(self):
        return bool(self.errors)


# ---------------------------------------------------------------------------------------------------------------
# a scan of the dossier


class AttachmentForm(ActionForm):
    """The file is read from request.FILES by the view (the browser's type and name are not trusted: the service
    sniffs the bytes); `document` names the paper it evidences."""

    document = forms.CharField(label=_("Giấy tờ mà tệp thể hiện"), required=False, max_length=300,
                               widget=forms.TextInput(attrs={"list": "attachment-documents", "autocomplete": "off"}))
    service_fields = {"document": "document", "file": "file"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.file_error = None

    def apply_service_error(self, exc):
        if exc.field in (None, "", "file", "scans"):
            self.file_error = sentence(exc.message)
        else:
            super().apply_service_error(exc)

    @property
    def has_errors(self):
        return bool(self.errors) or bool(self.file_error)

    @staticmethod
    def limit_text():
        """The size limit in words, e.g. "10,0 MB"."""
        return filesizeformat(attachment_services.max_bytes())
