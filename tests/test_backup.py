"""Backup, restore, dump and load, as an operator uses them: the archive comes back whole or stays as it was."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.archive_state import archive_state, fill_archive
from uscm_archive.cli import cli

QUERIES = ('"affordable housing"', "council", "chemistry OR carpentries", "meet*", "water -oakland", "the")


def run(data_dir: Path, *args: str):
    return CliRunner().invoke(cli, ["--data", str(data_dir), *args], catch_exceptions=False)


@pytest.fixture
def filled(catalog, data_dir, corpus):
    fill_archive(catalog, data_dir, corpus)
    return data_dir


def search_answers(data_dir: Path) -> dict:
    from catalog import Catalog, SearchRequest
    from web.published import published

    cat = Catalog.open(data_dir / "catalog.db")
    try:
        answers = {}
        for query in QUERIES:
            results = published(cat.search(SearchRequest(query, limit=50)))
            answers[query] = (
                results.total,
                [(h.session_id, h.segment_id, h.start, h.snippet) for h in results.hits],
            )
        return answers
    finally:
        cat.close()


def session_count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM sessions").fetchone()[0]
    finally:
        conn.close()


# -- backup and restore ----------------------------------------------------------------------------------------
def test_backup_then_restore_brings_the_archive_back_and_keeps_the_replaced_one(
    filled, catalog, tmp_path, corpus
):
    before = search_answers(filled)
    result = run(filled, "backup", str(tmp_path / "monday.db"))
    assert result.exit_code == 0, result.output
    assert "backed up 5 sessions" in result.output

    fill_archive(catalog, filled, corpus, names=["boston-city-council_snippet.vtt"])  # a later change
    assert session_count(filled / "catalog.db") == 6

    result = run(filled, "restore", str(tmp_path / "monday.db"))
    assert result.exit_code == 0, result.output
    assert session_count(filled / "catalog.db") == 5
    assert search_answers(filled) == before
    kept = list(filled.glob("catalog.db.bak-*"))
    assert len(kept) == 1 and f"kept as {kept[0]}" in result.output
    assert session_count(kept[0]) == 6  # the replaced catalog, later change included
    # the connection the test already held sees the restored archive too (restore writes into the live file)
    assert catalog.find_session_id("fixture:boston-city-council_snippet.vtt") is None


def test_backup_refuses_to_overwrite_unless_forced(filled, tmp_path):
    target = tmp_path / "b.db"
    target.write_text("precious")
    result = run(filled, "backup", str(target))
    assert result.exit_code == 1 and "already exists" in result.stderr
    assert target.read_text() == "precious"
    assert run(filled, "backup", "--force", str(target)).exit_code == 0
    assert session_count(target) == 5


def test_backup_while_sessions_are_being_written_is_always_a_sound_snapshot(filled, tmp_path, corpus):
    """Backups taken while another connection saves sessions in a loop: each one checks clean and is whole."""
    from catalog import Catalog, SessionMeta, TrackInput, ops_for
    from transcripts import parse_file

    transcript = parse_file(corpus / "captions" / "zoom_teacher-chemistry-lesson-31m.vtt")
    stop = threading.Event()
    written: list[int] = []

    def writer():
        cat = Catalog.open(filled / "catalog.db")
        try:
            while not stop.is_set() and len(written) < 40:
                key = f"busy:{len(written)}"
                written.append(cat.save_session(key, SessionMeta(title=key), [TrackInput(transcript)]))
        finally:
            cat.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        counts = []
        for number in range(4):
            target = tmp_path / f"during-{number}.db"
            result = run(filled, "backup", str(target))
            assert result.exit_code == 0, result.output
            assert ops_for(target).check() == []
            counts.append(session_count(target))
    finally:
        stop.set()
        thread.join()
    assert len(written) > 0
    assert counts == sorted(counts) and counts[0] >= 5


def corrupt_pages(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for offset in range(4096 * 2, len(data), 4096 * 3):  # scribble over every third page after the first two
        data[offset + 100 : offset + 400] = bytes(i % 251 for i in range(300))
    path.write_bytes(bytes(data))


def make_bad_file(kind: str, good: Path, target: Path) -> Path:
    if kind == "text":
        target.write_text("this is not a database\n")
    elif kind == "empty":
        target.write_bytes(b"")
    elif kind == "truncated":
        target.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    elif kind == "corrupted":
        target.write_bytes(good.read_bytes())
        corrupt_pages(target)
    elif kind == "other-sqlite":
        conn = sqlite3.connect(target)
        conn.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT)")
        conn.commit()
        conn.close()
    elif kind == "future-schema":
        target.write_bytes(good.read_bytes())
        conn = sqlite3.connect(target)
        conn.execute("PRAGMA user_version = 99")
        conn.commit()
        conn.close()
    elif kind == "stale-index":
        target.write_bytes(good.read_bytes())
        conn = sqlite3.connect(target)
        conn.execute("DROP TRIGGER segments_au")
        conn.execute("UPDATE segments SET text = 'replaced words' WHERE id = (SELECT min(id) FROM segments)")
        conn.commit()
        conn.close()
    elif kind == "missing":
        pass
    return target


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("text", "not an SQLite database"),
        ("empty", "not an SQLite database"),
        ("missing", "no such file"),
        ("truncated", ""),
        ("corrupted", ""),
        ("other-sqlite", "not a uscm-archive catalog"),
        ("future-schema", "unknown schema version 99"),
        ("stale-index", "full-text index differs"),
    ],
)
def test_restore_refuses_a_bad_file_and_changes_nothing(filled, tmp_path, kind, says):
    good = tmp_path / "good.db"
    assert run(filled, "backup", str(good)).exit_code == 0
    bad = make_bad_file(kind, good, tmp_path / f"{kind}.db")
    before = archive_state(filled)
    result = run(filled, "restore", str(bad))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert str(bad) in result.stderr and says in result.stderr
    assert "Traceback" not in result.output
    assert archive_state(filled) == before
    assert not list(filled.glob("catalog.db.bak-*"))


def test_check_reports_a_sound_archive_and_a_drifted_index(filled):
    result = run(filled, "check")
    assert result.exit_code == 0 and result.output.strip().endswith(": ok")
    conn = sqlite3.connect(filled / "catalog.db")
    conn.execute(
        "INSERT INTO segments_fts(segments_fts, rowid, text) VALUES ('delete', 1, (SELECT text FROM segments WHERE id = 1))"
    )
    conn.commit()
    conn.close()
    result = run(filled, "check")
    assert result.exit_code == 1
    assert "segments_fts: the full-text index differs from segments" in result.stderr


# -- dump and load ---------------------------------------------------------------------------------------------
def dump_files(folder: Path) -> dict[str, str]:
    files = {
        str(p.relative_to(folder)): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
    manifest = json.loads(files.pop("manifest.json"))
    manifest.pop("created_at")
    files["manifest.json"] = json.dumps(manifest, sort_keys=True)
    return files


def test_dump_and_load_into_an_empty_archive_answers_every_search_the_same(filled, tmp_path):
    before = search_answers(filled)
    assert any(total for total, _ in before.values())
    result = run(filled, "dump", str(tmp_path / "dump"))
    assert result.exit_code == 0, result.output
    assert "dumped 5 sessions" in result.output

    fresh = tmp_path / "fresh"
    result = run(fresh, "load", str(tmp_path / "dump"))
    assert result.exit_code == 0, result.output
    assert search_answers(fresh) == before
    assert run(fresh, "check").exit_code == 0
    # the raw caption files came along, byte for byte
    assert archive_state(fresh)["files"] == archive_state(filled)["files"]
    # and a dump of the loaded archive is the same dump
    assert run(fresh, "dump", str(tmp_path / "again")).exit_code == 0
    assert dump_files(tmp_path / "again") == dump_files(tmp_path / "dump")


def test_dump_holds_every_field_a_user_sees(filled, tmp_path):
    assert run(filled, "dump", str(tmp_path / "d")).exit_code == 0
    sessions = [json.loads(line) for line in (tmp_path / "d" / "sessions.jsonl").read_text().splitlines()]
    segments = [json.loads(line) for line in (tmp_path / "d" / "segments.jsonl").read_text().splitlines()]
    first = sessions[0]
    assert first["title"].startswith("Session 1") and first["event"] == "Winter Meeting"
    assert first["speakers"][0] == {"name": "Mayor Number 1", "role": "Mayor of Town 1", "position": 0}
    assert "Housing" in first["topics"] and [c["title"] for c in first["chapters"]] == [
        "Opening",
        "Discussion",
    ]
    assert first["tracks"][0]["raw_path"].startswith("captions/")
    assert (tmp_path / "d" / first["tracks"][0]["raw_path"]).is_file()
    assert sum(s["segment_count"] for s in sessions) == len(segments)
    assert all(seg["marks"] and seg["marks"][0][0] == 0 for seg in segments)
    assert any(seg["speaker"] for seg in segments)  # the Teams file names its speakers


def test_load_refuses_a_non_empty_archive_unless_merging(filled, tmp_path, corpus):
    from catalog import Catalog

    assert run(filled, "dump", str(tmp_path / "d")).exit_code == 0
    other = tmp_path / "other"
    other.mkdir()
    cat = Catalog.open(other / "catalog.db")
    try:
        fill_archive(cat, other, corpus, names=["boston-city-council_snippet.vtt", CORPUS_TEAMS])
    finally:
        cat.close()
    before = archive_state(other)
    result = run(other, "load", str(tmp_path / "d"))
    assert result.exit_code == 1 and "not empty" in result.stderr and "--merge" in result.stderr
    assert archive_state(other) == before

    result = run(other, "load", "--merge", str(tmp_path / "d"))
    assert result.exit_code == 0, result.output
    assert session_count(other / "catalog.db") == 6  # 2 there + 5 dumped - 1 already present (same source)
    assert "skipped 1 sessions" in result.output
    assert run(other, "check").exit_code == 0
    # each merged session's raw caption file moved to its new id's folder, byte for byte, and is served from there
    cat = Catalog.open(other / "catalog.db")
    try:
        _, sessions = cat.list_sessions(include_drafts=True, limit=50)
        for session in sessions:
            raw = session.tracks[0].raw_path
            assert (other / raw).is_file(), raw
            if session.source_key != "fixture:boston-city-council_snippet.vtt":
                assert raw.startswith(f"captions/{session.id}/") or raw.startswith("captions/fixture-")
        merged = [s for s in sessions if s.tracks[0].raw_path.startswith(f"captions/{s.id}/")]
        assert len(merged) == 4
        for session in merged:
            original = (
                tmp_path
                / "d"
                / next(
                    json.loads(line)["tracks"][0]["raw_path"]
                    for line in (tmp_path / "d" / "sessions.jsonl").read_text().splitlines()
                    if json.loads(line)["source_key"] == session.source_key
                )
            )
            assert (other / session.tracks[0].raw_path).read_bytes() == original.read_bytes()
    finally:
        cat.close()


def test_dump_with_media_carries_the_recordings_and_load_puts_them_back(catalog, data_dir, tmp_path):
    from catalog import MediaInput, SessionMeta, TrackInput
    from transcripts import Segment, Transcript

    recording = b"RIFF" + bytes(range(256)) * 40
    (data_dir / "media" / "1").mkdir(parents=True)
    (data_dir / "media" / "1" / "talk.wav").write_bytes(recording)
    media = MediaInput("media/1/talk.wav", len(recording), "0" * 64, "audio/wav")
    transcript = Transcript((Segment(0.0, 3.0, "the recording is archived"),))
    catalog.save_session("media:1", SessionMeta(title="With media"), [TrackInput(transcript)], media=media)
    assert run(data_dir, "dump", str(tmp_path / "without")).exit_code == 0
    assert not (tmp_path / "without" / "media").exists()
    result = run(data_dir, "dump", "--media", str(tmp_path / "with"))
    assert result.exit_code == 0 and "1 files" in result.output
    fresh = tmp_path / "fresh"
    assert run(fresh, "load", str(tmp_path / "with")).exit_code == 0
    assert (fresh / "media" / "1" / "talk.wav").read_bytes() == recording
    assert archive_state(fresh)["catalog"] == archive_state(data_dir)["catalog"]


CORPUS_TEAMS = "teams_example-interview_voice-tags.vtt"


def break_dump(folder: Path, how: str) -> None:
    segments = folder / "segments.jsonl"
    lines = segments.read_text(encoding="utf-8").splitlines()
    if how == "broken-json":
        lines[-1] = lines[-1][: len(lines[-1]) // 2]
    elif how == "missing-text":
        record = json.loads(lines[-1])
        del record["text"]
        lines[-1] = json.dumps(record)
    elif how == "missing-segments":
        lines = lines[:-3]
    elif how == "escaping-path":
        sessions = folder / "sessions.jsonl"
        records = [json.loads(line) for line in sessions.read_text().splitlines()]
        records[-1]["tracks"][0]["raw_path"] = "../../etc/passwd"
        sessions.write_text("".join(json.dumps(r) + "\n" for r in records))
    segments.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("how", "says"),
    [
        ("broken-json", "segments.jsonl, line"),
        ("missing-text", "segments.jsonl, line"),
        ("missing-segments", "segment_count says"),
        ("escaping-path", "must stay inside the data folder"),
    ],
)
def test_loading_a_broken_dump_leaves_the_archive_as_it_was(filled, tmp_path, how, says):
    assert run(filled, "dump", str(tmp_path / "d")).exit_code == 0
    break_dump(tmp_path / "d", how)
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    assert run(fresh, "check").exit_code == 1  # no catalog yet
    before = archive_state(fresh)
    result = run(fresh, "load", str(tmp_path / "d"))
    assert result.exit_code == 1 and result.stderr.startswith("error: ") and says in result.stderr
    after = archive_state(fresh)
    assert after["files"] == before["files"]  # caption files copied in were taken out again
    assert session_count(fresh / "catalog.db") == 0


def test_load_refuses_a_folder_that_is_not_a_dump(tmp_path, data_dir):
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "manifest.json").write_text("{not json")
    result = run(data_dir, "load", str(tmp_path / "junk"))
    assert result.exit_code == 1 and "manifest.json: not valid JSON" in result.stderr
    (tmp_path / "empty").mkdir()
    result = run(data_dir, "load", str(tmp_path / "empty"))
    assert result.exit_code == 1 and "not a uscm-archive dump" in result.stderr


def test_dump_refuses_a_folder_that_has_files(filled, tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("keep me")
    result = run(filled, "dump", str(tmp_path / "busy"))
    assert result.exit_code == 1 and "not an empty folder" in result.stderr
    assert [p.name for p in (tmp_path / "busy").iterdir()] == ["notes.txt"]


def test_restore_while_the_site_serves_switches_it_to_the_restored_archive(filled, catalog, tmp_path, corpus):
    """Readers keep reading during the restore (no 5xx), and the running server answers from the restored
    catalog right after, without a restart."""
    import httpx

    from tests.support.liveserver import running
    from uscm_archive.settings import Settings
    from web.app import create_app

    assert run(filled, "backup", str(tmp_path / "five.db")).exit_code == 0
    fill_archive(catalog, filled, corpus, names=["boston-city-council_snippet.vtt"])
    statuses: list[int] = []
    stop = threading.Event()

    def reader(base: str) -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            while not stop.is_set():
                statuses.append(client.get("/api/sessions", params={"limit": 1}).status_code)
                statuses.append(client.get("/api/search", params={"q": "council"}).status_code)

    with running(create_app(Settings(data_dir=filled, secret_key="k" * 40))) as base:
        assert httpx.get(f"{base}/api/sessions").json()["total"] == 6
        threads = [threading.Thread(target=reader, args=(base,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(0.3)
        result = run(filled, "restore", str(tmp_path / "five.db"))
        time.sleep(0.3)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        assert result.exit_code == 0, result.output
        assert httpx.get(f"{base}/api/sessions").json()["total"] == 5
    assert statuses and set(statuses) == {200}, sorted(set(statuses))
