/* The auditors' diagrams (webui/views_audit.py; data from processes/step_times.py): draws the procedure version's
   BPMN with bpmn-js's NavigatedViewer (vendor/bpmn-navigated-viewer.min.js, global `BpmnJS`) from the JSON the page
   carries (#audit-diagram-data), then
   - mode "dossier": marks each step of the dossier (audit-completed, audit-active, audit-overdue) and puts the time
     spent on it in an overlay; the start events and the end event reached are marked completed;
   - mode "heatmap": colours each step by its heat bucket for the chosen metric (audit-heat-0..5, audit-heat-relative
     for a step compared with the slowest one) and puts median / p90 / late share in an overlay; the metric select
     of the filters re-colours at once.
   The page says the same in a table under the diagram, so nothing here is needed to read it. */
(function () {
  "use strict";

  var HEAT_CLASSES = ["audit-heat-0", "audit-heat-1", "audit-heat-2", "audit-heat-3", "audit-heat-4", "audit-heat-5"];

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function markDossier(viewer, data) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var overlays = viewer.get("overlays");
    registry.filter(function (shape) {
      return shape.type === "bpmn:StartEvent" && shape.businessObject.$parent &&
        shape.businessObject.$parent.$type === "bpmn:Process";
    }).forEach(function (shape) { canvas.addMarker(shape.id, "audit-completed"); });
    if (data.reached_end && registry.get(data.reached_end)) {
      canvas.addMarker(data.reached_end, "audit-completed");
    }
    data.steps.forEach(function (step) {
      var shape = registry.get(step.id);
      if (!shape) { return; }
      if (step.completed) { canvas.addMarker(step.id, "audit-completed"); }
      if (step.active) { canvas.addMarker(step.id, "audit-active"); }
      if (step.overdue) { canvas.addMarker(step.id, "audit-overdue"); }
      if (!step.label) { return; }
      var badge = element("div", "audit-time" + (step.overdue ? " is-overdue" : step.active ? " is-active" : ""),
                          step.label);
      badge.title = step.title;
      badge.setAttribute("data-step", step.id);
      overlays.add(step.id, "audit-time", { position: { bottom: 6, left: 4 }, html: badge });
    });
  }

  function colourHeat(viewer, data, metric) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    data.steps.forEach(function (step) {
      if (!registry.get(step.id)) { return; }
      HEAT_CLASSES.forEach(function (name) { canvas.removeMarker(step.id, name); });
      canvas.addMarker(step.id, HEAT_CLASSES[step.bucket[metric] || 0]);
      if (step.basis === "relative") { canvas.addMarker(step.id, "audit-heat-relative"); }
    });
    viewer._container.setAttribute("data-metric", metric);
  }

  function markHeatmap(viewer, data) {
    var registry = viewer.get("elementRegistry");
    var overlays = viewer.get("overlays");
    colourHeat(viewer, data, data.metric);
    data.steps.forEach(function (step) {
      if (!registry.get(step.id) || !step.lines.length) { return; }
      var box = element("div", "audit-heat-label");
      box.title = step.title;
      box.setAttribute("data-step", step.id);
      step.lines.forEach(function (line) { box.appendChild(element("div", "", line)); });
      overlays.add(step.id, "audit-heat", { position: { bottom: -4, left: -20 }, html: box });
    });
    var select = document.getElementById("id_metric");
    if (select) {
      select.addEventListener("change", function () {
        if (select.value) { colourHeat(viewer, data, select.value); }
      });
    }
  }

  function tools(wrap, viewer) {
    var bar = wrap.querySelector(".audit-diagram-tools");
    if (!bar) { return; }
    bar.hidden = false;
    bar.addEventListener("click", function (event) {
      var button = event.target.closest("[data-diagram-action]");
      if (!button) { return; }
      var canvas = viewer.get("canvas");
      var action = button.getAttribute("data-diagram-action");
      if (action === "fit") { canvas.zoom("fit-viewport", "auto"); }
      if (action === "zoom-in") { canvas.zoom(canvas.zoom() * 1.2); }
      if (action === "zoom-out") { canvas.zoom(canvas.zoom() / 1.2); }
    });
  }

  function draw() {
    var source = document.getElementById("audit-diagram-data");
    var container = document.getElementById("audit-diagram");
    if (!source || !container) { return; }
    var data = JSON.parse(source.textContent);
    var wrap = container.parentNode;
    var error = wrap.querySelector(".audit-diagram-error");
    function fail(reason, message) {
      container.hidden = true;
      if (error) { error.textContent = message || data.labels.error; error.hidden = false; }
      container.setAttribute("data-ready", "error");
      if (window.console) { window.console.warn("audit diagram:", reason); }
    }
    if (typeof BpmnJS === "undefined") { fail("bpmn-js is missing"); return; }
    // A version deployed from a file without its drawing (hand-written or generated BPMN) has nothing to draw.
    if (!/<(\w+:)?BPMNShape\b/.test(data.xml)) { fail("no BPMNDI", data.labels.no_drawing); return; }
    container.hidden = false;
    var viewer = new BpmnJS({ container: container });
    viewer._container = container;
    viewer.importXML(data.xml).then(function () {
      viewer.get("canvas").zoom("fit-viewport", "auto");
      if (data.mode === "dossier") { markDossier(viewer, data); } else { markHeatmap(viewer, data); }
      tools(wrap, viewer);
      container.setAttribute("data-ready", "true");
      window.motcuaAuditDiagram = viewer;
    }).catch(fail);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
