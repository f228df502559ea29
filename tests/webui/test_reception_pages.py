"""The one-stop desk's pages through Django's test client: who may use the desk, the catalogue (plain GET and htmx),
the intake form's three decisions and every bad input answered at its field with 400, form 01 and the notices as
PDF, fees, returning the result, supplementation, withdrawal, another commune's URLs (404), CSRF, and the public
look-up."""
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from processes.models import Attachment, Dossier, FeePayment, IntakeNotice
from processes.services import statutory
from processes.services.events import Actor
from processes.services.pdf import pdf_text

from ..processes.helpers import at
from ..processes.test_reception import PDF, finish
from .helpers import TAMBINH, receive, user

HX = {"HTTP_HX_REQUEST": "true"}
BIRTH = ["Tờ khai đăng ký khai sinh", "Giấy chứng sinh"]
FORM = {"full_name": "Phạm Thị Lan", "id_number": "082195007788", "phone": "0901234567", "email": "",
        "address": "Ấp 1, xã Hiệp Đức", "channel": "1"}


def signed_in(username, **kwargs):
    client = Client(**kwargs)
    client.force_login(user(username))
    return client


def desk():
    return signed_in("motcua.hiepduc")


def scan(name="giay-chung-sinh.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def errors_of(page):
    """{field: message} of the messages shown at the fields."""
    return dict(re.findall(r'<p class="field-error" id="err-([\w-]+)" role="alert"[^>]*>([^<]*)</p>', page.text))


def intake(client, decision="receive", procedure="dang-ky-khai-sinh", **fields):
    data = {**FORM, "decision": decision, **fields}
    return client.post(f"/reception/procedures/{procedure}/", data)


# ---------------------------------------------------------------------------------------------------------------
# who uses the desk


def test_only_the_units_reception_officials_use_the_desk(demo):
    page = desk().get("/reception/")
    assert page.status_code == 200
    assert 'href="/reception/" aria-current="page"' in page.text  # the header's link
    assert "Đăng ký khai sinh" in page.text and "Cấp giấy phép xây dựng" not in page.text  # the commune's catalogue
    specialist = signed_in("tuphap.hiepduc")
    assert 'href="/reception/"' not in specialist.get("/inbox/").text
    assert specialist.get("/reception/").status_code == 403
    assert specialist.get("/reception/procedures/dang-ky-khai-sinh/").status_code == 403
    assert Client().get("/reception/").url == "/login/?next=/reception/"
    # the district's desk has the district's catalogue
    district = signed_in("motcua.huyen").get("/reception/")
    assert "Cấp giấy phép xây dựng" in district.text and "Đăng ký khai sinh" not in district.text
    assert desk().get("/reception/procedures/giay-phep-xay-dung/").status_code == 404


def test_the_catalogue_filters_with_a_plain_get_and_with_htmx(demo):
    client = desk()
    page = client.get("/reception/", {"q": "khai sinh"})
    assert page.status_code == 200 and "<html" in page.text
    assert 'href="/reception/procedures/dang-ky-khai-sinh/"' in page.text
    assert "Trợ cấp xã hội" not in page.text
    fragment = client.get("/reception/", {"q": "ho tich"}, **HX)
    assert "<html" not in fragment.text and 'id="catalogue-results"' in fragment.text
    assert "Đăng ký nhận cha, mẹ, con" in fragment.text and "Chứng thực" not in fragment.text
    assert "Không có thủ tục nào phù hợp" in client.get("/reception/", {"q": "zzz"}, **HX).text
    assert client.get("/reception/", {"q": "x" * 500}).status_code == 200  # too long: ignored, not an error


# ---------------------------------------------------------------------------------------------------------------
# intake


def test_receive_shows_the_code_and_appointment_and_prints_form_01_with_both_copies(demo):
    at("2026-12-01 09:00")
    client = desk()
    page = client.get("/reception/procedures/dang-ky-khai-sinh/")
    assert page.status_code == 200 and "Tờ khai đăng ký khai sinh" in page.text and 'enctype="multipart/form-data"' in page.text
    response = intake(client, documents=BIRTH, **{"scan-1": scan()})
    assert response.status_code == 302
    dossier = Dossier.objects.get(applicant__full_name="Phạm Thị Lan")
    assert response.url == f"/reception/dossiers/{dossier.code}/receipt/"
    assert dossier.documents == [{"name": n, "copies": 1, "received": True} for n in BIRTH]
    assert Attachment.objects.get(dossier=dossier).document == "Giấy chứng sinh"
    receipt = client.get(response.url)
    assert dossier.code in receipt.text and "01/12/2026 17:00" in receipt.text  # same day: due 17:00
    pdf = client.get(f"/reception/dossiers/{dossier.code}/form-01.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert text.count("\f") == 1  # two pages
    first, second = text.split("\f")
    for copy in (first, second):
        assert dossier.code in copy and "Phạm Thị Lan" in copy and "01/12/2026" in copy
    assert "Liên 1" in first and "Liên 2" in second


def test_every_bad_input_of_the_intake_form_is_answered_at_its_field(demo):
    at("2026-12-01 09:00")
    client = desk()
    before = (Dossier.objects.count(), IntakeNotice.objects.count())
    cases = [
        ({"documents": BIRTH[:1]}, "documents", "Giấy chứng sinh"),
        ({"documents": BIRTH, "full_name": ""}, "full_name", "họ tên"),
        ({"documents": BIRTH, "id_number": "12ab"}, "id_number", "9 hoặc 12"),
        ({"documents": BIRTH, "phone": "call me"}, "phone", "điện thoại"),
        ({"documents": BIRTH, "email": "x@"}, "email", "e-mail"),
        ({"documents": BIRTH, "channel": "7"}, "channel", "Hình thức nộp"),
        ({"documents": BIRTH, "documents_extra": "x", "scan-0": scan("a.exe", b"MZ\x90")}, "scan-0", "không phải PDF"),
        ({"documents": BIRTH, "scan-1": scan("empty.pdf", b"")}, "scan-1", "rỗng"),
        ({"documents": ["Giấy khác"]}, "documents", ""),
    ]
    for fields, field, words in cases:
        page = intake(client, **fields)
        assert page.status_code == 400, (fields, page.status_code)
        errors = errors_of(page)
        assert field in errors and words.lower() in errors[field].lower(), (field, errors)
        assert 'aria-invalid="true"' in page.text
    # form 02: an extra row without its reason; an item written twice; nothing missing at all
    page = intake(client, "incomplete", documents=BIRTH, **{"extra-name-0": "Giấy xác nhận cư trú"})
    assert page.status_code == 400 and "extra-reason-0" in errors_of(page)
    page = intake(client, "incomplete", documents=BIRTH[:1], **{"reason-1": "", "extra-name-0": "x"})
    assert page.status_code == 400 and "reason-1" in errors_of(page)
    page = intake(client, "incomplete", documents=BIRTH[:1],
                  **{"reason-1": "Chưa nộp", "extra-name-0": "giấy chứng sinh", "extra-reason-0": "Mờ"})
    assert page.status_code == 400 and "một lần" in errors_of(page)["extra-name-0"]
    page = intake(client, "incomplete", documents=BIRTH)
    assert page.status_code == 400 and "documents" in errors_of(page)
    # form 03 without a reason
    page = intake(client, "refuse", reasons="   \n ")
    assert page.status_code == 400 and "reasons" in errors_of(page)
    assert (Dossier.objects.count(), IntakeNotice.objects.count()) == before


def test_incomplete_gives_form_02_and_refuse_gives_form_03_without_a_code(demo):
    at("2026-12-01 10:00")
    client = desk()
    dossiers = Dossier.objects.count()
    response = intake(client, "incomplete", documents=BIRTH[:1],
                      **{"reason-1": "Chưa có giấy chứng sinh bản chính", "extra-name-0": "Giấy xác nhận cư trú",
                         "extra-reason-0": "Cha mẹ không thường trú tại xã"})
    assert response.status_code == 302
    notice = IntakeNotice.objects.get(applicant__full_name="Phạm Thị Lan", outcome="incomplete")
    assert response.url == f"/reception/notices/{notice.pk}/"
    assert [i["name"] for i in notice.items] == ["Giấy chứng sinh", "Giấy xác nhận cư trú"]
    page = client.get(response.url)
    assert notice.number in page.text and "Chưa có giấy chứng sinh bản chính" in page.text
    pdf = client.get(f"/reception/notices/{notice.pk}/form.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "PHIẾU YÊU CẦU BỔ SUNG" in text and "Giấy xác nhận cư trú" in text and notice.number in text
    response = intake(client, "refuse", procedure="tro-cap-xa-hoi",
                      reasons="Không thuộc đối tượng hưởng trợ cấp\nĐang hưởng trợ cấp tại xã khác")
    refused = IntakeNotice.objects.get(outcome="refused")
    assert response.url == f"/reception/notices/{refused.pk}/"
    assert refused.reasons == ["Không thuộc đối tượng hưởng trợ cấp", "Đang hưởng trợ cấp tại xã khác"]
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN" in pdf_text(client.get(f"/reception/notices/{refused.pk}/form.pdf").content)
    assert Dossier.objects.count() == dossiers
    assert notice.number in client.get("/reception/").text  # the desk's recent notices


# ---------------------------------------------------------------------------------------------------------------
# the desk's dossier page


def test_fees_at_the_page_waiting_shows_status_6_then_paid(demo):
    at("2026-12-01 09:00")
    dossier = receive("nhan-cha-me-con")
    client = desk()
    url = f"/reception/dossiers/{dossier.code}/"
    assert client.get(url).status_code == 200
    for data, field in [({"amount": "-5", "description": "Lệ phí", "status": "waiting"}, "amount"),
                        ({"amount": "abc", "description": "Lệ phí", "status": "waiting"}, "amount"),
                        ({"amount": "15000", "description": "", "status": "waiting"}, "description"),
                        ({"amount": "15000", "description": "Lệ phí", "status": "paid"}, "receipt_number"),
                        ({"amount": "15000", "description": "Lệ phí", "status": "later"}, "status")]:
        page = client.post(url + "fees/", data)
        assert page.status_code == 400 and field in errors_of(page), (data, errors_of(page))
    assert client.post(url + "fees/", {"amount": "15.000", "description": "Lệ phí", "status": "waiting"}).url == url
    page = client.get(url)
    assert "Chờ nộp phí, lệ phí" in page.text and "15.000 đ" in page.text
    fee = FeePayment.objects.get(dossier=dossier)
    assert Dossier.objects.get(pk=dossier.pk).status == "awaiting_fee"
    assert fee in [f for f in client.get("/reception/").context["lists"]["waiting_fees"]]
    page = client.post(f"/reception/fees/{fee.pk}/paid/", {"receipt_number": ""})
    assert page.status_code == 400 and f"paid-{fee.pk}" in errors_of(page)
    assert client.post(f"/reception/fees/{fee.pk}/paid/", {"receipt_number": "BL-12"}).url == url
    assert Dossier.objects.get(pk=dossier.pk).status == "received"
    assert "BL-12" in client.get(url).text


def test_return_at_the_counter_to_a_representative_early(demo):
    at("2026-12-01 09:00")
    dossier = receive("nhan-cha-me-con")
    at("2026-12-02 09:00")
    finish(dossier)
    client = desk()
    url = f"/reception/dossiers/{dossier.code}/"
    assert dossier.code in client.get("/reception/").text  # in the list to return
    page = client.post(url + "return/", {"collector": "representative", "representative_name": "Võ Văn Tâm",
                                         "representative_id_number": "12"})
    assert page.status_code == 400 and "representative_id_number" in errors_of(page)
    page = client.post(url + "return/", {"collector": "representative", "representative_name": "",
                                         "representative_id_number": "082090009999"})
    assert page.status_code == 400 and "representative_name" in errors_of(page)
    page = client.post(url + "return/", {"collector": "nobody"})
    assert page.status_code == 400 and "collector" in errors_of(page)
    assert client.post(url + "return/", {"collector": "representative", "representative_name": "Võ Văn Tâm",
                                         "representative_id_number": "082090009999"}).url == url
    page = client.get(url)
    returned = Dossier.objects.get(pk=dossier.pk)
    assert returned.status == "returned" and returned.returned_by.username == "motcua.hiepduc"
    assert 'data-testid="early"' in page.text and "Võ Văn Tâm" in page.text
    # a second return is a conflict, shown as a message, not a 500
    again = client.post(url + "return/", {"collector": "applicant"}, follow=True)
    assert again.status_code == 200 and "chưa thể trả kết quả" in again.text


def test_supplementation_with_scans_and_withdrawal(demo):
    at("2026-12-01 09:00")
    dossier = receive("nhan-cha-me-con")
    statutory.request_supplementation(dossier.code, Actor(user=user("tuphap.hiepduc")),
                                      [{"name": "Giấy xác nhận cư trú"}], "Thiếu giấy tờ")
    client = desk()
    url = f"/reception/dossiers/{dossier.code}/"
    assert dossier.code in client.get("/reception/").text  # awaiting supplementation
    page = client.get(url)
    assert "Giấy xác nhận cư trú" in page.text and "Nhận hồ sơ bổ sung" in page.text
    page = client.post(url + "supplement/", {"scans": scan("note.txt", b"plain text")})
    assert page.status_code == 400 and "scans" in errors_of(page)
    assert client.post(url + "supplement/", {"scans": [scan(), scan("b.pdf")]}).url == url
    assert Dossier.objects.get(pk=dossier.pk).status == "processing"
    assert Attachment.objects.filter(dossier=dossier).count() == 2
    page = client.post(url + "withdraw/", {"reason": " "})
    assert page.status_code == 400 and "reason" in errors_of(page)
    assert client.post(url + "withdraw/", {"reason": "Công dân xin rút"}).url == url
    assert Dossier.objects.get(pk=dossier.pk).status == "withdrawn"


def test_find_a_dossier_by_code(demo):
    at("2026-12-01 09:00")
    dossier = receive("nhan-cha-me-con")
    client = desk()
    assert client.get("/reception/find/", {"code": dossier.code}).url == f"/reception/dossiers/{dossier.code}/"
    page = client.get("/reception/find/", {"code": "003.00.16.H57-261201-9999"})
    assert page.status_code == 404 and "code" in errors_of(page)
    assert client.get("/reception/find/", {"code": ""}).status_code == 400


def test_another_communes_desk_gets_404_everywhere(demo):
    at("2026-12-01 09:00")
    dossier = receive("nhan-cha-me-con")
    notice = desk().post("/reception/procedures/dang-ky-khai-sinh/",
                         {**FORM, "decision": "refuse", "reasons": "Không thuộc thẩm quyền"})
    notice_url = notice.url
    fee = FeePayment.objects.create(dossier=dossier, amount=1, description="x", status="waiting",
                                    recorded_by=user("motcua.hiepduc"), recorded_at=dossier.received_at)
    other = signed_in("motcua.tambinh")
    base = f"/reception/dossiers/{dossier.code}/"
    for url in (base, base + "receipt/", base + "form-01.pdf", notice_url, notice_url + "form.pdf"):
        assert other.get(url).status_code == 404, url
    for url, data in ((base + "fees/", {"amount": "1", "description": "x", "status": "paid"}),
                      (base + "return/", {"collector": "applicant"}), (base + "withdraw/", {"reason": "x"}),
                      (base + "supplement/", {}), (f"/reception/fees/{fee.pk}/paid/", {"receipt_number": "1"})):
        assert other.post(url, data).status_code == 404, url
    assert other.get("/reception/find/", {"code": dossier.code}).status_code == 404
    assert Dossier.objects.get(pk=dossier.pk).status == "received"


def test_csrf_is_enforced_on_the_desks_forms(demo):
    at("2026-12-01 09:00")
    dossier = receive("nhan-cha-me-con", unit_code=TAMBINH)
    client = signed_in("motcua.tambinh", enforce_csrf_checks=True)
    data = {**FORM, "decision": "receive", "documents": BIRTH}
    assert client.post("/reception/procedures/dang-ky-khai-sinh/", data).status_code == 403
    assert client.post(f"/reception/dossiers/{dossier.code}/withdraw/", {"reason": "x"}).status_code == 403
    page = client.get("/reception/procedures/dang-ky-khai-sinh/")
    token = page.cookies["csrftoken"].value
    assert 'name="csrfmiddlewaretoken"' in page.text
    assert client.post("/reception/procedures/dang-ky-khai-sinh/", {**data, "csrfmiddlewaretoken": token}).status_code == 302


# ---------------------------------------------------------------------------------------------------------------
# the public look-up


def test_the_public_look_up_shows_no_personal_data_and_404_for_unknown_codes(demo):
    at("2026-12-01 09:00")
    dossier = receive("nhan-cha-me-con")
    anonymous = Client()
    page = anonymous.get("/tra-cuu/", {"ma": dossier.code})
    assert page.status_code == 200
    assert dossier.code in page.text and "Đăng ký nhận cha, mẹ, con" in page.text and "Được tiếp nhận" in page.text
    assert "01/12/2026" in page.text and "04/12/2026" in page.text  # received, appointment
    assert "Nguyễn Văn An" not in page.text and "082090001234" not in page.text and "0912345678" not in page.text
    missing = anonymous.get("/tra-cuu/", {"ma": "003.00.16.H57-000000-0000"})
    assert missing.status_code == 404 and "Không tìm thấy hồ sơ" in missing.text
    assert anonymous.get("/tra-cuu/", {"ma": "x" * 100}).status_code == 400
    assert anonymous.get("/tra-cuu/").status_code == 200  # the empty form
    english = Client()
    english.cookies["django_language"] = "en"
    page = english.get("/tra-cuu/", {"ma": dossier.code})
    assert "Look up a dossier's status" in page.text and "Appointment date" in page.text
