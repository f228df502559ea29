from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .. import privacy
from ..selectors import applicant_for
from ..models import CaseDecision, CaseKind, Channel, Dossier, Event, Procedure, ProcessVersion, WorkItem
from ..services import case_clock


class ProcedureSerializer(serializers.ModelSerializer):
    field = serializers.SlugRelatedField(slug_field="code", read_only=True)
    field_name = serializers.CharField(source="field.name", read_only=True)
    current_version = serializers.SerializerMethodField()

    class Meta:
        model = Procedure
        fields = [
            "code", "national_code", "name", "name_en", "field", "field_name", "level", "statutory_limit",
            "statutory_unit", "online_level", "fee", "fee_note", "required_documents", "current_version",
        ]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_current_version(self, obj):
        version = obj.current_version()
        return version.number if version else None


class ProcessVersionSerializer(serializers.ModelSerializer):
    procedure = serializers.SlugRelatedField(slug_field="code", read_only=True)
    deployed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ProcessVersion
        fields = ["procedure", "number", "process_id", "checksum", "steps", "deployed_by", "deployed_at"]


class DeployVersionSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="tệp BPMN 2.0 (XML), tối đa 2 MB")


class ApplicantSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=200)
    id_number = serializers.CharField(max_length=20, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    address = serializers.CharField(max_length=400, required=False, allow_blank=True)
    masked = serializers.BooleanField(read_only=True, required=False,
                                      help_text="danh tính người tố cáo được giữ bí mật (Luật Tố cáo 2018, Điều 47)")


class ReceiveDossierSerializer(serializers.Serializer):
    procedure = serializers.CharField(max_length=60, help_text="mã thủ tục")
    receiving_unit = serializers.CharField(max_length=32, help_text="mã đơn vị tiếp nhận")
    applicant = ApplicantSerializer()
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.COUNTER)
    data = serializers.DictField(required=False, default=dict)


class WorkItemBriefSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True)
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    claimed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = WorkItem
        fields = ["id", "kind", "bpmn_id", "name", "lane", "role", "unit", "status", "claimed_by", "given_at",
                  "due_at", "completed_at", "result", "required_fields"]


class CaseDecisionSerializer(serializers.ModelSerializer):
    """A recorded decision moving a case's clock (processes.models.CaseDecision)."""

    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CaseDecision
        fields = ["kind", "phase", "sequence", "number", "reason", "days", "previous_due_at", "new_due_at",
                  "decided_by", "decided_at"]


class DossierSerializer(serializers.ModelSerializer):
    procedure = serializers.SlugRelatedField(slug_field="code", read_only=True)
    procedure_name = serializers.CharField(source="procedure.name", read_only=True)
    receiving_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    regime = serializers.SlugRelatedField(slug_field="code", read_only=True)
    status_code = serializers.IntegerField(source="portal_status", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    applicant_name = serializers.SerializerMethodField()
    applicant = serializers.SerializerMethodField()
    returned_to = serializers.SerializerMethodField()
    data = serializers.SerializerMethodField()
    open_steps = serializers.SerializerMethodField()
    # complaints, denunciations, petitions (issue 9): the kind, the running phase of the clock, its decisions
    kind = serializers.ChoiceField(source="procedure.kind", choices=CaseKind.choices, read_only=True)
    clock_phase_label = serializers.SerializerMethodField()
    decisions = CaseDecisionSerializer(many=True, read_only=True)

    class Meta:
        model = Dossier
        fields = [
            "code", "procedure", "procedure_name", "version", "regime", "receiving_unit", "channel", "status",
            "status_code", "status_label", "outcome", "applicant_name", "applicant", "received_at", "due_at",
            "legal_extension_days", "appointment_at", "reappointments", "flags", "finished_at", "returned_at", "returned_to", "data", "open_steps", "revision",
            "kind", "clock_phase", "clock_phase_label", "decisions",
        ]

    @extend_schema_field(serializers.CharField())
    def get_clock_phase_label(self, obj):
        """The running phase's name ('Xử lý ban đầu' before any phase, and for administrative dossiers '')."""
        if obj.procedure.kind == CaseKind.ADMINISTRATIVE:
            return ""
        return case_clock.phase_label(obj.procedure, obj.clock_phase)

    def _viewer(self):
        request = self.context.get("request")
        return request.user if request is not None else None

    @extend_schema_field(serializers.CharField())
    def get_applicant_name(self, obj):
        # a denouncer's name only to the officials assigned to the case and to auditors (processes.privacy)
        return privacy.applicant_name(self._viewer(), obj)

    @extend_schema_field(ApplicantSerializer(allow_null=True))
    def get_applicant(self, obj):
        request = self.context.get("request")
        return applicant_for(request.user, obj) if request is not None else None

    @extend_schema_field(serializers.CharField())
    def get_returned_to(self, obj):
        return privacy.returned_to(self._viewer(), obj)

    @extend_schema_field(serializers.DictField())
    def get_data(self, obj):
        # the letter's content typed at intake may name the denouncer
        if privacy.applicant_visible(self._viewer(), obj):
            return obj.data
        return privacy.redact_data(obj.data, obj)

    @extend_schema_field(WorkItemBriefSerializer(many=True))
    def get_open_steps(self, obj):
        items = [i for i in obj.work_items.all() if i.status == "open"]
        return WorkItemBriefSerializer(items, many=True).data


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    actor_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Event
        fields = ["id", "kind", "at", "actor", "actor_role", "actor_unit", "data_before", "data_after",
                  "engine_task_id"]


class TaskSerializer(WorkItemBriefSerializer):
    dossier = serializers.CharField(source="dossier.code", read_only=True)
    procedure = serializers.CharField(source="dossier.procedure.code", read_only=True)
    dossier_due_at = serializers.DateTimeField(source="dossier.due_at", read_only=True)

    class Meta(WorkItemBriefSerializer.Meta):
        fields = ["dossier", "procedure", "dossier_due_at", *WorkItemBriefSerializer.Meta.fields]


class CompleteTaskSerializer(serializers.Serializer):
    data = serializers.DictField(required=False, default=dict)


class ReassignSerializer(serializers.Serializer):
    to = serializers.CharField(max_length=150, help_text="tên đăng nhập của cán bộ được giao")


class ReturnSerializer(serializers.Serializer):
    collected_by = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class EscalationNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=4000, help_text="biện pháp đã xử lý")
