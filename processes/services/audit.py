"""Checking the event log's hash chains (migration 0007: PostgreSQL's insert trigger chains every row of a stream).

A stream is a dossier or a non-dossier stream ("sign-in", "platform"); its rows are numbered 1, 2, … (seq) and each
carries the hash of the one before. verify_chains walks every stream and names each row that was changed (its hash
no longer matches its content), removed (a gap in the numbering), inserted out of order (it does not follow the row
before it) or written around the trigger (no chain at all). A rewrite that recomputes every hash of a stream leaves
no trace here: only a checkpoint exported earlier catches it (issue 6, anchors)."""
import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import timezone

from django.db import connection, transaction

from engine import clock
from engine.calendar import VN_TZ

GENESIS = "0" * 64


@dataclass(frozen=True)
class ChainProblem:
    stream: str
    seq: int | None
    event_id: int | None
    problem: str  # changed | removed | out_of_order | unchained
    detail: str

    def as_dict(self):
        return asdict(self)


def _rows(stream=None):
    sql = ("SELECT id, stream, seq, prev_hash, hash, processes_event_digest(e) FROM processes_event e"
           + (" WHERE stream = %s" if stream else "") + " ORDER BY stream, seq NULLS FIRST, id")
    with connection.cursor() as cursor:
        cursor.execute(sql, [stream] if stream else [])
        while True:
            batch = cursor.fetchmany(5000)
            if not batch:
                return
            yield from batch


def verify_chains(stream=None):
    """Every problem of every stream (or of one), in stream and seq order; [] when the log is intact."""
    problems = []
    current, last_seq, last_hash = None, 0, GENESIS
    for event_id, row_stream, seq, prev_hash, row_hash, digest in _rows(stream):
        if row_stream != current:
            current, last_seq, last_hash = row_stream, 0, GENESIS
        if seq is None or not row_hash:
            problems.append(ChainProblem(row_stream, seq, event_id, "unchained",
                                         "written without the chain (the insert trigger was bypassed)"))
            continue
        if seq != last_seq + 1:
            missing = f"{last_seq + 1}" if seq == last_seq + 2 else f"{last_seq + 1}–{seq - 1}"
            problems.append(ChainProblem(row_stream, last_seq + 1, None, "removed",
                                         f"rows {missing} of the stream are missing before event {event_id}"))
        elif prev_hash != last_hash:
            problems.append(ChainProblem(row_stream, seq, event_id, "out_of_order",
                                         "does not follow the row before it (its previous hash differs)"))
        if row_hash != digest:
            problems.append(ChainProblem(row_stream, seq, event_id, "changed",
                                         "its content no longer matches its hash"))
        last_seq, last_hash = seq, row_hash
    return problems


def stream_heads():
    """{stream: (seq, hash)} of the last row of every stream."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT ON (stream) stream, seq, hash FROM processes_event "
                       "WHERE seq IS NOT NULL ORDER BY stream, seq DESC")
        return {stream: (seq, row_hash) for stream, seq, row_hash in cursor.fetchall()}


# ---------------------------------------------------------------------------------------------------------------
# checkpoints (anchors)

# Streams written by transactions that were still open at the previous checkpoint have ids below its max_event_id:
# look back this many ids so that their heads are anchored too.
LOOKBACK_IDS = 10_000


def anchor_digest(*, at_iso, max_event_id, heads, prev_hash):
    payload = json.dumps({"at": at_iso, "max_event_id": max_event_id, "heads": heads, "prev": prev_hash},
                         sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


@transaction.atomic
def checkpoint(now=None):
    """Chains the heads of the streams written since the previous checkpoint into a new anchor. Returns it, or None
    when nothing was written since (one anchor a minute at most, whatever the number of beat deliveries)."""
    from ..models import AuditAnchor

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended('processes_auditanchor', 0))")
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM processes_event")
        max_event_id = cursor.fetchone()[0]
    last = AuditAnchor.objects.order_by("-id").first()
    if last is not None and last.max_event_id >= max_event_id:
        return None
    since = (last.max_event_id - LOOKBACK_IDS) if last is not None else 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT ON (stream) stream, seq, hash FROM processes_event WHERE stream IN "
            "(SELECT DISTINCT stream FROM processes_event WHERE id > %s) AND seq IS NOT NULL "
            "ORDER BY stream, seq DESC", [since])
        heads = {stream: [seq, row_hash] for stream, seq, row_hash in cursor.fetchall()}
    at = (now or clock.now()).astimezone(timezone.utc)
    prev_hash = last.hash if last is not None else GENESIS
    digest = anchor_digest(at_iso=at.isoformat(), max_event_id=max_event_id, heads=heads, prev_hash=prev_hash)
    return AuditAnchor.objects.create(at=at, max_event_id=max_event_id, heads=heads, prev_hash=prev_hash, hash=digest)


def latest_anchor_export():
    """What to keep elsewhere (printed, mailed to the inspectorate, stored off-site): the latest anchor's id and
    hash. verify_audit --against reads it back."""
    from ..models import AuditAnchor

    last = AuditAnchor.objects.order_by("-id").first()
    if last is None:
        return None
    return {"anchor": last.pk, "at": last.at.isoformat(), "max_event_id": last.max_event_id, "hash": last.hash}


def verify_against(exported):
    """Problems found by checking the anchors up to the exported one: the anchors' own chain (recomputed) must end in
    the exported hash, and every head an anchor recorded must still be in the log with the same hash — a stream
    rewritten with recomputed hashes fails here even though its own chain is consistent."""
    from ..models import AuditAnchor

    problems = []
    try:
        anchor_id, expected = int(exported["anchor"]), str(exported["hash"])
    except (KeyError, TypeError, ValueError):
        return [ChainProblem("anchors", None, None, "bad_export", "the file is not an exported anchor")]
    prev = GENESIS
    found = False
    for anchor in AuditAnchor.objects.filter(id__lte=anchor_id).order_by("id").iterator(chunk_size=2000):
        digest = anchor_digest(at_iso=anchor.at.astimezone(timezone.utc).isoformat(),
                               max_event_id=anchor.max_event_id, heads=anchor.heads, prev_hash=anchor.prev_hash)
        if anchor.prev_hash != prev or digest != anchor.hash:
            problems.append(ChainProblem("anchors", None, None, "anchor_changed",
                                         f"checkpoint {anchor.pk} was changed or does not follow the one before"))
        prev = anchor.hash
        found = anchor.pk == anchor_id
    # Every head every anchor recorded, compared with the log in one query (a year of minute checkpoints is half a
    # million anchors: one round trip each would take longer than the walk of the chains).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.id, a.at, h.key, (h.value->>0)::bigint, e.id FROM processes_auditanchor a "
            "CROSS JOIN LATERAL jsonb_each(a.heads) AS h "
            "LEFT JOIN processes_event e ON e.stream = h.key AND e.seq = (h.value->>0)::bigint "
            "WHERE a.id <= %s AND e.hash IS DISTINCT FROM h.value->>1 ORDER BY a.id, h.key", [anchor_id])
        for anchor_pk, anchor_at, stream, seq, event_id in cursor.fetchall():
            at = anchor_at.astimezone(VN_TZ)
            problems.append(ChainProblem(stream, seq, event_id, "rewritten",
                                         f"differs from checkpoint {anchor_pk} of {at:%d/%m/%Y %H:%M}"
                                         if event_id else f"missing since checkpoint {anchor_pk}"))
    if not found:
        problems.append(ChainProblem("anchors", None, None, "anchor_missing", f"checkpoint {anchor_id} is not in the log"))
    elif prev != expected:
        problems.append(ChainProblem("anchors", None, None, "anchor_changed",
                                     f"checkpoint {anchor_id} no longer has the exported hash"))
    return problems
