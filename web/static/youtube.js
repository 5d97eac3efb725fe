/* YouTube-hosted sessions: drive the embedded player through the IFrame Player API and hand session.js an
   adapter. The API has no time event, so the time is polled every 250 ms while playing. */
(function () {
  "use strict";
  var frame = document.getElementById("yt-player");
  if (!frame) { return; }
  var listeners = [];
  var poll = null;
  var ready = [];
  var yt = null;

  var adapter = {
    time: function () { return yt && yt.getCurrentTime ? yt.getCurrentTime() : 0; },
    seek: function (t) { if (yt) { yt.seekTo(t, true); } },
    play: function () { if (yt) { yt.playVideo(); } },
    pause: function () { if (yt) { yt.pauseVideo(); } },
    onTime: function (fn) { listeners.push(fn); },
    whenReady: function (fn) { if (yt) { fn(); } else { ready.push(fn); } }
  };

  function tick() { var t = adapter.time(); listeners.forEach(function (fn) { fn(t); }); }

  window.onYouTubeIframeAPIReady = function () {
    new window.YT.Player("yt-player", {
      events: {
        onReady: function (event) {
          yt = event.target;
          ready.splice(0).forEach(function (fn) { fn(); });
        },
        onStateChange: function (event) {
          window.clearInterval(poll);
          if (event.data === window.YT.PlayerState.PLAYING) { poll = window.setInterval(tick, 250); }
          tick();
        }
      }
    });
  };
  document.dispatchEvent(new CustomEvent("uscm:youtube", { detail: adapter }));
  var api = document.createElement("script");
  api.src = "https://www.youtube.com/iframe_api";
  document.head.appendChild(api);
})();
