"""Deploying BPMN versions of procedures."""
from decimal import Decimal

from django.db import transaction

from engine import clock
from engine.bpmn import compile_bpmn
from engine.errors import BpmnInvalid, EngineError

from ..models import CaseKind, Membership, Procedure, ProcessVersion, Role
from .errors import InvalidInput, NotAllowed, NotFound
from .events import SYSTEM, record_event
from .routing import known_department_kinds


def problems_as_dicts(problems, filename):
    return [{"line": p.line, "element_id": p.element_id, "message": p.message, "text": p.format(filename)} for p in problems]


def compile_for_deploy(xml, filename="<upload>"):
    """Validates under our rules with the department kinds that exist; raises InvalidInput listing every problem."""
    try:
        return compile_bpmn(xml, filename, known_department_kinds=known_department_kinds())
    except BpmnInvalid as exc:
        problems = exc.problems
        first = problems[0] if problems else None
        raise InvalidInput(
            f"BPMN không hợp lệ: {first.format(filename) if first else exc}",
            field="bpmn",
            element_id=first.element_id if first else None,
            problems=problems_as_dicts(problems, filename),
        ) from exc
    except EngineError as exc:
        raise InvalidInput(f"BPMN không hợp lệ: {exc}", field="bpmn", element_id=getattr(exc, "element_id", None)) from exc


def _check_designer(actor):
    if actor.user is None:
        return  # the platform itself (seeding, management commands run by an operator)
    if not Membership.objects.filter(user=actor.user, role=Role.PROCESS_DESIGNER).exists():
        raise NotAllowed("chỉ người thiết kế quy trình mới được triển khai phiên bản")


@transaction.atomic
def deploy_process_version(*, xml, filename="<upload>", procedure_code=None, actor=SYSTEM):
    """Creates the next version of a procedure from BPMN. The procedure is the one named, or the BPMN's
    procedure_code property; the statutory limit in the diagram must match the catalogue."""
    _check_designer(actor)
    if isinstance(xml, str):
        xml = xml.encode("utf-8")
    compiled = compile_for_deploy(xml, filename)
    code = procedure_code or compiled.procedure_code
    if not code:
        raise InvalidInput(
            "không xác định được thủ tục: hãy chỉ định mã thủ tục hoặc khai báo procedure_code trong quy trình",
            field="procedure_code",
            element_id=compiled.process_id,
        )
    try:
        procedure = Procedure.objects.select_for_update().get(code=code)
    except Procedure.DoesNotExist:
        raise NotFound(f"không có thủ tục mã {code} trong danh mục", field="procedure_code") from None
    if compiled.procedure_code and procedure_code and compiled.procedure_code != procedure_code:
        raise InvalidInput(
            f"quy trình khai báo thủ tục {compiled.procedure_code}, không phải {procedure_code}",
            field="procedure_code",
            element_id=compiled.process_id,
        )
    if Decimal(compiled.statutory_limit) != procedure.statutory_limit or compiled.statutory_unit != procedure.statutory_unit:
        raise InvalidInput(
            f"thời hạn trong quy trình ({compiled.statutory_limit} {compiled.statutory_unit}) khác thời hạn trong danh mục "
            f"({procedure.statutory_limit} {procedure.statutory_unit})",
            field="statutory_limit",
            element_id=compiled.process_id,
        )
    unknown = case_problems(compiled, procedure)
    if unknown:
        element_id, message = unknown[0]
        raise InvalidInput(f"BPMN không hợp lệ: {message}", field="bpmn", element_id=element_id,
                           problems=[{"line": None, "element_id": e, "message": m, "text": f"{filename}: {e}: {m}"}
                                     for e, m in unknown])
    last = procedure.versions.order_by("-number").first()
    if last is not None and last.checksum == compiled.checksum:
        raise InvalidInput(f"phiên bản {last.number} đã có nội dung y hệt", field="bpmn")
    version = ProcessVersion.objects.create(
        procedure=procedure,
        number=(last.number + 1) if last else 1,
        process_id=compiled.process_id,
        bpmn_xml=xml.decode("utf-8"),
        spec_json=compiled.spec_json,
        checksum=compiled.checksum,
        steps=[step_as_dict(s) for s in compiled.steps],
        end_outcomes=compiled.end_outcomes,
        deployed_by=actor.user,
        deployed_at=clock.now(),
    )
    record_event(
        "version_deployed",
        actor=actor,
        after={"procedure": procedure.code, "version": version.number, "process_id": version.process_id,
               "checksum": version.checksum},
    )
    return version


def case_problems(compiled, procedure):
    """[(element id, message)] for each step whose clock_phase is not one of the procedure's clock phases, and, for
    a case (complaint, denunciation, petition, dialogue), each end event without its case_outcome: the statistics
    count a case as resolved, not accepted or forwarded by what its end declares, never by the end's id."""
    known = sorted(k for k in (procedure.clock_phases or {}) if k != "initial")
    problems = [(step.bpmn_id, f"clock_phase {step.clock_phase!r} of user task {step.bpmn_id} is not a clock phase "
                               f"of procedure {procedure.code} (known: {', '.join(known) or 'none'})")
                for step in compiled.steps if step.clock_phase and step.clock_phase not in known]
    if procedure.kind != CaseKind.ADMINISTRATIVE:
        problems += [(end_id, f"end event {end_id} of {procedure.get_kind_display()} {procedure.code} lacks the "
                              f"property case_outcome (resolved, not_accepted or forwarded): the statistics count "
                              f"the case by it")
                     for end_id, outcome in compiled.end_events if not outcome]
    return problems


def _num(value):
    return None if value is None else str(value)


def step_as_dict(step):
    return {
        "bpmn_id": step.bpmn_id,
        "name": step.name,
        "lane": step.lane,
        "allocation_days": _num(step.allocation_days),
        "allocation_hours": _num(step.allocation_hours),
        "legal_extension_days": _num(step.legal_extension_days),
        "required_fields": list(step.required_fields or []),
        "form": getattr(step, "form", None),  # the step's form-js schema (engine.forms), None without one
        "clock_phase": getattr(step, "clock_phase", None),
    }
