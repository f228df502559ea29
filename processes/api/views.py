"""Thin REST views: parse input, call one service or selector, serialize the answer."""
from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from engine import clock

from .. import privacy, selectors
from ..models import CaseDecision, Dossier, DossierStatus, Procedure, ProcessVersion, WorkItem
from ..services import dossiers as dossier_services
from ..services.errors import InvalidInput, NotFound
from ..services.events import Actor
from ..services.procedures import deploy_process_version
from . import serializers as s

MAX_BPMN_BYTES = 2 * 1024 * 1024


def actor_of(request):
    return Actor(user=request.user, client_address=request.META.get("REMOTE_ADDR"))


class ProcedureViewSet(viewsets.ReadOnlyModelViewSet):
    """The catalogue of administrative procedures."""

    serializer_class = s.ProcedureSerializer
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    queryset = Procedure.objects.filter(active=True).select_related("field").prefetch_related("versions")
    filterset_fields = ["level", "statutory_unit", "online_level"]


class ProcessVersionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Deployed versions of one procedure; POST a BPMN file to deploy the next version."""

    serializer_class = s.ProcessVersionSerializer
    parser_classes = [MultiPartParser, FormParser]
    pagination_class = None

    def get_procedure(self):
        procedure = Procedure.objects.filter(code=self.kwargs["procedure_code"]).first()
        if procedure is None:
            raise NotFound(f"không có thủ tục mã {self.kwargs['procedure_code']}", field="procedure")
        return procedure

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no URL kwargs
            return ProcessVersion.objects.none()
        return ProcessVersion.objects.filter(procedure=self.get_procedure()).select_related("procedure", "deployed_by")

    @extend_schema(request=s.DeployVersionSerializer, responses={201: s.ProcessVersionSerializer})
    def create(self, request, procedure_code=None):
        procedure = self.get_procedure()
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput("thiếu tệp BPMN (trường 'file')", field="file")
        if upload.size > MAX_BPMN_BYTES:
            raise InvalidInput("tệp BPMN vượt quá 2 MB", field="file")
        version = deploy_process_version(
            xml=upload.read(), filename=upload.name or "upload.bpmn", procedure_code=procedure.code,
            actor=actor_of(request),
        )
        return Response(s.ProcessVersionSerializer(version).data, status=status.HTTP_201_CREATED)


class BoundedIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """ISO date-times the database can compare: years 1990–2200, offsets within ±14 h (else a 400, not a 500)."""

    def clean(self, value):
        value = super().clean(value)
        if value is not None:
            offset = value.utcoffset()
            if not 1990 <= value.year <= 2200 or (offset is not None and abs(offset) > timedelta(hours=14)):
                raise forms.ValidationError("thời điểm ngoài khoảng cho phép")
        return value


class BoundedIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = BoundedIsoDateTimeField


class DossierFilter(django_filters.FilterSet):
    procedure = django_filters.CharFilter(field_name="procedure__code")
    receiving_unit = django_filters.CharFilter(field_name="receiving_unit__code")
    status = django_filters.ChoiceFilter(choices=DossierStatus.choices)
    received_after = BoundedIsoDateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = BoundedIsoDateTimeFilter(field_name="received_at", lookup_expr="lt")
    overdue = django_filters.BooleanFilter(method="filter_overdue", help_text="chưa xong và đã quá hạn")

    class Meta:
        model = Dossier
        fields = ["procedure", "receiving_unit", "status", "channel"]

    def filter_overdue(self, queryset, name, value):
        open_statuses = [DossierStatus.RECEIVED, DossierStatus.PROCESSING]
        late = queryset.filter(status__in=open_statuses, due_at__lt=clock.now())
        return late if value else queryset.exclude(pk__in=late.values("pk"))


class DossierViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Dossiers. POST receives a complete dossier (answering its code, appointment and status)."""

    serializer_class = s.DossierSerializer
    lookup_field = "code"
    lookup_value_regex = "[^/]+"  # agency codes contain dots
    filterset_class = DossierFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Dossier.objects.none()
        visible = selectors.dossiers_visible_to(self.request.user).select_related("applicant").prefetch_related(
            Prefetch("work_items", queryset=WorkItem.objects.select_related("unit", "claimed_by")),
            Prefetch("decisions", queryset=CaseDecision.objects.select_related("decided_by")),
        )
        # whether the caller may read each applicant (a denouncer's identity: processes.privacy), in the same query
        return privacy.with_visibility(visible, self.request.user)

    @extend_schema(request=s.ReceiveDossierSerializer, responses={201: s.DossierSerializer})
    def create(self, request):
        payload = s.ReceiveDossierSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        v = payload.validated_data
        dossier = dossier_services.receive_dossier(
            procedure_code=v["procedure"], unit_code=v["receiving_unit"], applicant=v["applicant"],
            channel=v["channel"], data=v.get("data") or {}, actor=actor_of(request),
        )
        dossier = self.get_queryset().get(pk=dossier.pk)
        return Response(s.DossierSerializer(dossier, context={"request": request}).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: s.EventSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def history(self, request, code=None):
        dossier = self.get_object()
        events = privacy.redact_events(selectors.dossier_history(dossier), dossier, request.user)
        return Response(s.EventSerializer(events, many=True).data)

    @extend_schema(request=s.ReturnSerializer, responses={200: s.DossierSerializer})
    @action(detail=True, methods=["post"], url_path="return")
    def return_result(self, request, code=None):
        dossier = self.get_object()
        payload = s.ReturnSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        dossier_services.return_result(code=dossier.code, actor=actor_of(request), **payload.validated_data)
        return Response(s.DossierSerializer(self.get_queryset().get(pk=dossier.pk), context={"request": request}).data)


class TaskViewSet(viewsets.ReadOnlyModelViewSet):
    """The caller's inbox: open steps of the caller's units and roles, and the ones the caller claimed."""

    serializer_class = s.TaskSerializer
    filterset_fields = ["role", "bpmn_id"]
    lookup_value_regex = r"\d{1,18}"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WorkItem.objects.none()
        return selectors.inbox_for(self.request.user)

    def _item_id(self, pk):
        """Acting on a step the caller cannot see answers 404, as for dossiers."""
        item = selectors.work_items_visible_to(self.request.user).filter(pk=pk).first()
        if item is None and not selectors.inbox_for(self.request.user).filter(pk=pk).exists():
            raise NotFound("không có bước xử lý này", field="task")
        return int(pk)

    def _answer(self, item_id):
        return Response(s.TaskSerializer(WorkItem.objects.select_related("dossier", "unit", "claimed_by").get(pk=item_id)).data)

    @extend_schema(request=None, responses={200: s.TaskSerializer})
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        item_id = self._item_id(pk)
        dossier_services.claim_work_item(item_id=item_id, actor=actor_of(request))
        return self._answer(item_id)

    @extend_schema(request=None, responses={200: s.TaskSerializer})
    @action(detail=True, methods=["post"])
    def unclaim(self, request, pk=None):
        item_id = self._item_id(pk)
        dossier_services.unclaim_work_item(item_id=item_id, actor=actor_of(request))
        return self._answer(item_id)

    @extend_schema(request=s.ReassignSerializer, responses={200: s.TaskSerializer})
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        item_id = self._item_id(pk)
        payload = s.ReassignSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        dossier_services.reassign_work_item(item_id=item_id, to_username=payload.validated_data["to"],
                                            actor=actor_of(request))
        return self._answer(item_id)

    @extend_schema(request=s.EscalationNoteSerializer, responses={200: s.TaskSerializer})
    @action(detail=True, methods=["post"], url_path="resolve-escalation")
    def resolve_escalation(self, request, pk=None):
        item_id = self._item_id(pk)
        payload = s.EscalationNoteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        dossier_services.resolve_escalation(item_id=item_id, actor=actor_of(request), note=payload.validated_data["note"])
        return self._answer(item_id)

    @extend_schema(request=s.CompleteTaskSerializer, responses={200: s.TaskSerializer})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        item_id = self._item_id(pk)
        payload = s.CompleteTaskSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        dossier_services.complete_work_item(item_id=item_id, actor=actor_of(request),
                                            data=payload.validated_data.get("data") or {})
        return self._answer(item_id)
