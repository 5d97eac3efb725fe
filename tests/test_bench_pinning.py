"""bench/pinning.py: the benches' ``--pin`` holds the measured files in memory, or says why it could not."""

from __future__ import annotations

from pathlib import Path

from bench.pinning import pin


def locked_kib() -> int:
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("VmLck:"))
    return int(line.split()[1])


def test_pin_locks_every_file_of_a_folder_or_says_why(tmp_path):
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / "a.bin").write_bytes(b"x" * 3_000_000)
    (tmp_path / "catalog.db").write_bytes(b"y" * 1_000_000)
    (tmp_path / "empty").write_bytes(b"")
    before = locked_kib()
    pinned = pin([tmp_path / "index", tmp_path / "catalog.db"])
    try:
        if pinned.error:  # (no right to lock this much here: the run goes on unpinned, and says so)
            assert pinned.error.startswith("mlock ") and pinned.files == []
            assert locked_kib() == before
            return
        assert sorted(Path(f).name for f in pinned.files) == ["a.bin", "catalog.db"]
        assert pinned.describe() == {"files": 2, "mib": 4, "error": None}
        assert locked_kib() - before >= 3_900
    finally:
        pinned.close()
    assert locked_kib() == before
