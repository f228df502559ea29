"""Celery executes; PostgreSQL remembers.

The sweeper claims due timers in batches (SKIP LOCKED and a lease, processes/services/timers.py) and enqueues their
firings (fire_timers, MOTCUA_FIRE_BATCH ids a message) once its claim has committed; each firing re-checks under
locks (dossier, then timer), so a duplicate delivery does nothing. No task carries a deadline as an ETA or a countdown: a lost message costs at most one lease,
after which a later sweep claims the timer again (with its attempt counted, so a crash loop ends in an incident).

Back-pressure. A claimed timer whose firing waits in the queue longer than the lease would be claimed again (and its
first message skipped), so a sweep never holds more than MOTCUA_SWEEP_MAX_IN_FLIGHT unexpired leases. When it reaches
that bound it enqueues its own continuation *behind* the firings it just queued (FIFO): the queue paces the sweeper,
and the sweep goes on "until nothing due is left" without any countdown. Beat's periodic sweep (≤ 30 s) restarts the
chain if a continuation message is lost with the broker.
"""
import logging
import os
import socket
import uuid

from celery import shared_task
from django.conf import settings
from django.db import connection, transaction

from engine import clock

from .services import timers

log = logging.getLogger(__name__)

IN_FLIGHT_SQL = """
SELECT count(*) FROM (
    SELECT 1 FROM processes_timer WHERE status = 'claimed' AND lease_expires_at > %(now)s LIMIT %(cap)s
) AS in_flight
"""


def _owner():
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def sweep_batch_size():
    return int(getattr(settings, "MOTCUA_SWEEP_BATCH", 200))


def max_in_flight():
    return int(getattr(settings, "MOTCUA_SWEEP_MAX_IN_FLIGHT", 1000))


def in_flight(cap):
    """Timers claimed under a lease that has not run out yet (bounded by cap: the partial index on claimed rows keeps
    this cheap however many timers are armed)."""
    with connection.cursor() as cursor:
        cursor.execute(IN_FLIGHT_SQL, {"now": clock.now(), "cap": cap})
        return cursor.fetchone()[0]


def fire_batch_size():
    return max(1, int(getattr(settings, "MOTCUA_FIRE_BATCH", 10)))


def _publish(ids, owner):
    """Publishes the firings on one producer connection, a fire_timers message per batch of ids (a message per timer
    costs a worker more in Celery's handling than the firing itself). Returns how many ids went out; stops at the
    first broker error (the lease brings the rest back)."""
    sent = 0
    size = fire_batch_size()
    try:
        with fire_timers.app.producer_or_acquire() as producer:
            for start in range(0, len(ids), size):
                batch = list(ids[start:start + size])
                fire_timers.apply_async((batch, owner), producer=producer)
                sent += len(batch)
    except Exception:  # broker down or gone: the leases run out and a later sweep claims these timers again
        log.exception("could not enqueue %d timer firing(s); their leases will bring them back", len(ids) - sent)
    return sent


def _enqueue(ids, owner):
    """Enqueues only what is committed: outside a transaction (a worker) the claim is committed already; inside one
    (a caller's atomic block) the messages wait for its commit."""
    if connection.in_atomic_block:
        transaction.on_commit(lambda: _publish(ids, owner))
        return len(ids)
    return _publish(ids, owner)


@shared_task(acks_late=True, ignore_result=True)
def sweep_timers(batch=None):
    """Claims due timers batch by batch until nothing due is left (or the in-flight bound is reached, see the module
    docstring); returns how many firings it enqueued. Safe to run twice at once: SKIP LOCKED splits the rows."""
    batch = int(batch or sweep_batch_size())
    cap = max_in_flight()
    owner = _owner()
    enqueued = 0
    while True:
        room = cap - in_flight(cap)
        if room <= 0:
            if enqueued:  # more may be due: continue behind the firings just queued
                try:
                    sweep_timers.apply_async()
                except Exception:
                    log.exception("could not enqueue the sweep's continuation; beat's next sweep takes over")
            return enqueued
        ids = timers.claim_due_timers(owner, min(batch, room))  # commits the leases before anything is enqueued
        if not ids:
            return enqueued  # nothing due is left (or every row claimed was exhausted into an incident)
        sent = _enqueue(ids, owner)
        enqueued += sent
        if sent < len(ids):
            return enqueued  # the broker is down: stop claiming; leases and the next sweep re-drive the rest


@shared_task(acks_late=True, ignore_result=True)
def fire_timers(timer_ids, owner=None):
    """Fires a batch of claimed timers one after the other, each in its own transaction and idempotent: a batch
    delivered twice, or cut short by a crash and delivered again, fires each timer once."""
    return [timers.fire_timer(timer_id, owner) for timer_id in timer_ids]


@shared_task(acks_late=True, ignore_result=True)
def fire_timer(timer_id, owner=None):
    """Fires one timer; idempotent ('fired', 'skipped' or 'failed'). Failures are recorded on the timer row and the
    lease brings it back: no Celery retry (a retry would be a countdown)."""
    return timers.fire_timer(timer_id, owner)


@shared_task(acks_late=True, ignore_result=True)
def send_notifications(batch=100, max_batches=50):
    """Sends the notification outbox (e-mail, SMS) at least once, batch by batch until a batch comes back short;
    beat runs it periodically, so whatever is left (or failed, up to its attempts) goes out on a later run."""
    from .services import notifications

    totals = {"sent": 0, "failed": 0}
    for _ in range(max_batches):
        result = notifications.send_pending(batch)
        totals["sent"] += result["sent"]
        totals["failed"] += result["failed"]
        if result["sent"] + result["failed"] < batch:
            break
    return totals


@shared_task(acks_late=True, ignore_result=True)
def detect_stuck_dossiers():
    """Opens an incident for each open dossier with no open work, no armed timer and not waiting on the citizen."""
    from .services.incidents import detect_stuck_dossiers as detect

    return len(detect())


@shared_task(ignore_result=True)
def audit_checkpoint():
    """Chains the heads of the event log's streams written in the last minute into a new anchor."""
    from .services.audit import checkpoint

    anchor = checkpoint()
    return anchor.pk if anchor is not None else None


@shared_task(ignore_result=True)
def analyze_reference_tables():
    """Keeps the planner's statistics of the small reference tables, which autovacuum may never analyze."""
    from .maintenance import analyze_reference_tables as analyze

    return len(analyze())
