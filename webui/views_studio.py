"""The designer studio's pages (issue 5): the procedures with their versions and drafts, a new draft (from the latest
version, a template or an imported file), the editor (bpmn-js Modeler, webui/static_src/studio.js), saving a draft
(JSON: the server's problems, each with its element id, drawn on the diagram), deploying (or submitting / approving
when settings.MOTCUA_DEPLOY_APPROVAL is on), the XML of drafts and versions, the diff of two versions, and the
condition checker the properties panel calls as the designer types.

Thin: each action calls one function of processes.services.studio. Every URL is for process designers only
(role process_designer in any unit): anyone else gets 403, before anything is looked up."""
import json
from datetime import datetime
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db.models import Count, Prefetch
from django.http import Http404, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from engine.calendar import VN_TZ
from processes.models import (
    OPEN_STATUSES,
    CaseKind,
    CaseOutcome,
    Dossier,
    DraftStatus,
    Field,
    Membership,
    Procedure,
    ProcessDraft,
    Role,
)
from processes.services import migration as migration_services
from processes.services import studio as studio_services
from processes.services.case_clock import phase_label
from processes.services.errors import ServiceError
from processes.services.routing import known_department_kinds

from . import labels
from .auth import official_required
from .forms_studio import MigrationForm, NewDraftForm, NewProcedureForm
from .views import actor_of

ROUTING_ROLES = [Role.RECEPTION, Role.SPECIALIST, Role.UNIT_LEADER, Role.SIGNING_LEADER]
FORM_FIELDS = {"bpmn": "bpmn", "xml": "bpmn", "procedure_code": "procedure", "template": "template",
               "from_version": "source"}


def is_designer(user):
    return user.is_authenticated and Membership.objects.filter(user=user, role=Role.PROCESS_DESIGNER).exists()


def designer_required(view):
    """Signed in (else the sign-in page), and a process designer (else 403, JSON for a JSON request)."""

    @wraps(view)
    @official_required
    def wrapper(request, *args, **kwargs):
        if not is_designer(request.user):
            if _wants_json(request):
                return JsonResponse({"detail": _("Chỉ người thiết kế quy trình mới được làm việc này."),
                                     "code": "permission_denied"}, status=403)
            raise PermissionDenied(_("Chỉ người thiết kế quy trình mới được làm việc này."))
        return view(request, *args, **kwargs)

    return wrapper


def _wants_json(request):
    return "application/json" in request.headers.get("Accept", "") or request.content_type == "application/json"


def _draft_or_404(draft_id):
    draft = ProcessDraft.objects.select_related("procedure", "based_on", "deployed_version", "updated_by",
                                                "submitted_by").filter(pk=draft_id).first()
    if draft is None:
        raise Http404(_("Không có bản nháp này."))
    return draft


def _error_json(exc):
    return JsonResponse(exc.as_dict(), status=exc.status_code)


# ---------------------------------------------------------------------------------------------------------------
# the procedures, their versions and drafts; a new draft


def _home_context(form, procedure_form=None):
    open_drafts = ProcessDraft.objects.filter(status__in=[DraftStatus.DRAFT, DraftStatus.SUBMITTED]) \
        .select_related("updated_by").order_by("-updated_at")
    procedures = list(Procedure.objects.order_by("name").prefetch_related(
        Prefetch("versions", to_attr="version_list"),
        Prefetch("drafts", queryset=open_drafts, to_attr="open_drafts")))
    open_counts = dict(Dossier.objects.filter(status__in=OPEN_STATUSES).values("version_id")
                       .annotate(n=Count("pk")).values_list("version_id", "n"))
    for p in procedures:
        p.version_list = sorted(p.version_list, key=lambda v: -v.number)
        for v in p.version_list:
            v.open_dossiers = open_counts.get(v.pk, 0)
        p.migratable = len(p.version_list) > 1 and any(v.open_dossiers for v in p.version_list[1:])
    return {"procedures": procedures, "form": form, "approval": studio_services.approval_required(),
            "procedure_form": procedure_form or _new_procedure_form(), "procedure_form_open": procedure_form is not None}


def _new_procedure_form(data=None, files=None):
    return NewProcedureForm(data, files, fields=Field.objects.order_by("name"),
                            templates=studio_services.list_templates())


def _new_draft_form(data=None, files=None, initial=None):
    return NewDraftForm(data, files, initial=initial, procedures=Procedure.objects.order_by("name"),
                        templates=studio_services.list_templates())


@designer_required
@require_GET
def studio_home(request):
    form = _new_draft_form(initial={"procedure": request.GET.get("procedure", "")})
    return render(request, "webui/studio.html", _home_context(form))


@designer_required
@require_POST
def new_draft(request):
    form = _new_draft_form(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        kwargs = {"actor": actor_of(request), "procedure_code": data["procedure"] or None}
        if data["source"] == "template":
            kwargs["template"] = data["template"]
        elif data["source"] == "file":
            upload = data["bpmn"]
            kwargs.update(xml=upload.read(), filename=upload.name[:200])
        try:
            draft = studio_services.create_draft(**kwargs)
        except ServiceError as exc:
            form.add_error(FORM_FIELDS.get(exc.field) if FORM_FIELDS.get(exc.field) in form.fields else None,
                           exc.message + (f" ({exc.element_id})" if exc.element_id else ""))
            return render(request, "webui/studio.html", _home_context(form), status=exc.status_code)
        messages.success(request, _("Đã tạo bản nháp cho thủ tục %(name)s.") % {"name": draft.procedure.name})
        return redirect("webui:studio-draft", draft_id=draft.pk)
    return render(request, "webui/studio.html", _home_context(form), status=400)


@designer_required
@require_POST
def new_procedure(request):
    """A new procedure (catalogue row, inactive until its first version deploys) with its first draft."""
    form = _new_procedure_form(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        kwargs = {"actor": actor_of(request), "procedure": form.procedure()}
        if data["new_source"] == "file":
            kwargs.update(xml=data["new_bpmn"].read(), filename=data["new_bpmn"].name[:200])
        else:
            kwargs["template"] = data["new_template"]
        try:
            draft = studio_services.create_draft(**kwargs)
        except ServiceError as exc:
            name = (exc.field or "").removeprefix("procedure.")
            name = {"bpmn": "new_bpmn", "xml": "new_bpmn", "template": "new_template"}.get(name, name)
            form.add_error(name if name in form.fields else None,
                           exc.message + (f" ({exc.element_id})" if exc.element_id else ""))
            return render(request, "webui/studio.html", _home_context(_new_draft_form(), form),
                          status=exc.status_code)
        messages.success(request, _("Đã tạo bản nháp cho thủ tục %(name)s.") % {"name": draft.procedure.name})
        return redirect("webui:studio-draft", draft_id=draft.pk)
    return render(request, "webui/studio.html", _home_context(_new_draft_form(), form), status=400)


# ---------------------------------------------------------------------------------------------------------------
# the editor


def _editor_labels():
    return {
        "role": _("Vai trò xử lý"), "place": _("Nơi xử lý"), "department_kind": _("Loại phòng ban"),
        "allocation_unit": _("Đơn vị thời gian"), "allocation": _("Thời gian phân bổ"), "days": _("ngày làm việc"),
        "hours": _("giờ làm việc"), "allocation_invalid": _("Nhập một số dương, tối đa 2 chữ số thập phân."),
        "form": _("Biểu mẫu của bước"), "components": _("thành phần"), "no_form": _("Chưa có biểu mẫu."),
        "edit_form": _("Sửa biểu mẫu"), "add_form": _("Thêm biểu mẫu"),
        "condition": _("Điều kiện rẽ nhánh"), "condition_ok": _("Điều kiện hợp lệ."),
        "condition_empty": _("Chưa có điều kiện."), "check_failed": _("Không kiểm tra được điều kiện (mất kết nối?)."),
        "condition_help": _("Biểu thức Python giới hạn, ví dụ: eligible == True"),
        "document": _("Toàn tệp"), "line": _("dòng"), "problems_count": _("Máy chủ báo {n} lỗi."),
        "no_problems": _("Máy chủ không thấy lỗi nào."), "saving": _("Đang lưu…"), "saved": _("Đã lưu."),
        "saved_with_problems": _("Đã lưu, còn lỗi cần sửa trước khi triển khai."),
        "save_failed": _("Không lưu được (mã {status})."), "network_error": _("Mất kết nối tới máy chủ: chưa lưu."),
        "unsaved": _("Có thay đổi chưa lưu."), "import_failed": _("Không mở được sơ đồ"),
        "laid_out": _("Tệp không có hình vẽ sơ đồ: MotCua đã tự dàn trang; hãy lưu để giữ hình vẽ."),
        "case_outcome": _("Kết quả vụ việc (để thống kê)"), "clock_phase": _("Bắt đầu giai đoạn thời hạn"),
    }


def _case_choices(procedure):
    """For a case's diagram: what an end event may declare, and the clock phases a step may start (the catalogue's);
    None for an administrative procedure, whose panel does not offer them."""
    if procedure.kind == CaseKind.ADMINISTRATIVE:
        return {"caseOutcomes": None, "clockPhases": []}
    phases = sorted(name for name in (procedure.clock_phases or {}) if name != "initial")
    return {"caseOutcomes": [[o.value, f"{labels.case_outcome(o.value)} ({o.value})"] for o in CaseOutcome],
            "clockPhases": [[name, f"{phase_label(procedure, name)} ({name})"] for name in phases]}


@designer_required
@require_GET
def editor(request, draft_id):
    draft = _draft_or_404(draft_id)
    editable = draft.status == DraftStatus.DRAFT
    config = {
        "saveUrl": reverse("webui:studio-save", args=[draft.pk]) if editable else None,
        "checkUrl": reverse("webui:studio-check-condition"),
        "revision": draft.revision,
        "problems": draft.problems or [],
        "csrfToken": get_token(request),
        "roles": [[r.value, f"{labels.role(r.value)} ({r.value})"] for r in ROUTING_ROLES],
        "anchors": [["self", _("đơn vị tiếp nhận (self)")], ["parent", _("đơn vị cấp trên (parent)")],
                    ["province", _("cấp tỉnh (province)")]],
        "departmentKinds": [[k, k] for k in sorted(known_department_kinds())],
        "labels": _editor_labels(),
        **_case_choices(draft.procedure),
    }
    versions = list(draft.procedure.versions.order_by("-number").values_list("number", flat=True))
    context = {
        "draft": draft, "procedure": draft.procedure, "editable": editable, "config": config,
        "approval": studio_services.approval_required(), "versions": versions,
        "may_approve": draft.status == DraftStatus.SUBMITTED
        and request.user.pk not in (draft.submitted_by_id, draft.updated_by_id),
    }
    return render(request, "webui/studio_editor.html", {**context, "xml": draft.bpmn_xml})


@designer_required
@require_POST
def save(request, draft_id):
    """JSON {xml, revision} (or form fields) -> {revision, problems}; a refusal -> {detail, field, element_id,
    problems} with its 4xx status."""
    try:
        if request.content_type == "application/json":
            try:
                body = json.loads(request.body or b"{}")
            except (ValueError, UnicodeDecodeError):
                return JsonResponse({"detail": _("Nội dung gửi lên không phải JSON."), "code": "invalid"}, status=400)
            if not isinstance(body, dict):
                return JsonResponse({"detail": _("Nội dung gửi lên không phải JSON."), "code": "invalid"}, status=400)
        else:
            body = request.POST
    except RequestDataTooBig:
        return JsonResponse({"detail": _("Sơ đồ quá lớn (tối đa 2 MB)."), "code": "invalid", "field": "bpmn"},
                            status=413)
    if not ProcessDraft.objects.filter(pk=draft_id).exists():
        return JsonResponse({"detail": _("Không có bản nháp này."), "code": "not_found"}, status=404)
    try:
        draft = studio_services.save_draft(draft_id=draft_id, xml=body.get("xml"), actor=actor_of(request),
                                           revision=body.get("revision"))
    except ServiceError as exc:
        return _error_json(exc)
    return JsonResponse({"revision": draft.revision, "problems": draft.problems, "status": draft.status})


ACTIONS = {
    "deploy": studio_services.deploy_draft,
    "submit": studio_services.submit_draft,
    "approve": studio_services.approve_draft,
    "reject": studio_services.reject_draft,
    "discard": studio_services.discard_draft,
}


@designer_required
@require_POST
def draft_action(request, draft_id, action):
    if action not in ACTIONS:
        raise Http404
    draft = _draft_or_404(draft_id)
    kwargs = {"draft_id": draft.pk, "actor": actor_of(request)}
    if action == "reject":
        kwargs["reason"] = request.POST.get("reason", "")[:1000]
    try:
        result = ACTIONS[action](**kwargs)
    except ServiceError as exc:
        where = _("phần tử %(id)s") % {"id": exc.element_id} if exc.element_id else ""
        text = f"{exc.message} ({where})" if where else exc.message
        messages.error(request, text)
        return redirect("webui:studio-draft", draft_id=draft.pk)
    if action in ("deploy", "approve"):
        messages.success(request, _("Đã triển khai phiên bản %(number)s của thủ tục %(name)s.")
                         % {"number": result.number, "name": draft.procedure.name})
        return redirect(f"{reverse('webui:studio')}#procedure-{draft.procedure.code}")
    done = {"submit": _("Đã gửi bản nháp để phê duyệt."), "reject": _("Đã trả lại bản nháp để sửa."),
            "discard": _("Đã hủy bản nháp.")}[action]
    messages.success(request, done)
    if action == "discard":
        return redirect("webui:studio")
    return redirect("webui:studio-draft", draft_id=draft.pk)


def _xml_download(xml, filename):
    response = HttpResponse(xml, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@designer_required
@require_GET
def draft_xml(request, draft_id):
    draft = _draft_or_404(draft_id)
    return _xml_download(draft.bpmn_xml, f"{draft.procedure.code}-draft-{draft.pk}-r{draft.revision}.bpmn")


@designer_required
@require_GET
def version_xml(request, code, number):
    try:
        xml = studio_services.version_xml(code, number)
    except ServiceError as exc:
        raise Http404(exc.message) from None
    return _xml_download(xml, f"{code}-v{number}.bpmn")


@designer_required
@require_GET
def check_condition(request):
    """{"message": null} when the gateway condition is allowed, else {"message": why not}."""
    return JsonResponse({"message": studio_services.check_condition(request.GET.get("expression", ""))})


DIFF_FIELDS = {
    "type": _lazy("Loại"), "name": _lazy("Tên"), "lane": _lazy("Làn (vai trò@nơi)"), "properties": _lazy("Thuộc tính"),
    "conditions": _lazy("Điều kiện rẽ nhánh"), "default": _lazy("Nhánh mặc định"), "form": _lazy("Biểu mẫu"),
    "forms": _lazy("Biểu mẫu của quy trình"), "incoming": _lazy("Luồng vào"), "outgoing": _lazy("Luồng ra"),
    "source": _lazy("Từ"), "target": _lazy("Tới"), "condition": _lazy("Điều kiện"), "documentation": _lazy("Mô tả"),
    "definitions": _lazy("Định nghĩa sự kiện"), "attached_to": _lazy("Gắn vào bước"),
    "cancel_activity": _lazy("Ngắt bước"), "flow_nodes": _lazy("Các phần tử trong làn"),
}
DIFF_TYPES = {
    "userTask": _lazy("Bước xử lý"), "task": _lazy("Bước"), "manualTask": _lazy("Bước thủ công"),
    "serviceTask": _lazy("Bước tự động"), "scriptTask": _lazy("Bước tính toán"), "sequenceFlow": _lazy("Luồng"),
    "exclusiveGateway": _lazy("Rẽ nhánh"), "parallelGateway": _lazy("Song song"), "startEvent": _lazy("Bắt đầu"),
    "endEvent": _lazy("Kết thúc"), "boundaryEvent": _lazy("Sự kiện gắn bước"), "lane": _lazy("Làn"),
    "intermediateCatchEvent": _lazy("Sự kiện chờ"), "process": _lazy("Quy trình"),
}


def _readable(result):
    """Labels for the diff's element types and fields, in the page's language."""
    for group in ("added", "removed", "changed"):
        for element in result[group]:
            element["type_label"] = DIFF_TYPES.get(element["type"], element["type"])
            for row in element.get("rows", ()):
                row["label"] = DIFF_FIELDS.get(row["field"], row["field"])
    return result


@designer_required
@require_GET
def diff(request, code):
    """Two versions (?a=&b=), or an open draft against the version it was made from (?draft=)."""
    procedure = Procedure.objects.filter(code=code).first()
    if procedure is None:
        raise Http404
    numbers = list(procedure.versions.order_by("-number").values_list("number", flat=True))
    draft = None
    if request.GET.get("draft"):
        draft = procedure.drafts.filter(pk=request.GET["draft"]).first() if request.GET["draft"].isdigit() else None
        if draft is None:
            raise Http404(_("Không có bản nháp này."))
    a = request.GET.get("a") or (numbers[1] if len(numbers) > 1 else (numbers[0] if numbers else ""))
    b = request.GET.get("b") or (numbers[0] if numbers else "")
    result, error, status = None, None, 200
    if numbers:
        try:
            result = _readable(studio_services.draft_diff(draft.pk) if draft
                               else studio_services.version_diff(code, a, b))
        except ServiceError as exc:
            error, status = exc.message, exc.status_code
    return render(request, "webui/studio_diff.html", {
        "procedure": procedure, "numbers": numbers, "a": str(a), "b": str(b), "diff": result, "error": error,
        "draft": draft,
    }, status=status)


# ---------------------------------------------------------------------------------------------------------------
# migrating running dossiers


def _open_by_version(procedure):
    rows = (Dossier.objects.filter(procedure=procedure, status__in=OPEN_STATUSES).values("version__number")
            .annotate(n=Count("pk")).order_by("-version__number"))
    return {row["version__number"]: row["n"] for row in rows}


def _migration_form(procedure, data=None):
    numbers = list(procedure.versions.order_by("-number").values_list("number", flat=True))
    initial = {}
    if len(numbers) > 1:
        open_counts = _open_by_version(procedure)
        older = [n for n in numbers[1:] if open_counts.get(n)]
        initial = {"from_version": older[0] if older else numbers[1], "to_version": numbers[0]}
    return MigrationForm(data, numbers=numbers, initial=initial), numbers


@designer_required
def migrate(request, code):
    """GET: the open dossiers per version and the form. POST action=plan: the dry run's report, with the button that
    runs it for real (the same choices); action=run: the migration, dossier by dossier, and its report."""
    procedure = Procedure.objects.filter(code=code).first()
    if procedure is None:
        raise Http404
    if request.method not in ("GET", "POST"):
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    form, numbers = _migration_form(procedure, request.POST if request.method == "POST" else None)
    report, status = None, 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action not in ("plan", "run"):
            form.add_error(None, _("Hãy chọn chạy thử hoặc chuyển."))
            status = 400
        elif not form.is_valid():
            status = 400
        else:
            data = form.cleaned_data
            try:
                report = migration_services.migrate_dossiers(
                    procedure_code=procedure.code, from_version=data["from_version"],
                    to_version=data["to_version"], actor=actor_of(request), dossier_codes=data["dossiers"],
                    dry_run=action == "plan")
            except ServiceError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = exc.status_code
            else:
                _describe(report, procedure)
                if action == "run":
                    messages.success(request, _("Đã chuyển %(n)s hồ sơ sang phiên bản %(v)s.")
                                     % {"n": report["summary"]["migrated"], "v": report["to_version"]})
    return render(request, "webui/studio_migrate.html", {
        "procedure": procedure, "form": form, "numbers": numbers, "report": report,
        "open_counts": sorted(_open_by_version(procedure).items(), reverse=True),
    }, status=status)


def _describe(report, procedure):
    """Step names of both versions for the report's ids."""
    names = {}
    for version in procedure.versions.filter(number__in=[report["from_version"], report["to_version"]]):
        for step in version.steps or []:
            names.setdefault(step["bpmn_id"], step.get("name") or step["bpmn_id"])
    report["step_names"] = names
    for entry in report["dossiers"]:
        plan = entry.get("plan") or {}
        entry["reset_names"] = [s.get("name") or s["bpmn_id"] for s in plan.get("reset", [])]
        entry["ready_after_names"] = [s.get("name") or s["bpmn_id"] for s in plan.get("ready_after", [])]
        entry["timers"] = [_local(t) for t in entry.get("timers") or []]
        entry["timers_planned"] = [f"{s.get('name') or s['bpmn_id']}: {_local(s['due_at'])}" if s.get("due_at")
                                   else (s.get("name") or s["bpmn_id"]) for s in plan.get("timers_after", [])]
        items = entry.get("work_items") or {}
        entry["items"] = {k: [names.get(i, i) for i in items.get(k, [])] for k in ("kept", "cancelled", "created")}


def _local(iso):
    """An ISO time of the report as dd/mm/yyyy HH:MM in Vietnam's time."""
    try:
        return datetime.fromisoformat(iso).astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")
    except (TypeError, ValueError):
        return iso or ""
