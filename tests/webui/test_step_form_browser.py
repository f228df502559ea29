"""A step with a form-js schema in real headless Chromium: form-js's Viewer renders the form; the Viewer's own check
(in Vietnamese) stops an empty submission; a value the server refuses comes back with the server's message at the
Viewer's field; fixed, the step completes. Without JavaScript, the plain form from the same schema does the same.
Screenshots: tests/artifacts/stepform-*.png."""
import re

from processes.models import Dossier, WorkItem

from ..processes.helpers import at
from . import pages
from .helpers import open_step, receive

VIEWPORT = {"width": 1366, "height": 900}  # the Viewer's form and its messages in one screen


def shot(page, name):
    pages.shot(page, f"stepform-{name}", full_page=True)


def sign_in(page, base, username, path):
    pages.sign_in(page, base, username, path=path)


FORGE = """() => {
  const form = document.querySelector("form[data-stepform]");
  form.querySelector("input[name=formjs_data]").value = JSON.stringify({needs_verification: "có"});
  HTMLFormElement.prototype.submit.call(form);  // no submit event: as a client that skipped the Viewer's check
}"""


def test_the_viewer_renders_the_schema_and_the_server_checks_it_again(tdemo, browser, open_context, live_server):
    base = live_server.url
    expect = browser.expect
    at("2026-12-02 09:00")
    dossier = receive("nhan-cha-me-con")
    item = open_step(dossier)
    errors = []
    page = open_context(viewport=VIEWPORT, locale="vi-VN").new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, base, "tuphap.hiepduc", f"/steps/{item.pk}/")
    expect(page).to_have_url(f"{base}/steps/{item.pk}/")

    # form-js's Viewer replaces the plain inputs
    form = page.locator("form[data-stepform]")
    expect(form).to_have_attribute("data-stepform-ready", "")
    viewer = page.get_by_test_id("stepform-viewer")
    expect(viewer.locator(".fjs-form")).to_be_visible()
    expect(viewer).to_contain_text("Cần xác minh quan hệ cha, mẹ, con?")
    expect(viewer).to_contain_text("Điều 25 Luật Hộ tịch")
    expect(page.get_by_test_id("stepform-fallback")).to_be_hidden()
    expect(page.locator("#stepform-fallback input").first).to_be_disabled()  # not posted
    yes = viewer.get_by_role("radio", name="Có", exact=True)
    no = viewer.get_by_role("radio", name="Không", exact=True)
    expect(yes).to_be_visible()
    expect(no).to_be_visible()
    shot(page, "01-viewer")

    # nothing chosen: the Viewer's own check, in Vietnamese; nothing is posted
    page.get_by_role("button", name="Hoàn thành bước").click()
    expect(viewer.locator(".fjs-form-field-error")).to_have_text("Hãy chọn một phương án.")
    expect(page).to_have_url(f"{base}/steps/{item.pk}/")
    assert WorkItem.objects.get(pk=item.pk).status == "open"
    shot(page, "02-viewer-required")

    # a value only the server refuses: its message at the Viewer's field and in the summary
    page.evaluate(FORGE)
    expect(page.get_by_test_id("form-errors")).to_contain_text(
        "Cần xác minh quan hệ cha, mẹ, con?: Phải là Có hoặc Không (true hoặc false).")
    expect(form).to_have_attribute("data-stepform-ready", "")
    field_error = viewer.locator(".fjs-form-field-error")
    expect(field_error).to_have_text("Phải là Có hoặc Không (true hoặc false).")
    expect(yes).to_be_focused()  # the first input of the first field in error
    no.focus()
    page.get_by_test_id("form-errors").get_by_role("link", name="Cần xác minh quan hệ cha, mẹ, con?").click()
    expect(yes).to_be_focused()  # the summary's link leads to the Viewer's field
    assert WorkItem.objects.get(pk=item.pk).status == "open"
    shot(page, "03-server-error")

    # fixed with the keyboard: the field's error goes, the step completes
    no.focus()
    page.keyboard.press("Space")
    expect(no).to_be_checked()
    expect(field_error).to_have_count(0)
    page.get_by_role("button", name="Hoàn thành bước").press("Enter")
    expect(page).to_have_url(base + "/inbox/")
    expect(page.locator(".message-success")).to_contain_text(f"Đã hoàn thành bước “Kiểm tra hồ sơ” của hồ sơ {dossier.code}")
    shot(page, "04-completed")
    done = WorkItem.objects.get(pk=item.pk)
    assert done.status == "completed" and Dossier.objects.get(pk=dossier.pk).data["needs_verification"] is False
    assert open_step(dossier).bpmn_id == "trinh_ky"
    assert errors == []


def test_without_javascript_the_plain_form_from_the_schema_works(tdemo, browser, open_context, live_server):
    base = live_server.url
    expect = browser.expect
    at("2026-12-02 09:00")
    dossier = receive("nhan-cha-me-con")
    item = open_step(dossier)
    page = open_context(java_script_enabled=False).new_page()
    sign_in(page, base, "tuphap.hiepduc", f"/steps/{item.pk}/")
    fallback = page.get_by_test_id("stepform-fallback")
    expect(fallback).to_be_visible()
    expect(page.get_by_test_id("stepform-viewer")).to_be_hidden()
    page.get_by_role("button", name="Hoàn thành bước").click()
    expect(page.locator("#err-needs_verification")).to_have_text("Hãy chọn một phương án.")
    group = page.get_by_role("group", name=re.compile("Cần xác minh quan hệ cha, mẹ, con?"))
    expect(group.get_by_role("radio", name="Có", exact=True)).to_have_attribute("aria-invalid", "true")
    shot(page, "05-no-javascript-error")
    group.get_by_role("radio", name="Có", exact=True).check()
    page.get_by_role("button", name="Hoàn thành bước").click()
    expect(page).to_have_url(base + "/inbox/")
    assert Dossier.objects.get(pk=dossier.pk).data["needs_verification"] is True
    assert open_step(dossier).bpmn_id == "xac_minh"
