"""The dialogue-meeting pages' link in the navigation, and their labels."""
from django import template
from django.utils.translation import gettext_lazy as _

from ..auth import all_roles

register = template.Library()

# Who works with dialogue meetings: the desks and leaders who record them and whose units answer, and auditors.
ROLES = {"reception", "unit_leader", "signing_leader", "auditor"}

STATES = {
    "open": _("Chờ trả lời"),
    "answered": _("Đã trả lời, chờ công khai"),
    "published": _("Đã công khai"),
    "closed": _("Dừng xử lý"),
}


@register.filter
def sees_dialogue(request):
    return bool(all_roles(request) & ROLES)


@register.filter
def opinion_state(state):
    return STATES.get(state, state)


@register.filter
def vndate(value):
    """dd/mm/yyyy of a date, or of a datetime in Vietnam time."""
    if not value:
        return "—"
    if hasattr(value, "astimezone") and hasattr(value, "hour"):
        from engine.calendar import VN_TZ

        value = value.astimezone(VN_TZ)
    return value.strftime("%d/%m/%Y")
