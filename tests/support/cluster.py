"""Real ``uscm-archive serve`` nodes and ``uscm-archive worker`` processes on 127.0.0.1, sharing one catalog.

A ``CatalogTarget`` says where the catalog is: the environment every process gets (``USCM_ARCHIVE_DATA``, and
for another backend its catalog setting) and how a test opens it to look. ``sqlite_target`` is the data folder's
own catalog.db; a PostgreSQL target (primary, standbys) gives the same processes another environment, so that the
scale-out tests run unchanged on it.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from catalog import Catalog

SECRET = "scale-out-test-signing-key-shared-by-every-node"


@dataclass(frozen=True)
class CatalogTarget:
    name: str
    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)  # what every process is given besides the data folder
    opener: Callable[[], Catalog] | None = None

    def environment(self, **extra: str) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("USCM_ARCHIVE_")}
        return {
            **base,
            "USCM_ARCHIVE_DATA": str(self.data_dir),
            "USCM_ARCHIVE_SECRET_KEY": SECRET,
            "USCM_ARCHIVE_ALLOW_PRIVATE_URLS": "1",  # the test's "internet" is a server on 127.0.0.1
            **self.env,
            **extra,
        }

    def open(self) -> Catalog:
        return self.opener() if self.opener else Catalog.open(self.data_dir / "catalog.db")


def sqlite_target(data_dir: Path) -> CatalogTarget:
    data_dir.mkdir(parents=True, exist_ok=True)
    return CatalogTarget("sqlite", data_dir)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cli(
    target: CatalogTarget, *args: str, input: str | None = None, **env: str
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "uscm_archive.cli", *args],
        input=input,
        capture_output=True,
        text=True,
        env=target.environment(**env),
        timeout=120,
    )


class Process:
    """A command running in the background, its stderr kept in a file (read it with ``log()``)."""

    def __init__(self, target: CatalogTarget, name: str, args: list[str], log_dir: Path, **env: str):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "uscm_archive.cli", *args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=target.environment(**env),
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self, timeout: float = 30) -> int | None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        self._log.close()
        return self.popen.returncode


class Node(Process):
    """``uscm-archive serve --no-worker`` on a free port (``worker=True``: with its own worker thread)."""

    def __init__(
        self,
        target: CatalogTarget,
        name: str,
        log_dir: Path,
        *extra: str,
        worker: bool = False,
        env: dict[str, str] | None = None,  # this node's own settings (e.g. a replica to read from)
    ):
        self.port = free_port()
        args = ["serve", "--port", str(self.port), *([] if worker else ["--no-worker"]), *extra]
        super().__init__(target, name, args, log_dir, **(env or {}))
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, seconds: float = 60) -> Node:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not self.alive():
                raise AssertionError(f"{self.name} exited: {self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.name} did not answer in {seconds} s: {self.log()}")

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)


class WorkerProcess(Process):
    """``uscm-archive worker`` with a short lease, so that a takeover happens within a test."""

    def __init__(self, target: CatalogTarget, name: str, log_dir: Path, lease: float = 6.0):
        super().__init__(target, name, ["worker", "--lease", str(lease), "--poll", "0.2"], log_dir)


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def sign_in(client: httpx.Client, name: str, password: str) -> httpx.Response:
    """One sign-in attempt through the form, as a browser makes it (the form's CSRF token first)."""
    form = client.get("/staff/signin")
    return client.post(
        "/staff/signin",
        data={"csrf": csrf_of(form.text), "name": name, "password": password, "next": "/staff"},
        follow_redirects=False,
    )


def add_user(target: CatalogTarget, name: str, password: str, *, admin: bool = False) -> None:
    args = ["user", "add", name, *(["--admin"] if admin else [])]
    done = cli(target, *args, input=f"{password}\n")
    assert done.returncode == 0, done.stderr


def wait_until(condition: Callable[[], object], seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {seconds} s")
