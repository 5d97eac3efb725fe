"""URLs through yt-dlp, offline: a real local HTTP server, the generic extractor, and a test-only fake site."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import httpserver
from support.httpserver import Reply
from support.ytdlp_fake import FakeSite, make_downloader, vtt

import archive
from archive import ArchiveError, IngestOptions, RetryPolicy
from catalog import Catalog, SearchRequest
from tests.pg_server import catalog_of
from uscm_archive.cli import cli

pytestmark = [pytest.mark.backends, pytest.mark.usefixtures("catalog_in_env")]

local_server = httpserver.local_server  # the fixture

FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, rate_limit_wait=600)
PAGE = (
    "<html><head><title>Affordable Housing Task Force</title></head><body>"
    '<video src="/talk.mp4"><track kind="captions" srclang="en" src="/talk.vtt"></video></body></html>'
)
TALK = vtt(
    "Welcome to the affordable housing task force.", "Our cities need more homes for working families."
)


def options(**given) -> IngestOptions:
    return IngestOptions(downloader=make_downloader, retry=FAST, **given)


@contextmanager
def opened(data_dir: Path):
    catalog = Catalog.open(catalog_of(data_dir))
    try:
        yield catalog
    finally:
        catalog.close()


@pytest.fixture
def site(local_server):
    return FakeSite(local_server)


@pytest.mark.search
def test_a_page_with_a_video_and_a_caption_track_becomes_a_searchable_session_once(local_server, data_dir):
    local_server.add("/talk.html", PAGE)
    local_server.add("/talk.vtt", TALK)
    local_server.add("/talk.mp4", b"\x00" * 2048)
    runner = CliRunner()
    first = runner.invoke(cli, ["--data", str(data_dir), "ingest", local_server.url("/talk.html")])
    second = runner.invoke(cli, ["--data", str(data_dir), "ingest", local_server.url("/talk.html")])
    assert first.exit_code == second.exit_code == 0, first.output + second.output
    assert first.stdout == second.stdout
    with opened(data_dir) as catalog:
        total, sessions = catalog.list_sessions(include_drafts=True)
        assert total == 1
        session = sessions[0]
        assert session.title == "Affordable Housing Task Force"
        assert session.video_url == local_server.url("/talk.mp4")
        hits = catalog.search(SearchRequest('"homes for working families"')).hits
    assert hits and hits[0].session_id == session.id and 3.5 <= hits[0].start <= 4.5
    (track,) = session.tracks
    assert (data_dir / track.raw_path).read_text() == TALK
    assert local_server.hits("/talk.vtt") == 1  # the second ingest reused the kept caption file


def test_a_page_served_with_last_modified_gets_no_date_rather_than_the_files_date(local_server, data_dir):
    # yt-dlp's generic extractor takes upload_date from Last-Modified: when the file changed, not the meeting.
    stamp = {"Last-Modified": "Wed, 17 Jan 2024 10:00:00 GMT"}
    local_server.add("/talk.html", Reply(PAGE, headers=stamp))
    local_server.add("/talk.vtt", Reply(TALK, headers=stamp))
    local_server.add("/talk.mp4", Reply(b"\x00" * 2048, headers=stamp))
    with opened(data_dir) as catalog:
        result = archive.ingest(
            catalog, data_dir, [local_server.url("/talk.html")], IngestOptions(retry=FAST)
        )
        assert result.ok, result.failures
        session = catalog.get_session(result.sessions[0].session_id, include_drafts=True)
    assert session.title == "Affordable Housing Task Force"
    assert session.date is None


@pytest.mark.search
def test_uploaded_captions_win_and_automatic_ones_are_the_fallback(site, data_dir):
    site.video(
        "up", "Uploaded", manual={"en": vtt("an uploaded caption")}, auto={"en": vtt("an automatic one")}
    )
    site.video("asr", "Automatic only", auto={"en": vtt("only automatic words about transit")})
    site.video("none", "No captions at all", description="Budget hearing on water rates.")
    site.channel("c", ["up", "asr", "none"])
    with opened(data_dir) as catalog:
        result = archive.ingest(catalog, data_dir, [site.channel_url("c")], options())
        assert result.ok
        by_title = {s.title: s for s in result.sessions}
        assert by_title["Uploaded"].tracks == (("en", "manual"),)
        assert by_title["Automatic only"].tracks == (("en", "auto"),)
        assert by_title["No captions at all"].tracks == ()
        silent = catalog.get_session(by_title["No captions at all"].session_id)
        assert not silent.has_transcript and silent.description == "Budget hearing on water rates."
        assert [s.id for s in catalog.search_sessions("water rates")] == [silent.id]
        assert (
            catalog.search(SearchRequest("automatic")).hits[0].session_id
            == by_title["Automatic only"].session_id
        )
        states = {
            i.title: (i.state, i.captions) for i in catalog.queue.list(parent_url=site.channel_url("c"))
        }
    assert states["No captions at all"][0] == "done"
    assert states["No captions at all"][1][0].state == "missing"
    assert site.server.hits(site.caption_path("up", "en", "auto")) == 0


def test_languages_are_exact_and_machine_translations_are_never_taken(site, data_dir):
    site.video(
        "v",
        "Bilingual town hall",
        manual={"en": vtt("good evening neighbors"), "es": vtt("buenas noches vecinos")},
        auto={"en": vtt("good evening neighbors auto"), "en-orig": vtt("original asr")},
        translations=("fr", "en-de"),
    )
    with opened(data_dir) as catalog:
        result = archive.ingest(
            catalog, data_dir, [site.video_url("v")], options(languages=("es", "en", "fr"))
        )
        (stored,) = result.sessions
        session = catalog.get_session(stored.session_id)
        item = catalog.queue.find(site.video_url("v"))
    assert stored.tracks == (("es", "manual"), ("en", "manual"))
    assert {t.language: t.is_primary for t in session.tracks} == {"es": True, "en": False}
    assert {c.language: c.state for c in item.captions} == {"en": "done", "es": "done", "fr": "missing"}
    assert site.server.hits(site.caption_path("v", "en", "auto")) == 0  # neither the ASR nor its translations


def test_chapters_and_metadata_come_from_the_site(site, data_dir):
    chapters = [
        {"start_time": 0, "end_time": 95.5, "title": "Welcome"},
        {"start_time": 95.5, "end_time": 600, "title": "Panel: housing first"},
    ]
    site.video(
        "c1", "Winter Meeting plenary", manual={"en": vtt("hello")}, chapters=chapters, upload_date="20240117"
    )
    with opened(data_dir) as catalog:
        (stored,) = archive.ingest(catalog, data_dir, [site.video_url("c1")], options()).sessions
        session = catalog.get_session(stored.session_id)
        stored_chapters = catalog.chapters(stored.session_id)
    assert [(c.start, c.title) for c in stored_chapters] == [(0, "Welcome"), (95.5, "Panel: housing first")]
    assert (session.date, session.duration, session.channel) == (
        "2024-01-17",
        600,
        "U.S. Conference of Mayors",
    )
    assert session.source_key == "fakevideo:c1" and session.tags == ("mayors", "housing")
    assert session.source_url == session.video_url == site.video_url("c1")


def test_a_server_error_is_retried_and_then_succeeds(site, data_dir):
    site.video("flaky", "Flaky page", manual={"en": vtt("we got there in the end")}, page=Reply(status=503))
    caption = site.caption_path("flaky", "en", "manual")
    site.server.add(caption, Reply(status=502), Reply(status=503), vtt("we got there in the end"))
    with opened(data_dir) as catalog:
        result = archive.ingest(catalog, data_dir, [site.video_url("flaky")], options())
    assert result.ok and result.sessions[0].tracks == (("en", "manual"),)
    assert site.server.hits("/fake/video/flaky.json") == 2
    assert site.server.hits(caption) == 3


def test_a_rate_limited_caption_is_not_done_and_a_later_retry_gets_it(site, data_dir):
    site.video("busy", "Busy captions", manual={"en": vtt("the words we must not lose")})
    caption = site.caption_path("busy", "en", "manual")
    site.server.add(caption, Reply(status=429, headers={"Retry-After": "120"}))
    with opened(data_dir) as catalog:
        result = archive.ingest(catalog, data_dir, [site.video_url("busy")], options())
        assert not result.ok and "429" in result.failures[0].message
        item = catalog.queue.find(site.video_url("busy"))
        assert item.state == "failed" and item.next_attempt_at is not None
        assert item.captions[0].state == "failed"
        assert site.server.hits(caption) == 1  # a 429 is not hammered
        session = catalog.get_session(item.session_id)
        assert session is not None and not session.has_transcript  # cataloged, waiting for its captions
        site.server.add(caption, vtt("the words we must not lose"))
        retried = archive.retry(catalog, data_dir, [item.id], options())
        assert retried.ok
        item = catalog.queue.get(item.id)
        assert item.state == "done" and item.captions[0].state == "done" and item.attempts == 2
        assert catalog.get_session(item.session_id).has_transcript


def test_sync_fetches_only_entries_added_since_the_last_sync(site, data_dir):
    site.video("old1", "January meeting", manual={"en": vtt("january words")})
    site.video("old2", "February meeting", auto={"en": vtt("february words")})
    site.channel("uscm", ["old2", "old1"])
    channel = site.channel_url("uscm")
    with opened(data_dir) as catalog:
        first = archive.sync(catalog, data_dir, channel, options(refresh_newest=0))
        assert len(first.sessions) == 2
        site.video("new", "March meeting", manual={"en": vtt("march words")})
        site.channel("uscm", ["new", "old2", "old1"])
        site.server.reset_hits()
        second = archive.sync(catalog, data_dir, channel, options(refresh_newest=0))
        assert [s.title for s in second.sessions] == ["March meeting"] and second.skipped == 2
        assert catalog.list_sessions()[0] == 3
    assert site.server.hits("/fake/video/new.json") == 1
    assert site.server.hits("/fake/video/old1.json") == site.server.hits("/fake/video/old2.json") == 0


def test_sync_refreshes_the_newest_entries_metadata_without_downloading_captions_again(site, data_dir):
    site.video("a", "Older session", manual={"en": vtt("older words")})
    site.video("b", "Newest session", manual={"en": vtt("newest words")})
    site.channel("uscm", ["b", "a"])
    with opened(data_dir) as catalog:
        archive.sync(catalog, data_dir, site.channel_url("uscm"), options(refresh_newest=1))
        site.video("b", "Newest session (corrected title)", manual={"en": vtt("newest words")})
        site.video("a", "Older session (corrected title)", manual={"en": vtt("older words")})
        site.server.reset_hits()
        result = archive.sync(catalog, data_dir, site.channel_url("uscm"), options(refresh_newest=1))
        titles = sorted(s.title for s in catalog.list_sessions()[1])
    assert [s.title for s in result.sessions] == ["Newest session (corrected title)"]
    assert titles == ["Newest session (corrected title)", "Older session"]
    assert site.server.hits(site.caption_path("b", "en", "manual")) == 0


def test_an_interrupted_sync_resumes_with_the_entries_left(site, data_dir):
    site.video("x", "First", manual={"en": vtt("first words")})
    site.video("y", "Second", manual={"en": vtt("second words")})
    site.channel("uscm", ["x", "y"])

    def stop_after_first(event):
        if event.title == "Second":  # reported when "First" is done and "Second" about to start
            raise KeyboardInterrupt

    with opened(data_dir) as catalog:
        with pytest.raises(KeyboardInterrupt):
            archive.sync(
                catalog, data_dir, site.channel_url("uscm"), options(refresh_newest=0), stop_after_first
            )
        assert catalog.queue.count_by_state()["pending"] == 1
        site.server.reset_hits()
        resumed = archive.sync(catalog, data_dir, site.channel_url("uscm"), options(refresh_newest=0))
    assert [s.title for s in resumed.sessions] == ["Second"]
    assert site.server.hits("/fake/video/x.json") == 0


@pytest.mark.search
def test_a_mixed_playlist_ends_with_the_right_sessions_and_one_failure_status_shows_and_retry_redoes(
    site, data_dir, monkeypatch
):
    site.video("cap", "Captioned plenary", manual={"en": vtt("welcome to the plenary session")})
    site.video(
        "auto", "Automatic captions roundtable", auto={"en": vtt("roundtable on infrastructure money")}
    )
    site.video("mute", "Press availability without captions")
    site.video("bad", "Broken entry", page=Reply(status=404))
    site.server.add("/fake/video/bad.json", Reply(status=404, body="gone"))
    site.channel("mixed", ["cap", "auto", "mute", "bad"])
    runner = CliRunner()

    def run(*args):  # the command line, with the fake site's yt-dlp given as the composition root takes it
        return runner.invoke(cli, ["--data", str(data_dir), *args], obj={"ytdlp_factory": make_downloader})

    ingested = run("ingest", site.channel_url("mixed"))
    assert ingested.exit_code == 1
    assert ingested.stderr.count("error: ") == 1 and "/fake/video/bad: HTTP 404" in ingested.stderr
    assert len(ingested.stdout.split()) == 3
    assert "[1/4] Captioned plenary" in ingested.stderr and "[4/4] Broken entry" in ingested.stderr
    with opened(data_dir) as catalog:
        sessions = {s.title: s for s in catalog.list_sessions()[1]}
    assert set(sessions) == {
        "Captioned plenary",
        "Automatic captions roundtable",
        "Press availability without captions",
    }
    assert [t.source for t in sessions["Captioned plenary"].tracks] == ["manual"]
    assert [t.source for t in sessions["Automatic captions roundtable"].tracks] == ["auto"]
    assert not sessions["Press availability without captions"].has_transcript

    status = run("status")
    assert status.exit_code == 0
    assert "1 failed" in status.stdout and "Broken entry" in status.stdout and "HTTP 404" in status.stdout
    failures = json.loads(run("status", "--json").stdout)["failures"]
    assert len(failures) == 1

    site.video("bad", "Broken entry, fixed", manual={"en": vtt("fixed at last")})
    retried = run("retry", str(failures[0]["id"]))
    assert retried.exit_code == 0, retried.output
    assert "0 failed" in run("status").stdout
    with opened(data_dir) as catalog:
        assert catalog.list_sessions()[0] == 4
        assert catalog.search(SearchRequest('"fixed at last"')).total == 1
    synced = run("sync", "--refresh", "0", site.channel_url("mixed"))
    assert synced.exit_code == 0 and "0 fetched, 4 already in the archive, 0 failed" in synced.stderr


def test_media_is_downloaded_with_its_size_and_checksum(site, data_dir):
    site.video("m", "Archived video", manual={"en": vtt("keep the video too")})
    seen = []
    with opened(data_dir) as catalog:
        (stored,) = archive.ingest(
            catalog, data_dir, [site.video_url("m")], options(media=True), seen.append
        ).sessions
        session = catalog.get_session(stored.session_id)
    media = data_dir / session.media_path
    assert session.media_path == f"media/{session.id}/m.mp4"
    assert media.stat().st_size == session.media_size == 4012
    import hashlib

    assert hashlib.sha256(media.read_bytes()).hexdigest() == session.media_sha256
    assert any(e.percent == 100 for e in seen)


def test_the_staff_area_cannot_reach_inside_the_network(local_server, data_dir):
    local_server.add("/talk.html", PAGE)
    with opened(data_dir) as catalog:
        with pytest.raises(ArchiveError, match="private or local address"):
            archive.ingest(
                catalog, data_dir, [local_server.url("/talk.html")], IngestOptions(allow_private=False)
            )
        assert catalog.queue.list() == []
    assert local_server.hits("/talk.html") == 0
    for url in ("http://localhost/x", "http://10.0.0.8/", "http://[::1]/", "http://169.254.169.254/latest"):
        with pytest.raises(ArchiveError):
            archive.check_public_url(url)
    assert archive.check_public_url("https://93.184.215.14/watch") == "https://93.184.215.14/watch"
    with pytest.raises(ArchiveError, match="not a web address"):
        archive.check_public_url("file:///etc/passwd")


def test_a_background_ingest_can_be_polled_through_its_item(local_server, data_dir):
    local_server.add("/talk.html", PAGE)
    local_server.add("/talk.vtt", TALK)
    item_id, thread = archive.start_url_ingest(
        catalog_of(data_dir), data_dir, local_server.url("/talk.html"), IngestOptions(retry=FAST)
    )
    thread.join(timeout=30)
    with opened(data_dir) as catalog:
        item = catalog.queue.get(item_id)
        assert item.state == "done" and item.title == "Affordable Housing Task Force"
        assert catalog.get_session(item.session_id).has_transcript
