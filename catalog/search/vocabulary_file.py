"""The typo vocabulary as one process read it, kept beside the catalog for the next process to start from.

Reading the vocabulary (``typos._read``: every word of the transcripts with how many segments say it, an fts5vocab
walk of the whole windows index) takes 0.8–1.2 s at 1M segments, once per process. A server worker pays it at its
start; a command-line search of a misspelt word paid it every time (1.75 s against 0.35 s for a word the archive
holds, measured at 1M). So the process that reads it writes it to ``.<catalog file name>.vocabulary.json`` in the
catalog's folder, with what ``typos._version`` said then; the next process loads it (~20 ms) and grows it with
the words of segments added or corrected since (``typos._grown``), as a long-running process does.

It is a cache, never the truth: it is used only for the same catalog file (its device and inode, which a restore
or a copy changes), only while the catalog has not shrunk past it (``typos.vocabulary_of`` reads afresh then), and
anything unreadable, of another format or of the wrong shape is ignored. Written atomically (a temporary file
renamed over it), owner-only; a folder that cannot be written just means no file. Deleting it is always safe.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

FORMAT = 1
GROWN_SEGMENTS = 20_000  # a process that grew a loaded reading by more segments than this writes it again


def file_of(catalog: str | Path) -> Path:
    catalog = Path(catalog)
    return catalog.with_name(f".{catalog.name}.vocabulary.json")


def _identity(catalog: str | Path) -> list[int]:
    found = os.stat(catalog)
    return [found.st_dev, found.st_ino]


def load(catalog: str | Path):
    """``(version, Vocabulary)`` from the file, or ``None`` when there is none usable for this catalog file."""
    from catalog.search.typos import Vocabulary

    try:
        data = json.loads(file_of(catalog).read_text(encoding="utf-8"))
        if (
            not isinstance(data, dict)
            or data.get("format") != FORMAT
            or data.get("catalog") != _identity(catalog)
        ):
            return None
        version = tuple(data["version"])
        by_length = {int(n): list(words) for n, words in data["by_length"].items()}
        names = frozenset(data["names"])
        used = dict(data["used"])
        checks = (
            len(version) == 5
            and all(v is None or isinstance(v, int | str) for v in version)
            and all(isinstance(w, str) and len(w) == n for n, words in by_length.items() for w in words)
            and all(isinstance(w, str) for w in names)
            and all(isinstance(w, str) and isinstance(c, int) for w, c in used.items())
        )
        return (version, Vocabulary(by_length, names, used=used)) if checks else None
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def save(catalog: str | Path, version: tuple, vocabulary) -> bool:
    """Write the reading for the next process; whether it was written (a read-only folder: not, silently)."""
    target = file_of(catalog)
    temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        body = json.dumps(
            {
                "format": FORMAT,
                "catalog": _identity(catalog),
                "version": list(version),
                "by_length": {str(n): words for n, words in vocabulary.by_length.items()},
                "names": sorted(vocabulary.names),
                "used": vocabulary.used,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(body)
        os.replace(temporary, target)
        return True
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        return False
