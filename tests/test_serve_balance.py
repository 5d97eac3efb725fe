"""``serve --workers 2`` deals keep-alive connections out evenly, and a worker that stops answering holds none back."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_serve_workers import established_by, free_port, worker_pids
from uscm_archive.serve_balance import may_take

pytestmark = pytest.mark.skipif(
    not Path("/proc/net/tcp").exists(), reason="reads the process tree and connection table from /proc"
)


def start_server(tmp_path: Path, port: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "uscm_archive.cli", "--data", str(tmp_path / "d"), "serve", "--demo"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("USCM_ARCHIVE_")}
    return subprocess.Popen(
        [*command, "--workers", "2", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )


def get(client: socket.socket, path: str = "/healthz") -> bytes:
    client.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    return client.recv(65536)


def first_answer(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=30) as probe:
                if get(probe).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("the server did not answer")


def test_keep_alive_clients_are_dealt_out_evenly(tmp_path):
    # 32 clients that keep their connections: with a socket per worker, the kernel's hash split them anywhere
    # from 16/16 to 12/20, and the worker with 20 answered each request 20/16 slower
    port = free_port()
    server = start_server(tmp_path, port)
    clients: list[socket.socket] = []
    try:
        first_answer(port)
        for _ in range(3):  # three rounds of 32: a hash deals 3 even splits in a row 1 time in 14
            for _ in range(32):
                client = socket.create_connection(("127.0.0.1", port), timeout=30)
                clients.append(client)
                assert get(client).startswith(b"HTTP/1.1 200")
            workers = worker_pids(server.pid)
            held = sorted(established_by(pid, port) for pid in workers)
            assert len(workers) == 2 and sum(held) == 32
            assert held[1] - held[0] <= 2, f"connections per worker: {held}"
            for client in clients:
                client.close()
            clients.clear()
            for _ in range(100):  # until the workers saw them close
                if sum(established_by(pid, port) for pid in workers) == 0:
                    break
                time.sleep(0.05)
    finally:
        for client in clients:
            client.close()
        server.terminate()
        server.communicate(timeout=30)


def test_a_worker_that_stops_answering_holds_no_new_connection_back(tmp_path):
    # a stopped worker (SIGSTOP: alive, holding fewer connections) would be owed every new connection; each is
    # answered by the other worker within moments instead (with a socket per worker, half of them waited in the
    # stopped worker's queue for as long as it stayed stopped)
    port = free_port()
    server = start_server(tmp_path, port)
    clients: list[socket.socket] = []
    stopped = None
    try:
        first_answer(port)
        workers = worker_pids(server.pid)
        for _ in range(50):  # one each (a starting worker keeps its share): both workers serve
            for _ in range(2):
                clients.append(socket.create_connection(("127.0.0.1", port), timeout=30))
                assert get(clients[-1]).startswith(b"HTTP/1.1 200")
            if [established_by(pid, port) for pid in workers] == [1, 1]:
                break
            # (the first answer's connection not yet seen closed, or a worker not yet on the board: again)
            for client in clients:
                client.close()
            clients.clear()
            time.sleep(0.2)
        assert [established_by(pid, port) for pid in workers] == [1, 1]
        stopped = workers[0]
        os.kill(stopped, signal.SIGSTOP)
        for _ in range(6):
            client = socket.create_connection(("127.0.0.1", port), timeout=5)
            clients.append(client)
            started = time.perf_counter()
            assert get(client).startswith(b"HTTP/1.1 200")
            assert time.perf_counter() - started < 3
        assert established_by(stopped, port) == 1  # the one it held before it stopped
    finally:
        if stopped is not None:
            os.kill(stopped, signal.SIGCONT)
        for client in clients:
            client.close()
        server.terminate()
        server.communicate(timeout=30)


def test_who_takes_a_waiting_connection():
    serving, starting = True, False
    assert may_take(3, [(3, serving)], waited=0)  # as many: either may take it
    assert may_take(3, [(5, serving), (4, serving)], waited=0)
    assert not may_take(4, [(3, serving)], waited=0)  # left to the one with fewer...
    assert may_take(4, [(3, serving)], waited=1.5)  # ...unless it does not take it soon
    assert not may_take(
        1, [(0, starting)], waited=5
    )  # a starting worker keeps its share however long it waits
    assert may_take(7, [], waited=0)  # alone
