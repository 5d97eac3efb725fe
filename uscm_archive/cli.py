"""The ``uscm-archive`` command: parse input, call one library function, format output.

Each group of commands lives in ``uscm_archive/commands/``; this module assembles them and turns the
packages' own errors into one clear line on stderr and a non-zero exit.
"""

from __future__ import annotations

import sys

import click

from archive import ArchiveError
from catalog import CatalogError
from transcripts import TranscriptError
from uscm_archive import __version__
from uscm_archive.commands import register
from uscm_archive.settings import from_environment

USER_ERRORS = (TranscriptError, CatalogError, ArchiveError)


class ArchiveGroup(click.Group):
    """A group that prints our own errors as one line (``error: ...``) and exits 1, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except USER_ERRORS as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(1)


@click.group(cls=ArchiveGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="uscm-archive")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Data folder holding catalog.db, captions and media [env USCM_ARCHIVE_DATA; default ./uscm-data].",
)
@click.pass_context
def cli(ctx: click.Context, data_dir: str | None) -> None:
    """The U.S. Conference of Mayors meeting and webinar archive."""
    # ``obj`` may carry settings given by whoever runs the command in-process (a test's yt-dlp factory).
    given = ctx.obj if isinstance(ctx.obj, dict) else {}
    ctx.obj = from_environment(data_dir=data_dir, **given)


register(cli)


def main(argv: list[str] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name="uscm-archive", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
