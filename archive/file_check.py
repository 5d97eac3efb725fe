"""``check`` for the files beside the catalog: every media and raw caption file the catalog refers to is there,
with the size and sha256 recorded when it was placed (``quick``: sizes only). Files under ``captions/`` and
``media/`` that no session refers to are reported as notes (an interrupted ``load`` or ingest leaves them; the
re-run places or replaces them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from archive.storage import file_digest
from catalog import Catalog, DataFolder, ExpectedFile


@dataclass
class FileReport:
    checked: int = 0
    hashed: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def check_files(catalog: Catalog, data_dir: Path, *, quick: bool = False) -> FileReport:
    report = FileReport()
    expected = catalog.ops.expected_files()
    for wanted in expected:
        problem = _file_problem(Path(data_dir), wanted, quick, report)
        if problem:
            report.problems.append(problem)
    known = {wanted.path for wanted in expected}
    strays = [path for path in _files_under(Path(data_dir)) if path not in known]
    if strays:
        shown = ", ".join(strays[:3]) + (f" and {len(strays) - 3} more" if len(strays) > 3 else "")
        report.notes.append(f"{len(strays)} file(s) belong to no session: {shown}")
    return report


def _file_problem(data_dir: Path, wanted: ExpectedFile, quick: bool, report: FileReport) -> str | None:
    path = DataFolder(data_dir).path(wanted.path)
    where = f"{wanted.kind} file {wanted.path} of session {wanted.session_id}"
    if not path.is_file():
        return f"{where}: missing"
    report.checked += 1
    size = path.stat().st_size
    if wanted.size is not None and size != wanted.size:
        return f"{where}: {size:,} bytes, but {wanted.size:,} were stored"
    if quick or wanted.sha256 is None:
        return None
    report.hashed += 1
    if file_digest(path)[1] != wanted.sha256:
        return f"{where}: its sha256 differs from the one stored (the file was altered or damaged)"
    return None


def _files_under(data_dir: Path) -> list[str]:
    found = []
    folder = DataFolder(data_dir)
    for root in (folder.captions, folder.media):
        if root.is_dir():
            found += [p.relative_to(data_dir).as_posix() for p in sorted(root.rglob("*")) if p.is_file()]
    return found
