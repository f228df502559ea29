"""Serializers of the designer studio's API (drafts, validation, conditions, version diffs)."""
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import ProcessDraft

XML_HELP = "the BPMN 2.0 document (XML text, UTF-8, at most 2 MB; no DOCTYPE or entities)"


class ProblemSerializer(serializers.Serializer):
    element_id = serializers.CharField(allow_null=True, help_text="the BPMN element at fault (draw it there)")
    message = serializers.CharField()
    line = serializers.IntegerField(allow_null=True, help_text="line in the file, when known")


class DraftSerializer(serializers.ModelSerializer):
    procedure = serializers.SlugRelatedField(slug_field="code", read_only=True)
    procedure_name = serializers.CharField(source="procedure.name", read_only=True)
    based_on = serializers.SerializerMethodField()
    deployed_version = serializers.SerializerMethodField()
    # Plain text, not a ChoiceField: another "status" enum in the schema would collide (settings' ENUM_NAME_OVERRIDES).
    status = serializers.CharField(read_only=True, help_text="draft | submitted | deployed | discarded")
    problems = ProblemSerializer(many=True, read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    updated_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    submitted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ProcessDraft
        fields = [
            "id", "procedure", "procedure_name", "based_on", "title", "status", "revision", "problems",
            "created_by", "created_at", "updated_by", "updated_at", "submitted_by", "submitted_at", "approved_by",
            "deployed_version",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True, help_text="the version it started from"))
    def get_based_on(self, obj):
        return obj.based_on.number if obj.based_on_id else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_deployed_version(self, obj):
        return obj.deployed_version.number if obj.deployed_version_id else None


class DraftDetailSerializer(DraftSerializer):
    bpmn_xml = serializers.CharField(read_only=True)

    class Meta(DraftSerializer.Meta):
        fields = [*DraftSerializer.Meta.fields, "bpmn_xml"]
        read_only_fields = fields


class NewProcedureSerializer(serializers.Serializer):
    """Catalogue fields of a new procedure (validated by the service; errors name procedure.<field>)."""

    code = serializers.CharField(help_text="slug, e.g. cap-ban-sao-trich-luc")
    name = serializers.CharField()
    name_en = serializers.CharField(required=False)
    national_code = serializers.CharField(required=False)
    field = serializers.CharField(help_text="the code of an existing field (lĩnh vực)")
    level = serializers.ChoiceField(choices=["province", "district", "commune"])
    statutory_limit = serializers.DecimalField(max_digits=7, decimal_places=2)
    statutory_unit = serializers.ChoiceField(choices=["working_days", "calendar_days", "same_day"])
    fee = serializers.IntegerField(required=False)
    fee_note = serializers.CharField(required=False)
    online_level = serializers.ChoiceField(choices=["full", "partial", "none"], required=False)
    required_documents = serializers.ListField(child=serializers.DictField(), required=False)


class CreateDraftSerializer(serializers.Serializer):
    """One procedure (procedure_code, or procedure for a new one) and at most one source (xml, template,
    from_version; none = the latest version). JSON, or multipart with the file in `file`."""

    procedure_code = serializers.CharField(required=False)
    procedure = NewProcedureSerializer(required=False)
    from_version = serializers.IntegerField(required=False)
    template = serializers.CharField(required=False, help_text="a name from GET /api/v1/bpmn/templates/")
    xml = serializers.CharField(required=False, help_text=XML_HELP)
    file = serializers.FileField(required=False, help_text="the BPMN file (multipart), instead of xml")
    filename = serializers.CharField(required=False)


class SaveDraftSerializer(serializers.Serializer):
    xml = serializers.CharField(help_text=XML_HELP, trim_whitespace=False)
    revision = serializers.IntegerField(help_text="the draft's revision this edit started from")


class ValidateSerializer(serializers.Serializer):
    xml = serializers.CharField(help_text=XML_HELP, trim_whitespace=False, required=False)
    procedure_code = serializers.CharField(required=False, help_text="also check against this procedure's catalogue")


class ValidationResultSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    problems = ProblemSerializer(many=True)


class ConditionSerializer(serializers.Serializer):
    expression = serializers.CharField(allow_blank=True, trim_whitespace=False)


class ConditionResultSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    message = serializers.CharField(allow_null=True)


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class TemplateSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()


class DiffElementSerializer(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.CharField()
    name = serializers.CharField(allow_null=True)


class DiffChangeSerializer(DiffElementSerializer):
    fields = serializers.ListField(child=serializers.CharField())
    before = serializers.DictField()
    after = serializers.DictField()


class VersionDiffSerializer(serializers.Serializer):
    procedure = serializers.CharField()
    a = serializers.IntegerField()
    b = serializers.IntegerField()
    added = DiffElementSerializer(many=True)
    removed = DiffElementSerializer(many=True)
    changed = DiffChangeSerializer(many=True)
