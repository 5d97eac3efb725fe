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
    if not metafunc.definition.get_closest_marker("backends"):
        return
    if "module_backend" in metafunc.fixturenames:
        metafunc.parametrize("module_backend", BACKENDS, indirect=True, scope="module")
    elif "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture(autouse=True)
def _search_on_postgresql(request):
    """A test marked ``search`` skips on PostgreSQL until its full-text search is built (and says so)."""
    callspec = getattr(request.node, "callspec", None)
    params = callspec.params if callspec is not None else {}
    on_pg = "postgresql" in (params.get("backend"), params.get("module_backend"))
    if on_pg and request.node.get_closest_marker("search") and not SEARCH_ON_POSTGRESQL:
        pytest.skip("full-text search on PostgreSQL is not built yet (issue 16's search part)")


@pytest.fixture(scope="session")
def pg_server():
    """One PostgreSQL server for the whole test session, on 127.0.0.1 (stopped at the end)."""
    from tests.pg_server import PgServer, server_binaries

    if server_binaries() is None:
        pytest.skip("PostgreSQL is not installed (no postgres/initdb/pg_ctl in /usr/lib/postgresql/*/bin)")
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install -e '.[postgresql]')")
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
    """The URL of a fresh, empty PostgreSQL database for this test, dropped after it (its connections ended with
    it: a whole run's idle pooled connections would otherwise pass the server's max_connections)."""
    url = pg_server.fresh_database()
    yield url
    pg_server.drop_database(url)


@pytest.fixture
def backend(request) -> str:
    """The catalog backend a test runs on: ``sqlite`` unless the test is marked ``backends``."""
    return getattr(request, "param", "sqlite")


@pytest.fixture(scope="module")
def module_backend(request) -> str:
    """The backend of a module's shared fixtures (a sample archive built once per module)."""
    return getattr(request, "param", "sqlite")


def fresh_pg(request) -> str:
    """A fresh PostgreSQL database's URL for a fixture, dropped when the fixture is torn down."""
    server = request.getfixturevalue("pg_server")
    url = server.fresh_database()
    request.addfinalizer(lambda: server.drop_database(url))
    return url


@pytest.fixture(scope="module")
def module_catalog_url(module_backend: str, request) -> str:
    """A PostgreSQL database for a module's shared fixtures, or ``""`` on SQLite (the data folder's catalog.db)."""
    if module_backend != "postgresql":
        return ""
    return fresh_pg(request)


@pytest.fixture
def catalog_target(backend: str, data_dir: Path, request) -> str | Path:
    """What ``Catalog.open`` is given: the data folder's catalog.db, or a fresh PostgreSQL database's URL."""
    if backend == "postgresql":
        return request.getfixturevalue("pg_url")
    return data_dir / "catalog.db"


@pytest.fixture
def catalog_url(backend: str, request) -> str:
    """``""`` on SQLite (the data folder's catalog.db), a fresh PostgreSQL database's URL on PostgreSQL: what
    ``Settings.catalog_url`` takes."""
    return request.getfixturevalue("pg_url") if backend == "postgresql" else ""


@pytest.fixture
def catalog_in_env(monkeypatch, catalog_url: str) -> str:
    """The test's catalog as the command line and the settings find it: ``USCM_ARCHIVE_CATALOG`` set to the
    PostgreSQL URL on PostgreSQL (unset on SQLite). For modules whose commands and helpers take a data folder."""
    if catalog_url:
        monkeypatch.setenv("USCM_ARCHIVE_CATALOG", catalog_url)
    else:
        monkeypatch.delenv("USCM_ARCHIVE_CATALOG", raising=False)
    return catalog_url


@pytest.fixture
def catalog(catalog_target):
    from catalog import Catalog

    cat = Catalog.open(catalog_target)
    yield cat
    cat.close()
