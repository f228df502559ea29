"""The statistics nav link: shown to leaders and auditors (webui/views_dashboard.py)."""
from django import template

from processes.statistics import statistics_units

register = template.Library()


@register.filter
def sees_statistics(request):
    """The signed-in official may read the statistics (a few queries per request, cached on it)."""
    if not hasattr(request, "_webui_sees_statistics"):
        user = getattr(request, "user", None)
        request._webui_sees_statistics = bool(user and user.is_authenticated
                                              and statistics_units(user, parents={}) != set())
    return request._webui_sees_statistics
