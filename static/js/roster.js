// Official-list import: while the invitations go out, reload the progress page every 2 s.
(function () {
  "use strict";
  var box = document.getElementById("roster-progress");
  if (!box || box.dataset.sending !== "1") { return; }
  window.setTimeout(function () { window.location.reload(); }, 2000);
})();
