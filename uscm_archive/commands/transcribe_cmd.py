"""``uscm-archive transcribe``: speech to text, offline, for sessions with media and no captions.

Without the ``asr`` extra the command says how to install it (one line, exit 1); every other command works.
"""

from __future__ import annotations

from pathlib import Path

import click

from archive import ArchiveError, IngestResult, ProgressEvent, asr, transcription
from catalog import Catalog
from uscm_archive.commands.common import open_catalog, with_settings
from uscm_archive.commands.output import Output, cli_user, reporting
from uscm_archive.settings import Settings


class TranscribeProgress:
    """``  transcribed  40%  Title`` on stderr in steps of 10; nothing with --quiet or --json."""

    def __init__(self, out: Output | None = None) -> None:
        self._last = -10.0
        self.out = out or Output()

    def __call__(self, event: ProgressEvent) -> None:
        if self.out.quiet or self.out.as_json:
            return
        if event.percent is None:
            self._last = -10.0
            if event.total:
                click.echo(f"[{event.done + 1}/{event.total}] {event.title or ''}".rstrip(), err=True)
            return
        if event.percent >= self._last + 10 or (event.percent >= 100 > self._last):
            self._last = event.percent
            click.echo(f"  transcribed {event.percent:5.1f}%  {event.title or ''}".rstrip(), err=True)


def options_from(settings: Settings, model: Path | None) -> transcription.TranscribeOptions:
    return transcription.TranscribeOptions(model_folder=model or settings.asr_model_dir, files=settings.files)


def require_asr() -> None:
    if not asr.available():
        raise asr.AsrUnavailable()


def transcribe_new(catalog: Catalog, settings: Settings, session_ids, progress) -> IngestResult:
    """``ingest/sync --transcribe``: transcribe those of ``session_ids`` with media and no transcript."""
    wanted = [
        i
        for i in dict.fromkeys(session_ids)
        if transcription.needs_transcript(catalog, settings.data_dir, i, settings.files)
    ]
    if not wanted:
        return IngestResult()
    items = transcription.queue_sessions(
        catalog, settings.data_dir, wanted, requested_by=cli_user(), files=settings.files
    )
    return transcription.run_jobs(catalog, settings.data_dir, items, options_from(settings, None), progress)


@click.command()
@click.argument("session_ids", nargs=-1, type=int, metavar="[SESSION_ID]...")
@click.option("--pending", is_flag=True, help="Run the queued and interrupted transcriptions.")
@click.option("--cancel", is_flag=True, help="Cancel the transcription of these sessions instead.")
@click.option("--status", "show_status", is_flag=True, help="List transcriptions with their percent done.")
@click.option(
    "--model",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="A CTranslate2 Whisper model folder [env USCM_ARCHIVE_ASR_MODEL; default: the asr extra's model].",
)
@reporting(
    'as ingest: {"sessions": [...], "failures": [...]}; with --status a list of {"item_id", "session_id", '
    '"state", "percent", "error"}; with --cancel {"cancelled": [session ids]}.'
)
@with_settings
def transcribe(
    settings, session_ids, pending: bool, cancel: bool, show_status: bool, model, out: Output
) -> None:
    """Transcribe sessions that have archived media but no captions (offline; prints each session id)."""
    with open_catalog(settings) as catalog:
        if show_status:
            jobs = catalog.queue.transcriptions()
            out.emit(
                [
                    {
                        "item_id": j.item_id,
                        "session_id": j.session_id,
                        "state": j.state,
                        "percent": j.percent,
                        "error": j.last_error,
                    }
                    for j in jobs
                ]
            )
            for job in jobs:
                percent = "" if job.percent is None else f" {job.percent:.0f}%"
                error = f" ({job.last_error})" if job.last_error else ""
                out.data(f"#{job.item_id} session {job.session_id} {job.state}{percent}{error}")
            return
        if cancel:
            if not session_ids:
                raise click.UsageError("give the ids of the sessions whose transcription to cancel")
            for session_id in session_ids:
                if not transcription.cancel(catalog, session_id):
                    raise ArchiveError(f"session {session_id} has no transcription waiting or running")
                out.note(f"cancelled {session_id}")
            out.emit({"cancelled": list(session_ids)})
            return
        require_asr()
        if bool(session_ids) == pending:
            raise click.UsageError("give the ids of the sessions to transcribe, or --pending")
        items = (
            None
            if pending
            else transcription.queue_sessions(
                catalog, settings.data_dir, list(session_ids), requested_by=cli_user(), files=settings.files
            )
        )
        result = transcription.run_jobs(
            catalog, settings.data_dir, items, options_from(settings, model), TranscribeProgress(out)
        )
    from uscm_archive.commands.archive_cmds import report  # archive_cmds imports this module

    report(result, out)


def register(cli: click.Group) -> None:
    cli.add_command(transcribe)
