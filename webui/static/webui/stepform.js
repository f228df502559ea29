// Step forms with bpmn.io form-js (webui/templates/webui/_step_form.html, webui/stepform.py).
//
// The page carries the step's form-js schema, the dossier's current values and the server's messages as JSON
// (json_script). Here form-js's Viewer (vendor/form-viewer.umd.js, global FormViewer) renders the schema; the plain
// HTML inputs generated from the same schema are then disabled and hidden, so only the Viewer's data is posted: on
// submit, the Viewer's data goes as JSON into the hidden input `formjs_data` of the normal POST form (CSRF token
// included). The server checks it again against the schema (engine/forms.py); its messages come back at the fields,
// in the Viewer too. Without JavaScript, or if the Viewer fails, the plain inputs stay: the form still works.
(function () {
  "use strict";

  // form-js's own messages (Validator.js, form-js 1.23) in Vietnamese, the same words as engine/forms.py.
  var VI = [
    [/^Field is required\.$/, function () { return "Trường này là bắt buộc."; }],
    [/^Field must have minimum length of (\d+)\.$/, function (m) { return "Cần ít nhất " + m[1] + " ký tự."; }],
    [/^Field must have maximum length of (\d+)\.$/, function (m) { return "Không được quá " + m[1] + " ký tự."; }],
    [/^Field must have minimum value of (.+)\.$/, function (m) { return "Giá trị nhỏ nhất là " + m[1] + "."; }],
    [/^Field must have maximum value of (.+)\.$/, function (m) { return "Giá trị lớn nhất là " + m[1] + "."; }],
    [/^Field must match pattern /, function () { return "Không đúng định dạng yêu cầu."; }],
    [/^Field must be a valid\s+international phone number/, function () {
      return "Số điện thoại không hợp lệ: ghi theo dạng quốc tế, ví dụ +84912345678.";
    }],
    [/^Field must be a valid email\.$/, function () { return "Địa chỉ thư điện tử không hợp lệ."; }],
    [/^Value is not a number\.$/, function () { return "Phải là một số."; }],
    [/^Value is expected to be an integer\.$/, function () { return "Phải là số nguyên."; }],
    [/^Value is expected to have at most (\d+) decimal digits?\.$/, function (m) {
      return "Tối đa " + m[1] + " chữ số thập phân.";
    }],
    [/^Please select a valid value, the two nearest valid values are (.+) and (.+)\.$/, function (m) {
      return "Hãy chọn giá trị hợp lệ; hai giá trị gần nhất là " + m[1] + " và " + m[2] + ".";
    }]
  ];

  // "Field is required." by kind of field, as engine/forms.py words it.
  var REQUIRED = {
    checkbox: "Hãy đánh dấu ô này.", radio: "Hãy chọn một phương án.", select: "Hãy chọn một phương án.",
    checklist: "Hãy chọn ít nhất một phương án.", taglist: "Hãy chọn ít nhất một phương án."
  };

  function translate(message, type) {
    if ((document.documentElement.lang || "vi").slice(0, 2) !== "vi") return message;
    if (message === "Field is required." && REQUIRED[type]) return REQUIRED[type];
    for (var i = 0; i < VI.length; i++) {
      var m = VI[i][0].exec(message);
      if (m) return VI[i][1](m);
    }
    return message;
  }

  function readJson(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  // The keys of the schema's fields (nested groups included): only these are restored.
  function schemaKeys(schema, into) {
    into = into || {};
    ((schema && schema.components) || []).forEach(function (c) {
      if (c.key) into[c.key] = true;
      if (c.components) schemaKeys(c, into);
    });
    return into;
  }

  function fieldsByKey(viewer) {
    var byKey = {};
    viewer.get("formFieldRegistry").getAll().forEach(function (field) {
      if (field.key) byKey[field.key] = field;
    });
    return byKey;
  }

  // The server's messages at the Viewer's fields: form-js shows a field's errors under it, wired with
  // aria-describedby; a field's error goes away when the official changes it (form-js validates it again).
  function showServerErrors(viewer, errors) {
    var byKey = fieldsByKey(viewer);
    var state = {};
    Object.keys(errors || {}).forEach(function (key) {
      if (byKey[key]) state[byKey[key].id] = [errors[key]];
    });
    if (Object.keys(state).length) viewer._setState({ errors: state });
    return state;
  }

  // After form-js has rendered the errors (it renders asynchronously): the first input marked invalid.
  function focusFirstError(container) {
    window.setTimeout(function () {
      var field = container.querySelector("[aria-invalid='true']");
      if (field) field.focus();
    }, 0);
  }

  // form-js gives a field's inputs ids "fjs-form-<form id>-<field id>[-n]".
  function formFieldPrefix(container, field) {
    var any = container.querySelector("[id^='fjs-form-']");
    var match = any && /^fjs-form-[^-]+-/.exec(any.id);
    return (match ? match[0] : "fjs-form-") + field.id;
  }

  function start(form) {
    var container = form.querySelector(".stepform-viewer");
    var fallback = form.querySelector(".stepform-fallback");
    if (!container || !fallback || !window.FormViewer) return;
    var schema = readJson("stepform-schema");
    var values = readJson("stepform-values") || {};
    var errors = readJson("stepform-errors") || {};
    // A form sent after the session expired (webui/auth.py keep_unsent_form): the Viewer's data comes back too.
    var unsent = readJson("unsent-form");
    if (unsent && unsent.fields && unsent.fields.formjs_data &&
        new URL(form.action, location.href).pathname === unsent.action) {
      try {
        var kept = JSON.parse(unsent.fields.formjs_data[0]);
        Object.keys(schemaKeys(schema)).forEach(function (key) {
          if (Object.prototype.hasOwnProperty.call(kept, key)) values[key] = kept[key];
        });
        var notice = document.getElementById("unsent-form-notice");
        if (notice) notice.hidden = false;
      } catch (e) { /* not JSON: nothing to restore */ }
    }
    var viewer = new window.FormViewer.Form({ container: container });
    var validator = viewer.get("validator");
    var validateField = validator.validateFieldInstance.bind(validator);
    var registry = viewer.get("formFieldRegistry");
    validator.validateFieldInstance = function (instance, value) {
      var field = registry.get(instance.id);
      return validateField(instance, value).map(function (message) {
        return translate(message, field && field.type);
      });
    };
    viewer.importSchema(schema, values).then(function () {
      fallback.disabled = true; // its inputs are no longer posted
      fallback.hidden = true;
      container.hidden = false;
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = "formjs_data";
      form.appendChild(hidden);
      form.setAttribute("data-stepform-ready", "");
      if (Object.keys(showServerErrors(viewer, errors)).length) focusFirstError(container);
      // The error summary's links point at the plain inputs, now hidden: lead them to the Viewer's field instead.
      Array.prototype.forEach.call(form.querySelectorAll("a[href^='#sf-']"), function (link) {
        link.addEventListener("click", function (event) {
          var field = fieldsByKey(viewer)[link.getAttribute("href").slice(4)];
          var input = field && container.querySelector("[id^='" + CSS.escape(formFieldPrefix(container, field)) + "']");
          if (input) {
            event.preventDefault();
            input.focus();
          }
        });
      });
      form.addEventListener("submit", function (event) {
        var result = viewer.submit();
        if (Object.keys(result.errors).length) {
          event.preventDefault(); // form-js shows the messages at the fields
          focusFirstError(container);
          return;
        }
        hidden.value = JSON.stringify(result.data);
      });
    }).catch(function (error) {
      // Keep the plain form: it posts the same fields.
      container.hidden = true;
      if (window.console) window.console.error("stepform: the form-js Viewer failed", error);
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-stepform]"), start);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
