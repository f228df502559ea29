"""Formatting for the officials' pages: dates as dd/mm/yyyy HH:MM in Asia/Ho_Chi_Minh, labels, badges."""
from django import template
from django.utils import numberformat
from django.utils.formats import get_format
from django.utils.translation import get_language, gettext as _

from engine.calendar import VN_TZ

from .. import labels

register = template.Library()


@register.filter
def vndt(value):
    """dd/mm/yyyy HH:MM, Vietnam time."""
    if not value:
        return "—"
    return value.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")


@register.filter
def num(value):
    """A count with the language's thousands separator, grouped by three: 66.800 in Vietnamese, 66,800 in English
    (Django's Vietnamese format does not group by itself)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return value
    return numberformat.format(value, get_format("DECIMAL_SEPARATOR"), grouping=3,
                               thousand_sep=get_format("THOUSAND_SEPARATOR"), force_grouping=True)


@register.filter
def vndt_iso(value):
    return value.astimezone(VN_TZ).isoformat(timespec="minutes") if value else ""


@register.filter
def role_label(code):
    return labels.role(code)


@register.filter
def status_label(code):
    return labels.DOSSIER_STATUSES.get(code, code)


@register.filter
def step_status_label(code):
    return labels.STEP_STATUSES.get(code, code)


@register.filter
def step_result_label(code):
    return labels.STEP_RESULTS.get(code, code)


@register.filter
def channel_label(code):
    return labels.CHANNELS.get(code, code)


@register.filter
def event_label(kind):
    return labels.event(kind)


@register.filter
def item_kind_label(kind):
    return labels.ITEM_KINDS.get(kind, "")


@register.filter
def field_label(name):
    return labels.field(name)


@register.filter
def unit_name(unit):
    if unit is None:
        return ""
    if get_language() == "en" and unit.name_en:
        return unit.name_en
    return unit.name


@register.filter
def procedure_name(procedure):
    if get_language() == "en" and procedure.name_en:
        return procedure.name_en
    return procedure.name


@register.filter
def field_name(field):
    if get_language() == "en" and field.name_en:
        return field.name_en
    return field.name


@register.filter
def person(user):
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


@register.simple_tag
def badges(item, now, horizon):
    """[(css class, text)] for a step of the inbox: on time / due soon / overdue, re-appointed, late without
    explanation."""
    due = getattr(item, "effective_due", None) or item.due_at or item.dossier.due_at
    found = []
    if due is not None and due < now:
        found.append(("overdue", _("Quá hạn")))
    elif due is not None and due <= horizon:
        found.append(("due-soon", _("Sắp đến hạn")))
    else:
        found.append(("on-time", _("Trong hạn")))
    if item.dossier.reappointments:
        found.append(("reappointed", _("Hẹn lại %(n)d lần") % {"n": item.dossier.reappointments}))
    if "late_without_explanation" in (item.dossier.flags or []):
        found.append(("unexplained", _("Trễ hạn chưa giải trình")))
    return found


def _value(value):
    if value is True:
        return str(labels.YES)
    if value is False:
        return str(labels.NO)
    return str(value)


@register.simple_tag
def event_details(event, step_names=None):
    """One line about what an event changed, from its data (never personal data: events hold none). step_names maps
    BPMN ids to the steps' names."""
    step_names = step_names or {}
    after = event.data_after or {}
    before = event.data_before or {}
    kind = event.kind
    if kind == "received":
        return _("Hạn giải quyết %(due)s") % {"due": _iso_local(after.get("due_at"))}
    if kind == "step_assigned":
        parts = [after.get("name") or after.get("step") or "", labels.role(after.get("role", ""))]
        if after.get("due_at"):
            parts.append(_("hạn %(due)s") % {"due": _iso_local(after["due_at"])})
        return " · ".join(str(p) for p in parts if p)
    if kind in ("claimed", "reassigned"):
        return after.get("claimed_by") or ""
    if kind == "unclaimed":
        return before.get("claimed_by") or ""
    if kind == "work_moved":  # a unit admin or leader moved a departing official's step (services/units.py)
        return f"{before.get('claimed_by') or ''} → {after.get('claimed_by') or _('chưa ai nhận')}"
    if kind == "step_completed":
        answers = ", ".join(f"{labels.field(k)} {_value(v)}" for k, v in (after.get("input") or {}).items())
        result = labels.STEP_RESULTS.get(after.get("result", ""), "")
        step = after.get("step", "")
        return " · ".join(str(p) for p in (step_names.get(step, step), answers, result) if p)
    if kind == "legal_extension_applied":
        return _("+%(days)s ngày làm việc, hạn mới %(due)s") % {"days": after.get("days", ""),
                                                                 "due": _iso_local(after.get("due_at"))}
    if kind == "processed":
        return after.get("outcome", "")
    if kind == "returned":
        parts = [after.get("collected_by", "")]
        if after.get("representative"):
            parts.append(str(_("người được ủy quyền")))
        if after.get("early"):
            parts.append(str(_("trả sớm trước hẹn")))
        return " · ".join(p for p in parts if p)
    if kind in ("fee_recorded", "fee_paid"):
        amount = after.get("amount", "")
        if amount:
            try:
                amount = f"{int(amount):,}".replace(",", ".") + " đ"
            except (TypeError, ValueError):
                pass
        parts = [amount, after.get("description", ""), after.get("receipt_number", "")]
        if kind == "fee_recorded" and after.get("fee_status") == "waiting":
            parts.append(str(_("chờ nộp")))
        return " · ".join(str(p) for p in parts if p)
    if kind == "supplement_requested":
        return "; ".join(str(i.get("name", "")) for i in after.get("items") or [] if isinstance(i, dict))
    if kind == "refused":
        return "; ".join(str(r) for r in after.get("reasons") or [])
    if kind == "explanation_filed":
        return _("hẹn mới %(when)s") % {"when": _iso_local(after.get("appointment_at"))}
    if kind == "escalation_resolved":
        return str(after.get("note", ""))[:300]
    if kind == "clock_phase_started":  # a case's phase (processes/services/case_clock.py)
        from processes.services.case_clock import PHASE_NAMES

        phase = after.get("phase", "")
        return _("%(phase)s, hạn %(due)s") % {"phase": PHASE_NAMES.get(phase, phase),
                                               "due": _iso_local(after.get("due_at"))}
    if kind == "clock_extended":
        return _("Quyết định %(number)s: thêm %(days)s ngày, hạn mới %(due)s") % {
            "number": after.get("number", ""), "days": str(after.get("days", "")).removesuffix(".00"),
            "due": _iso_local(after.get("due_at"))}
    if kind == "attachment_added":
        return " · ".join(str(p) for p in (after.get("name", ""), after.get("document", "")) if p)
    return ""


def _iso_local(text):
    from datetime import datetime

    if not text:
        return "—"
    try:
        return vndt(datetime.fromisoformat(text))
    except (TypeError, ValueError):
        return str(text)
