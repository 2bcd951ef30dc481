// Bulk certificate issuance: poll the job's JSON state and update the progress in place.
(function () {
  "use strict";
  var box = document.getElementById("bulk-job");
  if (!box || box.dataset.finished === "1") { return; }
  var url = box.dataset.statusUrl;
  function text(id, value) { var el = document.getElementById(id); if (el) { el.textContent = value; } }
  function render(state) {
    text("bulk-status", state.status_label);
    text("bulk-done", String(state.done));
    text("bulk-total", String(state.total));
    var bar = document.getElementById("bulk-progress");
    if (bar) { bar.max = state.total || 1; bar.value = state.done; bar.textContent = state.percent + " %"; }
    var list = document.getElementById("bulk-failures");
    if (list && state.failures.length) {
      list.replaceChildren();
      state.failures.forEach(function (f) {
        var li = document.createElement("li");
        li.textContent = f.name + " (" + f.number + ") : " + f.reasons.join(" ; ");
        list.appendChild(li);
      });
    }
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (state) {
        render(state);
        if (state.finished) { box.dataset.finished = "1"; return; }
        window.setTimeout(poll, 1500);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
