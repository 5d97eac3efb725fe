"""The ``uscm-archive`` command: parse input, call one library function, format output.

Each group of commands lives in ``uscm_archive/commands/``; this module assembles them and turns the
packages' own errors into one clear line on stderr and a non-zero exit.
"""

from __future__ import annotations

import sys

import click

from uscm_archive import __version__
from uscm_archive.commands import COMMANDS, load_command
from uscm_archive.settings import SettingsError, from_environment

# The packages' own errors, by module and class: a module not imported yet cannot have raised its error, so the
# command line need not import archive (and yt-dlp) or the rest to recognise them.
USER_ERRORS = (
    ("transcripts.errors", "TranscriptError"),
    ("catalog.errors", "CatalogError"),
    ("archive.errors", "ArchiveError"),
)


def is_user_error(exc: BaseException) -> bool:
    for module, name in USER_ERRORS:
        error = getattr(sys.modules.get(module), name, None)
        if error is not None and isinstance(exc, error):
            return True
    return False


class ArchiveGroup(click.Group):
    """A group that loads each command's module when it is used and prints our own errors as one line
    (``error: ...``) and exits 1, never a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(COMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self.commands.get(name) or load_command(self, name)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except Exception as exc:
            if not is_user_error(exc):
                raise
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
@click.option(
    "--catalog",
    "catalog_url",
    metavar="URL",
    default=None,
    help="The catalog in PostgreSQL instead of the data folder's catalog.db, e.g. "
    "postgresql://archive@db.example.org/archive [env USCM_ARCHIVE_CATALOG; default: catalog.db in --data].",
)
@click.option(
    "--catalog-replica",
    "catalog_replicas",
    metavar="URL",
    multiple=True,
    help="A PostgreSQL streaming standby of --catalog that public pages and searches may read (repeatable); "
    "writes, staff pages and a writer's next reads use --catalog [env USCM_ARCHIVE_CATALOG_REPLICAS, "
    "comma-separated].",
)
@click.option(
    "--replica-max-lag",
    "replica_max_lag",
    metavar="SECONDS",
    default=None,
    help="Skip a replica further behind than this [env USCM_ARCHIVE_REPLICA_MAX_LAG; default 10].",
)
@click.option(
    "--media-store",
    "media_store",
    default=None,
    metavar="URL",
    help="Where media and raw caption files live: s3://bucket/prefix (endpoint: USCM_ARCHIVE_S3_ENDPOINT; "
    "credentials: the AWS_* variables) [env USCM_ARCHIVE_MEDIA_STORE; default: the data folder].",
)
@click.pass_context
def cli(
    ctx: click.Context,
    data_dir: str | None,
    catalog_url: str | None,
    catalog_replicas: tuple[str, ...],
    replica_max_lag: str | None,
    media_store: str | None,
) -> None:
    """The U.S. Conference of Mayors meeting and webinar archive."""
    # ``obj`` may carry settings given by whoever runs the command in-process (a test's yt-dlp factory).
    given = ctx.obj if isinstance(ctx.obj, dict) else {}
    try:
        if catalog_url is not None:
            given = {**given, "catalog_url": catalog_url}
        if catalog_replicas:
            given = {**given, "catalog_replicas": catalog_replicas}
        if replica_max_lag is not None:
            given = {**given, "replica_max_lag": replica_max_lag}
        ctx.obj = from_environment(data_dir=data_dir, media_store=media_store, **given)
    except SettingsError as exc:
        click.echo(f"error: {exc}", err=True)
        ctx.exit(1)


def main(argv: list[str] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name="uscm-archive", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
