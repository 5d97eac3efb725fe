"""The site in a real browser (Debian's Chromium through Playwright): seeking, the marked line, keyboard-only use,
find, clips, copying, axe-core, and screenshots for review under test-artifacts/.

Media: there is no ffmpeg here, so archived "recordings" are silent WAV files written by the test (Chromium plays
and seeks them in a ``<video>`` element like any media file), as long as the transcript they go with.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.support import browser
from tests.support.webarchive import build_sample_archive, save_corpus_session
from uscm_archive.settings import Settings

pytestmark = pytest.mark.browser
browser_session = browser.browser_session

QUOTE_FILE = "manual_uw-it-accessibility-video_voice-tags.en.vtt"
QUOTE = "a much more pragmatic approach"


@pytest.fixture(scope="module")
def site(tmp_path_factory, browser_session):
    data_dir = tmp_path_factory.mktemp("browser") / "data"
    data_dir.mkdir()
    sample = build_sample_archive(data_dir)
    with browser.serve(Settings(data_dir=data_dir)) as base:
        yield base, sample


@pytest.fixture
def page(browser_session, site):
    context = browser_session.new_context(viewport=browser.DESKTOP)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site[0])
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"script errors on the page: {errors}"


def video_time(page) -> float:
    return page.evaluate("document.getElementById('player').currentTime")


def wait_for_time(page, seconds: float, within: float = 1.0) -> None:
    page.wait_for_function(
        "([t, d]) => Math.abs(document.getElementById('player').currentTime - t) < d", arg=[seconds, within]
    )


def current_line_text(page) -> str:
    return " ".join(page.locator("a.seg[aria-current='time'] .text").inner_text().split())


def cue_start_of(path, quote: str) -> float:
    """When ``quote`` starts in a VTT file, read straight from its cues (not through our parser)."""
    text = path.read_text(encoding="utf-8-sig")
    for block in re.split(r"\n\s*\n", text):
        timing = re.search(r"(\d+):(\d\d):(\d\d)\.(\d{3}) -->", block)
        words = " ".join(re.sub(r"<[^>]+>", "", block.split("\n", 1)[-1]).split())
        if timing and quote in words:
            h, m, s, ms = (int(g) for g in timing.groups())
            return h * 3600 + m * 60 + s + ms / 1000
    raise AssertionError(f"{quote!r} is not in {path}")


def test_clicking_a_line_moves_the_video_there(page, site):
    base, sample = site
    page.goto(f"{base}/sessions/{sample.main}")
    page.wait_for_function("() => document.getElementById('player').readyState >= 1")
    line = page.locator("a.seg").nth(4)
    line.click()
    wait_for_time(page, 40)
    assert line.get_attribute("aria-current") == "time"
    assert page.locator("a.seg[aria-current]").count() == 1
    assert re.search(r"[?&]t=40\b", page.url)
    assert page.input_value("#moment-url").startswith(f"{base}/sessions/{sample.main}?t=4")


def test_captions_are_on_the_player(page, site):
    base, sample = site
    page.goto(f"{base}/sessions/{sample.main}?t=15")
    page.wait_for_function(
        "() => { const t = document.getElementById('player').textTracks[0]; return t && t.cues && t.cues.length > 0; }"
    )
    mode, cues, active = page.evaluate(
        "() => { const t = document.getElementById('player').textTracks[0]; return [t.mode, t.cues.length, t.activeCues[0].text]; }"
    )
    assert (mode, cues) == (
        "showing",
        9,  # eight lines; the long one with markup in it takes two cues
    ) and active == "<v Mayor Ada Quill>We need more affordable\nhousing in every city.</v>"


def test_a_quote_typed_into_search_opens_the_session_at_that_second(page, site, corpus):
    base, _ = site
    caption = corpus / "captions" / QUOTE_FILE
    expected = cue_start_of(caption, QUOTE)
    save_corpus_session(browser_session_data(site), caption, "IT Accessibility (corpus)", media_seconds=360)
    page.goto(f"{base}/search")
    page.click("#q")
    page.keyboard.type(QUOTE)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q="))
    page.locator("a.hit-time").first.click()
    page.wait_for_url(re.compile(r"/sessions/\d+\?t="))
    assert QUOTE in current_line_text(page)
    page.wait_for_function("() => document.getElementById('player').readyState >= 1")
    wait_for_time(page, expected, within=1.0)
    assert int(video_time(page)) == int(expected)
    box = page.locator("a.seg[aria-current]").bounding_box()
    panel = page.locator("#transcript").bounding_box()
    assert panel["y"] <= box["y"] and box["y"] + box["height"] <= panel["y"] + panel["height"]
    browser.screenshot(page, "session-corpus-quote-desktop")


def browser_session_data(site):
    return site[1].data_dir


def test_the_whole_flow_works_from_the_keyboard(page, site):
    base, sample = site
    page.goto(f"{base}/")
    browser.focus_by_tab(page, "#home-q")
    page.keyboard.type("affordable housing")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=affordable"))
    browser.focus_by_tab(page, "a.hit-time")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/sessions/{sample.main}\?t=10"))
    assert "affordable housing" in current_line_text(page)
    browser.focus_by_tab(page, 'a.seg[data-start="60.0"]')
    page.keyboard.press("Enter")
    wait_for_time(page, 60)
    assert current_line_text(page) == "Applause."
    page.focus("#follow-toggle")
    page.keyboard.press("Space")
    assert page.get_attribute("#follow-toggle", "aria-pressed") == "false"


def test_auto_scroll_pauses_when_the_reader_scrolls_and_resumes(page, site):
    base, sample = site
    page.set_viewport_size(browser.PHONE)
    page.goto(f"{base}/sessions/{sample.main}?t=0")
    toggle = page.locator("#follow-toggle")
    assert toggle.get_attribute("aria-pressed") == "true"
    page.locator("#transcript").hover()
    page.mouse.wheel(0, 200)
    page.wait_for_function(
        "() => document.getElementById('follow-toggle').getAttribute('aria-pressed') === 'false'"
    )
    assert "paused" in page.inner_text("#follow-status") and toggle.inner_text() == "Resume auto-scroll"
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "true" and page.inner_text("#follow-status") == ""


def test_find_in_transcript_counts_and_steps_through_matches(page, site):
    base, sample = site
    page.goto(f"{base}/sessions/{sample.main}")
    page.fill("#find-q", "housing")
    page.wait_for_function("() => document.getElementById('find-status').textContent.startsWith('3 matches')")
    assert page.locator("#transcript mark").count() == 3
    page.keyboard.press("Enter")
    assert page.inner_text("#find-status").startswith("Match 1 of 3")
    page.fill("#find-q", "<b>")
    page.wait_for_function("() => document.getElementById('find-status').textContent.startsWith('0 matches')")
    assert page.locator("#transcript b").count() == 0


def test_a_clip_stops_at_its_end(page, site):
    base, sample = site
    page.goto(f"{base}/sessions/{sample.main}?t=10&end=11.5")
    page.wait_for_function("() => document.getElementById('player').readyState >= 1")
    page.evaluate("document.getElementById('player').play()")
    page.wait_for_function(
        "() => document.getElementById('player').paused && document.getElementById('player').currentTime > 11",
        timeout=8000,
    )
    assert 11.4 <= video_time(page) < 12.5


def test_copy_link_and_citation(page, site):
    base, sample = site
    page.goto(f"{base}/sessions/{sample.main}?t=20")
    page.click("#copy-moment")
    page.wait_for_function("() => document.getElementById('copy-status').textContent === 'Link copied.'")
    assert page.evaluate("navigator.clipboard.readText()") == f"{base}/sessions/{sample.main}?t=20"
    page.click(".cite summary")
    page.click("#copy-citation")
    page.wait_for_function("() => document.getElementById('copy-status').textContent === 'Citation copied.'")
    cited = page.evaluate("navigator.clipboard.readText()")
    assert cited.startswith('Chief <script>alert("x")</script>, “Our budget line reads')
    today = datetime.now(UTC).date().isoformat()
    assert cited.endswith(f"at 0:20\u20130:30. {base}/sessions/{sample.main}?t=20&end=30 (accessed {today}).")


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/sessions/{main}?t=10",
        "/search?q=housing&topic=housing&exact=1",
        "/speakers/mayor-ada-quill",
        "/sessions?year=2025",
        "/speakers",
        "/no-such-page",
    ],
)
def test_axe_finds_no_accessibility_violations(page, site, path):
    from axe_playwright_python.sync_playwright import Axe

    base, sample = site
    page.goto(base + path.format(main=sample.main))
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize(("width_name", "viewport"), [("desktop", browser.DESKTOP), ("phone", browser.PHONE)])
def test_screenshots_for_review(page, site, width_name, viewport):
    base, sample = site
    page.set_viewport_size(viewport)
    page.goto(f"{base}/sessions/{sample.main}?t=20&q=housing")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), (
        "no sideways scrolling"
    )
    browser.screenshot(page, f"session-{width_name}")
    page.goto(f"{base}/search?q=housing")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    browser.screenshot(page, f"search-{width_name}")
