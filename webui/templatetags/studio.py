"""Template helper of the designer studio (webui/views_studio.py): whether the header shows the studio link."""
from django import template

from processes.models import Membership, Role

register = template.Library()


@register.filter
def is_process_designer(request):
    """The signed-in official holds role process_designer (in any unit)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    if not hasattr(request, "_webui_is_designer"):
        request._webui_is_designer = Membership.objects.filter(user=user, role=Role.PROCESS_DESIGNER).exists()
    return request._webui_is_designer
