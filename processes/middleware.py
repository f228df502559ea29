"""Auditors change nothing (issue 6), enforced in one place for the pages and the API alike: a request that could
change state (any method but GET, HEAD, OPTIONS, TRACE) from an official whose only role is auditor is refused with
403 before any view runs, so no view's own checks (or their order: input validated before permission) matter.
Allowed: their own session and identity — signing in and out, the language, which of their units the pages show,
their API token, marking their own notification read, setting their password from an emailed link."""
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.utils.translation import gettext as _
from rest_framework.authentication import get_authorization_header
from rest_framework.authtoken.models import Token

from .models import Membership, Role

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
ALLOWED_URL_NAMES = {"login", "logout", "set_language", "switch-unit", "api-token", "notification-read",
                     "admin-set-password"}


def _api_user(request):
    """The user of a token-authenticated API request (DRF authenticates inside the view, after this middleware)."""
    auth = get_authorization_header(request).split()
    if len(auth) != 2 or auth[0].lower() != b"token":
        return None
    token = Token.objects.select_related("user").filter(key=auth[1].decode("latin-1")).first()
    return token.user if token is not None and token.user.is_active else None


def auditor_only(user):
    """An auditor and nothing else (an official who is also, say, a specialist acts in that role)."""
    if user is None or not user.is_authenticated or user.is_superuser:
        return False
    roles = set(Membership.objects.filter(user=user).values_list("role", flat=True))
    return roles == {Role.AUDITOR}


class AuditorsChangeNothingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method in SAFE_METHODS:
            return None
        match = request.resolver_match
        if match is not None and match.url_name in ALLOWED_URL_NAMES:
            return None
        user = request.user if request.user.is_authenticated else _api_user(request)
        if not auditor_only(user):
            return None
        message = _("Thanh tra, giám sát chỉ xem, không thay đổi dữ liệu.")
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": message, "code": "permission_denied"}, status=403)
        raise PermissionDenied(message)
