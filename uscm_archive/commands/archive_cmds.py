"""Getting sessions in from the command line: ``ingest``, ``import-catalog``, ``sync``, ``status``, ``retry``.

Each command parses its options, calls one function of ``archive`` and prints the outcome; progress goes to
stderr so that stdout holds only the result (session ids, or the report asked for).
"""

from __future__ import annotations

import click

import archive
from archive import IngestOptions, IngestResult, ProgressEvent
from uscm_archive.commands.common import open_catalog, with_settings


class StderrProgress:
    """``[2/10] Title`` per item and media download percent in steps of 10, on stderr."""

    def __init__(self) -> None:
        self._last_percent = -10.0

    def __call__(self, event: ProgressEvent) -> None:
        if event.percent is not None:
            if event.percent >= self._last_percent + 10 or event.percent >= 100 > self._last_percent:
                self._last_percent = event.percent
                click.echo(f"  media {event.percent:5.1f}%  {event.title or ''}".rstrip(), err=True)
            return
        self._last_percent = -10.0
        if event.message:
            click.echo(event.message, err=True)
        elif event.total:
            click.echo(f"[{event.done + 1}/{event.total}] {event.title or ''}".rstrip(), err=True)


def report(result: IngestResult, *, quiet_ids: bool = False) -> None:
    """Session ids on stdout; warnings and failures on stderr; exit 1 if anything failed."""
    for session in result.sessions:
        for warning in session.warnings:
            click.echo(f"warning: {warning}", err=True)
        if not quiet_ids:
            click.echo(session.session_id)
    for failure in result.failures:
        click.echo(f"error: {failure.message}", err=True)
    if result.failures:
        raise click.exceptions.Exit(1)


def ingest_options(
    title=None,
    date=None,
    event=None,
    speakers=(),
    topics=(),
    description=None,
    video_url=None,
    languages=(),
    draft=False,
    media=False,
) -> IngestOptions:
    return IngestOptions(
        title=title,
        date=date,
        event=event,
        description=description,
        video_url=video_url,
        speakers=tuple(speakers),
        topics=tuple(topics),
        languages=tuple(languages),
        draft=draft,
        media=media,
    )


@click.command()
@click.argument("sources", nargs=-1, required=True, metavar="PATH_OR_URL...")
@click.option("--title", help="Session title [default: from the source or the file name].")
@click.option("--date", help="Session date, YYYY-MM-DD.")
@click.option("--event", help='Event or series, e.g. "92nd Winter Meeting".')
@click.option("--speaker", "speakers", multiple=True, help='A speaker, e.g. "Mayor Tim Keller of Albuquerque".')
@click.option("--topic", "topics", multiple=True, help="A topic (repeatable).")
@click.option("--description", help="Session description.")
@click.option("--video-url", help="Where the session's video plays.")
@click.option("--lang", "languages", multiple=True, help="Caption language code (repeatable) [default: en].")
@click.option("--draft", is_flag=True, help="Store as a draft: not shown publicly until published.")
@click.option("--media", is_flag=True, help="URLs: also download the media into the data folder.")
@with_settings
def ingest(settings, sources, **fields) -> None:
    """Ingest caption files (.vtt, .srt), yt-dlp .info.json files or URLs; prints each session id.

    A chapters track given with one caption file becomes that session's chapters. The same file or URL
    again updates its session.
    """
    options = ingest_options(**fields)
    with open_catalog(settings) as catalog:
        result = archive.ingest(catalog, settings.data_dir, list(sources), options, StderrProgress())
    report(result)


def register(cli: click.Group) -> None:
    cli.add_command(ingest)
