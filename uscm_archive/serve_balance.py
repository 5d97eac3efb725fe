"""``serve --workers N``: one listening socket, and each worker takes a new connection only when it holds no more
connections than any other worker.

Keep-alive clients stay on the worker that accepted them, so how connections are dealt out decides how the work
is: with one ``SO_REUSEPORT`` socket per worker the kernel deals them by a hash of the address, and 32 clients
split anywhere from 16/16 to 12/20 (binomial), the busier worker answering each request ~20/16 slower, and making
the tail. Here every worker listens on the same socket and watches a small shared board (a memory-mapped file,
one slot per worker: its pid, whether it serves yet, the connections it holds); a worker holding more connections
than another leaves a waiting connection to that one. A worker still warming up keeps its share (for up to
``STARTING_GRACE`` seconds), so that the clients that come while it starts are not all taken by the other; a
worker that stops or dies gives its share up. A waiting connection that no worker with fewer takes within
``STUCK_AFTER`` seconds (that worker is stopped or stuck) is taken anyway: nobody waits long on a balance.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import gc
import mmap
import os
import socket
import struct
import tempfile
import time
from pathlib import Path

from uvicorn import Server
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess
from uvicorn.supervisors.multiprocess import Process

BOARD_VARIABLE = "USCM_ARCHIVE_SERVE_BOARD"
SLOT = struct.Struct("<qqqd")  # pid, serving (0/1), connections, since (time.time() of the last change)
HEADER = struct.Struct("<qq")  # slots; workers asked for (an empty slot beyond them keeps no share)
STARTING_GRACE = 60.0  # seconds a worker that is starting (or has not started yet) keeps its share
STUCK_AFTER = 1.0  # seconds a waiting connection waits for a worker with fewer connections to take it
RETRY_AFTER = 0.004  # seconds a worker that left a connection to another looks again


class Board:
    """The shared slots: each worker's pid, whether it serves yet and how many connections it holds."""

    def __init__(self, path: Path):
        self.path = path
        self._file = open(path, "r+b")  # noqa: SIM115 (kept open for the mapping's lifetime)
        self._map = mmap.mmap(self._file.fileno(), 0)
        self.slots, self.workers = HEADER.unpack_from(self._map, 0)
        self.mine: int | None = None

    @classmethod
    def create(cls, workers: int, spare: int = 8) -> Board:
        """A board for ``workers`` workers, with ``spare`` more slots for workers added or replaced."""
        folder = Path(tempfile.mkdtemp(prefix="uscm-archive-serve-"))
        path = folder / "board"
        now = time.time()
        slots = workers + spare
        path.write_bytes(
            HEADER.pack(slots, workers) + b"".join(SLOT.pack(0, 0, 0, now) for _ in range(slots))
        )
        return cls(path)

    def remove(self) -> None:
        self.close()
        with contextlib.suppress(OSError):
            self.path.unlink()
            self.path.parent.rmdir()

    def close(self) -> None:
        with contextlib.suppress(BufferError, ValueError):
            self._map.close()
        self._file.close()

    def _read(self, index: int) -> tuple[int, int, int, float]:
        return SLOT.unpack_from(self._map, HEADER.size + index * SLOT.size)

    def _write(self, index: int, pid: int, serving: int, connections: int, since: float) -> None:
        SLOT.pack_into(self._map, HEADER.size + index * SLOT.size, pid, serving, connections, since)

    def claim(self) -> int | None:
        """Take a free slot for this process (one no live process holds); ``None`` when all are held."""
        with open(self.path, "rb") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            for index in range(self.slots):
                pid = self._read(index)[0]
                if pid == 0 or not alive(pid):
                    self._write(index, os.getpid(), 0, 0, time.time())
                    self.mine = index
                    return index
        return None

    def serving(self) -> None:
        if self.mine is not None:
            pid, _, connections, _ = self._read(self.mine)
            self._write(self.mine, pid, 1, connections, time.time())

    def release(self) -> None:
        if self.mine is not None:
            self._write(self.mine, 0, 0, 0, time.time())
            self.mine = None

    def count(self, connections: int) -> None:
        if self.mine is not None:
            pid, serving, _, since = self._read(self.mine)
            self._write(self.mine, pid, serving, connections, since)

    def others(self) -> list[tuple[int, bool]]:
        """(connections, serving) of every other worker that has a share: serving, or starting (or not started,
        or restarting) for less than ``STARTING_GRACE`` seconds, counted as holding none."""
        now, found = time.time(), []
        for index in range(self.slots):
            if index == self.mine:
                continue
            pid, serving, connections, since = self._read(index)
            if pid and serving and alive(pid):
                found.append((connections, True))
            elif now - since < STARTING_GRACE and (alive(pid) if pid else index < self.workers):
                found.append((0, False))
        return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def may_take(mine: int, others: list[tuple[int, bool]], waited: float) -> bool:
    """Whether a worker holding ``mine`` connections takes a waiting one (that it saw ``waited`` seconds ago)."""
    fewer = [serving for connections, serving in others if connections < mine]
    if not fewer:
        return True
    # only serving workers are expected to take it soon; one that starts keeps its share however long it waits
    return all(fewer) and waited >= STUCK_AFTER


class BalancedServer(Server):
    """A uvicorn server that accepts from the shared socket itself, as the board allows."""

    board: Board | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        path = os.environ.get(BOARD_VARIABLE)
        if not sockets or not path:
            await super().startup(sockets)
            return
        self.board = Board(Path(path))
        self.board.claim()  # before warming up: the share is kept meanwhile
        await self.lifespan.startup()
        if self.lifespan.should_exit:
            self.board.release()
            raise SystemExit(STARTUP_FAILURE)  # the supervisor stops rather than restart it
        # What the warm-up read stays for the process's life: out of the collector's sight, a full collection no
        # longer walks it (one pause for every request queued meanwhile)
        gc.collect()
        gc.freeze()
        loop = asyncio.get_running_loop()
        config = self.config

        def create_protocol(_loop: asyncio.AbstractEventLoop | None = None) -> asyncio.Protocol:
            return config.http_protocol_class(  # type: ignore[call-arg]
                config=config, server_state=self.server_state, app_state=self.lifespan.state, _loop=_loop
            )

        self._create_protocol = create_protocol
        self._listeners = sockets
        self._waiting_since: float | None = None
        self.servers = []
        for sock in sockets:
            sock.setblocking(False)
            loop.add_reader(sock.fileno(), self._ready_to_accept, sock)
        self.board.serving()
        self.started = True

    def _ready_to_accept(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        connections = len(self.server_state.connections)
        assert self.board is not None
        self.board.count(connections)
        now = time.monotonic()
        if self._waiting_since is None:
            self._waiting_since = now
        if not may_take(connections, self.board.others(), now - self._waiting_since):
            loop.remove_reader(sock.fileno())  # look again shortly (the socket stays readable until taken)
            loop.call_later(RETRY_AFTER, self._listen_again, sock)
            return
        try:
            conn, _ = sock.accept()
        except (BlockingIOError, InterruptedError):  # another worker took it
            self._waiting_since = None
            return
        except OSError:  # e.g. too many open files: try again shortly
            self._waiting_since = None
            loop.remove_reader(sock.fileno())
            loop.call_later(0.05, self._listen_again, sock)
            return
        self._waiting_since = None
        conn.setblocking(False)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.board.count(connections + 1)
        loop.create_task(self._serve_connection(conn))

    async def _serve_connection(self, conn: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.connect_accepted_socket(self._create_protocol, conn)
        except OSError:
            conn.close()
            return
        if self.board is not None:
            self.board.count(len(self.server_state.connections))

    def _listen_again(self, sock: socket.socket) -> None:
        if self.should_exit or sock.fileno() < 0:
            return
        asyncio.get_running_loop().add_reader(sock.fileno(), self._ready_to_accept, sock)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self.board is not None:
            loop = asyncio.get_running_loop()
            for sock in self._listeners:
                with contextlib.suppress(ValueError, OSError):
                    loop.remove_reader(sock.fileno())
            self.board.release()
        await super().shutdown(sockets)

    async def on_tick(self, counter: int) -> bool:
        if self.board is not None and counter % 10 == 0:  # every second: connections closed meanwhile
            self.board.count(len(self.server_state.connections))
        return await super().on_tick(counter)


class BalancedProcess(Process):
    @property
    def server(self) -> Server:
        if self._server is None:
            self._server = BalancedServer(config=self.config)
        return self._server


class BalancedWorkers(Multiprocess):
    """uvicorn's supervisor, its workers ``BalancedProcess``es (started, restarted, added) on one shared socket."""

    def _new(self) -> Process:
        return BalancedProcess(self.config, self.sockets)

    def init_processes(self) -> None:
        for _ in range(self.processes_num):
            process = self._new()
            process.start()
            self.processes.append(process)

    def keep_subprocess_alive(self) -> None:
        if self.should_exit.is_set():
            return
        for index, process in enumerate(self.processes):
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()
            process.join()
            if process.exitcode == STARTUP_FAILURE:  # failed before serving: would fail the same way again
                self.should_exit.set()
                return
            if self.should_exit.is_set():
                return
            replacement = self._new()
            replacement.start()
            self.processes[index] = replacement

    def handle_hup(self) -> None:  # replace every worker, one after the other
        for index, old in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new = self._new()
            new.start()
            if not new.wait_until_ready(self.config.timeout_worker_healthcheck, self.should_exit):
                new.kill()
                new.join()
                return
            old.terminate()
            old.join()
            self.processes[index] = new

    def handle_ttin(self) -> None:
        self.processes_num += 1
        process = self._new()
        process.start()
        self.processes.append(process)


def serve_balanced(config, sock: socket.socket) -> None:
    """Run ``config.workers`` workers on ``sock`` (listening), connections dealt out through a board."""
    board = Board.create(max(config.workers, 1))
    os.environ[BOARD_VARIABLE] = str(board.path)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            BalancedWorkers(config, [sock]).run()
    finally:
        os.environ.pop(BOARD_VARIABLE, None)
        board.remove()
