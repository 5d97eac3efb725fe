"""Crash leftovers older than an hour are swept by ``check`` and at ``serve`` start-up, which say what they
removed: staged uploads (``.incoming/``), restore's scratch catalog copies (``.uscm-check-*``, password hashes
inside), unconfirmed bulk dry runs (``.staff-bulk/``) and ``.partial`` copies. Younger ones (an operation may be
running) stay.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from click.testing import CliRunner

from catalog import Catalog
from tests.test_concurrency import cli, free_port, wait_until_up
from uscm_archive.cli import cli as uscm

TWO_HOURS = 2 * 3600


def age(path: Path, seconds: float) -> None:
    stamp = time.time() - seconds
    for inner in [path, *(path.rglob("*") if path.is_dir() else [])]:
        os.utime(inner, (stamp, stamp))


def leave_leftovers(data_dir: Path, seconds: float, tag: str) -> list[Path]:
    staged = data_dir / ".incoming" / f"staged{tag}"
    staged.mkdir(parents=True)
    with open(staged / "talk.mp4", "wb") as handle:
        handle.truncate(3 * 1024**2)  # a recording cut off by a killed upload
    scratch = data_dir / f".uscm-check-{tag}"
    scratch.mkdir()
    (scratch / "catalog.db").write_bytes(b"SQLite format 3\x00 password hashes in here")
    bulk = data_dir / ".staff-bulk"
    bulk.mkdir(exist_ok=True)
    (bulk / f"dry{tag}.jsonl").write_text('{"title": "never confirmed"}\n')
    partial = data_dir / "captions" / "1" / f".en{tag}.vtt.partial"
    partial.parent.mkdir(parents=True, exist_ok=True)
    partial.write_text("WEBVTT\n\n00:00.000 --> 00:0")
    paths = [staged, scratch, bulk / f"dry{tag}.jsonl", partial]
    for path in paths:
        age(path, seconds)
    return paths


def test_check_sweeps_leftovers_older_than_an_hour_and_says_what_it_removed(data_dir):
    Catalog.open(data_dir / "catalog.db").close()
    old = leave_leftovers(data_dir, TWO_HOURS, "old")
    young = leave_leftovers(data_dir, 600, "young")
    result = CliRunner().invoke(uscm, ["--data", str(data_dir), "check"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    removed = [line for line in result.stderr.splitlines() if line.startswith("removed crash leftover: ")]
    assert len(removed) == 4, result.stderr  # notes go to stderr (stdout holds only what a command reports)
    assert any(".incoming/stagedold (1 file(s), 3.0 MB, 2.0 h old)" in line for line in removed), removed
    assert any(".uscm-check-old" in line for line in removed)
    assert any(".staff-bulk/dryold.jsonl" in line for line in removed)
    assert any("captions/1/.enold.vtt.partial" in line for line in removed)
    assert not any(path.exists() for path in old)
    assert all(path.exists() for path in young)
    again = CliRunner().invoke(uscm, ["--data", str(data_dir), "check"], catch_exceptions=False)
    assert "removed crash leftover" not in again.stderr


def test_serve_sweeps_leftovers_at_start_up(data_dir):
    Catalog.open(data_dir / "catalog.db").close()
    old = leave_leftovers(data_dir, TWO_HOURS, "old")
    port = free_port()
    server = subprocess.Popen(
        cli(data_dir, "serve", "--port", str(port)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}", server)
    finally:
        server.terminate()
        _, output = server.communicate(timeout=15)  # the notes, on stderr
    assert output.count("removed crash leftover: ") == 4, output
    assert ".uscm-check-old" in output and ".incoming/stagedold" in output
    assert not any(path.exists() for path in old)
