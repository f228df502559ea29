"""Read-only queries: what each official may see. Views and serializers read through these."""
from django.db.models import Exists, OuterRef, Q

from engine import clock

from .models import (
    AdministrativeUnit,
    Dossier,
    DossierParticipant,
    Event,
    Membership,
    Role,
    WorkItem,
    WorkItemStatus,
)

LEADER_ROLES = (Role.UNIT_LEADER, Role.SIGNING_LEADER)


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
    participant = DossierParticipant.objects.filter(dossier=OuterRef("pk")).filter(
        Q(unit_id__in=member_units) | Q(unit__parent_id__in=led_units)
    )
    return qs.filter(Exists(participant))


def get_visible_dossier(user, code):
    return dossiers_visible_to(user).filter(code=code).first()


def attachment_for(user, attachment_id):
    """An attachment of a dossier the official may see, else None (the page answers 404, not 403)."""
    from .models import Attachment

    return (Attachment.objects.select_related("dossier", "uploaded_by")
            .filter(pk=attachment_id, dossier__in=dossiers_visible_to(user).values("pk")).first())


def inbox_for(user):
    """Open steps the official may work on: routed to one of their units in one of their roles, or claimed by them."""
    memberships = Membership.objects.filter(user=user, unit=OuterRef("unit_id"), role=OuterRef("role"))
    return (
        WorkItem.objects.filter(status=WorkItemStatus.OPEN)
        .filter(Q(Exists(memberships)) | Q(claimed_by=user))
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
    return AdministrativeUnit.objects.filter(memberships__user=user).distinct()


def applicant_for(user, dossier):
    """The applicant's personal record as this official may see it: in full for the receiving unit's officials and
    auditors; others routed a step see the name and contacts needed to serve the citizen, the ID number masked."""
    record = dossier.applicant
    full = is_auditor(user) or Membership.objects.filter(user=user, unit_id=dossier.receiving_unit_id).exists()
    id_number = record.id_number if full or not record.id_number else "*" * (len(record.id_number) - 3) + record.id_number[-3:]
    return {
        "full_name": record.full_name,
        "id_number": id_number,
        "phone": record.phone,
        "email": record.email,
        "address": record.address,
    }
