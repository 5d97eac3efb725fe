/* Session page: the webinar chat follows playback like the transcript (the message sent last before the playing
   time is the current one: aria-current, scrolled into view in its own list), from session.js's "playertime"
   events. Without script each message is still a link to ?t=SECONDS; with it, session.js seeks on a click. */
(function () {
  "use strict";

  var list = document.getElementById("chat");
  if (!list) { return; }
  var messages = Array.prototype.slice.call(list.querySelectorAll("a.chat-msg[data-start]"));
  var starts = messages.map(function (a) { return parseFloat(a.getAttribute("data-start")); });
  var current = messages.findIndex(function (a) { return a.hasAttribute("aria-current"); });

  function indexAt(time) {
    var lo = 0, hi = starts.length - 1, found = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (starts[mid] <= time + 0.05) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return found;
  }

  function show(index) {
    if (index === current) { return; }
    if (current >= 0) { messages[current].removeAttribute("aria-current"); }
    current = index;
    if (index < 0) { return; }
    var link = messages[index];
    link.setAttribute("aria-current", "time");
    list.scrollTop = Math.max(0, link.parentNode.offsetTop - list.offsetTop - list.clientHeight / 3);
  }

  /* session.js tells the playing time of whichever player the page has (its own <video>, YouTube, Vimeo) */
  document.addEventListener("playertime", function (event) { show(indexAt(event.detail)); });
  if (current >= 0) { var first = current; current = -1; show(first); }
})();
