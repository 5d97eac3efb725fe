"""The searchers' tools in a real browser (Debian's Chromium through Playwright), over real caption files:
a related moment opens the other session at its second; a trend chart's bars are as many, and count as many, as
the searches they open; every citation format copies speaker, title, date, quote and link; axe-core finds no
accessibility violation on the trends page or on a session page showing related moments."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from catalog import Catalog
from tests.support import browser
from tests.support.toolsarchive import build_tools_archive
from uscm_archive.settings import Settings

pytestmark = pytest.mark.browser
browser_session = browser.browser_session
TERMS = ("council", "monetary", '"public comment"', "inflation OR employment", "chem*")


@pytest.fixture(scope="module")
def site(tmp_path_factory, browser_session):
    from tests.conftest import corpus_path

    corpus = corpus_path()
    if not (corpus / "captions").is_dir():
        pytest.skip(f"real-world corpus not found at {corpus}")
    data_dir = tmp_path_factory.mktemp("tools-browser") / "data"
    data_dir.mkdir()
    archive = build_tools_archive(data_dir, corpus)
    with browser.serve(Settings(data_dir=data_dir)) as base:
        yield base, archive


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


def money_segment(archive):
    catalog = Catalog.open(archive.catalog_path)
    try:
        return next(s for s in catalog.segments(archive.sessions["A Talk on Money"]) if "monetary" in s.text)
    finally:
        catalog.close()


def result_count(page) -> int:
    text = page.locator("#result-count").inner_text()
    found = re.match(r"\s*(\d+) moments? found", text)
    return int(found.group(1)) if found else 0


def test_a_related_moment_opens_the_other_session_at_its_second(page, site):
    base, archive = site
    segment = money_segment(archive)
    page.goto(f"{base}/sessions/{segment.session_id}?t={segment.start}")
    first = page.locator(".said-elsewhere a.related-moment").first
    marked = first.locator("mark").first.inner_text().lower()
    first.click()
    page.wait_for_load_state()
    path = page.evaluate("location.pathname")
    assert path.startswith("/sessions/") and path != f"/sessions/{segment.session_id}"
    t = float(re.search(r"[?&]t=([0-9.]+)", page.url).group(1))
    current = page.locator("a.seg[aria-current='time']")
    assert current.count() == 1
    start, end = float(current.get_attribute("data-start")), float(current.get_attribute("data-end"))
    assert start <= t + 0.011 and t < end
    assert marked[:4] in current.inner_text().lower()


def test_a_search_hit_leads_to_moments_said_elsewhere(page, site):
    base, archive = site
    page.goto(f"{base}/search?q=monetary")
    page.locator("a.hit-related").first.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Said elsewhere"
    links = page.locator("a.related-moment")
    assert 1 <= links.count() <= 5
    hidden = {f"/sessions/{archive.draft}?", f"/sessions/{archive.retracted}?"}
    assert not any(
        h in (links.nth(i).get_attribute("href") or "") for i in range(links.count()) for h in hidden
    )


def test_the_trend_chart_bars_count_what_the_searches_they_open_find(page, site):
    base, _ = site
    query = "&".join(f"q={t}" for t in TERMS).replace('"', "%22").replace(" ", "+").replace("*", "%2A")
    page.goto(f"{base}/trends?{query}&by=year")
    bars = page.locator("#trend-svg a.bar")
    periods = page.locator(".trend-table tbody tr").count()
    assert bars.count() == periods * len(TERMS) > 0
    found = [
        (bars.nth(i).get_attribute("href"), int(bars.nth(i).get_attribute("data-count")))
        for i in range(bars.count())
    ]
    table = [int(n) for n in page.locator(".trend-table tbody td").all_inner_texts()]
    by_row = [count for _, count in found]  # bars go period by period, each period's terms in order
    assert table == by_row
    assert sum(by_row) > 0
    for href, count in found:
        page.goto(base + href)
        assert result_count(page) == count, href
    page.goto(f"{base}/trends?{query}&by=year")
    page.locator("#trend-svg a.bar").nth(len(TERMS) * (periods - 1) + 3).click()  # a bar, by the mouse
    page.wait_for_load_state()
    assert page.evaluate("location.pathname") == "/search" and result_count(page) == found[-2][1]


def test_each_citation_format_copies_speaker_title_date_quote_and_link(page, site):
    base, archive = site
    segment = money_segment(archive)
    page.goto(f"{base}/sessions/{segment.session_id}?t={segment.start}")
    page.click(".cite summary")
    today = datetime.now(UTC).date()
    clip = f"{base}/sessions/{segment.session_id}?t={segment.start:g}&end={segment.end:g}"
    copied = {}
    for button, label in (
        ("#copy-citation", "Citation"),
        ("button[data-copy='cite-apa']", "APA citation"),
        ("button[data-copy='cite-chicago']", "Chicago citation"),
        ("button[data-copy='cite-bibtex']", "BibTeX entry"),
        ("button[data-copy='cite-quote']", "Quote"),
    ):
        page.click(button)
        page.wait_for_function(
            "(label) => document.getElementById('copy-status').textContent === label + ' copied.'", arg=label
        )
        copied[label] = page.evaluate("navigator.clipboard.readText()")
    for label, text in copied.items():
        assert "Dr. Ada Lovelace" in text and "A Talk on Money" in text, label
        assert segment.text.strip() in text, label
        assert any(d in text for d in ("2019-05-20", "May 20, 2019", "2019, May 20")), label
        if label != "Quote":
            assert clip in text, label
            assert today.isoformat() in text or f"{today:%B} {today.day}, {today.year}" in text, label


@pytest.mark.parametrize("which", ["trends", "session with related moments"])
def test_axe_finds_no_accessibility_violations(page, site, which):
    from axe_playwright_python.sync_playwright import Axe

    base, archive = site
    if which == "trends":
        page.goto(f"{base}/trends?q=council&q=monetary&q=%22public+comment%22&by=month")
        assert page.locator("#trend-svg a.bar").count() > 0
    else:
        segment = money_segment(archive)
        page.goto(f"{base}/sessions/{segment.session_id}?t={segment.start}")
        assert page.locator(".said-elsewhere a.related-moment").count() > 0
        page.click(".cite summary")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    browser.screenshot(page, f"tools-{which.split()[0]}")


def test_citing_the_moment_playing_now_after_seeking(browser_session, tmp_path):
    """With a recording, clicking a line seeks in place; "Cite the moment playing now" then cites that moment."""
    from tests.support.webarchive import build_sample_archive

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    sample = build_sample_archive(data_dir)
    with browser.serve(Settings(data_dir=data_dir)) as base:
        context = browser_session.new_context(viewport=browser.DESKTOP)
        page = context.new_page()
        page.set_default_timeout(10_000)
        try:
            page.goto(f"{base}/sessions/{sample.main}?t=10")
            page.wait_for_function("() => document.getElementById('player').readyState >= 1")
            assert "?t=10&end=20" in page.locator("#citation").text_content()
            page.locator("a.seg").nth(4).click()
            page.wait_for_function("() => document.getElementById('moment-url').value.endsWith('?t=40')")
            page.click(".cite summary")
            page.click("#cite-now")
            page.wait_for_function(
                "() => document.getElementById('cite-apa').textContent.includes('?t=40&end=50')"
            )
            assert page.url.endswith(f"/sessions/{sample.main}?t=40#cite")
            assert page.locator("#cite").get_attribute("open") is not None
            assert f"/sessions/{sample.main}?t=40&end=50" in page.locator("#cite-apa").inner_text()
            assert "broadband plan" in page.locator("#cite-quote").inner_text()
        finally:
            context.close()
