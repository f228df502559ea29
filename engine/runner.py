"""Running one process instance on SpiffWorkflow 3.2, and storing it as JSON without its spec.

The spec of a process version is serialized once (engine.bpmn.compile_bpmn -> `spec_json`); an instance's state
(`Instance.dumps()`) holds only its tasks and data, plus the checksum of the spec it belongs to. Loading puts the
spec back (restored once per spec and shared, see `_spec_for`) and always re-attaches our restricted script
engine: SpiffWorkflow does not serialize the engine and would otherwise fall back to plain `eval`.

Every call into SpiffWorkflow is guarded: whatever it raises comes back as EngineError (with the BPMN id of the
element at fault when it can be found) or TaskNotReady, never as a library exception.
"""
import hashlib
import json
import math
import threading
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SERIALIZER_VERSION
from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer_module
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.specs.event_definitions import SignalEventDefinition
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from . import clock
from .errors import BpmnInvalid, EngineError, TaskNotReady
from .expressions import make_script_engine

__all__ = [
    "EngineError", "TaskNotReady", "BpmnInvalid", "Instance", "ReadyTask", "WaitingTimer", "WaitingEvent",
    "dump_spec", "SPEC_FORMAT", "SERIALIZER_VERSION",
]

SPEC_FORMAT = "motcua.spec/1"
VERSION_KEY = BpmnWorkflowSerializer.VERSION_KEY
_VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")  # same zone as engine.calendar.VN_TZ; no DST
_MAX_DATA_DEPTH = 32
# Resource-limit exceptions of the worker (Celery's soft time limit is an Exception subclass): they must reach the
# worker, not be reported as a modelling error of the dossier.
_PASS_THROUGH = {"SoftTimeLimitExceeded", "TimeLimitExceeded"}


# ---------------------------------------------------------------------------------------------------------------
# Timers read engine.clock
#
# SpiffWorkflow 3.2 decides whether a timer is due with `datetime.now(timezone.utc)` inside
# SpiffWorkflow/bpmn/specs/event_definitions/timer.py, and offers no hook for the current time. Replacing that
# module's `datetime` name with a subclass whose now() reads engine.clock makes tests and simulations move time
# for timers and for our own code at once. Only that module is affected; the class behaves like datetime
# otherwise (fromisoformat, combine, arithmetic). Done once, at import.


class _ClockDatetime(datetime):
    @classmethod
    def now(cls, tz=None):
        current = clock.now()
        if tz is None:  # datetime.now() semantics: naive local time
            current = current.astimezone().replace(tzinfo=None)
        else:
            current = current.astimezone(tz)
        return cls.combine(current.date(), current.timetz())


if not issubclass(_timer_module.datetime, _ClockDatetime):
    _timer_module.datetime = _ClockDatetime
# A naive timer value ("2026-12-04T17:00") would be read in the server's zone; read it in Vietnam's.
_timer_module.LOCALTZ = _VN_TZ


# ---------------------------------------------------------------------------------------------------------------
# Serialization


class _StateConverter(BpmnWorkflowConverter):
    """The top-level workflow without 'spec' / 'subprocess_specs': those are stored once per process version."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        if spec is None:
            raise EngineError("internal: restoring a workflow needs its spec")
        workflow = self.target_class(spec, dict(subprocess_specs or {}), deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _new_registry():
    registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)  # spiff family: same classes as SpiffBpmnParser
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda d: Decimal(d["value"]))
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda d: date.fromisoformat(d["value"]))
    _StateConverter(BpmnWorkflow, registry)
    return registry


_local = threading.local()


def _registry():
    """One registry per thread: SpiffWorkflow toggles a mode flag on the registry while encoding."""
    registry = getattr(_local, "registry", None)
    if registry is None:
        registry = _local.registry = _new_registry()
        _local.encoder = create_encoder(registry)
    return registry


def _encoder():
    _registry()
    return _local.encoder


def dump_spec(spec, subprocess_specs=None) -> str:
    """The process spec (and sub-process specs) as JSON: done once per process version by compile_bpmn."""
    registry = _registry()
    return json.dumps({
        "format": SPEC_FORMAT,
        VERSION_KEY: SERIALIZER_VERSION,
        "spec": registry.convert(spec),
        "subprocess_specs": {name: registry.convert(s) for name, s in (subprocess_specs or {}).items()},
    }, separators=(",", ":"))


# Restored specs, shared by every instance of the same version. Sharing is safe in SpiffWorkflow 3.2 for the
# elements we accept: running a workflow never assigns to a task spec (checked in the 3.2 sources: the only
# run-time writes are MultiChoice.choice, set by the non-BPMN Choose trigger, and multi-instance tasks connecting
# their merge callback to the child spec's completed_event once, a callback that reads the workflow from its
# arguments); tests run interleaved instances on one shared spec. It saves the ~0.5 ms spec restore per load.
_SPEC_CACHE = OrderedDict()
_SPEC_CACHE_SIZE = 64
_SPEC_LOCK = threading.Lock()


def _preconnect_loop_merges(spec):
    """Loop and multi-instance tasks connect their merge callback to the child spec's completed_event the first
    time they run, by check-then-connect, which two threads sharing the spec could both pass (merging twice).
    Connecting here, before the spec is shared, leaves run time nothing to write."""
    for task_spec in list(spec.task_specs.values()):
        merge = getattr(task_spec, "merge_child", None)
        child_name = getattr(task_spec, "task_spec", None)
        if callable(merge) and isinstance(child_name, str) and child_name in spec.task_specs:
            event = spec.task_specs[child_name].completed_event
            if not event.is_connected(merge):
                event.connect(merge)


def _spec_for(spec_json):
    """(checksum, spec, subprocess_specs) for a stored spec_json, from the cache when possible."""
    if not isinstance(spec_json, str) or not spec_json:
        raise EngineError("spec_json must be the JSON text produced by compile_bpmn")
    checksum = hashlib.sha256(spec_json.encode("utf-8")).hexdigest()
    with _SPEC_LOCK:
        hit = _SPEC_CACHE.get(checksum)
        if hit is not None:
            _SPEC_CACHE.move_to_end(checksum)
            return checksum, hit[0], hit[1]
    try:
        stored = json.loads(spec_json)
    except ValueError:
        raise EngineError("spec_json is not valid JSON") from None
    if not isinstance(stored, dict) or stored.get("format") != SPEC_FORMAT:
        raise EngineError(f"spec_json is not a {SPEC_FORMAT} document")
    if stored.get(VERSION_KEY) != SERIALIZER_VERSION:
        raise EngineError(f"spec_json was written with serializer version {stored.get(VERSION_KEY)!r}; this engine "
                          f"reads {SERIALIZER_VERSION} only: recompile the process version")
    try:
        registry = _registry()
        spec = registry.restore(stored["spec"])
        subprocess_specs = {name: registry.restore(s) for name, s in stored.get("subprocess_specs", {}).items()}
    except Exception as exc:
        raise EngineError(f"spec_json could not be restored: {_describe(exc)}") from exc
    for restored in (spec, *subprocess_specs.values()):
        _preconnect_loop_merges(restored)
    with _SPEC_LOCK:
        _SPEC_CACHE[checksum] = (spec, subprocess_specs)
        while len(_SPEC_CACHE) > _SPEC_CACHE_SIZE:
            _SPEC_CACHE.popitem(last=False)
    return checksum, spec, subprocess_specs


# ---------------------------------------------------------------------------------------------------------------
# Data


def _checked_data(value, where, depth=0):
    """A deep copy of value if it is JSON-like (plus Decimal, date, datetime, which the serializer knows)."""
    if depth > _MAX_DATA_DEPTH:
        raise EngineError(f"{where}: data nested deeper than {_MAX_DATA_DEPTH} levels")
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise EngineError(f"{where}: {value} is not a JSON number")
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise EngineError(f"{where}: {value} is not a finite number")
        return value
    if type(value) in (date, datetime):
        return value
    if isinstance(value, (list, tuple)):
        return [_checked_data(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value)]
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise EngineError(f"{where}: key {key!r} is not a string")
            result[key] = _checked_data(item, f"{where}.{key}", depth + 1)
        return result
    raise EngineError(f"{where}: a {type(value).__name__} cannot be stored in workflow data (JSON values, Decimal, "
                      f"date and datetime only)")


def _json_safe(value):
    """Workflow data as plain JSON values, for the platform's JSON columns."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items() if not callable(v)}
    if isinstance(value, (list, tuple, set)):
        return [_json_safe(v) for v in value]
    return str(value)


# ---------------------------------------------------------------------------------------------------------------
# Records handed to callers


@dataclass(frozen=True)
class ReadyTask:
    task_id: str
    bpmn_id: str
    name: str | None
    lane: str | None
    allocation_days: Decimal | None
    allocation_hours: Decimal | None
    legal_extension_days: Decimal | None
    required_fields: tuple
    clock_phase: str | None = None


@dataclass(frozen=True)
class WaitingTimer:
    task_id: str
    bpmn_id: str
    due_at: datetime


@dataclass(frozen=True)
class WaitingEvent:
    name: str
    event_type: str
    value: object = None


def _decimal_property(spec, properties, name):
    value = properties.get(name)
    if value is None or not str(value).strip():
        return None
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        raise EngineError(f"property {name}={value!r} of step '{spec.bpmn_id}' is not a number",
                          spec.bpmn_id) from None
    if not number.is_finite():
        raise EngineError(f"property {name}={value!r} of step '{spec.bpmn_id}' is not a number", spec.bpmn_id)
    return number


def _step_properties(spec):
    properties = (getattr(spec, "extensions", None) or {}).get("properties") or {}
    fields = properties.get("required_fields") or ""
    return {
        "allocation_days": _decimal_property(spec, properties, "allocation_days"),
        "allocation_hours": _decimal_property(spec, properties, "allocation_hours"),
        "legal_extension_days": _decimal_property(spec, properties, "legal_extension_days"),
        "required_fields": tuple(f.strip() for f in fields.split(",") if f.strip()),
        "clock_phase": (properties.get("clock_phase") or "").strip() or None,
    }


def _parse_due(value):
    if isinstance(value, datetime):
        due = value
    elif isinstance(value, str):
        try:
            due = datetime.fromisoformat(value)
        except ValueError:
            try:
                due = TimerEventDefinition.parse_time_or_duration(value)
            except Exception:
                return None
            if not isinstance(due, datetime):
                return None
    else:
        return None
    if due.tzinfo is None:
        due = due.replace(tzinfo=_VN_TZ)
    return datetime.combine(due.date(), due.timetz())  # a plain datetime, not the timer module's subclass


# ---------------------------------------------------------------------------------------------------------------
# Errors


def _describe(exc):
    text = str(exc.args[0]) if getattr(exc, "args", None) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _task_in_traceback(exc):
    """The SpiffWorkflow task being worked on where exc was raised (innermost frame holding one)."""
    found = None
    tb = exc.__traceback__
    while tb is not None:
        for name in ("my_task", "task"):
            candidate = tb.tb_frame.f_locals.get(name)
            if isinstance(candidate, Task):
                found = candidate
                break
        tb = tb.tb_next
    return found


def _engine_error(exc):
    task = getattr(exc, "task", None)
    spec = task.task_spec if isinstance(task, Task) else getattr(exc, "task_spec", None)
    if getattr(spec, "bpmn_id", None) is None:
        task = _task_in_traceback(exc)
        spec = task.task_spec if task is not None else None
    element_id = getattr(spec, "bpmn_id", None)
    if element_id is not None:
        name = getattr(spec, "bpmn_name", None)
        where = f"at '{element_id}' ({name})" if name else f"at '{element_id}'"
    else:
        where = "in the engine"
    detail = str(exc.args[0]) if exc.args else ""
    if not isinstance(exc, TaskNotFoundException) and type(exc).__module__.startswith("SpiffWorkflow"):
        cause = exc.__cause__ or exc.__context__
        if cause is not None and str(cause) not in detail:
            detail += f" ({_describe(cause)})"
        notes = [n.strip() for n in getattr(exc, "notes", []) if n and n.strip()]
        if notes:
            detail += ". " + " ".join(notes)
    else:
        detail = _describe(exc)
    return EngineError(f"engine error {where}: {detail}", element_id)


def _via_boundary_event(task):
    parent = task.parent
    while parent is not None:
        if isinstance(parent.task_spec, BoundaryEvent):
            return True
        parent = parent.parent
    return False


# ---------------------------------------------------------------------------------------------------------------
# The instance


class Instance:
    """One running process instance.

    Mutating calls (start, complete_task, fire_due_timers, send_signal) run engine steps. If one raises
    EngineError mid-step, the in-memory workflow may be half-advanced: the caller must roll back its database
    transaction and reload the instance from the stored state (or discard it); it must not dumps() it.
    """

    def __init__(self, workflow, spec_checksum):
        self._wf = workflow
        self._spec_checksum = spec_checksum

    # -- creation ---------------------------------------------------------------------------------------------

    @classmethod
    def start(cls, spec_json, data, functions):
        """A new instance with `data` as its initial data, run up to its first wait states."""
        checksum, spec, subprocess_specs = _spec_for(spec_json)
        instance = cls(None, checksum)
        data = instance._clean_input(data, "data")
        engine = make_script_engine(functions)
        with instance._guard():
            workflow = BpmnWorkflow(spec, dict(subprocess_specs), script_engine=engine)
            workflow.task_tree.data.update(data)
            instance._wf = workflow
            workflow.do_engine_steps()
        return instance

    @classmethod
    def load(cls, spec_json, state_json, functions):
        """The instance saved by dumps(), on its spec, with a fresh restricted script engine."""
        checksum, spec, subprocess_specs = _spec_for(spec_json)
        try:
            state = json.loads(state_json)
        except (TypeError, ValueError):
            raise EngineError("the workflow state is not valid JSON") from None
        if not isinstance(state, dict) or state.get("typename") != "BpmnWorkflow":
            raise EngineError("the workflow state is not a saved workflow")
        version = state.pop(VERSION_KEY, None)
        if version != SERIALIZER_VERSION:
            # SpiffWorkflow would load an unknown version silently; its migrations also expect the spec inline.
            raise EngineError(f"the workflow state has serializer version {version!r}; this engine reads "
                              f"{SERIALIZER_VERSION} only")
        saved_checksum = state.pop("spec_checksum", None)
        if saved_checksum != checksum:
            raise EngineError("the workflow state was saved with another process version than this spec_json")
        try:
            workflow = _registry().restore(state, spec=spec, subprocess_specs=subprocess_specs)
        except Exception as exc:
            raise EngineError(f"the workflow state could not be restored: {_describe(exc)}") from exc
        workflow.script_engine = make_script_engine(functions)  # never the library's default eval engine
        return cls(workflow, checksum)

    def dumps(self) -> str:
        """The state as JSON, without the spec (that is spec_json), with the serializer version."""
        registry = _registry()
        try:
            # As BpmnWorkflowSerializer.serialize_json does: shallow conversion, the encoder walks the data.
            registry._encoder_mode = True
            try:
                state = registry.convert(self._wf)
            finally:
                registry._encoder_mode = False
            state[VERSION_KEY] = SERIALIZER_VERSION
            state["spec_checksum"] = self._spec_checksum
            return json.dumps(state, cls=_encoder(), separators=(",", ":"))
        except Exception as exc:
            raise EngineError(f"the workflow state could not be serialized: {_describe(exc)}") from exc

    # -- reading ----------------------------------------------------------------------------------------------

    @property
    def is_completed(self) -> bool:
        return self._wf.is_completed()

    @property
    def data(self) -> dict:
        """JSON-safe copy of the process data: the final data once completed, else the latest step's data."""
        if self._wf.is_completed():
            source = self._wf.data
        else:
            last = self._wf.last_task
            source = last.data if last is not None else self._wf.task_tree.data
        return _json_safe(source)

    @property
    def end_event_id(self) -> str | None:
        """The bpmn id of the end event that completed the process (the outcome), None while running."""
        if not self._wf.is_completed():
            return None
        ends = [(t.last_state_change, i, t) for i, t in enumerate(self._wf.get_tasks(state=TaskState.COMPLETED))
                if isinstance(t.task_spec, EndEvent)]
        # An end reached through a boundary event (e.g. a "late: explain the delay" branch) is a side path; the
        # outcome is the main path's end, unless an interrupting boundary event left only side paths.
        main = [e for e in ends if not _via_boundary_event(e[2])]
        chosen = main or ends
        return max(chosen, key=lambda e: (e[0], e[1]))[2].task_spec.bpmn_id if chosen else None

    def ready_tasks(self) -> list[ReadyTask]:
        """Steps waiting for a person, with the lane that routes them and their allocation."""
        result = []
        for task in self._wf.get_tasks(state=TaskState.READY, manual=True):
            spec = task.task_spec
            properties = _step_properties(spec)
            result.append(ReadyTask(task_id=str(task.id), bpmn_id=spec.bpmn_id, name=spec.bpmn_name,
                                    lane=spec.lane, **properties))
        return result

    def waiting_timers(self) -> list[WaitingTimer]:
        timers = []
        for task in self._wf.get_tasks(state=TaskState.WAITING):
            definition = getattr(task.task_spec, "event_definition", None)
            if not isinstance(definition, TimerEventDefinition):
                continue
            due = _parse_due(definition.details(task).value)
            if due is not None:
                timers.append(WaitingTimer(task_id=str(task.id), bpmn_id=task.task_spec.bpmn_id, due_at=due))
        timers.sort(key=lambda t: t.due_at)
        return timers

    def next_wakeup(self) -> datetime | None:
        timers = self.waiting_timers()
        return timers[0].due_at if timers else None

    def waiting_events(self) -> list[WaitingEvent]:
        return [WaitingEvent(e.name, e.event_type, e.value) for e in self._wf.waiting_events()]

    # -- acting -----------------------------------------------------------------------------------------------

    def complete_task(self, task_id: str, data: dict):
        """Completes a ready step with the data it produced, then runs the engine to the next wait states.

        Raises TaskNotReady (unknown id, or not waiting for a person) or EngineError (missing required field,
        data that is not JSON-like, or any engine error; see the class docstring about rolling back).
        """
        task = self._ready_task(task_id)
        spec = task.task_spec
        data = self._clean_input(data, "data")
        required = _step_properties(spec)["required_fields"]
        missing = [name for name in required if name not in data]
        if missing:
            raise EngineError(f"step '{spec.bpmn_id}' needs the field(s) {', '.join(missing)}", spec.bpmn_id)
        with self._guard():
            task.data.update(data)
            task.run()
            self._wf.do_engine_steps()

    def fire_due_timers(self) -> bool:
        """Fires the timers due at engine.clock.now() and runs the engine; True when anything changed."""
        before = self._fingerprint()
        with self._guard():
            self._wf.refresh_timers()
            self._wf.do_engine_steps()
        return self._fingerprint() != before

    def send_signal(self, name: str, payload=None):
        """Throws a signal into the instance; EngineError if nothing in it waits for that signal now."""
        waiting = self.waiting_events()
        if not any(e.name == name and e.event_type == "SignalEventDefinition" for e in waiting):
            signals = sorted({e.name for e in waiting if e.event_type == "SignalEventDefinition"})
            raise EngineError(f"the process is not waiting for signal {name!r}"
                              + (f" (it waits for: {', '.join(signals)})" if signals else ""))
        payload = _checked_data(payload, "payload")
        with self._guard():
            # The spiff-family definition: event matching compares classes, and the spec was parsed by
            # SpiffBpmnParser.
            self._wf.send_event(BpmnEvent(SignalEventDefinition(name), payload=payload))
            self._wf.do_engine_steps()

    # -- internals --------------------------------------------------------------------------------------------

    def _ready_task(self, task_id):
        try:
            uuid = UUID(str(task_id))
        except ValueError:
            raise TaskNotReady(f"no task {task_id!r} in this process") from None
        try:
            task = self._wf.get_task_from_id(uuid)
        except TaskNotFoundException:
            task = None
        if task is None:
            raise TaskNotReady(f"no task {task_id!r} in this process")
        spec = task.task_spec
        element_id = getattr(spec, "bpmn_id", None)
        if task.state != TaskState.READY or not spec.manual:
            raise TaskNotReady(f"step '{element_id}' is {TaskState.get_name(task.state).lower()}, not waiting for "
                               f"a person", element_id)
        return task

    @staticmethod
    def _clean_input(data, where):
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise EngineError(f"{where} must be a dict of fields, not {type(data).__name__}")
        return _checked_data(data, where)

    def _fingerprint(self):
        return [(t.id, t.state) for t in self._wf.get_tasks()]

    @contextmanager
    def _guard(self):
        try:
            yield
        except EngineError:
            raise
        except Exception as exc:
            if type(exc).__name__ in _PASS_THROUGH:
                raise
            raise _engine_error(exc) from exc
