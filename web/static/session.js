/* Session page: a clickable transcript that follows the player. The page works without this file:
   every line is a link to ?t=SECONDS and the find box submits ?q= to the server. */
(function () {
  "use strict";

  var root = document.getElementById("session");
  var list = document.getElementById("transcript");
  window.uscmCopyText = copyText;  /* cite.js, loaded after this file, copies through it too */
  if (!root) { return; }

  var lines = list ? Array.prototype.slice.call(list.querySelectorAll("a.seg[data-start]")) : [];
  var starts = lines.map(function (a) { return parseFloat(a.getAttribute("data-start")); });
  var clipEnd = parseFloat(root.getAttribute("data-end")) || null;
  var player = null;
  var currentIndex = lines.findIndex(function (a) { return a.hasAttribute("aria-current"); });
  var following = true;
  var scrollingByUs = false;
  var settled = true; /* false until the player has been moved to the time in the link */

  /* ---- time helpers ---- */
  function clock(seconds) {
    var total = Math.max(0, Math.floor(seconds || 0));
    var h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    var mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
  }

  function indexAt(time) {
    var lo = 0, hi = starts.length - 1, found = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (starts[mid] <= time + 0.05) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return found;
  }

  /* ---- players: our <video>, or YouTube's (see youtube.js) ---- */
  function videoAdapter(video) {
    return {
      time: function () { return video.currentTime; },
      seek: function (t) { video.currentTime = t; },
      play: function () { var p = video.play(); if (p && p.catch) { p.catch(function () {}); } },
      pause: function () { video.pause(); },
      duration: function () { return video.duration; },
      onTime: function (fn) { video.addEventListener("timeupdate", function () { fn(video.currentTime); }); },
      whenReady: function (fn) {
        if (video.readyState >= 1) { fn(); } else { video.addEventListener("loadedmetadata", fn, { once: true }); }
      }
    };
  }

  /* ---- the current line: aria-current, and following it by scrolling the transcript ---- */
  function setCurrent(index) {
    if (index === currentIndex) { return; }
    if (currentIndex >= 0 && lines[currentIndex]) { lines[currentIndex].removeAttribute("aria-current"); }
    currentIndex = index;
    if (index >= 0) {
      lines[index].setAttribute("aria-current", "time");
      if (following) { scrollToLine(lines[index]); }
    }
    updateMoment();
  }

  function scrollToLine(link) {
    if (!list || !link) { return; }
    var item = link.parentNode;
    scrollingByUs = true;
    if (listScrolls()) {
      var top = item.offsetTop - list.offsetTop - list.clientHeight / 3;
      list.scrollTop = Math.max(0, top);
    } else {
      /* phone layout: the page scrolls; keep the line a little below the sticky player */
      var frame = document.querySelector(".player-frame");
      var below = frame ? Math.max(0, frame.getBoundingClientRect().bottom) : 0;
      var room = window.innerHeight - below;
      var rect = item.getBoundingClientRect();
      if (rect.top < below || rect.bottom > window.innerHeight || rect.top > below + room / 2) {
        window.scrollTo(0, Math.max(0, window.scrollY + rect.top - below - Math.min(room / 4, 80)));
      }
    }
    window.setTimeout(function () { scrollingByUs = false; }, 80);
  }

  function listScrolls() {
    var overflow = window.getComputedStyle(list).overflowY;
    return overflow === "auto" || overflow === "scroll";
  }

  var followToggle = document.getElementById("follow-toggle");
  var followStatus = document.getElementById("follow-status");
  function setFollowing(on, reason) {
    following = on;
    if (!followToggle) { return; }
    followToggle.setAttribute("aria-pressed", on ? "true" : "false");
    followToggle.textContent = on ? "Auto-scroll is on" : "Resume auto-scroll";
    if (followStatus) { followStatus.textContent = on ? "" : (reason || "Auto-scroll paused."); }
    if (on && currentIndex >= 0) { scrollToLine(lines[currentIndex]); }
  }

  function readerScrolled() {
    if (!scrollingByUs && following) { setFollowing(false, "Auto-scroll paused because you scrolled."); }
  }

  /* ---- the moment: link and citation ---- */
  var momentInput = document.getElementById("moment-url");
  var citation = document.getElementById("citation");
  var copyStatus = document.getElementById("copy-status");

  function momentTime() {
    if (player) { return player.time(); }
    return currentIndex >= 0 ? starts[currentIndex] : 0;
  }

  function updateMoment() {
    var seconds = Math.floor(momentTime());
    var url = root.getAttribute("data-canonical") + "?t=" + seconds;
    if (momentInput) { momentInput.value = url; }
    /* the citations (cite.js) stay those of the moment the page was opened at */
  }

  function copyText(text, done) {
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

  function wireCopy(buttonId, textOf, label) {
    var button = document.getElementById(buttonId);
    if (!button) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      updateMoment();
      copyText(textOf(), function (ok) {
        copyStatus.textContent = ok ? label + " copied." : "Copying failed: select the text and copy it.";
      });
    });
  }

  /* ---- find in transcript ---- */
  var findInput = document.getElementById("find-q");
  var findStatus = document.getElementById("find-status");
  var findForm = document.getElementById("find-form");
  var matches = [];
  var matchAt = -1;

  function clearMarks() {
    lines.forEach(function (a) {
      var text = a.querySelector(".text");
      if (text.querySelector("mark")) { text.textContent = text.textContent; }
    });
  }

  function markIn(span, needle) {
    var text = span.textContent;
    var lower = text.toLowerCase();
    var from = 0, at = lower.indexOf(needle), found = [];
    if (at < 0) { return found; }
    span.textContent = "";
    while (at >= 0) {
      span.appendChild(document.createTextNode(text.slice(from, at)));
      var mark = document.createElement("mark");
      mark.textContent = text.slice(at, at + needle.length);
      span.appendChild(mark);
      found.push(mark);
      from = at + needle.length;
      at = lower.indexOf(needle, from);
    }
    span.appendChild(document.createTextNode(text.slice(from)));
    return found;
  }

  function find(term, typed) {
    clearMarks();
    matches = [];
    matchAt = -1;
    var needle = term.trim().toLowerCase();
    if (!needle) {
      findStatus.textContent = "";
      if (typed) { showMatches(pageMatches, pageQuery); }
      return;
    }
    lines.forEach(function (a) { matches = matches.concat(markIn(a.querySelector(".text"), needle)); });
    findStatus.textContent = matches.length + (matches.length === 1 ? " match" : " matches") + " for \u201c" + term.trim() + "\u201d.";
    if (typed) {
      showMatches(matches.map(function (mark) { return parseFloat(mark.closest("a.seg").getAttribute("data-start")); }), term.trim());
    }
  }

  /* ---- match markers on the timeline, previous / next match ---- */
  var matchNav = document.getElementById("match-nav");
  var timeline = document.getElementById("match-timeline");
  var matchList = document.getElementById("match-list");
  var pageQuery = matchNav ? matchNav.getAttribute("data-query") : "";
  var pageMatches = matchList ? Array.prototype.map.call(matchList.querySelectorAll("a[data-match]"), function (a) {
    return parseFloat(a.getAttribute("data-start"));
  }) : [];
  var matchTimes = [];
  var matchIndex = -1;
  var playhead = null;

  function timelineSeconds() {
    var known = player && player.duration ? player.duration() : NaN;
    if (known && isFinite(known) && known > 0) { return known; }
    return parseFloat(matchNav.getAttribute("data-seconds")) || 1;
  }

  function matchLink(seconds, term) {
    return root.getAttribute("data-canonical").replace(/^https?:\/\/[^/]+/, "") + "?t=" + (Math.round(seconds * 100) / 100) + "&q=" + encodeURIComponent(term);
  }

  function drawMarkers() {
    if (!timeline) { return; }
    timeline.textContent = "";
    var total = timelineSeconds();
    matchTimes.forEach(function (seconds, index) {
      var marker = document.createElement("a");
      marker.className = "match-marker" + (index === matchIndex ? " current" : "");
      marker.href = matchLink(seconds, currentTerm);
      marker.setAttribute("data-start", String(seconds));
      marker.setAttribute("data-match-index", String(index));
      marker.tabIndex = -1;
      marker.title = clock(seconds);
      marker.style.left = Math.max(0, Math.min(100, seconds / total * 100)) + "%";
      timeline.appendChild(marker);
    });
    playhead = document.createElement("span");
    playhead.className = "match-playhead";
    timeline.appendChild(playhead);
    movePlayhead(player ? player.time() : 0);
    timeline.hidden = !matchTimes.length;
  }

  function movePlayhead(seconds) {
    if (playhead) { playhead.style.left = Math.max(0, Math.min(100, seconds / timelineSeconds() * 100)) + "%"; }
  }

  var currentTerm = pageQuery;
  function showMatches(times, term) {
    if (!matchNav) { return; }
    matchTimes = times.slice();
    currentTerm = term;
    matchIndex = -1;
    document.getElementById("match-term").textContent = "\u201c" + term + "\u201d";
    matchList.textContent = "";
    matchTimes.forEach(function (seconds) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = matchLink(seconds, term);
      link.setAttribute("data-start", String(seconds));
      link.setAttribute("data-match", "");
      link.textContent = clock(seconds);
      item.appendChild(link);
      matchList.appendChild(item);
    });
    matchNav.hidden = !matchTimes.length;
    document.getElementById("match-status").textContent = "";
    drawMarkers();
  }

  function stepMatch(direction) {
    if (!matchTimes.length || !player) { return; }
    var now = player.time();
    var near = matchIndex >= 0 && Math.abs(now - matchTimes[matchIndex]) < 3;
    var index;
    if (near) {
      index = (matchIndex + direction + matchTimes.length) % matchTimes.length;
    } else if (direction > 0) {
      index = matchTimes.findIndex(function (t) { return t > now + 0.25; });
      if (index < 0) { index = 0; }
    } else {
      index = -1;
      matchTimes.forEach(function (t, i) { if (t < now - 0.25) { index = i; } });
      if (index < 0) { index = matchTimes.length - 1; }
    }
    matchIndex = index;
    seekTo(matchTimes[index], null);
    Array.prototype.forEach.call(matchList.querySelectorAll("a[data-match]"), function (a, i) {
      if (i === index) { a.setAttribute("aria-current", "true"); } else { a.removeAttribute("aria-current"); }
    });
    drawMarkers();
    document.getElementById("match-status").textContent =
      "Match " + (index + 1) + " of " + matchTimes.length + ", at " + clock(matchTimes[index]) + ".";
  }

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  function nextMatch() {
    if (!matches.length) { return; }
    if (matchAt >= 0) { matches[matchAt].classList.remove("current-find"); }
    matchAt = (matchAt + 1) % matches.length;
    var mark = matches[matchAt];
    mark.classList.add("current-find");
    setFollowing(false, "Auto-scroll paused while you find.");
    scrollToLine(mark.closest("a.seg"));
    findStatus.textContent = "Match " + (matchAt + 1) + " of " + matches.length + " for \u201c" + findInput.value.trim() + "\u201d.";
  }

  /* ---- seeking from links (transcript lines, chapters) ---- */
  function seekTo(seconds, link) {
    if (!player) { return false; }
    settled = true;
    player.seek(seconds);
    player.play();
    var index = indexAt(seconds);
    if (link && link.classList.contains("seg")) { index = lines.indexOf(link); }
    setCurrent(index);
    var url = new URL(window.location.href);
    url.searchParams.set("t", String(Math.round(seconds * 100) / 100));
    url.searchParams.delete("end");
    clipEnd = null;
    window.history.replaceState(null, "", url.pathname + url.search);
    return true;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-start]") : null;
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) { return; }
    if (seekTo(parseFloat(link.getAttribute("data-start")), link)) { event.preventDefault(); }
  });

  /* ---- start ---- */
  function attach(adapter) {
    player = adapter;
    var given = parseFloat(root.getAttribute("data-start"));
    settled = isNaN(given);
    player.whenReady(function () {
      if (matchNav) { drawMarkers(); }
      if (!settled) {
        /* a whole-second link may point just before its line: start at the line the server marked */
        player.seek(currentIndex >= 0 ? Math.max(given, starts[currentIndex]) : given);
        settled = true;
      }
    });
    player.onTime(function (time) {
      if (!settled) { return; }
      if (clipEnd !== null && time >= clipEnd) { player.pause(); clipEnd = null; }
      setCurrent(indexAt(time));
      movePlayhead(time);
      /* for whatever else follows playback (the webinar chat: extras.js), whichever player plays */
      root.dispatchEvent(new CustomEvent("playertime", { detail: time, bubbles: true }));
    });
  }

  if (list) {
    document.getElementById("follow-controls").hidden = false;
    list.addEventListener("wheel", readerScrolled, { passive: true });
    list.addEventListener("touchmove", readerScrolled, { passive: true });
    list.addEventListener("scroll", readerScrolled, { passive: true });
    window.addEventListener("wheel", function () { if (!listScrolls()) { readerScrolled(); } }, { passive: true });
    window.addEventListener("touchmove", function () { if (!listScrolls()) { readerScrolled(); } }, { passive: true });
    followToggle.addEventListener("click", function () { setFollowing(!following); });
    if (currentIndex >= 0) { scrollToLine(lines[currentIndex]); }
  }
  if (findForm && findInput) {
    findForm.addEventListener("submit", function (event) { event.preventDefault(); nextMatch(); });
    var timer = null;
    findInput.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { find(findInput.value, true); }, 150);
    });
    /* landing with ?q=: step through the server's marks (the same matches as the timeline markers) */
    if (findInput.value.trim()) { matches = Array.prototype.slice.call(list.querySelectorAll("mark")); }
  }
  if (matchNav) {
    matchTimes = pageMatches.slice();
    document.getElementById("match-buttons").hidden = false;
    document.getElementById("match-keys").hidden = false;
    document.getElementById("match-prev").addEventListener("click", function () { stepMatch(-1); });
    document.getElementById("match-next").addEventListener("click", function () { stepMatch(1); });
    document.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) { return; }
      if (event.key === "n" || event.key === "N") { stepMatch(1); event.preventDefault(); }
      if (event.key === "p" || event.key === "P") { stepMatch(-1); event.preventDefault(); }
    });
    drawMarkers();
  }
  wireCopy("copy-moment", function () { return momentInput.value; }, "Link");
  wireCopy("copy-citation", function () { return citation.textContent; }, "Citation");

  var video = document.getElementById("player");
  if (video && video.tagName === "VIDEO") { attach(videoAdapter(video)); }
  document.addEventListener("uscm:youtube", function (event) { attach(event.detail); });
  document.addEventListener("uscm:player", function (event) { attach(event.detail); });
})();
