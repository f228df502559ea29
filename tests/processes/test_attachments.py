"""processes.services.attachments.add_attachment: the step page's upload, on the real PostgreSQL."""
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from processes.models import Attachment
from processes.services import attachments
from processes.services.errors import InvalidInput, NotAllowed, NotFound
from processes.services.events import Actor

from ..webui.helpers import TAMBINH, open_step, receive, user

PDF = b"%PDF-1.7\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32


def actor(username):
    return Actor(user=user(username), client_address="127.0.0.1")


def test_add_attachment_stores_outside_the_web_root_and_records_the_event(demo, settings):
    dossier = receive("nhan-cha-me-con")
    item = open_step(dossier)
    stored = attachments.add_attachment(code=dossier.code, actor=actor("tuphap.hiepduc"),
                                        upload=SimpleUploadedFile("a.jpg", JPEG), document=" CCCD ",
                                        work_item_id=item.pk)
    assert stored.content_type == "image/jpeg" and stored.document == "CCCD" and stored.work_item_id == item.pk
    path = attachments.attachment_path(stored)
    assert path.read_bytes() == JPEG and str(path).startswith(str(settings.ATTACHMENTS_ROOT))
    event = dossier.events.get(kind="attachment_added")
    assert event.data_after["sha256"] == stored.sha256 and event.actor.username == "tuphap.hiepduc"


def test_add_attachment_refuses_what_it_should(demo):
    dossier = receive("nhan-cha-me-con")
    other = receive("nhan-cha-me-con", unit_code=TAMBINH)
    with pytest.raises(NotFound):
        attachments.add_attachment(code="nope", actor=actor("tuphap.hiepduc"), upload=SimpleUploadedFile("a.pdf", PDF))
    with pytest.raises(NotFound) as found:  # a step of another dossier
        attachments.add_attachment(code=dossier.code, actor=actor("tuphap.hiepduc"),
                                   upload=SimpleUploadedFile("a.pdf", PDF), work_item_id=open_step(other).pk)
    assert found.value.field == "task"
    with pytest.raises(NotAllowed):
        attachments.add_attachment(code=dossier.code, actor=actor("tuphap.tambinh"),
                                   upload=SimpleUploadedFile("a.pdf", PDF))
    with pytest.raises(InvalidInput) as bad:
        attachments.add_attachment(code=dossier.code, actor=actor("tuphap.hiepduc"),
                                   upload=SimpleUploadedFile("a.pdf", b"GIF89a" + b"\x00" * 20))
    assert bad.value.field == "file"
    with pytest.raises(InvalidInput) as long:
        attachments.add_attachment(code=dossier.code, actor=actor("tuphap.hiepduc"),
                                   upload=SimpleUploadedFile("a.pdf", PDF), document="x" * 301)
    assert long.value.field == "document"
    assert not Attachment.objects.filter(dossier=dossier).exists()


def test_sniff_reads_only_the_head_and_rewinds(demo):
    handle = io.BytesIO(PDF)
    assert attachments.sniff(handle) == "application/pdf" and handle.tell() == 0
