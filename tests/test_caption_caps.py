"""A caption file under the byte cap but with 700,000 cues (~18 MB) is refused with the cue cap named, quickly and
in bounded memory (it was accepted after 27-36 s at ~900 MB, and then slowed every search). Large files are read
one at a time in a process; one that waits says so.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.support.archive_state import archive_state, fill_archive
from transcripts import TranscriptError, parse_bytes
from transcripts.caps import LARGE_PARSE_BYTES, MAX_CUES, parse_slot

CUES = 700_000
PEAK_LIMIT_KB = 400 * 1024  # the file decoded is ~18 MB of text; parsed it took ~900 MB


def many_cues(path: Path, count: int) -> Path:
    block = "00:01.000 --> 00:02.000\nx\n\n" * 10_000
    with path.open("w", encoding="utf-8") as handle:
        handle.write("WEBVTT\n\n")
        for _ in range(count // 10_000):
            handle.write(block)
    return path


@pytest.fixture
def archive(catalog, data_dir, corpus):
    fill_archive(catalog, data_dir, corpus, names=["teams_example-interview_voice-tags.vtt"])
    return data_dir


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak memory is read from /proc (Linux)")
def test_700k_cues_are_refused_with_the_cap_named_fast_and_in_bounded_memory(archive, tmp_path):
    path = many_cues(tmp_path / "flood.vtt", CUES)
    assert 17 * 2**20 < path.stat().st_size < 20 * 2**20  # under the 20 MB byte cap
    before = archive_state(archive)
    probe = (
        "import re, sys\n"
        "from uscm_archive.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "peak = re.search(r'VmHWM:\\s*(\\d+)', open('/proc/self/status').read()).group(1)\n"
        "print(f'peak_kb={peak}', file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", probe, "--data", str(archive), "ingest", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.perf_counter() - started
    assert result.returncode == 1, result.stderr
    error, peak = result.stderr.strip().splitlines()
    assert (
        error == f"error: {path}: the file has {CUES:,} cues; a caption file is limited to {MAX_CUES:,} cues"
    )
    peak_kb = int(re.search(r"\d+", peak).group())
    print(f"refused in {elapsed:.2f} s at a peak of {peak_kb / 1024:.0f} MB")
    assert elapsed < 10, f"refusing took {elapsed:.1f} s"
    assert peak_kb < PEAK_LIMIT_KB, peak
    assert archive_state(archive) == before


def test_a_file_at_the_cue_cap_is_still_read():
    data = ("WEBVTT\n\n" + "00:01.000 --> 00:02.000\nx\n\n" * 1000).encode()
    assert len(parse_bytes(data, "ok.vtt").segments) >= 1
    too_many = ("WEBVTT\n\n" + "00:01.000 --> 00:02.000\nx\n\n" * (MAX_CUES + 1)).encode()
    with pytest.raises(TranscriptError, match=f"limited to {MAX_CUES:,} cues"):
        parse_bytes(too_many, "many.vtt")


def test_large_parses_take_turns_and_the_waiting_one_says_so():
    order: list[str] = []
    inside = threading.Event()
    release = threading.Event()

    def first() -> None:
        with parse_slot(LARGE_PARSE_BYTES + 1, "first.vtt", []):
            order.append("first in")
            inside.set()
            release.wait(10)
            order.append("first out")

    warnings: list[str] = []

    def second() -> None:
        with parse_slot(LARGE_PARSE_BYTES + 1, "second.vtt", warnings):
            order.append("second in")

    one = threading.Thread(target=first)
    one.start()
    inside.wait(10)
    two = threading.Thread(target=second)
    two.start()
    with parse_slot(100, "small.vtt", []):  # a small file never waits
        order.append("small")
    time.sleep(0.2)
    release.set()
    one.join(10)
    two.join(10)
    assert order == ["first in", "small", "first out", "second in"]
    assert warnings and "second.vtt: waited" in warnings[0] and "one at a time" in warnings[0]
