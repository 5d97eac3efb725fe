"""``export-public``: the archive as open data, one SQLite file for Datasette."""

from __future__ import annotations

from pathlib import Path

import click

from catalog import CatalogError, ops_for, write_metadata
from uscm_archive.commands.common import with_settings
from uscm_archive.commands.output import Output, reporting
from uscm_archive.settings import Settings


@click.command("export-public")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--base-url",
    default=None,
    help="The site's address for moment links (https://archive.example.org) [env USCM_ARCHIVE_BASE_URL; "
    "default: relative links].",
)
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@reporting('{"file", "metadata", "sessions", "segments", "size"} (size in bytes).')
@with_settings
def export_public_cmd(settings: Settings, file: str, base_url: str | None, force: bool, out: Output) -> None:
    """Write the published part of the archive to FILE, a SQLite file to open with Datasette.

    Published sessions with their speakers, topics, tracks, transcript segments and chapters, a `moments` view
    (quote, speaker, session, date, link to the second) and full-text indexes Datasette searches with ?_search=.
    Staff accounts, tokens, the audit log, drafts and retracted sessions are left out. Datasette's metadata
    (titles, descriptions, a "find a quote" query) is written beside it as FILE's name with .metadata.json:

        datasette -i FILE -m FILE.metadata.json
    """
    target = Path(file)
    if target.exists() and not force:
        raise CatalogError(f"{target}: already exists (add --force to replace it)")
    base = (settings.base_url if base_url is None else base_url).rstrip("/")
    summary = ops_for(settings.catalog_path).export_public(target, base_url=base)
    metadata = write_metadata(target, settings.site_name, base)
    out.emit(
        {
            "file": str(target),
            "metadata": str(metadata),
            "sessions": summary.sessions,
            "segments": summary.segments,
            "size": summary.size,
        }
    )
    out.summary(
        f"exported {summary.sessions} published sessions ({summary.segments} segments) to {target} "
        f"({summary.size:,} bytes); Datasette metadata in {metadata}"
    )


def register(cli: click.Group) -> None:
    cli.add_command(export_public_cmd)
