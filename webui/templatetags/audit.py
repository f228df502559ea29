"""The auditors' nav link: shown to auditors only (webui/views_audit.py)."""
from django import template

from ..auth import all_roles

register = template.Library()


@register.filter
def is_auditor(request):
    """The signed-in official is an auditor (from the request's cached roles)."""
    return "auditor" in all_roles(request)
