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


def established_by(pid: int, port: int) -> int:
    """Connections to ``port`` that the process ``pid`` holds open (its socket descriptors matched against the
    kernel's table of established TCP connections)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    held = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port, state, inode = int(fields[1].rsplit(":", 1)[1], 16), fields[3], fields[9]
        held += local_port == port and state == "01" and inode in inodes
    return held


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads the connection table from /proc")
def test_clients_that_come_while_the_workers_start_are_spread_over_both(tmp_path):
    # keep-alive clients stay on the worker that took them: had they all gone to the worker that listened
    # first, the other core would idle for as long as they stay
    port = free_port()
    command = [sys.executable, "-m", "uscm_archive.cli", "--data", str(tmp_path / "d"), "serve", "--demo"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("USCM_ARCHIVE_")}
    server = subprocess.Popen(
        [*command, "--workers", "2", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    clients: list[socket.socket] = []
    try:
        for _ in range(300):  # the first moment the port takes a connection
            try:
                clients.append(socket.create_connection(("127.0.0.1", port), timeout=30))
                break
            except OSError:
                time.sleep(0.05)
        clients += [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(15)]
        for client in clients:
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        for client in clients:
            assert client.recv(65536).startswith(b"HTTP/1.1 200")
        workers = worker_pids(server.pid)
        held = sorted(established_by(pid, port) for pid in workers)
        assert len(workers) == 2 and sum(held) == 16
        assert held[0] >= 2, f"connections per worker: {held}"
    finally:
        for client in clients:
            client.close()
        server.terminate()
        server.communicate(timeout=30)
