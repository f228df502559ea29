"""The designer studio's pages through Django's test client (webui/views_studio.py): 403 for non-designers on every
URL and action (before anything is looked up), CSRF on the JSON save, 404s, the save's JSON problems with element
ids, deploy / submit / approve through the page, downloads, the diff page, the condition checker and the nav link."""
import json

import pytest
from django.test import Client
from django.urls import reverse

from processes.models import DraftStatus, ProcessDraft
from processes.services import studio
from processes.services.events import Actor

from ..processes.test_studio import fixture
from ..processes.test_studio_api import UNKNOWN_EXTENSION
from ..processes.test_studio_samples import v1_xml, with_new_step
from .helpers import user

CODE = "nhan-cha-me-con"


def signed_in(username, **options):
    client = Client(**options)
    client.force_login(user(username))
    return client


@pytest.fixture
def draft(demo):
    return studio.create_draft(actor=Actor(user=user("thietke")), procedure_code=CODE)


def every_url(draft_id):
    """(method, url) of every studio page and action."""
    return [
        ("get", reverse("webui:studio")),
        ("post", reverse("webui:studio-new-draft")),
        ("post", reverse("webui:studio-new-procedure")),
        ("get", reverse("webui:studio-check-condition") + "?expression=x"),
        ("get", reverse("webui:studio-draft", args=[draft_id])),
        ("post", reverse("webui:studio-save", args=[draft_id])),
        ("get", reverse("webui:studio-draft-xml", args=[draft_id])),
        *[("post", reverse("webui:studio-draft-action", args=[draft_id, a]))
          for a in ("deploy", "submit", "approve", "reject", "discard")],
        ("get", reverse("webui:studio-diff", args=[CODE])),
        ("get", reverse("webui:studio-version-xml", args=[CODE, 1])),
    ]


@pytest.mark.parametrize("username", ["tuphap.hiepduc", "quantri", "thanhtra"])
def test_non_designers_get_403_on_every_url_and_action(draft, username):
    client = signed_in(username)
    for method, url in every_url(draft.pk) + every_url(999999):
        response = getattr(client, method)(url)
        assert response.status_code == 403, (method, url, response.status_code)
    draft.refresh_from_db()
    assert draft.status == DraftStatus.DRAFT and draft.revision == 1
    assert "Thiết kế quy trình" not in client.get("/inbox/").content.decode()


def test_anonymous_is_sent_to_sign_in(draft):
    for method, url in every_url(draft.pk):
        response = getattr(Client(), method)(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_designer_sees_procedures_versions_drafts_and_the_nav_link(draft):
    page = signed_in("thietke").get(reverse("webui:studio"))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'href="/studio/"' in text and 'aria-current="page"' in text
    assert f'data-testid="procedure-{CODE}"' in text and f'data-testid="open-draft-{draft.pk}"' in text
    assert reverse("webui:studio-version-xml", args=[CODE, 1]) in text


def test_404s(draft):
    client = signed_in("thietke")
    assert client.get(reverse("webui:studio-draft", args=[999999])).status_code == 404
    assert client.get(reverse("webui:studio-draft-xml", args=[999999])).status_code == 404
    assert client.post(reverse("webui:studio-draft-action", args=[draft.pk, "explode"])).status_code == 404
    assert client.post(reverse("webui:studio-draft-action", args=[999999, "deploy"])).status_code == 404
    response = client.post(reverse("webui:studio-save", args=[999999]), data=json.dumps({"xml": "", "revision": 1}),
                           content_type="application/json")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert client.get(reverse("webui:studio-diff", args=["khong-co"])).status_code == 404
    assert client.get(reverse("webui:studio-version-xml", args=[CODE, 7])).status_code == 404
    assert client.get("/studio/drafts/1234567890123456789012/").status_code == 404


def test_new_draft_from_latest_template_and_file(draft):
    client = signed_in("thietke")
    response = client.post(reverse("webui:studio-new-draft"), {"procedure": CODE, "source": "latest"})
    newest = ProcessDraft.objects.order_by("-pk").first()
    assert response.status_code == 302 and response["Location"] == reverse("webui:studio-draft", args=[newest.pk])
    assert newest.based_on.number == 1
    name = studio.list_templates()[0]["name"]
    response = client.post(reverse("webui:studio-new-draft"), {"procedure": CODE, "source": "template",
                                                               "template": name})
    assert response.status_code == 302 and ProcessDraft.objects.order_by("-pk").first().title == f"Từ mẫu {name}"
    from django.core.files.uploadedfile import SimpleUploadedFile
    upload = SimpleUploadedFile("v2.bpmn", with_new_step(v1_xml()).encode(), content_type="application/xml")
    response = client.post(reverse("webui:studio-new-draft"), {"procedure": "", "source": "file", "bpmn": upload})
    assert response.status_code == 302
    imported = ProcessDraft.objects.order_by("-pk").first()
    assert imported.procedure.code == CODE and imported.problems == []
    # refused at the field
    hostile = SimpleUploadedFile("x.bpmn", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')
    response = client.post(reverse("webui:studio-new-draft"), {"procedure": CODE, "source": "file", "bpmn": hostile})
    assert response.status_code == 400 and 'id="err-bpmn"' in response.content.decode()
    response = client.post(reverse("webui:studio-new-draft"), {"procedure": "", "source": "latest"})
    assert response.status_code == 400 and 'id="err-procedure"' in response.content.decode()


def test_editor_page_carries_the_xml_the_revision_and_the_bundle(draft):
    page = signed_in("thietke").get(reverse("webui:studio-draft", args=[draft.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "webui/vendor/studio.bundle.js" in text and "webui/vendor/studio.bundle.css" in text
    assert 'id="studio-config"' in text and 'id="studio-xml"' in text and 'data-testid="studio-deploy"' in text
    config = json.loads(text.split('id="studio-config" type="application/json">')[1].split("</script>")[0])
    assert config["revision"] == 1 and config["saveUrl"] == reverse("webui:studio-save", args=[draft.pk])
    assert ["specialist", "Chuyên viên (specialist)"] in config["roles"]


def test_save_needs_the_csrf_token_and_answers_problems_with_element_ids(draft):
    client = signed_in("thietke", enforce_csrf_checks=True)
    url = reverse("webui:studio-save", args=[draft.pk])
    body = json.dumps({"xml": with_new_step(v1_xml(), in_lane=False), "revision": 1})
    assert client.post(url, data=body, content_type="application/json").status_code == 403
    client.get(reverse("webui:studio-draft", args=[draft.pk]))
    token = client.cookies["csrftoken"].value
    response = client.post(url, data=body, content_type="application/json", headers={"X-CSRFToken": token})
    assert response.status_code == 200
    answer = response.json()
    assert answer["revision"] == 2
    assert [p["element_id"] for p in answer["problems"]] == ["vao_so_ho_tich"]
    assert set(answer["problems"][0]) == {"element_id", "message", "line"}
    # stale revision: 409 with the message; hostile XML: 400 not stored
    stale = client.post(url, data=body, content_type="application/json", headers={"X-CSRFToken": token})
    assert stale.status_code == 409 and stale.json()["field"] == "revision"
    hostile = json.dumps({"xml": '<!DOCTYPE x [<!ENTITY a "b">]><x/>', "revision": 2})
    refused = client.post(url, data=hostile, content_type="application/json", headers={"X-CSRFToken": token})
    assert refused.status_code == 400 and refused.json()["field"] == "bpmn"
    bad_json = client.post(url, data="{", content_type="application/json", headers={"X-CSRFToken": token})
    assert bad_json.status_code == 400
    draft.refresh_from_db()
    assert draft.revision == 2


def test_deploy_through_the_page_then_diff_and_downloads(draft):
    client = signed_in("thietke")
    save = reverse("webui:studio-save", args=[draft.pk])
    deploy = reverse("webui:studio-draft-action", args=[draft.pk, "deploy"])
    client.post(save, data=json.dumps({"xml": with_new_step(v1_xml(), in_lane=False), "revision": 1}),
                content_type="application/json")
    refused = client.post(deploy, follow=True)
    assert "vao_so_ho_tich" in refused.content.decode()
    assert ProcessDraft.objects.get(pk=draft.pk).status == DraftStatus.DRAFT
    client.post(save, data=json.dumps({"xml": with_new_step(v1_xml()), "revision": 2}),
                content_type="application/json")
    response = client.post(deploy)
    assert response.status_code == 302 and response["Location"].startswith(reverse("webui:studio"))
    draft.refresh_from_db()
    assert draft.status == DraftStatus.DEPLOYED and draft.deployed_version.number == 2
    xml = client.get(reverse("webui:studio-version-xml", args=[CODE, 2]))
    assert xml.status_code == 200 and "attachment" in xml["Content-Disposition"]
    assert xml.content.decode() == with_new_step(v1_xml())
    assert client.get(reverse("webui:studio-draft-xml", args=[draft.pk])).content.decode() == with_new_step(v1_xml())
    page = client.get(reverse("webui:studio-diff", args=[CODE]) + "?a=1&b=2")
    text = page.content.decode()
    assert page.status_code == 200 and "vao_so_ho_tich" in text and 'data-testid="diff-changed"' in text
    assert client.get(reverse("webui:studio-diff", args=[CODE]) + "?a=1&b=9").status_code == 404
    # a deployed draft's editor is read-only
    editor = client.get(reverse("webui:studio-draft", args=[draft.pk])).content.decode()
    assert 'data-testid="studio-save"' not in editor and '"saveUrl": null' in editor


def test_approval_mode_submit_then_another_designer_approves(draft, settings):
    settings.MOTCUA_DEPLOY_APPROVAL = True
    first, second = signed_in("thietke"), signed_in("thietke2")
    first.post(reverse("webui:studio-save", args=[draft.pk]),
               data=json.dumps({"xml": with_new_step(v1_xml()), "revision": 1}), content_type="application/json")
    assert 'data-testid="studio-submit"' in first.get(reverse("webui:studio-draft", args=[draft.pk])).content.decode()
    first.post(reverse("webui:studio-draft-action", args=[draft.pk, "deploy"]))
    assert ProcessDraft.objects.get(pk=draft.pk).status == DraftStatus.DRAFT  # refused: needs approval
    first.post(reverse("webui:studio-draft-action", args=[draft.pk, "submit"]))
    assert ProcessDraft.objects.get(pk=draft.pk).status == DraftStatus.SUBMITTED
    assert 'data-testid="studio-approve"' not in first.get(
        reverse("webui:studio-draft", args=[draft.pk])).content.decode()
    first.post(reverse("webui:studio-draft-action", args=[draft.pk, "approve"]))
    assert ProcessDraft.objects.get(pk=draft.pk).status == DraftStatus.SUBMITTED  # not by its own submitter
    assert 'data-testid="studio-approve"' in second.get(
        reverse("webui:studio-draft", args=[draft.pk])).content.decode()
    second.post(reverse("webui:studio-draft-action", args=[draft.pk, "approve"]))
    draft.refresh_from_db()
    assert draft.status == DraftStatus.DEPLOYED and draft.deployed_version.number == 2


def test_condition_checker(demo):
    client = signed_in("thietke")
    url = reverse("webui:studio-check-condition")
    assert client.get(url, {"expression": "eligible == True"}).json() == {"message": None}
    assert client.get(url, {"expression": "__import__('os')"}).json()["message"]
    assert client.get(url, {"expression": "${approved}"}).json()["message"]
    assert client.get(url).json()["message"]
    assert client.post(url).status_code == 405


def test_discard(draft):
    client = signed_in("thietke")
    response = client.post(reverse("webui:studio-draft-action", args=[draft.pk, "discard"]))
    assert response.status_code == 302
    assert ProcessDraft.objects.get(pk=draft.pk).status == DraftStatus.DISCARDED


def test_a_new_procedure_from_a_template_stays_inactive_until_deployed(demo):
    from processes.models import Field, Procedure

    client = signed_in("thietke")
    field = Field.objects.order_by("code").first()
    template = studio.list_templates()[0]["name"]
    data = {"code": "cap-ban-sao-trich-luc", "name": "Cấp bản sao trích lục hộ tịch", "field": field.code,
            "level": "commune", "statutory_limit": "3", "statutory_unit": "working_days", "fee": "0",
            "new_source": "template", "new_template": template}
    # refused at the field: a code that is not a slug, a same-day limit that is not 0
    response = client.post(reverse("webui:studio-new-procedure"), {**data, "code": "Mã sai"})
    assert response.status_code == 400 and 'id="err-code"' in response.content.decode()
    response = client.post(reverse("webui:studio-new-procedure"), {**data, "statutory_unit": "same_day"})
    assert response.status_code == 400 and 'id="err-statutory_limit"' in response.content.decode()
    assert not Procedure.objects.filter(code="cap-ban-sao-trich-luc").exists()
    response = client.post(reverse("webui:studio-new-procedure"), data)
    procedure = Procedure.objects.get(code="cap-ban-sao-trich-luc")
    draft = procedure.drafts.get()
    assert response.status_code == 302 and response["Location"] == reverse("webui:studio-draft", args=[draft.pk])
    assert procedure.active is False and draft.problems == [], draft.problems
    again = client.post(reverse("webui:studio-new-procedure"), data)
    assert again.status_code == 409 and 'id="err-code"' in again.content.decode()
    client.post(reverse("webui:studio-draft-action", args=[draft.pk, "deploy"]))
    procedure.refresh_from_db()
    assert procedure.active is True and procedure.versions.get().number == 1


def test_uploads_refused_with_a_clear_message_at_the_field(demo):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = signed_in("thietke")
    cases = [
        (b"\x00" * (3 * 1024 * 1024), "2 MB"),
        (b"this is not XML", ""),
        (b'<?xml version="1.0"?><root/>', ""),
        (with_new_step(v1_xml()).replace("<bpmn:userTask id=\"vao_so_ho_tich\"",
                                         "<bpmn:scriptTask id=\"vao_so_ho_tich\"").encode(), ""),
    ]
    cases += [
        (b"\x00" * (50 * 1024 * 1024), "2 MB"),
        (fixture("xxe.bpmn"), "DOCTYPE"),
        (fixture("entity_bomb.bpmn"), "DOCTYPE"),
        (UNKNOWN_EXTENSION.encode(), "Activity_kiem_tra"),
    ]
    drafts = ProcessDraft.objects.count()
    for content, words in cases:
        upload = SimpleUploadedFile("x.bpmn", content, content_type="application/octet-stream")
        response = client.post(reverse("webui:studio-new-draft"), {"procedure": CODE, "source": "file", "bpmn": upload})
        text = response.content.decode()
        if response.status_code == 302:
            # a script task or an unknown extension is stored as a draft with its problem at the element (it cannot
            # be deployed until fixed); hostile XML never is
            newest = ProcessDraft.objects.order_by("-pk").first()
            where = "Activity_kiem_tra" if words == "Activity_kiem_tra" else "vao_so_ho_tich"
            assert any(p["element_id"] == where for p in newest.problems), newest.problems
            deployed = client.post(reverse("webui:studio-draft-action", args=[newest.pk, "deploy"]), follow=True)
            assert ProcessDraft.objects.get(pk=newest.pk).status == DraftStatus.DRAFT
            assert where in deployed.content.decode()
            drafts += 1
            continue
        assert response.status_code == 400, (content[:40], response.status_code)
        assert 'id="err-bpmn"' in text and words in text, (content[:40], words)
    assert ProcessDraft.objects.count() == drafts  # nothing hostile stored
    # an escaping expression in a gateway is stored as a draft whose problem is at the flow, never deployed
    upload = SimpleUploadedFile("x.bpmn", fixture("escaping_expression.bpmn"))
    response = client.post(reverse("webui:studio-new-draft"), {"procedure": "", "source": "file", "bpmn": upload})
    text = response.content.decode()
    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 302:
        newest = ProcessDraft.objects.order_by("-pk").first()
        assert newest.problems and all(p["element_id"] for p in newest.problems), newest.problems
        deployed = client.post(reverse("webui:studio-draft-action", args=[newest.pk, "deploy"]), follow=True)
        assert ProcessDraft.objects.get(pk=newest.pk).status == DraftStatus.DRAFT
        assert "message-error" in deployed.content.decode()
    else:
        assert "err-" in text


def test_the_editor_in_english(draft):
    client = signed_in("thietke")
    client.cookies["django_language"] = "en"
    text = client.get(reverse("webui:studio-draft", args=[draft.pk]), headers={"Accept-Language": "en"}).content.decode()
    assert ">Save</button>" in text and ">Deploy</button>" in text and "Designer studio" in text
    config = json.loads(text.split('id="studio-config" type="application/json">')[1].split("</script>")[0])
    assert config["labels"]["role"] == "Routing role" and config["labels"]["saved"] == "Saved."
