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
