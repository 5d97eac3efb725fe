"""A real PostgreSQL server for the tests: one per pytest session on 127.0.0.1, a fresh database per test.

``PgServer.start(folder)`` runs ``initdb`` and ``pg_ctl start`` from Debian's ``/usr/lib/postgresql/<n>/bin`` (or
``USCM_ARCHIVE_PG_BIN``) on a free port, as the ``postgres`` user through ``runuser`` when the tests run as root
(PostgreSQL refuses to run as root). ``fresh_database()`` gives the URL of a new database holding an empty,
migrated catalog: ``CREATE DATABASE ... TEMPLATE`` of a template migrated once per session, ``STRATEGY FILE_COPY``
(measured against migrating each database, truncating or deleting from one shared database: docs/scale-out.md).
Every test database shares the template's data-version epoch (tokens compare within one database only).
``stop()`` stops the server. ``server_binaries()`` is ``None`` where no PostgreSQL is
installed: the fixtures then skip, saying so.

Run it by hand to get a server for a shell: ``python -m tests.pg_server /tmp/pg`` prints a URL and waits.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

TEMPLATE = "uscm_template"


def server_binaries() -> Path | None:
    """The folder holding ``postgres``, ``initdb`` and ``pg_ctl``, or ``None`` when PostgreSQL is not installed."""
    given = os.environ.get("USCM_ARCHIVE_PG_BIN")
    candidates = [Path(given)] if given else sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    if not given and shutil.which("pg_ctl") and shutil.which("initdb"):
        candidates.append(Path(shutil.which("pg_ctl")).parent)
    for folder in candidates:
        if all((folder / name).is_file() for name in ("postgres", "initdb", "pg_ctl")):
            return folder
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PgServer:
    folder: Path
    port: int
    bin: Path
    _names: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    @classmethod
    def start(cls, folder: Path) -> PgServer:
        binaries = server_binaries()
        if binaries is None:
            raise RuntimeError("no PostgreSQL server binary (postgres, initdb, pg_ctl) found")
        folder.mkdir(parents=True, exist_ok=True)
        server = cls(folder, free_port(), binaries)
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres", "postgres")
        server._run(
            "initdb", "-D", str(folder / "db"), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale"
        )
        options = (
            f"-p {server.port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=64MB"
        )
        server._run(
            "pg_ctl", "-D", str(folder / "db"), "-o", options, "-l", str(folder / "log"), "-w", "start"
        )
        server._admin(f"CREATE DATABASE {TEMPLATE}")
        server._migrate_template()
        return server

    def _migrate_template(self) -> None:
        from catalog import Catalog, close_pools

        Catalog.open(self.url(TEMPLATE)).close()
        close_pools()  # a template must have no connections when it is copied

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(statement)

    def fresh_database(self) -> str:
        """The URL of a new, empty database of its own."""
        name = f"t{os.getpid()}_{next(self._names)}"
        self._admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE} STRATEGY FILE_COPY")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.folder / "db"), "-m", "immediate", "-w", "stop")


if __name__ == "__main__":
    server = PgServer.start(Path(sys.argv[1]))
    print(server.fresh_database(), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


def table_rows(url: str) -> list[str]:
    """Every row of every table of the database at ``url``, as text, in a fixed order (the PostgreSQL side of a
    test's "nothing changed" dump; the data version's own row is left out: it counts attempts, not data)."""
    import psycopg

    lines: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
                "AND relkind IN ('r', 'p') AND NOT relispartition AND relname <> 'data_version' ORDER BY relname"
            )
        ]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}" t ORDER BY t::text'):
                lines.append(f"{table} {row!r}")
    return lines


def run_sql(target, statement: str) -> None:
    """Run one statement on a catalog behind its back (a test setting up a state no command makes): ``target`` is
    a SQLite file's path or a PostgreSQL URL."""
    if isinstance(target, str):
        import psycopg

        with psycopg.connect(target, autocommit=True) as conn:
            conn.execute(statement)
        return
    import sqlite3

    conn = sqlite3.connect(target)
    with conn:
        conn.execute(statement)
    conn.close()


def catalog_of(data_dir: Path) -> Path | str:
    """What ``Catalog.open`` takes for a test's data folder: ``USCM_ARCHIVE_CATALOG`` when the ``catalog_in_env``
    fixture set it (the test runs on PostgreSQL), else the folder's catalog.db."""
    return os.environ.get("USCM_ARCHIVE_CATALOG") or data_dir / "catalog.db"
