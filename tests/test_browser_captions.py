"""The player's captions in a real browser, for every corpus caption file with speech: each cue of the text
track, read through the TextTrack API, has at most two lines of at most 42 characters and lasts at most 7 s; the
VTT and SRT downloads keep the same rule and parse back with webvtt-py."""

from __future__ import annotations

import html
import io
import re

import pytest
import webvtt

from tests.support import browser
from tests.support.webarchive import save_corpus_session
from tests.test_subtitles import assert_subtitle_grade, speech_files
from uscm_archive.settings import Settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]
browser_session = browser.browser_session

TRACK_CUES = """() => {
  const track = document.getElementById('player').textTracks[0];
  return Array.from(track.cues).map(c => [c.startTime, c.endTime, c.getCueAsHTML().textContent.split('\\n')]);
}"""


@pytest.fixture(scope="module")
def corpus_site(tmp_path_factory, browser_session, corpus):
    data_dir = tmp_path_factory.mktemp("captions") / "data"
    data_dir.mkdir()
    sessions = {
        path.name: save_corpus_session(data_dir, path, f"Corpus {path.name}", media_seconds=1)
        for path in speech_files(corpus)
    }
    with browser.serve(Settings(data_dir=data_dir)) as base:
        yield base, sessions


def test_every_cue_of_the_players_track_is_subtitle_grade(browser_session, corpus_site):
    base, sessions = corpus_site
    assert len(sessions) >= 20
    context = browser_session.new_context(viewport=browser.DESKTOP)
    page = context.new_page()
    try:
        for name, session_id in sessions.items():
            page.goto(f"{base}/sessions/{session_id}")
            page.wait_for_function(
                "() => { const t = document.getElementById('player').textTracks[0];"
                " return t && t.cues && t.cues.length > 0; }"
            )
            cues = page.evaluate(TRACK_CUES)
            try:
                assert_subtitle_grade(cues)
            except AssertionError as error:
                raise AssertionError(f"{name}: {error}") from error
            said = " ".join(page.locator("#transcript .text").all_inner_texts())
            assert " ".join(" ".join(lines) for _, _, lines in cues).split() == said.split(), name
    finally:
        context.close()


@pytest.mark.parametrize("fmt", ["vtt", "srt"])
def test_downloads_are_subtitle_grade_and_parse_back(browser_session, corpus_site, fmt):
    base, sessions = corpus_site
    context = browser_session.new_context()
    try:
        for name, session_id in sessions.items():
            response = context.request.get(f"{base}/sessions/{session_id}/transcript.{fmt}")
            assert response.ok, name
            captions = webvtt.from_buffer(io.StringIO(response.text()), format=fmt).captions
            assert captions, name
            for caption in captions:
                lines = [html.unescape(re.sub(r"<[^>]+>", "", line)) for line in caption.raw_text.split("\n")]
                start, end = (t.in_milliseconds() / 1000 for t in (caption.start_time, caption.end_time))
                assert_subtitle_grade([(start, end, lines)])
    finally:
        context.close()
