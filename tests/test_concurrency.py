"""32 readers and searchers against the real server while a bulk ingest writes: no "database is locked", no
5xx, and every session is seen whole or not at all.

The server (``uscm-archive serve``) and the ingest (``uscm-archive import-catalog``, run twice: it creates the
sessions, then updates every one of them) are real subprocesses; the 32 clients are threads with httpx.
"""

from __future__ import annotations

import random
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.support.archive_state import fill_archive
from tests.test_crash import SESSIONS, write_bulk_catalog

CLIENTS = 32
MAX_SECONDS = 90
QUERIES = ('"city council"', "chemistry", "meet*", "council -oakland", "the", "housing OR resilience", '"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cli(data_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "uscm_archive.cli", "--data", str(data_dir), *args]


def wait_until_up(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the server stopped: {server.stderr.read()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("the server did not come up")


class Reader(threading.Thread):
    """One user: browses, reads sessions and their transcripts, searches; notes everything that went wrong."""

    def __init__(self, base: str, seed: int, stop: threading.Event):
        super().__init__(daemon=True)
        self.base, self.rng, self.stop = base, random.Random(seed), stop
        self.statuses: Counter = Counter()
        self.problems: list[str] = []
        self.whole_checks = 0

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=30) as client:
            while not self.stop.is_set():
                try:
                    self.one_visit(client)
                except httpx.HTTPError as exc:
                    self.problems.append(f"{type(exc).__name__}: {exc}")

    def get(self, client: httpx.Client, url: str, **params) -> httpx.Response:
        response = client.get(url, params=params)
        self.statuses[response.status_code] += 1
        if response.status_code >= 500 or "database is locked" in response.text:
            self.problems.append(f"{url} {params}: {response.status_code} {response.text[:200]}")
        return response

    def one_visit(self, client: httpx.Client) -> None:
        kind = self.rng.random()
        if kind < 0.35:
            self.get(client, "/api/search", q=self.rng.choice(QUERIES), limit=10)
        elif kind < 0.45:
            self.get(client, "/search", q=self.rng.choice(QUERIES))
        elif kind < 0.55:
            self.get(client, "/")
        else:
            listing = self.get(client, "/api/sessions", limit=50, offset=self.rng.choice([0, 10, 20]))
            sessions = listing.json().get("sessions", []) if listing.status_code == 200 else []
            if sessions:
                self.read_session(client, self.rng.choice(sessions)["id"])

    def read_session(self, client: httpx.Client, session_id: int) -> None:
        detail = self.get(client, f"/api/sessions/{session_id}")
        transcript = self.get(client, f"/api/sessions/{session_id}/transcript")
        if detail.status_code == transcript.status_code == 200:
            count, segments = detail.json()["segment_count"], transcript.json()["segments"]
            if count != len(segments) or count == 0:
                self.problems.append(f"session {session_id}: says {count} segments, shows {len(segments)}")
            self.whole_checks += 1
        if self.rng.random() < 0.3:
            self.get(client, f"/sessions/{session_id}")


@pytest.mark.slow
def test_readers_and_searchers_during_a_bulk_ingest_see_no_errors_and_only_whole_sessions(
    tmp_path, data_dir, catalog, corpus
):
    fill_archive(catalog, data_dir, corpus, names=["teams_example-interview_voice-tags.vtt"])
    catalog_file = write_bulk_catalog(tmp_path / "incoming", corpus)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        cli(data_dir, "serve", "--port", str(port)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    stop = threading.Event()
    readers = [Reader(base, seed, stop) for seed in range(CLIENTS)]
    try:
        wait_until_up(base, server)
        started = time.monotonic()
        for reader in readers:
            reader.start()
        for _ in range(2):  # create every session, then update every one (segments deleted and re-inserted)
            ingest = subprocess.run(
                cli(data_dir, "import-catalog", str(catalog_file)),
                capture_output=True,
                text=True,
                timeout=MAX_SECONDS,
            )
            assert ingest.returncode == 0, ingest.stderr
            assert "locked" not in ingest.stderr
        time.sleep(0.5)
        stop.set()
        for reader in readers:
            reader.join(timeout=30)
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        server.terminate()
        try:
            _, server_log = server.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            _, server_log = server.communicate()
    problems = [problem for reader in readers for problem in reader.problems]
    statuses = sum((reader.statuses for reader in readers), Counter())
    whole = sum(reader.whole_checks for reader in readers)
    print(
        f"\n{CLIENTS} clients, {sum(statuses.values())} requests in {elapsed:.1f} s {dict(statuses)}, {whole} whole-session checks"
    )
    assert not problems, f"{len(problems)} problems, first: {problems[:5]}"
    assert "database is locked" not in server_log and "Traceback" not in server_log, server_log[-2000:]
    assert sum(statuses.values()) >= 10 * CLIENTS, (
        f"only {sum(statuses.values())} requests in {elapsed:.1f} s"
    )
    assert whole >= CLIENTS
    assert set(statuses) <= {200, 404}, statuses
    total, _ = catalog.list_sessions(limit=1)
    assert total == SESSIONS + 1
