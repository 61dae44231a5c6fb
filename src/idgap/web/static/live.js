// idgap web UI: pages of a run in progress refresh themselves (no inline script: CSP).
// An element [data-live="<json url>"] exists only while something runs; its view model is
// polled and the page reloads when a run changes (status, heartbeat, end) or when none runs.
(function () {
  "use strict";
  var el = document.querySelector("[data-live]");
  if (!el || !window.fetch) return;
  var url = el.getAttribute("data-live");
  var PERIOD_MS = 3000;
  var last = null;
  var failures = 0;

  function signature(view) {
    var rows = view.items ? view.items : [view];
    return JSON.stringify(rows.map(function (r) {
      return [r.id, r.status, r.heartbeat_at, r.finished_at];
    }));
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (view) {
        failures = 0;
        var sig = signature(view);
        if (last !== null && sig !== last) { window.location.reload(); return; }
        last = sig;
        if (view.running) window.setTimeout(poll, PERIOD_MS);
        else window.location.reload();
      })
      .catch(function () {
        failures += 1;
        if (failures < 5) window.setTimeout(poll, PERIOD_MS * 2);
      });
  }

  window.setTimeout(poll, PERIOD_MS);
})();
