"""``uscm-archive worker``: take jobs from the catalog's shared queue (URL ingests, retries, syncs, uploads,
transcriptions that web nodes queued) and run them until stopped.

SIGTERM or Ctrl-C lets the job in hand finish, then the worker exits; a second signal stops it at once (its lease
then runs out and another worker takes the job again).
"""

from __future__ import annotations

import signal

import click

from uscm_archive.commands.common import with_settings
from uscm_archive.commands.output import Output, reporting
from uscm_archive.settings import Settings


@click.command("worker")
@click.option(
    "--lease",
    type=click.FloatRange(1, 3600),
    default=60.0,
    show_default=True,
    help="Seconds a job is held without news before another worker may take it over (renewed while it runs).",
)
@click.option(
    "--poll",
    type=click.FloatRange(0.05, 60),
    default=1.0,
    show_default=True,
    help="Seconds between looks at the queue when it is empty.",
)
@click.option("--until-idle", is_flag=True, help="Stop once no job is ready (run what is queued, then exit).")
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(["ingest-url", "retry", "sync", "transcribe", "upload"]),
    help="Take only this kind of job (repeatable), e.g. transcriptions on a machine with spare cores.",
)
@click.option(
    "--compact-at",
    type=click.IntRange(min=0),
    default=None,
    help="When idle, merge a full-text index once it is this many b-trees (default 8; 0: never). See "
    "`uscm-archive compact`.",
)
@reporting('{"done": n, "failed": n} when the worker stops.')
@with_settings
def worker(
    settings: Settings,
    lease: float,
    poll: float,
    until_idle: bool,
    kinds: tuple[str, ...],
    compact_at: int | None,
    out: Output,
) -> None:
    """Run queued jobs (ingest, sync, retry, upload, transcription) until stopped (SIGTERM, Ctrl-C)."""
    from archive.jobs import WorkerContext
    from archive.worker import Worker, WorkerOptions

    counts = {"done": 0, "failed": 0}

    def report(job, outcome: str, detail) -> None:
        counts[outcome] += 1
        if outcome == "done":
            session = detail.get("session_id") if isinstance(detail, dict) else None
            out.note(f"job {job.id} ({job.kind}) done" + (f": session {session}" if session else ""))
        else:
            out.note(f"job {job.id} ({job.kind}) failed (attempt {job.attempts}): {detail}")

    context = WorkerContext(
        downloader=settings.ytdlp_factory,
        asr_model_dir=settings.asr_model_dir,
        max_caption_bytes=settings.max_caption_bytes,
        files=settings.files,
    )
    running = Worker(
        settings.catalog_path,
        settings.data_dir,
        context,
        WorkerOptions(
            lease_seconds=lease, poll_seconds=poll, until_idle=until_idle, kinds=kinds, compact_at=compact_at
        ),
        on_job=report,
    )

    def stop(signum, frame) -> None:
        out.note("stopping after the job in hand (signal again to stop now)")
        running.stop()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    where = (
        settings.catalog_path if settings.catalog_on_file else "the PostgreSQL catalog"
    )  # no password shown
    out.summary(f"Worker on {where} (lease {lease:g} s; SIGTERM or Ctrl-C to stop)")
    try:
        running.run()
    except KeyboardInterrupt:
        out.note("stopped at once: the job in hand is taken over by another worker after its lease")
        raise click.exceptions.Exit(130) from None
    out.emit(counts)
    out.summary(f"{counts['done']} job(s) done, {counts['failed']} failed")


def register(cli: click.Group) -> None:
    cli.add_command(worker)
