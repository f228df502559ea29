"""The designer studio's REST API: thin views over processes.services.studio.

Every change (any method but GET/HEAD/OPTIONS) is for process designers only (403 otherwise, before the body is
read); drafts are read by designers only; deployed versions, their XML and diffs are read by any official. Bodies
over MAX_BODY_BYTES are refused with 413 naming the field `bpmn` before they are parsed."""
import json

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from engine.bpmn import MAX_BYTES

from ..models import DraftStatus, ProcessDraft
from ..services import studio
from ..services.errors import InvalidInput, NotFound
from . import studio_serializers as s
from .views import actor_of

# A 2 MB diagram sent as a JSON string grows with escaping (quotes, newlines, non-ASCII as \uXXXX): allow for it,
# well under DATA_UPLOAD_MAX_MEMORY_SIZE, and refuse anything bigger before parsing.
MAX_BODY_BYTES = 4 * 1024 * 1024


class BodyTooLarge(InvalidInput):
    status_code = 413
    code = "too_large"


class StudioAccess(permissions.BasePermission):
    """Authenticated; and a process designer for every change (and for drafts, even to read them)."""

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method not in permissions.SAFE_METHODS or getattr(view, "designers_only", False):
            studio.require_designer(actor_of(request))  # NotAllowed -> 403 with our error body
        return True


class StudioMixin:
    permission_classes = [StudioAccess]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication and the designer check come first
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY_BYTES:
            raise BodyTooLarge(f"nội dung gửi lên {length} byte, vượt quá giới hạn; tệp BPMN tối đa "
                               f"{MAX_BYTES // (1024 * 1024)} MB", field="bpmn")


def _xml_from(request, required=True):
    """The BPMN text from `xml` (JSON or form) or an uploaded `file`; (xml, filename)."""
    upload = request.FILES.get("file") if hasattr(request, "FILES") else None
    if upload is not None:
        if upload.size > MAX_BYTES:
            raise InvalidInput(f"tệp BPMN vượt quá {MAX_BYTES // (1024 * 1024)} MB", field="bpmn")
        return upload.read(), (upload.name or "upload.bpmn")[:200]
    data = _body(request)
    xml = data.get("xml")
    if xml is None:
        if required:
            raise InvalidInput("thiếu nội dung BPMN (trường 'xml' hoặc tệp 'file')", field="bpmn")
        return None, None
    if not isinstance(xml, str):
        raise InvalidInput("xml phải là chuỗi XML", field="bpmn")
    filename = data.get("filename")
    return xml, (filename[:200] if isinstance(filename, str) and filename else "<upload>")


def _body(request):
    data = request.data
    if not hasattr(data, "get"):
        raise InvalidInput("nội dung phải là một đối tượng JSON", field="body")
    return data


class DraftViewSet(StudioMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Drafts of procedure diagrams (process designers only)."""

    designers_only = True
    queryset = ProcessDraft.objects.select_related(
        "procedure", "based_on", "created_by", "updated_by", "submitted_by", "approved_by", "deployed_version")

    def get_serializer_class(self):
        return s.DraftDetailSerializer if self.action == "retrieve" else s.DraftSerializer

    def get_queryset(self):
        queryset = super().get_queryset()
        procedure = self.request.query_params.get("procedure")
        if procedure:
            queryset = queryset.filter(procedure__code=procedure)
        status = self.request.query_params.get("status")
        if status:
            if status not in DraftStatus.values:
                raise InvalidInput(f"status phải là một trong: {', '.join(DraftStatus.values)}", field="status")
            queryset = queryset.filter(status=status)
        return queryset

    def get_object(self):
        try:
            pk = int(self.kwargs["pk"])
        except (TypeError, ValueError):
            raise NotFound(f"không có bản nháp {self.kwargs['pk']!r}", field="draft") from None
        draft = self.get_queryset().filter(pk=pk).first()
        if draft is None:
            raise NotFound(f"không có bản nháp {pk}", field="draft")
        return draft

    def _answer(self, draft, status=200):
        draft = self.get_queryset().get(pk=draft.pk)
        return Response(s.DraftDetailSerializer(draft).data, status=status)

    @extend_schema(
        parameters=[OpenApiParameter("procedure", str, description="procedure code"),
                    OpenApiParameter("status", str, description="draft | submitted | deployed | discarded")],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=s.CreateDraftSerializer, responses={201: s.DraftDetailSerializer})
    def create(self, request):
        data = _body(request)
        xml, filename = _xml_from(request, required=False)
        procedure = data.get("procedure")
        if isinstance(procedure, str):  # multipart: the new procedure as a JSON string
            try:
                procedure = json.loads(procedure)
            except ValueError:
                raise InvalidInput("procedure phải là một đối tượng JSON", field="procedure") from None
        draft = studio.create_draft(
            actor=actor_of(request), procedure_code=data.get("procedure_code") or None,
            from_version=data.get("from_version"), template=data.get("template") or None, xml=xml,
            filename=filename or "<upload>", procedure=procedure,
        )
        return self._answer(draft, 201)

    @extend_schema(request=s.SaveDraftSerializer, responses={200: s.DraftDetailSerializer},
                   description="Saves the diagram (stored even with problems, which the answer lists with their "
                               "element ids). A stale revision is a 409; hostile or non-BPMN XML a 400 (not saved).")
    def update(self, request, pk=None):
        xml, _filename = _xml_from(request)
        revision = _body(request).get("revision")
        if revision is None:
            raise InvalidInput("thiếu revision (phiên bản bản nháp đã mở)", field="revision")
        draft = studio.save_draft(draft_id=pk, xml=xml, actor=actor_of(request), revision=revision)
        return self._answer(draft)

    @extend_schema(request=s.ValidateSerializer, responses={200: s.ValidationResultSerializer},
                   description="Checks the given xml (or the saved diagram) against the draft's procedure; saves "
                               "nothing.")
    @action(detail=True, methods=["post"])
    def validate(self, request, pk=None):
        draft = self.get_object()
        xml, filename = _xml_from(request, required=False)
        if xml is None:
            xml, filename = draft.bpmn_xml, f"draft-{draft.pk}.bpmn"
        problems = studio.validate_xml(xml, filename, procedure_code=draft.procedure.code)
        return Response({"valid": not problems, "problems": problems})

    @extend_schema(request=None, responses={200: s.DraftDetailSerializer})
    @action(detail=True, methods=["post"])
    def deploy(self, request, pk=None):
        studio.deploy_draft(draft_id=pk, actor=actor_of(request))
        return self._answer(self.get_object())

    @extend_schema(request=None, responses={200: s.DraftDetailSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._answer(studio.submit_draft(draft_id=pk, actor=actor_of(request)))

    @extend_schema(request=None, responses={200: s.DraftDetailSerializer},
                   description="Another designer approves a submitted draft, which deploys it.")
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        studio.approve_draft(draft_id=pk, actor=actor_of(request))
        return self._answer(self.get_object())

    @extend_schema(request=s.RejectSerializer, responses={200: s.DraftDetailSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        reason = _body(request).get("reason") or ""
        return self._answer(studio.reject_draft(draft_id=pk, actor=actor_of(request), reason=reason))

    @extend_schema(request=None, responses={200: s.DraftDetailSerializer})
    @action(detail=True, methods=["post"])
    def discard(self, request, pk=None):
        return self._answer(studio.discard_draft(draft_id=pk, actor=actor_of(request)))


class CheckConditionView(StudioMixin, APIView):
    @extend_schema(request=s.ConditionSerializer, responses={200: s.ConditionResultSerializer},
                   description="The restricted expression language's verdict on a gateway condition (as you type).")
    def post(self, request):
        expression = _body(request).get("expression")
        if expression is None:
            raise InvalidInput("thiếu expression", field="expression")
        message = studio.check_condition(expression)
        return Response({"valid": message is None, "message": message})


class ValidateBpmnView(StudioMixin, APIView):
    @extend_schema(request=s.ValidateSerializer, responses={200: s.ValidationResultSerializer},
                   description="Every problem of a BPMN document, with element ids and lines; saves nothing.")
    def post(self, request):
        xml, filename = _xml_from(request)
        procedure_code = _body(request).get("procedure_code") or None
        if procedure_code is not None and not isinstance(procedure_code, str):
            raise InvalidInput("procedure_code phải là chuỗi", field="procedure_code")
        problems = studio.validate_xml(xml, filename, procedure_code=procedure_code)
        return Response({"valid": not problems, "problems": problems})


class TemplateListView(StudioMixin, APIView):
    @extend_schema(responses={200: s.TemplateSerializer(many=True)})
    def get(self, request):
        return Response(studio.list_templates())


class VersionDiffView(StudioMixin, APIView):
    @extend_schema(
        parameters=[OpenApiParameter("a", int, required=True), OpenApiParameter("b", int, required=True)],
        responses={200: s.VersionDiffSerializer},
        description="Elements added, removed and changed from version a to version b (by BPMN id; the drawing is "
                    "ignored).",
    )
    def get(self, request, procedure_code):
        for name in ("a", "b"):
            if not request.query_params.get(name):
                raise InvalidInput(f"thiếu tham số {name} (số phiên bản)", field=name)
        return Response(studio.version_diff(procedure_code, request.query_params["a"], request.query_params["b"]))


class VersionXmlView(StudioMixin, APIView):
    @extend_schema(responses={(200, "application/xml"): OpenApiResponse(OpenApiTypes.STR, description="the BPMN")})
    def get(self, request, procedure_code, number):
        xml = studio.version_xml(procedure_code, number)
        response = HttpResponse(xml, content_type="application/xml; charset=utf-8")
        safe_code = "".join(c for c in procedure_code if c.isalnum() or c in "-_")
        response["Content-Disposition"] = f'attachment; filename="{safe_code}-v{int(number)}.bpmn"'
        return response
