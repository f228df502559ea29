"""Scans and files of a dossier. The bytes go under settings.ATTACHMENTS_ROOT — outside the web root, never served
as static files — and are read back only through a view that checks the official may see the dossier.

The type is judged from the file's first bytes, not from the name or the browser's claim: PDF, JPEG and PNG only."""
import hashlib
import os
import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction

from engine import clock

from ..models import Attachment, Dossier, DossierStatus, Membership, Role, WorkItem, WorkItemStatus
from .errors import InvalidInput, NotAllowed, NotFound
from .events import record_event

SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
CLOSED = (DossierStatus.RETURNED, DossierStatus.WITHDRAWN, DossierStatus.STOPPED, DossierStatus.NOT_ACCEPTED)


def max_bytes():
    return int(getattr(settings, "ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))


def max_per_dossier():
    return int(getattr(settings, "ATTACHMENT_MAX_PER_DOSSIER", 50))


def root():
    return Path(settings.ATTACHMENTS_ROOT)


def _clean_name(name):
    name = os.path.basename(str(name or "")).replace("\x00", "").strip()
    return name[:255] or "tep-dinh-kem"


def sniff(upload):
    """The content type of an uploaded file from its first bytes, or None."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for content_type, signatures in SIGNATURES.items():
        if any(head.startswith(s) for s in signatures):
            return content_type
    return None


def check_upload(upload, *, field="file"):
    """Raises InvalidInput naming `field` when the file is empty, too large or not a PDF/JPEG/PNG. Returns its type."""
    name = _clean_name(getattr(upload, "name", ""))
    size = getattr(upload, "size", None) or 0
    if size <= 0:
        raise InvalidInput(f"tệp {name} rỗng", field=field)
    if size > max_bytes():
        raise InvalidInput(f"tệp {name} có {size / 1048576:.1f} MB, vượt quá giới hạn {max_bytes() // 1048576} MB",
                           field=field)
    content_type = sniff(upload)
    if content_type is None:
        raise InvalidInput(f"tệp {name} không phải PDF, JPEG hoặc PNG", field=field)
    return content_type


def can_attach(user, dossier):
    """Officials of a unit holding an open step of the dossier, or the receiving unit's reception desk — as members,
    or standing in for one through an active substitution."""
    if user is None:
        return True
    from ..selectors import active_substitutions

    standing_in = active_substitutions().filter(substitute=user)
    for holders in (Membership.objects.filter(user=user), standing_in):
        if holders.filter(unit_id=dossier.receiving_unit_id, role=Role.RECEPTION).exists():
            return True
    open_units = dossier.work_items.filter(status=WorkItemStatus.OPEN).values("unit_id")
    return (Membership.objects.filter(user=user, unit_id__in=open_units).exists()
            or standing_in.filter(unit_id__in=open_units).exists())


def write_file(upload, content_type, now):
    """The upload's bytes under ATTACHMENTS_ROOT (outside the web root), synced to disk, under a new random key.
    Returns (storage key, size, sha256). The only place files are written (the desk, the steps, the portal)."""
    key = f"{now:%Y/%m}/{uuid.uuid4().hex}{EXTENSIONS[content_type]}"
    path = root() / key
    path.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    upload.seek(0)
    with open(path, "xb") as out:
        for chunk in upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(65536), b""):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return key, size, digest.hexdigest()


def store_attachment(*, dossier, upload, actor, document="", work_item=None, field="file"):
    """Saves one file of a dossier and writes its event. Call inside the transaction that holds the dossier's lock.
    A file written for a transaction that then rolls back stays on disk unreferenced (harmless, never served)."""
    if dossier.status in CLOSED:
        raise InvalidInput("hồ sơ đã kết thúc, không thêm tệp được", field=field)
    if not can_attach(actor.user, dossier):
        raise NotAllowed("bạn không xử lý hồ sơ này nên không thêm tệp được")
    content_type = check_upload(upload, field=field)
    if dossier.attachments.count() >= max_per_dossier():
        raise InvalidInput(f"hồ sơ đã có {max_per_dossier()} tệp, không thêm được nữa", field=field)
    now = clock.now()
    key, size, sha256 = write_file(upload, content_type, now)
    attachment = Attachment.objects.create(
        dossier=dossier, work_item=work_item, document=str(document or "")[:300],
        original_name=_clean_name(upload.name), content_type=content_type, size=size, sha256=sha256,
        storage_key=key, uploaded_by=actor.user if actor.user is not None and actor.user.pk else None,
        uploaded_at=now,
    )
    record_event("attachment_added", actor=actor, dossier=dossier, at=now,
                 after={"attachment": attachment.pk, "name": attachment.original_name, "size": size,
                        "type": content_type, "document": attachment.document, "sha256": attachment.sha256},
                 engine_task_id=work_item.engine_task_id if work_item is not None else "")
    return attachment


def attachment_path(attachment):
    path = (root() / attachment.storage_key).resolve()
    if root().resolve() not in path.parents:  # a corrupted key never reads outside the store
        raise FileNotFoundError(attachment.storage_key)
    return path


@transaction.atomic
def add_attachment(*, code, actor, upload, document="", work_item_id=None, field="file"):
    """An official adds a scan to a dossier (the step page): locks the dossier, then store_attachment (checks who may,
    the type from the first bytes, the size, the per-dossier count). `work_item_id`: the step it was added at (must be
    one of this dossier's). Returns the Attachment."""
    if not isinstance(code, str) or not code:
        raise NotFound("không có hồ sơ này", field="code")
    dossier = Dossier.objects.select_for_update(of=("self",)).select_related("receiving_unit").filter(code=code).first()
    if dossier is None:
        raise NotFound(f"không có hồ sơ {code}", field="code")
    work_item = None
    if work_item_id is not None:
        work_item = WorkItem.objects.filter(pk=work_item_id, dossier=dossier).first()
        if work_item is None:
            raise NotFound("không có bước xử lý này trong hồ sơ", field="task")
    if not isinstance(document, str) or len(document) > 300:
        raise InvalidInput("tên giấy tờ dài quá 300 ký tự", field="document")
    return store_attachment(dossier=dossier, upload=upload, actor=actor, document=document.strip(),
                            work_item=work_item, field=field)
