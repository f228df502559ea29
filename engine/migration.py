"""Moving a running instance from one process version to another (pure Python, no Django).

SpiffWorkflow 3.2 does the work: `diff_workflow` aligns the task specs of the instance's version with the target's
(by BPMN id first, then by structure), `migrate_workflow` points every task at its target spec and resets the READY
and WAITING tasks (their predicted descendants are dropped and predicted again from the target, so a step inserted
after the current one is picked up; duration timers restart, date timers are re-evaluated). A reset task keeps its
id, so a step that is still ready keeps its work item.

What SpiffWorkflow does not check, we do, and refuse with a reason naming the element:
- the target is another process (another process id), or the same version;
- a READY, WAITING or STARTED task (where the instance is now) has no counterpart in the target;
- a task of the instance's history has no counterpart in the target (its state could not be stored and reloaded on
  the target, whose spec lacks it);
- a sub-process that has its spec missing in the target, or a completed sub-process whose spec changed;
- anything SpiffWorkflow raises while migrating, running the engine afterwards, or storing and reloading the result.

Nothing here mutates the instance handed in: the migration runs on a copy, and `migrate` returns the new instance
(already stored and reloaded once on the target, so what the caller saves is known to load).
"""
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime

from SpiffWorkflow.bpmn.util.diff import SpecDiff, diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from .errors import EngineError
from .runner import VERSION_KEY, Instance, _describe, _registry, _spec_for

__all__ = ["MigrationPlan", "MigrationRefused", "StepRef", "migrate", "plan_migration"]

_ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
_HISTORY = TaskState.COMPLETED | TaskState.CANCELLED | TaskState.ERROR


class MigrationRefused(EngineError):
    """The instance cannot move to the target version; `.reason` says why, `.element_id` names the element."""

    def __init__(self, reason, element_id=None):
        super().__init__(reason, element_id)
        self.reason = reason


@dataclass(frozen=True)
class StepRef:
    """One task of the instance: its id, its BPMN element, its state; due_at for a waiting timer."""

    task_id: str
    bpmn_id: str
    name: str | None
    state: str
    due_at: datetime | None = None

    def as_dict(self):
        data = asdict(self)
        data["due_at"] = self.due_at.isoformat() if self.due_at else None
        return data


@dataclass(frozen=True)
class MigrationPlan:
    """What migrating one instance would do (or did).

    added / removed: BPMN ids of elements only in the target / only in the source; changed: BPMN id -> the changed
    attributes (as SpiffWorkflow's diff names them: outputs, inputs, extensions, ...). reset: the tasks where the
    instance is (READY / WAITING) that the migration resets; dropped: BPMN ids of predicted tasks discarded and
    predicted again from the target. before / after: the ready steps and waiting timers on each version (after = the
    instance's position in the target). reason / element_id: why it is refused (allowed is False), else None."""

    source_process_id: str
    target_process_id: str
    added: tuple = ()
    removed: tuple = ()
    changed: dict = field(default_factory=dict)
    reset: tuple = ()
    dropped: tuple = ()
    ready_before: tuple = ()
    ready_after: tuple = ()
    timers_before: tuple = ()
    timers_after: tuple = ()
    completed_after: bool = False
    reason: str | None = None
    element_id: str | None = None

    @property
    def allowed(self) -> bool:
        return self.reason is None

    def as_dict(self):
        return {
            "allowed": self.allowed,
            "reason": self.reason,
            "element_id": self.element_id,
            "source_process_id": self.source_process_id,
            "target_process_id": self.target_process_id,
            "added": list(self.added),
            "removed": list(self.removed),
            "changed": {k: list(v) for k, v in self.changed.items()},
            "reset": [s.as_dict() for s in self.reset],
            "dropped": list(self.dropped),
            "ready_before": [s.as_dict() for s in self.ready_before],
            "ready_after": [s.as_dict() for s in self.ready_after],
            "timers_before": [s.as_dict() for s in self.timers_before],
            "timers_after": [s.as_dict() for s in self.timers_after],
            "completed_after": self.completed_after,
        }


# ---------------------------------------------------------------------------------------------------------------


def _bpmn_id(spec):
    return getattr(spec, "bpmn_id", None)


def _label(spec):
    bpmn_id, name = _bpmn_id(spec), getattr(spec, "bpmn_name", None)
    ident = bpmn_id or spec.name
    return f"'{ident}' ({name})" if name else f"'{ident}'"


def _state_name(task):
    return TaskState.get_name(task.state).lower()


def _position(instance):
    ready = tuple(StepRef(t.task_id, t.bpmn_id, t.name, "ready") for t in instance.ready_tasks())
    timers = tuple(StepRef(t.task_id, t.bpmn_id, None, "waiting", t.due_at) for t in instance.waiting_timers())
    return ready, timers


def _copy(instance):
    """A separate workflow with the same state, on the same (shared) spec: the migration never touches the
    caller's instance."""
    workflow = instance._wf
    state = json.loads(instance.dumps())
    state.pop(VERSION_KEY, None)
    state.pop("spec_checksum", None)
    try:
        copy = _registry().restore(state, spec=workflow.spec, subprocess_specs=dict(workflow.subprocess_specs))
    except Exception as exc:
        raise EngineError(f"the workflow state could not be copied: {_describe(exc)}") from exc
    copy.script_engine = workflow.script_engine
    return copy


def _spec_summary(spec_diff):
    added = sorted({_bpmn_id(s) for s in spec_diff.added if _bpmn_id(s)})
    removed = sorted({_bpmn_id(s) for s in spec_diff.removed if _bpmn_id(s)})
    changed = {}
    for spec, attributes in spec_diff.changed.items():
        if _bpmn_id(spec):
            changed.setdefault(_bpmn_id(spec), set()).update(attributes)
    return tuple(added), tuple(removed), {k: tuple(sorted(v)) for k, v in sorted(changed.items())}


def _check_tasks(workflow, diff):
    """The refusal for tasks whose spec the target lacks, or None."""
    for task in diff.removed:
        spec = task.task_spec
        if task.state & _ACTIVE:
            reason = (f"the instance is at {_label(spec)} ({_state_name(task)}), which does not exist in the target "
                      f"version: finish or leave that step first, or keep the element (same id) in the target")
            return reason, _bpmn_id(spec)
        if task.state & _HISTORY:
            reason = (f"step {_label(spec)}, already {_state_name(task)} in this instance, does not exist in the "
                      f"target version: its history could not be kept (keep the element with the same id)")
            return reason, _bpmn_id(spec)
    return None


def _migrate_copy(instance, target_spec_json, functions):
    """(plan fields, migrated workflow or None, checksum) — the refusal is in the plan fields."""
    checksum, target, target_deps = _spec_for(target_spec_json)
    workflow = _copy(instance)
    source = workflow.spec
    ready_before, timers_before = _position(instance)
    fields = {"source_process_id": source.name, "target_process_id": target.name, "ready_before": ready_before,
              "timers_before": timers_before}
    if target.name != source.name:
        return {**fields, "reason": f"the target version runs process '{target.name}', not '{source.name}'",
                "element_id": target.name}, None, checksum
    if checksum == instance._spec_checksum:
        return {**fields, "reason": "the instance is already on the target version"}, None, checksum
    registry = _registry()
    try:
        spec_diff = SpecDiff(registry, source, target)
        top_diff, sub_diffs = diff_workflow(registry, workflow, target, target_deps)
    except Exception as exc:  # noqa: BLE001 - SpiffWorkflow's own error becomes the refusal
        return {**fields, "reason": f"SpiffWorkflow could not compare the versions: {_describe(exc)}"}, None, checksum
    added, removed, changed = _spec_summary(spec_diff)
    fields.update(added=added, removed=removed, changed=changed)
    reset = tuple(StepRef(str(t.id), _bpmn_id(t.task_spec) or t.task_spec.name, getattr(t.task_spec, "bpmn_name", None),
                          _state_name(t))
                  for t in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING, skip_subprocesses=True))
    fields["reset"] = reset
    refusal = _check_tasks(workflow, top_diff)
    if refusal is None:
        for sp_id, sp_diff in sub_diffs.items():
            sub = workflow.subprocesses[sp_id]
            owner = workflow.get_task_from_id(sp_id) if sp_id in workflow.tasks else None
            where = _label(owner.task_spec) if owner is not None else f"'{sub.spec.name}'"
            if sp_diff is None:
                refusal = (f"sub-process {where} has no spec '{sub.spec.name}' in the target version", sub.spec.name)
            elif sub.is_completed() and (sp_diff.changed or sp_diff.removed or
                                         SpecDiff(registry, sub.spec, target_deps[sub.spec.name]).added):
                refusal = (f"sub-process {where} is completed in this instance and changed in the target version",
                           _bpmn_id(owner.task_spec) if owner is not None else sub.spec.name)
            else:
                refusal = _check_tasks(sub, sp_diff)
            if refusal is not None:
                break
    if refusal is not None:
        return {**fields, "reason": refusal[0], "element_id": refusal[1]}, None, checksum
    try:
        dropped = migrate_workflow(top_diff, workflow, target)
        for sp_id, sp_diff in sub_diffs.items():
            sub = workflow.subprocesses[sp_id]
            if not sub.is_completed():
                dropped += migrate_workflow(sp_diff, sub, target_deps[sub.spec.name])
        workflow.subprocess_specs = dict(target_deps)
        workflow.do_engine_steps()
    except Exception as exc:  # SpiffWorkflow's own error becomes the refusal
        if type(exc).__name__ in ("SoftTimeLimitExceeded", "TimeLimitExceeded"):
            raise
        return {**fields, "reason": f"SpiffWorkflow refused the migration: {_describe(exc)}"}, None, checksum
    fields["dropped"] = tuple(sorted({_bpmn_id(t.task_spec) for t in dropped if _bpmn_id(t.task_spec)}))
    # Every task must now point at a spec of the target: what is stored is reloaded by name.
    for task in workflow.get_tasks():
        owner_spec = task.workflow.spec
        if owner_spec.task_specs.get(task.task_spec.name) is not task.task_spec:
            return {**fields, "reason": f"task {_label(task.task_spec)} ({_state_name(task)}) has no counterpart in "
                                        f"the target version", "element_id": _bpmn_id(task.task_spec)}, None, checksum
    migrated = Instance(workflow, checksum)
    try:
        reloaded = Instance.load(target_spec_json, migrated.dumps(), functions)
    except EngineError as exc:
        return {**fields, "reason": f"the migrated state does not reload on the target version: {exc}"}, None, checksum
    ready_after, timers_after = _position(reloaded)
    fields.update(ready_after=ready_after, timers_after=timers_after, completed_after=reloaded.is_completed)
    return fields, reloaded, checksum


def plan_migration(instance: Instance, target_spec_json: str, functions) -> MigrationPlan:
    """What migrating `instance` to the version compiled as `target_spec_json` would do; `plan.allowed` is False
    and `plan.reason` says why when it cannot. The instance is not changed."""
    fields, _migrated, _checksum = _migrate_copy(instance, target_spec_json, functions)
    return MigrationPlan(**fields)


def migrate(instance: Instance, target_spec_json: str, functions) -> tuple[Instance, MigrationPlan]:
    """(the instance on the target version, the plan carried out); raises MigrationRefused with the reason. The
    instance handed in is not changed: save the returned one (dumps) with the target version."""
    fields, migrated, _checksum = _migrate_copy(instance, target_spec_json, functions)
    plan = MigrationPlan(**fields)
    if migrated is None:
        raise MigrationRefused(plan.reason, plan.element_id)
    return migrated, plan
