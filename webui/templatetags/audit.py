"""The auditors' nav link: shown to auditors only (webui/views_audit.py)."""
from django import template

from processes.selectors import is_auditor as _is_auditor

register = template.Library()


@register.filter
def is_auditor(request):
    """The signed-in official is an auditor (one query per request, cached on it)."""
    if not hasattr(request, "_webui_is_auditor"):
        user = getattr(request, "user", None)
        request._webui_is_auditor = bool(user and user.is_authenticated and _is_auditor(user))
    return request._webui_is_auditor
