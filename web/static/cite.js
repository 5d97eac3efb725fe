/* "Cite this moment": each button[data-copy] copies the text of the element it names. The citations are on the
   page without this file; it only adds the buttons. */
(function () {
  "use strict";
  var status = document.getElementById("copy-status");

  function say(text) { if (status) { status.textContent = text; } }

  function copy(text, done) {
    function fallback() {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "visually-hidden";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(area);
      done(ok);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, fallback);
    } else { fallback(); }
  }

  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      copy(source.textContent, function (ok) {
        say(ok ? button.getAttribute("data-copied") + " copied." : "Copying failed: select the text and copy it.");
      });
    });
  });
})();
