"""A worker: takes jobs from the catalog's shared queue and runs them, one at a time, holding a lease on each.

``uscm-archive worker`` runs one in the foreground; ``serve`` runs one in a thread of each server process unless
told ``--no-worker`` (a node that only serves). Any number of workers on any machines share one catalog: taking a
job is one write transaction, and a lease renewed every third of its length while the job runs tells the others
it is alive. A worker killed half-way stops renewing; once its lease has run out another worker takes the job
again (one more attempt). A job that raises is queued again after a doubling delay until its attempts run out.

``stop()`` (SIGTERM, the end of ``serve``) lets the job in hand finish and takes no other.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from archive import jobs
from archive.jobs import WorkerContext
from catalog import Catalog, CatalogClosed, CatalogError, Job

log = logging.getLogger("uscm_archive.worker")

DEFAULT_LEASE = 60.0
DEFAULT_POLL = 1.0
DEFAULT_COMPACT_EVERY = 60.0  # reading five structure records costs ~0.1 ms: the bound is for the logs' sake


@dataclass(frozen=True)
class WorkerOptions:
    lease_seconds: float = DEFAULT_LEASE
    poll_seconds: float = DEFAULT_POLL  # how often an idle worker looks for jobs other nodes queued
    until_idle: bool = False  # stop when no job is ready (``worker --until-idle``)
    kinds: tuple[str, ...] = ()  # only these kinds of job (``worker --kind transcribe``); empty: every kind
    # Idle, the worker merges a full-text index once it is this many b-trees (``catalog/ops/compact.py``: None,
    # the catalog's default; 0: never), looking at most every ``compact_every`` seconds.
    compact_at: int | None = None
    compact_every: float = DEFAULT_COMPACT_EVERY


def owner_name(label: str = "worker") -> str:
    """``host:pid:label:thread``: who holds a lease, readable in ``uscm-archive jobs``."""
    return f"{socket.gethostname()}:{os.getpid()}:{label}:{threading.get_ident()}"


class Worker:
    def __init__(
        self,
        catalog_path: Path | str,
        data_dir: Path,
        context: WorkerContext | None = None,
        options: WorkerOptions | None = None,
        *,
        label: str = "worker",
        on_job: Callable[[Job, str, dict | str], None] | None = None,
    ):
        self.catalog_path = catalog_path if isinstance(catalog_path, str) else Path(catalog_path)  # or a URL
        self.data_dir = Path(data_dir)
        self.context = context or WorkerContext()
        self.options = options or WorkerOptions()
        self.label = label
        self.on_job = on_job  # called after each job with (job, "done" | "failed", result or error)
        self._stop = threading.Event()
        self._nudge = threading.Event()
        self.finished = 0
        self.compactions = 0  # how many idle compactions this worker ran
        # the first look at the indexes: at once for a worker that runs what is queued and exits; a minute after
        # start for a long-running one (a server's pages and caches settle first)
        self._compact_checked = float("-inf") if self.options.until_idle else time.monotonic()

    # -- control ---------------------------------------------------------------------------------------------
    def stop(self) -> None:
        """Finish the job in hand, take no other."""
        self._stop.set()
        self._nudge.set()

    def nudge(self) -> None:
        """A job was just queued in this process: look now rather than at the next poll."""
        self._nudge.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    # -- the loop --------------------------------------------------------------------------------------------
    def run(self) -> int:
        """Take and run jobs until stopped (or, ``until_idle``, until none is ready); returns how many ran."""
        owner = owner_name(self.label)
        catalog = Catalog.open(self.catalog_path)
        try:
            while not self._stop.is_set():
                job = self._claim(catalog, owner)
                if job is None:
                    self._compact_when_due(catalog, owner)
                    if self.options.until_idle:
                        break
                    self._nudge.wait(self.options.poll_seconds)
                    self._nudge.clear()
                    continue
                self._run_one(catalog, owner, job)
        finally:
            catalog.close()
        return self.finished

    def _claim(self, catalog: Catalog, owner: str) -> Job | None:
        try:
            kinds = self.options.kinds or jobs.KINDS
            return catalog.queue.claim_job(owner, self.options.lease_seconds, kinds=kinds)
        except CatalogClosed as exc:  # the process closed its catalog under us: nothing left to take
            log.info("worker %s: the catalog is closed (%s); stopping", owner, exc)
            self._stop.set()
            return None
        except Exception as exc:  # noqa: BLE001 - the catalog busy or away: try again at the next poll
            log.warning("worker %s: cannot take a job: %s", owner, exc)
            time.sleep(self.options.poll_seconds)
            return None

    def _compact_when_due(self, catalog: Catalog, owner: str) -> None:
        """The queue is idle: merge the full-text indexes that took enough writes; a job queued meanwhile (here:
        a nudge; by another node: seen within a poll) or a stop ends it after the step in hand (the next idle
        moment carries on)."""
        if self.options.compact_at == 0 or self._stop.is_set():
            return
        now = time.monotonic()
        if now - self._compact_checked < self.options.compact_every:
            return
        self._compact_checked = now
        looked = [now]

        def should_stop() -> (
            bool
        ):  # a stop, a job queued here (nudge) or, looked at once a poll, by another node
            if self._stop.is_set() or self._nudge.is_set():
                return True
            if time.monotonic() - looked[0] < self.options.poll_seconds:
                return False
            looked[0] = time.monotonic()
            return catalog.queue.count_jobs().get("queued", 0) > 0

        try:
            done = catalog.ops.compact_if_due(
                by=owner, btrees=self.options.compact_at, should_stop=should_stop
            )
        except CatalogClosed:
            self._stop.set()
            return
        except Exception as exc:  # noqa: BLE001 - compaction is an optimisation: try again later
            log.warning("worker %s: cannot compact the full-text indexes: %s", owner, exc)
            return
        if done is not None:
            self.compactions += 1
            merged = ", ".join(f"{i.name} {i.before} → {i.after}" for i in done.indexes)
            log.info("worker %s: compacted the full-text indexes in %.2f s (%s)", owner, done.seconds, merged)

    def _run_one(self, catalog: Catalog, owner: str, job: Job) -> None:
        keeper = _LeaseKeeper(self.catalog_path, job.id, owner, self.options.lease_seconds)
        keeper.start()
        try:
            result = jobs.run(catalog, self.data_dir, job, self.context)
        except Exception as exc:  # noqa: BLE001 - any failure is the job's: recorded on it, retried with backoff
            keeper.stop()
            error = (
                f"{type(exc).__name__}: {exc}" if not isinstance(exc, CatalogError | OSError) else str(exc)
            )
            log.warning("job %s (%s) failed: %s\n%s", job.id, job.kind, error, traceback.format_exc())
            self._record(lambda: catalog.queue.fail_job(job.id, owner, error), job)
            self._report(job, "failed", error)
            return
        keeper.stop()
        if not self._record(lambda: catalog.queue.finish_job(job.id, owner, result), job):
            log.warning("job %s finished after its lease was taken over by another worker", job.id)
        self.finished += 1
        self._report(job, "done", result)

    @staticmethod
    def _record(write: Callable[[], object], job: Job) -> object:
        """Finish or fail the job; when the catalog cannot be written, its lease runs out and it is run again."""
        try:
            return write()
        except Exception as exc:  # noqa: BLE001 - the job is taken again after its lease, never lost
            log.warning("job %s: cannot record its outcome (%s); it runs again after its lease", job.id, exc)
            return None

    def _report(self, job: Job, outcome: str, detail) -> None:
        if self.on_job is not None:
            self.on_job(job, outcome, detail)


class _LeaseKeeper:
    """Renews a job's lease every third of its length, on its own connection, while the job runs."""

    def __init__(self, catalog_path: Path | str, job_id: int, owner: str, lease_seconds: float):
        self.catalog_path, self.job_id, self.owner, self.lease = catalog_path, job_id, owner, lease_seconds
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._keep, name=f"lease-{job_id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join(timeout=30)

    def _keep(self) -> None:
        catalog = Catalog.open(self.catalog_path)
        try:
            while not self._done.wait(self.lease / 3):
                try:
                    if not catalog.queue.renew_lease(self.job_id, self.owner, self.lease):
                        log.warning("job %s: lease lost (another worker took it over)", self.job_id)
                        return
                except Exception as exc:  # noqa: BLE001 - try again at the next third of the lease
                    log.warning("job %s: cannot renew the lease: %s", self.job_id, exc)
        finally:
            catalog.close()


class WorkerThread:
    """A worker in a daemon thread of a server process (``serve`` without ``--no-worker``)."""

    def __init__(self, worker: Worker):
        self.worker = worker
        self._thread = threading.Thread(target=self._run, name="uscm-worker", daemon=True)

    def start(self) -> WorkerThread:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self.worker.stopping:
            try:
                self.worker.run()
            except Exception:  # noqa: BLE001 - a server's worker thread never dies of one bad moment
                log.exception("the in-process worker stopped; starting again in 5 s")
                time.sleep(5)

    def stop(self, timeout: float = 30) -> None:
        self.worker.stop()
        self._thread.join(timeout=timeout)
