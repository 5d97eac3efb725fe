"""Getting sessions in from the command line: ``ingest``, ``import-catalog``, ``sync``, ``status``, ``retry``.

Each command parses its options, calls one function of ``archive`` and prints the outcome; progress goes to
stderr so that stdout holds only the result (session ids, or the report asked for).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import click

import archive
from archive import IngestOptions, IngestResult, ProgressEvent
from uscm_archive.commands import transcribe_cmd
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
    """Session ids on stdout; the words stored, warnings and failures on stderr; exit 1 if anything failed."""
    for session in result.sessions:
        for warning in session.warnings:
            click.echo(f"warning: {warning}", err=True)
        noted = f" ({len(session.warnings)} warning{'' if len(session.warnings) == 1 else 's'})"
        click.echo(
            f"session {session.session_id}: {session.words:,} words stored{noted if session.warnings else ''}",
            err=True,
        )
        if not quiet_ids:
            click.echo(session.session_id)
    for failure in result.failures:
        click.echo(f"error: {failure.message}", err=True)
    if result.failures:
        raise click.exceptions.Exit(1)


def ingest_options(
    settings,
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
        downloader=settings.ytdlp_factory,  # chosen at the composition root (None: yt-dlp's own)
    )


@click.command()
@click.argument("sources", nargs=-1, required=True, metavar="PATH_OR_URL...")
@click.option("--title", help="Session title [default: from the source or the file name].")
@click.option("--date", help="Session date, YYYY-MM-DD.")
@click.option("--event", help='Event or series, e.g. "92nd Winter Meeting".')
@click.option(
    "--speaker", "speakers", multiple=True, help='A speaker, e.g. "Mayor Tim Keller of Albuquerque".'
)
@click.option("--topic", "topics", multiple=True, help="A topic (repeatable).")
@click.option("--description", help="Session description.")
@click.option("--video-url", help="Where the session's video plays.")
@click.option("--lang", "languages", multiple=True, help="Caption language code (repeatable) [default: en].")
@click.option("--draft", is_flag=True, help="Store as a draft: not shown publicly until published.")
@click.option("--media", is_flag=True, help="URLs: also download the media into the data folder.")
@click.option(
    "--transcribe", is_flag=True, help="Transcribe sessions that have media but no captions (asr extra)."
)
@with_settings
def ingest(settings, sources, transcribe: bool, **fields) -> None:
    """Ingest caption files (.vtt, .srt), yt-dlp .info.json files, URLs or recordings; prints each session id.

    On stderr: each warning from reading the captions (file, line and what was done) and the number of words
    stored per session.

    A chapters track given with one caption file becomes that session's chapters. A recording (.wav, .mp3,
    .mp4, ...) becomes a session with its media and no transcript: --transcribe makes one. The same file or
    URL again updates its session.
    """
    options = ingest_options(settings, **fields)
    if transcribe:
        transcribe_cmd.require_asr()
    with open_catalog(settings) as catalog:
        result = archive.ingest(catalog, settings.data_dir, list(sources), options, StderrProgress())
        if transcribe:
            transcribed = transcribe_cmd.transcribe_new(
                catalog, settings, result.session_ids, transcribe_cmd.TranscribeProgress()
            )
            result.failures.extend(transcribed.failures)  # its sessions are listed already
    report(result)


@click.command("import-catalog")
@click.argument("jsonl", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Only report what would be created or updated.")
@click.option("--skip-bad", is_flag=True, help="Import the good lines even if some are bad.")
@with_settings
def import_catalog(settings, jsonl: Path, dry_run: bool, skip_bad: bool) -> None:
    """Bulk-import session metadata from a JSON Lines file (one session per line).

    Fields: title, date, event, description, speakers, topics, source_url, video_url, language, draft,
    transcript (a caption file relative to the JSONL file), key. Every line is checked first: with a bad
    line nothing is imported unless --skip-bad.
    """
    with open_catalog(settings) as catalog:
        result = archive.import_catalog(catalog, settings.data_dir, jsonl, skip_bad=skip_bad, dry_run=dry_run)
    for line, message in result.errors:
        click.echo(f"error: {jsonl}, line {line}: {message}", err=True)
    verb = {
        "create": "would create" if dry_run else "created",
        "update": "would update" if dry_run else "updated",
    }
    for outcome in result.outcomes:
        if outcome.action != "unchanged":
            changes = f" ({', '.join(outcome.changes)})" if outcome.changes else ""
            ident = f" #{outcome.session_id}" if outcome.session_id else ""
            click.echo(f"line {outcome.line}: {verb[outcome.action]}{ident} {outcome.title}{changes}")
    summary = f"{result.count('create')} new, {result.count('update')} updated, {result.count('unchanged')} unchanged"
    if result.errors and not result.imported:
        click.echo(f"nothing imported: {len(result.errors)} bad line(s)", err=True)
    elif dry_run:
        click.echo(f"dry run: {summary}; nothing written")
    else:
        skipped = f", {len(result.errors)} bad line(s) skipped" if result.errors else ""
        click.echo(f"imported: {summary}{skipped}")
    if result.errors:
        raise click.exceptions.Exit(1)


@click.command()
@click.argument("url")
@click.option("--lang", "languages", multiple=True, help="Caption language code (repeatable) [default: en].")
@click.option("--media", is_flag=True, help="Also download the media of new entries.")
@click.option(
    "--refresh", default=3, show_default=True, help="Refresh the metadata of this many newest entries."
)
@click.option(
    "--transcribe", is_flag=True, help="Transcribe entries that have media but no captions (asr extra)."
)
@with_settings
def sync(settings, url: str, languages, media: bool, refresh: int, transcribe: bool) -> None:
    """Fetch the new entries of a playlist or channel (run it again any time; resumes if interrupted)."""
    options = ingest_options(settings, languages=languages, media=media)
    options = replace(options, refresh_newest=max(0, refresh))
    if transcribe:
        transcribe_cmd.require_asr()
    with open_catalog(settings) as catalog:
        result = archive.sync(catalog, settings.data_dir, url, options, StderrProgress())
        if transcribe:
            transcribed = transcribe_cmd.transcribe_new(
                catalog, settings, result.session_ids, transcribe_cmd.TranscribeProgress()
            )
            result.failures.extend(transcribed.failures)  # its sessions are listed already
    click.echo(
        f"{len(result.sessions)} fetched, {result.skipped} already in the archive, {len(result.failures)} failed",
        err=True,
    )
    report(result)


@click.command()
@click.argument("item_ids", nargs=-1, type=int, metavar="[ID]...")
@click.option("--all", "all_failed", is_flag=True, help="Retry every failed item, even those told to wait.")
@click.option("--lang", "languages", multiple=True, help="Caption languages [default: as first asked].")
@with_settings
def retry(settings, item_ids, all_failed: bool, languages) -> None:
    """Try failed items again (ids from `uscm-archive status`)."""
    if bool(item_ids) == all_failed:
        raise click.UsageError("give the ids of the items to retry, or --all")
    options = ingest_options(settings, languages=languages)
    with open_catalog(settings) as catalog:
        result = archive.retry(
            catalog, settings.data_dir, None if all_failed else list(item_ids), options, StderrProgress()
        )
    click.echo(f"{len(result.sessions)} done, {len(result.failures)} still failing", err=True)
    report(result)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the counts and failures as JSON.")
@with_settings
def status(settings, as_json: bool) -> None:
    """Items fetched from URLs: counts by state, and each failure with its error."""
    with open_catalog(settings) as catalog:
        current = archive.status(catalog)
    if as_json:
        failures = [
            {
                "id": i.id,
                "url": i.url,
                "title": i.title,
                "attempts": i.attempts,
                "error": i.last_error,
                "next_attempt_at": i.next_attempt_at,
                "session_id": i.session_id,
            }
            for i in current.failures
        ]
        click.echo(json.dumps({"counts": current.counts, "failures": failures}, indent=2))
        return
    click.echo(", ".join(f"{count} {state}" for state, count in current.counts.items()))
    for item in current.failures:
        when = f"; try again after {item.next_attempt_at}" if item.next_attempt_at else ""
        click.echo(f"failed #{item.id} {item.title or item.url} ({item.attempts} attempts{when})")
        click.echo(f"    {item.last_error}")
    if current.failures:
        click.echo("retry with: uscm-archive retry --all  (or retry ID...)")


def register(cli: click.Group) -> None:
    for command in (ingest, import_catalog, sync, retry, status):
        cli.add_command(command)
