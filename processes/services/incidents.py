"""Incidents: what the platform could not do by itself. Administrators see them, retry or resolve with a reason."""
from django.db import IntegrityError, transaction

from engine import clock

from ..models import Incident
from .events import SYSTEM, record_event


def open_incident(kind, *, dossier=None, timer=None, error=""):
    """Opens an incident unless the same dossier already has an open one of this kind; returns it."""
    if dossier is not None:
        existing = Incident.objects.filter(dossier=dossier, kind=kind, resolved_at__isnull=True).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            incident = Incident.objects.create(kind=kind, dossier=dossier, timer=timer, error=error[:4000],
                                               created_at=clock.now())
    except IntegrityError:
        return Incident.objects.get(dossier=dossier, kind=kind, resolved_at__isnull=True)
    record_event("incident_opened", actor=SYSTEM, dossier=dossier,
                 after={"incident": incident.pk, "kind": kind, "error": error[:500], "timer": timer.pk if timer else None})
    return incident


def _require_admin(actor):
    from ..models import Membership, Role
    from .errors import NotAllowed

    user = actor.user
    if user is None or user.is_superuser:
        return
    if not Membership.objects.filter(user=user, role=Role.UNIT_ADMIN).exists():
        raise NotAllowed("chỉ quản trị đơn vị mới xử lý được sự cố")


def _open_incident_locked(incident_id):
    from .errors import Conflict, NotFound

    incident = Incident.objects.select_for_update().filter(pk=incident_id).first()
    if incident is None:
        raise NotFound("không có sự cố này", field="incident")
    if incident.resolved_at is not None:
        raise Conflict("sự cố đã được xử lý", field="incident")
    return incident


def _clean_reason(reason):
    from .errors import InvalidInput

    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput("cần nêu lý do", field="reason")
    if len(reason) > 2000:
        raise InvalidInput("lý do dài quá 2000 ký tự", field="reason")
    return reason.strip()


@transaction.atomic
def retry_incident(*, incident_id, actor, reason):
    """Puts the failed timer back on the schedule (attempts reset) and closes the incident as retried."""
    from ..models import Dossier, Timer, TimerStatus

    _require_admin(actor)
    reason = _clean_reason(reason)
    if incident_row := Incident.objects.filter(pk=incident_id).values("dossier_id").first():
        if incident_row["dossier_id"]:
            Dossier.objects.select_for_update().filter(pk=incident_row["dossier_id"]).first()  # lock order: dossier first
    incident = _open_incident_locked(incident_id)
    if incident.timer_id:
        Timer.objects.filter(pk=incident.timer_id).update(
            status=TimerStatus.SCHEDULED, attempts=0, lease_owner="", lease_expires_at=None, last_error="")
    incident.resolved_at = clock.now()
    incident.resolved_by = actor.user
    incident.resolution = "retried"
    incident.resolution_reason = reason
    incident.save()
    record_event("incident_retried", actor=actor, dossier=incident.dossier,
                 after={"incident": incident.pk, "reason": reason, "timer": incident.timer_id})
    return incident


@transaction.atomic
def resolve_incident(*, incident_id, actor, reason):
    """Closes an incident with a recorded reason (handled outside the platform, or no longer relevant)."""
    _require_admin(actor)
    reason = _clean_reason(reason)
    incident = _open_incident_locked(incident_id)
    incident.resolved_at = clock.now()
    incident.resolved_by = actor.user
    incident.resolution = "resolved"
    incident.resolution_reason = reason
    incident.save()
    record_event("incident_resolved", actor=actor, dossier=incident.dossier,
                 after={"incident": incident.pk, "reason": reason})
    return incident


def detect_stuck_dossiers(limit=1000):
    """Open dossiers with no open work, no armed timer and not waiting on the citizen become incidents. Returns the
    incidents opened."""
    from django.db.models import Exists, OuterRef

    from ..models import Dossier, DossierStatus, Timer, TimerStatus, WorkItem, WorkItemStatus

    open_work = WorkItem.objects.filter(dossier=OuterRef("pk"), status=WorkItemStatus.OPEN)
    armed = Timer.objects.filter(dossier=OuterRef("pk"), status__in=[TimerStatus.SCHEDULED, TimerStatus.CLAIMED])
    stuck = (
        Dossier.objects.filter(status__in=[DossierStatus.RECEIVED, DossierStatus.PROCESSING])
        .exclude(Exists(open_work))
        .exclude(Exists(armed))
        .exclude(Exists(Incident.objects.filter(dossier=OuterRef("pk"), kind="stuck", resolved_at__isnull=True)))
        .order_by("id")[:limit]
    )
    opened = []
    for dossier in stuck:
        with transaction.atomic():
            opened.append(open_incident("stuck", dossier=dossier,
                                        error="hồ sơ đang xử lý nhưng không có bước nào mở và không có hẹn giờ nào"))
    return opened
