"""The designer studio's services: drafts of a procedure's diagram, their validation, deployment (directly, or after a
second designer approves), the diff of two versions and their XML.

Rules (README, "The designer studio"):
- Every change is made by a process designer (Role.PROCESS_DESIGNER in any unit); anyone else gets NotAllowed (403).
- A draft is saved even when it has modelling problems (it may be unfinished); the problems are stored with their
  element ids. XML that the hardened loader refuses (over 2 MB, not UTF-8, not XML, DOCTYPE / entities, too deep,
  not bpmn:definitions) is refused with InvalidInput(field="bpmn") and never stored.
- Each save carries the revision it was based on; a stale one is a Conflict (two designers, one draft).
- A draft deploys only without problems, through deploy_process_version (the one way a version is made); the
  version is immutable, the draft stays as DEPLOYED history pointing at it.
- settings.MOTCUA_DEPLOY_APPROVAL: a draft is submitted, then approved by another designer (neither the submitter
  nor its last editor); approving deploys. While submitted it cannot be edited; the approver may reject it back.
- A new procedure (catalogue row) is created with its first draft and stays inactive (not offered at reception)
  until that draft's first version deploys.
"""
import json
import re
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from lxml import etree

from engine import clock
from engine.bpmn import (
    BPMN_NS,
    FORM_KEY_PREFIX,
    MAX_BYTES,
    NS,
    SPIFF_NS,
    compile_bpmn,
    load_problems,
)
from engine.errors import BpmnInvalid
from engine.expressions import check_expression

from ..models import (
    DraftStatus,
    Field,
    Membership,
    OnlineLevel,
    Procedure,
    ProcessDraft,
    ProcessVersion,
    Role,
    StatutoryUnit,
    UnitKind,
)
from .errors import Conflict, InvalidInput, NotAllowed, NotFound
from .events import record_event
from .procedures import deploy_process_version
from .routing import known_department_kinds

__all__ = [
    "MAX_CONDITION_CHARS",
    "approval_required",
    "approve_draft",
    "check_condition",
    "create_draft",
    "deploy_draft",
    "discard_draft",
    "is_designer",
    "list_templates",
    "reject_draft",
    "require_designer",
    "save_draft",
    "submit_draft",
    "template_xml",
    "validate_xml",
    "version_diff",
    "version_xml",
]

MAX_CONDITION_CHARS = 4_000
TEMPLATES_DIR = Path(settings.BASE_DIR) / "bpmn" / "templates"
DEFAULT_TEMPLATE = "tiep_nhan_tham_dinh_ky"
_TEMPLATE_NAME = re.compile(r"[a-z0-9_]{1,60}")
_PROCEDURE_CODE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_HOURS_PER_DAY = Decimal(8)
EDITABLE = (DraftStatus.DRAFT,)
OPEN = (DraftStatus.DRAFT, DraftStatus.SUBMITTED)


# ---------------------------------------------------------------------------------------------------------------
# permissions


def is_designer(user):
    return (user is not None and getattr(user, "is_authenticated", False)
            and Membership.objects.filter(user=user, role=Role.PROCESS_DESIGNER).exists())


def require_designer(actor):
    if not is_designer(getattr(actor, "user", None)):
        raise NotAllowed("chỉ người thiết kế quy trình (process_designer) mới được làm việc này")


def approval_required():
    return bool(getattr(settings, "MOTCUA_DEPLOY_APPROVAL", False))


# ---------------------------------------------------------------------------------------------------------------
# validation


def _problem_dicts(problems):
    return [{"element_id": p.element_id, "message": p.message, "line": p.line} for p in problems]


def _as_bytes(xml, field="bpmn"):
    if isinstance(xml, str):
        try:
            return xml.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidInput("tệp BPMN chứa ký tự không hợp lệ (UTF-8)", field=field) from None
    if isinstance(xml, (bytes, bytearray, memoryview)):
        return bytes(xml)
    raise InvalidInput("thiếu nội dung BPMN (XML)", field=field)


def _safe_bytes(xml):
    """The upload as bytes when the hardened loader accepts it; InvalidInput(field="bpmn") otherwise."""
    data = _as_bytes(xml)
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"tệp BPMN {len(data)} byte, vượt quá giới hạn {MAX_BYTES // (1024 * 1024)} MB",
                           field="bpmn")
    refused = load_problems(data)
    if refused:
        p = refused[0]
        raise InvalidInput(f"không nhận tệp BPMN: {p.message}", field="bpmn", element_id=p.element_id,
                           problems=_problem_dicts(refused))
    return data


def _catalogue_problems(compiled, procedure):
    """What deploy_process_version would refuse about the catalogue, as problems at the process's id."""
    problems = []
    if compiled.procedure_code and compiled.procedure_code != procedure.code:
        problems.append({"element_id": compiled.process_id, "line": None,
                         "message": f"procedure_code {compiled.procedure_code!r} of the process is not this "
                                    f"procedure's code {procedure.code!r}"})
    if (Decimal(compiled.statutory_limit) != procedure.statutory_limit
            or compiled.statutory_unit != procedure.statutory_unit):
        problems.append({"element_id": compiled.process_id, "line": None,
                         "message": f"statutory_limit {compiled.statutory_limit} {compiled.statutory_unit} differs "
                                    f"from the catalogue's {_plain(procedure.statutory_limit)} "
                                    f"{procedure.statutory_unit}"})
    from .procedures import case_problems

    problems += [{"element_id": element_id, "line": None, "message": message}
                 for element_id, message in case_problems(compiled, procedure)]
    return problems


def _problems(data, filename, procedure=None):
    """Every problem of a safe document: our rules, SpiffWorkflow's parser and (with a procedure) the catalogue."""
    try:
        compiled = compile_bpmn(data, filename, known_department_kinds=known_department_kinds())
    except BpmnInvalid as exc:
        return _problem_dicts(exc.problems)
    return _catalogue_problems(compiled, procedure) if procedure is not None else []


def validate_xml(xml, filename="<upload>", procedure_code=None):
    """The problems of a BPMN document without saving it: [{"element_id", "message", "line"}], [] when it would
    deploy. A document the loader refuses gives that one problem (nothing raised). With procedure_code, the
    catalogue's statutory limit and code are checked too."""
    try:
        data = _as_bytes(xml)
    except InvalidInput as exc:
        return [{"element_id": None, "message": exc.message, "line": None}]
    refused = load_problems(data)
    if refused:
        return _problem_dicts(refused)
    procedure = None
    if procedure_code:
        procedure = Procedure.objects.filter(code=procedure_code).first()
        if procedure is None:
            raise NotFound(f"không có thủ tục mã {procedure_code}", field="procedure_code")
    return _problems(data, filename, procedure)


def check_condition(expression):
    """The expression checker's verdict on a gateway condition: None when allowed, else a message."""
    if not isinstance(expression, str):
        return "the condition must be text"
    source = expression.strip()
    if not source:
        return "the condition is empty"
    if len(source) > MAX_CONDITION_CHARS:
        return f"the condition is {len(source)} characters long; the limit is {MAX_CONDITION_CHARS}"
    if source.startswith(("${", "#{")):
        return f"{source!r} looks like a Camunda (JUEL) expression; write a Python expression such as approved == True"
    try:
        messages = check_expression(source)
    except Exception as exc:  # a checker bug must not break typing in the modeler
        return f"the condition could not be checked ({type(exc).__name__})"
    return "; ".join(messages) if messages else None


# ---------------------------------------------------------------------------------------------------------------
# templates


def list_templates():
    """[{"name", "title"}] of bpmn/templates/*.bpmn; title = the executable process's name."""
    result = []
    for path in sorted(TEMPLATES_DIR.glob("*.bpmn")):
        if not _TEMPLATE_NAME.fullmatch(path.stem):
            continue
        title = path.stem
        try:
            root = etree.fromstring(path.read_bytes(), _trusted_parser())
            process = root.find("bpmn:process", NS)
            if process is not None and process.get("name"):
                title = process.get("name")
        except etree.XMLSyntaxError:
            continue
        result.append({"name": path.stem, "title": title})
    return result


def _trusted_parser():
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _template_path(name):
    if not isinstance(name, str) or not _TEMPLATE_NAME.fullmatch(name):
        raise InvalidInput(f"mẫu quy trình {name!r} không hợp lệ", field="template")
    path = TEMPLATES_DIR / f"{name}.bpmn"
    if not path.is_file():
        known = ", ".join(t["name"] for t in list_templates()) or "không có"
        raise NotFound(f"không có mẫu quy trình {name!r} (có: {known})", field="template")
    return path


def _budget_hours(limit, unit):
    if unit == "same_day":
        return _HOURS_PER_DAY
    if unit == "working_days":
        return Decimal(limit) * _HOURS_PER_DAY
    weeks, rest = divmod(int(limit), 7)  # calendar days: the working days they surely contain (engine.bpmn)
    return Decimal(5 * weeks + max(0, rest - 2)) * _HOURS_PER_DAY


def _properties_of(element):
    holder = element.find("bpmn:extensionElements/spiffworkflow:properties", NS)
    return {p.get("name"): p for p in holder.iter(f"{{{SPIFF_NS}}}property")} if holder is not None else {}


def _set_property(element, name, value):
    props = _properties_of(element)
    if name in props:
        props[name].set("value", value)
        return
    ext = element.find("bpmn:extensionElements", NS)
    if ext is None:
        ext = etree.Element(f"{{{BPMN_NS}}}extensionElements")
        element.insert(0, ext)
    holder = ext.find("spiffworkflow:properties", NS)
    if holder is None:
        holder = etree.SubElement(ext, f"{{{SPIFF_NS}}}properties")
    etree.SubElement(holder, f"{{{SPIFF_NS}}}property", name=name, value=value)


def template_xml(name, procedure=None):
    """The template's XML; for a procedure, with its code, name and statutory limit, and each step's allocation
    scaled to the same share of the procedure's time (in office hours)."""
    raw = _template_path(name).read_bytes()
    if procedure is None:
        return raw.decode("utf-8")
    root = etree.fromstring(raw, _trusted_parser())
    process = root.find("bpmn:process", NS)
    props = _properties_of(process)
    old_budget = _budget_hours(Decimal(props["statutory_limit"].get("value")), props["statutory_unit"].get("value"))
    new_budget = _budget_hours(procedure.statutory_limit, procedure.statutory_unit)
    _set_property(process, "statutory_limit", _plain(procedure.statutory_limit))
    _set_property(process, "statutory_unit", procedure.statutory_unit)
    _set_property(process, "procedure_code", procedure.code)
    process.set("name", procedure.name)
    for participant in root.iter(f"{{{BPMN_NS}}}participant"):
        if participant.get("processRef") == process.get("id"):
            participant.set("name", procedure.name)
    if old_budget != new_budget and old_budget > 0:
        for task in process.findall("bpmn:userTask", NS):
            task_props = _properties_of(task)
            if "allocation_days" in task_props:
                hours = Decimal(task_props["allocation_days"].get("value")) * _HOURS_PER_DAY
                holder = task_props["allocation_days"].getparent()
                holder.remove(task_props["allocation_days"])
            elif "allocation_hours" in task_props:
                hours = Decimal(task_props["allocation_hours"].get("value"))
                holder = task_props["allocation_hours"].getparent()
                holder.remove(task_props["allocation_hours"])
            else:
                continue
            scaled = (hours * new_budget / old_budget).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
            _set_property(task, "allocation_hours", _plain(max(scaled, Decimal("0.01"))))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")


def _plain(value):
    return format(Decimal(value).normalize(), "f")


# ---------------------------------------------------------------------------------------------------------------
# a new procedure in the catalogue

PROCEDURE_FIELDS = {"code", "name", "name_en", "national_code", "field", "level", "statutory_limit", "statutory_unit",
                    "fee", "fee_note", "online_level", "required_documents"}


def _text(data, key, max_length, required=False):
    value = data.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"{key} phải là chuỗi", field=f"procedure.{key}")
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"thiếu {key}", field=f"procedure.{key}")
    if len(value) > max_length:
        raise InvalidInput(f"{key} dài quá {max_length} ký tự", field=f"procedure.{key}")
    return value


def _decimal(data, key, *, default=None, maximum, whole=False):
    value = data.get(key, default)
    if value is None:
        raise InvalidInput(f"thiếu {key}", field=f"procedure.{key}")
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise InvalidInput(f"{key} phải là số", field=f"procedure.{key}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidInput(f"{key} phải là số", field=f"procedure.{key}") from None
    if not number.is_finite() or number < 0 or number > maximum:
        raise InvalidInput(f"{key} phải từ 0 đến {maximum}", field=f"procedure.{key}")
    if whole and number != number.to_integral_value():
        raise InvalidInput(f"{key} phải là số nguyên", field=f"procedure.{key}")
    if number != number.quantize(Decimal("0.01")):
        raise InvalidInput(f"{key} có tối đa 2 chữ số thập phân", field=f"procedure.{key}")
    return number


def _choice(data, key, choices, default=None):
    value = data.get(key, default)
    if value not in choices:
        raise InvalidInput(f"{key} phải là một trong: {', '.join(choices)}", field=f"procedure.{key}")
    return value


def _create_procedure(data, actor):
    if not isinstance(data, dict):
        raise InvalidInput("procedure phải là một đối tượng (mã, tên, lĩnh vực, cấp, thời hạn...)", field="procedure")
    unknown = sorted(set(data) - PROCEDURE_FIELDS)
    if unknown:
        raise InvalidInput(f"trường không hỗ trợ: {unknown[0]}", field=f"procedure.{unknown[0]}")
    code = _text(data, "code", 60, required=True)
    if not _PROCEDURE_CODE.fullmatch(code):
        raise InvalidInput("mã thủ tục chỉ gồm chữ thường không dấu, số và dấu '-' (vd. cap-ban-sao-trich-luc)",
                           field="procedure.code")
    if Procedure.objects.filter(code=code).exists():
        raise Conflict(f"thủ tục mã {code} đã có trong danh mục", field="procedure.code")
    name = _text(data, "name", 400, required=True)
    field_code = _text(data, "field", 40, required=True)
    field = Field.objects.filter(code=field_code).first()
    if field is None:
        raise NotFound(f"không có lĩnh vực mã {field_code}", field="procedure.field")
    level = _choice(data, "level", [c for c in UnitKind.values if c != UnitKind.DEPARTMENT])
    unit = _choice(data, "statutory_unit", StatutoryUnit.values)
    limit = _decimal(data, "statutory_limit", maximum=Decimal(3660), whole=(unit == "calendar_days"))
    if unit == "same_day" and limit != 0:
        raise InvalidInput("thời hạn same_day phải là 0", field="procedure.statutory_limit")
    if unit != "same_day" and limit == 0:
        raise InvalidInput("thời hạn phải lớn hơn 0 (hoặc dùng same_day)", field="procedure.statutory_limit")
    fee = _decimal(data, "fee", default=0, maximum=Decimal(10) ** 11, whole=True)
    online = _choice(data, "online_level", OnlineLevel.values, default=OnlineLevel.PARTIAL)
    documents = data.get("required_documents", [])
    if not isinstance(documents, list) or len(documents) > 100 or not all(
            isinstance(d, dict) and set(d) <= {"name", "copies"} and isinstance(d.get("name"), str)
            and 0 < len(d["name"].strip()) <= 300 and type(d.get("copies", 1)) is int and 1 <= d.get("copies", 1) <= 99
            for d in documents):
        raise InvalidInput('required_documents là danh sách [{"name": "...", "copies": 1}]',
                           field="procedure.required_documents")
    try:
        with transaction.atomic():
            procedure = Procedure.objects.create(
                code=code, name=name, name_en=_text(data, "name_en", 400),
                national_code=_text(data, "national_code", 40), field=field, level=level, statutory_limit=limit,
                statutory_unit=unit, fee=fee, fee_note=_text(data, "fee_note", 300), online_level=online,
                required_documents=[{"name": d["name"].strip(), "copies": d.get("copies", 1)} for d in documents],
                active=False,  # offered at reception once its first version deploys
            )
    except IntegrityError:
        raise Conflict(f"thủ tục mã {code} đã có trong danh mục", field="procedure.code") from None
    record_event("procedure_created", actor=actor,
                 after={"procedure": code, "name": name, "statutory_limit": _plain(limit), "statutory_unit": unit})
    return procedure


# ---------------------------------------------------------------------------------------------------------------
# drafts


def _draft_for_update(draft_id):
    try:
        draft_id = int(draft_id)
    except (TypeError, ValueError):
        raise NotFound(f"không có bản nháp {draft_id!r}", field="draft") from None
    draft = (ProcessDraft.objects.select_for_update(of=("self",)).select_related("procedure", "based_on")
             .filter(pk=draft_id).first())
    if draft is None:
        raise NotFound(f"không có bản nháp {draft_id}", field="draft")
    return draft


def _require_status(draft, allowed, action):
    if draft.status not in allowed:
        raise Conflict(f"bản nháp {draft.pk} đang ở trạng thái {draft.get_status_display()} ({draft.status}): "
                       f"không thể {action}", field="status")


def _filename(draft_or_name):
    return draft_or_name if isinstance(draft_or_name, str) else f"draft-{draft_or_name.pk}.bpmn"


@transaction.atomic
def create_draft(*, actor, procedure_code=None, from_version=None, template=None, xml=None, filename="<upload>",
                 procedure=None):
    """A new draft. Its procedure: `procedure_code` (an existing one), or `procedure` (a dict of catalogue fields:
    creates the row, inactive until deployed), or, for an imported file alone, the file's procedure_code property.
    Its diagram, exactly one source: `xml` (an imported file), `template` (a name in bpmn/templates/, filled with
    the procedure's code, name and limit), or else the procedure's latest version (or `from_version`)."""
    require_designer(actor)
    given = {"xml": xml, "template": template, "from_version": from_version}
    sources = [name for name, value in given.items() if value is not None]
    if len(sources) > 1:
        raise InvalidInput(f"chỉ chọn một nguồn cho bản nháp (đã chọn {', '.join(sources)})", field=sources[1])
    if procedure_code is not None and procedure is not None:
        raise InvalidInput("chọn thủ tục có sẵn (procedure_code) hoặc tạo thủ tục mới (procedure), không cả hai",
                           field="procedure")
    data = _safe_bytes(xml) if xml is not None else None
    if procedure is not None:
        if data is None and template is None:
            raise InvalidInput("thủ tục mới bắt đầu từ một mẫu (template) hoặc một tệp BPMN (xml)", field="template")
        proc = _create_procedure(procedure, actor)
    else:
        if procedure_code is None and data is not None:
            procedure_code = _declared_code(data)
        if not procedure_code:
            raise InvalidInput("thiếu mã thủ tục (procedure_code) hoặc thông tin thủ tục mới (procedure)",
                               field="procedure_code")
        if not isinstance(procedure_code, str):
            raise InvalidInput("mã thủ tục phải là chuỗi", field="procedure_code")
        proc = Procedure.objects.filter(code=procedure_code).first()
        if proc is None:
            raise NotFound(f"không có thủ tục mã {procedure_code}", field="procedure_code")
    based_on = None
    if data is not None:
        title = f"Nhập từ tệp {filename}"[:300]
    elif template is not None:
        data = template_xml(template, proc).encode("utf-8")
        title = f"Từ mẫu {template}"
        filename = f"{template}.bpmn"
    else:
        versions = proc.versions.order_by("-number")
        if from_version is not None:
            if isinstance(from_version, bool) or not isinstance(from_version, (int, str)) or \
                    not str(from_version).isdigit():
                raise InvalidInput("from_version phải là số phiên bản", field="from_version")
            based_on = versions.filter(number=int(from_version)).first()
            if based_on is None:
                raise NotFound(f"thủ tục {proc.code} không có phiên bản {from_version}", field="from_version")
        else:
            based_on = versions.first()
            if based_on is None:
                raise InvalidInput(f"thủ tục {proc.code} chưa có phiên bản nào: hãy chọn một mẫu (template) hoặc "
                                   f"nhập tệp BPMN (xml)", field="template")
        data = based_on.bpmn_xml.encode("utf-8")
        title = f"Từ phiên bản {based_on.number}"
        filename = f"{proc.code}-v{based_on.number}.bpmn"
    now = clock.now()
    draft = ProcessDraft.objects.create(
        procedure=proc, based_on=based_on, title=title, bpmn_xml=data.decode("utf-8"),
        problems=_problems(data, filename, proc), status=DraftStatus.DRAFT, revision=1,
        created_by=actor.user, created_at=now, updated_by=actor.user, updated_at=now,
    )
    record_event("draft_created", actor=actor,
                 after={"draft": draft.pk, "procedure": proc.code, "source": sources[0] if sources else "latest",
                        "based_on": based_on.number if based_on else None, "template": template,
                        "problems": len(draft.problems)})
    return draft


def _declared_code(data):
    root = etree.fromstring(data, _trusted_parser())  # already accepted by the hardened loader
    for process in root.findall("bpmn:process", NS):
        if process.get("isExecutable") == "true":
            prop = _properties_of(process).get("procedure_code")
            if prop is not None and (prop.get("value") or "").strip():
                return prop.get("value").strip()
    return None


@transaction.atomic
def save_draft(*, draft_id, xml, actor, revision):
    """Saves the diagram (even with modelling problems, which are stored); `revision` must be the draft's current
    one (else Conflict); hostile or non-BPMN XML is refused and not stored."""
    require_designer(actor)
    draft = _draft_for_update(draft_id)
    _require_status(draft, EDITABLE, "sửa")
    if isinstance(revision, bool) or not isinstance(revision, int):
        if isinstance(revision, str) and revision.isdigit():
            revision = int(revision)
        else:
            raise InvalidInput("revision phải là số nguyên (phiên bản bản nháp đã mở)", field="revision")
    if revision != draft.revision:
        raise Conflict(f"bản nháp đã được lưu lại (revision {draft.revision}) sau khi anh/chị mở (revision "
                       f"{revision}); hãy tải lại", field="revision")
    data = _safe_bytes(xml)
    before = {"revision": draft.revision, "problems": len(draft.problems)}
    draft.bpmn_xml = data.decode("utf-8")
    draft.problems = _problems(data, _filename(draft), draft.procedure)
    draft.revision += 1
    draft.updated_by = actor.user
    draft.updated_at = clock.now()
    draft.save(update_fields=["bpmn_xml", "problems", "revision", "updated_by", "updated_at"])
    record_event("draft_saved", actor=actor, before=before,
                 after={"draft": draft.pk, "procedure": draft.procedure.code, "revision": draft.revision,
                        "problems": len(draft.problems)})
    return draft


def _refuse_with_problems(draft):
    """Validates again (department kinds or the catalogue may have changed since the save)."""
    problems = _problems(draft.bpmn_xml.encode("utf-8"), _filename(draft), draft.procedure)
    if problems:
        first = problems[0]
        raise InvalidInput(f"bản nháp còn {len(problems)} lỗi; lỗi đầu: {first['message']}", field="bpmn",
                           element_id=first["element_id"], problems=problems)


def _deploy(draft, actor):
    _refuse_with_problems(draft)
    had_versions = draft.procedure.versions.exists()
    version = deploy_process_version(xml=draft.bpmn_xml, filename=_filename(draft),
                                     procedure_code=draft.procedure.code, actor=actor)
    if not had_versions and not draft.procedure.active:
        Procedure.objects.filter(pk=draft.procedure.pk).update(active=True)
    draft.status = DraftStatus.DEPLOYED
    draft.deployed_version = version
    draft.problems = []
    draft.save(update_fields=["status", "deployed_version", "problems", "approved_by"])
    record_event("draft_deployed", actor=actor,
                 after={"draft": draft.pk, "procedure": draft.procedure.code, "version": version.number,
                        "approved_by": draft.approved_by.username if draft.approved_by else None})
    return version


@transaction.atomic
def deploy_draft(*, draft_id, actor):
    """Deploys a draft without problems as the procedure's next version (refused while approval is required)."""
    require_designer(actor)
    draft = _draft_for_update(draft_id)
    _require_status(draft, EDITABLE, "triển khai")
    if approval_required():
        raise Conflict("cần một người thiết kế khác phê duyệt: hãy gửi duyệt (submit) bản nháp", field="status")
    return _deploy(draft, actor)


@transaction.atomic
def submit_draft(*, draft_id, actor):
    """Asks another designer to approve (and so deploy) the draft; it must have no problems, and cannot be edited
    while submitted."""
    require_designer(actor)
    draft = _draft_for_update(draft_id)
    _require_status(draft, EDITABLE, "gửi duyệt")
    _refuse_with_problems(draft)
    draft.status = DraftStatus.SUBMITTED
    draft.submitted_by = actor.user
    draft.submitted_at = clock.now()
    draft.save(update_fields=["status", "submitted_by", "submitted_at"])
    record_event("draft_submitted", actor=actor,
                 after={"draft": draft.pk, "procedure": draft.procedure.code, "revision": draft.revision})
    return draft


@transaction.atomic
def approve_draft(*, draft_id, actor):
    """A second designer approves a submitted draft, which deploys it. Neither its submitter nor its last editor
    may approve it."""
    require_designer(actor)
    draft = _draft_for_update(draft_id)
    _require_status(draft, (DraftStatus.SUBMITTED,), "phê duyệt")
    if actor.user.pk in (draft.submitted_by_id, draft.updated_by_id):
        raise NotAllowed("người gửi duyệt hoặc người sửa bản nháp sau cùng không được tự phê duyệt; cần một người "
                         "thiết kế khác", field="approved_by")
    draft.approved_by = actor.user
    record_event("draft_approved", actor=actor,
                 after={"draft": draft.pk, "procedure": draft.procedure.code,
                        "submitted_by": draft.submitted_by.username if draft.submitted_by else None})
    return _deploy(draft, actor)


@transaction.atomic
def reject_draft(*, draft_id, actor, reason=""):
    """Sends a submitted draft back for editing (another designer, or its submitter withdrawing it)."""
    require_designer(actor)
    draft = _draft_for_update(draft_id)
    _require_status(draft, (DraftStatus.SUBMITTED,), "trả lại")
    if not isinstance(reason, str) or len(reason) > 1000:
        raise InvalidInput("lý do tối đa 1000 ký tự", field="reason")
    draft.status = DraftStatus.DRAFT
    submitted_by = draft.submitted_by
    draft.submitted_by = None
    draft.submitted_at = None
    draft.save(update_fields=["status", "submitted_by", "submitted_at"])
    record_event("draft_rejected", actor=actor,
                 after={"draft": draft.pk, "procedure": draft.procedure.code, "reason": reason.strip(),
                        "submitted_by": submitted_by.username if submitted_by else None})
    return draft


@transaction.atomic
def discard_draft(*, draft_id, actor):
    """Abandons an open draft (kept, as DISCARDED, for the record)."""
    require_designer(actor)
    draft = _draft_for_update(draft_id)
    _require_status(draft, OPEN, "hủy")
    draft.status = DraftStatus.DISCARDED
    draft.updated_by = actor.user
    draft.updated_at = clock.now()
    draft.save(update_fields=["status", "updated_by", "updated_at"])
    record_event("draft_discarded", actor=actor, after={"draft": draft.pk, "procedure": draft.procedure.code})
    return draft


# ---------------------------------------------------------------------------------------------------------------
# versions: XML and diff


def _version(procedure_code, number, field):
    if isinstance(number, bool):
        number = None
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field} phải là số phiên bản", field=field) from None
    if not Procedure.objects.filter(code=procedure_code).exists():
        raise NotFound(f"không có thủ tục mã {procedure_code}", field="procedure_code")
    version = ProcessVersion.objects.filter(procedure__code=procedure_code, number=number).first()
    if version is None:
        raise NotFound(f"thủ tục {procedure_code} không có phiên bản {number}", field=field)
    return version


def version_xml(procedure_code, number):
    """The deployed BPMN of one version, as it was deployed."""
    return _version(procedure_code, number, "number").bpmn_xml


def version_diff(procedure_code, a, b):
    """Elements added, removed and changed from version a to version b, by BPMN element id. "changed" compares a
    canonical form of each element (type, name, lane, properties, condition(s), default flow, form, incoming and
    outgoing flows, source/target, event definitions, documentation); the drawing (bpmndi) is ignored."""
    va, vb = _version(procedure_code, a, "a"), _version(procedure_code, b, "b")
    return {"procedure": procedure_code, "a": va.number, "b": vb.number, **_diff(va.bpmn_xml, vb.bpmn_xml)}


def draft_diff(draft_id):
    """What a draft changes in the version it was made from (or the latest version when it was made from a template
    or a file): the same lists as version_diff, "b" being the draft. For whoever approves or deploys it."""
    draft = ProcessDraft.objects.select_related("procedure", "based_on").filter(pk=draft_id).first()
    if draft is None:
        raise NotFound("không có bản nháp này", field="draft")
    base = draft.based_on or draft.procedure.versions.order_by("-number").first()
    if base is None:
        raise NotFound(f"thủ tục {draft.procedure.code} chưa có phiên bản nào để so sánh", field="draft")
    try:
        elements = _diff(base.bpmn_xml, draft.bpmn_xml)
    except etree.XMLSyntaxError:
        raise InvalidInput("bản nháp không phải XML hợp lệ: sửa và lưu lại trước khi so sánh", field="bpmn") from None
    return {"procedure": draft.procedure.code, "a": base.number, "b": None, "draft": draft.pk, **elements}


def _diff(xml_a, xml_b):
    ea, eb = _canonical_elements(xml_a), _canonical_elements(xml_b)

    def brief(e, element_id):
        return {"id": element_id, "type": e["type"], "name": e["name"]}

    changed = []
    for element_id in sorted(set(ea) & set(eb)):
        before, after = ea[element_id], eb[element_id]
        if before == after:
            continue
        keys = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        changed.append({**brief(after, element_id), "fields": keys,
                        "before": {k: before.get(k) for k in keys}, "after": {k: after.get(k) for k in keys},
                        "rows": _diff_rows(before, after, keys)})
    return {
        "added": [brief(eb[i], i) for i in sorted(set(eb) - set(ea))],
        "removed": [brief(ea[i], i) for i in sorted(set(ea) - set(eb))],
        "changed": changed,
    }


def _diff_rows(before, after, keys):
    """The changed values as rows a person reads: [{"field", "key", "before", "after"}], where a dictionary (the
    properties, a gateway's conditions, a form's components by key) gives one row per entry that differs and every
    value is text ("" when absent)."""
    rows = []
    for field in keys:
        a, b = before.get(field), after.get(field)
        if field in ("form", "forms") or isinstance(a, dict) or isinstance(b, dict):
            a, b = _as_entries(field, a), _as_entries(field, b)
            for key in sorted(set(a) | set(b), key=str):
                if a.get(key) != b.get(key):
                    rows.append({"field": field, "key": key, "before": a.get(key, ""), "after": b.get(key, "")})
        else:
            rows.append({"field": field, "key": "", "before": _as_text(a), "after": _as_text(b)})
    return rows


def _as_entries(field, value):
    if value is None:
        return {}
    if field == "form":
        return _form_entries(value)
    if field == "forms":
        return {form_id: _as_text(_form_entries(schema)) for form_id, schema in value.items()}
    if not isinstance(value, dict):
        return {"": _as_text(value)}
    return {str(k): _as_text(v) for k, v in value.items()}


def _form_entries(schema):
    """A form-js schema as {component key: "type · label · required …"}; a form that is not JSON is one entry."""
    if not isinstance(schema, dict):
        return {"": _as_text(schema)}
    entries = {}

    def walk(components):
        for c in components or []:
            if not isinstance(c, dict):
                continue
            key = c.get("key") or c.get("id") or c.get("type") or "?"
            validate = c.get("validate") if isinstance(c.get("validate"), dict) else {}
            parts = [c.get("type"), c.get("label") or c.get("text")]
            parts += [f"{k}={v}" for k, v in sorted(validate.items())]
            if c.get("values"):
                parts.append("/".join(str(v.get("value")) for v in c["values"] if isinstance(v, dict)))
            entries[str(key)] = " · ".join(str(p) for p in parts if p not in (None, ""))
            walk(c.get("components"))

    walk(schema.get("components"))
    return entries


def _as_text(value):
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(_as_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_as_text(v)}" for k, v in value.items())
    return str(value)


_SKIP_CHILDREN = {"incoming", "outgoing", "extensionElements", "documentation", "conditionExpression",
                  "flowNodeRef", "laneSet", "lane", "childLaneSet"}


def _canonical_elements(xml):
    root = etree.fromstring(xml.encode("utf-8"), _trusted_parser())
    elements = {}
    for process in root.findall("bpmn:process", NS):
        lanes = {}
        for ref in process.iter(f"{{{BPMN_NS}}}flowNodeRef"):
            lanes[(ref.text or "").strip()] = ref.getparent().get("name")
        forms = {}
        for form in process.findall("bpmn:extensionElements/zeebe:userTaskForm", NS):
            forms[form.get("id")] = _json_or_text(form.text)
        incoming, outgoing, conditions = {}, {}, {}
        for flow in process.findall("bpmn:sequenceFlow", NS):
            outgoing.setdefault(flow.get("sourceRef"), []).append(flow.get("id"))
            incoming.setdefault(flow.get("targetRef"), []).append(flow.get("id"))
            condition = flow.find("bpmn:conditionExpression", NS)
            if condition is not None:
                conditions.setdefault(flow.get("sourceRef"), {})[flow.get("id")] = (condition.text or "").strip()
        elements[process.get("id")] = {"type": "process", "name": process.get("name"),
                                       "properties": _property_values(process), "forms": forms,
                                       "documentation": _documentation(process)}
        for lane in process.iter(f"{{{BPMN_NS}}}lane"):
            elements[lane.get("id")] = {"type": "lane", "name": lane.get("name"),
                                        "flow_nodes": sorted((r.text or "").strip() for r in
                                                             lane.findall("bpmn:flowNodeRef", NS))}
        for element in process:
            if not isinstance(element.tag, str) or not element.tag.startswith(f"{{{BPMN_NS}}}"):
                continue
            local = element.tag.split("}", 1)[1]
            element_id = element.get("id")
            if not element_id or local in ("laneSet", "extensionElements", "documentation"):
                continue
            canonical = {"type": local, "name": element.get("name"), "documentation": _documentation(element)}
            if local == "sequenceFlow":
                condition = element.find("bpmn:conditionExpression", NS)
                canonical.update(source=element.get("sourceRef"), target=element.get("targetRef"),
                                 condition=(condition.text or "").strip() if condition is not None else None)
            else:
                canonical.update(lane=lanes.get(element_id), incoming=sorted(incoming.get(element_id, [])),
                                 outgoing=sorted(outgoing.get(element_id, [])),
                                 properties=_property_values(element))
                if element_id in conditions or local.endswith("Gateway"):
                    canonical.update(conditions=conditions.get(element_id, {}), default=element.get("default"))
                definition = element.find("bpmn:extensionElements/zeebe:formDefinition", NS)
                if definition is not None:
                    key = definition.get("formKey") or ""
                    form_id = key.removeprefix(FORM_KEY_PREFIX)
                    canonical["form"] = forms.get(form_id, key)
                if element.get("attachedToRef"):
                    canonical.update(attached_to=element.get("attachedToRef"),
                                     cancel_activity=element.get("cancelActivity", "true"))
                rest = [_c14n(child) for child in element if isinstance(child.tag, str)
                        and child.tag.split("}", 1)[-1] not in _SKIP_CHILDREN]
                if rest:
                    canonical["definitions"] = rest
            elements[element_id] = canonical
    return elements


def _property_values(element):
    return {name: prop.get("value") for name, prop in _properties_of(element).items()}


def _documentation(element):
    texts = [(d.text or "").strip() for d in element.findall("bpmn:documentation", NS)]
    return "\n".join(t for t in texts if t) or None


def _json_or_text(text):
    try:
        return json.loads(text or "")
    except ValueError:
        return (text or "").strip()


def _c14n(element):
    """An element's canonical text with whitespace-only text dropped (event definitions, loop settings...)."""
    copy = etree.fromstring(etree.tostring(element))
    for node in copy.iter():
        if node.text is not None and not node.text.strip():
            node.text = None
        if node.tail is not None and not node.tail.strip():
            node.tail = None
    return etree.tostring(copy, method="c14n").decode("utf-8")
