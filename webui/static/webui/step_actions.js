/* The step page's supplementation list (webui/templates/webui/_step_actions.html): "add another document" appends
   a row from the <template>. Without JavaScript the form offers five empty rows and works the same. */
(function () {
  "use strict";
  function setUp(form) {
    var rows = form.querySelector("[data-rows]");
    var template = form.querySelector("template[data-row-template]");
    var button = form.querySelector("[data-add-row]");
    if (!rows || !template || !button || button.dataset.ready) return;
    button.dataset.ready = "1";
    button.hidden = false;
    button.addEventListener("click", function () {
      var index = parseInt(rows.getAttribute("data-next-index"), 10) || rows.children.length;
      if (index >= 50) { button.disabled = true; return; }
      var html = template.innerHTML.replace(/__N__/g, String(index));
      var holder = document.createElement("div");
      holder.innerHTML = html.trim();
      var row = holder.firstElementChild;
      rows.appendChild(row);
      rows.setAttribute("data-next-index", String(index + 1));
      var first = row.querySelector("input[type=text]");
      if (first) first.focus();
    });
  }
  function init() {
    document.querySelectorAll("form[data-supplement-form]").forEach(setUp);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
