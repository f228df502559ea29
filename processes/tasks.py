"""Celery executes; PostgreSQL remembers. Each task re-checks its work under a lock, so a duplicate is harmless."""
from celery import shared_task

from .services import dossiers


@shared_task(acks_late=True)
def fire_due_workflow_timers(batch=100):
    """Wakes the dossiers whose diagram timers are due (Dossier.next_wakeup_at), until none is left."""
    fired = 0
    while True:
        ids = dossiers.due_timer_dossier_ids(limit=batch)
        if not ids:
            return fired
        progressed = 0
        for dossier_id in ids:
            if dossiers.fire_workflow_timers(dossier_id):
                fired += 1
                progressed += 1
        if progressed == 0:
            return fired
