"""Timers in PostgreSQL. Arming and cancelling happen in the transaction of the state they belong to; the sweeper
claims due timers with SKIP LOCKED and a lease; firing re-checks under locks (dossier first, then timer) and is
idempotent. Handlers per timer kind register themselves in HANDLERS (processes/services/statutory.py)."""
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction

from engine import clock

from ..models import Dossier, Timer, TimerStatus

log = logging.getLogger(__name__)

# kind -> callable(dossier, timer, now) -> bool (True = done; False = not due in substance yet, keep scheduled)
HANDLERS = {}


def register(kind):
    def decorator(func):
        HANDLERS[kind] = func
        return func

    return decorator


def lease_seconds():
    return int(getattr(settings, "MOTCUA_TIMER_LEASE_SECONDS", 300))


ARM_SQL = """
INSERT INTO processes_timer (dossier_id, kind, due_at, status, work_item_id, element_id, generation, attempts,
                             max_attempts, lease_owner, lease_expires_at, fired_at, last_error, idempotency_key,
                             created_at)
VALUES (%(dossier)s, %(kind)s, %(due_at)s, 'scheduled', %(work_item)s, %(element_id)s, %(generation)s, 0,
        %(max_attempts)s, '', NULL, NULL, '', %(key)s, %(now)s)
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING id
"""


def arm_timer(dossier, kind, due_at, *, key, work_item=None, element_id="", max_attempts=None):
    """Creates the timer unless one with this idempotency key exists; returns it. Call inside the transaction that
    holds the dossier's lock. One statement in the usual case (INSERT … ON CONFLICT DO NOTHING), which is what a step
    or a timer storm pays for each timer it arms."""
    from django.db import connection

    values = {"dossier": dossier.pk, "kind": kind, "due_at": due_at, "work_item": work_item.pk if work_item else None,
              "element_id": element_id, "generation": dossier.clock_generation,
              "max_attempts": max_attempts or int(getattr(settings, "MOTCUA_TIMER_MAX_ATTEMPTS", 5)),
              "key": key, "now": clock.now()}
    with connection.cursor() as cursor:
        cursor.execute(ARM_SQL, values)
        row = cursor.fetchone()
    if row is None:  # armed before (same key): that one stands
        return Timer.objects.get(idempotency_key=key)
    return Timer(pk=row[0], dossier=dossier, kind=kind, due_at=due_at, status=TimerStatus.SCHEDULED,
                 work_item=work_item, element_id=element_id, generation=values["generation"], attempts=0,
                 max_attempts=values["max_attempts"], idempotency_key=key, created_at=values["now"])


def cancel_timers(dossier, *, kinds=None, work_item=None, generation_below=None, element_ids=None):
    """Cancels the dossier's pending timers matching the filters; returns how many."""
    qs = Timer.objects.filter(dossier=dossier, status__in=[TimerStatus.SCHEDULED, TimerStatus.CLAIMED])
    if kinds is not None:
        qs = qs.filter(kind__in=kinds)
    if work_item is not None:
        qs = qs.filter(work_item=work_item)
    if generation_below is not None:
        qs = qs.filter(generation__lt=generation_below)
    if element_ids is not None:
        qs = qs.filter(element_id__in=element_ids)
    return qs.update(status=TimerStatus.CANCELLED, lease_owner="", lease_expires_at=None)


def fire_timer(timer_id, owner=None):
    """Runs one claimed (or due) timer exactly once. Returns 'fired', 'skipped' or 'failed'."""
    try:
        with transaction.atomic():
            dossier_id = Timer.objects.values_list("dossier_id", flat=True).get(pk=timer_id)
            dossier = (Dossier.objects.select_for_update(of=("self",)).select_related("version", "receiving_unit")
                       .get(pk=dossier_id))
            timer = Timer.objects.select_for_update().get(pk=timer_id)
            now = clock.now()
            if timer.status not in (TimerStatus.SCHEDULED, TimerStatus.CLAIMED):
                return "skipped"  # fired, cancelled or an incident already: a duplicate delivery
            if owner and timer.status == TimerStatus.CLAIMED and timer.lease_owner != owner:
                return "skipped"  # the lease expired and another sweep re-claimed it
            if timer.due_at > now:
                return "skipped"
            handler = HANDLERS.get(timer.kind)
            if handler is None:
                raise RuntimeError(f"no handler for timer kind {timer.kind}")
            done = handler(dossier, timer, now)
            if done is False:  # e.g. a diagram timer the engine does not consider due yet
                timer.status = TimerStatus.SCHEDULED
                timer.lease_owner, timer.lease_expires_at = "", None
                timer.save(update_fields=["status", "lease_owner", "lease_expires_at"])
                return "skipped"
            timer.status = TimerStatus.FIRED
            timer.fired_at = now
            timer.lease_owner, timer.lease_expires_at = "", None
            timer.save(update_fields=["status", "fired_at", "lease_owner", "lease_expires_at"])
            return "fired"
    except Exception as exc:  # recorded on the row; the lease brings it back, attempts end in an incident
        log.exception("timer %s failed", timer_id)
        record_failure(timer_id, exc)
        return "failed"


def record_failure(timer_id, exc):
    from .incidents import open_incident

    with transaction.atomic():
        timer = Timer.objects.select_for_update().filter(pk=timer_id).first()
        if timer is None:
            return
        timer.last_error = f"{type(exc).__name__}: {exc}"[:4000]
        fields = ["last_error"]
        if timer.attempts >= timer.max_attempts:
            timer.status = TimerStatus.INCIDENT
            fields.append("status")
            open_incident("timer_exhausted", dossier=timer.dossier, timer=timer, error=timer.last_error)
        timer.save(update_fields=fields)


CLAIM_SQL = """
WITH due AS (
    SELECT id FROM processes_timer
     WHERE ((status = 'scheduled' AND due_at <= %(now)s)
        OR (status = 'claimed' AND lease_expires_at <= %(now)s)){only}
     ORDER BY due_at
     LIMIT %(batch)s
     FOR UPDATE SKIP LOCKED)
UPDATE processes_timer t
   SET status = 'claimed', lease_owner = %(owner)s, lease_expires_at = %(lease_until)s, attempts = t.attempts + 1
  FROM due
 WHERE t.id = due.id
RETURNING t.id, t.attempts, t.max_attempts
"""
_ONLY_UNITS = """
       AND dossier_id IN (SELECT id FROM processes_dossier WHERE receiving_unit_id = ANY(%(units)s))"""


def claim_due_timers(owner, batch=200, receiving_units=None):
    """Claims up to `batch` due timers (or ones whose lease ran out) for `owner`. Rows past max_attempts become
    incidents instead. Returns the ids to fire. `receiving_units` (unit ids) limits the claim to the dossiers received
    there: a simulation split over processes, each with its own clock, must fire only its own dossiers' timers."""
    from django.db import connection

    from .incidents import open_incident

    now = clock.now()
    params = {"now": now, "batch": batch, "owner": owner, "lease_until": now + timedelta(seconds=lease_seconds())}
    sql = CLAIM_SQL.format(only=_ONLY_UNITS if receiving_units is not None else "")
    if receiving_units is not None:
        params["units"] = list(receiving_units)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        exhausted = [timer_id for timer_id, attempts, max_attempts in rows if attempts > max_attempts]
        for timer in Timer.objects.filter(pk__in=exhausted).select_related("dossier"):
            timer.status = TimerStatus.INCIDENT
            timer.last_error = (timer.last_error or "lease expired without completion") + f" (attempts {timer.attempts})"
            timer.save(update_fields=["status", "last_error"])
            open_incident("timer_exhausted", dossier=timer.dossier, timer=timer, error=timer.last_error)
    return [timer_id for timer_id, attempts, max_attempts in rows if attempts <= max_attempts]


def next_due_at(receiving_units=None):
    timers = Timer.objects.filter(status=TimerStatus.SCHEDULED)
    if receiving_units is not None:
        timers = timers.filter(dossier__receiving_unit_id__in=list(receiving_units))
    return timers.order_by("due_at").values_list("due_at", flat=True).first()


def sweep_inline(owner="inline", batch=200, receiving_units=None):
    """Claims and fires every due timer in this process, until none is left (tests, management command, simulations).
    Returns how many fired. `receiving_units`: as for claim_due_timers."""
    fired = 0
    while True:
        ids = claim_due_timers(owner, batch, receiving_units)
        if not ids:
            return fired
        progressed = False
        for timer_id in ids:
            outcome = fire_timer(timer_id, owner)
            fired += outcome == "fired"
            progressed |= outcome == "fired"
        if not progressed:
            return fired
