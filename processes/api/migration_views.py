"""POST /api/v1/procedures/<code>/migrations/: migrate running dossiers to another version (or a dry run).

Process designers only (403 otherwise, before the body is read); bad input is a 400 naming the field; an unknown
procedure or version a 404 naming it. The answer is the report of processes.services.migration.migrate_dossiers:
one entry per dossier (planned / migrated / refused with the reason / failed) and a summary."""
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from ..services import migration
from .views import actor_of


class DesignersOnly(permissions.BasePermission):
    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        migration.require_designer(actor_of(request))  # NotAllowed -> 403 with our error body
        return True


class MigrationRequestSerializer(serializers.Serializer):
    from_version = serializers.IntegerField(min_value=1, help_text="the version the dossiers are on")
    to_version = serializers.IntegerField(min_value=1, help_text="the version to move them to")
    dossiers = serializers.ListField(child=serializers.CharField(max_length=48), required=False,
                                     max_length=migration.MAX_DOSSIER_CODES,
                                     help_text="dossier codes; default: every open dossier of from_version")
    dry_run = serializers.BooleanField(default=False, help_text="list what would happen, change nothing")

    def validate(self, attrs):
        if attrs["from_version"] == attrs["to_version"]:
            raise serializers.ValidationError({"to_version": "phiên bản đích phải khác phiên bản nguồn"})
        return attrs


class StepRefSerializer(serializers.Serializer):
    task_id = serializers.CharField()
    bpmn_id = serializers.CharField()
    name = serializers.CharField(allow_null=True)
    state = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)


class PlanSerializer(serializers.Serializer):
    allowed = serializers.BooleanField()
    reason = serializers.CharField(allow_null=True)
    element_id = serializers.CharField(allow_null=True)
    source_process_id = serializers.CharField()
    target_process_id = serializers.CharField()
    added = serializers.ListField(child=serializers.CharField())
    removed = serializers.ListField(child=serializers.CharField())
    changed = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    reset = StepRefSerializer(many=True)
    dropped = serializers.ListField(child=serializers.CharField())
    ready_before = StepRefSerializer(many=True)
    ready_after = StepRefSerializer(many=True)
    timers_before = StepRefSerializer(many=True)
    timers_after = StepRefSerializer(many=True)
    completed_after = serializers.BooleanField()


class ClaimSerializer(serializers.Serializer):
    step = serializers.CharField()
    claimed_by = serializers.CharField()


class WorkItemPlanSerializer(serializers.Serializer):
    kept = serializers.ListField(child=serializers.CharField())
    cancelled = serializers.ListField(child=serializers.CharField())
    created = serializers.ListField(child=serializers.CharField())


class DossierMigrationSerializer(serializers.Serializer):
    dossier = serializers.CharField()
    status = serializers.ChoiceField(choices=["planned", "migrated", "refused", "failed"])
    reason = serializers.CharField(required=False, allow_null=True)
    element_id = serializers.CharField(required=False, allow_null=True)
    plan = PlanSerializer(required=False)
    work_items = WorkItemPlanSerializer(required=False)
    claims_kept = ClaimSerializer(many=True, required=False)
    claims_dropped = ClaimSerializer(many=True, required=False)
    due_at = serializers.CharField(required=False, help_text="the statutory due time, unchanged")
    timers = serializers.ListField(child=serializers.CharField(), required=False)
    event = serializers.IntegerField(required=False, help_text="the version_migrated event")


class MigrationSummarySerializer(serializers.Serializer):
    planned = serializers.IntegerField()
    migrated = serializers.IntegerField()
    refused = serializers.IntegerField()
    failed = serializers.IntegerField()


class MigrationReportSerializer(serializers.Serializer):
    procedure = serializers.CharField()
    from_version = serializers.IntegerField()
    to_version = serializers.IntegerField()
    dry_run = serializers.BooleanField()
    dossiers = DossierMigrationSerializer(many=True)
    summary = MigrationSummarySerializer()


class MigrationView(APIView):
    permission_classes = (DesignersOnly,)

    @extend_schema(
        request=MigrationRequestSerializer,
        responses={200: MigrationReportSerializer},
        description="Migrates the running dossiers of from_version (or the ones named) to to_version, each in its own "
                    "transaction; with dry_run, lists what would happen and changes nothing. Process designers only.",
    )
    def post(self, request, procedure_code):
        body = MigrationRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        report = migration.migrate_dossiers(
            procedure_code=procedure_code, from_version=body.validated_data["from_version"],
            to_version=body.validated_data["to_version"], actor=actor_of(request),
            dossier_codes=body.validated_data.get("dossiers"), dry_run=body.validated_data["dry_run"])
        return Response(report)
