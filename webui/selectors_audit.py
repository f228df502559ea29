"""Read-only queries of the auditors' pages: searching dossiers of every unit, a dossier's timeline, one official's
history. Each list is one query (select_related / annotate), whatever its length."""
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q

from engine.calendar import VN_TZ
from processes.models import Dossier, Event, Explanation, Supplementation


def _start_of(day):
    return datetime.combine(day, time.min).replace(tzinfo=VN_TZ)


def _flag(name):
    if name == "explained":
        return Q(Exists(Explanation.objects.filter(dossier=OuterRef("pk"))))
    if name == "apology_filed_late":
        return Q(flags__contains=[name]) | Q(Exists(Explanation.objects.filter(dossier=OuterRef("pk"), filed_late=True)))
    if name == "reappointed_more_than_once":
        return Q(flags__contains=[name]) | Q(reappointments__gt=1)
    if name == "supplemented_twice":
        return Q(flags__contains=[name]) | Q(Exists(Supplementation.objects.filter(dossier=OuterRef("pk"), sequence__gte=2)))
    return Q(flags__contains=[name])


def search_dossiers(code=None, applicant=None, procedure=None, unit=None, received_from=None, received_to=None,
                    flags=()):
    """Dossiers of every unit matching all the filters given, newest reception first. `received_to` is inclusive
    (local days, Asia/Ho_Chi_Minh)."""
    qs = (Dossier.objects.select_related("procedure", "receiving_unit", "applicant")
          .annotate(explained=Exists(Explanation.objects.filter(dossier=OuterRef("pk")))))
    if code:
        qs = qs.filter(code__icontains=code.strip())
    if applicant:
        qs = qs.filter(applicant__full_name__icontains=applicant.strip())
    if procedure:
        qs = qs.filter(procedure=procedure)
    if unit:
        qs = qs.filter(receiving_unit=unit)
    if received_from:
        qs = qs.filter(received_at__gte=_start_of(received_from))
    if received_to:
        qs = qs.filter(received_at__lt=_start_of(received_to + timedelta(days=1)))
    for name in flags or ():
        qs = qs.filter(_flag(name))
    return qs.order_by("-received_at", "-id")


def dossier_by_code(code):
    return Dossier.objects.select_related("procedure", "receiving_unit", "applicant", "version").filter(code=code).first()


def dossier_timeline(dossier):
    """Every event of the dossier, in the order of its stream."""
    return (Event.objects.filter(dossier=dossier).select_related("actor", "actor_unit")
            .order_by("seq", "id"))


def official_by_username(username):
    return get_user_model().objects.filter(username=username).first()


def official_events(user):
    """What the official did, newest first."""
    return (Event.objects.filter(actor=user).select_related("actor", "actor_unit", "dossier")
            .order_by("-at", "-id"))
