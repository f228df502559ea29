"""Dialogue meetings (issue 9): a People's Committee meets the citizens (hội nghị đối thoại, tiếp xúc); the meeting is
recorded — date, leaders, where, how many attended — and each opinion raised there is classified by field and assigned
to a unit with a response deadline. Each opinion is a dossier of the procedure `y-kien-doi-thoai` (kind "dialogue",
bpmn/y_kien_doi_thoai.bpmn) received at the assigned unit, so that its answer and its publication are steps of the
workflow (the `tra_loi` step's `answer`, then `cong_khai`), on the statutory clock: the response phase counts the
deadline given here (workflow datum `response_days`, in working days from the recording), the publication 2 working
days; warnings, lateness and escalation come from the clock like for any dossier.

Who records: a reception official or a leader (unit_leader, signing_leader) of the meeting's unit or of its parent
unit. The opinion's dossier is received by the platform (the SYSTEM actor) at the assigned unit, not by the recorder:
receive_dossier requires the reception role *at the receiving unit* — right for a counter, where the desk receives for
its own unit — while the recorder is usually the district's office, which assigns the opinion to a commune or a
department it does not belong to. Receiving in the recorder's name would either be refused or need a second way round
that rule; instead the event `opinion_recorded`, in the same transaction, names the official who recorded and
assigned it (and in which role and unit), so the history still says who did what.

Writes: `record_meeting`, `add_opinion` — each one transaction, each writing its event. Reads (the pages): the
meetings an official may see, one meeting with its opinions and their state, and the published responses for the
citizens' portal (no personal data)."""
import re
from dataclasses import dataclass, field as dataclass_field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q

from engine import clock
from engine.calendar import VN_TZ

from ..models import (
    OPEN_STATUSES,
    AdministrativeUnit,
    CaseKind,
    DialogueMeeting,
    Dossier,
    DossierFlag,
    DossierStatus,
    Event,
    Field,
    Membership,
    Role,
    UnitKind,
    WorkItem,
    WorkItemKind,
)
from .calendar import calendar_for_unit
from .errors import InvalidInput, NotAllowed, NotFound
from .events import SYSTEM, record_event
from .statutory import clean_text

OPINION_PROCEDURE = "y-kien-doi-thoai"
ANSWER_STEP = "tra_loi"
PUBLISH_STEP = "cong_khai"
PUBLISHED_END = "end_da_cong_khai"
RESPONSE_PHASE = "response"
RECORDER_ROLES = (Role.RECEPTION, Role.UNIT_LEADER, Role.SIGNING_LEADER)
MEETING_UNIT_KINDS = (UnitKind.PROVINCE, UnitKind.DISTRICT, UnitKind.COMMUNE)
DEFAULT_RESPONSE_DAYS = 15
MAX_RESPONSE_DAYS = 90
# The applicant of an opinion raised without a name (the dossier needs one; it is never published).
ANONYMOUS = "Người dân dự hội nghị đối thoại"
LIMITS = {"leaders": 1000, "place": 300, "summary": 4000, "content": 4000, "citizen_name": 200}
MAX_ATTENDEES = 100_000
OLDEST_MEETING = date(2000, 1, 1)


# ---------------------------------------------------------------------------------------------------------------
# input


def _text(value, field, what, *, required=False):
    return clean_text(value, field, what=what, limit=LIMITS[field], required=required)


def parse_day(value, field, what):
    """A date from a date, 'dd/mm/yyyy' or 'yyyy-mm-dd'; InvalidInput naming `field` otherwise."""
    if isinstance(value, datetime):
        return value.astimezone(VN_TZ).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"thiếu {what} (ngày/tháng/năm)", field=field)
    text = value.strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise InvalidInput(f"{what} “{text[:20]}” không phải là một ngày hợp lệ dạng ngày/tháng/năm, ví dụ 15/12/2026",
                       field=field)


def _unit(code, field, what):
    if not isinstance(code, str) or not code.strip():
        raise InvalidInput(f"thiếu {what}", field=field)
    unit = AdministrativeUnit.objects.filter(code=code.strip(), active=True).select_related("parent").first()
    if unit is None:
        raise NotFound(f"không có {what} mã {code.strip()[:40]}", field=field)
    return unit


def _within(unit, ancestor):
    return unit.pk == ancestor.pk or any(a.pk == ancestor.pk for a in unit.ancestors())


# ---------------------------------------------------------------------------------------------------------------
# who records


def recorder_context(user, unit):
    """(role, unit) in which `user` may record a meeting of `unit` or an opinion raised there: reception or a leader
    of the unit itself, else of its parent. None when they may not."""
    from ..selectors import holds_role

    if user is None or not getattr(user, "is_authenticated", False) or unit is None:
        return None
    for place in (unit, unit.parent):
        if place is None:
            continue
        for role in RECORDER_ROLES:
            if holds_role(user, place, role):
                return role, place
    return None


def can_record(user, unit):
    return recorder_context(user, unit) is not None


def recording_units(user):
    """The units whose meetings `user` may record: where they are at reception or lead, and those units' communes
    and districts (not departments: a People's Committee holds the meeting)."""
    from ..selectors import active_substitutions

    held = set(Membership.objects.filter(user=user, role__in=RECORDER_ROLES).values_list("unit_id", flat=True))
    held |= set(active_substitutions().filter(substitute=user, role__in=RECORDER_ROLES)
                .values_list("unit_id", flat=True))
    return (AdministrativeUnit.objects.filter(Q(pk__in=held) | Q(parent_id__in=held), active=True,
                                              kind__in=MEETING_UNIT_KINDS).order_by("kind", "code"))


def _require_recorder(actor, unit, what):
    context = recorder_context(actor.user, unit)
    if context is None:
        raise NotAllowed(f"chỉ cán bộ tiếp nhận hoặc lãnh đạo của {unit.name} hoặc đơn vị cấp trên mới được {what}")
    return actor.with_context(*context)


# ---------------------------------------------------------------------------------------------------------------
# record a meeting


@transaction.atomic
def record_meeting(actor, unit_code, held_on, leaders, attendees, commune_code=None, place="", summary=""):
    """Records a dialogue meeting held by `unit_code` on `held_on` (a date or dd/mm/yyyy; not in the future), chaired
    or attended by `leaders`, with `attendees` citizens, at `commune_code` (a commune of the unit, or the unit itself
    when it is a commune) and `place`. Returns the DialogueMeeting."""
    if actor.user is None:
        raise NotAllowed("hội nghị đối thoại phải do một cán bộ ghi nhận")
    unit = _unit(unit_code, "unit", "đơn vị tổ chức")
    if unit.kind not in MEETING_UNIT_KINDS:
        raise InvalidInput(f"{unit.name} là phòng, ban chuyên môn: hội nghị đối thoại do Ủy ban nhân dân tổ chức",
                           field="unit")
    actor = _require_recorder(actor, unit, "ghi nhận hội nghị đối thoại của đơn vị này")
    day = parse_day(held_on, "held_on", "ngày tổ chức")
    today = clock.now().astimezone(VN_TZ).date()
    if day > today:
        raise InvalidInput(f"ngày tổ chức {day:%d/%m/%Y} chưa đến: chỉ ghi nhận hội nghị đã diễn ra", field="held_on")
    if day < OLDEST_MEETING:
        raise InvalidInput(f"ngày tổ chức {day:%d/%m/%Y} không hợp lệ", field="held_on")
    leaders = _text(leaders, "leaders", "lãnh đạo chủ trì, tham dự", required=True)
    if isinstance(attendees, str) and attendees.strip().isdigit():
        attendees = int(attendees.strip())
    if isinstance(attendees, bool) or not isinstance(attendees, int) or not 0 <= attendees <= MAX_ATTENDEES:
        raise InvalidInput(f"số người dân tham dự phải là số nguyên từ 0 đến {MAX_ATTENDEES:,}".replace(",", "."),
                           field="attendees")
    commune = None
    if commune_code not in (None, ""):
        commune = _unit(commune_code, "commune", "xã, phường nơi tổ chức")
        if commune.kind != UnitKind.COMMUNE or not _within(commune, unit):
            raise InvalidInput(f"{commune.name} không phải là xã, phường thuộc {unit.name}", field="commune")
    place = _text(place, "place", "địa điểm")
    summary = _text(summary, "summary", "nội dung chính")
    now = clock.now()
    meeting = DialogueMeeting.objects.create(
        unit=unit, commune=commune, held_on=day, place=place, leaders=leaders, attendees=attendees, summary=summary,
        recorded_by=actor.user, recorded_at=now)
    record_event("dialogue_meeting_recorded", actor=actor, at=now,
                 after={"meeting": meeting.pk, "unit": unit.code, "held_on": day.isoformat(),
                        "commune": commune.code if commune else None, "attendees": attendees})
    return meeting


# ---------------------------------------------------------------------------------------------------------------
# add an opinion


def _response_days(value):
    if isinstance(value, str):
        value = value.strip()
    try:
        days = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"thời hạn trả lời “{str(value)[:20]}” không phải là số ngày làm việc",
                           field="response_days") from None
    if not days.is_finite() or days != days.to_integral_value() or not 1 <= days <= MAX_RESPONSE_DAYS:
        raise InvalidInput(f"thời hạn trả lời là số nguyên ngày làm việc từ 1 đến {MAX_RESPONSE_DAYS}",
                           field="response_days")
    return int(days)


def days_until(unit, start, day):
    """The working days (a fraction, exact to the microsecond) from a reception at `start` to the end of office hours
    of `day` at `unit`, counted as the statutory clock counts them (engine.calendar: the cut-off, the office hours):
    a deadline given as a date becomes the response phase's limit in working days."""
    if (day - start.astimezone(VN_TZ).date()).days > 2 * MAX_RESPONSE_DAYS:  # surely beyond: not counted day by day
        raise InvalidInput(f"hạn trả lời quá {MAX_RESPONSE_DAYS} ngày làm việc kể từ khi ghi nhận", field="due_on")
    calendar = calendar_for_unit(unit)
    begin = calendar.count_start(start)
    if not calendar.is_working_day(day):
        raise InvalidInput(f"ngày {day:%d/%m/%Y} là ngày nghỉ của {unit.name}: hãy chọn một ngày làm việc",
                           field="due_on")
    if day < begin.date():
        raise InvalidInput(f"hạn trả lời phải từ ngày {begin:%d/%m/%Y} trở đi (ngày bắt đầu tính thời hạn)",
                           field="due_on")
    end = calendar.add_working_days(datetime.combine(day, time(0), VN_TZ), 0)  # 17:00 that day
    days = (calendar.office_hours_between(begin, end) / calendar.hours_per_day).quantize(Decimal("1e-12"))
    if days > MAX_RESPONSE_DAYS:
        raise InvalidInput(f"hạn trả lời quá {MAX_RESPONSE_DAYS} ngày làm việc kể từ khi ghi nhận", field="due_on")
    if calendar.add_working_days(start, days) != end:  # the calendar rounds to the microsecond: never off
        raise InvalidInput(f"không tính được thời hạn đến ngày {day:%d/%m/%Y}", field="due_on")
    return int(days) if days == days.to_integral_value() else float(days.normalize())


@transaction.atomic
def add_opinion(actor, meeting_id, content, field_code, assigned_unit_code, response_days=None, due_on=None,
                citizen_name="", citizen_phone=""):
    """Records an opinion raised at meeting `meeting_id`: its `content`, classified by `field_code` (a Field) and
    assigned to `assigned_unit_code` (the meeting's unit or one of its sub-units: communes, departments), to answer
    within `response_days` working days from now, or by the end of office hours of `due_on` (a working day; dd/mm/yyyy
    or a date), 15 working days when neither is given. The citizen's name and phone are optional and never published.
    Returns the opinion's dossier, received at the assigned unit, its first step (the answer) routed to the unit's
    leader."""
    if actor.user is None:
        raise NotAllowed("ý kiến tại hội nghị đối thoại phải do một cán bộ ghi nhận")
    try:
        meeting_pk = int(meeting_id)
    except (TypeError, ValueError):
        raise NotFound("không có hội nghị đối thoại này", field="meeting") from None
    meeting = (DialogueMeeting.objects.select_for_update(of=("self",)).select_related("unit", "unit__parent")
               .filter(pk=meeting_pk).first())
    if meeting is None:
        raise NotFound("không có hội nghị đối thoại này", field="meeting")
    actor = _require_recorder(actor, meeting.unit, "ghi nhận ý kiến tại hội nghị đối thoại này")
    content = _text(content, "content", "nội dung ý kiến", required=True)
    if not isinstance(field_code, str) or not field_code.strip():
        raise InvalidInput("hãy chọn lĩnh vực của ý kiến", field="field")
    field = Field.objects.filter(code=field_code.strip()).first()
    if field is None:
        raise InvalidInput(f"không có lĩnh vực mã {field_code.strip()[:40]}", field="field")
    if not isinstance(assigned_unit_code, str) or not assigned_unit_code.strip():
        raise InvalidInput("hãy chọn đơn vị được giao trả lời", field="assigned_unit")
    assigned = AdministrativeUnit.objects.filter(code=assigned_unit_code.strip(), active=True).first()
    if assigned is None:
        raise InvalidInput(f"không có đơn vị mã {assigned_unit_code.strip()[:40]}", field="assigned_unit")
    if assigned.pk != meeting.unit_id and assigned.parent_id != meeting.unit_id:
        raise InvalidInput(f"{assigned.name} không phải là {meeting.unit.name} hoặc đơn vị trực thuộc: chỉ giao trả "
                           f"lời cho đơn vị tổ chức hội nghị, các xã, phòng, ban của đơn vị đó", field="assigned_unit")
    if not Membership.objects.filter(unit=assigned, role=Role.UNIT_LEADER, user__is_active=True).exists():
        raise InvalidInput(f"{assigned.name} chưa có lãnh đạo đơn vị để trả lời ý kiến", field="assigned_unit")
    citizen_name = _text(citizen_name, "citizen_name", "họ tên người nêu ý kiến")
    citizen_phone = (citizen_phone or "").strip() if isinstance(citizen_phone, str) or citizen_phone is None else None
    if citizen_phone is None or (citizen_phone and not re.fullmatch(r"\+?\d{8,15}", citizen_phone)):
        raise InvalidInput("số điện thoại không hợp lệ (8 đến 15 chữ số)", field="citizen_phone")

    now = clock.now()
    if response_days not in (None, "") and due_on not in (None, ""):
        raise InvalidInput("chỉ ghi một trong hai: số ngày làm việc hoặc ngày hết hạn trả lời", field="response_days")
    data = {"content": content, "field": field.code, "meeting": meeting.pk}
    if due_on not in (None, ""):
        day = parse_day(due_on, "due_on", "hạn trả lời")
        data["response_days"] = days_until(assigned, now, day)
        data["response_due"] = day.isoformat()
    else:
        data["response_days"] = (DEFAULT_RESPONSE_DAYS if response_days in (None, "")
                                 else _response_days(response_days))

    from .dossiers import receive_dossier

    # Received by the platform at the assigned unit (see the module's docstring), in the recorder's transaction.
    dossier = receive_dossier(procedure_code=OPINION_PROCEDURE, unit_code=assigned.code,
                              applicant={"full_name": citizen_name or ANONYMOUS, "phone": citizen_phone},
                              data=data, actor=SYSTEM)
    Dossier.objects.filter(pk=dossier.pk).update(meeting=meeting)
    dossier.meeting = meeting
    record_event("opinion_recorded", actor=actor, dossier=dossier,
                 after={"meeting": meeting.pk, "meeting_unit": meeting.unit.code, "field": field.code,
                        "assigned_unit": assigned.code, "response_days": str(data["response_days"]),
                        "response_due": data.get("response_due"), "due_at": _iso(dossier.due_at),
                        "recorded_by": actor.user.username})
    return dossier


def _iso(dt):
    return dt.astimezone(VN_TZ).isoformat() if dt is not None else None


# ---------------------------------------------------------------------------------------------------------------
# reading: the officials' pages


def visible_meetings(user):
    """The meetings an official may see: those of the units they work in, those they may record (at the desk or
    leading the parent unit: a district's desk and chairman see the communes' meetings), those with an opinion
    assigned to one of their units; every meeting for auditors."""
    from ..selectors import active_substitutions, is_auditor

    qs = DialogueMeeting.objects.select_related("unit", "commune", "recorded_by")
    if user is None or not user.is_authenticated:
        return qs.none()
    if is_auditor(user):
        return qs
    units = set(Membership.objects.filter(user=user).values_list("unit_id", flat=True))
    units |= set(active_substitutions().filter(substitute=user).values_list("unit_id", flat=True))
    recorders = set(Membership.objects.filter(user=user, role__in=RECORDER_ROLES).values_list("unit_id", flat=True))
    recorders |= set(active_substitutions().filter(substitute=user, role__in=RECORDER_ROLES)
                     .values_list("unit_id", flat=True))
    assigned = Dossier.objects.filter(meeting=OuterRef("pk"), receiving_unit_id__in=units)
    return qs.filter(Q(unit_id__in=units) | Q(unit__parent_id__in=recorders) | Exists(assigned))


def meetings_overview(user):
    """The meetings `user` may see, newest first, each with its opinions counted by state."""
    now = clock.now()
    open_ = Q(opinions__status__in=OPEN_STATUSES)
    return (visible_meetings(user)
            .annotate(n_opinions=Count("opinions", distinct=True),
                      n_open=Count("opinions", filter=open_, distinct=True),
                      n_published=Count("opinions", filter=Q(opinions__outcome=PUBLISHED_END), distinct=True),
                      n_late=Count("opinions", filter=Q(opinions__flags__contains=[DossierFlag.LATE])
                                   | (open_ & Q(opinions__due_at__lt=now)), distinct=True))
            .order_by("-held_on", "-id"))


def meeting_for(user, meeting_id):
    return visible_meetings(user).filter(pk=meeting_id).first()


@dataclass
class Opinion:
    dossier: Dossier
    content: str
    field: Field | None
    unit: AdministrativeUnit
    state: str  # open | answered | published | closed
    response_due: datetime | None
    due_at: datetime
    late: bool
    answer: str = ""
    answered_at: datetime | None = None
    answered_late: bool = False
    published_at: datetime | None = None
    open_step: WorkItem | None = None
    steps: list = dataclass_field(default_factory=list)

    @property
    def overdue(self):
        return self.state in ("open", "answered") and self.due_at < clock.now()


def _fields_by_code(codes):
    return {f.code: f for f in Field.objects.filter(code__in={c for c in codes if isinstance(c, str)})}


def _response_dues(dossiers):
    """{dossier id: the response phase's due time}, from the clock's events (the phase may be over)."""
    found = {}
    for event in (Event.objects.filter(dossier__in=dossiers, kind="clock_phase_started").order_by("id")
                  .only("dossier_id", "data_after")):
        after = event.data_after or {}
        if after.get("phase") == RESPONSE_PHASE and event.dossier_id not in found and after.get("due_at"):
            found[event.dossier_id] = datetime.fromisoformat(after["due_at"])
    return found


def opinions_of(meeting):
    """The meeting's opinions in the order they were recorded, each with its state: open (waiting for the answer),
    answered (waiting for publication), published, or closed (stopped otherwise); the response phase's due time, the
    running due time, late (flagged late by the clock, or open past its due time), the answer and when it was given
    and published, and the open step (for the link to the step page)."""
    dossiers = list(meeting.opinions.select_related("receiving_unit", "procedure", "applicant")
                    .order_by("received_at", "id"))
    fields = _fields_by_code((d.data or {}).get("field") for d in dossiers)
    dues = _response_dues(dossiers)
    steps = {}
    for item in (WorkItem.objects.filter(dossier__in=dossiers, kind=WorkItemKind.STEP)
                 .select_related("unit", "completed_by").order_by("given_at", "id")):
        steps.setdefault(item.dossier_id, []).append(item)
    now = clock.now()
    rows = []
    for dossier in dossiers:
        data = dossier.data or {}
        items = steps.get(dossier.pk, [])
        answered = next((i for i in items if i.bpmn_id == ANSWER_STEP and i.status == "completed"), None)
        open_step = next((i for i in items if i.status == "open"), None)
        is_open = dossier.status in OPEN_STATUSES
        if dossier.outcome == PUBLISHED_END:
            state = "published"
        elif is_open and answered is not None:
            state = "answered"
        elif is_open:
            state = "open"
        else:
            state = "closed"
        response_due = dues.get(dossier.pk)
        rows.append(Opinion(
            dossier=dossier, content=data.get("content", ""), field=fields.get(data.get("field")),
            unit=dossier.receiving_unit, state=state, response_due=response_due, due_at=dossier.due_at,
            late=DossierFlag.LATE in (dossier.flags or []) or (is_open and dossier.due_at < now),
            answer=data.get("answer", "") if answered is not None else "",
            answered_at=answered.completed_at if answered else None,
            answered_late=bool(answered and response_due and answered.completed_at > response_due),
            published_at=dossier.finished_at if state == "published" else None,
            open_step=open_step, steps=items))
    return rows


def assignable_units(meeting):
    """The units an opinion of `meeting` may be assigned to: the meeting's unit, then its departments, then its
    communes — those with a leader to answer."""
    led = Membership.objects.filter(unit=OuterRef("pk"), role=Role.UNIT_LEADER, user__is_active=True)
    units = AdministrativeUnit.objects.filter(Q(pk=meeting.unit_id) | Q(parent_id=meeting.unit_id), active=True)
    order = {UnitKind.DEPARTMENT: 1, UnitKind.COMMUNE: 2}
    return sorted(units.filter(Exists(led)), key=lambda u: (u.pk != meeting.unit_id, order.get(u.kind, 0), u.code))


# ---------------------------------------------------------------------------------------------------------------
# reading: the citizens' portal


@dataclass
class PublishedResponse:
    held_on: date
    meeting_unit: AdministrativeUnit
    commune: AdministrativeUnit | None
    place: str
    field: Field | None
    content: str
    answer: str
    unit: AdministrativeUnit
    answered_at: datetime | None
    published_at: datetime


def published_responses(field_code="", unit_code=""):
    """The answers published, newest first, for the citizens' portal: the meeting (date, unit, where), the field, the
    opinion and its answer, the answering unit, when it was answered and published. Nothing about the citizen who
    raised it. `field_code` / `unit_code` filter by field and by the meeting's or the answering unit."""
    qs = (Dossier.objects.filter(procedure__kind=CaseKind.DIALOGUE, meeting__isnull=False, outcome=PUBLISHED_END,
                                 status__in=[DossierStatus.PROCESSED, DossierStatus.RETURNED])
          .select_related("meeting", "meeting__unit", "meeting__commune", "receiving_unit")
          .order_by("-finished_at", "-id"))
    if field_code:
        qs = qs.filter(data__field=field_code)
    if unit_code:
        qs = qs.filter(Q(meeting__unit__code=unit_code) | Q(receiving_unit__code=unit_code))
    return qs


def published_rows(dossiers):
    """PublishedResponse rows for a page of published_responses()."""
    dossiers = list(dossiers)
    fields = _fields_by_code((d.data or {}).get("field") for d in dossiers)
    answered = dict(WorkItem.objects.filter(dossier__in=dossiers, bpmn_id=ANSWER_STEP, status="completed")
                    .values_list("dossier_id", "completed_at"))
    return [PublishedResponse(
        held_on=d.meeting.held_on, meeting_unit=d.meeting.unit, commune=d.meeting.commune, place=d.meeting.place,
        field=fields.get((d.data or {}).get("field")), content=(d.data or {}).get("content", ""),
        answer=(d.data or {}).get("answer", ""), unit=d.receiving_unit, answered_at=answered.get(d.pk),
        published_at=d.finished_at) for d in dossiers]


def public_filter_choices():
    """(fields, units) that have published responses: the public page's filters."""
    published = Dossier.objects.filter(procedure__kind=CaseKind.DIALOGUE, meeting__isnull=False,
                                       outcome=PUBLISHED_END)
    codes = set(published.values_list("data__field", flat=True))
    fields = list(Field.objects.filter(code__in={c for c in codes if isinstance(c, str)}).order_by("name"))
    unit_ids = set(published.values_list("meeting__unit_id", flat=True))
    units = list(AdministrativeUnit.objects.filter(pk__in=unit_ids).order_by("kind", "code"))
    return fields, units
