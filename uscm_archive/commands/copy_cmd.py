"""``copy-catalog``: move the catalog between SQLite and PostgreSQL (resumable, verified)."""

from __future__ import annotations

import click

from catalog import CatalogError, copy_catalog
from uscm_archive.commands.common import with_settings
from uscm_archive.commands.output import Output, reporting
from uscm_archive.settings import CATALOG_URL_SCHEMES, Settings


def _target(option: str, value: str) -> str:
    """A PostgreSQL URL, or a catalog file's path."""
    value = value.strip()
    if not value:
        raise CatalogError(f"{option}: give a catalog file's path or a postgresql:// URL")
    if "://" in value and not value.startswith(CATALOG_URL_SCHEMES):
        scheme = value.split("://", 1)[0]
        raise CatalogError(
            f"{option}: {scheme}:// is not a catalog: give a file's path or postgresql://user@host:5432/archive"
        )
    return value


@click.command("copy-catalog")
@click.option(
    "--from",
    "source",
    default=None,
    metavar="SRC",
    help="The catalog to copy: a catalog file's path or a postgresql:// URL [default: this archive's catalog, "
    "--catalog or the data folder's catalog.db].",
)
@click.option(
    "--to",
    "target",
    required=True,
    metavar="DST",
    help="Where to copy it: a new or empty catalog (path or URL).",
)
@click.option(
    "--batch-size", default=5000, show_default=True, type=click.IntRange(1), help="Rows per transaction."
)
@reporting(
    '{"from", "to", "resumed", "rows": {table: rows}, "columns_checked", "searches": [{"query", "total", "hits", "compared"}], '
    '"seconds"}.'
)
@with_settings
def copy_catalog_cmd(
    settings: Settings, source: str | None, target: str, batch_size: int, out: Output
) -> None:
    """Copy the whole catalog from SRC into DST, SQLite to PostgreSQL or back, keeping every id.

    Table by table in id order, a batch per transaction. Killed part-way, the same command continues where it
    stopped (DST keeps a progress record until the copy is finished) and never copies a row twice. DST must be
    new or empty (or this SRC's unfinished copy); stop every writer (serve, workers, sync) while it runs. At the
    end the copy is checked: row counts, a checksum of every column of every table, and a sample of searches
    answered alike on both. Caption and media files stay in the data folder: point the archive at DST with
    --catalog (or USCM_ARCHIVE_CATALOG) and keep the same --data.
    """
    src = _target("--from", source) if source else str(settings.catalog_path)
    with out.bar(0, "copying") as advance:
        report = copy_catalog(src, _target("--to", target), batch=batch_size, progress=advance)
    out.emit(
        {
            "from": report.source,
            "to": report.target,
            "resumed": report.resumed,
            "rows": report.rows,
            "columns_checked": report.columns_checked,
            "searches": [
                {"query": s.query, "total": s.total, "hits": s.hits, "compared": s.compared}
                for s in report.searches
            ],
            "seconds": report.seconds,
        }
    )
    rows = sum(report.rows.values())
    continued = " (continued an unfinished copy)" if report.resumed else ""
    out.summary(
        f"copied {rows:,} rows in {len(report.rows)} tables from {report.source} to {report.target}{continued} "
        f"in {report.seconds:.1f} s; checked {report.columns_checked} columns and "
        f"{sum(s.compared for s in report.searches)} of {len(report.searches)} searches"
    )


def register(cli: click.Group) -> None:
    cli.add_command(copy_catalog_cmd)
