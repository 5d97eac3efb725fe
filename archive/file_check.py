"""``check`` for the files beside the catalog, wherever they are kept (the data folder, or the object store of
``--media-store``): every media and raw caption file the catalog refers to is there, with the size and sha256
recorded when it was placed (``quick``: sizes only; the full check reads every file back from the store). Files
under ``captions/`` and ``media/`` that no session refers to are reported as notes (an interrupted ``load`` or
ingest leaves them; the re-run places or replaces them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from archive.storage import files_for
from catalog import FILE_AREAS, Catalog, ExpectedFile, FileMissing, FileStore, FileStoreError


@dataclass
class FileReport:
    checked: int = 0
    hashed: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def check_files(
    catalog: Catalog, data_dir: Path, *, quick: bool = False, files: FileStore | None = None
) -> FileReport:
    report = FileReport()
    files = files_for(data_dir, files)
    expected = catalog.ops.expected_files()
    try:
        present = {stored.path: stored for area in FILE_AREAS for stored in files.list(area)}
    except FileStoreError as exc:
        report.problems.append(f"the files cannot be listed: {exc}")
        return report
    for wanted in expected:
        problem = _file_problem(files, present, wanted, quick, report)
        if problem:
            report.problems.append(problem)
    known = {wanted.path for wanted in expected}
    strays = [path for path in present if path not in known]
    if strays:
        shown = ", ".join(strays[:3]) + (f" and {len(strays) - 3} more" if len(strays) > 3 else "")
        report.notes.append(f"{len(strays)} file(s) belong to no session: {shown}")
    return report


def _file_problem(
    files: FileStore, present: dict, wanted: ExpectedFile, quick: bool, report: FileReport
) -> str | None:
    where = f"{wanted.kind} file {wanted.path} of session {wanted.session_id}"
    stored = present.get(wanted.path)
    if stored is None:
        return f"{where}: missing"
    report.checked += 1
    if wanted.size is not None and stored.size != wanted.size:
        return f"{where}: {stored.size:,} bytes, but {wanted.size:,} were stored"
    if quick or wanted.sha256 is None:
        return None
    report.hashed += 1
    try:
        digest = files.digest(wanted.path)[1]
    except FileMissing:
        return f"{where}: missing"
    except FileStoreError as exc:
        return f"{where}: cannot be read: {exc}"
    if digest != wanted.sha256:
        return f"{where}: its sha256 differs from the one stored (the file was altered or damaged)"
    return None
