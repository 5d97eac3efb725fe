"""More players in sync, in a real browser: a Vimeo-hosted session through the Vimeo Player API (a local stand-in
of its script, implementing the calls the page uses, served from 127.0.0.1 as the player's origin), and a direct
MP4 on a host the operator allows (a test HTTP server on 127.0.0.1); the same MP4 on a host not allowed stays a
link. Click a line: the player is moved to that second; the player's time moves: the current line follows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from catalog import Catalog, SessionMeta, TrackInput
from tests.support import browser
from tests.support.httpserver import LocalServer, Reply
from tests.support.webarchive import lines_transcript
from uscm_archive.settings import Settings

pytestmark = pytest.mark.browser
browser_session = browser.browser_session

MP4 = Path(__file__).resolve().parent / "fixtures" / "direct-media.mp4"
VIMEO_ID = "76979871"
LINES = [
    ("Mayor Ada Quill", "Welcome to the transit panel."),
    ("Mayor Ada Quill", "Ridership grew in every district."),
    ("Chief Bo Lind", "Our buses are electric now."),
    ("Chief Bo Lind", "The depot charges them overnight."),
]
# The calls of the Vimeo Player API the page uses, recorded in window.__vimeo for the test to read and drive.
VIMEO_STAND_IN = """
window.__vimeo = { calls: [], time: 0, handlers: {} };
window.__vimeo.emit = function (seconds) {
  window.__vimeo.time = seconds;
  (window.__vimeo.handlers.timeupdate || []).forEach(function (fn) {
    fn({ seconds: seconds, duration: 120, percent: seconds / 120 });
  });
};
window.Vimeo = { Player: function (element) {
  if (!(element instanceof HTMLIFrameElement)) { throw new Error("Vimeo.Player wants the iframe"); }
  var state = window.__vimeo;
  this.ready = function () { return Promise.resolve(); };
  this.getDuration = function () { return Promise.resolve(120); };
  this.getCurrentTime = function () { return Promise.resolve(state.time); };
  this.setCurrentTime = function (t) { state.calls.push(["setCurrentTime", t]); state.time = t; return Promise.resolve(t); };
  this.play = function () { state.calls.push(["play"]); return Promise.resolve(); };
  this.pause = function () { state.calls.push(["pause"]); return Promise.resolve(); };
  this.on = function (name, fn) { (state.handlers[name] = state.handlers[name] || []).push(fn); };
} };
"""


@pytest.fixture(scope="module")
def players_site(tmp_path_factory, browser_session):
    with LocalServer() as media_host, LocalServer() as vimeo_host:
        media_host.add(
            "/talks/transit.mp4",
            Reply(MP4.read_bytes(), content_type="video/mp4", headers={"Accept-Ranges": "bytes"}),
        )
        vimeo_host.add("/api/player.js", Reply(VIMEO_STAND_IN, content_type="text/javascript"))
        vimeo_host.add(f"/video/{VIMEO_ID}", "<!doctype html><title>Vimeo stand-in</title><p>video")
        data_dir = tmp_path_factory.mktemp("players") / "data"
        data_dir.mkdir()
        catalog = Catalog.open(data_dir / "catalog.db")
        try:

            def save(key: str, url: str) -> int:
                meta = SessionMeta(title=f"Transit panel ({key})", date="2024-06-21", video_url=url)
                return catalog.save_session(key, meta, [TrackInput(lines_transcript(LINES))])

            ids = {
                "vimeo": save("vimeo", f"https://vimeo.com/{VIMEO_ID}"),
                "direct": save("direct", media_host.url("/talks/transit.mp4")),
                "elsewhere": save("elsewhere", vimeo_host.url("/talks/transit.mp4")),
            }
        finally:
            catalog.close()
        settings = Settings(
            data_dir=data_dir, media_hosts=(media_host.base_url,), vimeo_origin=vimeo_host.base_url
        )
        with browser.serve(settings) as base:
            yield base, ids, media_host


@pytest.fixture
def page(browser_session, players_site):
    context = browser_session.new_context(viewport=browser.DESKTOP)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"script errors on the page: {errors}"


def current_text(page) -> str:
    return page.locator("a.seg[aria-current='time'] .text").inner_text().strip()


def test_a_vimeo_session_seeks_the_vimeo_player_and_follows_its_time(page, players_site):
    base, ids, _ = players_site
    page.goto(f"{base}/sessions/{ids['vimeo']}")
    page.wait_for_function("() => window.__vimeo && window.__vimeo.handlers.timeupdate")
    page.locator("a.seg").nth(2).click()
    calls = page.evaluate("() => window.__vimeo.calls")
    assert ["setCurrentTime", 20] in calls and ["play"] in calls, json.dumps(calls)
    assert current_text(page) == "Our buses are electric now."
    page.evaluate("() => window.__vimeo.emit(31.5)")  # the player says it is at 0:31
    assert current_text(page) == "The depot charges them overnight."
    page.evaluate("() => window.__vimeo.emit(12)")
    assert current_text(page) == "Ridership grew in every district."


def test_a_direct_mp4_from_an_allowed_host_plays_in_sync(page, players_site):
    base, ids, media_host = players_site
    response = page.goto(f"{base}/sessions/{ids['direct']}")
    assert media_host.base_url in response.headers["content-security-policy"]
    video = page.locator("video#player")
    assert video.get_attribute("src").startswith(media_host.url("/talks/transit.mp4"))
    page.wait_for_function("() => document.getElementById('player').readyState >= 1")
    assert page.evaluate("document.getElementById('player').duration") > 30
    page.locator("a.seg").nth(3).click()
    page.wait_for_function("() => Math.abs(document.getElementById('player').currentTime - 30) < 1")
    assert current_text(page) == "The depot charges them overnight."
    page.evaluate("() => { const v = document.getElementById('player'); v.pause(); v.currentTime = 11; }")
    page.wait_for_function(
        "() => document.querySelector(\"a.seg[aria-current='time'] .text\").textContent.includes('Ridership')"
    )
    assert page.evaluate("document.getElementById('player').textTracks[0].cues.length") == len(LINES)


def test_media_on_a_host_not_allowed_stays_a_link(page, players_site):
    base, ids, media_host = players_site
    response = page.goto(f"{base}/sessions/{ids['elsewhere']}")
    assert page.locator("video, iframe").count() == 0
    link = page.locator(".player-link a").get_attribute("href")
    assert link.endswith("/talks/transit.mp4")
    media_src = response.headers["content-security-policy"].split("media-src")[1].split(";")[0].split()
    assert media_src == ["'self'", media_host.base_url] and link.rsplit("/talks", 1)[0] not in media_src
