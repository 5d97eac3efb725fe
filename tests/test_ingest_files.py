"""`uscm-archive ingest PATH...` on real caption files: sessions, raw files kept, idempotency, refusals."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive import ArchiveError, IngestOptions, ingest_caption_bytes
from catalog import Catalog, SearchRequest
from tests.pg_server import catalog_of
from uscm_archive.cli import cli

pytestmark = [pytest.mark.backends, pytest.mark.usefixtures("catalog_in_env")]

FOMC = "youtube-auto_fomc-press-conference-2021-11-03.en.vtt"
OAKLAND = "oakland-city-council-2022-08-09.vtt"
FILM = "manual_elephants-dream-film.en.vtt"
CHAPTERS = "chapters_elephants-dream_note-header.vtt"
THUMBNAILS = "edge_thumbnail-sprite-track_no-hours.vtt"


def run(data_dir: Path, *args: str):
    return CliRunner().invoke(cli, ["--data", str(data_dir), "ingest", *args], catch_exceptions=False)


@contextmanager
def opened(data_dir: Path):
    catalog = Catalog.open(catalog_of(data_dir))
    try:
        yield catalog
    finally:
        catalog.close()


def all_sessions(catalog: Catalog):
    return catalog.list_sessions(include_drafts=True, limit=1000)[1]


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.mark.search
def test_a_caption_file_becomes_a_searchable_session_with_its_raw_file_kept(corpus, data_dir):
    source = corpus / "captions" / OAKLAND
    result = run(data_dir, str(source))
    assert result.exit_code == 0, result.output
    session_id = int(result.stdout.strip())
    with opened(data_dir) as catalog:
        session = catalog.get_session(session_id, include_drafts=True)
        assert session.title == "Oakland city council 2022-08-09"
        assert session.date == "2022-08-09"
        assert session.has_transcript and session.segment_count > 50
        (track,) = session.tracks
        assert (track.language, track.source) == ("en", "upload")
        hits = catalog.search(SearchRequest('"successor agency"')).hits
        assert hits and hits[0].session_id == session_id
    raw = data_dir / "captions" / str(session_id) / "en.upload.vtt"
    assert track.raw_path == f"captions/{session_id}/en.upload.vtt"
    assert raw.read_bytes() == source.read_bytes()


def test_the_same_file_again_updates_its_session_and_never_duplicates_it(corpus, data_dir, tmp_path):
    source = corpus / "captions" / FILM
    first = run(data_dir, str(source))
    copy = tmp_path / "elsewhere" / "renamed.vtt"
    copy.parent.mkdir()
    copy.write_bytes(source.read_bytes())
    second = run(data_dir, str(copy), "--title", "Elephants Dream", "--lang", "en")
    assert first.exit_code == second.exit_code == 0, second.output
    assert first.stdout == second.stdout
    with opened(data_dir) as catalog:
        (session,) = all_sessions(catalog)
        assert session.title == "Elephants Dream"
    assert files_under(data_dir / "captions") == [data_dir / "captions" / str(session.id) / "en.upload.vtt"]


def test_metadata_options_are_stored(corpus, data_dir):
    result = run(
        data_dir,
        str(corpus / "captions" / FILM),
        "--title",
        "Housing Task Force",
        "--date",
        "2024-01-18",
        "--event",
        "92nd Winter Meeting",
        "--speaker",
        "Mayor Tim Keller of Albuquerque",
        "--speaker",
        "Toni L. Griffin, Founder and Director, Just City Lab (moderator)",
        "--topic",
        "housing",
        "--description",
        "A panel.",
        "--video-url",
        "https://www.youtube.com/watch?v=abc",
        "--draft",
    )
    assert result.exit_code == 0, result.output
    with opened(data_dir) as catalog:
        session = catalog.get_session(int(result.stdout), include_drafts=True)
        assert catalog.get_session(session.id) is None  # a draft is not public
    assert (session.title, session.date, session.event, session.status) == (
        "Housing Task Force",
        "2024-01-18",
        "92nd Winter Meeting",
        "draft",
    )
    assert session.video_url == "https://www.youtube.com/watch?v=abc"
    credits = {(s.name, s.role) for s in session.speakers}
    assert ("Tim Keller", "Mayor of Albuquerque") in credits
    assert ("Toni L. Griffin", "Founder and Director, Just City Lab (moderator)") in credits
    assert [t.name for t in session.topics] == ["housing"]


def test_a_chapters_track_given_with_its_captions_becomes_chapters(corpus, data_dir):
    result = run(data_dir, str(corpus / "captions" / FILM), str(corpus / "captions" / CHAPTERS))
    assert result.exit_code == 0, result.output
    with opened(data_dir) as catalog:
        (session,) = all_sessions(catalog)
        chapters = catalog.chapters(session.id)
    assert len(chapters) >= 5
    assert chapters[0].start == 0
    assert session.has_transcript


def test_a_chapters_track_alone_is_refused_and_nothing_is_written(corpus, data_dir):
    result = run(data_dir, str(corpus / "captions" / CHAPTERS))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {corpus / 'captions' / CHAPTERS}: ")
    assert "chapters" in result.stderr and "Traceback" not in result.output
    with opened(data_dir) as catalog:
        assert all_sessions(catalog) == []
    assert files_under(data_dir / "captions") == []


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("broken.vtt", b"WEBVTT\n\n00:00:01.000 --> 00:00:0X.000\nHello\n", "line"),
        ("not-captions.vtt", b"just some words\nand more\n", ""),
        ("empty.vtt", b"", "empty"),
    ],
)
def test_one_bad_file_fails_the_command_naming_it_and_writes_nothing(
    corpus, data_dir, tmp_path, name, content, problem
):
    bad = tmp_path / name
    bad.write_bytes(content)
    result = run(data_dir, str(corpus / "captions" / FILM), str(bad))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {bad}"), result.stderr
    assert problem in lines[0]
    with opened(data_dir) as catalog:
        assert all_sessions(catalog) == []
    assert files_under(data_dir / "captions") == []
    assert not (data_dir / ".incoming").exists()


def test_a_thumbnail_track_is_refused_with_a_clear_message(corpus, data_dir):
    result = run(data_dir, str(corpus / "captions" / THUMBNAILS))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {corpus / 'captions' / THUMBNAILS}")
    assert "thumbnail" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "18/01/2024"], "YYYY-MM-DD"),
        (["--video-url", "javascript:alert(1)"], "not a web address"),
        (["--lang", "../../etc"], "not a language code"),
    ],
)
def test_bad_options_are_refused_before_anything_is_written(corpus, data_dir, args, message):
    result = run(data_dir, str(corpus / "captions" / FILM), *args)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and message in result.stderr
    with opened(data_dir) as catalog:
        assert all_sessions(catalog) == []


def test_a_missing_file_is_named(data_dir, tmp_path):
    result = run(data_dir, str(tmp_path / "nope.vtt"))
    assert result.exit_code == 1
    assert result.stderr == f"error: {tmp_path / 'nope.vtt'}: no such file\n"


def test_every_corpus_caption_file_ingests_except_the_thumbnail_track(corpus, data_dir):
    names = sorted(p.name for p in (corpus / "captions").iterdir())
    captions = [corpus / "captions" / n for n in names if n not in (THUMBNAILS, CHAPTERS)]
    result = run(data_dir, *map(str, captions))
    assert result.exit_code == 0, result.output
    ids = [int(line) for line in result.stdout.split()]
    assert len(set(ids)) == len(captions)
    with opened(data_dir) as catalog:
        sessions = all_sessions(catalog)
    assert len(sessions) == len(captions) and all(s.has_transcript for s in sessions)
    film = sorted(s.language for s in sessions if s.title == "Manual elephants dream film")
    assert film == ["ar", "en"]  # from the file names: .ar-rtl.vtt and .en.vtt


def test_uploaded_bytes_ingest_like_a_file_and_share_its_session(corpus, data_dir):
    source = corpus / "captions" / OAKLAND
    with opened(data_dir) as catalog:
        uploaded = ingest_caption_bytes(
            catalog, data_dir, source.read_bytes(), "council.vtt", IngestOptions(title="Council")
        )
        assert uploaded.created and uploaded.tracks == (("en", "upload"),)
        with pytest.raises(ArchiveError, match="larger than"):
            ingest_caption_bytes(
                catalog, data_dir, b"WEBVTT\n" + b" " * 2_000_000, "big.vtt", max_bytes=1_000_000
            )
    result = run(data_dir, str(source))
    assert int(result.stdout) == uploaded.session_id
    with opened(data_dir) as catalog:
        assert len(all_sessions(catalog)) == 1
