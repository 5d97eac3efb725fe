// Staff pages: while a section marked data-busy="yes" (the ingest queue, a fetch's progress) has work running,
// fetch its page again every few seconds and swap in the section's new content. No script: a Reload link.
(function () {
  "use strict";
  if (!window.fetch || !window.DOMParser) { return; }
  function watch(section) {
    var url = section.getAttribute("data-refresh-url");
    function refresh() {
      if (section.getAttribute("data-busy") !== "yes") { return; }
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (text) {
          if (text === null) { window.setTimeout(refresh, 10000); return; }
          var fresh = new DOMParser().parseFromString(text, "text/html").getElementById(section.id);
          if (!fresh) { return; }
          var from = fresh.querySelector(".refresh-live");
          var to = section.querySelector(".refresh-live");
          if (from && to) { to.innerHTML = from.innerHTML; }
          section.setAttribute("data-busy", fresh.getAttribute("data-busy"));
          window.setTimeout(refresh, 3000);
        })
        .catch(function () { window.setTimeout(refresh, 10000); });
    }
    window.setTimeout(refresh, 2000);
  }
  var sections = document.querySelectorAll("[data-refresh-url]");
  for (var i = 0; i < sections.length; i += 1) { if (sections[i].id) { watch(sections[i]); } }
})();
