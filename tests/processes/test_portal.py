"""The citizens' portal services on the real PostgreSQL: the status from a code alone, the progress with the receipt's
secret or the applicant's phone (a wrong secret answers like an unknown code), online submission and the desk's three
answers, the rating after the result is returned — and events without personal data."""
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from processes.models import (
    Attachment,
    Dossier,
    Event,
    Notification,
    OnlineSubmission,
    PersonalRecord,
    Procedure,
    ServiceRating,
)
from processes.services import portal, reception, statutory, timers
from processes.services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from processes.services.events import Actor

from ..webui.helpers import HIEPDUC, TAMBINH, user
from .helpers import at
from .test_reception import APPLICANT, PDF, PNG, desk, finish, receive

CITIZEN = {"full_name": "Phạm Thị Thu Trang", "id_number": "082199007788", "phone": "0977123456",
           "email": "trang@example.vn", "address": "Ấp Hòa Lợi, xã Hiệp Đức"}
PERSONAL = [CITIZEN["full_name"], CITIZEN["id_number"], CITIZEN["phone"], CITIZEN["email"], CITIZEN["address"],
            APPLICANT["full_name"], APPLICANT["id_number"], APPLICANT["phone"], APPLICANT["email"],
            APPLICANT["address"]]
BIRTH = ["Tờ khai đăng ký khai sinh", "Giấy chứng sinh"]


def upload(name="to-khai.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def submit(procedure="dang-ky-khai-sinh", unit=HIEPDUC, applicant=None, files=None):
    if files is None:
        files = [(BIRTH[0], upload(), "file-0"), (BIRTH[1], upload("chung-sinh.png", PNG), "file-1")]
    return portal.submit_online(procedure_code=procedure, unit_code=unit, applicant=applicant or CITIZEN, files=files)


def no_personal_data(data):
    text = json.dumps(data, ensure_ascii=False, default=str)
    return [p for p in PERSONAL if p and p in text]


# ---------------------------------------------------------------------------------------------------------------
# look-up


def test_the_code_alone_gives_the_status_only_and_the_secret_or_phone_the_steps_down_to_the_department(demo):
    at("2026-12-01 09:00")
    dossier = receive()
    assert len(dossier.lookup_secret) == 8
    status = portal.public_status(dossier.code)
    assert status["status"] == "received" and status["unit"] == "UBND xã Hiệp Đức"
    assert status["procedure"] == "Đăng ký nhận cha, mẹ, con"
    assert no_personal_data(status) == [] and "applicant" not in status and "steps" not in status
    assert portal.public_status("003.00.16.H57-000000-0000") is None
    assert portal.public_status("x" * 100) is None and portal.public_status(None) is None

    assert portal.progress(dossier.code) is None  # no proof: nothing more than the status
    wrong = dossier.lookup_secret[::-1] if dossier.lookup_secret[::-1] != dossier.lookup_secret else "ABCDEFGH"
    assert portal.progress(dossier.code, wrong) is None
    assert portal.progress(dossier.code, phone="0900000000") is None
    # an unknown code with any secret answers the same (None), so a wrong secret tells nothing
    assert portal.progress("003.00.16.H57-000000-0000", dossier.lookup_secret) is None

    typed = " ".join([dossier.lookup_secret[:4].lower(), dossier.lookup_secret[4:].lower()])
    detail = portal.progress(dossier.code, typed)
    assert detail is not None and detail["code"] == dossier.code
    assert detail["applicant"] == "Lê T… H…"  # masked: never the full name
    [step] = detail["steps"]
    assert step["unit"] == "UBND xã Hiệp Đức" and step["completed_at"] is None and step["name"]
    assert detail["appointment_at"] == dossier.due_at and not detail["reappointed"]
    assert detail["can_rate"] is False
    assert no_personal_data({k: v for k, v in detail.items() if k != "applicant"}) == []
    # the applicant's phone, as typed with the country code, instead of the secret
    by_phone = portal.progress(dossier.code, phone="+84 987 654 321")
    assert by_phone is not None and by_phone["steps"] == detail["steps"]


def test_the_progress_shows_the_apology_and_the_new_appointment(demo):
    at("2026-12-01 09:00")  # 3 working days: due Friday 04/12 09:00
    dossier = receive()
    at("2026-12-03 09:00")
    timers.sweep_inline()
    item = dossier.work_items.get(kind="explain_delay", status="open")
    statutory.file_explanation(item.pk, Actor(user=user("ct.hiepduc")), "Chờ kết quả xác minh của công an xã",
                               "2026-12-08T09:00:00+07:00")
    detail = portal.progress(dossier.code, dossier.lookup_secret)
    [apology] = detail["apologies"]
    assert apology["reason"] == "Chờ kết quả xác minh của công an xã" and apology["unit"] == "UBND xã Hiệp Đức"
    assert f"{apology['new_appointment']:%d/%m/%Y}" == "08/12/2026"
    assert detail["reappointed"] and detail["reappointments"] == 1
    assert detail["appointment_at"] == apology["new_appointment"] and detail["due_at"] == dossier.due_at
    assert "letter" not in apology  # the letter names the applicant: only its reason and date are public
    # the status-only view shows the new appointment too, and still nothing personal
    assert portal.public_status(dossier.code)["appointment_at"] == apology["new_appointment"]


# ---------------------------------------------------------------------------------------------------------------
# online submission


def test_submission_is_refused_with_the_field_at_fault_and_writes_nothing(demo):
    at("2026-12-01 09:00")
    before = (OnlineSubmission.objects.count(), Attachment.objects.count(), PersonalRecord.objects.count(),
              Event.objects.count())
    cases = [
        (dict(procedure="khong-co"), NotFound, "procedure"),
        (dict(unit="999.99.99.H57"), NotFound, "unit"),
        (dict(unit="000.00.16.H57"), InvalidInput, "unit"),  # the district's desk does not receive a commune's
        (dict(applicant={**CITIZEN, "full_name": " "}), InvalidInput, "applicant.full_name"),
        (dict(applicant={**CITIZEN, "phone": "", "email": ""}), InvalidInput, "applicant.phone"),
        (dict(applicant={**CITIZEN, "id_number": "12"}), InvalidInput, "applicant.id_number"),
        (dict(files=[(BIRTH[0], upload(), "file-0")]), InvalidInput, "documents[1]"),
        (dict(files=[(BIRTH[0], upload("x.pdf", b"MZ\x90\x00 not a pdf"), "file-0"),
                     (BIRTH[1], upload(), "file-1")]), InvalidInput, "file-0"),
        (dict(files=[(BIRTH[0], upload(), "file-0"), (BIRTH[1], upload("empty.pdf", b""), "file-1")]),
         InvalidInput, "file-1"),
        (dict(files=[("Giấy khác", upload(), "file-9"), (BIRTH[0], upload(), "file-0"),
                     (BIRTH[1], upload(), "file-1")]), InvalidInput, "file-9"),
    ]
    for kwargs, error, field in cases:
        with pytest.raises(error) as caught:
            submit(**kwargs)
        assert caught.value.field == field, (kwargs, caught.value.message)
        assert caught.value.status_code in (400, 404)
    # a procedure not offered online
    Procedure.objects.filter(code="dang-ky-khai-sinh").update(online_level="none")
    with pytest.raises(InvalidInput) as caught:
        submit()
    assert caught.value.field == "procedure" and "chưa được cung cấp trực tuyến" in caught.value.message
    assert (OnlineSubmission.objects.count(), Attachment.objects.count(), PersonalRecord.objects.count(),
            Event.objects.count()) == before


def test_an_online_submission_reaches_the_desk_and_becomes_a_dossier_of_channel_2_with_its_files(demo):
    at("2026-12-01 08:00")
    submission = submit()
    assert submission.reference.startswith("TT-261201-") and len(submission.secret) == 8
    assert submission.status == "pending" and submission.unit.code == HIEPDUC
    files = list(Attachment.objects.filter(submission=submission).order_by("id"))
    assert [(a.document, a.content_type, a.dossier_id) for a in files] == [
        (BIRTH[0], "application/pdf", None), (BIRTH[1], "image/png", None)]
    assert [d["name"] for d in submission.documents] == BIRTH
    assert [d["attachments"] for d in submission.documents] == [[files[0].pk], [files[1].pk]]
    [event] = Event.objects.filter(kind="online_submitted")
    assert event.stream == "portal" and event.dossier_id is None and event.data_after["reference"] == \
        submission.reference
    assert event.client_address is None and no_personal_data(event.data_after) == []
    # the citizen follows it with the reference and the secret; the reference alone gives the status
    assert portal.public_status(submission.reference)["status"] == "pending"
    assert portal.progress(submission.reference, "WRONGSEC") is None
    assert portal.progress(submission.reference, submission.secret)["applicant"] == "Phạm T… T… T…"
    assert portal.pending_submissions(demo["hiepduc"]) == [submission]
    assert portal.pending_submissions(demo["tambinh"]) == []

    at("2026-12-01 09:00")
    for stranger in (desk(TAMBINH), Actor(user=user("tuphap.hiepduc"))):
        with pytest.raises(NotAllowed):
            portal.receive_submission(submission.pk, stranger)
    dossier = portal.receive_submission(submission.pk, desk())
    assert dossier.channel == 2 and dossier.status == "received" and dossier.code.startswith(f"{HIEPDUC}-261201-")
    assert dossier.lookup_secret == submission.secret  # the secret the citizen holds opens the dossier too
    assert [d["name"] for d in dossier.documents] == BIRTH
    assert set(Attachment.objects.filter(dossier=dossier).values_list("pk", flat=True)) == {a.pk for a in files}
    submission.refresh_from_db()
    assert (submission.status, submission.dossier_id, submission.handled_by.username) == \
        ("received", dossier.pk, "motcua.hiepduc")
    assert dossier.applicant.full_name == CITIZEN["full_name"]
    assert dossier.applicant_id == submission.applicant_id  # the personal data is kept once, not copied
    kinds = list(dossier.events.values_list("kind", flat=True))
    assert kinds[0] == "received" and kinds.count("attachment_added") == 2 and "online_received" in kinds
    for event in dossier.events.filter(kind__in=["online_received", "attachment_added"]):
        assert no_personal_data(event.data_after) == []
    assert dossier.events.get(kind="received").data_after["channel"] == 2

    detail = portal.progress(submission.reference, submission.secret)
    assert detail["status"] == "received" and detail["dossier_code"] == dossier.code
    assert portal.progress(dossier.code, submission.secret)["channel"] == 2
    assert Notification.objects.filter(address=CITIZEN["email"], subject__contains=dossier.code).exists()
    with pytest.raises(Conflict):
        portal.receive_submission(submission.pk, desk())
    assert portal.pending_submissions(demo["hiepduc"]) == []


def test_asking_for_more_and_refusing_are_shown_to_the_citizen(demo):
    at("2026-12-01 09:00")
    first, second = submit(), submit()
    with pytest.raises(InvalidInput) as caught:
        portal.ask_for_more(first.pk, desk(), [])
    assert caught.value.field == "items"
    with pytest.raises(InvalidInput) as caught:
        portal.ask_for_more(first.pk, desk(), [{"name": BIRTH[1], "reason": " "}])
    assert caught.value.field == "items[0].reason"
    with pytest.raises(NotAllowed):
        portal.ask_for_more(first.pk, desk(TAMBINH), [{"name": BIRTH[1], "reason": "Ảnh mờ"}])
    portal.ask_for_more(first.pk, desk(), [{"name": BIRTH[1], "reason": "Ảnh chụp mờ, không đọc được"}])
    detail = portal.progress(first.reference, first.secret)
    assert detail["status"] == "incomplete" and "Giấy chứng sinh: Ảnh chụp mờ, không đọc được" in detail["reason"]
    assert portal.public_status(first.reference)["status"] == "incomplete"
    assert "reason" not in portal.public_status(first.reference)
    assert Notification.objects.filter(channel="sms", address=CITIZEN["phone"],
                                       subject__contains=first.reference).count() == 1

    with pytest.raises(InvalidInput) as caught:
        portal.refuse_submission(second.pk, desk(), ["  "])
    assert caught.value.field == "reasons"
    portal.refuse_submission(second.pk, desk(), ["Người được khai sinh không cư trú tại xã Hiệp Đức"])
    detail = portal.progress(second.reference, second.secret)
    assert detail["status"] == "refused" and "không cư trú" in detail["reason"] and detail["dossier_code"] == ""
    with pytest.raises(Conflict):
        portal.receive_submission(second.pk, desk())
    for event in Event.objects.filter(kind__in=["online_incomplete", "online_refused"]):
        assert event.stream == "portal" and no_personal_data(event.data_after) == []
    assert not Dossier.objects.filter(applicant__full_name=CITIZEN["full_name"]).exists()


# ---------------------------------------------------------------------------------------------------------------
# the rating


def test_a_rating_only_after_the_result_is_returned_once_with_scores_1_to_5(demo):
    at("2026-12-01 09:00")
    dossier = receive()
    scores = {"access": 5, "procedure": 4, "official": 5, "result": 4, "feedback": 3}
    with pytest.raises(Conflict) as caught:
        portal.rate_dossier(dossier.code, dossier.lookup_secret, scores)
    assert "sau khi đã nhận kết quả" in caught.value.message
    at("2026-12-02 10:00")
    finish(dossier)
    reception.return_at_counter(code=dossier.code, actor=desk(), collector="applicant")
    assert portal.progress(dossier.code, dossier.lookup_secret)["can_rate"] is True
    for bad, field in [({**scores, "access": 0}, "access"), ({**scores, "result": 6}, "result"),
                       ({**scores, "official": "x"}, "official"), ({**scores, "feedback": True}, "feedback"),
                       ({k: v for k, v in scores.items() if k != "procedure"}, "procedure")]:
        with pytest.raises(InvalidInput) as caught:
            portal.rate_dossier(dossier.code, dossier.lookup_secret, bad)
        assert caught.value.field == field
    with pytest.raises(InvalidInput) as caught:
        portal.rate_dossier(dossier.code, dossier.lookup_secret, scores, "x" * 2001)
    assert caught.value.field == "comment"
    with pytest.raises(NotFound) as wrong:
        portal.rate_dossier(dossier.code, "ABCDEFGH", scores)
    with pytest.raises(NotFound) as unknown:
        portal.rate_dossier("003.00.16.H57-000000-0000", dossier.lookup_secret, scores)
    assert wrong.value.message == unknown.value.message  # no oracle here either
    assert not ServiceRating.objects.filter(dossier=dossier).exists()

    at("2026-12-02 11:00")
    rating = portal.rate_dossier(dossier.code, dossier.lookup_secret.lower(),
                                 {k: str(v) for k, v in scores.items()}, "Cán bộ Lê Thị Hoa hướng dẫn tận tình")
    assert (rating.access, rating.procedure, rating.official, rating.result, rating.feedback) == (5, 4, 5, 4, 3)
    assert rating.channel == 2 and rating.comment.startswith("Cán bộ")
    event = dossier.events.get(kind="rated")
    assert event.data_after["scores"] == scores and event.data_after["comment"] is True
    assert no_personal_data(event.data_after) == []  # the comment's words stay out of the log
    with pytest.raises(Conflict) as caught:
        portal.rate_dossier(dossier.code, dossier.lookup_secret, scores)
    assert "một lần" in caught.value.message
    detail = portal.progress(dossier.code, dossier.lookup_secret)
    assert detail["rated"] and not detail["can_rate"] and detail["status"] == "returned"


def test_the_catalogue_gives_each_procedures_level_and_the_shares(demo):
    levels = portal.catalogue_levels()
    # the administrative procedures: complaints, denunciations, petitions and dialogue opinions are no public service
    assert levels["total"] == Procedure.objects.filter(active=True, kind="administrative").count() == 5
    assert not {p.code for p in levels["procedures"]} & {"khieu-nai-lan-dau", "to-cao", "phan-anh-kien-nghi"}
    assert levels["counts"] == {"full": 1, "partial": 4, "none": 0}
    assert levels["shares"] == {"full": 20.0, "partial": 80.0, "none": 0.0}
    Procedure.objects.filter(code="tro-cap-xa-hoi").update(online_level="none")
    Procedure.objects.filter(code="chung-thuc-ban-sao").update(online_level="full")
    levels = portal.catalogue_levels()
    assert levels["shares"] == {"full": 40.0, "partial": 40.0, "none": 20.0} and levels["online_share"] == 80.0
    offered = {p.code: [u.code for u in units] for p, units in portal.online_catalogue()}
    assert "tro-cap-xa-hoi" not in offered and HIEPDUC in offered["dang-ky-khai-sinh"]
    assert offered["giay-phep-xay-dung"] == ["000.00.16.H57"]
