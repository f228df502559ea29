"""The designer studio in real headless Chromium (issue 5): a designer opens a procedure, creates a draft, adds a
step with bpmn-js (through its API: modeling.createShape, as a drag would), saves, sees the server's routing error
DRAWN on that step (marker and overlay on its element) and listed, clicks the listed problem to select the step,
fixes the lane's routing in the properties panel's MotCua group, saves clean and deploys version 2.
Screenshots: tests/artifacts/studio-*.png."""
import re

from processes.models import DraftStatus, ProcessDraft, ProcessVersion

from . import pages

CODE = "nhan-cha-me-con"
VIEWPORT = {"width": 1366, "height": 900}

ADD_STEP = """() => {
  const m = window.motcuaStudio.modeler;
  const registry = m.get('elementRegistry'), modeling = m.get('modeling');
  const participant = registry.get('participant_nhan_cha_me_con');
  const lane = modeling.addLane(participant, 'bottom');
  const bo = m.get('bpmnFactory').create('bpmn:UserTask', { id: 'vao_so_ho_tich', name: 'Vào Sổ hộ tịch' });
  const shape = m.get('elementFactory').createShape({ type: 'bpmn:UserTask', businessObject: bo });
  const task = modeling.createShape(shape, { x: 1290, y: lane.y + lane.height / 2 }, participant);
  const flow = registry.get('flow_gw_phe_duyet_to_end_cap_trich_luc');
  modeling.reconnectEnd(flow, task, { x: task.x, y: task.y + task.height / 2 });
  modeling.connect(task, registry.get('end_cap_trich_luc'));
  return { task: task.id, lane: lane.id, lanes: task.businessObject.lanes ? task.businessObject.lanes.map(l => l.id) : [] };
}"""


def select(page, element_id):
    page.evaluate("(id) => { const m = window.motcuaStudio.modeler;"
                  " m.get('selection').select(m.get('elementRegistry').get(id)); }", element_id)


def open_group(group):
    header = group.locator(".bio-properties-panel-group-header")
    if "open" not in (header.get_attribute("class") or ""):
        header.click()


def shot(page, name):
    pages.shot(page, f"studio-{name}")


def open_new_draft(browser, open_context, base, code):
    """Signs the designer in and opens a new draft of `code` in the Modeler; (page, studio, errors)."""
    errors = []
    page = open_context(viewport=VIEWPORT).new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    pages.sign_in(page, base, "thietke", path="/studio/")
    page.get_by_test_id(f"procedure-{code}").get_by_role("button", name="Bản nháp mới").click()
    studio = page.get_by_test_id("studio")
    browser.expect(studio).to_have_attribute("data-ready", "")
    return page, studio, errors


def test_designer_adds_a_step_sees_the_routing_error_on_it_fixes_it_and_deploys_version_2(
        tdemo, browser, open_context, live_server):
    base = live_server.url
    expect = browser.expect
    errors = []
    page = open_context(viewport=VIEWPORT).new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)  # /favicon.ico
    pages.sign_in(page, base, "thietke", path="/studio/")
    expect(page).to_have_url(f"{base}/studio/")
    expect(page.get_by_role("link", name="Thiết kế quy trình")).to_have_attribute("aria-current", "page")
    row = page.get_by_test_id(f"procedure-{CODE}")
    expect(row).to_contain_text("v1")
    shot(page, "01-procedures")

    # a new draft from the latest version: the Modeler opens it
    row.get_by_role("button", name="Bản nháp mới").click()
    draft = ProcessDraft.objects.get(procedure__code=CODE, status=DraftStatus.DRAFT)
    expect(page).to_have_url(f"{base}/studio/drafts/{draft.pk}/")
    studio = page.get_by_test_id("studio")
    expect(studio).to_have_attribute("data-ready", "")
    expect(page.locator('.djs-element[data-element-id="kiem_tra_ho_so"]')).to_be_visible()
    expect(page.locator(".bio-properties-panel")).to_be_visible()
    shot(page, "02-editor")

    # a step in a new lane (no routing yet), saved: the server's error is drawn on the step
    added = page.evaluate(ADD_STEP)
    assert added == {"task": "vao_so_ho_tich", "lane": added["lane"], "lanes": [added["lane"]]}
    page.get_by_test_id("studio-save").click()
    expect(studio).to_have_attribute("data-revision", "2")
    problems = page.get_by_test_id("studio-problems")
    expect(problems).to_contain_text("whose name is not a route")
    step = page.locator('.djs-element[data-element-id="vao_so_ho_tich"]')
    expect(step).to_have_class(re.compile(r"\bmotcua-problem\b"))  # the marker: a red outline
    badge = page.locator('.djs-overlays[data-container-id="vao_so_ho_tich"] .studio-problem-badge')
    expect(badge).to_be_visible()
    expect(badge).to_have_attribute("aria-label", re.compile("whose name is not a route"))
    assert ProcessDraft.objects.get(pk=draft.pk).problems[0]["element_id"] == "vao_so_ho_tich"
    page.evaluate("window.motcuaStudio.modeler.get('canvas').scrollToElement("
                  "window.motcuaStudio.modeler.get('elementRegistry').get('vao_so_ho_tich'))")
    shot(page, "03-error-drawn")

    # the listed problem selects its step; the MotCua group gives it its time
    problems.get_by_role("button", name="Vào Sổ hộ tịch").first.click()
    panel = page.locator(".bio-properties-panel")
    expect(panel.locator(".bio-properties-panel-header-label")).to_have_text("Vào Sổ hộ tịch")
    motcua = panel.locator('[data-group-id="group-motcua"]')
    expect(motcua).to_be_visible()
    open_group(motcua)
    motcua.get_by_label("Đơn vị thời gian").select_option("days")
    motcua.get_by_label("Thời gian phân bổ").fill("0.5")
    expect(motcua.get_by_test_id("studio-edit-form")).to_be_visible()
    shot(page, "04-step-properties")

    # the lane's routing, in the MotCua group: role and place
    # the panel's inputs are debounced: the value is in the model once the designer moves on
    page.wait_for_function("() => /allocation_days/.test(JSON.stringify(window.motcuaStudio.modeler.get("
                           "'elementRegistry').get('vao_so_ho_tich').businessObject.extensionElements"
                           " && window.motcuaStudio.modeler.get('elementRegistry').get('vao_so_ho_tich')"
                           ".businessObject.extensionElements.values[0].properties.map(p => p.name + '=' + p.value)))")
    page.evaluate("(id) => { const m = window.motcuaStudio.modeler;"
                  " m.get('selection').select(m.get('elementRegistry').get(id)); }", added["lane"])
    open_group(motcua)
    motcua.get_by_label("Vai trò xử lý").select_option("specialist")
    motcua.get_by_label("Nơi xử lý").select_option("self")
    expect(panel.locator(".bio-properties-panel-header-label")).to_have_text("specialist@self")
    shot(page, "05-lane-routing")

    # the first check gives the new step half a day of its two (the statutory budget), in the panel too
    select(page, "kiem_tra_ho_so")
    open_group(motcua)
    expect(motcua.get_by_label("Thời gian phân bổ")).to_have_value("2")
    motcua.get_by_label("Thời gian phân bổ").fill("1.5")
    page.wait_for_function("() => /1\\.5/.test(window.motcuaStudio.modeler.get('elementRegistry').get('kiem_tra_ho_so')"
                           ".businessObject.extensionElements.values[0].properties.map(p => p.value).join())")

    # a gateway's condition, checked by the server as it is typed
    select(page, "flow_gw_phe_duyet_to_end_cap_trich_luc")
    open_group(motcua)
    condition = motcua.get_by_test_id("studio-condition")
    verdict = motcua.get_by_test_id("studio-condition-verdict")
    expect(condition).to_have_value("approved == True")
    expect(verdict).to_have_text("Điều kiện hợp lệ.")
    condition.fill("__import__('os').system('x')")
    expect(verdict).not_to_have_text("Điều kiện hợp lệ.")
    expect(condition).to_have_attribute("aria-invalid", "true")
    shot(page, "06-condition-refused")
    condition.fill("approved == True")
    expect(verdict).to_have_text("Điều kiện hợp lệ.")
    page.wait_for_timeout(400)

    # saved clean: no marker, no overlay, nothing listed
    page.get_by_test_id("studio-save").click()
    expect(studio).to_have_attribute("data-revision", "3")
    expect(studio).to_have_attribute("data-problems", "0")
    expect(page.locator("#studio-problems-summary")).to_have_text("Máy chủ không thấy lỗi nào.")
    expect(page.locator(".studio-problem-badge")).to_have_count(0)
    expect(step).not_to_have_class(re.compile(r"\bmotcua-problem\b"))
    assert ProcessDraft.objects.get(pk=draft.pk).problems == []
    shot(page, "07-saved-clean")

    # deployed: version 2, the list says so
    page.get_by_test_id("studio-deploy").click()
    expect(page).to_have_url(re.compile(rf"{base}/studio/#procedure-{CODE}$"))
    expect(page.locator(".message-success")).to_contain_text("Đã triển khai phiên bản 2")
    expect(row).to_contain_text("v2")
    version = ProcessVersion.objects.get(procedure__code=CODE, number=2)
    assert "vao_so_ho_tich" in version.bpmn_xml and "specialist@self" in version.bpmn_xml
    assert ProcessDraft.objects.get(pk=draft.pk).status == DraftStatus.DEPLOYED
    shot(page, "08-deployed")

    # the diff of v1 and v2 lists the new step
    page.get_by_role("link", name="So sánh phiên bản").click()
    expect(page.get_by_test_id("diff-added")).to_contain_text("vao_so_ho_tich")
    expect(page.get_by_test_id("diff-changed")).to_contain_text("kiem_tra_ho_so")
    shot(page, "09-diff")
    assert errors == []


def test_a_steps_form_is_edited_in_form_js_editor_and_kept_in_the_diagram(tdemo, browser, open_context, live_server):
    """The MotCua group's form entry opens bpmn.io's form-js Editor in a dialog with the step's zeebe:userTaskForm;
    applied, the schema goes back into the diagram, and the save keeps both extensions (spiffworkflow properties,
    zeebe form) as the server reads them."""
    base = live_server.url
    expect = browser.expect
    page, studio, errors = open_new_draft(browser, open_context, base, "giay-phep-xay-dung")
    select(page, "tham_dinh_hien_trang")
    motcua = page.locator('.bio-properties-panel [data-group-id="group-motcua"]')
    open_group(motcua)
    expect(motcua).to_contain_text("form_tham_dinh_hien_trang · 2")
    expect(motcua.get_by_label("Thời gian phân bổ")).to_have_value("7")
    motcua.get_by_test_id("studio-edit-form").click()
    dialog = page.locator("#studio-form-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".fjs-editor-container")).to_be_visible()
    expect(dialog).to_contain_text("Hồ sơ có đủ điều kiện cấp giấy phép xây dựng không?")
    page.evaluate("""async () => {
      const editor = window.motcuaStudio.formEditor();
      const schema = editor.saveSchema();
      schema.components.push({ type: 'textfield', key: 'ghi_chu', label: 'Ghi chú thẩm định', id: 'field_ghi_chu' });
      await editor.importSchema(schema);
    }""")
    expect(dialog).to_contain_text("Ghi chú thẩm định")
    shot(page, "10-form-editor")
    dialog.get_by_role("button", name="Áp dụng").click()
    expect(dialog).to_be_hidden()
    expect(motcua).to_contain_text("form_tham_dinh_hien_trang · 3")
    page.get_by_test_id("studio-save").click()
    expect(studio).to_have_attribute("data-revision", "2")
    draft = ProcessDraft.objects.get(procedure__code="giay-phep-xay-dung", status=DraftStatus.DRAFT)
    assert "ghi_chu" in draft.bpmn_xml and 'formKey="camunda-forms:bpmn:form_tham_dinh_hien_trang"' in draft.bpmn_xml
    assert '<spiffworkflow:property name="allocation_days" value="7"' in draft.bpmn_xml
    assert draft.problems == [], draft.problems
    expect(page.locator("#studio-problems-summary")).to_have_text("Máy chủ không thấy lỗi nào.")
    assert errors == []


def test_a_case_diagrams_ends_say_what_they_mean_and_its_steps_which_limit_they_start(
        tdemo, browser, open_context, live_server):
    """For a case (here a denunciation) the MotCua group offers an end event's case_outcome and a step's clock_phase
    (the catalogue's phases); an end left without its outcome is the server's problem, drawn on it, until chosen again.
    An administrative procedure's end events have no such entry."""
    base = live_server.url
    expect = browser.expect
    page, studio, errors = open_new_draft(browser, open_context, base, "to-cao")
    motcua = page.locator('.bio-properties-panel [data-group-id="group-motcua"]')

    select(page, "xac_minh")
    open_group(motcua)
    phase = motcua.get_by_label("Bắt đầu giai đoạn thời hạn")
    expect(phase).to_have_value("resolution")
    assert "Giải quyết (resolution)" in phase.locator("option").all_inner_texts()

    select(page, "end_chuyen_don")
    open_group(motcua)
    outcome = motcua.get_by_label("Kết quả vụ việc (để thống kê)")
    expect(outcome).to_have_value("forwarded")
    assert outcome.locator("option").all_inner_texts() == [
        "—", "Đã giải quyết, trả lời (resolved)", "Không thụ lý, từ chối (not_accepted)",
        "Chuyển cơ quan có thẩm quyền (forwarded)"]
    shot(page, "11-case-outcome")

    # left without its outcome: refused at that end once saved
    outcome.select_option("")
    page.get_by_test_id("studio-save").click()
    expect(studio).to_have_attribute("data-revision", "2")
    expect(page.get_by_test_id("studio-problems")).to_contain_text("lacks the property case_outcome")
    expect(page.locator('.djs-element[data-element-id="end_chuyen_don"]')).to_have_class(
        re.compile(r"\bmotcua-problem\b"))
    shot(page, "12-case-outcome-missing")
    select(page, "end_chuyen_don")
    open_group(motcua)
    motcua.get_by_label("Kết quả vụ việc (để thống kê)").select_option("forwarded")
    page.get_by_test_id("studio-save").click()
    expect(studio).to_have_attribute("data-revision", "3")
    expect(studio).to_have_attribute("data-problems", "0")
    draft = ProcessDraft.objects.get(procedure__code="to-cao", status=DraftStatus.DRAFT)
    assert '<spiffworkflow:property name="case_outcome" value="forwarded"' in draft.bpmn_xml

    # an administrative procedure's end: nothing to declare
    page.goto(f"{base}/studio/")
    page.get_by_test_id(f"procedure-{CODE}").get_by_role("button", name="Bản nháp mới").click()
    expect(studio).to_have_attribute("data-ready", "")
    select(page, "end_cap_trich_luc")
    expect(page.locator(".bio-properties-panel-header-label")).to_have_text("Cấp trích lục")
    expect(motcua).to_have_count(0)
    assert errors == []
