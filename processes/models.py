"""The data MotCua owns. State changes only through processes.services; pages and the API read through selectors."""
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Role(models.TextChoices):
    RECEPTION = "reception", "Tiếp nhận một cửa"
    SPECIALIST = "specialist", "Chuyên viên"
    UNIT_LEADER = "unit_leader", "Lãnh đạo đơn vị"
    SIGNING_LEADER = "signing_leader", "Lãnh đạo ký duyệt"
    PROCESS_DESIGNER = "process_designer", "Thiết kế quy trình"
    AUDITOR = "auditor", "Thanh tra, giám sát"
    UNIT_ADMIN = "unit_admin", "Quản trị đơn vị"


class UnitKind(models.TextChoices):
    PROVINCE = "province", "Tỉnh"
    DISTRICT = "district", "Huyện"
    COMMUNE = "commune", "Xã"
    DEPARTMENT = "department", "Phòng, ban chuyên môn"


class AdministrativeUnit(models.Model):
    """Province → optional district → commune; departments hang under the unit they serve. Both the 2019 three-tier
    layout and the two-tier layout in force since 1 July 2025 are trees of this shape."""

    code = models.CharField("mã định danh (QCVN 102:2016)", max_length=32, unique=True)
    name = models.CharField("tên", max_length=200)
    name_en = models.CharField("tên tiếng Anh", max_length=200, blank=True)
    kind = models.CharField("cấp", max_length=16, choices=UnitKind.choices)
    department_kind = models.SlugField("loại phòng ban", max_length=40, blank=True, help_text="vd. justice, labour, urban")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    # [[start, end], ...] as "HH:MM"; empty = the default 07:30–11:30, 13:00–17:00.
    office_hours = models.JSONField("giờ làm việc", default=list, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = "đơn vị hành chính"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="department") | Q(department_kind=""), name="unit_department_kind_only_on_departments"
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def ancestors(self):
        unit, chain = self.parent, []
        while unit is not None:
            chain.append(unit)
            unit = unit.parent
        return chain


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=24, choices=Role.choices)

    class Meta:
        verbose_name = "phân công"
        constraints = [models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique")]
        indexes = [models.Index(fields=["unit", "role"])]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} @ {self.unit.code}"


class LegalRegime(models.Model):
    """The rules in force from a date: which forms exist and how late dossiers are handled. A dossier keeps the
    regime in force when it was received."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=300)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    forms = models.JSONField(default=list, help_text='[{"code": "01", "name": "..."}]')
    late_rules = models.JSONField(default=dict)

    class Meta:
        ordering = ["effective_from"]

    def __str__(self):
        return self.name


class Field(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = "lĩnh vực"
        ordering = ["name"]

    def __str__(self):
        return self.name


class StatutoryUnit(models.TextChoices):
    WORKING_DAYS = "working_days", "ngày làm việc"
    CALENDAR_DAYS = "calendar_days", "ngày"
    SAME_DAY = "same_day", "trong ngày"


class OnlineLevel(models.TextChoices):
    FULL = "full", "Toàn trình"
    PARTIAL = "partial", "Một phần"
    NONE = "none", "Không trực tuyến"


class CaseKind(models.TextChoices):
    """What a procedure handles: administrative dossiers, or letters with their own laws and clocks (issue 9). All run
    as dossiers on the same engine and statutory clock; the kind keeps each out of the others' figures."""

    ADMINISTRATIVE = "administrative", "Thủ tục hành chính"
    COMPLAINT = "complaint", "Khiếu nại"
    DENUNCIATION = "denunciation", "Tố cáo"
    PETITION = "petition", "Phản ánh, kiến nghị"
    DIALOGUE = "dialogue", "Ý kiến tại hội nghị đối thoại"


class Procedure(models.Model):
    code = models.SlugField("mã thủ tục", max_length=60, unique=True)
    kind = models.CharField("loại", max_length=16, choices=CaseKind.choices, default=CaseKind.ADMINISTRATIVE)
    national_code = models.CharField("mã CSDL quốc gia", max_length=40, blank=True)
    name = models.CharField("tên thủ tục", max_length=400)
    name_en = models.CharField(max_length=400, blank=True)
    field = models.ForeignKey(Field, on_delete=models.PROTECT, related_name="procedures")
    level = models.CharField("cấp thực hiện", max_length=16, choices=UnitKind.choices)
    statutory_limit = models.DecimalField("thời hạn giải quyết", max_digits=7, decimal_places=2)
    statutory_unit = models.CharField(max_length=16, choices=StatutoryUnit.choices)
    online_level = models.CharField(max_length=16, choices=OnlineLevel.choices, default=OnlineLevel.PARTIAL)
    fee = models.DecimalField("phí, lệ phí (đồng)", max_digits=12, decimal_places=0, default=Decimal(0))
    fee_note = models.CharField(max_length=300, blank=True)
    required_documents = models.JSONField("thành phần hồ sơ", default=list)
    # Lead times of the statutory clock, in working days before the due time; empty = the defaults (README).
    explanation_lead_days = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    apology_lead_days = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    # The clocks after the first one (processes.services.case_clock): {phase: {"limit", "unit", "from", "complex",
    # "remote", "remote_complex", "extension", "extensions"}}; a user task's clock_phase property starts one.
    clock_phases = models.JSONField("các mốc thời hạn", default=dict, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = "thủ tục hành chính"
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=Q(statutory_limit__gte=0), name="procedure_limit_non_negative")]

    def __str__(self):
        return self.name

    def clean(self):
        """The admin's form: clock phases checked as case_clock reads them."""
        from django.core.exceptions import ValidationError

        from .services.case_clock import clean_clock_phases
        from .services.errors import InvalidInput

        try:
            self.clock_phases = clean_clock_phases(self.clock_phases)
        except InvalidInput as exc:
            raise ValidationError({"clock_phases": exc.message}) from None

    def current_version(self):
        return self.versions.order_by("-number").first()


class ProcessVersion(models.Model):
    """A deployed BPMN version. Never changes once written; dossiers are pinned to the version they started on."""

    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    process_id = models.CharField(max_length=200)
    bpmn_xml = models.TextField()
    spec_json = models.TextField(help_text="the compiled spec, stored once per version, not in each dossier")
    checksum = models.CharField(max_length=64)
    steps = models.JSONField(default=list)
    end_outcomes = models.JSONField(default=dict, blank=True,
                                    help_text="{end event id: case_outcome} as the diagram declares them")
    deployed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    deployed_at = models.DateTimeField()

    class Meta:
        ordering = ["procedure", "number"]
        constraints = [models.UniqueConstraint(fields=["procedure", "number"], name="version_number_unique")]

    def __str__(self):
        return f"{self.procedure.code} v{self.number}"


class PersonalRecord(models.Model):
    """Protected personal data (identity documents). Read only through selectors that check access; the event log
    refers to a record by id and never copies its content."""

    full_name = models.CharField(max_length=200)
    id_number = models.CharField("số CCCD/định danh", max_length=20, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    email = models.EmailField(blank=True)
    address = models.CharField(max_length=400, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "thông tin cá nhân"
        indexes = [models.Index(fields=["id_number"])]


class Channel(models.IntegerChoices):
    COUNTER = 1, "Trực tiếp"
    ONLINE = 2, "Trực tuyến"
    POST = 3, "Bưu chính công ích"


class DossierStatus(models.TextChoices):
    """Internal states; `portal_code` maps them to the national portal's codes 1–10."""

    REGISTERED = "registered", "Mới đăng ký"
    RECEIVED = "received", "Được tiếp nhận"
    NOT_ACCEPTED = "not_accepted", "Không được tiếp nhận"
    PROCESSING = "processing", "Đang xử lý"
    SUPPLEMENT_REQUESTED = "supplement_requested", "Yêu cầu bổ sung giấy tờ"
    AWAITING_FEE = "awaiting_fee", "Yêu cầu thực hiện nghĩa vụ tài chính"
    WITHDRAWN = "withdrawn", "Công dân yêu cầu rút hồ sơ"
    STOPPED = "stopped", "Dừng xử lý"
    PROCESSED = "processed", "Đã xử lý xong"
    RETURNED = "returned", "Đã trả kết quả"


PORTAL_STATUS_CODES = {
    DossierStatus.REGISTERED: 1,
    DossierStatus.RECEIVED: 2,
    DossierStatus.NOT_ACCEPTED: 3,
    DossierStatus.PROCESSING: 4,
    DossierStatus.SUPPLEMENT_REQUESTED: 5,
    DossierStatus.AWAITING_FEE: 6,
    DossierStatus.WITHDRAWN: 7,
    DossierStatus.STOPPED: 8,
    DossierStatus.PROCESSED: 9,
    DossierStatus.RETURNED: 10,
}
OPEN_STATUSES = (
    DossierStatus.RECEIVED,
    DossierStatus.PROCESSING,
    DossierStatus.SUPPLEMENT_REQUESTED,
    DossierStatus.AWAITING_FEE,
)


class CaseOutcome(models.TextChoices):
    """What a case's end event declares (BPMN property case_outcome, engine.bpmn.CASE_OUTCOMES); the statistics of
    cases count by it."""

    RESOLVED = "resolved", "Đã giải quyết"
    NOT_ACCEPTED = "not_accepted", "Không thụ lý"
    FORWARDED = "forwarded", "Chuyển cơ quan có thẩm quyền"


class Dossier(models.Model):
    code = models.CharField("mã hồ sơ", max_length=48, unique=True)
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="dossiers")
    version = models.ForeignKey(ProcessVersion, on_delete=models.PROTECT, related_name="dossiers")
    regime = models.ForeignKey(LegalRegime, on_delete=models.PROTECT, related_name="dossiers")
    receiving_unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="received_dossiers")
    applicant = models.ForeignKey(PersonalRecord, on_delete=models.PROTECT, related_name="dossiers")
    channel = models.PositiveSmallIntegerField(choices=Channel.choices, default=Channel.COUNTER)
    status = models.CharField(max_length=24, choices=DossierStatus.choices, default=DossierStatus.RECEIVED)
    outcome = models.CharField("kết quả (sự kiện kết thúc)", max_length=200, blank=True)
    case_outcome = models.CharField(max_length=16, choices=CaseOutcome.choices, blank=True,
                                    help_text="a finished case: its end event's case_outcome (its version's "
                                              "end_outcomes); blank otherwise")
    received_at = models.DateTimeField()
    due_at = models.DateTimeField("hạn giải quyết theo luật")
    legal_extension_days = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal(0))
    appointment_at = models.DateTimeField("ngày hẹn lại", null=True, blank=True,
                                          help_text="set by an apology; lateness is still judged on due_at")
    reappointments = models.PositiveSmallIntegerField(default=0)
    clock_generation = models.PositiveIntegerField(default=0, help_text="bumped when the statutory clock restarts")
    clock_started_at = models.DateTimeField(null=True, blank=True, help_text="reception, or the last restart")
    clock_paused_at = models.DateTimeField(null=True, blank=True)
    clock_phase = models.CharField(max_length=40, blank=True, help_text="the running phase of Procedure.clock_phases; "
                                                                        "blank: the procedure's own limit")
    meeting = models.ForeignKey("DialogueMeeting", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="opinions", help_text="the dialogue meeting an opinion was raised at")
    flags = models.JSONField(default=list, blank=True, help_text="DossierFlag values")
    late_unit = models.ForeignKey(AdministrativeUnit, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", help_text="the unit holding the dossier when it became late")
    late_official = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    finished_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    returned_to = models.CharField(max_length=200, blank=True)
    workflow_state = models.TextField(help_text="SpiffWorkflow instance JSON, without the spec")
    data = models.JSONField(default=dict, help_text="the workflow's data")
    next_wakeup_at = models.DateTimeField(null=True, blank=True, help_text="earliest due diagram timer")
    revision = models.PositiveIntegerField(default=0, help_text="bumped on every state change")
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    # The checklist ticked at the desk: [{"name": ..., "copies": n, "received": true}] (form 01 lists it).
    documents = models.JSONField("thành phần hồ sơ đã nhận", default=list, blank=True)
    returned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    # The secret printed on the receipt (form 01): with the code, it opens the dossier's progress on the public
    # portal (the code alone shows the status only). Empty for dossiers received before it existed.
    lookup_secret = models.CharField(max_length=16, blank=True)
    # Made by the `simulate` command (demo, benchmarks): shown as simulated everywhere, its events say so.
    simulated = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "hồ sơ"
        verbose_name_plural = "hồ sơ"
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["receiving_unit", "status"]),
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["next_wakeup_at"], condition=Q(next_wakeup_at__isnull=False), name="dossier_wakeup_idx"),
            # the leaders' reports: what was received, and what finished, in a period
            models.Index(fields=["receiving_unit", "received_at"], name="dossier_unit_received_idx"),
            models.Index(fields=["finished_at"], name="dossier_finished_idx"),
        ]

    def __str__(self):
        return self.code

    @property
    def portal_status(self):
        return PORTAL_STATUS_CODES[DossierStatus(self.status)]


class DossierCounter(models.Model):
    """One row per agency and day, locked while numbering: a sequence would leave gaps on rollback."""

    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "day"], name="counter_unit_day_unique")]


class DossierParticipant(models.Model):
    """Every unit that received the dossier or was ever routed a step of it: the basis of visibility."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="participants")
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dossier", "unit"], name="participant_unique")]
        indexes = [models.Index(fields=["unit", "dossier"])]


class WorkItemStatus(models.TextChoices):
    OPEN = "open", "Đang chờ xử lý"
    COMPLETED = "completed", "Đã hoàn thành"
    CANCELLED = "cancelled", "Đã hủy"


class StepResult(models.TextChoices):
    EARLY = "early", "Trước hạn"
    ON_TIME = "on_time", "Đúng hạn"
    LATE = "late", "Quá hạn"


class WorkItemKind(models.TextChoices):
    STEP = "step", "Bước quy trình"
    EXPLAIN_DELAY = "explain_delay", "Giải trình chậm trễ"
    ESCALATION = "escalation", "Xử lý trễ hạn chưa giải trình"


class WorkItem(models.Model):
    """Mirror of one ready user task of the engine (or a work item of the statutory clock), so that inboxes are plain
    indexed SQL."""

    kind = models.CharField(max_length=16, choices=WorkItemKind.choices, default=WorkItemKind.STEP)
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="work_items")
    engine_task_id = models.CharField(max_length=36)
    bpmn_id = models.CharField(max_length=200)
    name = models.CharField(max_length=300)
    lane = models.CharField(max_length=200)
    role = models.CharField(max_length=24, choices=Role.choices)
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="work_items")
    status = models.CharField(max_length=16, choices=WorkItemStatus.choices, default=WorkItemStatus.OPEN)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="claimed_items"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    given_at = models.DateTimeField("giao lúc")
    due_at = models.DateTimeField("hạn của bước", null=True, blank=True)
    allocation_hours = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    required_fields = models.JSONField(default=list)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="completed_items"
    )
    result = models.CharField(max_length=8, choices=StepResult.choices, blank=True)
    # A substitute completing a leader's step: the leader they acted for (what they sign says so).
    completed_for = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "bước xử lý"
        ordering = ["due_at", "id"]
        constraints = [models.UniqueConstraint(fields=["dossier", "engine_task_id"], name="work_item_task_unique")]
        indexes = [
            models.Index(fields=["unit", "role", "status"]),
            models.Index(fields=["claimed_by", "status"]),
        ]

    def __str__(self):
        return f"{self.dossier.code}: {self.name}"


class Event(models.Model):
    """The one append-only log of everything that happens: the dossier's history and the audit log. A database
    trigger refuses UPDATE and DELETE (see migration 0002)."""

    dossier = models.ForeignKey(Dossier, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=40)
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_role = models.CharField(max_length=24, blank=True)
    actor_unit = models.ForeignKey(AdministrativeUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    data_before = models.JSONField(null=True, blank=True)
    data_after = models.JSONField(null=True, blank=True)
    engine_task_id = models.CharField(max_length=36, blank=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    # The hash chain (migration 0007): PostgreSQL's insert trigger sets these, never the application. A stream is a
    # dossier ("dossier:<id>") or a non-dossier stream ("sign-in", "platform"); seq counts its rows from 1; hash is
    # the SHA-256 of the row's content and prev_hash, the hash of the stream's previous row.
    stream = models.CharField(max_length=64, blank=True, editable=False)
    seq = models.PositiveBigIntegerField(null=True, editable=False)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = "sự kiện"
        ordering = ["id"]
        indexes = [models.Index(fields=["dossier", "id"]), models.Index(fields=["kind", "at"])]
        constraints = [models.UniqueConstraint(fields=["stream", "seq"], name="event_stream_seq_unique")]

    def __str__(self):
        return f"{self.at:%d/%m/%Y %H:%M} {self.kind}"


class CalendarRevision(models.Model):
    """One row whose number PostgreSQL bumps (statement triggers, migration 0010) whenever a calendar override or a
    unit's office hours or place in the tree change — by a service, the admin site or plain SQL. Calendars built from
    the database are cached per unit and this number (processes/services/calendar.py): one cheap read instead of
    rebuilding the calendar on every step and timer."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    revision = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "phiên bản lịch làm việc"
        constraints = [models.CheckConstraint(condition=Q(id=1), name="calendar_revision_single_row")]


class CalendarOverride(models.Model):
    """An extra day off or an extra working day (a make-up Saturday, a new year's notice): wins over the weekend and
    the holidays package. unit NULL = every unit."""

    date = models.DateField()
    unit = models.ForeignKey(AdministrativeUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    is_working_day = models.BooleanField()
    reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "ngày làm việc/nghỉ điều chỉnh"
        constraints = [
            models.UniqueConstraint(fields=["date", "unit"], name="override_date_unit_unique"),
            models.UniqueConstraint(fields=["date"], condition=Q(unit__isnull=True), name="override_date_all_units_unique"),
        ]


# ---------------------------------------------------------------------------------------------------------------
# The statutory clock: timers in PostgreSQL, explanations, supplementation, incidents, notifications.


class DossierFlag(models.TextChoices):
    LATE_WITHOUT_EXPLANATION = "late_without_explanation", "Trễ hạn chưa giải trình"
    APOLOGY_FILED_LATE = "apology_filed_late", "Xin lỗi muộn"
    REAPPOINTED_MORE_THAN_ONCE = "reappointed_more_than_once", "Hẹn lại quá một lần"
    SUPPLEMENTED_TWICE = "supplemented_twice", "Yêu cầu bổ sung lần hai"
    LATE = "late", "Quá hạn theo luật"


class TimerKind(models.TextChoices):
    EXPLANATION_OPENS = "explanation_opens", "Sắp đến hạn: mở giải trình"
    APOLOGY_DEADLINE = "apology_deadline", "Hạn gửi văn bản xin lỗi"
    STATUTORY_DUE = "statutory_due", "Đến hạn giải quyết"
    APPOINTMENT_DUE = "appointment_due", "Đến ngày hẹn lại"
    STEP_OVERRUN = "step_overrun", "Quá thời gian của bước"
    DIAGRAM = "diagram", "Hẹn giờ trong quy trình"


class TimerStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Đã đặt"
    CLAIMED = "claimed", "Đang thực hiện"
    FIRED = "fired", "Đã chạy"
    CANCELLED = "cancelled", "Đã hủy"
    INCIDENT = "incident", "Sự cố"


class Timer(models.Model):
    """The source of truth for everything due in the future. Written in the same transaction as the state it belongs
    to; Celery only executes what the sweeper claims (README: the statutory clock)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="timers")
    kind = models.CharField(max_length=24, choices=TimerKind.choices)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=TimerStatus.choices, default=TimerStatus.SCHEDULED)
    work_item = models.ForeignKey("WorkItem", null=True, blank=True, on_delete=models.PROTECT, related_name="timers")
    element_id = models.CharField(max_length=200, blank=True)
    generation = models.PositiveIntegerField(default=0, help_text="the dossier's clock generation it was armed in")
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=5)
    lease_owner = models.CharField(max_length=120, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    fired_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "hẹn giờ"
        indexes = [
            models.Index(fields=["due_at"], condition=Q(status="scheduled"), name="timer_scheduled_due_idx"),
            models.Index(fields=["lease_expires_at"], condition=Q(status="claimed"), name="timer_claimed_lease_idx"),
            models.Index(fields=["dossier", "status"]),
        ]

    def __str__(self):
        return f"{self.kind} {self.dossier_id} @ {self.due_at:%d/%m/%Y %H:%M}"


class Explanation(models.Model):
    """Form 04: the apology letter with a new appointment, filed by the unit that made the dossier late."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="explanations")
    sequence = models.PositiveSmallIntegerField(help_text="1 for the first explanation, 2 for the second…")
    reason = models.TextField()
    new_appointment = models.DateTimeField()
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField()
    apology_deadline = models.DateTimeField()
    filed_late = models.BooleanField(default=False)
    letter = models.TextField(help_text="the apology letter as sent")

    class Meta:
        verbose_name = "giải trình, xin lỗi"
        constraints = [models.UniqueConstraint(fields=["dossier", "sequence"], name="explanation_sequence_unique")]


class Supplementation(models.Model):
    """Form 02: documents requested from the citizen. The clock stops while they are awaited and restarts from zero
    when they arrive (Decree 61/2018 Art. 19.4)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="supplementations")
    sequence = models.PositiveSmallIntegerField()
    items = models.JSONField(help_text='[{"name": ..., "kind": "bản chính|bản sao|bản chụp", "quantity": 1}]')
    reason = models.TextField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    supplied_at = models.DateTimeField(null=True, blank=True)
    supplied_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    previous_due_at = models.DateTimeField()
    new_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "yêu cầu bổ sung"
        constraints = [models.UniqueConstraint(fields=["dossier", "sequence"], name="supplementation_sequence_unique")]


class IncidentKind(models.TextChoices):
    TIMER_EXHAUSTED = "timer_exhausted", "Hẹn giờ thất bại nhiều lần"
    ENGINE_ERROR = "engine_error", "Lỗi khi chạy quy trình"
    STUCK = "stuck", "Hồ sơ không có việc và không có hẹn giờ"


class Incident(models.Model):
    kind = models.CharField(max_length=20, choices=IncidentKind.choices)
    dossier = models.ForeignKey(Dossier, null=True, blank=True, on_delete=models.PROTECT, related_name="incidents")
    timer = models.ForeignKey(Timer, null=True, blank=True, on_delete=models.PROTECT, related_name="incidents")
    error = models.TextField()
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    resolution = models.CharField(max_length=16, blank=True, help_text="retried | resolved")
    resolution_reason = models.TextField(blank=True)

    class Meta:
        verbose_name = "sự cố"
        ordering = ["-created_at"]
        constraints = [
            # One open incident per dossier and kind: the stuck-dossier check runs every minute.
            models.UniqueConstraint(fields=["dossier", "kind"], condition=Q(resolved_at__isnull=True),
                                    name="incident_open_unique"),
        ]


class NotificationChannel(models.TextChoices):
    IN_APP = "in_app", "Trong hệ thống"
    EMAIL = "email", "Thư điện tử"
    SMS = "sms", "Tin nhắn"


class Notification(models.Model):
    """Outbox: written in the business transaction, sent later by a Celery task at least once; the key lets a
    receiver drop duplicates."""

    channel = models.CharField(max_length=8, choices=NotificationChannel.choices)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="notifications")
    address = models.CharField(max_length=254, blank=True, help_text="e-mail address or phone number")
    dossier = models.ForeignKey(Dossier, null=True, blank=True, on_delete=models.PROTECT, related_name="notifications")
    subject = models.CharField(max_length=300)
    body = models.TextField()
    idempotency_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = "thông báo"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["channel", "sent_at"]), models.Index(fields=["recipient", "read_at"])]


class SharedClock(models.Model):
    """One row: when set, every process (web, worker, beat, sweeper) reads time from it — tests and simulations move
    time for all of them at once. Production leaves it unused (MOTCUA_SHARED_CLOCK unset)."""

    frozen_at = models.DateTimeField(null=True, blank=True)
    offset_seconds = models.FloatField(default=0)
    updated_at = models.DateTimeField(auto_now=True)


# ---------------------------------------------------------------------------------------------------------------
# The officials' workspace: what the desk issues without a dossier code, scans, fees, substitutes.


class IntakeOutcome(models.TextChoices):
    INCOMPLETE = "incomplete", "Hồ sơ chưa đầy đủ (mẫu 02)"
    REFUSED = "refused", "Từ chối tiếp nhận (mẫu 03)"


class IntakeNotice(models.Model):
    """A visit to the desk that issued no dossier code: form 02 (documents missing) or form 03 (not competent, not
    eligible). Kept, with the form as handed over, and in the event log."""

    number = models.CharField("số phiếu", max_length=48, unique=True)
    outcome = models.CharField(max_length=12, choices=IntakeOutcome.choices)
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="intake_notices")
    regime = models.ForeignKey(LegalRegime, on_delete=models.PROTECT, related_name="+")
    applicant = models.ForeignKey(PersonalRecord, on_delete=models.PROTECT, related_name="+")
    channel = models.PositiveSmallIntegerField(choices=Channel.choices, default=Channel.COUNTER)
    items = models.JSONField(default=list, blank=True, help_text='form 02: [{"name": ..., "reason": ...}]')
    reasons = models.JSONField(default=list, blank=True, help_text="form 03: [reason, ...]")
    form_code = models.CharField(max_length=4)
    form_text = models.TextField()
    form_html = models.TextField()
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField()

    class Meta:
        verbose_name = "phiếu tại bộ phận một cửa"
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["unit", "issued_at"])]


class Attachment(models.Model):
    """A scan or file of a dossier. The bytes live under settings.ATTACHMENTS_ROOT (outside the web root) and are
    served only through a view that checks the dossier is visible to the official."""

    dossier = models.ForeignKey(Dossier, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments")
    # a file uploaded with an online submission, before the desk receives it (then `dossier` is set too)
    submission = models.ForeignKey("OnlineSubmission", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="attachments")
    work_item = models.ForeignKey(WorkItem, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments")
    document = models.CharField("giấy tờ", max_length=300, blank=True, help_text="the checklist item it evidences")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_key = models.CharField(max_length=200, unique=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        verbose_name = "tệp đính kèm"
        ordering = ["uploaded_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(dossier__isnull=False) | Q(submission__isnull=False),
                                              name="attachment_has_an_owner")]


class FeeStatus(models.TextChoices):
    PAID = "paid", "Đã nộp"
    WAITING = "waiting", "Chờ nộp"


class FeePayment(models.Model):
    """Fees and charges of a dossier. While one is waiting the dossier shows the portal's status 6."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="fees")
    amount = models.DecimalField("số tiền (đồng)", max_digits=14, decimal_places=0)
    description = models.CharField(max_length=300, blank=True)
    receipt_number = models.CharField("số biên lai", max_length=60, blank=True)
    status = models.CharField(max_length=8, choices=FeeStatus.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "phí, lệ phí"
        ordering = ["recorded_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="fee_amount_non_negative")]


class Substitution(models.Model):
    """An official who acts for an absent one (usually a leader) in one unit and role, for a period of days
    (inclusive). What the substitute signs names the person they act for."""

    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="substitutions")
    role = models.CharField(max_length=24, choices=Role.choices)
    absent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    substitute = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="substitutions")
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "người thay thế"
        ordering = ["-starts_on"]
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="substitution_period")]
        indexes = [models.Index(fields=["substitute", "unit", "role"])]


# ---------------------------------------------------------------------------------------------------------------
# The designer studio: drafts of a procedure's diagram, saved without deploying.


class DraftStatus(models.TextChoices):
    DRAFT = "draft", "Bản nháp"
    SUBMITTED = "submitted", "Chờ phê duyệt"
    DEPLOYED = "deployed", "Đã triển khai"
    DISCARDED = "discarded", "Đã hủy"


class ProcessDraft(models.Model):
    """A diagram being edited: saved as often as the designer likes, validated on every save (the problems are kept
    with their element ids), deployed as a new ProcessVersion — directly, or after a second designer approves when
    settings.MOTCUA_DEPLOY_APPROVAL is on. A deployed version never changes; its draft is kept as history."""

    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="drafts")
    based_on = models.ForeignKey(ProcessVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=300, blank=True)
    bpmn_xml = models.TextField()
    problems = models.JSONField(default=list, blank=True,
                                help_text='the last validation: [{"element_id", "message", "line"}]')
    status = models.CharField(max_length=12, choices=DraftStatus.choices, default=DraftStatus.DRAFT)
    revision = models.PositiveIntegerField(default=0, help_text="bumped on every save; a stale save is refused")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField()
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    deployed_version = models.OneToOneField(ProcessVersion, null=True, blank=True, on_delete=models.PROTECT,
                                            related_name="draft")

    class Meta:
        verbose_name = "bản nháp quy trình"
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["procedure", "status"])]


class AuditAnchor(models.Model):
    """A checkpoint of the event log (every minute, Celery beat): the heads (seq, hash) of the streams written since
    the previous checkpoint, chained to it by hash. Exported elsewhere, the latest anchor's hash is what catches a
    rewrite that recomputed every hash of a stream (verify_audit --against FILE). Append-only like the log."""

    at = models.DateTimeField()
    max_event_id = models.BigIntegerField(help_text="the highest event id when the checkpoint was taken")
    heads = models.JSONField(default=dict, help_text='{stream: [seq, hash]}')
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = "mốc kiểm toán"
        ordering = ["id"]


class ContactKind(models.TextChoices):
    VISIT = "visit", "Đến trực tiếp"
    PHONE = "phone", "Điện thoại"
    ONLINE = "online", "Trực tuyến, thư điện tử"
    POST = "post", "Bưu chính"


class CitizenContact(models.Model):
    """A time the citizen had to contact an agency about a dossier beyond handing it in and collecting the result:
    indices 3 and 4 of Circular 01/2018's evaluation (number of contacts; agencies contacted). `citizen_fault`: the
    contact was needed because of the citizen (index 3 does not count it against the agency)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="citizen_contacts")
    at = models.DateTimeField()
    kind = models.CharField(max_length=16, choices=ContactKind.choices)
    unit = models.ForeignKey(AdministrativeUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             help_text="the agency contacted, when it is one of ours")
    agency_name = models.CharField(max_length=300, blank=True, help_text="another agency contacted")
    citizen_fault = models.BooleanField(default=False)
    note = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        verbose_name = "lần liên hệ của người dân"
        ordering = ["at", "id"]
        constraints = [models.CheckConstraint(condition=Q(unit__isnull=False) | ~Q(agency_name=""),
                                              name="contact_names_an_agency")]


class ServiceRating(models.Model):
    """The citizen's rating after the result is returned: SIPAS's five elements, each 1 (very dissatisfied) to 5
    (very satisfied), and a comment. One per dossier."""

    dossier = models.OneToOneField(Dossier, on_delete=models.PROTECT, related_name="rating")
    access = models.PositiveSmallIntegerField("tiếp cận dịch vụ")
    procedure = models.PositiveSmallIntegerField("thủ tục hành chính")
    official = models.PositiveSmallIntegerField("công chức giải quyết")
    result = models.PositiveSmallIntegerField("kết quả giải quyết")
    feedback = models.PositiveSmallIntegerField("tiếp nhận, xử lý góp ý")
    comment = models.TextField(blank=True, max_length=2000)
    channel = models.PositiveSmallIntegerField(choices=Channel.choices, default=Channel.ONLINE)
    rated_at = models.DateTimeField()

    class Meta:
        verbose_name = "đánh giá mức độ hài lòng"
        constraints = [
            models.CheckConstraint(condition=Q(**{f"{f}__gte": 1, f"{f}__lte": 5}), name=f"rating_{f}_1_to_5")
            for f in ("access", "procedure", "official", "result", "feedback")
        ]


class SubmissionStatus(models.TextChoices):
    PENDING = "pending", "Chờ tiếp nhận"
    RECEIVED = "received", "Đã tiếp nhận"
    INCOMPLETE = "incomplete", "Yêu cầu bổ sung"
    REFUSED = "refused", "Từ chối tiếp nhận"


class OnlineSubmission(models.Model):
    """A dossier submitted on the citizens' portal, waiting at the one-stop desk of its unit (channel 2). The desk
    receives it (it becomes a dossier, with its documents), asks for more, or refuses it; the citizen follows it with
    its reference and secret."""

    reference = models.CharField(max_length=32, unique=True)
    secret = models.CharField(max_length=16)
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="online_submissions")
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="online_submissions")
    applicant = models.ForeignKey(PersonalRecord, on_delete=models.PROTECT, related_name="online_submissions")
    documents = models.JSONField(default=list, blank=True, help_text="[{name, attachment ids}] as submitted")
    status = models.CharField(max_length=16, choices=SubmissionStatus.choices, default=SubmissionStatus.PENDING)
    submitted_at = models.DateTimeField()
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    reason = models.TextField(blank=True)
    dossier = models.OneToOneField(Dossier, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="online_submission")
    simulated = models.BooleanField(default=False)

    class Meta:
        verbose_name = "hồ sơ nộp trực tuyến"
        ordering = ["submitted_at", "id"]
        indexes = [models.Index(fields=["unit", "status"])]


class DecisionKind(models.TextChoices):
    EXTENSION = "extension", "Gia hạn giải quyết"


class CaseDecision(models.Model):
    """A recorded decision that moves a case's clock (Law on Denunciation 2018 Art. 30: each extension by a written
    decision). Written only by processes.services.case_clock, with its event."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="decisions")
    kind = models.CharField(max_length=16, choices=DecisionKind.choices)
    phase = models.CharField(max_length=40)
    sequence = models.PositiveSmallIntegerField(help_text="1 for the first decision of its kind in the phase")
    number = models.CharField("số quyết định", max_length=60)
    reason = models.TextField()
    days = models.DecimalField(max_digits=6, decimal_places=2)
    previous_due_at = models.DateTimeField()
    new_due_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["dossier", "decided_at"]
        constraints = [models.UniqueConstraint(fields=["dossier", "kind", "phase", "sequence"],
                                               name="case_decision_once")]


class DialogueMeeting(models.Model):
    """A dialogue meeting between leaders and citizens; each opinion raised there is a dossier of the dialogue
    procedure (Dossier.meeting), assigned to a unit with its response deadline."""

    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, related_name="dialogue_meetings",
                             help_text="the unit holding the meeting")
    commune = models.ForeignKey(AdministrativeUnit, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+", help_text="where it was held")
    held_on = models.DateField("ngày tổ chức")
    place = models.CharField("địa điểm", max_length=300, blank=True)
    leaders = models.TextField("lãnh đạo chủ trì, tham dự")
    attendees = models.PositiveIntegerField("số người dân tham dự", default=0)
    summary = models.TextField("nội dung chính", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    simulated = models.BooleanField(default=False)

    class Meta:
        ordering = ["-held_on", "-id"]
