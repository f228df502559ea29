"""Forms of the designer studio's pages (webui/views_studio.py): a new draft, and the two versions to compare."""
from django import forms
from django.utils.translation import gettext_lazy as _

SOURCES = [("latest", _("Phiên bản mới nhất")), ("template", _("Mẫu quy trình")), ("file", _("Tệp BPMN nhập vào"))]
MAX_UPLOAD = 2 * 1024 * 1024


class NewDraftForm(forms.Form):
    procedure = forms.ChoiceField(label=_("Thủ tục"), required=False)
    source = forms.ChoiceField(label=_("Bắt đầu từ"), choices=SOURCES, initial="latest", widget=forms.RadioSelect)
    template = forms.ChoiceField(label=_("Mẫu"), required=False)
    bpmn = forms.FileField(label=_("Tệp BPMN"), required=False,
                           help_text=_("Tệp .bpmn (tối đa 2 MB) từ MotCua, Camunda Modeler, Signavio…"))

    def __init__(self, *args, procedures=(), templates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["procedure"].choices = [("", _("— theo mã thủ tục trong tệp —"))] + [
            (p.code, f"{p.name} ({p.code})") for p in procedures]
        self.fields["template"].choices = [(t["name"], t["title"]) for t in templates]

    def clean(self):
        data = super().clean()
        source = data.get("source")
        if source == "file":
            upload = data.get("bpmn")
            if not upload:
                self.add_error("bpmn", _("Hãy chọn tệp BPMN."))
            elif upload.size > MAX_UPLOAD:
                self.add_error("bpmn", _("Tệp lớn hơn 2 MB."))
        elif not data.get("procedure"):
            self.add_error("procedure", _("Hãy chọn thủ tục."))
        if source == "template" and not data.get("template"):
            self.add_error("template", _("Hãy chọn mẫu."))
        return data


LEVELS = [("commune", _("Xã")), ("district", _("Huyện")), ("province", _("Tỉnh"))]
LIMIT_UNITS = [("working_days", _("ngày làm việc")), ("calendar_days", _("ngày (lịch)")), ("same_day", _("trong ngày"))]
NEW_SOURCES = [("template", _("Mẫu quy trình")), ("file", _("Tệp BPMN nhập vào"))]


class NewProcedureForm(forms.Form):
    """A new procedure in the catalogue with its first draft (inactive until that draft deploys). The service checks
    every field again (processes.services.studio.create_draft); its message comes back at the field it names."""

    code = forms.SlugField(label=_("Mã thủ tục"), max_length=60, help_text=_("vd. cap-ban-sao-trich-luc"))
    name = forms.CharField(label=_("Tên thủ tục"), max_length=400)
    field = forms.ChoiceField(label=_("Lĩnh vực"))
    level = forms.ChoiceField(label=_("Cấp thực hiện"), choices=LEVELS, initial="commune")
    statutory_limit = forms.DecimalField(label=_("Thời hạn giải quyết"), min_value=0, max_value=3660,
                                         decimal_places=2, initial=3)
    statutory_unit = forms.ChoiceField(label=_("Tính theo"), choices=LIMIT_UNITS, initial="working_days")
    fee = forms.IntegerField(label=_("Phí, lệ phí (đồng)"), min_value=0, initial=0)
    new_source = forms.ChoiceField(label=_("Bắt đầu từ"), choices=NEW_SOURCES, initial="template",
                                   widget=forms.RadioSelect)
    new_template = forms.ChoiceField(label=_("Mẫu"), required=False)
    new_bpmn = forms.FileField(label=_("Tệp BPMN"), required=False)

    def __init__(self, *args, fields=(), templates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = [(f.code, f.name) for f in fields]
        self.fields["new_template"].choices = [(t["name"], t["title"]) for t in templates]

    def clean(self):
        data = super().clean()
        if data.get("new_source") == "file":
            upload = data.get("new_bpmn")
            if not upload:
                self.add_error("new_bpmn", _("Hãy chọn tệp BPMN."))
            elif upload.size > MAX_UPLOAD:
                self.add_error("new_bpmn", _("Tệp lớn hơn 2 MB."))
        elif not data.get("new_template"):
            self.add_error("new_template", _("Hãy chọn mẫu."))
        return data

    def procedure(self):
        data = self.cleaned_data
        return {"code": data["code"], "name": data["name"], "field": data["field"], "level": data["level"],
                "statutory_limit": str(data["statutory_limit"]), "statutory_unit": data["statutory_unit"],
                "fee": data["fee"]}


class MigrationForm(forms.Form):
    """Which open dossiers move from one version to another: all of the source version's, or the codes listed."""

    from_version = forms.TypedChoiceField(label=_("Từ phiên bản"), coerce=int)
    to_version = forms.TypedChoiceField(label=_("Sang phiên bản"), coerce=int)
    dossiers = forms.CharField(
        label=_("Chỉ các hồ sơ"), required=False, max_length=60000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Mã hồ sơ, cách nhau bởi dấu phẩy hoặc xuống dòng; để trống: mọi hồ sơ đang xử lý của phiên bản nguồn."))

    def __init__(self, *args, numbers=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(n, f"v{n}") for n in numbers]
        self.fields["from_version"].choices = choices
        self.fields["to_version"].choices = choices

    def clean_dossiers(self):
        codes = [c for c in (part.strip() for part in self.cleaned_data["dossiers"].replace(",", "\n").split())
                 if c]
        return codes or None

    def clean(self):
        data = super().clean()
        if data.get("from_version") and data.get("from_version") == data.get("to_version"):
            self.add_error("to_version", _("Phiên bản đích phải khác phiên bản nguồn."))
        return data
