"""The statutory clock's actions over REST: supplementation (form 02), refusal (form 03), withdrawal, the explanation
and apology (form 04), the control sheet (form 05) and the caller's in-app notifications. Thin: parse, check
visibility (404 for a dossier or task the caller cannot see), call one service, serialize."""
from datetime import timedelta

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import privacy, selectors
from ..models import Dossier, DossierFlag, Explanation, Notification, Supplementation, WorkItemKind
from ..services import forms as form_services
from ..services import notifications as notification_services
from ..services import statutory
from ..services.errors import NotFound
from .views import actor_of

# ---------------------------------------------------------------------------------------------------------------
# serializers


class BoundedDateTimeField(serializers.DateTimeField):
    """An ISO date-time the database can store: years 1990–2200, offsets within ±14 h (else a 400, not a 500)."""

    def to_internal_value(self, value):
        result = super().to_internal_value(value)
        offset = result.utcoffset()
        if not 1990 <= result.year <= 2200 or (offset is not None and abs(offset) > timedelta(hours=14)):
            self.fail("invalid", format="ISO 8601, năm 1990–2200")
        return result


class SupplementItemSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=300, help_text="tên giấy tờ cần bổ sung")
    kind = serializers.ChoiceField(choices=[(k, k) for k in statutory.SUPPLEMENT_KINDS], default="bản chính",
                                   help_text="bản chính | bản sao | bản sao chứng thực | bản chụp")
    quantity = serializers.IntegerField(min_value=1, max_value=99, default=1)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class SupplementRequestSerializer(serializers.Serializer):
    items = SupplementItemSerializer(many=True, allow_empty=False, max_length=statutory.MAX_ITEMS)
    reason = serializers.CharField(max_length=statutory.MAX_TEXT)


class RefuseSerializer(serializers.Serializer):
    reasons = serializers.ListField(child=serializers.CharField(max_length=statutory.MAX_TEXT), allow_empty=False,
                                    max_length=statutory.MAX_REASONS)


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=statutory.MAX_TEXT, help_text="lý do người nộp rút hồ sơ")


class ExplainSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=statutory.MAX_TEXT, help_text="lý do chậm trễ")
    new_appointment = BoundedDateTimeField(help_text="ngày hẹn trả kết quả mới (ISO 8601), sau hạn giải quyết")


class FormSerializer(serializers.Serializer):
    number = serializers.CharField()
    title = serializers.CharField()
    text = serializers.CharField()
    html = serializers.CharField()


class ClockStateSerializer(serializers.ModelSerializer):
    status_code = serializers.IntegerField(source="portal_status", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    flags = serializers.ListField(child=serializers.ChoiceField(choices=DossierFlag.choices), read_only=True)
    late_unit = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    late_official = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Dossier
        fields = ["code", "status", "status_code", "status_label", "outcome", "received_at", "due_at",
                  "appointment_at", "reappointments", "clock_generation", "clock_started_at", "clock_paused_at",
                  "flags", "late_unit", "late_official", "finished_at", "revision"]
        read_only_fields = fields


class SupplementationSerializer(serializers.ModelSerializer):
    items = SupplementItemSerializer(many=True, read_only=True)
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Supplementation
        fields = ["sequence", "items", "reason", "requested_by", "requested_at", "previous_due_at", "supplied_at",
                  "new_due_at"]
        read_only_fields = fields


class ExplanationSerializer(serializers.ModelSerializer):
    filed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Explanation
        fields = ["sequence", "reason", "new_appointment", "filed_by", "unit", "filed_at", "apology_deadline",
                  "filed_late", "letter"]
        read_only_fields = fields


class ClockActionSerializer(serializers.Serializer):
    dossier = ClockStateSerializer()
    form = FormSerializer(allow_null=True)


class SupplementAnswerSerializer(ClockActionSerializer):
    supplementation = SupplementationSerializer(allow_null=True)


class ExplainAnswerSerializer(ClockActionSerializer):
    explanation = ExplanationSerializer()


class ExplanationDraftSerializer(serializers.Serializer):
    task = serializers.IntegerField()
    dossier = serializers.CharField()
    status = serializers.CharField()
    unit = serializers.CharField()
    due_at = serializers.DateTimeField()
    apology_deadline = serializers.DateTimeField(allow_null=True)
    appointment_at = serializers.DateTimeField(allow_null=True)
    proposed_appointment = serializers.DateTimeField()


class ControlSheetRowSerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    task = serializers.IntegerField()
    step = serializers.CharField()
    name = serializers.CharField()
    from_unit = serializers.CharField()
    from_unit_name = serializers.CharField()
    unit = serializers.CharField()
    unit_name = serializers.CharField()
    role = serializers.CharField()
    status = serializers.CharField()
    given_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    allocation_hours = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    result = serializers.CharField(allow_blank=True, help_text="early | on_time | late, '' while open")
    result_label = serializers.CharField(allow_blank=True)
    who = serializers.CharField(allow_null=True)
    who_name = serializers.CharField(allow_blank=True)


class ControlSheetReturnSerializer(serializers.Serializer):
    finished_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    result = serializers.CharField()
    result_label = serializers.CharField()
    outcome = serializers.CharField(allow_blank=True)


class ControlSheetSerializer(serializers.Serializer):
    code = serializers.CharField()
    rows = ControlSheetRowSerializer(many=True)
    returned = ControlSheetReturnSerializer(allow_null=True)
    html = serializers.CharField()
    text = serializers.CharField()


class NotificationSerializer(serializers.ModelSerializer):
    dossier = serializers.CharField(source="dossier.code", read_only=True, allow_null=True)

    class Meta:
        model = Notification
        fields = ["id", "subject", "body", "dossier", "created_at", "read_at"]


# ---------------------------------------------------------------------------------------------------------------
# views


def _visible_code(request, code):
    dossier = selectors.get_visible_dossier(request.user, code)
    if dossier is None:
        raise NotFound("không có hồ sơ này", field="code")
    return dossier.code


def _answer(outcome, request=None, **extra):
    form = outcome.form.as_dict() if outcome.form is not None else None
    if form is not None and request is not None and not privacy.applicant_visible(request.user, outcome.dossier):
        # the letter to a denouncer, answered to an official who may not read their identity (processes.privacy)
        form = {**form, "text": privacy.redact_text(form["text"], outcome.dossier),
                "html": privacy.redact_text(form["html"], outcome.dossier)}
    return {"dossier": ClockStateSerializer(outcome.dossier).data, "form": form, **extra}


class SupplementRequestView(APIView):
    @extend_schema(request=SupplementRequestSerializer, responses={200: SupplementAnswerSerializer},
                   summary="Yêu cầu bổ sung, hoàn thiện hồ sơ (mẫu 02): thời hạn giải quyết tạm dừng")
    def post(self, request, code):
        code = _visible_code(request, code)
        payload = SupplementRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        v = payload.validated_data
        outcome = statutory.request_supplementation(code, actor_of(request), [dict(i) for i in v["items"]],
                                                    v["reason"])
        return Response(_answer(outcome, request, supplementation=SupplementationSerializer(outcome.record).data))


class SupplementReceivedView(APIView):
    @extend_schema(request=None, responses={200: SupplementAnswerSerializer},
                   summary="Nhận hồ sơ bổ sung: thời hạn giải quyết tính lại từ đầu")
    def post(self, request, code):
        code = _visible_code(request, code)
        outcome = statutory.receive_supplementation(code, actor_of(request))
        record = SupplementationSerializer(outcome.record).data if outcome.record is not None else None
        return Response(_answer(outcome, request, supplementation=record))


class RefuseView(APIView):
    @extend_schema(request=RefuseSerializer, responses={200: ClockActionSerializer},
                   summary="Từ chối giải quyết hồ sơ (mẫu 03)")
    def post(self, request, code):
        code = _visible_code(request, code)
        payload = RefuseSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        outcome = statutory.refuse_dossier(code, actor_of(request), payload.validated_data["reasons"])
        return Response(_answer(outcome, request))


class WithdrawView(APIView):
    @extend_schema(request=WithdrawSerializer, responses={200: ClockActionSerializer},
                   summary="Người nộp rút hồ sơ")
    def post(self, request, code):
        code = _visible_code(request, code)
        payload = WithdrawSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        outcome = statutory.withdraw_dossier(code, actor_of(request), payload.validated_data["reason"])
        return Response(_answer(outcome, request))


class ControlSheetView(APIView):
    @extend_schema(responses={200: ControlSheetSerializer},
                   summary="Phiếu kiểm soát quá trình giải quyết hồ sơ (mẫu 05)")
    def get(self, request, code):
        dossier = selectors.get_visible_dossier(request.user, code)
        if dossier is None:
            raise NotFound("không có hồ sơ này", field="code")
        sheet = form_services.control_sheet(dossier)
        rendered = form_services.form_05(privacy.for_viewer(request.user, dossier), sheet)
        return Response(ControlSheetSerializer({**sheet, "html": rendered.html, "text": rendered.text}).data)


class ExplainView(APIView):
    def _item_id(self, request, pk):
        item = (selectors.work_items_visible_to(request.user)
                .filter(pk=pk, kind=WorkItemKind.EXPLAIN_DELAY).values_list("pk", flat=True).first())
        if item is None:
            raise NotFound("không có việc giải trình này", field="task")
        return item

    @extend_schema(responses={200: ExplanationDraftSerializer},
                   summary="Thông tin để giải trình: hạn, hạn xin lỗi, ngày hẹn lại đề xuất")
    def get(self, request, pk):
        draft = statutory.explanation_draft(self._item_id(request, pk), actor_of(request))
        return Response(ExplanationDraftSerializer(draft).data)

    @extend_schema(request=ExplainSerializer, responses={200: ExplainAnswerSerializer},
                   summary="Giải trình, gửi phiếu xin lỗi và hẹn lại ngày trả kết quả (mẫu 04)")
    def post(self, request, pk):
        item_id = self._item_id(request, pk)
        payload = ExplainSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        v = payload.validated_data
        outcome = statutory.file_explanation(item_id, actor_of(request), v["reason"], v["new_appointment"])
        explanation = ExplanationSerializer(outcome.record).data
        if not privacy.applicant_visible(request.user, outcome.dossier):
            explanation["letter"] = privacy.redact_text(explanation["letter"], outcome.dossier)
        return Response(_answer(outcome, request, explanation=explanation))


class NotificationListView(ListAPIView):
    """The caller's in-app notifications, newest first; ?unread=1 for the unread ones."""

    serializer_class = NotificationSerializer
    filterset_class = None
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        qs = notification_services.in_app_for(self.request.user).order_by("-created_at", "-id")
        if self.request.query_params.get("unread") in ("1", "true"):
            qs = qs.filter(read_at__isnull=True)
        return qs


class NotificationReadView(APIView):
    @extend_schema(request=None, responses={200: NotificationSerializer}, summary="Đánh dấu đã đọc")
    def post(self, request, pk):
        row = notification_services.mark_read(notification_id=int(pk), user=request.user)
        return Response(NotificationSerializer(row).data)

