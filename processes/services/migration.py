"""Migrating running dossiers from one deployed version of a procedure to another (issue 5).

Dossiers stay on the version they started on; a process designer (or the platform, from the management command) may
move the open dossiers of one version to another where SpiffWorkflow's migration allows it (engine.migration).
Each dossier is migrated in its own transaction holding its row lock; one refused or failing dossier leaves nothing
changed for itself and does not stop the others. The statutory due time of a dossier never changes.

What is rebuilt from the migrated state:
- work items: an open step whose engine task is still ready keeps its work item (id, claim, given and due times, its
  step timer); its name, required fields and routing follow the target version (when the lane routes elsewhere the
  claim is kept only if the official holds the role there). Steps no longer ready are cancelled; new ready steps get
  work items (a new step of the same BPMN id as a cancelled claimed one takes over its claim). Legal extensions are
  not applied again.
- timers: the diagram's timers are re-armed from the engine (same key for a timer that is due at the same time, so no
  duplicate; a restarted duration timer gets its new row and the old one is cancelled); step timers of new items are
  armed, kept items keep theirs.
- the event `version_migrated` records the versions, the tasks reset and the claims kept.
"""
import logging

from django.db import transaction

from engine import clock
from engine.errors import EngineError
from engine.migration import MigrationRefused, migrate
from engine.migration import plan_migration as engine_plan

from ..models import (
    OPEN_STATUSES,
    Dossier,
    DossierParticipant,
    DossierStatus,
    Membership,
    Procedure,
    ProcessVersion,
    Role,
    Timer,
    TimerKind,
    TimerStatus,
    WorkItemKind,
    WorkItemStatus,
)
from .dossiers import (
    _functions_for,
    _local_iso,
    _save_engine_state,
    has_role,
    load_instance,
    processed_data,
    sync_work_items,
)
from .errors import InvalidInput, NotAllowed, NotFound, ServiceError
from .events import record_event
from .routing import resolve_lane

log = logging.getLogger(__name__)

MAX_DOSSIER_CODES = 1000


class Refused(ServiceError):
    """One dossier cannot be migrated (reported per dossier, never raised to the caller)."""

    code = "refused"


# ---------------------------------------------------------------------------------------------------------------
# input


def require_designer(actor):
    if actor.user is None:
        return  # the platform itself: the management command run by an operator
    if not Membership.objects.filter(user=actor.user, role=Role.PROCESS_DESIGNER).exists():
        raise NotAllowed("chỉ người thiết kế quy trình mới được chuyển hồ sơ đang xử lý sang phiên bản khác")


def _designer_context(actor):
    if actor.user is None:
        return actor
    membership = Membership.objects.filter(user=actor.user, role=Role.PROCESS_DESIGNER).select_related("unit").first()
    return actor.with_context(Role.PROCESS_DESIGNER, membership.unit) if membership else actor


def _number(value, field):
    if isinstance(value, bool):
        raise InvalidInput(f"{field} phải là số phiên bản (số nguyên dương)", field=field)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or value < 1:
        raise InvalidInput(f"{field} phải là số phiên bản (số nguyên dương)", field=field)
    return value


def _versions(procedure_code, from_version, to_version):
    from_number, to_number = _number(from_version, "from_version"), _number(to_version, "to_version")
    if from_number == to_number:
        raise InvalidInput("phiên bản đích phải khác phiên bản nguồn", field="to_version")
    procedure = Procedure.objects.filter(code=procedure_code).first() if isinstance(procedure_code, str) else None
    if procedure is None:
        raise NotFound(f"không có thủ tục mã {procedure_code}", field="procedure")
    versions = {v.number: v for v in ProcessVersion.objects.filter(procedure=procedure,
                                                                   number__in=[from_number, to_number])}
    for number, field in ((from_number, "from_version"), (to_number, "to_version")):
        if number not in versions:
            raise NotFound(f"thủ tục {procedure.code} không có phiên bản {number}", field=field)
    return procedure, versions[from_number], versions[to_number]


def _clean_codes(dossier_codes):
    if dossier_codes is None:
        return None
    if not isinstance(dossier_codes, (list, tuple)) or not all(isinstance(c, str) and c.strip() for c in dossier_codes):
        raise InvalidInput("dossiers phải là danh sách mã hồ sơ", field="dossiers")
    if len(dossier_codes) > MAX_DOSSIER_CODES:
        raise InvalidInput(f"tối đa {MAX_DOSSIER_CODES} hồ sơ mỗi lần", field="dossiers")
    return list(dict.fromkeys(c.strip() for c in dossier_codes))


def _targets(procedure, source, codes):
    """[(code, pk or None, refusal or None)] in a stable order: the open dossiers of the source version, or the ones
    named (each named one that does not qualify is reported with the reason)."""
    if codes is None:
        rows = (Dossier.objects.filter(procedure=procedure, version=source, status__in=OPEN_STATUSES)
                .order_by("code").values_list("code", "pk"))
        return [(code, pk, None) for code, pk in rows]
    found = {d.code: d for d in Dossier.objects.filter(code__in=codes).select_related("version")}
    result = []
    for code in codes:
        dossier = found.get(code)
        if dossier is None:
            result.append((code, None, "không có hồ sơ này"))
        else:
            result.append((code, dossier.pk, _not_eligible(dossier, procedure, source)))
    return result


def _not_eligible(dossier, procedure, source):
    if dossier.procedure_id != procedure.pk:
        return f"hồ sơ thuộc thủ tục khác, không phải {procedure.code}"
    if dossier.version_id != source.pk:
        return f"hồ sơ đang ở phiên bản {dossier.version.number}, không phải phiên bản {source.number}"
    if dossier.status not in OPEN_STATUSES:
        return f"hồ sơ đã kết thúc ({DossierStatus(dossier.status).label.lower()}), chỉ chuyển hồ sơ đang xử lý"
    return None


# ---------------------------------------------------------------------------------------------------------------
# plans


def _steps_by_id(version):
    return {step["bpmn_id"]: step for step in version.steps or []}


def _work_item_plan(dossier, plan, target):
    """What the migration does to the dossier's open steps: kept (same engine task still ready), cancelled, created;
    the claims kept."""
    target_steps = _steps_by_id(target)
    ready_after = {s.task_id: s for s in plan.ready_after}
    kept, cancelled, claims_kept, claims_dropped = [], [], [], []
    items = list(dossier.work_items.filter(status=WorkItemStatus.OPEN, kind=WorkItemKind.STEP)
                 .select_related("claimed_by", "unit"))
    taken_over = set()
    for item in items:
        after = ready_after.get(item.engine_task_id)
        if after is not None:
            kept.append(item.bpmn_id)
            if item.claimed_by_id is not None:
                lane = (target_steps.get(after.bpmn_id) or {}).get("lane") or item.lane
                if _claim_survives(item, lane, dossier):
                    claims_kept.append({"step": after.bpmn_id, "claimed_by": item.claimed_by.username})
                else:
                    claims_dropped.append({"step": after.bpmn_id, "claimed_by": item.claimed_by.username})
        else:
            cancelled.append(item.bpmn_id)
    open_ids = {item.engine_task_id for item in items}
    created = [s.bpmn_id for s in plan.ready_after if s.task_id not in open_ids]
    for item in items:
        if item.engine_task_id in ready_after or item.claimed_by_id is None:
            continue
        if item.bpmn_id in created and item.bpmn_id not in taken_over:
            taken_over.add(item.bpmn_id)
            claims_kept.append({"step": item.bpmn_id, "claimed_by": item.claimed_by.username})
        else:
            claims_dropped.append({"step": item.bpmn_id, "claimed_by": item.claimed_by.username})
    return {"kept": kept, "cancelled": cancelled, "created": created}, claims_kept, claims_dropped


def _claim_survives(item, lane, dossier):
    if lane == item.lane:
        return True
    try:
        unit, role = resolve_lane(lane, dossier.receiving_unit)
    except ServiceError:
        return False
    return has_role(item.claimed_by, unit, role)


def _entry(code, status, **extra):
    return {"dossier": code, "status": status, **extra}


def _plan_one(code, pk, source, target):
    dossier = Dossier.objects.select_related("version", "receiving_unit").get(pk=pk)
    refusal = _not_eligible(dossier, dossier.procedure, source)
    if refusal:
        return _entry(code, "refused", reason=refusal)
    try:
        instance = load_instance(dossier)
        plan = engine_plan(instance, target.spec_json, _functions_for(dossier.receiving_unit))
    except EngineError as exc:
        return _entry(code, "refused", reason=f"không đọc được trạng thái quy trình: {exc}",
                      element_id=getattr(exc, "element_id", None))
    if not plan.allowed:
        return _entry(code, "refused", reason=plan.reason, element_id=plan.element_id, plan=plan.as_dict())
    work_items, claims_kept, claims_dropped = _work_item_plan(dossier, plan, target)
    return _entry(code, "planned", plan=plan.as_dict(), work_items=work_items, claims_kept=claims_kept,
                  claims_dropped=claims_dropped, due_at=_local_iso(dossier.due_at))


def plan_migration(*, procedure_code, from_version, to_version, dossier_codes=None):
    """The dry run: one entry per dossier (status "planned" with the engine's plan and what happens to its work items,
    or "refused" with the reason). Nothing is written."""
    procedure, source, target = _versions(procedure_code, from_version, to_version)
    entries = []
    for code, pk, refusal in _targets(procedure, source, _clean_codes(dossier_codes)):
        if refusal:
            entries.append(_entry(code, "refused", reason=refusal))
            continue
        try:
            entries.append(_plan_one(code, pk, source, target))
        except Exception as exc:  # one dossier's failure is its own entry
            log.exception("planning the migration of %s failed", code)
            entries.append(_entry(code, "failed", reason=f"{type(exc).__name__}: {exc}"))
    return entries


# ---------------------------------------------------------------------------------------------------------------
# the migration


def _pending_diagram_timers(dossier):
    return list(Timer.objects.filter(dossier=dossier, kind=TimerKind.DIAGRAM,
                                     status__in=[TimerStatus.SCHEDULED, TimerStatus.CLAIMED])
                .order_by("due_at", "pk").values_list("pk", "due_at"))


def _migrate_one(pk, source, target, actor):
    """One dossier, in the caller's transaction; raises Refused (or any error) to roll it back."""
    dossier = Dossier.objects.select_for_update(of=("self",)).select_related("version", "receiving_unit").get(pk=pk)
    refusal = _not_eligible(dossier, dossier.procedure, source)
    if refusal:
        raise Refused(refusal)
    functions = _functions_for(dossier.receiving_unit)
    try:
        instance = load_instance(dossier)
        migrated, plan = migrate(instance, target.spec_json, functions)
    except MigrationRefused as exc:
        raise Refused(exc.reason, element_id=exc.element_id) from exc
    except EngineError as exc:
        raise Refused(f"không đọc được trạng thái quy trình: {exc}", element_id=exc.element_id) from exc
    work_items, claims_kept, claims_dropped = _work_item_plan(dossier, plan, target)
    now = clock.now()
    due_before = dossier.due_at
    timers_before = _pending_diagram_timers(dossier)
    from . import statutory

    # Steps still ready keep their work item; their text and routing follow the target version.
    ready_after = {task.task_id: task for task in migrated.ready_tasks()}
    open_items = list(dossier.work_items.filter(status=WorkItemStatus.OPEN, kind=WorkItemKind.STEP)
                      .select_related("claimed_by"))
    released = {}
    for item in open_items:
        task = ready_after.get(item.engine_task_id)
        if task is None:
            if item.claimed_by_id is not None:
                released.setdefault(item.bpmn_id, (item.claimed_by, item.claimed_at))
            continue
        item.bpmn_id, item.name = task.bpmn_id, task.name or task.bpmn_id
        item.required_fields = list(task.required_fields or [])
        if task.lane != item.lane:
            unit, role = resolve_lane(task.lane, dossier.receiving_unit)
            if item.claimed_by_id is not None and not has_role(item.claimed_by, unit, role):
                item.claimed_by, item.claimed_at = None, None
            item.lane, item.unit, item.role = task.lane, unit, role
            DossierParticipant.objects.get_or_create(dossier=dossier, unit=unit)
        item.save(update_fields=["bpmn_id", "name", "required_fields", "lane", "unit", "role", "claimed_by",
                                 "claimed_at"])
        statutory.on_step_assigned(dossier, item, now)  # idempotent: the step timer is armed once
    created = sync_work_items(dossier, migrated, now, actor, apply_extensions=False)
    for item in created:
        claim = released.pop(item.bpmn_id, None)
        if claim is not None and has_role(claim[0], item.unit, item.role):
            item.claimed_by, item.claimed_at = claim
            item.save(update_fields=["claimed_by", "claimed_at"])
    dossier.version = target
    _save_engine_state(dossier, migrated, now)  # re-arms the diagram's timers, cancels the stale ones
    if dossier.due_at != due_before:  # never: the statutory clock is not the diagram's to change
        raise RuntimeError("the statutory due time changed during the migration")
    timers_after = _pending_diagram_timers(dossier)
    kept_timers = {pk for pk, _ in timers_before} & {pk for pk, _ in timers_after}
    event = record_event(
        "version_migrated", actor=actor, dossier=dossier,
        before={"version": source.number, "ready": [s.bpmn_id for s in plan.ready_before],
                "timers": [_local_iso(due) for _, due in timers_before]},
        after={"version": target.number, "reset": [s.bpmn_id for s in plan.reset],
               "added": list(plan.added), "removed": list(plan.removed), "ready": [s.bpmn_id for s in plan.ready_after],
               "work_items": work_items, "claims_kept": claims_kept, "claims_dropped": claims_dropped,
               "timers": [_local_iso(due) for _, due in timers_after], "timers_kept": len(kept_timers),
               "due_at": _local_iso(dossier.due_at)},
    )
    if dossier.status == DossierStatus.PROCESSED:
        record_event("processed", actor=actor, dossier=dossier, after=processed_data(dossier, now))
    return _entry(dossier.code, "migrated", plan=plan.as_dict(), work_items=work_items, claims_kept=claims_kept,
                  claims_dropped=claims_dropped, due_at=_local_iso(dossier.due_at), event=event.pk,
                  timers=[_local_iso(due) for _, due in timers_after])


def migrate_dossiers(*, procedure_code, from_version, to_version, actor, dossier_codes=None, dry_run=False):
    """Migrates the open dossiers of `from_version` (or the ones named) to `to_version`, each in its own transaction.
    Returns the report: {"procedure", "from_version", "to_version", "dry_run", "dossiers": [entry...], "summary"}.
    An entry's status: planned (dry run), migrated, refused (with the reason; nothing changed), failed (an unexpected
    error; nothing changed). Raises NotAllowed (not a process designer), NotFound / InvalidInput (bad input)."""
    require_designer(actor)
    procedure, source, target = _versions(procedure_code, from_version, to_version)
    codes = _clean_codes(dossier_codes)
    if dry_run:
        entries = plan_migration(procedure_code=procedure.code, from_version=source.number,
                                 to_version=target.number, dossier_codes=codes)
    else:
        actor = _designer_context(actor)
        entries = []
        for code, pk, refusal in _targets(procedure, source, codes):
            if refusal:
                entries.append(_entry(code, "refused", reason=refusal))
                continue
            try:
                with transaction.atomic():
                    entries.append(_migrate_one(pk, source, target, actor))
            except ServiceError as exc:
                entries.append(_entry(code, "refused", reason=exc.message, element_id=exc.element_id))
            except Exception as exc:  # rolled back; reported, the next dossier goes on
                log.exception("migrating %s to %s v%s failed", code, procedure.code, target.number)
                entries.append(_entry(code, "failed", reason=f"{type(exc).__name__}: {exc}"))
    summary = {status: sum(1 for e in entries if e["status"] == status)
               for status in ("planned", "migrated", "refused", "failed")}
    return {"procedure": procedure.code, "from_version": source.number, "to_version": target.number,
            "dry_run": bool(dry_run), "dossiers": entries, "summary": summary}
