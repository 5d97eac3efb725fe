"""``uscm-archive serve --workers N``: N worker processes answer on one port, with the settings given."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from uscm_archive.cli import cli


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def worker_pids(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads the process tree from /proc")
def test_two_workers_serve_the_archive(tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "uscm_archive.cli", "--data", str(tmp_path / "d"), "serve", "--demo"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("USCM_ARCHIVE_")}
    server = subprocess.Popen(
        [*command, "--workers", "2", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        answer = None
        for _ in range(200):
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/api/search", params={"q": "land"}, timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert answer is not None and answer.status_code == 200 and answer.json()["total"] >= 1
        answers = [httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json() for _ in range(6)]
        assert answers == [{"status": "ok", "sessions": 3}] * 6  # the demo archive, from every worker
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as keep_alive:
            times = []
            for _ in range(9):
                started = time.perf_counter()
                assert keep_alive.get("/api/search", params={"q": "land"}).status_code == 200
                times.append(time.perf_counter() - started)
        # Nagle's algorithm left on would hold each response's body for the client's delayed ACK (~40 ms)
        assert sorted(times)[4] < 0.025, [round(t * 1000, 1) for t in times]
        assert len(worker_pids(server.pid)) == 2
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=30)
    assert b"with 2 worker processes" in out


@pytest.mark.parametrize("workers", ["0", "65", "many"])
def test_serve_refuses_a_bad_number_of_workers(tmp_path, workers):
    result = CliRunner().invoke(cli, ["--data", str(tmp_path), "serve", "--workers", workers])
    assert result.exit_code == 2 and "--workers" in result.output
