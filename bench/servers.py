"""The HTTP servers a run measures, each its own subprocess on a free 127.0.0.1 port: our app and Datasette.

Datasette lives in its own virtualenv (``bench/work/venv-datasette``, made on first use) so that the project's
environment stays as its users get it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

WORK = Path(__file__).resolve().parent / "work"
DATASETTE_VENV = WORK / "venv-datasette"
DATASETTE_VERSION = "datasette>=0.64,<1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A server subprocess; ``url`` is its base URL. Use as a context manager: it is always stopped."""

    def __init__(self, name: str, command: list[str], port: int, ready_path: str, log: Path):
        self.name, self.command, self.port, self.ready_path, self.log = name, command, port, ready_path, log
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT)
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start; see {self.log}")
            try:
                if httpx.get(self.url + self.ready_path, timeout=30).status_code < 500:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"{self.name} did not answer within {timeout:.0f} s; see {self.log}")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    @property
    def pid(self) -> int:
        return self.process.pid


def app_workers() -> int:
    """As docs/benchmarks.md tells production to serve: one worker process per core."""
    return os.cpu_count() or 1


def app_server(data_dir: Path, log: Path, workers: int | None = None) -> Server:
    """Our site as production runs it: ``uscm-archive serve --workers <cores>`` (uvicorn, access log off)."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uscm_archive.cli",
        "--data",
        str(data_dir),
        "serve",
        "--port",
        str(port),
    ]
    command += ["--workers", str(workers or app_workers())]
    return Server("uscm-archive serve", command, port, "/healthz", log)


def datasette_server(db_path: Path, log: Path) -> Server:
    """Datasette serving the same catalog file, with generous time limits so every query finishes.

    Datasette finds an FTS table by itself only when its ``content=`` is written with double quotes; ours says
    ``content='segments'``, so the table is configured in metadata, as its documentation shows."""
    port = free_port()
    metadata = log.with_name("datasette-metadata.json")
    tables = {"segments": {"fts_table": "segments_fts", "fts_pk": "id"}}
    metadata.parent.mkdir(parents=True, exist_ok=True)
    metadata.write_text(json.dumps({"databases": {db_path.stem: {"tables": tables}}}))
    command = [
        str(datasette_bin()),
        "serve",
        str(db_path),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--setting",
        "sql_time_limit_ms",
        "60000",
        "--setting",
        "suggest_facets",
        "off",
        "--metadata",
        str(metadata),
    ]
    return Server("datasette", command, port, "/-/versions.json", log)


def datasette_bin() -> Path:
    """The ``datasette`` command of the bench's own virtualenv, installed there from PyPI on first use."""
    binary = DATASETTE_VENV / "bin" / "datasette"
    if binary.exists():
        return binary
    print(f"installing Datasette into {DATASETTE_VENV} (once)", flush=True)
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    subprocess.run([sys.executable, "-m", "venv", str(DATASETTE_VENV)], check=True, env=env)
    pip = [str(DATASETTE_VENV / "bin" / "python"), "-m", "pip", "install", "-q", DATASETTE_VERSION]
    subprocess.run(pip, check=True, env=env)
    return binary


def datasette_version() -> str:
    result = subprocess.run([str(datasette_bin()), "--version"], capture_output=True, text=True)
    return result.stdout.strip()
