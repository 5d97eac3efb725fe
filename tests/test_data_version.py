"""The catalog's one data version (``Catalog.data_version()``, ``Catalog.version_at(path)``): the same token in
every process for the same data, and a new one after every commit, even two commits in a row that leave the
write-ahead log the same size within one tick of the file-system clock."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

from catalog import Catalog, SessionMeta, TrackInput
from transcripts import Segment, Transcript

READER = "import sys; from catalog import Catalog; print(Catalog.version_at(sys.argv[1]).token)"


def add(catalog: Catalog, key: str) -> int:
    segments = (Segment(0.0, 4.0, f"the lighthouse of {key}"),)
    return catalog.save_session(key, SessionMeta(title=key), [TrackInput(Transcript(segments=segments))])


def test_every_process_sees_the_same_version(data_dir):
    catalog = Catalog.open(data_dir / "catalog.db")
    try:
        add(catalog, "harbor")
        here = catalog.data_version().token
        there = subprocess.run(
            [sys.executable, "-c", READER, str(catalog.path)], check=True, capture_output=True, text=True
        ).stdout.strip()
        assert there == here == Catalog.version_at(catalog.path).token
    finally:
        catalog.close()


def test_each_commit_moves_the_version_after_the_log_restarts(data_dir):
    catalog = Catalog.open(data_dir / "catalog.db")
    try:
        session_id = add(catalog, "harbor")
        for key in ("bay", "coast", "cape"):
            add(catalog, key)  # a log longer than the commits below
        checkpoint = sqlite3.connect(catalog.path)
        busy, _, _ = checkpoint.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
        checkpoint.close()
        assert busy == 0
        wal = f"{catalog.path}-wal"
        sizes, tokens = [os.path.getsize(wal)], [catalog.data_version().token]
        for status in ("draft", "published", "draft", "published"):
            catalog.set_status(session_id, status)  # the log is written again from its start
            sizes.append(os.path.getsize(wal))
            tokens.append(catalog.data_version().token)
        assert len(set(sizes)) == 1  # the log's size tells nothing
        assert len(set(tokens)) == len(tokens)
    finally:
        catalog.close()
