// Keyboard-first grade grid: Enter and Tab run down the value column, Shift+Tab and Enter with
// Shift run up; typing ABS / ABJ / PLAGIAT sets the status. No inline script (CSP).
(function () {
  "use strict";
  var form = document.getElementById("grade-grid");
  if (!form) { return; }
  // Code → status, written by the server from grading/codes.py (the one list of codes).
  var CODES = JSON.parse(form.getAttribute("data-codes") || "{}");
  var inputs = Array.prototype.slice.call(form.querySelectorAll("input.grid-input:not([disabled])"));

  function rowOf(el) { return el.closest("tr"); }
  function statusOf(el) { return rowOf(el).querySelector("select.grid-status"); }
  function reportOf(el) { return rowOf(el).querySelector("input.grid-report"); }

  function syncReport(row) {
    var status = row.querySelector("select.grid-status");
    var report = row.querySelector("input.grid-report");
    if (!status || !report) { return; }
    var plagiarism = status.value === "plagiarism";
    report.tabIndex = plagiarism ? 0 : -1;
    report.classList.toggle("grid-report-needed", plagiarism && !report.value.trim());
  }

  function move(from, step) {
    var i = inputs.indexOf(from);
    var next = inputs[i + step];
    if (next) { next.focus(); next.select(); return true; }
    if (step > 0) {
      var save = document.getElementById("grid-save");
      if (save) { save.focus(); return true; }
    }
    return false;
  }

  inputs.forEach(function (input) {
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        var status = statusOf(input);
        var report = reportOf(input);
        if (!event.shiftKey && status && status.value === "plagiarism" && report && !report.value.trim()) {
          report.focus();  // a plagiarism needs its report before moving on
          return;
        }
        move(input, event.shiftKey ? -1 : 1);
      } else if (event.key === "ArrowDown") {
        event.preventDefault(); move(input, 1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault(); move(input, -1);
      }
    });
    input.addEventListener("input", function () {
      var status = statusOf(input);
      if (!status) { return; }
      var code = CODES[input.value.trim().toUpperCase()];
      if (code) { status.value = code; }
      else if (input.value.trim() !== "") { status.value = "graded"; }
      syncReport(rowOf(input));
    });
  });

  form.querySelectorAll("select.grid-status").forEach(function (select) {
    select.addEventListener("change", function () {
      var row = rowOf(select);
      var value = row.querySelector("input.grid-input");
      if (select.value !== "graded" && value && !CODES[value.value.trim().toUpperCase()]) { value.value = ""; }
      syncReport(row);
    });
    syncReport(rowOf(select));
  });

  form.querySelectorAll("input.grid-report").forEach(function (report) {
    report.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        var value = rowOf(report).querySelector("input.grid-input");
        if (value) { move(value, 1); }
      }
    });
  });

  // Warn before leaving with unsaved typing.
  var dirty = false;
  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });

  var firstError = form.querySelector("tr.table-danger input.grid-input");
  if (firstError) { firstError.focus(); }
})();
