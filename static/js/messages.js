// A message being sent: fetch the page again every 2 s and replace its live part, until sent.
(function () {
  "use strict";
  var box = document.getElementById("message-live");
  if (!box || box.dataset.sending !== "1") { return; }
  function poll() {
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("message-live");
        if (!fresh) { return; }
        box.replaceWith(fresh);
        box = fresh;
        if (fresh.dataset.sending === "1") { window.setTimeout(poll, 2000); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 2000);
})();
