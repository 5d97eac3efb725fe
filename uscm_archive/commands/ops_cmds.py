"""Operations: ``backup``, ``restore``, ``dump``, ``load``, ``check`` and ``compact`` — keeping the archive safe
and its full-text indexes compact."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from catalog import CatalogError, ops_for
from uscm_archive.commands.common import open_catalog, with_settings
from uscm_archive.commands.output import STDIO, Output, cli_user, reporting, stdin_binary, stdout_binary
from uscm_archive.settings import Settings


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def _require_catalog(settings: Settings) -> None:
    if settings.catalog_on_file and not settings.folder.catalog.is_file():
        raise CatalogError(f"{settings.catalog_path}: no catalog here (is --data right?)")


def _info_json(info) -> dict:
    return {"sessions": info.sessions, "segments": info.segments, "size": info.size}


@contextmanager
def _spooled(suffix: str) -> Iterator[Path]:
    """A temporary file for a catalog going to or coming from a pipe (SQLite reads and writes files)."""
    with tempfile.TemporaryDirectory(prefix="uscm-archive-") as folder:
        yield Path(folder) / f"catalog{suffix}"


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@reporting('{"file", "sessions", "segments", "size"} (size in bytes).')
@with_settings
def backup_cmd(settings: Settings, file: str, force: bool, out: Output) -> None:
    """Copy the catalog to FILE with SQLite's online backup (safe while serving); `-` writes the copy to
    standard output (`uscm-archive backup - | gzip > catalog.db.gz`).

    The copy holds the whole catalog, staff accounts included. Caption and media files live beside it in the
    data folder: copy those folders too (or use `dump`). With --media-store, the backup then checks that the
    store holds every file the copy refers to, at its recorded size (exit 1, naming them, when one is not).
    """
    ops = ops_for(settings.catalog_path)
    if file == STDIO:
        if out.as_json:
            raise CatalogError("--json prints to standard output: give backup a FILE, not -")
        with _spooled(".db") as copy:
            info = ops.backup(copy)
            with copy.open("rb") as handle:
                shutil.copyfileobj(handle, stdout_binary())
        out.note(f"backed up {info.sessions} sessions ({info.segments} segments) to standard output")
        return
    info = ops.backup(Path(file), overwrite=force)
    stored = _store_covers(settings)
    out.emit({"file": file, **_info_json(info), **({"store": stored} if stored else {})})
    out.summary(
        f"backed up {info.sessions} sessions ({info.segments} segments) to {file} ({_size(info.size)})"
    )
    if stored:
        _report_store(settings, stored, out)


def _store_covers(settings: Settings) -> dict | None:
    """With an object store: whether it holds every file the catalog refers to, at its recorded size."""
    if not settings.media_store:
        return None
    from archive.file_check import check_files  # archive/ pulls in yt-dlp: only with a media store

    with open_catalog(settings) as catalog:
        report = check_files(catalog, settings.data_dir, quick=True, files=settings.files)
    return {"url": settings.media_store, "checked": report.checked, "problems": report.problems}


def _report_store(settings: Settings, stored: dict, out: Output) -> None:
    if not stored["problems"]:
        out.summary(f"the media store {stored['url']} holds its {stored['checked']} files (sizes checked)")
        return
    for problem in stored["problems"]:
        out.note(f"problem: {problem}")
    raise CatalogError(
        f"the catalog is backed up, but the media store {stored['url']} lacks or differs in "
        f"{len(stored['problems'])} of its files (listed above)"
    )


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@reporting(
    '{"file", "restored": {"sessions", "segments", "size"}, "previous"} (where the replaced catalog is kept).'
)
@with_settings
def restore_cmd(settings: Settings, file: str, out: Output) -> None:
    """Replace the catalog with the backup FILE (`-`: read it from standard input), after checking it.

    FILE must be a uscm-archive catalog of a known schema version that passes SQLite's integrity check; anything
    else is refused and nothing changes. The current catalog is kept as catalog.db.bak-<timestamp>.
    """
    if file == STDIO:
        with _spooled(".db") as copy:
            with copy.open("wb") as handle:
                shutil.copyfileobj(stdin_binary(), handle)
            result = ops_for(settings.catalog_path).restore(copy)
    else:
        result = ops_for(settings.catalog_path).restore(Path(file))
    info = result.restored
    previous = str(result.previous) if result.previous else None
    out.emit({"file": file, "restored": _info_json(info), "previous": previous})
    out.summary(f"restored {info.sessions} sessions ({info.segments} segments) from {file}")
    if previous:
        out.summary(f"the previous catalog is kept as {previous}")


COUNTS_JSON = '{"folder", "sessions", "segments", "speakers", "topics", "files"'


def _counts_json(folder: str, counts) -> dict:
    fields = ("sessions", "segments", "speakers", "topics", "files")
    return {"folder": folder, **{name: getattr(counts, name) for name in fields}}


@click.command("dump")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--media", is_flag=True, help="Also copy archived media files.")
@reporting(COUNTS_JSON + "}.")
@with_settings
def dump_cmd(settings: Settings, folder: str, media: bool, out: Output) -> None:
    """Export the whole archive to FOLDER: JSON Lines plus the raw caption files.

    FOLDER must be new or empty (a folder of files: not `-`). Staff accounts and the ingest queue are not
    exported (a backup keeps them).
    """
    _require_catalog(settings)
    if folder == STDIO:
        raise CatalogError(
            "dump writes a folder of files: give it a FOLDER (backup - writes to standard output)"
        )
    with open_catalog(settings) as catalog, out.bar(0, "dumping") as advance:
        counts = catalog.ops.dump(
            settings.data_dir, Path(folder), media=media, progress=advance, files=settings.files
        )
    out.emit(_counts_json(folder, counts))
    out.summary(
        f"dumped {counts.sessions} sessions, {counts.segments} segments, {counts.speakers} speakers, "
        f"{counts.topics} topics and {counts.files} files to {folder}"
    )


@click.command("load")
@click.argument("folder", type=click.Path(file_okay=False, exists=True))
@click.option("--merge", is_flag=True, help="Add to a non-empty archive: only sessions whose source is new.")
@reporting(COUNTS_JSON + ', "skipped": [source keys already in the archive]}.')
@with_settings
def load_cmd(settings: Settings, folder: str, merge: bool, out: Output) -> None:
    """Import a FOLDER made by `dump` into an empty archive (all or nothing; ids are kept)."""
    with open_catalog(settings) as catalog, out.bar(0, "loading") as advance:
        counts = catalog.ops.load(
            settings.data_dir, Path(folder), merge=merge, progress=advance, files=settings.files
        )
    out.emit(
        {
            **_counts_json(folder, counts),
            "skipped": list(counts.skipped),
            "already_loaded": counts.already_loaded,
        }
    )
    if counts.already_loaded:
        out.summary(
            f"the archive already holds this dump: its files are verified ({counts.files} placed now)"
        )
        return
    out.summary(f"loaded {counts.sessions} sessions ({counts.segments} segments) and {counts.files} files")
    if counts.skipped:
        out.summary(f"skipped {len(counts.skipped)} sessions already in the archive")


@click.command("check")
@click.option("--quick", is_flag=True, help="Compare file sizes only; skip hashing the files.")
@reporting(
    '{"file", "ok", "problems": [text], "files": {"checked", "hashed"} (null when the catalog itself failed)}; '
    "exit status 1 when there are problems."
)
@with_settings
def check_cmd(settings: Settings, quick: bool, out: Output) -> None:
    """Check the catalog and its files: SQLite integrity, foreign keys, full-text indexes against their text,
    session counts, the exact schema, and every media and caption file's size and sha256.

    Exits 1 and lists the problems when there are any.
    """
    from archive.file_check import check_files  # archive/ pulls in yt-dlp: only when checking
    from archive.leftovers import sweep_leftovers, sweep_staged

    _require_catalog(settings)
    for line in [*sweep_leftovers(settings.data_dir), *sweep_staged(settings.files)]:
        out.note(f"removed crash leftover: {line}")
    ops = ops_for(settings.catalog_path)
    problems = ops.check()
    off = None if problems else ops.lists_drift()
    if off is not None:
        out.note(
            f"note: the search's impact lists were made at a mean segment length of {off[0]:.1f} tokens and the "
            f"archive's is {off[1]:.1f} now: searches stay exact, but fewer are ranked from the lists; "
            "`uscm-archive compact --lists` rebuilds them (one write transaction: ingests wait for it)"
        )
    checked = None
    if not problems:
        with open_catalog(settings) as catalog:
            files = check_files(catalog, settings.data_dir, quick=quick, files=settings.files)
        problems = files.problems
        checked = {"checked": files.checked, "hashed": 0 if quick else files.hashed}
        for note in files.notes:
            out.note(f"note: {note}")
        hashed = "" if quick else f", {files.hashed} hashed"
        out.summary(f"files: {files.checked} checked{hashed}")
    out.emit({"file": settings.catalog_label, "ok": not problems, "problems": problems, "files": checked})
    if problems:
        for problem in problems:
            out.note(f"problem: {problem}")
        raise CatalogError(f"{settings.catalog_label}: {len(problems)} problem(s) found")
    out.summary(f"{settings.catalog_label}: ok")


@click.command("compact")
@click.option(
    "--pages",
    type=click.IntRange(min=1),
    default=None,
    help="Pages of merged index written per step (one short write transaction, 0.12 s apart); default 250.",
)
@click.option(
    "--lists",
    is_flag=True,
    help="Also rebuild the search's impact lists if `check` says they are due (the archive's mean segment "
    "length has moved more than 20% from theirs): one write transaction, ~100 s at 1M segments, in which ingests "
    "and staff edits wait; searches go on.",
)
@reporting(
    '{"file", "backend", "seconds", "complete", "indexes": [{"name", "before", "after", "steps", "seconds"}], '
    '"lists": null or {"reference", "mean", "rebuilt", "seconds"}} '
    "(before/after: b-trees; on PostgreSQL, GIN pending-list pages; lists: only with --lists)."
)
@with_settings
def compact_cmd(settings: Settings, pages: int | None, lists: bool, out: Output) -> None:
    """Merge every full-text index into one b-tree, so that each word a search looks up is looked up once.

    Safe while serving: searches keep answering, and an ingest waits one short step at most. Search answers are
    the same afterwards. The background worker does it on its own when idle (docs/operations.md); run it after
    a bulk load. On PostgreSQL it merges the GIN indexes' pending lists and runs ANALYZE.
    """
    _require_catalog(settings)
    result = ops_for(settings.catalog_path).compact(by=cli_user(), pages=pages, lists=lists)
    out.emit({"file": settings.catalog_label, **result.as_json()})
    for index in result.indexes:
        out.summary(
            f"{index.name}: {index.before} → {index.after} ({index.steps} steps, {index.seconds:.2f} s)"
        )
    if result.lists is not None and result.lists.rebuilt:
        out.summary(
            f"impact lists: rebuilt at the archive's mean segment length, {result.lists.mean:.1f} tokens "
            f"(they were at {result.lists.reference:.1f}; {result.lists.seconds:.2f} s)"
        )
    elif result.lists is not None:
        out.summary("impact lists: at the archive's mean segment length already, not rebuilt")
    out.summary(f"{settings.catalog_label}: compacted in {result.seconds:.2f} s")


def register(cli: click.Group) -> None:
    for command in (backup_cmd, restore_cmd, dump_cmd, load_cmd, check_cmd, compact_cmd):
        cli.add_command(command)
