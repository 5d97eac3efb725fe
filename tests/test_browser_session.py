"""The session page in a real browser on the demo archive (``serve --demo``'s sessions and their synthesized
recordings): the demo plays where a line is clicked, the phone layout keeps the player and the current line in
view, and no public page scrolls sideways at 320 px. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest

from catalog import Catalog, SessionMeta, TrackInput
from tests.support import browser
from tests.support.webarchive import lines_transcript
from uscm_archive.demo import demo_sessions, load_demo
from uscm_archive.settings import Settings

pytestmark = [pytest.mark.browser, pytest.mark.backends]
browser_session = browser.browser_session

LONG_EVENT = (
    "The 93rd Winter Meeting of the United States Conference of Mayors, Capital Hilton, Washington, "
    "District of Columbia: Plenary Sessions, Standing Committees and Task Force Workshops"
)
NARROW = {"width": 320, "height": 640}


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory, browser_session, module_catalog_url):
    data_dir = tmp_path_factory.mktemp("demo") / "data"
    data_dir.mkdir()
    settings = Settings(data_dir=data_dir, catalog_url=module_catalog_url)
    assert load_demo(settings) == len(demo_sessions())
    catalog = Catalog.open(settings.catalog_path)
    try:
        _, sessions = catalog.list_sessions(limit=10)
        ids = sorted(s.id for s in sessions)
        catalog.save_session(
            "test:long-event",
            SessionMeta(title="A session with a very long event name", date="2022-01-20", event=LONG_EVENT),
            [TrackInput(lines_transcript([(None, "Welcome to the " + "very " * 30 + "long meeting.")]))],
        )
    finally:
        catalog.close()
    with browser.serve(settings) as base:
        yield base, ids


@pytest.fixture
def page(browser_session, demo_site):
    context = browser_session.new_context(viewport=browser.DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"script errors on the page: {errors}"


def media_state(page) -> dict:
    return page.evaluate(
        "() => { const v = document.getElementById('player');"
        " return {time: v.currentTime, paused: v.paused, duration: v.duration, ready: v.readyState}; }"
    )


def test_every_demo_session_plays_the_line_that_is_clicked(page, demo_site):
    base, ids = demo_site
    assert len(ids) == 3
    for session_id in ids:
        page.goto(f"{base}/sessions/{session_id}")
        page.wait_for_function("() => document.getElementById('player').readyState >= 1")
        line = page.locator("a.seg").nth(2)
        start = float(line.get_attribute("data-start"))
        line.click()
        page.wait_for_function(
            "(t) => { const v = document.getElementById('player'); return !v.paused && v.currentTime > t + 0.3; }",
            arg=start,
        )
        state = media_state(page)
        assert state["duration"] > 30 and not state["paused"]
        assert start <= state["time"] < start + 5, state
        assert line.get_attribute("aria-current") == "time"
        shown = page.evaluate("document.getElementById('player').textTracks[0].activeCues.length")
        assert shown == 1, "one caption on screen after seeking to where one cue ends and the next starts"


def in_viewport(page, selector: str) -> bool:
    return page.evaluate(
        """(s) => { const r = document.querySelector(s).getBoundingClientRect();
                    return r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight + 0.5
                           && r.right <= window.innerWidth + 0.5 && r.height > 0; }""",
        selector,
    )


def test_on_a_phone_the_player_and_the_current_line_stay_in_view_while_the_demo_plays(page, demo_site):
    base, ids = demo_site
    page.set_viewport_size(browser.PHONE)
    page.goto(f"{base}/sessions/{ids[0]}")
    page.wait_for_function("() => document.getElementById('player').readyState >= 1")
    lines = page.locator("a.seg")
    middle = lines.count() // 2
    lines.nth(middle).click()  # the reader taps a line half-way down, and the recording plays on from there
    following = float(lines.nth(middle + 1).get_attribute("data-start"))
    page.evaluate("(t) => { document.getElementById('player').currentTime = t - 0.6; }", following)
    page.wait_for_function(  # playback itself reaches the next line
        "(i) => document.querySelectorAll('a.seg')[i].getAttribute('aria-current') === 'time'",
        arg=middle + 1,
    )
    page.wait_for_timeout(200)
    assert not media_state(page)["paused"]
    assert page.evaluate("window.scrollY") > 200, "the page scrolled to follow the transcript"
    assert in_viewport(page, ".player-frame"), "the video's box is in the viewport"
    assert in_viewport(page, "a.seg[aria-current='time']"), "the current line is in the viewport"
    frame_bottom = page.evaluate("document.querySelector('.player-frame').getBoundingClientRect().bottom")
    line_top = page.evaluate(
        "document.querySelector(\"a.seg[aria-current='time']\").getBoundingClientRect().top"
    )
    assert line_top >= frame_bottom - 0.5, "the current line is not hidden under the player"
    browser.screenshot(page, "demo-phone-playing")
    page.screenshot(path=str(browser.ARTIFACTS / "demo-phone-playing-viewport.png"))


def public_pages(page, base: str, ids: list[int]) -> list[str]:
    page.goto(f"{base}/speakers")
    speaker = page.locator("main li a").first.get_attribute("href")
    return [
        "/",
        "/sessions",
        f"/sessions?event={LONG_EVENT}",
        "/speakers",
        speaker,
        "/search",
        "/search?q=housing",
        "/search?q=very+long",
        f"/sessions/{ids[0]}?t=20&q=housing",
        f"/sessions/{ids[1]}/embed",
        "/no-such-page",
    ]


def test_no_public_page_scrolls_sideways_at_320_px_with_every_panel_open(page, demo_site):
    base, ids = demo_site
    paths = public_pages(page, base, ids)
    page.set_viewport_size(NARROW)
    for path in paths:
        page.goto(base + path)
        page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
        widest = page.evaluate(
            """() => Array.from(document.querySelectorAll('body *'))
                 .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                 .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))
                 .slice(0, 5)"""
        )
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (path, widest)
        assert widest == [], (path, widest)
    page.goto(f"{base}/search?q=housing")
    page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
    browser.screenshot(page, "search-320-filters-open")


def player_time(page) -> float:
    return page.evaluate("document.getElementById('player').currentTime")


@pytest.mark.search
def test_a_search_landing_shows_one_timeline_marker_per_match_and_steps_through_them(page, demo_site):
    base, _ = demo_site
    page.goto(f"{base}/search?q=land")
    page.locator(".hit-time").first.click()
    page.wait_for_url("**/sessions/*")
    page.wait_for_function("() => document.getElementById('player').readyState >= 1")
    said = page.locator("#transcript mark").count()
    assert said == 7  # "land" in the housing roundtable transcript
    assert page.locator("#match-timeline .match-marker").count() == said
    times = [
        float(t)
        for t in page.locator("#match-list a[data-match]").evaluate_all(
            "links => links.map(a => a.getAttribute('data-start'))"
        )
    ]
    assert len(times) == said and times == sorted(times)
    lefts = page.locator("#match-timeline .match-marker").evaluate_all(
        "ms => ms.map(m => parseFloat(m.style.left))"
    )
    duration = page.evaluate("document.getElementById('player').duration")
    assert lefts == pytest.approx([t / duration * 100 for t in times], abs=0.01)  # positioned by time

    page.evaluate("() => { const v = document.getElementById('player'); v.pause(); v.currentTime = 0; }")
    page.locator("h1").click()  # focus on the page, not in a field
    for expected in times:  # keyboard: N for the next match
        page.keyboard.press("n")
        page.wait_for_function(
            "(t) => Math.abs(document.getElementById('player').currentTime - t) < 0.3", arg=expected
        )
    for expected in reversed(times[:-1]):  # P for the previous one
        page.keyboard.press("p")
        page.wait_for_function(
            "(t) => Math.abs(document.getElementById('player').currentTime - t) < 0.3", arg=expected
        )
    assert "Match 1 of 7" in page.locator("#match-status").inner_text()


@pytest.mark.search
def test_match_buttons_work_from_the_keyboard_and_follow_find_in_transcript(page, demo_site):
    base, ids = demo_site
    page.goto(f"{base}/sessions/{ids[0]}")
    page.wait_for_function("() => document.getElementById('player').readyState >= 1")
    assert page.locator("#match-nav").is_hidden()  # no query, no matches
    page.locator("#find-q").fill("homes")
    page.wait_for_function("() => document.querySelectorAll('#match-timeline .match-marker').length === 4")
    assert page.locator("#transcript mark").count() == 4
    browser.focus_by_tab(page, "#match-next")
    page.keyboard.press("Enter")
    first = float(page.locator("#match-list a[data-match]").first.get_attribute("data-start"))
    page.wait_for_function(
        "(t) => Math.abs(document.getElementById('player').currentTime - t) < 0.3", arg=first
    )
    browser.screenshot(page, "session-match-markers")


@pytest.mark.parametrize("width", [browser.DESKTOP, browser.PHONE], ids=["desktop", "phone"])
def test_axe_finds_no_violations_on_any_public_page(page, demo_site, width):
    from axe_playwright_python.sync_playwright import Axe

    base, ids = demo_site
    paths = public_pages(page, base, ids) + [f"/sessions/{ids[0]}?q=land", f"/sessions/{ids[2]}/embed?t=10"]
    page.set_viewport_size(width)
    for path in paths:
        page.goto(base + path)
        page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
        results = Axe().run(page)
        assert results.violations_count == 0, (path, results.generate_report())


@pytest.mark.search
def test_a_several_word_query_marks_and_markers_agree(page, demo_site):
    base, ids = demo_site
    page.goto(f"{base}/sessions/{ids[0]}?q=land+homes")
    page.wait_for_function("() => document.querySelectorAll('#match-timeline .match-marker').length > 0")
    marks = page.locator("#transcript mark").count()
    assert marks == 11  # "land" 7 times, "homes" 4 times, each word marked where it is said
    assert page.locator("#match-timeline .match-marker").count() == marks
    assert page.locator("#match-list a[data-match]").count() == marks
    page.locator("#find-next").click()
    assert page.inner_text("#find-status").startswith(f"Match 1 of {marks}")
