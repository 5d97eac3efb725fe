/* "Cite this moment": each button[data-copy] copies the text of the element it names. The citations are on the
   page without this file; it only adds the buttons. */
(function () {
  "use strict";
  var status = document.getElementById("copy-status");

  function say(text) { if (status) { status.textContent = text; } }

  var copy = window.uscmCopyText;  /* session.js: the clipboard, or a hidden textarea where it is not allowed */
  if (!copy) { return; }

  /* The citations are those of the moment the page was opened at; "Cite the moment playing now" opens the page
     at the moment in the link box (which session.js keeps at the player's time), with its citations. */
  var details = document.getElementById("cite");
  var now = document.getElementById("cite-now");
  var moment = document.getElementById("moment-url");
  if (details && window.location.hash === "#cite") { details.open = true; }
  if (now && moment) {
    now.hidden = false;
    now.addEventListener("click", function (event) {
      event.preventDefault();
      var target = new URL(moment.value, window.location.href);
      if (target.pathname + target.search === window.location.pathname + window.location.search) {
        /* already this address (seeking rewrote it): only a reload makes the server cite the new moment */
        window.history.replaceState(null, "", target.pathname + target.search + "#cite");
        window.location.reload();
      } else {
        window.location.assign(target.pathname + target.search + "#cite");
      }
    });
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
