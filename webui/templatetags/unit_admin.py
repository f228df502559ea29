"""Template helpers of the unit administration pages (webui/views_admin.py): whether the header shows the admin link,
one line about an administration event, and the absent official a substitute signed for ("ký thay")."""
from django import template
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from .. import labels
from ..auth import current_unit, roles_in

register = template.Library()


@register.filter
def is_unit_admin_here(request):
    """The signed-in official holds unit_admin at their current unit (or at the unit their current department
    serves)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    unit = current_unit(request)
    if unit is None:
        return False
    if "unit_admin" in roles_in(request, unit):
        return True
    return unit.kind == "department" and unit.parent_id is not None and "unit_admin" in roles_in(request, unit.parent)


def _day(text):
    if not text or len(text) != 10:
        return text or ""
    return f"{text[8:10]}/{text[5:7]}/{text[0:4]}"


@register.simple_tag
def admin_event_details(event):
    after, before = event.data_after or {}, event.data_before or {}
    kind = event.kind
    if kind in ("role_granted", "role_revoked"):
        data = after if kind == "role_granted" else before
        return f"{data.get('username', '')} · {labels.role(data.get('role', ''))} · {data.get('unit', '')}"
    if kind == "official_added":
        return f"{after.get('full_name', '')} ({after.get('username', '')}) · {labels.role(after.get('role', ''))}"
    if kind in ("official_deactivated", "password_link_issued"):
        return " · ".join(p for p in (after.get("username", ""), after.get("reason", "")) if p)
    if kind == "substitute_appointed":
        return _("%(sub)s thay %(absent)s · %(role)s · %(start)s–%(end)s") % {
            "sub": after.get("substitute", ""), "absent": after.get("absent", ""),
            "role": labels.role(after.get("role", "")), "start": _day(after.get("starts_on")),
            "end": _day(after.get("ends_on"))}
    if kind == "substitute_revoked":
        return _("%(sub)s thay %(absent)s") % {"sub": before.get("substitute", ""), "absent": before.get("absent", "")}
    if kind == "office_hours_changed":
        periods = after.get("office_hours") or []
        return ", ".join(f"{s}–{e}" for s, e in periods) or str(_("giờ chung"))
    if kind == "calendar_override_set":
        what = _("ngày làm việc") if after.get("is_working_day") else _("ngày nghỉ")
        return " · ".join(str(p) for p in (_day(after.get("date")), what, after.get("reason", "")) if p)
    if kind == "calendar_override_cleared":
        return _day(before.get("date"))
    return ""


@register.simple_tag
def acting_for_name(event):
    """The full name of the absent official a substitute completed (signed) a step for, from the event's data;
    "" for every other event."""
    if event.kind != "step_completed" or not isinstance(event.data_after, dict):
        return ""
    username = event.data_after.get("acting_for")
    if not username:
        return ""
    user = get_user_model().objects.filter(username=username).first()
    return (user.get_full_name() or user.username) if user else username
