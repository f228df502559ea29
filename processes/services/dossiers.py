"""Dossier actions. Each is one transaction holding a row lock on the dossier; each writes its event."""
import json
import re
import secrets
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F

from engine import clock
from engine.calendar import VN_TZ
from engine.errors import EngineError, TaskNotReady
from engine.functions import build_functions
from engine.runner import Instance

from ..models import (
    OPEN_STATUSES,
    AdministrativeUnit,
    Channel,
    Dossier,
    DossierFlag,
    DossierParticipant,
    DossierStatus,
    LegalRegime,
    PersonalRecord,
    Procedure,
    Role,
    StepResult,
    Timer,
    TimerKind,
    TimerStatus,
    WorkItem,
    WorkItemKind,
    WorkItemStatus,
)
from .calendar import calendar_for_unit, statutory_due_at
from .errors import Conflict, InvalidInput, NotAllowed, NotFound
from .events import SYSTEM, record_event
from .routing import resolve_lane
from .timers import arm_timer, register

# Data the platform puts into every workflow; a step may not overwrite it.
RESERVED_FIELDS = {"received_at", "due_at", "dossier_code", "procedure_code", "receiving_unit"}
FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
MAX_DATA_BYTES = 64 * 1024


# Unambiguous letters and digits (no 0/O, 1/I/L): the secret is typed from a printed receipt.
SECRET_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_lookup_secret(length=8):
    """The receipt's secret for the public portal: 8 characters, ~39 bits, drawn by the secrets module."""
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(length))


# ---------------------------------------------------------------------------------------------------------------
# helpers


def has_role(user, unit, role):
    """A membership, or an active substitution for an official who is absent (processes.selectors.holds_role)."""
    from ..selectors import holds_role

    return holds_role(user, unit, role)


def _require_role(actor, unit, role, what):
    if actor.user is None:
        return
    if not has_role(actor.user, unit, role):
        raise NotAllowed(f"bạn không có vai trò '{Role(role).label}' tại {unit.name} để {what}")


def clean_step_data(data, *, field="data"):
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidInput("dữ liệu của bước phải là một đối tượng JSON", field=field)
    for key in data:
        if not isinstance(key, str) or not FIELD_NAME.match(key):
            raise InvalidInput(f"tên trường không hợp lệ: {key!r}", field=f"{field}.{key}")
        if key in RESERVED_FIELDS:
            raise InvalidInput(f"trường {key} do hệ thống quản lý, không được ghi", field=f"{field}.{key}")
    try:
        encoded = json.dumps(data)
    except (TypeError, ValueError):
        raise InvalidInput("dữ liệu của bước phải là JSON", field=field) from None
    if len(encoded.encode()) > MAX_DATA_BYTES:
        raise InvalidInput(f"dữ liệu của bước vượt quá {MAX_DATA_BYTES // 1024} KB", field=field)
    return data


def _functions_for(dossier_unit):
    return build_functions(calendar_for_unit(dossier_unit))


def load_instance(dossier):
    return Instance.load(dossier.version.spec_json, dossier.workflow_state, _functions_for(dossier.receiving_unit))


def _engine_error(exc):
    element = getattr(exc, "element_id", None)
    prefix = f"bước {element}: " if element else ""
    return InvalidInput(f"{prefix}{exc}", field="data", element_id=element)


def _local_iso(dt):
    return dt.astimezone(VN_TZ).isoformat()


def step_result(finished_at, due_at):
    """Form 05's verdict for one hand-over: late after the step's due time; early when finished on a day before."""
    if due_at is None:
        return StepResult.ON_TIME
    if finished_at > due_at:
        return StepResult.LATE
    if finished_at.astimezone(VN_TZ).date() < due_at.astimezone(VN_TZ).date():
        return StepResult.EARLY
    return StepResult.ON_TIME


def _step_due(calendar, given_at, task):
    if task.allocation_hours is not None:
        return calendar.add_office_hours(given_at, Decimal(task.allocation_hours)), Decimal(task.allocation_hours)
    if task.allocation_days is not None:
        days = Decimal(task.allocation_days)
        return calendar.add_working_days(given_at, days), days * calendar.hours_per_day
    return None, None


def sync_work_items(dossier, instance, now, actor, *, apply_extensions=True):
    """Makes the open work items mirror the engine's ready user tasks; applies legal extensions of new steps (not when
    apply_extensions is False: a migration to another version leaves the statutory due time as it is)."""
    from . import statutory

    ready = {task.task_id: task for task in instance.ready_tasks()}
    open_items = {item.engine_task_id: item
                  for item in dossier.work_items.filter(status=WorkItemStatus.OPEN, kind=WorkItemKind.STEP)}
    extended = False
    for task_id, item in open_items.items():
        if task_id not in ready:  # e.g. interrupted by a boundary event
            item.status = WorkItemStatus.CANCELLED
            item.completed_at = now
            item.save(update_fields=["status", "completed_at"])
            statutory.on_step_closed(dossier, item, now)
            record_event("step_cancelled", actor=SYSTEM, dossier=dossier, engine_task_id=task_id,
                         after={"step": item.bpmn_id})
    created = []
    for task_id, task in ready.items():
        if task_id in open_items:
            continue
        unit, role = resolve_lane(task.lane, dossier.receiving_unit)
        calendar = calendar_for_unit(unit)
        due_at, hours = _step_due(calendar, now, task)
        item = WorkItem.objects.create(
            dossier=dossier, engine_task_id=task_id, bpmn_id=task.bpmn_id, name=task.name or task.bpmn_id,
            lane=task.lane, role=role, unit=unit, given_at=now, due_at=due_at, allocation_hours=hours,
            required_fields=list(task.required_fields or []),
        )
        DossierParticipant.objects.get_or_create(dossier=dossier, unit=unit)
        created.append(item)
        statutory.on_step_assigned(dossier, item, now)
        if task.legal_extension_days and apply_extensions:
            extended = True
            extension = Decimal(task.legal_extension_days)
            receiving_calendar = calendar_for_unit(dossier.receiving_unit)
            before = dossier.due_at
            dossier.due_at = receiving_calendar.add_office_hours(before, extension * receiving_calendar.hours_per_day)
            dossier.legal_extension_days += extension
            record_event(
                "legal_extension_applied", actor=actor, dossier=dossier, engine_task_id=task_id,
                before={"due_at": _local_iso(before)},
                after={"due_at": _local_iso(dossier.due_at), "days": str(extension), "step": task.bpmn_id},
            )
        record_event("step_assigned", actor=SYSTEM, dossier=dossier, engine_task_id=task_id,
                     after={"step": task.bpmn_id, "name": item.name, "unit": unit.code, "role": role,
                            "due_at": _local_iso(due_at) if due_at else None})
    if extended and dossier.clock_paused_at is None:
        dossier.save(update_fields=["due_at", "legal_extension_days"])
        statutory.arm_statutory_clock(dossier, now)
    phases = [(task_id, task.clock_phase) for task_id, task in ready.items()
              if task_id not in open_items and getattr(task, "clock_phase", None)]
    if phases and apply_extensions:
        from .case_clock import start_phase

        dossier.data = instance.data  # the phase's limit may depend on what the step before decided (complexity)
        for task_id, phase in phases:
            if phase != dossier.clock_phase:
                start_phase(dossier, phase, now, engine_task_id=task_id)
    return created


def sync_diagram_timers(dossier, instance):
    """Every timer the diagram is waiting on has its row in the timer table; rows of timers no longer waited on are
    cancelled."""
    waiting = instance.waiting_timers()
    keys = set()
    for timer in waiting:
        key = f"d{dossier.pk}:diagram:{timer.task_id}:{int(timer.due_at.timestamp())}"
        keys.add(key)
        arm_timer(dossier, TimerKind.DIAGRAM, timer.due_at, key=key, element_id=timer.task_id)
    stale = Timer.objects.filter(dossier=dossier, kind=TimerKind.DIAGRAM,
                                 status__in=[TimerStatus.SCHEDULED, TimerStatus.CLAIMED]).exclude(idempotency_key__in=keys)
    stale.update(status=TimerStatus.CANCELLED, lease_owner="", lease_expires_at=None)
    return min((t.due_at for t in waiting), default=None)


def _save_engine_state(dossier, instance, now):
    from . import statutory

    dossier.workflow_state = instance.dumps()
    dossier.data = instance.data
    dossier.next_wakeup_at = sync_diagram_timers(dossier, instance)
    if instance.is_completed:
        dossier.status = DossierStatus.PROCESSED
        dossier.finished_at = now
        dossier.outcome = instance.end_event_id or ""
        # A case is counted by what its end declares, not by the end's id (statistics.case_conditions).
        dossier.case_outcome = (dossier.version.end_outcomes or {}).get(dossier.outcome, "")
        dossier.next_wakeup_at = None
        if now > dossier.due_at and DossierFlag.LATE not in dossier.flags:
            dossier.flags = [*dossier.flags, DossierFlag.LATE]
        statutory.on_dossier_finished(dossier, now)
    if isinstance(dossier.revision, int):  # the caller holds the row lock: the number read is the number stored
        dossier.revision += 1
        dossier.save()
    else:  # an F() expression left by an earlier update of this instance
        dossier.revision = F("revision") + 1
        dossier.save()
        dossier.refresh_from_db(fields=["revision"])


# ---------------------------------------------------------------------------------------------------------------
# reception


def next_dossier_code(unit, day):
    """<agency code>-YYMMDD-XXXX from a counter row per agency and day. The upsert locks the row until commit, so
    concurrent receptions queue on it and a rolled-back one gives its number back: no gap, no duplicate."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO processes_dossiercounter (unit_id, day, last_number) VALUES (%s, %s, 1) "
            "ON CONFLICT (unit_id, day) DO UPDATE SET last_number = processes_dossiercounter.last_number + 1 "
            "RETURNING last_number",
            [unit.pk, day],
        )
        number = cursor.fetchone()[0]
    return f"{unit.code}-{day:%y%m%d}-{number:04d}"


def regime_for(day):
    regime = (
        LegalRegime.objects.filter(effective_from__lte=day)
        .exclude(effective_to__lt=day)
        .order_by("-effective_from")
        .first()
    )
    if regime is None:
        raise InvalidInput(f"không có chế độ pháp lý nào có hiệu lực ngày {day:%d/%m/%Y}", field="received_at")
    return regime


APPLICANT_LIMITS = {"full_name": 200, "id_number": 20, "phone": 20, "email": 254, "address": 400}


def clean_applicant(applicant):
    if not isinstance(applicant, dict):
        raise InvalidInput("thông tin người nộp phải là một đối tượng", field="applicant")
    cleaned = {}
    for key, limit in APPLICANT_LIMITS.items():
        value = applicant.get(key) or ""
        if not isinstance(value, str):
            raise InvalidInput(f"{key} phải là chuỗi", field=f"applicant.{key}")
        value = value.strip()
        if len(value) > limit:
            raise InvalidInput(f"{key} dài quá {limit} ký tự", field=f"applicant.{key}")
        cleaned[key] = value
    if not cleaned["full_name"]:
        raise InvalidInput("thiếu họ tên người nộp hồ sơ", field="applicant.full_name")
    if cleaned["id_number"] and not re.fullmatch(r"\d{9}|\d{12}", cleaned["id_number"]):
        raise InvalidInput("số CMND/CCCD gồm 9 hoặc 12 chữ số", field="applicant.id_number")
    if cleaned["phone"] and not re.fullmatch(r"\+?\d{8,15}", cleaned["phone"]):
        raise InvalidInput("số điện thoại không hợp lệ", field="applicant.phone")
    if cleaned["email"] and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", cleaned["email"]):
        raise InvalidInput("địa chỉ e-mail không hợp lệ", field="applicant.email")
    return cleaned


@transaction.atomic
def receive_dossier(*, procedure_code, unit_code, applicant, channel=Channel.COUNTER, data=None, actor=SYSTEM,
                    documents=None, simulated=False, applicant_record=None):
    """Reception of a complete dossier: code, statutory appointment, the workflow started, its first steps routed.
    `documents`: the checklist ticked at the desk ([{"name", "copies", "received"}], cleaned by the caller —
    processes.services.reception), kept on the dossier and named in the event. `simulated`: made by the simulate
    command (marked everywhere, its events included). `applicant_record`: the PersonalRecord already holding
    `applicant` (an online submission's), so that the personal data is kept once."""
    try:
        procedure = Procedure.objects.get(code=procedure_code, active=True)
    except Procedure.DoesNotExist:
        raise NotFound(f"không có thủ tục mã {procedure_code}", field="procedure") from None
    try:
        unit = AdministrativeUnit.objects.get(code=unit_code, active=True)
    except AdministrativeUnit.DoesNotExist:
        raise NotFound(f"không có đơn vị mã {unit_code}", field="receiving_unit") from None
    _require_role(actor, unit, Role.RECEPTION, "tiếp nhận hồ sơ")
    actor = actor.with_context(Role.RECEPTION, unit)
    if channel not in Channel.values:
        raise InvalidInput(f"kênh nộp không hợp lệ: {channel} (1 trực tiếp, 2 trực tuyến, 3 bưu chính)", field="channel")
    version = procedure.versions.order_by("-number").first()
    if version is None:
        raise InvalidInput(f"thủ tục {procedure.code} chưa có quy trình được triển khai", field="procedure")
    data = clean_step_data(data)
    applicant = clean_applicant(applicant)

    now = clock.now()
    local_day = now.astimezone(VN_TZ).date()
    regime = regime_for(local_day)
    calendar = calendar_for_unit(unit)
    due_at = statutory_due_at(calendar, now, procedure.statutory_limit, procedure.statutory_unit)
    code = next_dossier_code(unit, local_day)
    record = applicant_record or PersonalRecord.objects.create(**applicant)
    dossier = Dossier(
        code=code, procedure=procedure, version=version, regime=regime, receiving_unit=unit, applicant=record,
        channel=channel, status=DossierStatus.RECEIVED, received_at=now, due_at=due_at, workflow_state="",
        received_by=actor.user, clock_started_at=now, documents=list(documents or []),
        lookup_secret=new_lookup_secret(), simulated=bool(simulated),
    )
    dossier.save()
    DossierParticipant.objects.create(dossier=dossier, unit=unit)
    initial = {
        **data,
        "received_at": _local_iso(now),
        "due_at": _local_iso(due_at),
        "dossier_code": code,
        "procedure_code": procedure.code,
        "receiving_unit": unit.code,
    }
    try:
        instance = Instance.start(version.spec_json, initial, build_functions(calendar))
    except EngineError as exc:
        raise _engine_error(exc) from exc
    record_event(
        "received", actor=actor, dossier=dossier,
        after={"code": code, "procedure": procedure.code, "version": version.number, "regime": regime.code,
               "channel": channel, "received_at": _local_iso(now), "due_at": _local_iso(due_at),
               "applicant_record": record.pk, "data": data,
               "documents": [d.get("name") for d in dossier.documents]},
    )
    from . import statutory

    statutory.arm_statutory_clock(dossier, now)
    sync_work_items(dossier, instance, now, actor)
    _save_engine_state(dossier, instance, now)
    return dossier


# ---------------------------------------------------------------------------------------------------------------
# steps


def _lock_item(item_id):
    """Locks the dossier first, then re-reads the item: every writer of a dossier takes locks in that order."""
    try:
        dossier_id = WorkItem.objects.values_list("dossier_id", flat=True).get(pk=item_id)
    except WorkItem.DoesNotExist:
        raise NotFound("không có bước xử lý này", field="task") from None
    # of=self: the version and unit rows are read, not locked (locking them would serialise every step of a
    # procedure version and deadlock against the deferred foreign-key checks of other dossiers' commits)
    dossier = (Dossier.objects.select_for_update(of=("self",)).select_related("version", "receiving_unit")
               .get(pk=dossier_id))
    item = WorkItem.objects.select_related("unit").get(pk=item_id)
    item.dossier = dossier  # the locked row, with its version: no second read of either (the step's form needs it)
    return dossier, item


def _require_open(item):
    if item.status != WorkItemStatus.OPEN:
        raise Conflict(f"bước '{item.name}' không còn chờ xử lý ({WorkItemStatus(item.status).label.lower()})",
                       field="task")


@transaction.atomic
def claim_work_item(*, item_id, actor):
    dossier, item = _lock_item(item_id)
    _require_open(item)
    _require_role(actor, item.unit, item.role, "nhận xử lý bước này")
    if item.claimed_by_id is not None:
        if item.claimed_by_id == actor.user.pk:
            return item
        raise Conflict(f"bước đã được {item.claimed_by} nhận xử lý", field="task")
    item.claimed_by = actor.user
    item.claimed_at = clock.now()
    item.save(update_fields=["claimed_by", "claimed_at"])
    if dossier.status == DossierStatus.RECEIVED:
        dossier.status = DossierStatus.PROCESSING
        dossier.save(update_fields=["status"])
    from ..selectors import substitution_for

    standing_in = substitution_for(actor.user, item.unit, item.role)
    record_event("claimed", actor=actor.with_context(item.role, item.unit), dossier=dossier,
                 engine_task_id=item.engine_task_id, after={"step": item.bpmn_id, "claimed_by": actor.user.username,
                                                            **({"acting_for": standing_in.absent.username}
                                                               if standing_in else {})})
    return item


def _is_unit_leader(user, unit):
    return has_role(user, unit, Role.UNIT_LEADER) or (unit.parent_id and has_role(user, unit.parent, Role.UNIT_LEADER))


@transaction.atomic
def unclaim_work_item(*, item_id, actor):
    dossier, item = _lock_item(item_id)
    _require_open(item)
    if item.claimed_by_id is None:
        raise Conflict("bước chưa có ai nhận", field="task")
    if item.claimed_by_id != actor.user.pk and not _is_unit_leader(actor.user, item.unit):
        raise NotAllowed("chỉ người đã nhận hoặc lãnh đạo đơn vị mới trả lại được bước này")
    before = {"claimed_by": item.claimed_by.username}
    item.claimed_by = None
    item.claimed_at = None
    item.save(update_fields=["claimed_by", "claimed_at"])
    record_event("unclaimed", actor=actor.with_context(item.role, item.unit), dossier=dossier,
                 engine_task_id=item.engine_task_id, before=before, after={"claimed_by": None})
    return item


@transaction.atomic
def reassign_work_item(*, item_id, to_username, actor):
    from django.contrib.auth import get_user_model

    dossier, item = _lock_item(item_id)
    _require_open(item)
    if actor.user is not None and not _is_unit_leader(actor.user, item.unit):
        raise NotAllowed("chỉ lãnh đạo đơn vị mới được phân công lại")
    try:
        target = get_user_model().objects.get(username=to_username, is_active=True)
    except get_user_model().DoesNotExist:
        raise InvalidInput(f"không có cán bộ {to_username}", field="to") from None
    if not has_role(target, item.unit, item.role):
        raise InvalidInput(f"{to_username} không có vai trò '{Role(item.role).label}' tại {item.unit.name}", field="to")
    before = {"claimed_by": item.claimed_by.username if item.claimed_by else None}
    item.claimed_by = target
    item.claimed_at = clock.now()
    item.save(update_fields=["claimed_by", "claimed_at"])
    record_event("reassigned", actor=actor.with_context(Role.UNIT_LEADER, item.unit), dossier=dossier,
                 engine_task_id=item.engine_task_id, before=before, after={"claimed_by": target.username})
    return item


@transaction.atomic
def complete_work_item(*, item_id, actor, data=None):
    """Completes one step. A stale or repeated completion finds the item no longer open and gets a Conflict; the
    workflow never advances twice."""
    data = clean_step_data(data)
    dossier, item = _lock_item(item_id)
    _require_open(item)
    if item.kind == WorkItemKind.EXPLAIN_DELAY:
        raise Conflict("đây là việc giải trình chậm trễ: nộp văn bản xin lỗi qua /explain/", field="task")
    if item.kind == WorkItemKind.ESCALATION:
        raise Conflict("đây là việc xử lý hồ sơ trễ hạn: đóng bằng /resolve-escalation/", field="task")
    _require_role(actor, item.unit, item.role, "xử lý bước này")
    if item.claimed_by_id is not None and actor.user is not None and item.claimed_by_id != actor.user.pk:
        raise Conflict(f"bước đang do {item.claimed_by} xử lý", field="task")
    from ..selectors import substitution_for
    from .step_forms import checked_step_data

    # A substitute completing the step of the role they stand in for: what they sign names the absent official.
    standing_in = substitution_for(actor.user, item.unit, item.role) if actor.user is not None else None

    data = checked_step_data(item, data)  # the step's form-js schema, when it has one: InvalidInput data.<key>
    missing = [name for name in item.required_fields if name not in data]
    if missing:
        raise InvalidInput(f"bước '{item.name}' cần các trường: {', '.join(missing)}", field=f"data.{missing[0]}",
                           element_id=item.bpmn_id)
    now = clock.now()
    actor = actor.with_context(item.role, item.unit)
    instance = load_instance(dossier)
    before = dict(dossier.data)
    try:
        instance.complete_task(item.engine_task_id, data)
    except TaskNotReady as exc:
        raise Conflict(f"bước '{item.name}' không còn chờ xử lý", field="task") from exc
    except EngineError as exc:
        raise _engine_error(exc) from exc
    item.status = WorkItemStatus.COMPLETED
    item.completed_at = now
    item.completed_by = actor.user
    item.completed_for = standing_in.absent if standing_in is not None else None
    if item.claimed_by_id is None and actor.user is not None:
        item.claimed_by, item.claimed_at = actor.user, now
    item.result = step_result(now, item.due_at)
    item.save()
    from . import statutory

    statutory.on_step_closed(dossier, item, now)
    if dossier.status == DossierStatus.RECEIVED:
        dossier.status = DossierStatus.PROCESSING
    record_event("step_completed", actor=actor, dossier=dossier, engine_task_id=item.engine_task_id,
                 before=before, after={"step": item.bpmn_id, "input": data, "result": item.result, "data": instance.data,
                                       **({"acting_for": standing_in.absent.username} if standing_in else {})})
    sync_work_items(dossier, instance, now, actor)
    _save_engine_state(dossier, instance, now)
    if dossier.status == DossierStatus.PROCESSED:
        record_event("processed", actor=actor, dossier=dossier, after=processed_data(dossier, now))
    return item


def processed_data(dossier, now):
    """The "processed" event's data: the end reached (and, for a case, what it declares), when, and whether late."""
    return {"outcome": dossier.outcome, "finished_at": _local_iso(now), "late": now > dossier.due_at,
            **({"case_outcome": dossier.case_outcome} if dossier.case_outcome else {})}


@transaction.atomic
def return_result(*, code, actor, collected_by="", representative_id_number=None):
    """The result handed back at the counter (status 10), by the official who hands it over (returned_by). Handed to
    a representative when `representative_id_number` is given (9 or 12 digits; `collected_by` is then their name).
    Returned before the appointment (the re-appointment if any, else the statutory due time): noted as early. Not
    while a fee or charge is still waiting to be paid."""
    try:
        dossier = Dossier.objects.select_for_update().get(code=code)
    except Dossier.DoesNotExist:
        raise NotFound(f"không có hồ sơ {code}", field="code") from None
    _require_role(actor, dossier.receiving_unit, Role.RECEPTION, "trả kết quả")
    if dossier.status != DossierStatus.PROCESSED:
        raise Conflict(f"hồ sơ đang ở trạng thái '{DossierStatus(dossier.status).label}', chưa thể trả kết quả",
                       field="status")
    if dossier.fees.filter(status="waiting").exists():
        raise Conflict("hồ sơ còn phí, lệ phí chưa nộp: ghi nhận đã nộp trước khi trả kết quả", field="fees")
    if not isinstance(collected_by, str) or len(collected_by) > 200:
        raise InvalidInput("người nhận kết quả không hợp lệ", field="collected_by")
    representative = representative_id_number is not None
    if representative:
        if not collected_by.strip():
            raise InvalidInput("cần họ tên người được ủy quyền nhận kết quả", field="collected_by")
        if not isinstance(representative_id_number, str) or not re.fullmatch(r"\d{9}|\d{12}",
                                                                             representative_id_number.strip()):
            raise InvalidInput("số CMND/CCCD gồm 9 hoặc 12 chữ số", field="representative_id_number")
    now = clock.now()
    appointment = dossier.appointment_at or dossier.due_at
    dossier.status = DossierStatus.RETURNED
    dossier.returned_at = now
    dossier.returned_by = actor.user if actor.user is not None and actor.user.pk else None
    dossier.returned_to = collected_by.strip()
    if representative:
        dossier.returned_to = f"{dossier.returned_to} (ủy quyền, số định danh {representative_id_number.strip()})"[:200]
    dossier.revision = F("revision") + 1
    dossier.save()
    dossier.refresh_from_db()
    record_event("returned", actor=actor.with_context(Role.RECEPTION, dossier.receiving_unit), dossier=dossier,
                 after={"returned_at": _local_iso(now), "collected_by": collected_by.strip(),
                        "representative": representative, "appointment_at": _local_iso(appointment),
                        "early": now < appointment})
    return dossier


# ---------------------------------------------------------------------------------------------------------------
# diagram timers


@register(TimerKind.DIAGRAM)
def fire_diagram_timer(dossier, timer, now):
    """A diagram's timer counts as fired only once the engine task has left its waiting state. `dossier` is the row
    fire_timer locked, with its version and unit."""
    if dossier.status not in OPEN_STATUSES:
        return True
    instance = load_instance(dossier)
    if timer.element_id not in {t.task_id for t in instance.waiting_timers()}:
        return True  # no longer waited on (the step finished first): nothing to do
    try:
        instance.fire_due_timers()
    except EngineError as exc:
        raise RuntimeError(f"engine error at {exc.element_id or '-'}: {exc}") from exc
    if timer.element_id in {t.task_id for t in instance.waiting_timers()}:
        return False
    record_event("timer_fired", dossier=dossier, engine_task_id=timer.element_id,
                 after={"timer": timer.pk, "due_at": _local_iso(timer.due_at)})
    sync_work_items(dossier, instance, now, SYSTEM)
    _save_engine_state(dossier, instance, now)
    return True


@transaction.atomic
def resolve_escalation(*, item_id, actor, note):
    """The signing leader records what was done about a dossier that became late without explanation (the dossier
    stays flagged; the item leaves the inbox)."""
    if not isinstance(note, str) or not note.strip():
        raise InvalidInput("cần ghi biện pháp đã xử lý", field="note")
    if len(note) > 4000:
        raise InvalidInput("nội dung dài quá 4000 ký tự", field="note")
    dossier, item = _lock_item(item_id)
    _require_open(item)
    if item.kind != WorkItemKind.ESCALATION:
        raise InvalidInput("đây không phải việc xử lý hồ sơ trễ hạn", field="task")
    _require_role(actor, item.unit, item.role, "xử lý hồ sơ trễ hạn")
    now = clock.now()
    item.status = WorkItemStatus.COMPLETED
    item.completed_at, item.completed_by = now, actor.user
    item.claimed_by = item.claimed_by or actor.user
    item.save()
    record_event("escalation_resolved", actor=actor.with_context(item.role, item.unit), dossier=dossier,
                 engine_task_id=item.engine_task_id, after={"note": note.strip()})
    return item
