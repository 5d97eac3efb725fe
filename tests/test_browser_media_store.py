"""A recording kept in an object store plays in a real browser: the demo archive loaded with
``--media-store s3://…`` into a real SeaweedFS, served by uvicorn, opened in Chromium. The player loads through
ranged requests (206) of the page's own URL, a clicked line plays from its second, and nothing of the recordings
is on the web node's disk."""

from __future__ import annotations

import pytest

from tests.support import browser, s3_server
from uscm_archive.demo import demo_sessions, load_demo
from uscm_archive.settings import from_environment

pytestmark = pytest.mark.browser
browser_session = browser.browser_session
s3 = s3_server.s3


@pytest.fixture
def demo_in_store(tmp_path, s3, browser_session):
    bucket = s3.bucket()
    settings = from_environment(
        {**s3.env, "USCM_ARCHIVE_MEDIA_STORE": f"s3://{bucket}/demo"}, data_dir=str(tmp_path / "data")
    )
    assert load_demo(settings) == len(demo_sessions())
    assert not (tmp_path / "data" / "media").exists()
    assert [k for k in s3.keys(bucket) if "/media/" in k]
    with browser.serve(settings.with_secret()) as base:
        yield base


def test_a_recording_in_the_store_plays_from_the_clicked_line(browser_session, demo_in_store):
    context = browser_session.new_context(viewport=browser.DESKTOP)
    page = context.new_page()
    page.set_default_timeout(20_000)
    media_answers: list[tuple[int, str | None]] = []
    page.on(
        "response",
        lambda r: (
            media_answers.append((r.status, r.headers.get("content-range"))) if "/media/" in r.url else None
        ),
    )
    try:
        page.goto(f"{demo_in_store}/sessions/1")
        page.wait_for_function("() => document.getElementById('player').readyState >= 1")
        line = page.locator("a.seg").nth(2)
        second = float(line.get_attribute("data-start"))
        line.click()
        page.wait_for_function(
            "(t) => { const v = document.getElementById('player'); return !v.paused && v.currentTime > t + 0.3; }",
            arg=second,
        )
        assert page.evaluate("document.getElementById('player').error") is None
        assert page.evaluate("document.getElementById('player').duration") > 30
    finally:
        context.close()
    assert any(status == 206 and (span or "").startswith("bytes ") for status, span in media_answers), (
        media_answers
    )
