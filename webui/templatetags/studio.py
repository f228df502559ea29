"""Template helper of the designer studio (webui/views_studio.py): whether the header shows the studio link."""
from django import template

from ..auth import all_roles

register = template.Library()


@register.filter
def is_process_designer(request):
    """The signed-in official holds role process_designer (in any unit)."""
    return "process_designer" in all_roles(request)
