"""A server process's threads and catalog connections: a few threads run the searches, a thread that ends takes
its connection with it, and the start-up warm-up neither creates nor breaks a catalog."""

from __future__ import annotations

import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
from fastapi.testclient import TestClient

from catalog import Catalog, SearchRequest, SessionMeta, TrackInput
from tests.support.liveserver import running
from transcripts import Segment, Transcript
from uscm_archive.settings import Settings
from web import worker_start
from web.app import create_app
from web.catalogs import CatalogPool

WORDS = [
    *(
        "harbor",
        "granite",
        "meadow",
        "lantern",
        "orchard",
        "violin",
        "glacier",
        "pepper",
        "saddle",
        "thimble",
    ),
    *("walnut", "anchor", "bishop", "canyon", "dolphin", "falcon", "gravel", "hammock", "igloo", "jasmine"),
    *("kettle", "lobster", "marble", "nectar", "oyster", "parsley"),
]


def archive(data_dir) -> Settings:
    settings = Settings(data_dir=data_dir, secret_key="k" * 40)
    catalog = Catalog.open(settings.catalog_path)
    try:
        for number, word in enumerate(WORDS):
            segments = tuple(Segment(float(i), i + 3.0, f"the {word} said line {i}") for i in range(40))
            meta = SessionMeta(title=f"Session {number}", date="2024-01-17")
            catalog.save_session(f"s{number}", meta, [TrackInput(Transcript(segments=segments))])
    finally:
        catalog.close()
    return settings


def open_files_of(path) -> int:
    """How many descriptors this process holds on ``path`` (one per open connection)."""
    wanted = os.path.realpath(path)
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            count += os.path.realpath(f"/proc/self/fd/{fd}") == wanted
    return count


def test_a_catalog_whose_thread_ended_is_closed(data_dir):
    settings = archive(data_dir)
    pool = CatalogPool(settings.catalog_path)
    before = open_files_of(settings.catalog_path)
    found = []

    def in_a_new_thread(word: str) -> None:  # threads one after the other, as a thread pool lets idle ones go
        thread = threading.Thread(target=lambda: found.append(pool.get().search(SearchRequest(word)).total))
        thread.start()
        thread.join()

    try:
        in_a_new_thread(WORDS[0])
        one_thread = open_files_of(settings.catalog_path)
        assert one_thread > before
        for word in WORDS[1:12]:
            in_a_new_thread(word)
        assert found == [40] * 12
        assert pool.open_count() == 1  # the last thread's; the eleven before it were closed
        # SQLite keeps one closed connection's descriptor while another connection of the process holds the
        # file (its POSIX locks are per process): one more at most, however many threads came and went
        assert open_files_of(settings.catalog_path) <= one_thread + 1
    finally:
        pool.close_all()
    assert open_files_of(settings.catalog_path) == before


def test_many_clients_at_once_are_served_by_a_few_threads(data_dir, monkeypatch):
    monkeypatch.setattr(worker_start, "THREADS", 3)  # the setting, lowered to see it hold under 32 clients
    settings = archive(data_dir)
    app = create_app(settings)
    with running(app) as base_url:

        def search(word: str) -> int:
            response = httpx.get(f"{base_url}/api/search", params={"q": word}, timeout=30)
            assert response.status_code == 200
            return response.json()["total"]

        def transcript(number: int) -> int:
            response = httpx.get(f"{base_url}/api/sessions/{number}/transcript", timeout=30)
            assert response.status_code == 200
            return len(response.json()["segments"])

        with ThreadPoolExecutor(32) as clients:
            totals = list(clients.map(search, WORDS * 2))
            lengths = list(clients.map(transcript, list(range(1, len(WORDS) + 1)) * 2))
        assert totals == [40] * len(WORDS) * 2 and lengths == [40] * len(WORDS) * 2
        # every answer came, and no more connections (each with its page cache) than the pool's threads
        assert 1 <= app.state.catalogs.open_count() <= 3


def test_a_missing_catalog_is_not_created_by_the_start(data_dir):
    # the warm-up alone (a node's own job worker, off here, opens the catalog it polls: that one may create it)
    settings = Settings(data_dir=data_dir, secret_key="k" * 40, worker=False)
    with TestClient(create_app(settings)) as client:
        assert not settings.catalog_path.exists()
        assert client.get("/healthz").status_code < 500


def test_a_broken_catalog_still_lets_the_server_start_and_says_so(data_dir):
    settings = Settings(data_dir=data_dir, secret_key="k" * 40)
    settings.catalog_path.parent.mkdir(parents=True, exist_ok=True)
    settings.catalog_path.write_bytes(b"this is not a SQLite file" * 100)
    before = settings.catalog_path.read_bytes()
    with TestClient(create_app(settings)) as client:
        response = client.get("/api/search", params={"q": "lighthouse"})
        assert response.status_code == 503
        assert response.json()["error"]["message"]
        assert "Traceback" not in response.text
    assert settings.catalog_path.read_bytes() == before


def test_searches_at_once_take_their_turn_on_one_connection(data_dir, monkeypatch):
    # 32 clients searching at once: a process runs its searches one after another (first come, first served),
    # so it holds one catalog connection for them (one page cache) however many threads its pages may use
    monkeypatch.setattr(worker_start, "THREADS", 8)
    # a search past SLOW_AFTER of CPU lets a second one start beside it, on a second connection (by design:
    # tests/test_search_turns.py); on a slow machine one of these may, so that is kept out of what this test asks
    monkeypatch.setattr(worker_start, "SLOW_AFTER", 60.0)
    settings = archive(data_dir)
    app = create_app(settings)
    with running(app) as base_url:

        def search(word: str) -> int:
            response = httpx.get(f"{base_url}/api/search", params={"q": word, "kind": "speech"}, timeout=30)
            assert response.status_code == 200
            return response.json()["total"]

        with ThreadPoolExecutor(32) as clients:
            totals = list(clients.map(search, WORDS * 3))
        assert totals == [40] * len(WORDS) * 3
        # the warm-up's catalog is closed once it is done: what stays open is the searches' one
        assert app.state.catalogs.open_count() == worker_start.SEARCH_THREADS == 1
