// « Mes données » (RGPD): while the export is being prepared, poll its JSON state, update the
// progress in place, and reload the page once it is ready (or failed) to show what follows.
(function () {
  "use strict";
  var box = document.getElementById("personal-data-export");
  if (!box || box.dataset.pending !== "1") { return; }
  var url = box.dataset.statusUrl;
  function text(id, value) { var el = document.getElementById(id); if (el) { el.textContent = value; } }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (state) {
        if (state.finished) { window.location.reload(); return; }
        text("export-done", String(state.done));
        text("export-total", String(state.total));
        text("export-section", state.section);
        var bar = document.getElementById("export-progress");
        if (bar) { bar.max = state.total; bar.value = state.done; bar.textContent = state.done + " / " + state.total; }
        window.setTimeout(poll, 1500);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1500);
})();
