"""Scans of a dossier on the step page: list, upload (PDF/JPEG/PNG judged from the bytes, the size limit, empty,
a disguised file, bodies beyond Django's limits — all answered at the field with 400, never a 500), and the view that
streams a file with safe headers to officials who may see the dossier (404 for another commune)."""
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from processes.models import Attachment

from .helpers import open_step, receive
from .test_step_actions import client_for, error_at, page_text

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def upload(client, item, content, name="scan.pdf", content_type="application/pdf", document="Giấy khai sinh"):
    data = {"csrfmiddlewaretoken": client.token, "attachment-document": document}
    if content is not None:
        data["attachment-file"] = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post(f"/steps/{item.pk}/attachments/", data)


def test_upload_a_pdf_list_it_and_view_it_with_safe_headers(demo):
    dossier = receive("nhan-cha-me-con")
    item = open_step(dossier)
    client = client_for("tuphap.hiepduc", f"/steps/{item.pk}/")
    assert 'data-testid="no-attachments"' in page_text(client.get(f"/steps/{item.pk}/"))
    # without the CSRF token: refused
    assert client.post(f"/steps/{item.pk}/attachments/",
                       {"attachment-file": SimpleUploadedFile("a.pdf", PDF)}).status_code == 403
    response = upload(client, item, PDF, name="Giấy khai sinh \"con\".pdf")
    assert response.status_code == 302 and response.url == f"/steps/{item.pk}/#attachments"
    attachment = Attachment.objects.get(dossier=dossier)
    assert attachment.content_type == "application/pdf" and attachment.size == len(PDF)
    assert attachment.document == "Giấy khai sinh" and attachment.work_item_id == item.pk
    assert attachment.uploaded_by.username == "tuphap.hiepduc"
    assert dossier.events.filter(kind="attachment_added").count() == 1
    html = page_text(client.get(f"/steps/{item.pk}/"))
    row = re.search(rf'<tr data-testid="attachment-{attachment.pk}">(.*?)</tr>', html, re.S).group(1)
    assert f'href="/attachments/{attachment.pk}/"' in row and "Giấy khai sinh" in row
    assert "Tư pháp - hộ tịch Hiệp Đức" in row and re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", row)
    assert "bytes" in row or "byte" in row

    view = client.get(f"/attachments/{attachment.pk}/")
    assert view.status_code == 200
    assert b"".join(view.streaming_content) == PDF
    assert view["Content-Type"] == "application/pdf"
    disposition = view["Content-Disposition"]
    assert disposition.startswith("inline; ") and "\n" not in disposition
    assert 'filename="Giay-khai-sinh-con.pdf"' in disposition
    assert "filename*=UTF-8''Gi%E1%BA%A5y%20khai%20sinh%20con.pdf" in disposition
    assert view["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in view  # Chromium's PDF viewer does not open in a sandboxed document
    assert view["Cache-Control"] == "private"
    # the reception desk of the commune and the chairman see it too; another commune's officials get 404
    assert client_for("ct.hiepduc", "/inbox/").get(f"/attachments/{attachment.pk}/").status_code == 200
    for other in ("tuphap.tambinh", "ct.tambinh"):
        stranger = client_for(other, "/inbox/")
        assert stranger.get(f"/attachments/{attachment.pk}/").status_code == 404
        assert stranger.get(f"/steps/{item.pk}/").status_code == 404
        assert stranger.get(f"/dossiers/{dossier.code}/forms/").status_code == 404
        assert upload(stranger, item, PDF).status_code == 404
    assert Client().get(f"/attachments/{attachment.pk}/").status_code == 302  # to the sign-in page
    assert client.get("/attachments/999999999/").status_code == 404
    assert client.post(f"/attachments/{attachment.pk}/", {"csrfmiddlewaretoken": client.token}).status_code == 405


def test_a_png_named_pdf_is_kept_as_a_png(demo):
    item = open_step(receive("nhan-cha-me-con"))
    client = client_for("tuphap.hiepduc", f"/steps/{item.pk}/")
    assert upload(client, item, PNG, name="anh.pdf", document="").status_code == 302
    attachment = Attachment.objects.get(dossier=item.dossier)
    view = client.get(f"/attachments/{attachment.pk}/")
    assert view["Content-Type"] == "image/png" and 'filename="anh.png"' in view["Content-Disposition"]


def test_bad_uploads_are_answered_at_the_file_field(demo, settings):
    item = open_step(receive("nhan-cha-me-con"))
    client = client_for("tuphap.hiepduc", f"/steps/{item.pk}/")
    cases = [
        (b"<html><script>alert(1)</script></html>", "ho-so.pdf", "application/pdf", "không phải PDF, JPEG hoặc PNG"),
        (b"MZ\x90\x00" + b"\x00" * 100, "scan.pdf", "application/pdf", "không phải PDF, JPEG hoặc PNG"),
        (b"", "rong.pdf", "application/pdf", "rỗng"),
        (None, "", "", "Hãy chọn một tệp"),
    ]
    for content, name, content_type, words in cases:
        response = upload(client, item, content, name=name, content_type=content_type)
        assert response.status_code == 400, name
        html = page_text(response)
        assert words in error_at(html, "err-attachment-file"), name
        assert 'aria-invalid="true" autofocus' in html
    # beyond ATTACHMENT_MAX_BYTES: stopped while reading (not even a temporary file), a message at the field
    settings.ATTACHMENT_MAX_BYTES = 4096
    big = PDF + b"0" * 200_000
    response = upload(client, item, big, name="ban-quet-lon.pdf")
    assert response.status_code == 400
    message = error_at(page_text(response), "err-attachment-file")
    assert "Tệp ban-quet-lon.pdf vượt quá giới hạn 4,0\xa0KB, chưa được lưu" in message
    # the document name is limited
    settings.ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    response = upload(client, item, PDF, document="x" * 301)
    assert response.status_code == 400 and "300" in error_at(page_text(response), "err-id_attachment-document")
    assert not Attachment.objects.filter(dossier=item.dossier).exists()


def test_bodies_beyond_djangos_limits_and_broken_bodies_are_messages(demo):
    item = open_step(receive("nhan-cha-me-con"))
    client = client_for("tuphap.hiepduc", f"/steps/{item.pk}/")
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000):
        response = upload(client, item, PDF, document="y" * 5000)  # the non-file fields are over the limit
    assert response.status_code == 400
    assert "Nội dung gửi lên quá lớn" in error_at(page_text(response), "err-attachment-file")
    with override_settings(DATA_UPLOAD_MAX_NUMBER_FILES=2):
        response = client.post(f"/steps/{item.pk}/attachments/", {
            "csrfmiddlewaretoken": client.token,
            "attachment-file": [SimpleUploadedFile(f"{i}.pdf", PDF) for i in range(4)]})
    assert response.status_code == 400 and "quá nhiều trường hoặc quá nhiều tệp" in page_text(response)
    broken = client.post(f"/steps/{item.pk}/attachments/", data=b"--x\r\ngarbage", content_type="multipart/form-data")
    assert broken.status_code == 400 and "Không đọc được dữ liệu gửi lên" in page_text(broken)
    # a file over FILE_UPLOAD_MAX_MEMORY_SIZE (a temporary file) within the attachment limit is fine
    with override_settings(FILE_UPLOAD_MAX_MEMORY_SIZE=1000):
        assert upload(client, item, PDF + b"1" * 5000).status_code == 302
    assert Attachment.objects.filter(dossier=item.dossier).count() == 1


def test_nobody_without_a_step_or_the_desk_adds_files_and_closed_dossiers_take_none(demo):
    item = open_step(receive("nhan-cha-me-con"))
    # the district's justice department sees nothing of a commune dossier it was never routed
    assert upload(client_for("cv.tuphap", "/inbox/"), item, PDF).status_code == 404
    desk = client_for("motcua.hiepduc", f"/steps/{item.pk}/")
    assert 'data-testid="upload-form"' in page_text(desk.get(f"/steps/{item.pk}/"))
    assert upload(desk, item, PDF).status_code == 302
    specialist = client_for("tuphap.hiepduc", f"/steps/{item.pk}/")
    assert specialist.post(f"/steps/{item.pk}/refuse/", {"csrfmiddlewaretoken": specialist.token,
                                                         "refuse-reasons": "Không đủ điều kiện"}).status_code == 302
    assert 'data-testid="upload-form"' not in page_text(specialist.get(f"/steps/{item.pk}/"))
    late = upload(specialist, item, PDF)
    assert late.status_code == 400 and "đã kết thúc" in page_text(late)
    assert Attachment.objects.filter(dossier=item.dossier).count() == 1
