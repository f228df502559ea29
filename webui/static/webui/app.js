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
