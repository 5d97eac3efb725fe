"""Anonymous 300 MB bodies against the real server (``uscm-archive serve``, a subprocess): every one is refused
with 413 in the API's error shape before it is read, parsed or authenticated, and the server's peak memory
(``VmHWM`` of its process) stays under 150 MB. Before the limit, one such body took the server from 70 MB to
972 MB and was refused with 401 only after 9 s.
"""

from __future__ import annotations

import json
import select
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.support.staffsite import build_staff_site
from tests.test_concurrency import cli, free_port, wait_until_up

BODY = 300 * 1024**2
PARALLEL = 10
MEMORY_LIMIT_KB = 150 * 1024
CHUNK = b"a" * 65536  # one buffer, sent again and again: the test never holds 300 MB


def peak_memory_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc")


def send_big_body(
    port: int, path: str, chunked: bool, deadline: float, method: str = "PATCH"
) -> tuple[bytes, int]:
    """Stream a 300 MB body until the server answers; (the reply, body bytes sent)."""
    length = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {BODY}"
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{length}\r\n\r\n"
    )
    piece = (b"%x\r\n" % len(CHUNK)) + CHUNK + b"\r\n" if chunked else CHUNK
    sent, reply = 0, b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        opening = b'{"text": "'
        conn.sendall(head.encode() + ((b"%x\r\n%s\r\n" % (len(opening), opening)) if chunked else opening))
        pending = memoryview(b"")
        while time.monotonic() < deadline:
            readable, writable, _ = select.select([conn], [conn] if sent < BODY else [], [], 1.0)
            if readable:
                reply = _read_reply(conn)
                break
            if writable:
                if not pending:
                    pending = memoryview(piece)
                try:
                    n = conn.send(pending)
                except (BrokenPipeError, ConnectionResetError):
                    reply = _read_reply(conn)
                    break
                pending, sent = pending[n:], sent + n
    return reply, sent


def _read_reply(conn: socket.socket) -> bytes:
    chunks = []
    conn.settimeout(5)
    while True:
        try:
            chunk = conn.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        chunks.append(chunk)
        if b"\r\n\r\n" in b"".join(chunks) and b"}}" in chunks[-1]:
            break
    return b"".join(chunks)


@pytest.fixture
def server(tmp_path):
    site = build_staff_site(tmp_path / "data")
    port = free_port()
    process = subprocess.Popen(
        cli(site.settings.data_dir, "serve", "--port", str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}", process)
        yield process, port
    finally:
        process.terminate()
        try:
            process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_parallel_anonymous_300_mb_bodies_are_refused_with_413_in_bounded_memory(server, chunked):
    process, port = server
    results: list[tuple[bytes, int, float]] = []
    deadline = time.monotonic() + 90

    def attack(number: int) -> None:
        started = time.monotonic()
        path = "/api/staff/segments/1" if number % 2 else "/api/staff/sessions/1"
        reply, sent = send_big_body(port, path, chunked, deadline)
        results.append((reply, sent, time.monotonic() - started))

    threads = [threading.Thread(target=attack, args=(n,)) for n in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == PARALLEL
    for reply, sent, seconds in results:
        status_line, _, rest = reply.partition(b"\r\n")
        assert status_line.startswith(b"HTTP/1.1 413"), reply[:300]
        body = json.loads(rest.partition(b"\r\n\r\n")[2].split(b"\r\n0\r\n")[0] or b"{}")
        assert body["error"]["code"] == "too_large", body
        assert "1 MB" in body["error"]["message"]
        assert sent < 16 * 1024**2, f"{sent} bytes went out before the refusal"  # socket buffers, not 300 MB
        assert seconds < 30
    peak = peak_memory_kb(process.pid)
    print(
        f"peak {peak / 1024:.0f} MB; most sent {max(r[1] for r in results)} bytes; slowest {max(r[2] for r in results):.2f} s"
    )
    assert peak < MEMORY_LIMIT_KB, f"server peak memory {peak / 1024:.0f} MB"
    assert process.poll() is None


def test_an_oversized_sign_in_form_is_refused_from_its_length_with_a_page(server):
    _, port = server
    reply, sent = send_big_body(port, "/staff/signin", False, time.monotonic() + 30, "POST")
    assert reply.startswith(b"HTTP/1.1 413"), reply[:300]
    assert b"text/html" in reply.partition(b"\r\n\r\n")[0]
    assert sent < 8 * 1024**2
