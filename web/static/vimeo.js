/* Vimeo-hosted sessions: drive the embedded player through Vimeo's Player API (its script is loaded from the
   player's origin, named in data-api) and hand session.js an adapter. The API's calls answer with promises; the
   time comes from its timeupdate event, so time() answers at once from the last one. */
(function () {
  "use strict";
  var frame = document.getElementById("vimeo-player");
  if (!frame) { return; }
  var listeners = [];
  var ready = [];
  var vimeo = null;
  var now = 0;
  var length = NaN;
  function quietly(promise) { if (promise && promise.catch) { promise.catch(function () {}); } }

  var adapter = {
    time: function () { return now; },
    duration: function () { return length; },
    seek: function (t) { now = t; if (vimeo) { quietly(vimeo.setCurrentTime(t)); } },
    play: function () { if (vimeo) { quietly(vimeo.play()); } },
    pause: function () { if (vimeo) { quietly(vimeo.pause()); } },
    onTime: function (fn) { listeners.push(fn); },
    whenReady: function (fn) { if (vimeo) { fn(); } else { ready.push(fn); } }
  };

  function start() {
    if (!window.Vimeo || !window.Vimeo.Player) { return; }
    var player = new window.Vimeo.Player(frame);
    player.on("timeupdate", function (data) {
      now = data.seconds;
      if (data.duration) { length = data.duration; }
      listeners.forEach(function (fn) { fn(now); });
    });
    player.ready().then(function () {
      vimeo = player;
      player.getDuration().then(function (seconds) { length = seconds; }, function () {});
      ready.splice(0).forEach(function (fn) { fn(); });
    }, function () {});
  }

  document.dispatchEvent(new CustomEvent("uscm:player", { detail: adapter }));
  var api = document.createElement("script");
  api.src = frame.getAttribute("data-api");
  api.addEventListener("load", start);
  document.head.appendChild(api);
})();
