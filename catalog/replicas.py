"""Read replicas: which PostgreSQL streaming standby may answer a read, by measurement.

``Replicas(primary, urls, max_lag=...)`` probes, every ``interval`` seconds in a thread of its own (``start``; a
request never waits for a probe), the primary's WAL position and then each standby's replayed position
(``pg_current_wal_lsn()``, ``pg_last_wal_replay_lsn()``: ``catalog/store/pg.py``).

A standby's lag is measured, not guessed from timestamps: the probes keep the primary's positions of the last
minutes with the time each was read. A standby that has replayed position R holds every write committed before the
newest sample at or below R, so its lag is at most the age of that sample (0 when it has replayed the primary's
position read just before it). A standby is *in use* while it answered the last probe and its lag is within
``max_lag``; otherwise it is skipped, with one log line when that changes and one when it is back.

``choose(after)`` picks a standby in use for a public read, one that has replayed ``after`` when given (the
primary's position right after the reader's own last write: read-your-writes), or ``None``: read the primary.
``primary_position()`` is that position, read after a write. ``mark_down(url, why)`` takes a standby out of use at
once (a request found it gone between probes); the next probe that reaches it puts it back.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from catalog.errors import CatalogError

log = logging.getLogger("uscm_archive.replicas")

DEFAULT_MAX_LAG = 10.0  # seconds
DEFAULT_INTERVAL = 0.5  # seconds between probes
KEEP_SAMPLES = 600.0  # seconds of the primary's positions kept to measure lag with


@dataclass(frozen=True)
class ReplicaStatus:
    """What ``/healthz`` says of one standby. ``state``: ``ok`` (in use), ``behind`` (lag past the bound),
    ``down`` (did not answer, or is not a standby), ``starting`` (not probed yet)."""

    url: str  # without its password
    state: str
    lag_seconds: float | None  # at most this far behind the primary (None: unknown)
    detail: str = ""

    @property
    def in_use(self) -> bool:
        return self.state == "ok"


class _Replica:
    def __init__(self, url: str):
        self.url = url
        self.state = "starting"
        self.replayed: int | None = None
        self.lag: float | None = None
        self.detail = ""


class Replicas:
    def __init__(
        self,
        primary: str,
        urls: Sequence[str],
        *,
        max_lag: float = DEFAULT_MAX_LAG,
        interval: float = DEFAULT_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ):
        from catalog.store import pg  # psycopg: only where replicas are configured

        self._pg = pg
        self.primary = primary
        self.urls = tuple(dict.fromkeys(urls))
        self.max_lag = max_lag
        self.interval = interval
        self._clock = clock
        self._samples: deque[tuple[float, int]] = deque()
        self._replicas = {url: _Replica(url) for url in self.urls}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- probing -------------------------------------------------------------------------------------------
    def start(self) -> Replicas:
        self.probe()  # the first state before the first request
        self._thread = threading.Thread(target=self._run, name="replica-probe", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.probe()
            except Exception:  # a probe must never end the thread
                log.exception("replica probe failed")

    def probe(self) -> None:
        """Read the primary's position, then each standby's; update which are in use."""
        before = self._clock()
        try:
            position = self._pg.primary_position(self.primary)
        except CatalogError as exc:  # the primary is down: keep the standbys as last measured
            log.debug("replica probe: %s", exc)
        else:
            with self._lock:
                self._samples.append((before, position))
                while self._samples and self._samples[0][0] < before - KEEP_SAMPLES:
                    self._samples.popleft()
        for url in self.urls:
            try:
                replayed = self._pg.replica_position(url)
            except CatalogError as exc:
                self._set(url, "down", None, None, str(exc))
                continue
            lag = self._lag(replayed, self._clock())
            state = "ok" if lag is not None and lag <= self.max_lag else "behind"
            detail = "" if state == "ok" else f"{_seconds(lag)} behind the primary (bound {self.max_lag:g} s)"
            self._set(url, state, replayed, lag, detail)

    def _lag(self, replayed: int, now: float) -> float | None:
        with self._lock:
            samples = list(self._samples)
        if not samples:
            return None
        if replayed >= samples[-1][1]:
            return 0.0
        held = [t for t, position in samples if position <= replayed]
        return now - (held[-1] if held else samples[0][0])  # at least this when none is held

    def _set(self, url: str, state: str, replayed: int | None, lag: float | None, detail: str) -> None:
        with self._lock:
            replica = self._replicas[url]
            was = replica.state
            replica.state, replica.lag, replica.detail = state, lag, detail
            if replayed is not None:
                replica.replayed = replayed
        if state != was:
            name = self._pg.safe_url(url)
            if state == "ok":
                log.warning("replica %s in use (lag %s)", name, _seconds(lag))
            else:
                log.warning("replica %s skipped: %s", name, detail)

    def answers(self, url: str) -> bool:
        """Whether the standby at ``url`` answers now (taken out of use at once when it does not)."""
        try:
            self._pg.replica_position(url)
        except CatalogError as exc:
            self.mark_down(url, str(exc))
            return False
        return True

    def mark_down(self, url: str, why: str) -> None:
        self._set(url, "down", None, None, why)

    # -- choosing ------------------------------------------------------------------------------------------
    def choose(self, after: int | None = None) -> str | None:
        """A standby in use that has replayed ``after`` (when given), or None (read the primary)."""
        with self._lock:
            usable = [
                r.url
                for r in self._replicas.values()
                if r.state == "ok" and (after is None or (r.replayed is not None and r.replayed >= after))
            ]
        return random.choice(usable) if usable else None

    def primary_position(self) -> int:
        return self._pg.primary_position(self.primary)

    def status(self) -> list[ReplicaStatus]:
        with self._lock:
            return [
                ReplicaStatus(self._pg.safe_url(r.url), r.state, r.lag, r.detail)
                for r in self._replicas.values()
            ]

    @staticmethod
    def parse_position(text: str) -> int | None:
        """A WAL position as a cookie carries it (``16/B374D848``), or None when it is not one."""
        if not re.fullmatch(r"[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}", text):
            return None
        high, low = text.split("/")
        return (int(high, 16) << 32) | int(low, 16)

    @staticmethod
    def format_position(value: int) -> str:
        return f"{value >> 32:X}/{value & 0xFFFFFFFF:X}"


def _seconds(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.1f} s"
