"""Shared fixtures: real SQLite files in temporary folders, a real PostgreSQL (one server per session, a fresh
database per test), the real-world corpus (skipped when absent).

A test module (or test) marked ``pytest.mark.backends`` runs each test that uses ``catalog`` (or
``catalog_target``) twice, on SQLite and on PostgreSQL (``backend`` is the parameter); unmarked tests use SQLite.
PostgreSQL tests skip, saying why, only where no PostgreSQL server binary is installed (``tests/pg_server.py``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def corpus_path() -> Path:
    """``../shared/corpus`` beside the checkout, or ``USCM_ARCHIVE_CORPUS``."""
    return Path(os.environ.get("USCM_ARCHIVE_CORPUS", ROOT.parent / "shared" / "corpus"))


@pytest.fixture(scope="session")
def corpus() -> Path:
    path = corpus_path()
    if not (path / "captions").is_dir():
        pytest.skip(f"real-world corpus not found at {path}")
    return path


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


BACKENDS = ("sqlite", "postgresql")
# Full-text search on PostgreSQL is built separately (issue 16's search part): until it is, a test marked
# ``search`` runs on SQLite only and says so on PostgreSQL. The search's own change turns this on.
SEARCH_ON_POSTGRESQL = True


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("backends"):
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture(scope="session")
def pg_server():
    """One PostgreSQL server for the whole test session, on 127.0.0.1 (stopped at the end)."""
    from tests.pg_server import PgServer, server_binaries

    if server_binaries() is None:
        pytest.skip("PostgreSQL is not installed (no postgres/initdb/pg_ctl in /usr/lib/postgresql/*/bin)")
    folder = Path(
        tempfile.mkdtemp(prefix="uscm-pg-")
    )  # outside pytest's tmp: the postgres user must reach it
    server = PgServer.start(folder)
    yield server
    from catalog import close_pools

    close_pools()
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server) -> str:
    """The URL of a fresh, empty PostgreSQL database for this test."""
    return pg_server.fresh_database()


@pytest.fixture
def backend(request) -> str:
    """The catalog backend a test runs on: ``sqlite`` unless the test is marked ``backends``."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def catalog_target(backend: str, data_dir: Path, request) -> str | Path:
    """What ``Catalog.open`` is given: the data folder's catalog.db, or a fresh PostgreSQL database's URL."""
    if backend == "postgresql":
        if request.node.get_closest_marker("search") and not SEARCH_ON_POSTGRESQL:
            pytest.skip("full-text search on PostgreSQL is not built yet (issue 16's search part)")
        return request.getfixturevalue("pg_url")
    return data_dir / "catalog.db"


@pytest.fixture
def catalog(catalog_target):
    from catalog import Catalog

    cat = Catalog.open(catalog_target)
    yield cat
    cat.close()
