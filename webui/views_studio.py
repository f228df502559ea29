"""The designer studio's pages (issue 5): the procedures with their versions and drafts, a new draft (from the latest
version, a template or an imported file), the editor (bpmn-js Modeler, webui/static_src/studio.js), saving a draft
(JSON: the server's problems, each with its element id, drawn on the diagram), deploying (or submitting / approving
when settings.MOTCUA_DEPLOY_APPROVAL is on), the XML of drafts and versions, the diff of two versions, and the
condition checker the properties panel calls as the designer types.

Thin: each action calls one function of processes.services.studio. Every URL is for process designers only
(role process_designer in any unit): anyone else gets 403, before anything is looked up."""
import json
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from processes.models import DraftStatus, Field, Membership, Procedure, ProcessDraft, Role
from processes.services import studio as studio_services
from processes.services.errors import ServiceError
from processes.services.routing import known_department_kinds

from . import labels
from .auth import official_required
from .forms_studio import NewDraftForm, NewProcedureForm
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
    for p in procedures:
        p.version_list = sorted(p.version_list, key=lambda v: -v.number)
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
    }


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


@designer_required
@require_GET
def diff(request, code):
    procedure = Procedure.objects.filter(code=code).first()
    if procedure is None:
        raise Http404
    numbers = list(procedure.versions.order_by("-number").values_list("number", flat=True))
    a = request.GET.get("a") or (numbers[1] if len(numbers) > 1 else (numbers[0] if numbers else ""))
    b = request.GET.get("b") or (numbers[0] if numbers else "")
    result, error, status = None, None, 200
    if numbers:
        try:
            result = studio_services.version_diff(code, a, b)
        except ServiceError as exc:
            error, status = exc.message, exc.status_code
    return render(request, "webui/studio_diff.html", {
        "procedure": procedure, "numbers": numbers, "a": str(a), "b": str(b), "diff": result, "error": error,
    }, status=status)
