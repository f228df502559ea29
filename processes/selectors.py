"""Read-only queries: what each official may see. Views and serializers read through these."""
from django.db.models import Exists, OuterRef, Q

from engine import clock
from engine.calendar import VN_TZ

from .models import (
    AdministrativeUnit,
    Dossier,
    DossierParticipant,
    Event,
    Membership,
    Role,
    Substitution,
    WorkItem,
    WorkItemStatus,
)

LEADER_ROLES = (Role.UNIT_LEADER, Role.SIGNING_LEADER)


# ---------------------------------------------------------------------------------------------------------------
# substitutes: during an active Substitution the substitute holds the absent official's role in that unit


def today_vn(now=None):
    """Today's date in Asia/Ho_Chi_Minh by the one clock: the days of a substitution are local days."""
    return (now or clock.now()).astimezone(VN_TZ).date()


def active_substitutions(day=None):
    """Substitutions in force on `day` (today by default): not revoked, starts_on <= day <= ends_on (inclusive)."""
    day = day or today_vn()
    return Substitution.objects.filter(revoked_at__isnull=True, starts_on__lte=day, ends_on__gte=day)


def holds_role(user, unit, role, day=None):
    """The official holds `role` at `unit`: a membership, or an active substitution for someone who does. One query
    (two EXISTS subqueries)."""
    if user is None or not user.is_authenticated or unit is None:
        return False
    unit_id = getattr(unit, "pk", unit)
    member = Membership.objects.filter(user=user, unit_id=unit_id, role=role)
    standing_in = active_substitutions(day).filter(substitute=user, unit_id=unit_id, role=role)
    return AdministrativeUnit.objects.filter(pk=unit_id).filter(Exists(member) | Exists(standing_in)).exists()


def substitution_for(user, unit, role, day=None):
    """The active substitution through which `user` holds `role` at `unit` — None when they hold it themselves (a
    membership) or not at all. Its `absent` is the official they act for."""
    if user is None or not getattr(user, "is_authenticated", False) or unit is None:
        return None
    unit_id = getattr(unit, "pk", unit)
    if Membership.objects.filter(user=user, unit_id=unit_id, role=role).exists():
        return None
    return (active_substitutions(day).filter(substitute=user, unit_id=unit_id, role=role)
            .select_related("absent").order_by("-starts_on", "-id").first())


def substitutions_of(user, day=None):
    """The substitutions the official stands in through today, with unit and absent official."""
    return active_substitutions(day).filter(substitute=user).select_related("unit", "absent").order_by("unit__code", "role")


def is_auditor(user):
    return Membership.objects.filter(user=user, role=Role.AUDITOR).exists()


def dossiers_visible_to(user):
    """Officials of the units that received the dossier or were ever routed a step of it, the leaders of those units'
    parent units, and auditors (read-only). Everyone else sees nothing (the API answers 404)."""
    qs = Dossier.objects.select_related("procedure", "receiving_unit", "version", "regime")
    if not user.is_authenticated:
        return qs.none()
    if is_auditor(user):
        return qs
    member_units = Membership.objects.filter(user=user).values("unit_id")
    led_units = Membership.objects.filter(user=user, role__in=LEADER_ROLES).values("unit_id")
    # A substitute sees what the role they stand in for sees, while the substitution is in force.
    standing_in = active_substitutions().filter(substitute=user)
    substitute_units = standing_in.values("unit_id")
    substitute_led_units = standing_in.filter(role__in=LEADER_ROLES).values("unit_id")
    participant = DossierParticipant.objects.filter(dossier=OuterRef("pk")).filter(
        Q(unit_id__in=member_units) | Q(unit__parent_id__in=led_units)
        | Q(unit_id__in=substitute_units) | Q(unit__parent_id__in=substitute_led_units)
    )
    return qs.filter(Exists(participant))


def get_visible_dossier(user, code):
    return dossiers_visible_to(user).filter(code=code).first()


def attachment_for(user, attachment_id):
    """An attachment of a dossier the official may see, else None (the page answers 404, not 403). A denunciation's
    scans carry the denouncer's identity: only to whoever may read it (processes.privacy)."""
    from . import privacy
    from .models import Attachment

    return (Attachment.objects.select_related("dossier", "uploaded_by")
            .filter(pk=attachment_id, dossier__in=dossiers_visible_to(user).values("pk"))
            .filter(privacy.visible_q(user, "dossier__")).first())


def inbox_for(user):
    """Open steps the official may work on: routed to one of their units in one of their roles (held, or stood in for
    through an active substitution), or claimed by them.

    The official's (unit, role) pairs are read first (one small query) and the items selected by plain equalities, so
    that PostgreSQL reads the index (unit, role, status) once per pair and (claimed_by, status): the rows read are the
    official's own. Correlated EXISTS over every open item of every unit read all of them (bench/scale.py: 50,000
    open dossiers in the unit, 60k+ open items) and priced the query past PostgreSQL's JIT threshold."""
    held = (Membership.objects.filter(user=user).values_list("unit_id", "role")
            .union(active_substitutions().filter(substitute=user).values_list("unit_id", "role")))
    mine = Q(claimed_by=user)
    for unit_id, role in sorted(held):
        mine |= Q(unit_id=unit_id, role=role)
    return (
        WorkItem.objects.filter(status=WorkItemStatus.OPEN)
        .filter(mine)
        .select_related("dossier", "dossier__procedure", "unit", "claimed_by")
        .order_by("due_at", "id")
    )


def work_items_visible_to(user):
    return WorkItem.objects.filter(dossier__in=dossiers_visible_to(user)).select_related("dossier", "unit", "claimed_by")


def dossier_history(dossier):
    return Event.objects.filter(dossier=dossier).select_related("actor", "actor_unit").order_by("id")


def overdue(qs):
    return qs.filter(due_at__lt=clock.now())


def units_of(user):
    """The units an official works in: their memberships', and those where they stand in for someone today."""
    return AdministrativeUnit.objects.filter(
        Exists(Membership.objects.filter(user=user, unit=OuterRef("pk")))
        | Exists(active_substitutions().filter(substitute=user, unit=OuterRef("pk")))
    )


def applicant_for(user, dossier):
    """The applicant's personal record as this official may see it: in full for the receiving unit's officials and
    auditors; others routed a step see the name and contacts needed to serve the citizen, the ID number masked. A
    denouncer's identity only to the officials assigned to the case and to auditors (processes.privacy)."""
    from . import privacy

    if not privacy.applicant_visible(user, dossier):
        return privacy.masked_applicant()
    record = dossier.applicant
    full = (is_auditor(user) or Membership.objects.filter(user=user, unit_id=dossier.receiving_unit_id).exists()
            or active_substitutions().filter(substitute=user, unit_id=dossier.receiving_unit_id).exists())
    id_number = record.id_number if full or not record.id_number else "*" * (len(record.id_number) - 3) + record.id_number[-3:]
    return {
        "full_name": record.full_name,
        "id_number": id_number,
        "phone": record.phone,
        "email": record.email,
        "address": record.address,
        "masked": False,
    }
