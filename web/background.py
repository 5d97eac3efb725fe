"""The web side of the shared work queue: a node only enqueues; a worker (this process's own, unless the node
serves with ``--no-worker``, or one on any machine) runs the jobs.

``start_worker`` gives the app its in-process worker (a thread; ``None`` when the settings say not to run one);
``nudge`` tells it a job was just queued here; ``wait_for_item`` lets an upload's request wait a little for the
worker, so that a quick job answers with its result (the session's preview) rather than a progress page.
"""

from __future__ import annotations

import time

from starlette.requests import Request

from archive.jobs import WorkerContext
from archive.worker import Worker, WorkerThread
from catalog import Catalog, Item

# seconds an upload's request waits for its job before showing the progress page instead: longer when this
# process runs a worker itself (it takes the job at once), shorter when workers elsewhere poll for it
UPLOAD_WAIT = 20.0
UPLOAD_WAIT_NO_WORKER = 5.0


def start_worker(settings) -> WorkerThread | None:
    if not getattr(settings, "worker", True):
        return None
    context = WorkerContext(
        downloader=settings.ytdlp_factory,
        asr_model_dir=settings.asr_model_dir,
        max_caption_bytes=settings.max_caption_bytes,
        files=settings.files,
    )
    return WorkerThread(Worker(settings.catalog_path, settings.data_dir, context, label="serve")).start()


def nudge(request: Request) -> None:
    worker = getattr(request.app.state, "worker", None)
    if worker is not None:
        worker.worker.nudge()


def upload_wait(request: Request) -> float:
    return UPLOAD_WAIT if getattr(request.app.state, "worker", None) is not None else UPLOAD_WAIT_NO_WORKER


def wait_for_item(catalog: Catalog, item_id: int, seconds: float) -> Item | None:
    """The item once it is done or failed, or None if it still waits or runs after ``seconds``."""
    deadline = time.monotonic() + seconds
    delay = 0.02
    while True:
        item = catalog.queue.get(item_id)
        if item is None or item.state in ("done", "failed"):
            return item
        if time.monotonic() >= deadline:
            return None
        time.sleep(delay)
        delay = min(0.25, delay * 1.5)
