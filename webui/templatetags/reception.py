"""Template helpers of the one-stop desk's pages: whether the official works at the desk of their current unit (the
header's link), amounts in đồng, the desk's labels."""
from decimal import Decimal, InvalidOperation

from django import template
from django.utils.translation import gettext_lazy as _

from ..auth import current_unit, roles_in

register = template.Library()

FEE_STATUSES = {"paid": _("Đã nộp"), "waiting": _("Chờ nộp")}
NOTICE_OUTCOMES = {"incomplete": _("Yêu cầu bổ sung, hoàn thiện (mẫu 02)"),
                   "refused": _("Từ chối tiếp nhận (mẫu 03)")}


@register.filter
def is_desk(request):
    """True when the signed-in official holds the reception role in their current unit."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    unit = current_unit(request)
    return unit is not None and "reception" in roles_in(request, unit)


@register.filter
def dong(value):
    """15000 -> '15.000 đ' (Vietnamese thousands separator)."""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return value
    return f"{int(amount):,}".replace(",", ".") + " đ"


@register.filter
def fee_status_label(code):
    return FEE_STATUSES.get(code, code)


@register.filter
def notice_outcome_label(code):
    return NOTICE_OUTCOMES.get(code, code)
