"""Forms of the unit administration pages. They only shape the input; processes.services.units checks it and its
messages are shown at the field they name (DeskForm.show_service_error)."""
from django import forms
from django.utils.translation import gettext_lazy as _

from processes.models import Role
from processes.services import units as unit_services

from . import labels
from .forms_reception import DeskForm

DATE_ATTRS = {"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off", "maxlength": 10,
              "pattern": r"\d{1,2}/\d{1,2}/\d{4}", "class": "date-input"}
TIME_ATTRS = {"placeholder": "HH:MM", "inputmode": "numeric", "autocomplete": "off", "maxlength": 5,
              "pattern": r"\d{2}:\d{2}", "class": "time-input"}


def unit_choices(tree):
    from .templatetags.webui import unit_name

    return [(str(u.pk), unit_name(u)) for u in tree]


def grantable_role_choices():
    return [(role, labels.role(role)) for role in unit_services.GRANTABLE_ROLES]


class RoleChoiceField(forms.ChoiceField):
    """Offers the roles a unit admin grants; a posted provincial role gets through to the service, which says why it
    is refused."""

    def __init__(self, **kwargs):
        super().__init__(choices=[(r.value, r.label) for r in Role], **kwargs)
        self.widget.choices = [("", _("— Chọn vai trò —"))] + grantable_role_choices()


class AddOfficialForm(DeskForm):
    username = forms.CharField(label=_("Tên đăng nhập"), max_length=150,
                               help_text=_("Chữ thường không dấu, số, dấu chấm, gạch ngang, ví dụ vanthu.hiepduc"),
                               widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none",
                                                             "spellcheck": "false"}))
    full_name = forms.CharField(label=_("Họ và tên"), max_length=150)
    email = forms.CharField(label=_("Thư điện tử"), max_length=254, required=False,
                            widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    unit = forms.ChoiceField(label=_("Đơn vị, phòng ban"))
    role = RoleChoiceField(label=_("Vai trò"))

    def __init__(self, *args, tree, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = unit_choices(tree)
        self.tree = {str(u.pk): u for u in tree}

    def chosen_unit(self):
        return self.tree[self.cleaned_data["unit"]]


class GrantRoleForm(DeskForm):
    username = forms.CharField(label=_("Tên đăng nhập của cán bộ"), max_length=150,
                               widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none",
                                                             "spellcheck": "false"}))
    unit = forms.ChoiceField(label=_("Tại đơn vị, phòng ban"))
    role = RoleChoiceField(label=_("Vai trò"))

    def __init__(self, *args, tree, username=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = unit_choices(tree)
        self.tree = {str(u.pk): u for u in tree}
        if username is not None:  # on an official's page: the official is given
            self.fields["username"].widget = forms.HiddenInput()
            self.fields["username"].initial = username
            self.fields["username"].required = False

    def chosen_unit(self):
        return self.tree[self.cleaned_data["unit"]]


class DeactivateForm(DeskForm):
    reason = forms.CharField(label=_("Lý do khóa tài khoản"), max_length=300, required=False,
                             help_text=_("Ví dụ: nghỉ hưu, chuyển công tác (không bắt buộc)"))


class SubstituteForm(DeskForm):
    absent = forms.ChoiceField(label=_("Người vắng mặt và vai trò được thay"))
    substitute = forms.ChoiceField(label=_("Người thay"))
    starts_on = forms.CharField(label=_("Từ ngày"), max_length=10, widget=forms.TextInput(attrs=DATE_ATTRS))
    ends_on = forms.CharField(label=_("Đến hết ngày"), max_length=10, widget=forms.TextInput(attrs=DATE_ATTRS))
    reason = forms.CharField(label=_("Lý do"), max_length=300, required=False,
                             help_text=_("Ví dụ: đi công tác, nghỉ phép, đi học (không bắt buộc)"))

    service_fields = {"role": "absent", "unit": "absent"}

    def __init__(self, *args, absent_choices, substitute_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.memberships = {str(m.pk): m for m in absent_choices}
        self.fields["absent"].choices = [("", _("— Chọn —"))] + [
            (str(m.pk), f"{m.user.get_full_name() or m.user.username} · {labels.role(m.role)} · "
                        f"{_unit_label(m.unit)}") for m in absent_choices]
        self.fields["substitute"].choices = [("", _("— Chọn —"))] + [
            (u.username, f"{u.get_full_name() or u.username} ({u.username})") for u in substitute_choices]

    def chosen_membership(self):
        return self.memberships[self.cleaned_data["absent"]]


def _unit_label(unit):
    from .templatetags.webui import unit_name

    return unit_name(unit)


class MoveWorkForm(DeskForm):
    items = forms.MultipleChoiceField(label=_("Các bước"), required=False, widget=forms.CheckboxSelectMultiple)
    to = forms.ChoiceField(label=_("Chuyển cho"), required=False)
    reason = forms.CharField(label=_("Lý do"), max_length=300, required=False)

    service_fields = {"official": "items"}

    def __init__(self, *args, items, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = [(str(i.pk), str(i.pk)) for i in items]
        self.fields["to"].choices = [("", _("— Không giao ai: trả về “Chưa ai nhận” —"))] + [
            (u.username, f"{u.get_full_name() or u.username} ({u.username})") for u in targets]


PERIODS = 4


class OfficeHoursForm(DeskForm):
    use_default = forms.BooleanField(label=_("Theo giờ làm việc chung (của đơn vị cấp trên, hoặc 07:30–11:30, "
                                             "13:00–17:00)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(1, PERIODS + 1):
            self.fields[f"period_{n}_start"] = forms.CharField(label=_("Buổi %(n)d: từ") % {"n": n}, max_length=5,
                                                               required=False,
                                                               widget=forms.TextInput(attrs=TIME_ATTRS))
            self.fields[f"period_{n}_end"] = forms.CharField(label=_("đến"), max_length=5, required=False,
                                                             widget=forms.TextInput(attrs=TIME_ATTRS))

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        entered = any((cleaned.get(f"period_{n}_{part}") or "").strip() for n in range(1, PERIODS + 1)
                      for part in ("start", "end"))
        if cleaned.get("use_default") and entered:
            # never drop what was typed silently: the official says which one they mean
            self.add_error("use_default", _("Đã nhập giờ riêng: bỏ chọn “giờ làm việc chung” để lưu giờ riêng, hoặc "
                                            "xóa các giờ đã nhập."))
        elif not cleaned.get("use_default") and not entered:
            raise forms.ValidationError(_("Hãy nhập ít nhất một buổi làm việc, hoặc chọn theo giờ làm việc chung."))
        return cleaned

    @classmethod
    def initial_for(cls, periods):
        initial = {"use_default": not periods}
        for n, (start, end) in enumerate(periods or [], start=1):
            initial[f"period_{n}_start"], initial[f"period_{n}_end"] = start, end
        return initial

    def rows(self):
        return [(n, self[f"period_{n}_start"], self[f"period_{n}_end"], self.errors.get(f"period_{n}"))
                for n in range(1, PERIODS + 1)]

    def periods(self):
        """The filled-in rows as [[start, end], ...]; a row with one time only is kept (the service says what is
        missing)."""
        if self.cleaned_data.get("use_default"):
            return []
        found = []
        for n in range(1, PERIODS + 1):
            start = self.cleaned_data.get(f"period_{n}_start", "").strip()
            end = self.cleaned_data.get(f"period_{n}_end", "").strip()
            if start or end:
                found.append([start, end])
        return found

    def show_service_error(self, exc, mapping=None):
        name = exc.field or ""
        if name.startswith("period_"):
            # the message belongs to the row: shown once under it, both inputs marked
            self._errors.setdefault(name, self.error_class())
            self._errors[name].append(exc.message[:1].upper() + exc.message[1:])
            for suffix in ("start", "end"):
                self.fields[f"{name}_{suffix}"].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": f"err-{name}"})
            return name
        return super().show_service_error(exc)


class CalendarDayForm(DeskForm):
    date = forms.CharField(label=_("Ngày"), max_length=10, widget=forms.TextInput(attrs=DATE_ATTRS))
    kind = forms.ChoiceField(label=_("Điều chỉnh"), widget=forms.RadioSelect,
                             choices=[("off", _("Ngày nghỉ")), ("work", _("Ngày làm việc"))])
    reason = forms.CharField(label=_("Lý do (văn bản, quyết định)"), max_length=300)
