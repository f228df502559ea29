"""Running dossiers and versions through the designer studio's pages (issue 5): a version 2 imported from a file and
deployed in the studio; a new dossier runs on version 2 while an older one finishes on version 1; the migration page's
dry run changes nothing, its real run moves a dossier with a claimed step and an armed timer (claim and timer kept, the
event logged); bad choices are 400s at their field; non-designers 403. Real PostgreSQL, engine and headless Chromium.
Screenshots: tests/artifacts/studio-migrate-*.png."""
import re

import pytest
from django.urls import reverse

from engine.calendar import VN_TZ
from processes.models import Event, ProcessDraft, ProcessVersion, Timer
from processes.services.dossiers import claim_work_item, complete_work_item
from processes.services.events import Actor

from ..processes.helpers import at, official_for
from ..processes.test_migration import REMINDER, reminder_procedure, reminder_v2
from . import pages
from .helpers import HIEPDUC, receive, signed_in, user

CODE = "thu-nhac-viec"


def specialist():
    return Actor(user=user(official_for(HIEPDUC, "specialist")))


def claimed_dossier():
    """A dossier of version 1 whose step 'xu_ly' a specialist has claimed, with its diagram timer armed."""
    dossier = receive(CODE)
    item = dossier.work_items.get(status="open", bpmn_id="xu_ly")
    claim_work_item(item_id=item.pk, actor=specialist())
    item.refresh_from_db()
    timer = dossier.timers.get(kind="diagram", status="scheduled")
    return dossier, item, timer


def state(dossier):
    dossier.refresh_from_db()
    return (dossier.version_id, dossier.revision, dossier.workflow_state, Event.objects.filter(dossier=dossier).count(),
            sorted(Timer.objects.filter(dossier=dossier).values_list("pk", "status", "due_at")))


@pytest.fixture
def two_versions(demo):
    at("2026-12-01 09:00")
    reminder_procedure()
    dossier, item, timer = claimed_dossier()
    from processes.services.procedures import deploy_process_version

    deploy_process_version(xml=reminder_v2(REMINDER.read_text()), filename="v2.bpmn",
                           actor=Actor(user=user("thietke")))
    return dossier, item, timer


def test_non_designers_get_403_and_unknown_procedures_404(two_versions):
    url = reverse("webui:studio-migrate", args=[CODE])
    for username in ("tuphap.hiepduc", "quantri", "thanhtra", "ct.hiepduc"):
        client = signed_in(username)
        assert client.get(url).status_code == 403
        assert client.post(url, {"from_version": 1, "to_version": 2, "action": "run"}).status_code == 403
    dossier = two_versions[0]
    dossier.refresh_from_db()
    assert dossier.version.number == 1
    designer = signed_in("thietke")
    assert designer.get(reverse("webui:studio-migrate", args=["khong-co"])).status_code == 404
    assert designer.put(url).status_code == 405


def test_bad_choices_are_400s_at_their_field_and_change_nothing(two_versions):
    dossier = two_versions[0]
    before = state(dossier)
    client = signed_in("thietke")
    url = reverse("webui:studio-migrate", args=[CODE])
    for data, field in [({"from_version": 1, "to_version": 1, "action": "run"}, "to_version"),
                        ({"from_version": "x", "to_version": 2, "action": "run"}, "from_version"),
                        ({"from_version": 1, "to_version": 7, "action": "plan"}, "to_version"),
                        ({"from_version": 1, "to_version": 2, "dossiers": "A" * 60001, "action": "run"}, "dossiers")]:
        response = client.post(url, data)
        text = response.content.decode()
        assert response.status_code == 400, (data, response.status_code)
        assert re.search(rf'data-field="{field}"[^>]*>.*?class="field-error"', text, re.S) or \
            f'class="form-row has-error" data-field="{field}"' in text, (data, field)
    response = client.post(url, {"from_version": 1, "to_version": 2, "action": "explode"})
    assert response.status_code == 400 and "Hãy chọn chạy thử hoặc chuyển." in response.content.decode()
    assert state(dossier) == before


def test_the_page_plans_then_migrates_and_the_studio_counts_open_dossiers_per_version(two_versions):
    dossier, item, timer = two_versions
    other = receive(CODE)
    assert other.version.number == 2  # received after version 2 was deployed
    client = signed_in("thietke")
    home = client.get(reverse("webui:studio")).content.decode()
    assert 'data-testid="migrate-thu-nhac-viec"' in home
    assert re.search(r'data-testid="version-thu-nhac-viec-1">v1 .*?1 hồ sơ đang xử lý', home)
    url = reverse("webui:studio-migrate", args=[CODE])
    page = client.get(url).content.decode()
    assert '<option value="1" selected>v1</option>' in page and 'data-testid="open-by-version"' in page

    before = state(dossier)
    plan = client.post(url, {"from_version": 1, "to_version": 2, "action": "plan"})
    text = plan.content.decode()
    assert plan.status_code == 200 and 'data-dry-run="1"' in text
    assert f'data-testid="migrate-row-{dossier.code}" data-status="planned"' in text
    assert f"{item.claimed_by.username} (xu_ly)" in text and 'data-testid="migrate-run"' in text
    assert state(dossier) == before

    done = client.post(url, {"from_version": 1, "to_version": 2, "dossiers": f" {dossier.code}\n", "action": "run"})
    text = done.content.decode()
    assert done.status_code == 200 and 'data-dry-run="0"' in text
    assert f'data-testid="migrate-row-{dossier.code}" data-status="migrated"' in text
    dossier.refresh_from_db()
    item.refresh_from_db()
    assert dossier.version.number == 2 and item.status == "open" and item.claimed_by is not None
    assert list(dossier.timers.filter(kind="diagram", status="scheduled").values_list("pk", flat=True)) == [timer.pk]
    event = dossier.events.get(kind="version_migrated")
    assert event.actor.username == "thietke" and event.data_after["claims_kept"][0]["step"] == "xu_ly"
    # nothing left on version 1: the link goes
    assert 'data-testid="migrate-thu-nhac-viec"' not in client.get(reverse("webui:studio")).content.decode()


def test_readable_diff_of_two_versions_and_of_a_draft(two_versions):
    client = signed_in("thietke")
    text = client.get(reverse("webui:studio-diff", args=[CODE]) + "?a=1&b=2").content.decode()
    # the added step, by its name and kind; the changed allocation as a row of its own, old and new value
    assert re.search(r"Bước xử lý</span> <strong>Ký duyệt</strong> <code>ky</code>", text)
    assert re.search(r"Thuộc tính · <code>allocation_days</code></th><td><del>2</del></td><td><ins>1.5</ins>", text)
    assert "{&#x27;" not in text and "{'" not in text  # no raw dictionaries
    from processes.services import studio

    draft = studio.create_draft(actor=Actor(user=user("thietke")), procedure_code=CODE)
    studio.save_draft(draft_id=draft.pk, actor=Actor(user=user("thietke")), revision=1,
                      xml=draft.bpmn_xml.replace('name="Ký duyệt"', 'name="Lãnh đạo ký duyệt"'))
    text = client.get(reverse("webui:studio-diff", args=[CODE]) + f"?draft={draft.pk}").content.decode()
    assert 'data-testid="diff-draft"' in text
    assert re.search(r"Tên</th><td><del>Ký duyệt</del></td><td><ins>Lãnh đạo ký duyệt</ins>", text)
    assert client.get(reverse("webui:studio-diff", args=[CODE]) + "?draft=99999").status_code == 404
    editor = client.get(reverse("webui:studio-draft", args=[draft.pk])).content.decode()
    assert f"?draft={draft.pk}" in editor


def test_version_2_imported_deployed_and_a_claimed_timed_dossier_migrated_in_the_browser(
        tdemo, browser, open_context, live_server, tmp_path):
    base = live_server.url
    expect = browser.expect
    errors = []
    at("2026-12-01 09:00")
    reminder_procedure()
    moved, item, timer = claimed_dossier()
    stays = receive(CODE)
    page = open_context(viewport={"width": 1366, "height": 900}).new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.on("dialog", lambda dialog: dialog.accept())
    pages.sign_in(page, base, "thietke", path="/studio/")

    # version 2, imported from a file (as exported by another modeler) and deployed from the editor
    form = page.get_by_test_id("new-draft-form")
    form.get_by_label("Thủ tục").select_option(CODE)
    form.get_by_label("Tệp BPMN nhập vào").check()
    upload = tmp_path / "thu-nhac-viec-v2.bpmn"
    upload.write_text(reminder_v2(REMINDER.read_text()), encoding="utf-8")
    form.get_by_label("Tệp BPMN", exact=True).set_input_files(str(upload))
    form.get_by_role("button", name="Tạo bản nháp").click()
    draft = ProcessDraft.objects.get(procedure__code=CODE, status="draft")
    expect(page).to_have_url(f"{base}/studio/drafts/{draft.pk}/")
    expect(page.get_by_test_id("studio")).to_have_attribute("data-ready", "")
    # the file has no drawing (BPMNDI): the studio lays it out, and deploying saves the drawing first
    expect(page.get_by_test_id("studio")).to_have_attribute("data-laid-out", "")
    expect(page.locator('.djs-element[data-element-id="ky"]')).to_be_visible()
    expect(page.locator("#studio-status")).to_contain_text("MotCua đã tự dàn trang")
    pages.shot(page, "studio-migrate-00-imported-laid-out")
    page.get_by_test_id("studio-deploy").click()
    expect(page.locator(".message-success")).to_contain_text("Đã triển khai phiên bản 2")
    expect(page.get_by_test_id(f"version-{CODE}-1")).to_contain_text("2 hồ sơ đang xử lý")
    pages.shot(page, "studio-migrate-01-two-versions")

    assert "BPMNShape" in ProcessVersion.objects.get(procedure__code=CODE, number=2).bpmn_xml

    # a dossier received now runs on version 2; the older ones are still on version 1
    new = receive(CODE)
    assert new.version.number == 2 and new.work_items.get(status="open").bpmn_id == "xu_ly"
    moved.refresh_from_db()
    assert moved.version.number == 1

    # dry run: what would happen, nothing changed
    before, due_at = state(moved), moved.due_at
    page.get_by_test_id(f"migrate-{CODE}").click()
    expect(page).to_have_url(f"{base}/studio/procedures/{CODE}/migrate/")
    expect(page.get_by_label("Từ phiên bản")).to_have_value("1")
    expect(page.get_by_label("Sang phiên bản")).to_have_value("2")
    page.get_by_label("Chỉ các hồ sơ").fill(moved.code)
    page.get_by_test_id("migrate-plan").click()
    report = page.get_by_test_id("migrate-report")
    expect(report).to_have_attribute("data-dry-run", "1")
    row = page.get_by_test_id(f"migrate-row-{moved.code}")
    expect(row).to_have_attribute("data-status", "planned")
    expect(row).to_contain_text(f"Giữ: {item.claimed_by.username} (xu_ly)")
    expect(row).to_contain_text(item.name)
    expect(row).to_contain_text(timer.due_at.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M"))
    assert state(moved) == before
    pages.shot(page, "studio-migrate-02-dry-run", full_page=True)

    # the real run (the button asks first)
    page.get_by_test_id("migrate-run").click()
    expect(report).to_have_attribute("data-dry-run", "0")
    expect(row).to_have_attribute("data-status", "migrated")
    expect(page.locator(".message-success")).to_contain_text("Đã chuyển 1 hồ sơ sang phiên bản 2")
    pages.shot(page, "studio-migrate-03-migrated", full_page=True)
    moved.refresh_from_db()
    item.refresh_from_db()
    assert moved.version.number == 2 and moved.due_at == due_at
    assert item.status == "open" and item.claimed_by is not None
    assert list(moved.timers.filter(kind="diagram").values_list("pk", "status")) == [(timer.pk, "scheduled")]
    assert moved.events.filter(kind="version_migrated", actor__username="thietke").count() == 1

    # the migrated dossier goes on to version 2's new step; the one left on version 1 finishes there
    complete_work_item(item_id=item.pk, actor=specialist())
    assert moved.work_items.get(status="open").bpmn_id == "ky"
    complete_work_item(item_id=stays.work_items.get(status="open").pk, actor=specialist())
    stays.refresh_from_db()
    assert stays.status == "processed" and stays.version.number == 1
    assert not stays.work_items.filter(bpmn_id="ky").exists()
    assert ProcessVersion.objects.filter(procedure__code=CODE).count() == 2
    assert errors == []


def test_a_submitted_draft_opens_in_a_viewer_not_the_modeler(tdemo, browser, open_context, live_server, settings):
    from processes.services import studio

    settings.MOTCUA_DEPLOY_APPROVAL = True
    designer = Actor(user=user("thietke"))
    draft = studio.create_draft(actor=designer, procedure_code="nhan-cha-me-con")
    studio.submit_draft(draft_id=draft.pk, actor=designer)
    expect = browser.expect
    page = open_context().new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    pages.sign_in(page, live_server.url, "thietke2", path=f"/studio/drafts/{draft.pk}/")
    studio_root = page.get_by_test_id("studio")
    expect(studio_root).to_have_attribute("data-ready", "")
    expect(studio_root).to_have_attribute("data-mode", "view")
    expect(page.locator('.djs-element[data-element-id="kiem_tra_ho_so"]')).to_be_visible()
    expect(page.locator(".djs-palette")).to_have_count(0)
    expect(page.locator(".bio-properties-panel")).to_have_count(0)
    expect(page.get_by_test_id("studio-approve")).to_be_visible()
    expect(page.get_by_test_id("studio-draft-diff")).to_be_visible()
    pages.shot(page, "studio-submitted-viewer")
    page.get_by_test_id("studio-draft-diff").click()
    expect(page.get_by_test_id("diff-draft")).to_contain_text(f"Bản nháp #{draft.pk} so với phiên bản 1")
    assert errors == []
