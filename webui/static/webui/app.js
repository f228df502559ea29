// What the pages need beyond htmx: a visible message when an htmx request fails (htmx swaps nothing on an error
// answer or a lost connection, so a click would otherwise seem to do nothing).
(function () {
  "use strict";
  function show(text) {
    var box = document.getElementById("request-error");
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
  }
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    show(document.body.dataset.msgResponseError.replace("{status}", String(status)));
  });
  document.addEventListener("htmx:sendError", function () {
    show(document.body.dataset.msgSendError);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var box = document.getElementById("request-error");
    if (box && event.detail.successful) box.hidden = true;
  });
})();

// A form posted after the session expired comes back filled in after signing in (webui/auth.py keep_unsent_form):
// the fields go back into the form on this page that posts to the same address; the official checks and sends again.
(function () {
  "use strict";
  function restore() {
    var data = document.getElementById("unsent-form");
    if (!data) return;
    var kept = JSON.parse(data.textContent);
    var forms = Array.prototype.filter.call(document.forms, function (form) {
      return new URL(form.action, location.href).pathname === kept.action;
    });
    var form = forms[0];
    if (!form) return;
    Object.keys(kept.fields).forEach(function (name) {
      var values = kept.fields[name];
      var inputs = form.querySelectorAll("[name='" + CSS.escape(name) + "']");
      Array.prototype.forEach.call(inputs, function (input, index) {
        if (input.type === "file" || input.type === "hidden" || input.type === "password") return;
        if (input.type === "checkbox" || input.type === "radio") {
          input.checked = values.indexOf(input.value) !== -1;
        } else if (input.tagName === "SELECT" && input.multiple) {
          Array.prototype.forEach.call(input.options, function (o) { o.selected = values.indexOf(o.value) !== -1; });
        } else if (values[index] !== undefined) {
          input.value = values[index];
        }
      });
    });
    var notice = document.getElementById("unsent-form-notice");
    if (notice) {
      if (kept.had_files) {
        var p = document.createElement("p");
        p.textContent = notice.dataset.msgFiles;
        notice.appendChild(p);
      }
      notice.hidden = false;
    }
    var first = form.querySelector("input:not([type=hidden]), textarea, select");
    if (first) first.focus();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", restore);
  else restore();
})();

// A button that does something hard to undo asks first (data-confirm on the submit button).
(function () {
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) event.preventDefault();
  });
})();
