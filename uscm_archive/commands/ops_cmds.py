"""Operations: ``backup``, ``restore``, ``dump``, ``load`` and ``check`` — keeping the archive safe."""

from __future__ import annotations

from pathlib import Path

import click

from catalog import CatalogError, ops_for
from uscm_archive.commands.common import open_catalog, with_settings
from uscm_archive.settings import Settings


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def _require_catalog(settings: Settings) -> None:
    if not settings.catalog_path.is_file():
        raise CatalogError(f"{settings.catalog_path}: no catalog here (is --data right?)")


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@with_settings
def backup_cmd(settings: Settings, file: str, force: bool) -> None:
    """Copy the catalog to FILE with SQLite's online backup (safe while serving).

    The copy holds the whole catalog, staff accounts included. Caption and media files live beside it in the
    data folder: copy those folders too (or use `dump`).
    """
    info = ops_for(settings.catalog_path).backup(Path(file), overwrite=force)
    click.echo(
        f"backed up {info.sessions} sessions ({info.segments} segments) to {file} ({_size(info.size)})"
    )


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
@with_settings
def restore_cmd(settings: Settings, file: str) -> None:
    """Replace the catalog with the backup FILE, after checking it.

    FILE must be a uscm-archive catalog of a known schema version that passes SQLite's integrity check; anything
    else is refused and nothing changes. The current catalog is kept as catalog.db.bak-<timestamp>.
    """
    result = ops_for(settings.catalog_path).restore(Path(file))
    info = result.restored
    click.echo(f"restored {info.sessions} sessions ({info.segments} segments) from {file}")
    if result.previous:
        click.echo(f"the previous catalog is kept as {result.previous}")


@click.command("dump")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--media", is_flag=True, help="Also copy archived media files.")
@with_settings
def dump_cmd(settings: Settings, folder: str, media: bool) -> None:
    """Export the whole archive to FOLDER: JSON Lines plus the raw caption files.

    FOLDER must be new or empty. Staff accounts and the ingest queue are not exported (a backup keeps them).
    """
    _require_catalog(settings)
    with open_catalog(settings) as catalog:
        counts = catalog.ops.dump(settings.data_dir, Path(folder), media=media)
    click.echo(
        f"dumped {counts.sessions} sessions, {counts.segments} segments, {counts.speakers} speakers, "
        f"{counts.topics} topics and {counts.files} files to {folder}"
    )


@click.command("load")
@click.argument("folder", type=click.Path(file_okay=False, exists=True))
@click.option("--merge", is_flag=True, help="Add to a non-empty archive: only sessions whose source is new.")
@with_settings
def load_cmd(settings: Settings, folder: str, merge: bool) -> None:
    """Import a FOLDER made by `dump` into an empty archive (all or nothing; ids are kept)."""
    with open_catalog(settings) as catalog:
        counts = catalog.ops.load(settings.data_dir, Path(folder), merge=merge)
    if counts.already_loaded:
        click.echo(f"the archive already holds this dump: its files are verified ({counts.files} placed now)")
        return
    click.echo(f"loaded {counts.sessions} sessions ({counts.segments} segments) and {counts.files} files")
    if counts.skipped:
        click.echo(f"skipped {len(counts.skipped)} sessions already in the archive")


@click.command("check")
@click.option("--quick", is_flag=True, help="Compare file sizes only; skip hashing the files.")
@with_settings
def check_cmd(settings: Settings, quick: bool) -> None:
    """Check the catalog and its files: SQLite integrity, foreign keys, full-text indexes against their text,
    session counts, the exact schema, and every media and caption file's size and sha256.

    Exits 1 and lists the problems when there are any.
    """
    from archive.file_check import check_files  # archive/ pulls in yt-dlp: only when checking
    from archive.leftovers import sweep_leftovers

    _require_catalog(settings)
    for line in sweep_leftovers(settings.data_dir):
        click.echo(f"removed crash leftover: {line}")
    problems = ops_for(settings.catalog_path).check()
    if not problems:
        with open_catalog(settings) as catalog:
            files = check_files(catalog, settings.data_dir, quick=quick)
        problems = files.problems
        for note in files.notes:
            click.echo(f"note: {note}", err=True)
        hashed = "" if quick else f", {files.hashed} hashed"
        click.echo(f"files: {files.checked} checked{hashed}")
    if problems:
        for problem in problems:
            click.echo(f"problem: {problem}", err=True)
        raise CatalogError(f"{settings.catalog_path}: {len(problems)} problem(s) found")
    click.echo(f"{settings.catalog_path}: ok")


def register(cli: click.Group) -> None:
    for command in (backup_cmd, restore_cmd, dump_cmd, load_cmd, check_cmd):
        cli.add_command(command)
