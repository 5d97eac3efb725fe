"""``load`` places whole files or none, and ``check`` verifies every media and caption file.

Before: a ``load`` killed while copying a recording left it truncated; the re-run skipped the existing file
("0 files") and ``check`` said ok. Now each file is copied under a temporary name, verified (size and sha256)
and renamed; an existing file that differs is an error; a re-run after a kill completes the load; ``check`` hashes
every file against the size and sha256 recorded when it was placed.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.archive_state import archive_state, fill_archive
from uscm_archive.cli import cli

MEDIA_BYTES = 50 * 1024**2
KILLS = 10


def run(data_dir: Path, *args: str):
    return CliRunner().invoke(cli, ["--data", str(data_dir), *args], catch_exceptions=False)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def write_recording(path: Path) -> tuple[int, str]:
    """50 MB: random blocks with sparse holes between them, written in pieces (never 50 MB in memory)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        for block in range(MEDIA_BYTES // (1 << 20)):
            handle.write(os.urandom(1 << 16) if block % 2 else os.urandom(1 << 20))
            handle.seek((block + 1) * (1 << 20))
        handle.truncate(MEDIA_BYTES)
    return MEDIA_BYTES, sha256(path)


@pytest.fixture
def dump(catalog, data_dir, corpus, tmp_path):
    """A dump (with --media) of five corpus sessions and one with a 50 MB recording."""
    from catalog import SESSION_ID, MediaInput, SessionMeta, TrackInput
    from transcripts import Segment, Transcript

    fill_archive(catalog, data_dir, corpus)
    scratch = tmp_path / "talk.mp4"
    size, digest = write_recording(scratch)
    media = MediaInput(f"media/{SESSION_ID}/talk.mp4", size, digest, "video/mp4")
    transcript = Transcript((Segment(0.0, 3.0, "the recording is archived whole"),))
    session_id = catalog.save_session(
        "media:talk", SessionMeta(title="Recorded"), [TrackInput(transcript)], media=media
    )
    (data_dir / "media" / str(session_id)).mkdir(parents=True)
    os.replace(scratch, data_dir / "media" / str(session_id) / "talk.mp4")
    folder = tmp_path / "dump"
    assert run(data_dir, "dump", "--media", str(folder)).exit_code == 0
    return folder


def dump_files(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): sha256(path)
        for name in ("captions", "media")
        for path in sorted((folder / name).rglob("*"))
        if path.is_file()
    }


def load_process(target: Path, folder: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "uscm_archive.cli", "--data", str(target), "load", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def partial_size(target: Path) -> int:
    return sum(p.stat().st_size for p in target.glob("media/*/.talk.mp4.partial"))


def kill_points(media: str):
    """Ten moments of a load: start-up, captions being copied, the recording at 0-90 %, placed, the catalog."""
    placed = lambda t: (t / media).exists()  # noqa: E731
    return [
        ("start-up", lambda t: True, 0.3),
        ("first caption", lambda t: any(t.glob("captions/*/*")), 0.0),
        ("recording begun", lambda t: partial_size(t) > 0, 0.0),
        ("recording 25%", lambda t: partial_size(t) >= MEDIA_BYTES // 4, 0.0),
        ("recording 60%", lambda t: partial_size(t) >= MEDIA_BYTES * 6 // 10, 0.0),
        ("recording 90%", lambda t: partial_size(t) >= MEDIA_BYTES * 9 // 10, 0.0),
        ("recording placed", placed, 0.0),
        ("catalog +5 ms", placed, 0.005),
        ("catalog +30 ms", placed, 0.03),
        ("catalog +120 ms", placed, 0.12),
    ]


def kill_at(target: Path, folder: Path, ready, delay: float) -> str:
    process = load_process(target, folder)
    deadline = time.monotonic() + 60
    while process.poll() is None and not ready(target) and time.monotonic() < deadline:
        time.sleep(0.0005)
    time.sleep(delay)
    if process.poll() is not None:
        return "finished before the kill"
    process.send_signal(signal.SIGKILL)
    process.wait()
    return "killed"


@pytest.mark.slow
def test_a_load_killed_at_ten_points_is_completed_by_a_re_run_and_every_file_matches(dump, tmp_path):
    wanted = dump_files(dump)
    media = next(path for path in wanted if path.startswith("media/"))
    outcomes = []
    for number, (name, ready, delay) in enumerate(kill_points(media)):
        target = tmp_path / f"target-{number}"
        outcome = kill_at(target, dump, ready, delay)
        after_kill = run(target, "check") if (target / "catalog.db").exists() else None
        if after_kill is not None:  # whatever the kill left, check passes or names it; never a traceback
            assert "Traceback" not in after_kill.output
            assert after_kill.exit_code == 0 or "problem:" in after_kill.stderr, after_kill.output
        again = run(target, "load", str(dump))
        assert again.exit_code == 0, (name, again.output)
        for path, digest in wanted.items():
            assert sha256(target / path) == digest, (name, path)
        checked = run(target, "check")
        assert checked.exit_code == 0, (name, checked.output)
        assert checked.stdout.strip().endswith(": ok")
        assert not list(target.rglob("*.partial")), name
        outcomes.append((name, outcome, again.stdout.strip().splitlines()[0]))
    print(*outcomes, sep="\n")
    assert sum(1 for _, outcome, _ in outcomes if outcome == "killed") >= 7, outcomes


def test_load_refuses_an_existing_file_that_differs_and_changes_nothing(dump, tmp_path):
    target = tmp_path / "target"
    caption = next(path for path in dump_files(dump) if path.startswith("captions/"))
    (target / caption).parent.mkdir(parents=True)
    (target / caption).write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nsomething else\n")
    before = archive_state(target)
    result = run(target, "load", str(dump))
    assert result.exit_code == 1
    assert f"{target / caption}: already exists and differs" in result.stderr
    assert archive_state(target)["files"] == before["files"]


def test_check_verifies_every_media_and_caption_file(dump, tmp_path):
    target = tmp_path / "target"
    assert run(target, "load", str(dump)).exit_code == 0
    files = dump_files(dump)
    media = target / next(path for path in files if path.startswith("media/"))
    caption = target / next(path for path in files if path.startswith("captions/"))
    assert run(target, "check").exit_code == 0

    data = bytearray(caption.read_bytes())
    data[-2] = ord("X") if data[-2] != ord("X") else ord("Y")  # same size, other bytes
    caption.write_bytes(bytes(data))
    result = run(target, "check")
    assert result.exit_code == 1 and "its sha256 differs" in result.stderr
    assert caption.relative_to(target).as_posix() in result.stderr
    assert run(target, "check", "--quick").exit_code == 0  # sizes only

    with open(media, "r+b") as handle:
        handle.truncate(4_900_000)  # the truncated recording of the attack
    result = run(target, "check", "--quick")
    assert result.exit_code == 1
    assert "4,900,000 bytes, but 52,428,800 were stored" in result.stderr
    media.unlink()
    assert "missing" in run(target, "check", "--quick").stderr
