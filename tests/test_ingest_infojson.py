"""`uscm-archive ingest FILE.info.json`: yt-dlp metadata files with the caption files beside them, offline."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from catalog import Catalog, SearchRequest
from uscm_archive.cli import cli

TED = "ted-ed_prisoners-dilemma_emyi4z-O0ls.info.json"
CHANNEL = "channel-level_project-zombie_UCcRSMoQqXc_JrBZRHDFGbqA.info.json"


def run(data_dir: Path, *args: str):
    return CliRunner().invoke(cli, ["--data", str(data_dir), "ingest", *args])


def session_of(data_dir: Path, session_id: int):
    catalog = Catalog.open(data_dir / "catalog.db")
    try:
        return catalog.get_session(session_id, include_drafts=True), catalog.chapters(session_id)
    finally:
        catalog.close()


def test_the_corpus_video_info_json_imports_offline_with_its_metadata_and_chapters(corpus, data_dir):
    result = run(data_dir, str(corpus / "infojson" / TED))
    assert result.exit_code == 0, result.output
    session, chapters = session_of(data_dir, int(result.stdout))
    assert session.title == "How to outsmart the Prisoner’s Dilemma - Lucas Husted"
    assert (session.date, session.duration, session.channel) == ("2020-08-27", 344.0, "TED-Ed")
    assert session.source_key == "youtube:emyi4z-O0ls"
    assert session.source_url == session.video_url == "https://www.youtube.com/watch?v=emyi4z-O0ls"
    assert session.thumbnail_url.startswith("https://i.ytimg.com/")
    assert "game theory" in session.tags
    assert session.description.startswith("Puzzle through the classic game theory challenge")
    assert [c.title for c in chapters][:3] == ["Intro", "The Prisoners Dilemma", "The Nash Equilibrium"]
    assert not session.has_transcript  # no caption file beside it: the signed caption URLs expired long ago
    again = run(data_dir, str(corpus / "infojson" / TED))
    assert again.stdout == result.stdout


def test_caption_files_beside_the_info_json_become_tracks_with_their_source(corpus, data_dir, tmp_path):
    folder = tmp_path / "download"
    folder.mkdir()
    shutil.copy(corpus / "infojson" / TED, folder / "Prisoners [emyi4z-O0ls].info.json")
    shutil.copy(
        corpus / "captions" / "youtube-manual_gbif-test-2cues.en.vtt",
        folder / "Prisoners [emyi4z-O0ls].en.vtt",
    )
    shutil.copy(corpus / "captions" / "manual_elephants-dream-film.en.vtt", folder / "Other video.en.vtt")
    result = run(data_dir, str(folder / "Prisoners [emyi4z-O0ls].info.json"))
    assert result.exit_code == 0, result.output
    session, _ = session_of(data_dir, int(result.stdout))
    assert [(t.language, t.source) for t in session.tracks] == [("en", "manual")]
    assert session.has_transcript and session.segment_count == 1
    raw = data_dir / session.tracks[0].raw_path
    assert raw.read_bytes() == (folder / "Prisoners [emyi4z-O0ls].en.vtt").read_bytes()


def test_the_channel_level_info_json_is_refused_with_a_clear_message(corpus, data_dir):
    path = corpus / "infojson" / CHANNEL
    result = run(data_dir, str(path))
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert message.startswith(f"error: {path}: ") and "\n" not in message
    assert "channel or playlist" in message and "Project Zombie - Videos" in message
    assert "uscm-archive sync https://youtube.com/channel/UCcRSMoQqXc_JrBZRHDFGbqA" in message
    catalog = Catalog.open(data_dir / "catalog.db")
    try:
        assert catalog.list_sessions(include_drafts=True)[0] == 0
    finally:
        catalog.close()


def test_a_playlist_info_json_with_entries_gives_one_session_per_entry(data_dir, tmp_path):
    entries = [
        {
            "id": f"v{n}",
            "title": f"Session {n}",
            "extractor_key": "Youtube",
            "upload_date": "20240118",
            "webpage_url": f"https://www.youtube.com/watch?v=v{n}",
            "description": f"quorum call number {n}",
        }
        for n in (1, 2)
    ]
    path = tmp_path / "playlist.info.json"
    path.write_text(json.dumps({"_type": "playlist", "title": "Winter Meeting", "entries": entries}))
    result = run(data_dir, str(path))
    assert result.exit_code == 0, result.output
    ids = [int(x) for x in result.stdout.split()]
    assert len(ids) == 2
    catalog = Catalog.open(data_dir / "catalog.db")
    try:
        assert [s.title for s in catalog.search_sessions("quorum")] != []
        assert catalog.search(SearchRequest("quorum")).total == 0  # metadata only, no transcript
    finally:
        catalog.close()


def test_a_broken_info_json_names_the_file_and_line(data_dir, tmp_path):
    path = tmp_path / "broken.info.json"
    path.write_text('{"id": "x",\n "title": }')
    result = run(data_dir, str(path))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {path}, line 2: not valid JSON")
