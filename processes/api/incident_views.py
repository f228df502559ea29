"""Incidents for administrators: the list with the error, retry, resolve with a reason."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ..models import Incident, Membership, Role
from ..services import incidents as incident_services
from .views import actor_of


class IncidentSerializer(serializers.ModelSerializer):
    dossier = serializers.CharField(source="dossier.code", read_only=True, allow_null=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    resolved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    timer_kind = serializers.CharField(source="timer.kind", read_only=True, allow_null=True)

    class Meta:
        model = Incident
        fields = ["id", "kind", "kind_label", "dossier", "timer", "timer_kind", "error", "created_at", "resolved_at",
                  "resolved_by", "resolution", "resolution_reason"]


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class IncidentViewSet(viewsets.ReadOnlyModelViewSet):
    """Incidents: a timer that exhausted its attempts, an engine step that failed, a dossier stuck with no work."""

    serializer_class = IncidentSerializer
    filterset_fields = ["kind"]
    lookup_value_regex = r"\d{1,18}"

    def get_queryset(self):
        user = self.request.user
        qs = Incident.objects.select_related("dossier", "timer", "resolved_by")
        if getattr(self, "swagger_fake_view", False):
            return qs.none()
        allowed = user.is_superuser or Membership.objects.filter(
            user=user, role__in=[Role.UNIT_ADMIN, Role.AUDITOR]).exists()
        if not allowed:
            return qs.none()
        if self.request.query_params.get("open") in ("1", "true"):
            qs = qs.filter(resolved_at__isnull=True)
        return qs

    @extend_schema(request=ReasonSerializer, responses={200: IncidentSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        incident = self.get_object()
        payload = ReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        incident_services.retry_incident(incident_id=incident.pk, actor=actor_of(request), **payload.validated_data)
        return Response(IncidentSerializer(Incident.objects.get(pk=incident.pk)).data)

    @extend_schema(request=ReasonSerializer, responses={200: IncidentSerializer})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        incident = self.get_object()
        payload = ReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        incident_services.resolve_incident(incident_id=incident.pk, actor=actor_of(request), **payload.validated_data)
        return Response(IncidentSerializer(Incident.objects.get(pk=incident.pk)).data)
