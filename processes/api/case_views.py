"""Complaints, denunciations and petitions over REST (issue 9): a leader of the receiving unit extends the running
phase of a case's clock by a recorded decision (processes.services.case_clock.extend_clock). Thin: parse, check
visibility (404 for a dossier the caller cannot see), call the service, serialize. The service's errors keep their
status: 400 bad input or an administrative dossier, 403 not a leader, 409 no extension left or the case closed."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors
from ..models import DossierStatus
from ..services import case_clock
from ..services.errors import NotFound
from ..services.statutory import MAX_TEXT
from .serializers import CaseDecisionSerializer
from .views import actor_of


class ExtendSerializer(serializers.Serializer):
    # blank is the service's to refuse, with its message at the field
    number = serializers.CharField(max_length=60, allow_blank=True, help_text="số quyết định gia hạn")
    reason = serializers.CharField(max_length=MAX_TEXT, allow_blank=True, help_text="lý do gia hạn")


class ExtensionsSerializer(serializers.Serializer):
    used = serializers.IntegerField(help_text="số lần đã gia hạn giai đoạn đang chạy")
    allowed = serializers.IntegerField(help_text="số lần được gia hạn theo tính chất vụ việc")
    days = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True, help_text="số ngày mỗi lần")


class ExtendAnswerSerializer(serializers.Serializer):
    code = serializers.CharField()
    status = serializers.ChoiceField(choices=DossierStatus.choices)
    clock_phase = serializers.CharField()
    clock_phase_label = serializers.CharField()
    due_at = serializers.DateTimeField(help_text="hạn mới của giai đoạn")
    decision = CaseDecisionSerializer()
    extensions = ExtensionsSerializer()


class ExtendView(APIView):
    @extend_schema(request=ExtendSerializer, responses={200: ExtendAnswerSerializer},
                   summary="Gia hạn giải quyết đơn khiếu nại, tố cáo bằng quyết định của lãnh đạo đơn vị tiếp nhận")
    def post(self, request, code):
        dossier = selectors.get_visible_dossier(request.user, code)
        if dossier is None:
            raise NotFound("không có hồ sơ này", field="code")
        payload = ExtendSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        decision = case_clock.extend_clock(dossier.code, actor_of(request), **payload.validated_data)
        dossier.refresh_from_db()
        days, allowed, used = case_clock.extensions_allowed(dossier)
        return Response(ExtendAnswerSerializer({
            "code": dossier.code, "status": dossier.status, "clock_phase": dossier.clock_phase,
            "clock_phase_label": case_clock.phase_label(dossier.procedure, dossier.clock_phase),
            "due_at": dossier.due_at, "decision": decision,
            "extensions": {"used": used, "allowed": allowed, "days": days},
        }).data)
