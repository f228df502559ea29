"""The clocks of complaints, denunciations, petitions and dialogue opinions (issue 9), on the dossiers' statutory
clock rather than beside it.

A case is a dossier of a procedure whose `kind` is not administrative. Its first limit is the procedure's own
(acceptance of a complaint, initial handling of a denunciation, …); later ones are the procedure's `clock_phases`,
each started by the user task that carries the BPMN property `clock_phase` when that task becomes ready
(processes.services.dossiers.sync_work_items): the statutory due time is counted again from the phase's start (or
from reception, "from": "received"), with a new clock generation, and the same warnings, explanation, escalation and
incidents follow. An extension is a recorded decision (CaseDecision) that moves the due time of the running phase, at
most as many times as the phase allows for the case's complexity.

Phase settings, per procedure (editable in the admin; whether a limit counts working or calendar days is its "unit"):

    {"resolution": {"limit": 30, "unit": "calendar_days", "complex": 45, "remote": 45, "remote_complex": 60,
                    "extension": 30, "extensions": {"complex": 1, "especially_complex": 2}},
     "send_decision": {"limit": 3, "unit": "working_days"},
     "initial": {"extension": 3, "extensions": 1}}

"initial" holds only the extension rule of the procedure's own first limit. "limit_data": the name of a workflow
datum (set at intake) that gives the limit in place of "limit" (a dialogue opinion's response deadline). The case's
complexity ("normal", "complex", "especially_complex") and remoteness ("remote_area": true) are workflow data, set
by the step that decides them.
"""

from decimal import Decimal, InvalidOperation

from django.db import transaction

from engine import clock

from ..models import CaseDecision, CaseKind, DecisionKind, DossierStatus, Role, StatutoryUnit
from .calendar import calendar_for_unit, statutory_due_at
from .errors import Conflict, InvalidInput, NotAllowed
from .events import record_event
from .forms import fmt_datetime
from .notifications import notify_citizen
from .statutory import _iso, _lock_dossier, arm_statutory_clock, clean_text, save_dossier

INITIAL = "initial"
COMPLEXITIES = ("normal", "complex", "especially_complex")
# as the acceptance step's form words them (bpmn/to_cao.bpmn, khieu_nai_*.bpmn); messages name these, not the codes
COMPLEXITY_NAMES = {"normal": "thông thường", "complex": "phức tạp", "especially_complex": "đặc biệt phức tạp"}
PHASE_KEYS = {"limit", "unit", "from", "complex", "remote", "remote_complex", "extension", "extensions",
              "limit_data", "name"}
UNITS = (StatutoryUnit.WORKING_DAYS, StatutoryUnit.CALENDAR_DAYS)
MAX_DAYS = Decimal(3660)
PHASE_NAMES = {
    "acceptance": "Thụ lý",
    "initial": "Xử lý ban đầu",
    "forward": "Chuyển đơn đến cơ quan có thẩm quyền",
    "resolution": "Giải quyết",
    "send_decision": "Gửi quyết định, kết luận",
    "reject": "Từ chối tiếp nhận",
    "ask_information": "Đề nghị bổ sung thông tin",
    "answer": "Trả lời",
    "publish": "Công khai kết quả",
    "response": "Trả lời ý kiến",
}


def _number(value, where, *, whole=False):
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{where}: {value!r} không phải là số", field="clock_phases") from None
    if not number.is_finite() or number < 0 or number > MAX_DAYS or (whole and number != number.to_integral()):
        raise InvalidInput(f"{where}: {value!r} phải là số {'nguyên ' if whole else ''}từ 0 đến {MAX_DAYS}",
                           field="clock_phases")
    return number


def clean_clock_phases(value):
    """The settings as stored, or InvalidInput naming the phase and key (admin form, seeding)."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise InvalidInput("các mốc thời hạn phải là một đối tượng JSON {tên mốc: {...}}", field="clock_phases")
    cleaned = {}
    for name, settings in value.items():
        if not isinstance(name, str) or not name.replace("_", "").isalnum() or not name[:1].isalpha():
            raise InvalidInput(f"tên mốc {name!r} không hợp lệ (chữ thường, số, _)", field="clock_phases")
        if not isinstance(settings, dict):
            raise InvalidInput(f"mốc {name}: cần một đối tượng JSON", field="clock_phases")
        unknown = set(settings) - PHASE_KEYS
        if unknown:
            raise InvalidInput(f"mốc {name}: khoá không dùng được {', '.join(sorted(unknown))}", field="clock_phases")
        phase = {}
        if name != INITIAL:
            if "limit" not in settings:
                raise InvalidInput(f"mốc {name}: thiếu limit (số ngày)", field="clock_phases")
            unit = settings.get("unit")
            if unit not in UNITS:
                raise InvalidInput(f"mốc {name}: unit phải là working_days hoặc calendar_days", field="clock_phases")
            phase["unit"] = unit
            whole = unit == StatutoryUnit.CALENDAR_DAYS
            for key in ("limit", "complex", "remote", "remote_complex"):
                if key in settings:
                    phase[key] = str(_number(settings[key], f"mốc {name}, {key}", whole=whole))
            if settings.get("from", "phase") not in ("phase", "received"):
                raise InvalidInput(f"mốc {name}: from phải là phase hoặc received", field="clock_phases")
            phase["from"] = settings.get("from", "phase")
            if "limit_data" in settings:
                phase["limit_data"] = str(settings["limit_data"])[:60]
        if "name" in settings:
            phase["name"] = str(settings["name"])[:200]
        if "extension" in settings:
            phase["extension"] = str(_number(settings["extension"], f"mốc {name}, extension"))
            allowed = settings.get("extensions", 1)
            if isinstance(allowed, dict):
                bad = set(allowed) - set(COMPLEXITIES)
                if bad:
                    raise InvalidInput(f"mốc {name}: extensions theo mức độ {', '.join(COMPLEXITIES)}, không phải "
                                       f"{', '.join(sorted(bad))}", field="clock_phases")
                phase["extensions"] = {k: int(_number(v, f"mốc {name}, extensions.{k}", whole=True))
                                       for k, v in allowed.items()}
            else:
                phase["extensions"] = int(_number(allowed, f"mốc {name}, extensions", whole=True))
        cleaned[name] = phase
    return cleaned


def phase_label(procedure, phase):
    settings = (procedure.clock_phases or {}).get(phase or INITIAL, {})
    return settings.get("name") or PHASE_NAMES.get(phase or INITIAL, phase or INITIAL)


def complexity(dossier):
    value = (dossier.data or {}).get("complexity")
    return value if value in COMPLEXITIES else "normal"


def remote(dossier):
    return bool((dossier.data or {}).get("remote_area"))


def current_limit(dossier):
    """(limit, unit) of the running clock: the phase's, for the case's complexity and remoteness, or the
    procedure's own."""
    procedure = dossier.procedure
    if not dossier.clock_phase:
        return Decimal(procedure.statutory_limit), procedure.statutory_unit
    settings = (procedure.clock_phases or {}).get(dossier.clock_phase)
    if settings is None:  # the phase was removed from the catalogue meanwhile: the clock keeps its due time
        return Decimal(procedure.statutory_limit), procedure.statutory_unit
    return phase_limit(dossier, settings), settings["unit"]


def phase_limit(dossier, settings):
    hard = complexity(dossier) != "normal"
    if settings.get("limit_data") and (dossier.data or {}).get(settings["limit_data"]) not in (None, ""):
        try:
            return _number(dossier.data[settings["limit_data"]], settings["limit_data"])
        except InvalidInput:
            pass
    if remote(dossier) and hard and "remote_complex" in settings:
        return Decimal(settings["remote_complex"])
    if remote(dossier) and "remote" in settings:
        return Decimal(settings["remote"])
    if hard and "complex" in settings:
        return Decimal(settings["complex"])
    return Decimal(settings["limit"])


def _due(dossier, start, limit, unit):
    return statutory_due_at(calendar_for_unit(dossier.receiving_unit), start, limit, unit)


def start_phase(dossier, phase, now, *, engine_task_id=""):
    """Called when a user task carrying clock_phase becomes ready: the statutory clock restarts for that phase.
    The caller holds the dossier's row lock; saves and re-arms here."""
    settings = (dossier.procedure.clock_phases or {}).get(phase)
    if settings is None or phase == INITIAL:
        # Deploying checks every clock_phase against the catalogue; one removed since is reported, not fatal.
        record_event("clock_phase_unknown", dossier=dossier, engine_task_id=engine_task_id, after={"phase": phase})
        return False
    before = {"phase": dossier.clock_phase or INITIAL, "due_at": _iso(dossier.due_at),
              "clock_generation": dossier.clock_generation}
    dossier.clock_phase = phase
    limit, unit = phase_limit(dossier, settings), settings["unit"]
    start = dossier.received_at if settings.get("from") == "received" else now
    dossier.due_at = _due(dossier, start, limit, unit)
    dossier.clock_generation += 1
    dossier.clock_started_at = start
    dossier.legal_extension_days = Decimal(0)
    dossier.appointment_at = None
    save_dossier(dossier, ["clock_phase", "due_at", "clock_generation", "clock_started_at", "legal_extension_days",
                           "appointment_at"])
    arm_statutory_clock(dossier, now)
    record_event("clock_phase_started", dossier=dossier, engine_task_id=engine_task_id, before=before,
                 after={"phase": phase, "limit": str(limit), "unit": unit, "from": _iso(start),
                        "due_at": _iso(dossier.due_at), "complexity": complexity(dossier), "remote_area": remote(dossier),
                        "clock_generation": dossier.clock_generation})
    return True


def extensions_allowed(dossier):
    """(days per extension, how many this phase allows for the case, how many were decided) — (None, 0, n) when
    the running phase cannot be extended."""
    settings = (dossier.procedure.clock_phases or {}).get(dossier.clock_phase or INITIAL) or {}
    done = CaseDecision.objects.filter(dossier=dossier, kind=DecisionKind.EXTENSION,
                                       phase=dossier.clock_phase or INITIAL).count()
    if "extension" not in settings:
        return None, 0, done
    allowed = settings.get("extensions", 1)
    if isinstance(allowed, dict):
        allowed = allowed.get(complexity(dossier), 0)
    return Decimal(settings["extension"]), int(allowed), done


@transaction.atomic
def extend_clock(code, actor, *, number, reason):
    """A leader of the receiving unit extends the running phase by a recorded decision: the due time moves by the
    phase's extension (in the phase's unit, counted on from the phase's start), the clock is re-armed, the citizen
    is told. Refused past the number of extensions the case's complexity allows."""
    dossier = _lock_dossier(code)
    if dossier.procedure.kind == CaseKind.ADMINISTRATIVE:
        raise InvalidInput("hồ sơ thủ tục hành chính không gia hạn bằng quyết định", field="code")
    if dossier.status not in (DossierStatus.RECEIVED, DossierStatus.PROCESSING):
        raise Conflict(f"không gia hạn được: hồ sơ đang ở trạng thái {dossier.get_status_display()}")
    unit = dossier.receiving_unit
    from .dossiers import has_role

    if actor.user is None or not (has_role(actor.user, unit, Role.SIGNING_LEADER)
                                  or has_role(actor.user, unit, Role.UNIT_LEADER)):
        raise NotAllowed("chỉ lãnh đạo đơn vị tiếp nhận mới được quyết định gia hạn")
    actor = actor.with_context(Role.SIGNING_LEADER if has_role(actor.user, unit, Role.SIGNING_LEADER)
                               else Role.UNIT_LEADER, unit)
    # checked once the caller may decide at all: others learn nothing from the fields' errors
    number = clean_text(number, "number", what="số quyết định", limit=60)
    reason = clean_text(reason, "reason", what="lý do gia hạn")
    days, allowed, done = extensions_allowed(dossier)
    phase = dossier.clock_phase or INITIAL
    label = phase_label(dossier.procedure, dossier.clock_phase)
    if days is None:
        raise InvalidInput(f"giai đoạn «{label}» không được gia hạn", field="phase")
    if done >= allowed:
        by_complexity = isinstance((dossier.procedure.clock_phases or {}).get(phase, {}).get("extensions"), dict)
        raise Conflict(f"không gia hạn thêm được: giai đoạn «{label}» đã gia hạn {done} lần, tối đa {allowed} lần"
                       + (f" với vụ việc {COMPLEXITY_NAMES[complexity(dossier)]}" if by_complexity else ""),
                       field="number")
    now = clock.now()
    limit, unit_kind = current_limit(dossier)
    before = {"due_at": _iso(dossier.due_at), "legal_extension_days": str(dossier.legal_extension_days),
              "phase": phase}
    previous = dossier.due_at
    start = dossier.clock_started_at or dossier.received_at
    dossier.legal_extension_days = Decimal(dossier.legal_extension_days) + days
    dossier.due_at = _due(dossier, start, limit + dossier.legal_extension_days, unit_kind)
    save_dossier(dossier, ["due_at", "legal_extension_days"])
    decision = CaseDecision.objects.create(
        dossier=dossier, kind=DecisionKind.EXTENSION, phase=phase, sequence=done + 1, number=number, reason=reason,
        days=days, previous_due_at=previous, new_due_at=dossier.due_at, decided_by=actor.user, decided_at=now)
    arm_statutory_clock(dossier, now)
    notify_citizen(dossier, f"Gia hạn giải quyết {dossier.code}",
                   f"{dossier.receiving_unit.name} đã quyết định gia hạn ({number}) giai đoạn «{label}» của "
                   f"{dossier.code} thêm {_plain(days)} ngày. Thời hạn mới: {fmt_datetime(dossier.due_at)}.\n",
                   key=f"extension:c{decision.pk}")
    record_event("clock_extended", actor=actor, dossier=dossier, before=before,
                 after={"decision": decision.pk, "number": number, "reason": reason, "phase": phase,
                        "sequence": decision.sequence, "days": str(days), "due_at": _iso(dossier.due_at),
                        "allowed": allowed})
    return decision


def _plain(value):
    return format(Decimal(value).normalize(), "f")
