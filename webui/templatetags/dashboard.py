"""The statistics nav link: shown to leaders and auditors (webui/views_dashboard.py)."""
from django import template

from processes.statistics import LEADER_ROLES

from ..auth import all_roles

register = template.Library()


@register.filter
def sees_statistics(request):
    """The signed-in official may read the statistics: an auditor, or a leader (held or stood in for today) — the
    same rule as processes.statistics.statistics_units, from the request's cached roles."""
    roles = all_roles(request)
    return "auditor" in roles or bool(roles & set(LEADER_ROLES))
