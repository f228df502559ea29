"""Administering a unit (issue 4): its officials and their roles, substitutes, moving a departing official's work,
office hours and calendar overrides. Each change is one transaction that checks who acts and writes its event with
before/after; the pages (webui/views_admin.py) and any other caller go through these functions only.

Who administers what. An official with the role `unit_admin` at a unit (province, district or commune) administers
that unit and its departments (kind `department`, parent = the unit): "the unit's tree". A department is
administered through its parent unit. Roles of the provincial level (`auditor`, `process_designer`) are not granted
here. Substitutes are appointed by the unit's admin or its leader (`unit_leader`, by membership).

Substitutes. A Substitution lets `substitute` act for `absent` in one unit and role from `starts_on` to `ends_on`
(local days, inclusive). While it is in force the role checks (processes.selectors.holds_role and the inbox and
visibility queries) treat the substitute as holding the role there, and a step they complete records
`WorkItem.completed_for` and `"acting_for"` in the event (processes.services.dossiers).
"""
import re
import unicodedata
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q

from engine import clock
from engine.calendar import VN_TZ

from ..models import (
    AdministrativeUnit,
    CalendarOverride,
    Membership,
    Role,
    Substitution,
    UnitKind,
    WorkItem,
    WorkItemStatus,
)
from ..selectors import holds_role, today_vn
from . import calendar as calendar_services
from .errors import Conflict, InvalidInput, NotAllowed, NotFound
from .events import SYSTEM, record_event

# Roles a unit admin grants. The provincial ones are granted by the province (Django's admin), not here.
GRANTABLE_ROLES = (Role.RECEPTION, Role.SPECIALIST, Role.UNIT_LEADER, Role.SIGNING_LEADER, Role.UNIT_ADMIN)
PROVINCIAL_ROLES = (Role.AUDITOR, Role.PROCESS_DESIGNER)
# Roles a substitute may stand in for: the roles lanes route work to.
SUBSTITUTABLE_ROLES = (Role.UNIT_LEADER, Role.SIGNING_LEADER, Role.SPECIALIST, Role.RECEPTION)
MAX_SUBSTITUTION_DAYS = 366
MAX_OFFICE_PERIODS = 4
MAX_REASON = 300
MAX_MOVE = 500
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,149}$")
HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


# ---------------------------------------------------------------------------------------------------------------
# the unit's tree and who administers it


def administered_root(unit):
    """The unit whose admin administers `unit`: itself, or for a department the unit it serves."""
    if unit.kind == UnitKind.DEPARTMENT and unit.parent_id:
        return unit.parent
    return unit


def unit_tree(root):
    """The unit and its departments."""
    return AdministrativeUnit.objects.filter(Q(pk=root.pk) | Q(parent_id=root.pk, kind=UnitKind.DEPARTMENT))


def in_tree(root, unit):
    return unit.pk == root.pk or (unit.parent_id == root.pk and unit.kind == UnitKind.DEPARTMENT)


def is_unit_admin(user, root):
    """Holds `unit_admin` at the unit itself (a membership; a substitution never gives admin powers)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return Membership.objects.filter(user=user, unit=root, role=Role.UNIT_ADMIN).exists()


def is_unit_leader_of(user, unit):
    """Leads `unit` (or, for a department, the unit it serves) by membership."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    units = [unit.pk] + ([unit.parent_id] if unit.kind == UnitKind.DEPARTMENT and unit.parent_id else [])
    return Membership.objects.filter(user=user, unit_id__in=units, role=Role.UNIT_LEADER).exists()


def _unit_label(root):
    return f"{root.name} và các phòng, ban của đơn vị"


def _require_admin(actor, unit, what):
    """The actor administers `unit`'s tree; returns the actor in the admin's role at the root."""
    root = administered_root(unit)
    if actor.user is None:
        return actor, root
    if not is_unit_admin(actor.user, root):
        raise NotAllowed(f"bạn không phải quản trị của {_unit_label(root)} nên không thể {what}")
    return actor.with_context(Role.UNIT_ADMIN, root), root


def _require_admin_or_leader(actor, unit, what):
    root = administered_root(unit)
    if actor.user is None:
        return actor, root
    if is_unit_admin(actor.user, root):
        return actor.with_context(Role.UNIT_ADMIN, root), root
    if is_unit_leader_of(actor.user, unit) or is_unit_leader_of(actor.user, root):
        return actor.with_context(Role.UNIT_LEADER, root), root
    raise NotAllowed(f"chỉ quản trị hoặc lãnh đạo của {root.name} mới được {what}")


def _unit(unit_or_code, field="unit"):
    if isinstance(unit_or_code, AdministrativeUnit):
        return unit_or_code
    unit = AdministrativeUnit.objects.filter(code=unit_or_code).first() if isinstance(unit_or_code, str) else None
    if unit is None:
        raise NotFound("không có đơn vị này", field=field)
    return unit


def _official(username, field, *, active=True):
    User = get_user_model()
    if not isinstance(username, str) or not username.strip() or len(username) > 150:
        raise InvalidInput("hãy chọn một cán bộ", field=field)
    user = User.objects.filter(username=username.strip()).first()
    if user is None:
        raise InvalidInput(f"không có cán bộ có tên đăng nhập {username.strip()}", field=field)
    if active and not user.is_active:
        raise InvalidInput(f"tài khoản {user.username} đã bị khóa", field=field)
    return user


def _name(user):
    return user.get_full_name() or user.get_username()


def _clean_text(value, field, *, max_length, required=False, what="nội dung"):
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"{what} không hợp lệ", field=field)
    value = " ".join(value.split())
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise InvalidInput(f"{what} có ký tự không hợp lệ", field=field)
    if required and not value:
        raise InvalidInput(f"hãy nhập {what}", field=field)
    if len(value) > max_length:
        raise InvalidInput(f"{what} dài quá {max_length} ký tự", field=field)
    return value


def parse_day(value, field):
    """A day as dd/mm/yyyy (or ISO yyyy-mm-dd, or a date)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        text = value.strip()
        for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
            try:
                return datetime.strptime(text, fmt).date()
            except ValueError:
                continue
    raise InvalidInput("ngày không hợp lệ: nhập theo dạng dd/mm/yyyy", field=field)


# ---------------------------------------------------------------------------------------------------------------
# officials and roles


def _check_grantable(role, unit, root, field="role"):
    if role in PROVINCIAL_ROLES:
        raise NotAllowed(f"vai trò '{Role(role).label}' do cấp tỉnh phân công, quản trị đơn vị không cấp được",
                         field=field)
    if role not in GRANTABLE_ROLES:
        raise InvalidInput("vai trò không hợp lệ", field=field)
    if role == Role.UNIT_ADMIN and unit.pk != root.pk:
        raise InvalidInput("vai trò quản trị đơn vị chỉ phân công ở cấp đơn vị, không ở phòng, ban", field=field)


@transaction.atomic
def add_official(*, unit, username, full_name, email="", role, actor=SYSTEM):
    """Creates the account of a new official of `unit` (the unit or one of its departments) with a first role there.
    The account has no usable password: the official sets one through a one-time link (issue_password_link), so
    nobody but them ever knows it."""
    unit = _unit(unit)
    actor, root = _require_admin(actor, unit, "thêm cán bộ")
    if not in_tree(root, unit):
        raise NotAllowed(f"chỉ thêm được cán bộ của {_unit_label(root)}", field="unit")
    _check_grantable(role, unit, root)
    if not isinstance(username, str):
        raise InvalidInput("tên đăng nhập không hợp lệ", field="username")
    username = username.strip()
    if not USERNAME.match(username):
        raise InvalidInput("tên đăng nhập gồm 3–150 ký tự: chữ thường không dấu, số, dấu chấm, gạch ngang, gạch dưới; "
                           "bắt đầu bằng chữ hoặc số", field="username")
    full_name = _clean_text(full_name, "full_name", max_length=150, required=True, what="họ và tên")
    email = _clean_text(email, "email", max_length=254, what="thư điện tử")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidInput("địa chỉ thư điện tử không hợp lệ", field="email") from None
    User = get_user_model()
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(f"tên đăng nhập {username} đã có người dùng", field="username")
    user = User(username=username, first_name=full_name, email=email, is_active=True)
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise Conflict(f"tên đăng nhập {username} đã có người dùng", field="username") from None
    Membership.objects.create(user=user, unit=unit, role=role)
    record_event("official_added", actor=actor, after={
        "username": username, "full_name": full_name, "email": email, "unit": unit.code, "role": role})
    return user


@transaction.atomic
def issue_password_link(*, username, unit, actor=SYSTEM):
    """A one-time link for an official of the unit's tree who has never signed in to set their password (the
    account was just added, or the first link expired). Returns (uidb64, token); the link stops working once the
    password is set. Logged, never the token itself."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    unit = _unit(unit)
    actor, root = _require_admin(actor, unit, "cấp liên kết đặt mật khẩu")
    user = _official(username, "username")
    if not Membership.objects.filter(user=user, unit__in=unit_tree(root)).exists():
        raise NotFound("cán bộ không thuộc đơn vị", field="username")
    if user.last_login is not None:
        raise Conflict(f"{_name(user)} đã đăng nhập: liên kết đặt mật khẩu chỉ dành cho tài khoản chưa dùng lần nào",
                       field="username")
    record_event("password_link_issued", actor=actor, after={"username": user.username})
    return urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)


@transaction.atomic
def grant_role(*, username, unit, role, actor=SYSTEM):
    """Grants `role` at `unit` (the admin's unit or one of its departments) to an active official."""
    unit = _unit(unit)
    if role in PROVINCIAL_ROLES:  # said before anything else: it is never the admin's to grant
        _check_grantable(role, unit, administered_root(unit))
    actor, root = _require_admin(actor, unit, "phân công vai trò")
    _check_grantable(role, unit, root)
    user = _official(username, "username")
    if Membership.objects.filter(user=user, unit=unit, role=role).exists():
        raise Conflict(f"{_name(user)} đã có vai trò '{Role(role).label}' tại {unit.name}", field="role")
    try:
        with transaction.atomic():
            membership = Membership.objects.create(user=user, unit=unit, role=role)
    except IntegrityError:
        raise Conflict(f"{_name(user)} đã có vai trò '{Role(role).label}' tại {unit.name}", field="role") from None
    record_event("role_granted", actor=actor, before=None,
                 after={"username": user.username, "unit": unit.code, "role": role})
    return membership


def _claimed_open(user, unit_ids, role=None):
    qs = WorkItem.objects.filter(status=WorkItemStatus.OPEN, claimed_by=user, unit_id__in=unit_ids)
    return qs.filter(role=role) if role else qs


@transaction.atomic
def revoke_role(*, membership_id, actor=SYSTEM):
    """Revokes one role. Refused while the official still has steps of that role claimed there (move them first), and
    for one's own unit_admin role (an admin cannot lock themselves out). Substitutions standing in for that role of
    the official are revoked with it."""
    membership = (Membership.objects.select_for_update(of=("self",)).select_related("unit", "user")
                  .filter(pk=membership_id).first())
    if membership is None:
        raise NotFound("không có phân công này", field="membership")
    actor, root = _require_admin(actor, membership.unit, "thu hồi vai trò")
    if membership.role in PROVINCIAL_ROLES:
        raise NotAllowed(f"vai trò '{Role(membership.role).label}' do cấp tỉnh phân công, quản trị đơn vị không thu "
                         "hồi được", field="role")
    user = membership.user
    if actor.user is not None and user.pk == actor.user.pk and membership.role == Role.UNIT_ADMIN:
        raise NotAllowed("bạn không thể tự thu hồi quyền quản trị của mình; nhờ một quản trị khác", field="role")
    claimed = _claimed_open(user, [membership.unit_id], membership.role).count()
    if claimed:
        raise Conflict(f"{_name(user)} còn {claimed} bước '{Role(membership.role).label}' đang nhận xử lý tại "
                       f"{membership.unit.name}: chuyển việc trước khi thu hồi vai trò", field="membership")
    now = clock.now()
    ended = list(Substitution.objects.select_for_update().filter(
        absent=user, unit=membership.unit, role=membership.role, revoked_at__isnull=True, ends_on__gte=today_vn(now))
        .values_list("pk", flat=True))
    Substitution.objects.filter(pk__in=ended).update(revoked_at=now)
    before = {"username": user.username, "unit": membership.unit.code, "role": membership.role}
    membership.delete()
    record_event("role_revoked", actor=actor, before=before,
                 after={"username": user.username, "unit": before["unit"], "role": None,
                        "substitutions_revoked": ended})
    return before


@transaction.atomic
def deactivate_official(*, username, unit, actor=SYSTEM, reason=""):
    """Locks an official's account (is_active=False): they can no longer sign in or use the API. Their memberships,
    steps and events are kept (history). Refused for oneself, for an official who also works for another unit, and
    while they have steps claimed (move them first). Their current and future substitutions are revoked."""
    unit = _unit(unit)
    actor, root = _require_admin(actor, unit, "khóa tài khoản")
    User = get_user_model()
    user = User.objects.select_for_update().filter(username=username if isinstance(username, str) else "").first()
    tree = list(unit_tree(root).values_list("pk", flat=True))
    if user is None or not Membership.objects.filter(user=user, unit_id__in=tree).exists():
        raise NotFound("cán bộ không thuộc đơn vị", field="username")
    reason = _clean_text(reason, "reason", max_length=MAX_REASON, what="lý do")
    if not user.is_active:
        raise Conflict(f"tài khoản {user.username} đã bị khóa", field="username")
    if actor.user is not None and user.pk == actor.user.pk:
        raise NotAllowed("bạn không thể tự khóa tài khoản của mình", field="username")
    if user.is_superuser or user.is_staff:
        raise NotAllowed("tài khoản quản trị hệ thống chỉ khóa được trong trang quản trị Django", field="username")
    elsewhere = (Membership.objects.filter(user=user).exclude(unit_id__in=tree).select_related("unit")
                 .order_by("unit__code").first())
    if elsewhere is not None:
        raise NotAllowed(f"{_name(user)} còn vai trò tại {elsewhere.unit.name}: chỉ thu hồi được vai trò tại đơn vị "
                         "mình, không khóa được tài khoản", field="username")
    claimed = WorkItem.objects.filter(status=WorkItemStatus.OPEN, claimed_by=user).count()
    if claimed:
        raise Conflict(f"{_name(user)} còn {claimed} bước đang nhận xử lý: chuyển việc trước khi khóa tài khoản",
                       field="username")
    now = clock.now()
    ended = list(Substitution.objects.select_for_update()
                 .filter(Q(absent=user) | Q(substitute=user), revoked_at__isnull=True, ends_on__gte=today_vn(now))
                 .values_list("pk", flat=True))
    Substitution.objects.filter(pk__in=ended).update(revoked_at=now)
    user.is_active = False
    user.save(update_fields=["is_active"])
    record_event("official_deactivated", actor=actor, before={"username": user.username, "is_active": True},
                 after={"username": user.username, "is_active": False, "reason": reason,
                        "substitutions_revoked": ended})
    return user


# ---------------------------------------------------------------------------------------------------------------
# substitutes


@transaction.atomic
def appoint_substitute(*, unit, role, absent_username, substitute_username, starts_on, ends_on, reason="",
                       actor=SYSTEM):
    """`substitute` acts for `absent` in `role` at `unit` from `starts_on` to `ends_on` (inclusive, local days).
    The absent official must hold the role there; the substitute must be an active official of the unit's tree who
    does not hold it already. No two substitutions of the same absent official, or of the same substitute, in one unit
    and role may overlap."""
    unit = _unit(unit)
    actor, root = _require_admin_or_leader(actor, unit, "cử người thay thế")
    if not in_tree(root, unit):
        raise NotAllowed(f"chỉ cử người thay thế trong {_unit_label(root)}", field="unit")
    if role not in SUBSTITUTABLE_ROLES:
        raise InvalidInput("chỉ cử người thay cho các vai trò xử lý hồ sơ (lãnh đạo, chuyên viên, một cửa)",
                           field="role")
    # One appointment at a time per unit: the overlap checks below then see every committed row.
    AdministrativeUnit.objects.select_for_update().filter(pk=unit.pk).first()
    absent = _official(absent_username, "absent")
    if not Membership.objects.filter(user=absent, unit=unit, role=role).exists():
        raise InvalidInput(f"{_name(absent)} không có vai trò '{Role(role).label}' tại {unit.name}", field="absent")
    substitute = _official(substitute_username, "substitute")
    if substitute.pk == absent.pk:
        raise InvalidInput("người thay phải là người khác", field="substitute")
    if not Membership.objects.filter(user=substitute, unit__in=unit_tree(root)).exists():
        raise InvalidInput(f"{_name(substitute)} không phải cán bộ của {_unit_label(root)}", field="substitute")
    if Membership.objects.filter(user=substitute, unit=unit, role=role).exists():
        raise InvalidInput(f"{_name(substitute)} đã có vai trò '{Role(role).label}' tại {unit.name}, không cần thay",
                           field="substitute")
    starts_on = parse_day(starts_on, "starts_on")
    ends_on = parse_day(ends_on, "ends_on")
    today = today_vn()
    if starts_on < today:
        raise InvalidInput(f"ngày bắt đầu không được trước hôm nay ({today:%d/%m/%Y})", field="starts_on")
    if ends_on < starts_on:
        raise InvalidInput("ngày kết thúc phải từ ngày bắt đầu trở đi", field="ends_on")
    if (ends_on - starts_on).days + 1 > MAX_SUBSTITUTION_DAYS:
        raise InvalidInput(f"mỗi lần cử người thay tối đa {MAX_SUBSTITUTION_DAYS} ngày", field="ends_on")
    reason = _clean_text(reason, "reason", max_length=MAX_REASON, what="lý do")
    overlapping = Substitution.objects.filter(unit=unit, role=role, revoked_at__isnull=True, starts_on__lte=ends_on,
                                              ends_on__gte=starts_on)
    clash = overlapping.filter(absent=absent).select_related("substitute").first()
    if clash is not None:
        raise Conflict(f"{_name(clash.substitute)} đã được cử thay {_name(absent)} từ {clash.starts_on:%d/%m/%Y} "
                       f"đến {clash.ends_on:%d/%m/%Y}", field="starts_on")
    clash = overlapping.filter(substitute=substitute).select_related("absent").first()
    if clash is not None:
        raise Conflict(f"{_name(substitute)} đã thay {_name(clash.absent)} trong vai trò này từ "
                       f"{clash.starts_on:%d/%m/%Y} đến {clash.ends_on:%d/%m/%Y}", field="substitute")
    substitution = Substitution.objects.create(
        unit=unit, role=role, absent=absent, substitute=substitute, starts_on=starts_on, ends_on=ends_on,
        reason=reason, created_by=actor.user, created_at=clock.now())
    record_event("substitute_appointed", actor=actor, before=None, after={
        "substitution": substitution.pk, "unit": unit.code, "role": role, "absent": absent.username,
        "substitute": substitute.username, "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat(),
        "reason": reason})
    return substitution


@transaction.atomic
def revoke_substitution(*, substitution_id, actor=SYSTEM):
    """Ends a substitution now (or cancels one not begun). Steps of that role the substitute had claimed there are
    released (unclaimed, each with its event), so that the absent official or a colleague can take them."""
    from .dossiers import _lock_item

    substitution = (Substitution.objects.select_for_update(of=("self",))
                    .select_related("unit", "absent", "substitute").filter(pk=substitution_id).first())
    if substitution is None:
        raise NotFound("không có quyết định cử người thay này", field="substitution")
    actor, root = _require_admin_or_leader(actor, substitution.unit, "thu hồi việc cử người thay thế")
    if substitution.revoked_at is not None:
        raise Conflict("việc cử người thay này đã bị thu hồi", field="substitution")
    now = clock.now()
    if substitution.ends_on < today_vn(now):
        raise Conflict(f"việc cử người thay này đã hết hạn ngày {substitution.ends_on:%d/%m/%Y}", field="substitution")
    substitution.revoked_at = now
    substitution.save(update_fields=["revoked_at"])
    released = []
    held = Membership.objects.filter(user=substitution.substitute, unit=substitution.unit, role=substitution.role)
    if not held.exists():
        for item_id in (_claimed_open(substitution.substitute, [substitution.unit_id], substitution.role)
                        .order_by("dossier_id", "id").values_list("pk", flat=True)):
            dossier, item = _lock_item(item_id)
            if item.status != WorkItemStatus.OPEN or item.claimed_by_id != substitution.substitute_id:
                continue
            item.claimed_by, item.claimed_at = None, None
            item.save(update_fields=["claimed_by", "claimed_at"])
            record_event("work_moved", actor=actor, dossier=dossier, engine_task_id=item.engine_task_id,
                         before={"step": item.bpmn_id, "claimed_by": substitution.substitute.username},
                         after={"step": item.bpmn_id, "claimed_by": None, "reason": "substitution_revoked"})
            released.append(item.pk)
    record_event("substitute_revoked", actor=actor,
                 before={"substitution": substitution.pk, "unit": substitution.unit.code, "role": substitution.role,
                         "absent": substitution.absent.username, "substitute": substitution.substitute.username,
                         "starts_on": substitution.starts_on.isoformat(), "ends_on": substitution.ends_on.isoformat(),
                         "revoked_at": None},
                 after={"substitution": substitution.pk, "revoked_at": now.isoformat(), "released_steps": released})
    return substitution


# ---------------------------------------------------------------------------------------------------------------
# moving a departing official's work


@transaction.atomic
def move_work(*, unit, from_username, to_username=None, item_ids=None, actor=SYSTEM, reason=""):
    """Moves the open steps `from_username` has claimed in the unit's tree — all of them, or those of `item_ids` —
    to `to_username` (who must hold each step's role in its unit), or releases them unclaimed when `to_username` is
    None. All or nothing; one `work_moved` event per step, in its dossier's history. The unit's admin or leader."""
    from .dossiers import _lock_item

    unit = _unit(unit)
    actor, root = _require_admin_or_leader(actor, unit, "chuyển việc của cán bộ")
    source = _official(from_username, "official", active=False)
    target = _official(to_username, "to") if to_username else None
    if target is not None and target.pk == source.pk:
        raise InvalidInput("hãy chọn một cán bộ khác để nhận việc", field="to")
    reason = _clean_text(reason, "reason", max_length=MAX_REASON, what="lý do")
    tree = list(unit_tree(root).values_list("pk", flat=True))
    claimed = _claimed_open(source, tree)
    if item_ids is not None:
        try:
            wanted = sorted({int(i) for i in item_ids})
        except (TypeError, ValueError):
            raise InvalidInput("danh sách bước không hợp lệ", field="items") from None
        if not wanted:
            raise InvalidInput("hãy chọn ít nhất một bước", field="items")
        if len(wanted) > MAX_MOVE:
            raise InvalidInput(f"mỗi lần chuyển tối đa {MAX_MOVE} bước", field="items")
        found = set(claimed.filter(pk__in=wanted).values_list("pk", flat=True))
        if found != set(wanted):
            raise Conflict("có bước đã được xử lý hoặc không còn do cán bộ này nhận: tải lại trang rồi chọn lại",
                           field="items")
        claimed = claimed.filter(pk__in=wanted)
    rows = list(claimed.order_by("dossier_id", "id").values_list("pk", flat=True)[:MAX_MOVE + 1])
    if not rows:
        raise InvalidInput(f"{_name(source)} không có bước nào đang nhận xử lý tại đơn vị", field="official")
    if len(rows) > MAX_MOVE:
        raise InvalidInput(f"mỗi lần chuyển tối đa {MAX_MOVE} bước: hãy chọn bớt", field="items")
    moved = []
    now = clock.now()
    for item_id in rows:  # dossier order: every writer locks a dossier before its items
        dossier, item = _lock_item(item_id)
        if item.status != WorkItemStatus.OPEN or item.claimed_by_id != source.pk:
            raise Conflict(f"bước '{item.name}' của hồ sơ {dossier.code} vừa thay đổi: tải lại trang rồi thử lại",
                           field="items")
        if target is not None and not holds_role(target, item.unit, item.role):
            raise InvalidInput(f"{_name(target)} không có vai trò '{Role(item.role).label}' tại {item.unit.name} "
                               f"(bước '{item.name}' của hồ sơ {dossier.code})", field="to")
        item.claimed_by = target
        item.claimed_at = now if target is not None else None
        item.save(update_fields=["claimed_by", "claimed_at"])
        record_event("work_moved", actor=actor, dossier=dossier, engine_task_id=item.engine_task_id,
                     before={"step": item.bpmn_id, "claimed_by": source.username},
                     after={"step": item.bpmn_id, "claimed_by": target.username if target else None,
                            **({"reason": reason} if reason else {})})
        moved.append(item)
    return moved


# ---------------------------------------------------------------------------------------------------------------
# office hours and calendar overrides


def clean_office_hours(periods):
    """[["HH:MM", "HH:MM"], ...]: 1–4 periods, each ending after it starts, in increasing order, not overlapping.
    An empty list means the parent's hours (or the national default). Errors name `period_N`."""
    if periods is None:
        return []
    if not isinstance(periods, (list, tuple)):
        raise InvalidInput("giờ làm việc không hợp lệ", field="office_hours")
    if len(periods) > MAX_OFFICE_PERIODS:
        raise InvalidInput(f"tối đa {MAX_OFFICE_PERIODS} buổi làm việc mỗi ngày", field="office_hours")
    cleaned, previous_end = [], None
    for number, period in enumerate(periods, start=1):
        field = f"period_{number}"
        if not isinstance(period, (list, tuple)) or len(period) != 2:
            raise InvalidInput(f"buổi {number}: cần giờ bắt đầu và giờ kết thúc", field=field)
        start, end = (p.strip() if isinstance(p, str) else p for p in period)
        for value in (start, end):
            if not isinstance(value, str) or not HHMM.match(value):
                raise InvalidInput(f"buổi {number}: giờ phải có dạng HH:MM (00:00–23:59)", field=field)
        if end <= start:
            raise InvalidInput(f"buổi {number}: giờ kết thúc ({end}) phải sau giờ bắt đầu ({start})", field=field)
        if previous_end is not None and start < previous_end:
            raise InvalidInput(f"buổi {number} bắt đầu lúc {start}, trước khi buổi {number - 1} kết thúc "
                               f"({previous_end}): các buổi phải theo thứ tự và không chồng nhau", field=field)
        cleaned.append([start, end])
        previous_end = end
    return cleaned


@transaction.atomic
def set_office_hours(*, unit, periods, actor=SYSTEM):
    """The unit's office hours ([] = its parent's, or the national default 07:30–11:30, 13:00–17:00). Due times
    already computed do not move: new steps and dossiers count with the new hours."""
    unit = _unit(unit)
    actor, root = _require_admin(actor, unit, "đổi giờ làm việc")
    cleaned = clean_office_hours(periods)
    locked = AdministrativeUnit.objects.select_for_update().get(pk=unit.pk)
    before = list(locked.office_hours or [])
    if before == cleaned:
        return locked
    locked.office_hours = cleaned
    locked.save(update_fields=["office_hours"])
    unit.office_hours = cleaned
    record_event("office_hours_changed", actor=actor, before={"unit": unit.code, "office_hours": before},
                 after={"unit": unit.code, "office_hours": cleaned})
    return locked


def _check_future_day(day, field="date"):
    today = today_vn()
    if day < today:
        raise InvalidInput(f"chỉ điều chỉnh được từ hôm nay ({today:%d/%m/%Y}) trở đi", field=field)
    if day > today + timedelta(days=3 * 366):
        raise InvalidInput("chỉ điều chỉnh được trong ba năm tới", field=field)


@transaction.atomic
def set_unit_calendar_day(*, unit, day, is_working_day, reason, actor=SYSTEM):
    """An extra working day or day off for the unit (manage.py calendar_day --unit does the same). From today on;
    with a reason (the decision it follows)."""
    unit = _unit(unit)
    actor, root = _require_admin(actor, unit, "điều chỉnh lịch làm việc")
    day = parse_day(day, "date")
    _check_future_day(day)
    if not isinstance(is_working_day, bool):
        raise InvalidInput("hãy chọn ngày làm việc hoặc ngày nghỉ", field="is_working_day")
    reason = _clean_text(reason, "reason", max_length=MAX_REASON, required=True, what="lý do (văn bản, quyết định)")
    return calendar_services.set_calendar_override(day=day, is_working_day=is_working_day, unit_code=unit.code,
                                                   reason=reason, actor=actor)


@transaction.atomic
def clear_unit_calendar_day(*, unit, day, actor=SYSTEM):
    unit = _unit(unit)
    actor, root = _require_admin(actor, unit, "điều chỉnh lịch làm việc")
    day = parse_day(day, "date")
    _check_future_day(day)
    calendar_services.clear_calendar_override(day=day, unit_code=unit.code, actor=actor)


# ---------------------------------------------------------------------------------------------------------------
# read-only helpers for the pages


def officials_of(root):
    """The officials with a role in the unit's tree (active first), each with `unit_roles`: their memberships
    there."""
    User = get_user_model()
    tree = unit_tree(root)
    users = list(User.objects.filter(memberships__unit__in=tree).distinct()
                 .order_by("-is_active", "first_name", "username"))
    by_user = {u.pk: u for u in users}
    for user in users:
        user.unit_roles = []
    for membership in (Membership.objects.filter(unit__in=tree, user_id__in=by_user).select_related("unit")
                       .order_by("unit__code", "role")):
        by_user[membership.user_id].unit_roles.append(membership)
    return users


def official_in_tree(root, user_id):
    User = get_user_model()
    return (User.objects.filter(pk=user_id, memberships__unit__in=unit_tree(root)).distinct().first())


def substitutions_in(root, *, current=True):
    """Current and future substitutions of the tree (current=True), or the ended and revoked ones."""
    today = today_vn()
    qs = Substitution.objects.filter(unit__in=unit_tree(root)).select_related("unit", "absent", "substitute",
                                                                               "created_by")
    if current:
        return qs.filter(revoked_at__isnull=True, ends_on__gte=today).order_by("starts_on", "id")
    return qs.filter(Q(revoked_at__isnull=False) | Q(ends_on__lt=today)).order_by("-ends_on", "-id")


def absent_candidates(root):
    """Memberships a substitute may stand in for: the tree's lane roles held by active officials."""
    return (Membership.objects.filter(unit__in=unit_tree(root), role__in=SUBSTITUTABLE_ROLES)
            .select_related("user", "unit").order_by("unit__code", "role", "user__first_name", "user__username"))


def claimed_work(root, user):
    return (WorkItem.objects.filter(status=WorkItemStatus.OPEN, claimed_by=user, unit__in=unit_tree(root))
            .select_related("dossier", "dossier__procedure", "unit").order_by("due_at", "id"))


def upcoming_overrides(root):
    """This unit's overrides from today on, and the ones for every unit (read-only here)."""
    today = today_vn()
    own = CalendarOverride.objects.filter(unit=root, date__gte=today).order_by("date")
    everyone = CalendarOverride.objects.filter(unit__isnull=True, date__gte=today).order_by("date")
    return list(own), list(everyone)


def admin_events(root, limit=20):
    from ..models import Event

    kinds = ("official_added", "official_deactivated", "role_granted", "role_revoked", "password_link_issued",
             "substitute_appointed", "substitute_revoked", "office_hours_changed", "calendar_override_set",
             "calendar_override_cleared")
    return (Event.objects.filter(kind__in=kinds, actor_unit=root).select_related("actor")
            .order_by("-id")[:limit])


def local_time(value):
    return value.astimezone(VN_TZ) if value is not None else None

