"""Writing the one append-only event log. Every service that changes state calls record_event in its transaction."""
from dataclasses import dataclass

from engine import clock

from ..models import Event


@dataclass(frozen=True)
class Actor:
    """Who acts, in which role and unit, from where. `user` is None for the platform itself (timers, seeding)."""

    user: object = None
    role: str = ""
    unit: object = None
    client_address: str | None = None

    def with_context(self, role, unit):
        return Actor(self.user, role, unit, self.client_address)


SYSTEM = Actor()


def record_event(kind, *, actor=SYSTEM, dossier=None, before=None, after=None, engine_task_id="", at=None, stream=""):
    """Appends one event. PostgreSQL chains it (migration 0007) into its stream: the dossier's, else `stream` (e.g.
    "sign-in"), else "platform". An event of a simulated dossier says so in its data (hashed with the rest)."""
    if dossier is not None and getattr(dossier, "simulated", False):
        after = {**(after if isinstance(after, dict) else {"value": after} if after is not None else {}),
                 "simulated": True}
    return Event.objects.create(
        stream=stream if dossier is None else "",
        dossier=dossier,
        kind=kind,
        at=at or clock.now(),
        actor=actor.user if actor.user is not None and actor.user.pk else None,
        actor_role=actor.role or "",
        actor_unit=actor.unit,
        data_before=before,
        data_after=after,
        engine_task_id=engine_task_id or "",
        client_address=actor.client_address,
    )
