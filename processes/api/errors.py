"""Every error leaves as JSON with a 4xx status naming the field or BPMN element — never a traceback."""
import logging

from django.http import Http404
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ..services.errors import ServiceError

log = logging.getLogger(__name__)


def exception_handler(exc, context):
    if isinstance(exc, ServiceError):
        return Response(exc.as_dict(), status=exc.status_code)
    if isinstance(exc, Http404):
        return Response({"detail": "Không tìm thấy.", "code": "not_found"}, status=status.HTTP_404_NOT_FOUND)
    response = drf_exception_handler(exc, context)
    if response is not None:
        data = response.data
        if isinstance(data, dict) and "detail" not in data:
            # Serializer errors: name the first field in the top-level body, keep them all under "errors".
            field = next(iter(data), None)
            first = data.get(field)
            message = first[0] if isinstance(first, list) and first else first
            response.data = {"detail": f"{field}: {message}", "field": field, "code": "invalid", "errors": data}
        return response
    return None
