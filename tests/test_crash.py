"""A bulk ingest killed with SIGKILL at random moments (seeded) loses nothing and half-stores nothing.

``uscm-archive import-catalog`` runs as a real subprocess over a catalog of sessions with real transcripts and is
killed -9 several times, each time at a different moment of its work, in the same data folder. After every kill:
SQLite's integrity check passes, the full-text index matches the text, and every session present is whole (its
segment count is the full run's). Running the import once more then completes with no duplicates, and search
answers exactly as after an uninterrupted import.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from catalog import ops_for

SEED = 20240118
SESSIONS = 30
KILLS = 6
CAPTIONS = (
    "oakland-city-council-2022-08-09.vtt",
    "zoom_teacher-chemistry-lesson-31m.vtt",
    "srt_user2021-talk-carpentries_overlapping-cues.srt",
    "teams_example-interview_voice-tags.vtt",
    "seattle-council-briefing-2021-08-02_bom-positioned.vtt",
    "manual_uw-it-accessibility-video_voice-tags.en.vtt",
)
QUERIES = ('"city council"', "chemistry", "statistics OR accessibility", "meet*", "the -council")


def write_bulk_catalog(folder: Path, corpus: Path) -> Path:
    folder.mkdir()
    for name in CAPTIONS:
        shutil.copyfile(corpus / "captions" / name, folder / name)
    lines = []
    for number in range(SESSIONS):
        lines.append(
            {
                "key": f"bulk-{number:03d}",
                "title": f"Bulk session {number}",
                "date": f"2023-{number % 12 + 1:02d}-{number % 27 + 1:02d}",
                "event": "Crash Test Meeting",
                "speakers": [f"Mayor Number {number % 7}"],
                "topics": ["Resilience", f"Topic {number % 5}"],
                "transcript": CAPTIONS[number % len(CAPTIONS)],
            }
        )
    path = folder / "sessions.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def import_command(data_dir: Path, catalog_file: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uscm_archive.cli",
        "--data",
        str(data_dir),
        "import-catalog",
        str(catalog_file),
    ]


def sessions_with_counts(data_dir: Path) -> dict[str, tuple[int, int, int]]:
    """source_key -> (segment_count, segments stored, raw files present) for every session."""
    conn = sqlite3.connect(data_dir / "catalog.db")
    try:
        rows = conn.execute(
            """SELECT s.source_key, s.segment_count, (SELECT count(*) FROM segments g WHERE g.session_id = s.id),
                      (SELECT group_concat(raw_path, '|') FROM tracks t WHERE t.session_id = s.id)
               FROM sessions s"""
        ).fetchall()
    finally:
        conn.close()
    return {
        key: (declared, stored, sum((data_dir / p).is_file() for p in (paths or "").split("|") if p))
        for key, declared, stored, paths in rows
    }


def count_sessions(data_dir: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{data_dir / 'catalog.db'}?mode=ro", uri=True, timeout=0.05)
        try:
            return conn.execute("SELECT count(*) FROM sessions").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0  # not created yet, or busy


def reference_import(data_dir: Path, catalog_file: Path) -> None:
    """The same import, uninterrupted and in process: what every session must look like."""
    from archive.catalog_import import import_catalog
    from catalog import Catalog

    catalog = Catalog.open(data_dir / "catalog.db")
    try:
        assert import_catalog(catalog, data_dir, catalog_file).imported
    finally:
        catalog.close()


def kill_when_stored(data_dir: Path, catalog_file: Path, target: int, jitter: float) -> int:
    """Start the import; SIGKILL it once ``target`` sessions are stored (plus ``jitter`` seconds, to land
    anywhere in the next session's write). Returns how many sessions were stored when it was killed."""
    process = subprocess.Popen(
        import_command(data_dir, catalog_file), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        if count_sessions(data_dir) >= target:
            time.sleep(jitter)
            break
        time.sleep(0.002)
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    return count_sessions(data_dir)


def search_answers(data_dir: Path) -> dict:
    from catalog import Catalog, SearchRequest

    catalog = Catalog.open(data_dir / "catalog.db")
    try:
        answers = {}
        for query in QUERIES:
            results = catalog.search(SearchRequest(query, limit=50))
            answers[query] = (results.total, sorted((h.session_title, h.start, h.text) for h in results.hits))
        return answers
    finally:
        catalog.close()


@pytest.mark.slow
def test_bulk_ingest_killed_at_random_points_stays_whole_and_resumes_without_duplicates(tmp_path, corpus):
    catalog_file = write_bulk_catalog(tmp_path / "incoming", corpus)

    reference = tmp_path / "reference"
    reference_import(reference, catalog_file)
    expected = sessions_with_counts(reference)
    assert len(expected) == SESSIONS and all(stored > 0 for _, stored, _ in expected.values())

    data_dir = tmp_path / "data"
    rng = random.Random(SEED)
    targets = sorted(rng.sample(range(1, SESSIONS - 1), KILLS))
    stored_at_kill = []
    for target in targets:
        jitter = rng.uniform(0, 0.05)
        stored_at_kill.append(kill_when_stored(data_dir, catalog_file, target, jitter))
        where = f"after a kill at {target} sessions + {jitter * 1000:.0f} ms"
        assert ops_for(data_dir / "catalog.db").check() == [], where
        present = sessions_with_counts(data_dir)
        for key, (declared, stored, raw_files) in present.items():
            assert (declared, stored) == expected[key][:2], f"{key} is half-stored {where}"
            # the raw file is in place, or (killed between the commit and the rename) still staged
            staged = (
                any((data_dir / ".incoming").rglob("*.*")) if (data_dir / ".incoming").exists() else False
            )
            assert raw_files == 1 or staged, f"{key}: its raw caption file is lost {where}"
    assert any(count < SESSIONS for count in stored_at_kill), f"every import finished first: {stored_at_kill}"
    print(f"\nkilled at {targets} sessions stored; found {stored_at_kill} whole sessions after the kills")

    finished = subprocess.run(
        import_command(data_dir, catalog_file), capture_output=True, text=True, timeout=300
    )
    assert finished.returncode == 0, finished.stderr
    assert sessions_with_counts(data_dir) == expected  # every session, whole, once
    assert ops_for(data_dir / "catalog.db").check() == []
    assert search_answers(data_dir) == search_answers(reference)
