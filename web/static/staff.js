// Staff dashboard: while the ingest queue has work, refresh that section every few seconds (no page reload).
(function () {
  "use strict";
  var section = document.getElementById("queue-section");
  if (!section || !window.fetch) { return; }
  function refresh() {
    if (section.getAttribute("data-busy") !== "yes") { return; }
    fetch("/staff/queue", { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var live = doc.getElementById("queue-live");
        var mine = document.getElementById("queue-live");
        if (live && mine) { mine.innerHTML = live.innerHTML; }
        var stillBusy = doc.querySelector(".state-pending, .state-running") !== null;
        section.setAttribute("data-busy", stillBusy ? "yes" : "no");
        if (stillBusy) { window.setTimeout(refresh, 3000); }
      })
      .catch(function () { window.setTimeout(refresh, 10000); });
  }
  window.setTimeout(refresh, 2000);
})();
