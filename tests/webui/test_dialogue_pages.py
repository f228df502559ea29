"""The dialogue-meeting pages through Django's test client (webui/views_dialogue.py): who sees the link and the pages,
recording a meeting and adding an opinion with every bad input answered at its field (400, nothing recorded), the
meeting page's opinions with their states and links to the step pages, other officials' 404 and 403, and the portal's
page without personal data."""
import re

from django.test import Client

from processes.models import DialogueMeeting, Dossier
from processes.services import dialogue
from processes.services.events import Actor

from ..processes.helpers import at
from .helpers import HIEPDUC, TAMBINH, signed_in, user

DISTRICT = "000.00.16.H57"
URBAN = "000.04.16.H57"
MEETING = {"unit": DISTRICT, "held_on": "30/11/2026", "commune": HIEPDUC, "place": "Hội trường UBND xã",
           "leaders": "Chủ tịch UBND huyện", "attendees": "85", "summary": ""}
OPINION = {"content": "Đề nghị nạo vét kênh thủy lợi ấp Hiệp Thạnh.", "field": "xay-dung", "assigned_unit": HIEPDUC,
           "deadline": "days", "response_days": "10", "due_on": "", "citizen_name": "Võ Văn Kênh",
           "citizen_phone": "0912777888"}


def errors_of(page):
    """{field: message} of the messages shown at the fields (admin_field.html: id="err-<name>")."""
    return dict(re.findall(r'id="err-([a-z_]+)" role="alert">([^<]*)<', page))


def a_meeting():
    return dialogue.record_meeting(Actor(user("motcua.huyen")), DISTRICT, "30/11/2026", "Chủ tịch UBND huyện", 85,
                                   commune_code=HIEPDUC)


def test_the_desk_records_a_meeting_with_messages_at_the_fields(demo):
    at("2026-12-01 09:00")
    client = signed_in("motcua.huyen")
    inbox = client.get("/inbox/").content.decode()
    assert 'href="/dialogue/"' in inbox  # the link in the navigation
    page = client.get("/dialogue/new/")
    assert page.status_code == 200
    text = page.content.decode()
    assert f'<option value="{DISTRICT}" selected>' in text or f'<option value="{DISTRICT}">' in text
    assert text.index(DISTRICT) < text.index(HIEPDUC)  # the official's own unit first
    bad = client.post("/dialogue/new/", {**MEETING, "held_on": "31/11/2026", "attendees": "nhiều", "leaders": ""})
    assert bad.status_code == 400
    errors = errors_of(bad.content.decode())
    assert "held_on" in errors and "31/11/2026" in errors["held_on"]
    assert not DialogueMeeting.objects.exists()
    # one message at a time from the service, each at its field
    bad = client.post("/dialogue/new/", {**MEETING, "leaders": ""})
    assert set(errors_of(bad.content.decode())) == {"leaders"} and 'aria-invalid="true"' in bad.content.decode()
    bad = client.post("/dialogue/new/", {**MEETING, "attendees": "nhiều"})
    assert set(errors_of(bad.content.decode())) == {"attendees"}
    bad = client.post("/dialogue/new/", {**MEETING, "unit": HIEPDUC, "commune": TAMBINH})
    assert set(errors_of(bad.content.decode())) == {"commune"}
    done = client.post("/dialogue/new/", MEETING)
    meeting = DialogueMeeting.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/dialogue/{meeting.pk}/"
    assert (meeting.attendees, meeting.commune.code, meeting.recorded_by.username) == (85, HIEPDUC, "motcua.huyen")
    listing = client.get("/dialogue/").content.decode()
    assert "30/11/2026" in listing and f'href="/dialogue/{meeting.pk}/"' in listing


def test_an_opinion_is_added_at_the_meeting_page_and_links_to_its_step(demo):
    at("2026-12-01 09:00")
    meeting = a_meeting()
    client = signed_in("motcua.huyen")
    url = f"/dialogue/{meeting.pk}/"
    page = client.get(url).content.decode()
    assert 'data-testid="opinion-form"' in page and "Chưa ghi ý kiến nào" in page
    for changes, field in (({"content": ""}, "content"), ({"deadline": "days", "response_days": "0"}, "response_days"),
                           ({"deadline": "date", "due_on": "19/12/2026"}, "due_on"),
                           ({"citizen_phone": "abc"}, "citizen_phone"), ({"field": ""}, "field"),
                           ({"assigned_unit": ""}, "assigned_unit")):
        bad = client.post(url + "opinions/", {**OPINION, **changes})
        assert bad.status_code == 400, changes
        assert set(errors_of(bad.content.decode())) == {field}, (changes, errors_of(bad.content.decode()))
    assert not Dossier.objects.filter(meeting=meeting).exists()
    # a unit outside the meeting's is not even offered
    bad = client.post(url + "opinions/", {**OPINION, "assigned_unit": "000.00.00.H57"})
    assert bad.status_code == 400 and "assigned_unit" in errors_of(bad.content.decode())
    done = client.post(url + "opinions/", {**OPINION, "deadline": "date", "due_on": "18/12/2026",
                                           "response_days": "99"})  # the unchosen deadline is ignored
    assert done.status_code == 302 and done["Location"] == url + "#opinions"
    dossier = Dossier.objects.get(meeting=meeting)
    assert dossier.receiving_unit.code == HIEPDUC and dossier.data["response_due"] == "2026-12-18"
    page = client.get(url).content.decode()
    assert "nạo vét kênh" in page and "18/12/2026 17:00" in page and "Chờ trả lời" in page
    assert "Võ Văn Kênh" in page  # the recorders see who raised it
    # the district's desk cannot open the commune's step; the commune's chairman can, and answers from there
    assert 'data-testid="opinion-step"' not in page
    step = dossier.work_items.get(status="open")
    chairman = signed_in("ct.hiepduc").get(url).content.decode()
    assert f'href="/steps/{step.pk}/"' in chairman and "Trả lời ý kiến" in chairman
    assert 'data-testid="opinion-form"' not in chairman  # not a recorder of the district's meeting
    assert signed_in("ct.hiepduc").post(url + "opinions/", OPINION).status_code == 403
    # another commune's officials: no such meeting
    assert signed_in("ct.tambinh").get(url).status_code == 404
    assert signed_in("ct.tambinh").post(url + "opinions/", OPINION).status_code == 404
    assert signed_in("ct.tambinh").get("/dialogue/new/").status_code == 200  # their own commune's meetings
    assert signed_in("tuphap.hiepduc").get("/dialogue/new/").status_code == 403
    assert Client().get(url).status_code == 302  # sign in first


def test_the_public_page_lists_published_answers_only(demo):
    at("2026-12-01 09:00")
    meeting = a_meeting()
    desk = Actor(user("motcua.huyen"))
    published = dialogue.add_opinion(desk, meeting.pk, "Đề nghị mở rộng chợ xã.", "xay-dung", URBAN,
                                     citizen_name="Bà Năm Chợ", citizen_phone="0909555666")
    waiting = dialogue.add_opinion(desk, meeting.pk, "Đề nghị cấp nước sạch ấp 5.", "dat-dai", HIEPDUC)
    from processes.services.dossiers import complete_work_item

    head = Actor(user("tp.kthh"))
    complete_work_item(item_id=published.work_items.get(status="open").pk, actor=head,
                       data={"answer": "Huyện đưa chợ xã vào kế hoạch đầu tư năm 2027."})
    complete_work_item(item_id=published.work_items.get(status="open").pk, actor=head, data={})
    page = Client().get("/dich-vu-cong/doi-thoai/")
    assert page.status_code == 200 and page["Cache-Control"] == "public, max-age=300"
    text = page.content.decode()
    assert "mở rộng chợ xã" in text and "kế hoạch đầu tư năm 2027" in text and "Phòng Kinh tế và Hạ tầng" in text
    assert "cấp nước sạch" not in text and "Bà Năm Chợ" not in text and "0909555666" not in text
    assert published.code not in text and waiting.code not in text
    assert "1 câu trả lời đã công khai" in text
    assert Client().get("/dich-vu-cong/doi-thoai/", {"don_vi": DISTRICT}).content.decode().count(
        'data-testid="response"') == 1
    assert Client().get("/dich-vu-cong/doi-thoai/", {"linh_vuc": "xay-dung", "page": "0"}).status_code == 400
