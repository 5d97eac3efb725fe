"""The public pages, in process: what a reader sees, with hostile text everywhere showing as text."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime

import pytest
from markupsafe import escape

from tests.support import webclient
from tests.support.webarchive import DRAFT_WORD, RETRACTED_WORD, XSS, XSS_IMG

pytestmark = pytest.mark.backends

client, sample = webclient.client, webclient.sample  # the shared fixtures


def no_raw_markup(page: str) -> None:
    """Hostile strings appear only escaped: no live <script> or onerror attribute from our data."""
    assert XSS not in page
    assert XSS_IMG not in page
    assert "<script>alert" not in page
    assert re.search(r"<img[^>]*onerror", page) is None


def current_line(page: str) -> str | None:
    match = re.search(r'<a class="seg"[^>]*aria-current="time"[^>]*>(.*?)</a>', page, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip() if match else None


def test_home_lists_recent_sessions_and_browse_counts(client, sample):
    page = client.get("/").text
    assert f'href="/sessions/{sample.main}"' in page and f'href="/sessions/{sample.youtube}"' in page
    assert "Unreleased Draft Session" not in page and "Withdrawn Session" not in page
    assert re.search(r'href="/sessions\?year=2025">2025</a> <span class="count">\(1 session\)', page)
    assert re.search(r">Mayor Ada Quill</a> <span class=\"count\">\(2 sessions\)", page)
    assert "92nd Annual Meeting" in page and "Transit" in page
    no_raw_markup(page)


def test_browse_by_topic_event_year_speaker(client, sample):
    assert "Annual Meeting Transit Panel" in client.get("/sessions?topic=transit").text
    by_event = client.get("/sessions?event=93rd Winter Meeting").text
    assert "Housing" in by_event and "Annual Meeting Transit Panel" not in by_event
    by_year = client.get("/sessions?year=2023").text
    assert "Press Call on Water" in by_year and "Transit Panel" not in by_year
    assert "Press Call on Water" not in client.get("/sessions?speaker=mayor-ada-quill").text
    odd = client.get("/sessions?year=<b>twenty</b>&page=-4")
    assert odd.status_code == 200 and "is not a year" in odd.text and "<b>twenty</b>" not in odd.text


def test_session_page_shows_metadata_escaped(client, sample):
    page = client.get(f"/sessions/{sample.main}").text
    no_raw_markup(page)
    title = "Housing " + XSS + ' & "Quotes" Plenary'
    assert f"<h1>{escape(title)}</h1>" in page
    assert "Mayor of Riverbend" in page and 'href="/speakers/mayor-ada-quill"' in page
    assert "93rd Winter Meeting" in page and "2025-01-20" in page
    assert "&lt;script&gt;alert" in page  # the speaker's name and the transcript line, as text


def test_every_segment_links_to_its_moment(client, sample):
    page = client.get(f"/sessions/{sample.main}").text
    links = re.findall(rf'<a class="seg" href="/sessions/{sample.main}\?t=(\d+)"', page)
    assert links == ["0", "10", "20", "30", "40", "50", "60", "70"]
    assert current_line(page) is None


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        ("25", "0:20 Our budget line"),
        ("1m5s", "1:00 Applause."),
        ("0:00:45", "0:40 The broadband"),
        ("70", "1:10"),
    ],
)
def test_t_marks_the_line_said_then(client, sample, t, expected):
    page = client.get(f"/sessions/{sample.main}", params={"t": t}).text
    assert current_line(page).startswith(expected)


def test_unreadable_t_starts_at_the_beginning_with_a_note(client, sample):
    page = client.get(f"/sessions/{sample.main}", params={"t": "soon<script>"}).text
    assert current_line(page) is None and "could not be read" in page
    no_raw_markup(page)


def test_clip_with_end_plays_between_the_two_times(client, sample):
    page = client.get(f"/sessions/{sample.main}?t=40&end=50").text
    assert re.search(r'<video [^>]*src="/sessions/\d+/media/recording.wav#t=40,50"', page, re.S)
    assert 'data-end="50"' in page and "Playing a clip from 0:40 to 0:50" in page


def test_player_has_captions_on_it(client, sample):
    page = client.get(f"/sessions/{sample.main}").text
    track = re.search(r"<track [^>]*>", page).group(0)
    assert (
        'kind="captions"' in track
        and "default" in track
        and f"/sessions/{sample.main}/transcript.vtt" in track
    )
    vtt = client.get(f"/sessions/{sample.main}/transcript.vtt")
    assert vtt.text.startswith("WEBVTT") and "We need more affordable\nhousing in every city." in vtt.text


def test_q_highlights_matches_in_the_transcript(client, sample):
    page = client.get(f"/sessions/{sample.main}", params={"q": "housing"}).text
    assert page.count("<mark>housing</mark>") == 3 and "3 matches for “housing”" in page
    hostile = client.get(f"/sessions/{sample.main}", params={"q": "<script>"}).text
    no_raw_markup(hostile)
    assert "<mark>&lt;script&gt;</mark>alert" in hostile


def test_chapters_downloads_and_moment_tools(client, sample):
    page = client.get(f"/sessions/{sample.main}?t=10").text
    assert re.search(
        rf'href="/sessions/{sample.main}\?t=40" data-start="40.0"><span class="ts">0:40</span> Broadband &lt;script&gt;',
        page,
    )
    for fmt in ("vtt", "srt", "txt", "json"):
        assert f'href="/sessions/{sample.main}/transcript.{fmt}" download' in page
    assert f'value="http://testserver/sessions/{sample.main}?t=10"' in page
    citation = html.unescape(re.search(r'<p id="citation" class="citation">(.*?)</p>', page, re.S).group(1))
    assert citation.startswith("Mayor Ada Quill, “We need more affordable housing in every city.”, Housing")
    today = datetime.now(UTC).date().isoformat()
    clip = f"http://testserver/sessions/{sample.main}?t=10&end=20"
    assert citation.endswith(f"2025-01-20, at 0:10\u20130:20. {clip} (accessed {today}).")


def test_json_ld_video_object_only_for_a_video(client, sample):
    page = client.get(f"/sessions/{sample.youtube}").text
    raw = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    assert "<" not in raw  # cannot close its own script element
    data = json.loads(raw)
    assert data["@type"] == "VideoObject" and data["name"] == "Annual Meeting Transit Panel"
    assert data["uploadDate"] == "2024-06-21" and data["thumbnailUrl"]
    assert data["embedUrl"] == "https://www.youtube-nocookie.com/embed/AbCdEfGhIjK"
    # The main session's recording is audio: no VideoObject (tests/test_web_http.py checks one with chapters).
    assert "application/ld+json" not in client.get(f"/sessions/{sample.main}").text


def test_youtube_and_linked_players(client, sample):
    page = client.get(f"/sessions/{sample.youtube}").text
    assert (
        'src="https://www.youtube-nocookie.com/embed/AbCdEfGhIjK?enablejsapi=1&amp;cc_load_policy=1' in page
    )
    assert re.search(r'<script src="/static/youtube.js\?v=[0-9a-f]{12}" defer></script>', page)
    linked = client.get(f"/sessions/{sample.linked}").text
    assert 'href="https://video.example.org/w/5"' in linked and "<video" not in linked
    assert "no transcript for this session yet" in linked


@pytest.mark.search
@pytest.mark.parametrize("which", ["draft", "retracted"])
def test_unpublished_sessions_are_not_found_anywhere(client, sample, which):
    session_id = getattr(sample, which)
    word = DRAFT_WORD if which == "draft" else RETRACTED_WORD
    for url in (
        f"/sessions/{session_id}",
        f"/sessions/{session_id}/transcript.vtt",
        f"/sessions/{session_id}/embed",
    ):
        response = client.get(url)
        assert response.status_code == 404 and "Page not found" in response.text
    assert client.get(f"/api/sessions/{session_id}").status_code == 404
    assert "Nothing was found" in client.get("/search", params={"q": word}).text
    for url in ("/feed.atom", "/sitemap.xml", "/"):
        assert f"/sessions/{session_id}<" not in client.get(url).text


@pytest.mark.parametrize("bad", ["999999", "abc", "1.5", "-1", "99999999999999999999999"])
def test_missing_session_is_a_friendly_404(client, bad):
    response = client.get(f"/sessions/{bad}")
    assert response.status_code == 404 and "text/html" in response.headers["content-type"]
    assert "Page not found" in response.text and "Traceback" not in response.text


def test_speaker_page_lists_sessions_and_moments(client, sample):
    page = client.get("/speakers/mayor-ada-quill").text
    assert "Annual Meeting Transit Panel" in page and "Press Call on Water" not in page
    assert re.search(rf'href="/sessions/{sample.main}\?t=10"[^>]*>▶ 0:10</a>', page)
    assert "We need more affordable housing" in page and "Transit ridership grew" in page
    assert client.get("/speakers/Mayor Ada Quill", follow_redirects=False).headers["location"] == (
        "/speakers/mayor-ada-quill"
    )
    hostile = client.get("/speakers").text
    no_raw_markup(hostile)
    assert client.get("/speakers/nobody-here").status_code == 404


def test_embed_page_may_be_framed_by_others(client, sample):
    response = client.get(f"/sessions/{sample.main}/embed")
    assert "frame-ancestors *" in response.headers["content-security-policy"]
    assert "x-frame-options" not in response.headers
    assert "frame-ancestors 'self'" in client.get("/").headers["content-security-policy"]


def test_original_caption_files_are_linked(client, sample):
    page = client.get(f"/sessions/{sample.main}").text
    assert f'href="/sessions/{sample.main}/captions/en.upload.vtt" download' in page
    assert "(en, upload, shown here)" in page


def test_end_alone_plays_a_clip_from_the_beginning(client, sample):
    page = client.get(f"/sessions/{sample.main}?end=15").text
    assert "recording.wav#t=0,15" in page and "Playing a clip from 0:00 to 0:15" in page
