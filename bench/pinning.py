"""Hold files' pages in memory for the length of a measurement (``mlock`` of a mapping of each file).

The VMs this project is measured on run DAMON's proactive reclaim (``kdamond``, scheme ``pageout``): pages of a
700 MB catalog that a search has not touched for a while are evicted within minutes, and a search that meets
one waits for the disk and spends system CPU reading it back. That shows as noise of ±30% between runs of the
same code, and it falls on every contender (the catalog's file, Tantivy's index files). ``--pin`` in the benches
locks the files they measure, all of them alike, so that runs compare code, not the reclaimer's timing.

Needs the right to lock that much memory (root, or ``ulimit -l`` as large): otherwise ``pin`` says why and
returns nothing pinned, and the run goes on unpinned (the report says which).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import mmap
import os
from pathlib import Path


class Pinned:
    def __init__(self) -> None:
        self.files: list[str] = []
        self.bytes = 0
        self.error: str | None = None
        self._maps: list[mmap.mmap] = []

    def close(self) -> None:
        for m in self._maps:
            m.close()  # (unmapping unlocks)
        self._maps = []

    def describe(self) -> dict:
        return {"files": len(self.files), "mib": round(self.bytes / 2**20), "error": self.error}


def pin(paths: list[Path]) -> Pinned:
    """Lock every file under ``paths`` (files or folders) in memory; see ``Pinned.error`` for what failed."""
    pinned = Pinned()
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.mlock.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
    for path in paths:
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            size = file.stat().st_size
            if size == 0:
                continue
            with open(file, "rb") as handle:
                mapping = mmap.mmap(handle.fileno(), size, access=mmap.ACCESS_COPY)
            address = ctypes.addressof(ctypes.c_char.from_buffer(mapping))
            if libc.mlock(address, size) != 0:
                pinned.error = f"mlock {file}: {os.strerror(ctypes.get_errno())}"
                del address
                mapping.close()
                pinned.close()
                return pinned
            pinned._maps.append(mapping)
            pinned.files.append(str(file))
            pinned.bytes += size
    return pinned
