"""A PostgreSQL primary with a streaming standby on 127.0.0.1, for the read-replica and topology tests.

``StandbyPair.start(folder)`` starts a primary (``tests/pg_server.py``'s ``PgServer``, its catalog template
migrated), takes a base backup of it with ``pg_basebackup -R -X stream`` (which writes the standby's
``primary_conninfo`` and ``standby.signal``) and starts that copy as a hot standby on a port of its own, as the
``postgres`` user through ``runuser`` when the tests run as root. Every database made on the primary
(``fresh_database``) appears on the standby by replication: ``standby_url(url)`` is the same database there.
``stop_standby``/``start_standby`` stop and restart it; ``pause_replay``/``resume_replay`` hold its replay
(``pg_wal_replay_pause``) so that a test can make it lag on purpose; ``stop()`` stops both.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.pg_server import PgServer, free_port


@dataclass
class StandbyPair:
    folder: Path
    primary: PgServer
    standby_port: int

    @classmethod
    def start(cls) -> StandbyPair:
        folder = Path(
            tempfile.mkdtemp(prefix="uscm-pg-pair-")
        )  # outside pytest's tmp: postgres must reach it
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres", "postgres")
        primary = PgServer.start(folder / "primary")
        pair = cls(folder, primary, free_port())
        standby = folder / "standby"
        standby.mkdir()
        if os.geteuid() == 0:
            shutil.chown(standby, "postgres", "postgres")
        primary._run(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-D",
            str(standby / "db"),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
        )
        pair.start_standby()
        return pair

    @property
    def standby_folder(self) -> Path:
        return self.folder / "standby"

    def standby_url(self, primary_url: str) -> str:
        """The URL of ``primary_url``'s database on the standby."""
        return primary_url.replace(f":{self.primary.port}/", f":{self.standby_port}/")

    def fresh_database(self) -> str:
        """A new catalog database on the primary, once the standby has it too."""
        url = self.primary.fresh_database()
        self.wait_replayed()
        return url

    def start_standby(self, seconds: float = 60) -> None:
        options = (
            f"-p {self.standby_port} -k {self.standby_folder} -c listen_addresses=127.0.0.1 -c hot_standby=on "
            "-c fsync=off -c max_connections=200 -c shared_buffers=64MB"
        )
        db = str(self.standby_folder / "db")
        log = str(self.standby_folder / "log")
        self.primary._run("pg_ctl", "-D", db, "-o", options, "-l", log, "-w", "start")
        deadline = time.monotonic() + seconds
        while not self._standby_answers():
            if time.monotonic() > deadline:
                raise RuntimeError(f"the standby did not start: {(self.standby_folder / 'log').read_text()}")
            time.sleep(0.1)

    def stop_standby(self) -> None:
        self.primary._run("pg_ctl", "-D", str(self.standby_folder / "db"), "-m", "fast", "-w", "stop")

    def _standby_answers(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(self.standby_url(self.primary.admin_url), connect_timeout=2) as conn:
                return bool(conn.execute("SELECT pg_is_in_recovery()").fetchone()[0])
        except psycopg.Error:
            return False

    def _standby(self, statement: str):
        import psycopg

        with psycopg.connect(self.standby_url(self.primary.admin_url), autocommit=True) as conn:
            return conn.execute(statement).fetchone()

    def run_on(self, url: str, statement: str) -> None:
        """Run ``statement`` on the primary's database at ``url`` (e.g. ``VACUUM ANALYZE`` after a bulk load)."""
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(statement)

    def pause_replay(self) -> None:
        self._standby("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self._standby("SELECT pg_wal_replay_resume()")

    def wait_replayed(self, seconds: float = 30) -> None:
        """Until the standby has replayed everything the primary has written so far."""
        import psycopg

        with psycopg.connect(self.primary.admin_url, autocommit=True) as conn:
            target = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        deadline = time.monotonic() + seconds
        while True:
            replayed = self._standby(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")[0]
            if replayed:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the standby did not replay {target} in {seconds} s")
            time.sleep(0.05)

    def stop(self) -> None:
        for db in (self.standby_folder / "db", self.folder / "primary" / "db"):
            with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
                self.primary._run("pg_ctl", "-D", str(db), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)
