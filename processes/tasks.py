"""Celery executes; PostgreSQL remembers. The sweeper claims due timers with a lease and enqueues one firing per
timer after its claim committed; each firing re-checks under locks, so a duplicate delivery does nothing. No task
carries a deadline as an ETA or countdown."""
import logging
import os
import socket
import uuid

from celery import shared_task

from .services import timers

log = logging.getLogger(__name__)


def _owner():
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@shared_task(acks_late=True, ignore_result=True)
def sweep_timers(batch=200, max_batches=1000):
    """Claims due timers batch by batch until nothing due is left; returns how many it enqueued."""
    owner = _owner()
    enqueued = 0
    for _ in range(max_batches):
        ids = timers.claim_due_timers(owner, batch)  # committed: the lease is in the database before any enqueue
        if not ids:
            break
        for timer_id in ids:
            try:
                fire_timer.delay(timer_id, owner)
                enqueued += 1
            except Exception:  # broker down: the lease runs out and a later sweep claims the timer again
                log.exception("could not enqueue timer %s; the lease will bring it back", timer_id)
                return enqueued
    return enqueued


@shared_task(acks_late=True, ignore_result=True)
def fire_timer(timer_id, owner=None):
    return timers.fire_timer(timer_id, owner)
