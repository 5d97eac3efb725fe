"""Sweeping what crashes leave in the data folder: staged uploads, scratch catalog copies, unconfirmed bulk files.

A killed upload or ingest leaves its staged files in ``.incoming/`` (a recording can be gigabytes); a killed
``restore`` leaves its checked scratch copy ``.uscm-check-*/`` (the whole catalog, password hashes included);
every unconfirmed bulk dry run leaves its file in ``.staff-bulk/``; a killed ``load`` or ``backup`` leaves a
``.partial`` copy. ``sweep_leftovers`` removes those older than ``MAX_AGE`` (an hour: no running operation holds
one that long untouched) and says what it removed; ``sweep_staged`` does the same for the staged files of an
object store (``--media-store``). ``serve`` runs both at start-up and ``check`` each time.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from archive.storage import STAGING
from catalog import DataFolder, FileStore, FileStoreError, LocalFiles

MAX_AGE = 3600.0
# catalog/ops/backup.py's scratch copies (beside the catalog, and in the temp folder)
CHECK_COPIES = ".uscm-check-*"
PARTIAL = ("captions/**/.*.partial", "media/**/.*.partial", ".*.partial-*")


def sweep_staged(files: FileStore, *, max_age: float = MAX_AGE, now: float | None = None) -> list[str]:
    """Remove the object store's staged files (``.incoming/…`` of an upload or ingest killed before its save)
    older than ``max_age`` seconds; one line each. The data folder's own are ``sweep_leftovers``'."""
    if isinstance(files, LocalFiles):
        return []
    now = time.time() if now is None else now
    removed = []
    try:
        for staged in files.list(STAGING):
            age = now - (staged.modified or now)
            if age >= max_age:
                files.delete(staged.path)
                removed.append(
                    f"{staged.path} in {files.description} ({_size(staged.size)}, {age / 3600:.1f} h old)"
                )
    except FileStoreError as exc:
        removed.append(f"(the store's staged files could not be swept: {exc})")
    return removed


def sweep_leftovers(data_dir: Path, *, max_age: float = MAX_AGE, now: float | None = None) -> list[str]:
    """Remove crash leftovers older than ``max_age`` seconds; one line for each thing removed."""
    data_dir, now = Path(data_dir), time.time() if now is None else now
    folder = DataFolder(data_dir)
    candidates = [*_children(folder.staging), *_children(folder.bulk_uploads)]
    candidates += sorted(data_dir.glob(CHECK_COPIES)) + sorted(Path(tempfile.gettempdir()).glob(CHECK_COPIES))
    for pattern in PARTIAL:
        candidates += sorted(data_dir.glob(pattern))
    removed = []
    for path in candidates:
        age = now - _newest_change(path)
        if age < max_age:
            continue
        files, size = _weigh(path)
        if _remove(path):
            removed.append(
                f"{_shown(path, data_dir)} ({files} file(s), {_size(size)}, {age / 3600:.1f} h old)"
            )
    return removed


def _children(folder: Path) -> list[Path]:
    return sorted(folder.iterdir()) if folder.is_dir() else []


def _newest_change(path: Path) -> float:
    try:
        newest = path.lstat().st_mtime
        if path.is_dir() and not path.is_symlink():
            for inner in path.rglob("*"):
                newest = max(newest, inner.lstat().st_mtime)
    except OSError:
        return time.time()  # vanished or unreadable meanwhile: leave it alone
    return newest


def _weigh(path: Path) -> tuple[int, int]:
    if not path.is_dir() or path.is_symlink():
        return 1, path.lstat().st_size
    files = [p for p in path.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def _remove(path: Path) -> bool:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except OSError:
        return False
    return True


def _shown(path: Path, data_dir: Path) -> str:
    try:
        return path.relative_to(data_dir).as_posix()
    except ValueError:
        return str(path)


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{int(n)} bytes" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)
