"""What a user could notice about an archive, captured so that a test can say "nothing changed".

``archive_state(data_dir)`` is every row of the catalog (SQLite's own ``iterdump``, FTS shadow tables included)
plus every file under the data folder with its SHA-256 (the typo vocabulary's cache file apart). Two equal states are the same archive, byte for byte.
``fill_archive`` stores a few sessions made from the real-world corpus through the catalog's public contract.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

CORPUS_FILES = (
    "oakland-city-council-2022-08-09.vtt",
    "seattle-council-briefing-2021-08-02_bom-positioned.vtt",
    "zoom_teacher-chemistry-lesson-31m.vtt",
    "srt_user2021-talk-carpentries_overlapping-cues.srt",
    "teams_example-interview_voice-tags.vtt",
)


def archive_state(data_dir: Path, catalog: Path | str | None = None) -> dict:
    """(On PostgreSQL: every row of its tables, the database named by ``catalog`` or, without it, by
    ``USCM_ARCHIVE_CATALOG`` when the test set it.)"""
    from tests.pg_server import catalog_of, table_rows

    data_dir = Path(data_dir)
    catalog = catalog or catalog_of(data_dir)
    rows: list[str] = []
    if isinstance(catalog, str):
        rows = table_rows(catalog)
    elif catalog.exists():
        conn = sqlite3.connect(catalog)
        try:
            rows = list(conn.iterdump())
        finally:
            conn.close()
    # (not the typo vocabulary a search leaves for the next process, ``.catalog.db.vocabulary.json``: a cache of
    # what the catalog holds, written by reading it, not part of what it holds)
    files = {
        str(path.relative_to(data_dir)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(data_dir.rglob("*"))
        if path.is_file() and not path.name.startswith(("catalog.db", ".catalog.db.vocabulary"))
    }
    return {"catalog": rows, "files": files}


def fill_archive(catalog, data_dir: Path, corpus: Path, names=CORPUS_FILES) -> list[int]:
    """One published session per corpus caption file, with speakers, topics and a kept raw file."""
    from catalog import SessionMeta, SpeakerCredit, TrackInput
    from transcripts import Chapter, parse_file

    ids = []
    for number, name in enumerate(names, start=1):
        source = corpus / "captions" / name
        raw = Path("captions") / f"fixture-{number}" / f"en.upload{source.suffix}"
        (data_dir / raw).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, data_dir / raw)
        meta = SessionMeta(
            title=f"Session {number}: {source.stem}",
            date=f"2024-0{number % 9 + 1}-1{number % 10}",
            event="Winter Meeting" if number % 2 else "Annual Meeting",
            description=f"Recorded session number {number}.",
            speakers=(SpeakerCredit(f"Mayor Number {number}", f"Mayor of Town {number}"),),
            topics=("Housing", f"Topic {number}"),
            tags=("test", name),
        )
        track = TrackInput(parse_file(data_dir / raw), language="en", source="upload", raw_path=str(raw))
        chapters = (Chapter(0.0, "Opening"), Chapter(60.0, "Discussion"))
        ids.append(catalog.save_session(f"fixture:{name}", meta, [track], chapters))
    return ids
