"""Getting sessions in from the command line: ``ingest``, ``import-catalog``, ``sync``, ``status``, ``retry``.

Each command parses its options, calls one function of ``archive`` and prints the outcome; progress goes to
stderr so that stdout holds only the result (session ids, or the report asked for).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

import archive
import transcripts
from archive import IngestOptions, IngestResult, ProgressEvent
from uscm_archive.commands.common import open_catalog, with_settings
from uscm_archive.commands.output import STDIO, Output, cli_user, read_stdin_bytes, reporting


class StderrProgress:
    """Progress of an ingest, sync or retry on stderr: a bar with ETA over the items on a terminal, else a line
    per item (``[2/10] Title``) and media download percent in steps of 10; nothing with --quiet or --json."""

    def __init__(self, out: Output) -> None:
        self.out = out
        self._last_percent = -10.0
        self._bar = None

    def __call__(self, event: ProgressEvent) -> None:
        if self.out.quiet or self.out.as_json:
            return
        if self.out.draws_progress and event.total > 1 and event.percent is None and not event.message:
            self._advance(event)
            return
        if event.percent is not None:
            if event.percent >= self._last_percent + 10 or event.percent >= 100 > self._last_percent:
                self._last_percent = event.percent
                self.out.note(f"  media {event.percent:5.1f}%  {event.title or ''}".rstrip())
            return
        self._last_percent = -10.0
        if event.message:
            self.out.note(event.message)
        elif event.total:
            self.out.note(f"[{event.done + 1}/{event.total}] {event.title or ''}".rstrip())

    def _advance(self, event: ProgressEvent) -> None:
        if self._bar is None:
            self._context = self.out.bar(event.total, "fetching")
            self._bar = self._context.__enter__()
        self._bar(event.done, event.total)

    def close(self) -> None:
        if self._bar is not None:
            self._context.__exit__(None, None, None)
            self._bar = None


INGEST_JSON = (
    '{"sessions": [{"id", "title", "created", "words", "tracks": [[language, source]], "warnings": []}], '
    '"failures": [{"source", "message"}]}.'
)


def result_json(result: IngestResult, **extra) -> dict:
    sessions = [
        {
            "id": s.session_id,
            "title": s.title,
            "created": s.created,
            "words": s.words,
            "tracks": [list(t) for t in s.tracks],
            "warnings": list(s.warnings),
        }
        for s in result.sessions
    ]
    failures = [{"source": f.source, "message": f.message} for f in result.failures]
    return {**extra, "sessions": sessions, "failures": failures}


def report(result: IngestResult, out: Output, **extra) -> None:
    """Session ids on stdout (or the JSON); the words stored, warnings and failures on stderr; exit 1 if anything
    failed."""
    out.emit(result_json(result, **extra))
    for session in result.sessions:
        for warning in session.warnings:
            out.warn(warning)
        noted = f" ({len(session.warnings)} warning{'' if len(session.warnings) == 1 else 's'})"
        out.note(
            f"session {session.session_id}: {session.words:,} words stored{noted if session.warnings else ''}"
        )
        out.data(str(session.session_id))
    for failure in result.failures:
        out.error(failure.message)
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
        by=cli_user(),  # the audit log names the operating-system user: cli:<login>
        files=settings.files,  # the data folder, or the --media-store
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
@reporting(INGEST_JSON)
@with_settings
def ingest(settings, sources, transcribe: bool, out: Output, **fields) -> None:
    """Ingest caption files (.vtt, .srt), yt-dlp .info.json files, URLs or recordings; prints each session id.

    `-` reads one caption file from standard input (`curl ... | uscm-archive ingest - --title ...`).

    On stderr: each warning from reading the captions (file, line and what was done) and the number of words
    stored per session.

    A chapters track given with one caption file becomes that session's chapters. A recording (.wav, .mp3,
    .mp4, ...) becomes a session with its media and no transcript: --transcribe makes one. The same file or
    URL again updates its session.
    """
    options = ingest_options(settings, **fields)
    if transcribe:
        from uscm_archive.commands import transcribe_cmd  # (the speech recognition parts load only for it)

        transcribe_cmd.require_asr()
    progress = StderrProgress(out)
    with open_catalog(settings) as catalog:
        if STDIO in sources:
            if len(sources) > 1:
                raise click.UsageError("`-` (standard input) is one caption file: give it alone")
            result = _ingest_stdin(catalog, settings, options)
        else:
            try:
                result = archive.ingest(catalog, settings.data_dir, list(sources), options, progress)
            finally:
                progress.close()
        if transcribe:
            transcribed = transcribe_cmd.transcribe_new(
                catalog, settings, result.session_ids, transcribe_cmd.TranscribeProgress(out)
            )
            result.failures.extend(transcribed.failures)  # its sessions are listed already
    report(result, out)


def _ingest_stdin(catalog, settings, options: IngestOptions) -> IngestResult:
    data = read_stdin_bytes()
    kind = transcripts.sniff_format(data) or "vtt"
    name = f"stdin.{kind}"
    stored = archive.ingest_caption_bytes(catalog, settings.data_dir, data, name, options)
    return IngestResult(sessions=[stored])


IMPORT_JSON = (
    '{"file", "dry_run", "imported", "counts": {"create", "update", "unchanged"}, '
    '"lines": [{"line", "action", "session_id", "title", "changes"}], "errors": [{"line", "message"}]}.'
)


@click.command("import-catalog")
@click.argument("jsonl", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--dry-run", is_flag=True, help="Only report what would be created or updated.")
@click.option("--skip-bad", is_flag=True, help="Import the good lines even if some are bad.")
@reporting(IMPORT_JSON)
@with_settings
def import_catalog(settings, jsonl: str, dry_run: bool, skip_bad: bool, out: Output) -> None:
    """Bulk-import session metadata from a JSON Lines file (one session per line); `-` reads standard input
    (transcript paths are then relative to the current folder).

    Fields: title, date, event, description, speakers, topics, source_url, video_url, language, draft,
    transcript (a caption file relative to the JSONL file), key. Every line is checked first: with a bad
    line nothing is imported unless --skip-bad.
    """
    path, text = (Path("<stdin>"), _stdin_text()) if jsonl == STDIO else (Path(jsonl), None)
    with open_catalog(settings) as catalog, out.bar(_line_count(path, text), "importing") as advance:
        result = archive.import_catalog(
            catalog,
            settings.data_dir,
            path,
            skip_bad=skip_bad,
            dry_run=dry_run,
            by=cli_user(),
            text=text,
            progress=advance,
            files=settings.files,
        )
    _import_report(result, path, dry_run, out)
    if result.errors:
        raise click.exceptions.Exit(1)


def _stdin_text() -> str:
    try:
        return read_stdin_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise archive.ArchiveError(f"<stdin>: cannot read it as UTF-8 text: {exc}") from exc


def _line_count(path: Path, text: str | None) -> int:
    if text is not None:
        return sum(1 for line in text.splitlines() if line.strip())
    try:
        with path.open("rb") as handle:
            return sum(1 for line in handle if line.strip())
    except OSError:
        return 0  # the import names the problem


def _import_report(result, path: Path, dry_run: bool, out: Output) -> None:
    for line, message in result.errors:
        out.error(f"{path}, line {line}: {message}")
    counts = {action: result.count(action) for action in ("create", "update", "unchanged")}
    out.emit(
        {
            "file": str(path),
            "dry_run": dry_run,
            "imported": result.imported,
            "counts": counts,
            "lines": [
                {
                    "line": o.line,
                    "action": o.action,
                    "session_id": o.session_id,
                    "title": o.title,
                    "changes": list(o.changes),
                }
                for o in result.outcomes
            ],
            "errors": [{"line": line, "message": message} for line, message in result.errors],
        }
    )
    verb = {
        "create": "would create" if dry_run else "created",
        "update": "would update" if dry_run else "updated",
    }
    for outcome in result.outcomes:
        if outcome.action != "unchanged":
            changes = f" ({', '.join(outcome.changes)})" if outcome.changes else ""
            ident = f" #{outcome.session_id}" if outcome.session_id else ""
            out.summary(f"line {outcome.line}: {verb[outcome.action]}{ident} {outcome.title}{changes}")
    summary = f"{counts['create']} new, {counts['update']} updated, {counts['unchanged']} unchanged"
    if result.errors and not result.imported:
        out.note(f"nothing imported: {len(result.errors)} bad line(s)")
    elif dry_run:
        out.summary(f"dry run: {summary}; nothing written")
    else:
        skipped = f", {len(result.errors)} bad line(s) skipped" if result.errors else ""
        out.summary(f"imported: {summary}{skipped}")


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
@click.option(
    "--queue",
    "queue_it",
    is_flag=True,
    help='Queue the sync for a worker (`uscm-archive worker`) instead of running it here; JSON: {"job_id"}.',
)
@reporting('{"skipped", ' + INGEST_JSON[1:])
@with_settings
def sync(
    settings, url: str, languages, media: bool, refresh: int, transcribe: bool, queue_it: bool, out: Output
) -> None:
    """Fetch the new entries of a playlist or channel (run it again any time; resumes if interrupted)."""
    options = ingest_options(settings, languages=languages, media=media)
    options = replace(options, refresh_newest=max(0, refresh))
    if queue_it:
        if transcribe:
            raise click.UsageError("--transcribe runs here: give it without --queue")
        from archive.jobs import queue_sync

        with open_catalog(settings) as catalog:
            job = queue_sync(catalog, url, replace(options, by=cli_user()))
        out.emit({"job_id": job.id})
        out.data(str(job.id))
        out.summary(f"queued as job {job.id}: a worker (`uscm-archive worker`) runs it")
        return
    if transcribe:
        from uscm_archive.commands import transcribe_cmd  # (the speech recognition parts load only for it)

        transcribe_cmd.require_asr()
    progress = StderrProgress(out)
    with open_catalog(settings) as catalog:
        try:
            result = archive.sync(catalog, settings.data_dir, url, options, progress)
        finally:
            progress.close()
        if transcribe:
            transcribed = transcribe_cmd.transcribe_new(
                catalog, settings, result.session_ids, transcribe_cmd.TranscribeProgress(out)
            )
            result.failures.extend(transcribed.failures)  # its sessions are listed already
    out.note(
        f"{len(result.sessions)} fetched, {result.skipped} already in the archive, {len(result.failures)} failed"
    )
    report(result, out, skipped=result.skipped)


@click.command()
@click.argument("item_ids", nargs=-1, type=int, metavar="[ID]...")
@click.option("--all", "all_failed", is_flag=True, help="Retry every failed item, even those told to wait.")
@click.option("--lang", "languages", multiple=True, help="Caption languages [default: as first asked].")
@reporting(INGEST_JSON)
@with_settings
def retry(settings, item_ids, all_failed: bool, languages, out: Output) -> None:
    """Try failed items again (ids from `uscm-archive status`)."""
    if bool(item_ids) == all_failed:
        raise click.UsageError("give the ids of the items to retry, or --all")
    options = ingest_options(settings, languages=languages)
    progress = StderrProgress(out)
    with open_catalog(settings) as catalog:
        try:
            ids = None if all_failed else list(item_ids)
            result = archive.retry(catalog, settings.data_dir, ids, options, progress)
        finally:
            progress.close()
    out.note(f"{len(result.sessions)} done, {len(result.failures)} still failing")
    report(result, out)


@click.command()
@reporting(
    '{"counts": {state: n}, "failures": [{"id", "url", "title", "attempts", "error", "next_attempt_at", '
    '"session_id"}], "jobs": {state: n}} (jobs: the shared work queue that workers take from).'
)
@with_settings
def status(settings, out: Output) -> None:
    """Items fetched from URLs: counts by state, and each failure with its error; the work queue's jobs."""
    with open_catalog(settings) as catalog:
        current = archive.status(catalog)
        jobs = catalog.queue.count_jobs()
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
    out.emit({"counts": current.counts, "failures": failures, "jobs": jobs})
    out.data(", ".join(f"{count} {state}" for state, count in current.counts.items()))
    out.data("jobs: " + ", ".join(f"{count} {state}" for state, count in jobs.items()))
    for item in current.failures:
        when = f"; try again after {item.next_attempt_at}" if item.next_attempt_at else ""
        out.data(f"failed #{item.id} {item.title or item.url} ({item.attempts} attempts{when})")
        out.data(f"    {item.last_error}")
    if current.failures:
        out.summary("retry with: uscm-archive retry --all  (or retry ID...)")


def register(cli: click.Group) -> None:
    for command in (ingest, import_catalog, sync, retry, status):
        cli.add_command(command)
