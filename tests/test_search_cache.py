"""The per-process cache of identical searches: answers again without searching, and never outlives a change to
the catalog, whichever connection or process makes it (the cache watches the file through a connection of its
own)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from fastapi.testclient import TestClient

from catalog import Catalog, SearchRequest, SessionMeta, TrackInput
from transcripts import Segment, Transcript
from uscm_archive.settings import Settings
from web.search_cache import SearchCache

WRITER = textwrap.dedent(
    """
    import sys
    from catalog import Catalog, SessionMeta, TrackInput
    from transcripts import Segment, Transcript
    catalog = Catalog.open(sys.argv[1])
    segment = Segment(0.0, 4.0, "the lighthouse keeper came from another process")
    catalog.save_session("elsewhere", SessionMeta(title="Elsewhere"), [TrackInput(Transcript(segments=(segment,)))])
    catalog.close()
    """
)


def add(catalog: Catalog, key: str, text: str) -> int:
    segments = (Segment(0.0, 4.0, text),)
    return catalog.save_session(key, SessionMeta(title=key), [TrackInput(Transcript(segments=segments))])


def cached_search(cache: SearchCache, catalog: Catalog, text: str):
    request = SearchRequest(text)
    return cache.get(request, lambda: catalog.search(request))


@pytest.fixture
def two_connections(data_dir):
    first = Catalog.open(data_dir / "catalog.db")
    second = Catalog.open(data_dir / "catalog.db")
    add(first, "harbor", "the lighthouse on the harbor")
    yield first, second
    first.close()
    second.close()


def test_an_identical_request_is_answered_from_the_cache(two_connections):
    first, _ = two_connections
    cache = SearchCache(first.path)
    one = cached_search(cache, first, "lighthouse")
    again = cached_search(cache, first, "lighthouse")
    assert again is one and one.total == 1 and (cache.hits, cache.misses) == (1, 1)
    assert cached_search(cache, first, "harbor").total == 1 and cache.misses == 2  # another request: searched


def test_a_write_through_another_connection_drops_the_cache(two_connections):
    first, second = two_connections
    cache = SearchCache(first.path)
    assert cached_search(cache, first, "lighthouse").total == 1
    add(second, "coast", "a second lighthouse up the coast")
    assert cached_search(cache, first, "lighthouse").total == 2


def test_a_write_through_the_same_connection_drops_the_cache(two_connections):
    first, _ = two_connections
    cache = SearchCache(first.path)
    found = cached_search(cache, first, "lighthouse")
    first.set_status(found.hits[0].session_id, "draft")
    assert cached_search(cache, first, "lighthouse").total == 0


def test_a_write_in_another_process_drops_the_cache(two_connections, data_dir):
    first, _ = two_connections
    cache = SearchCache(first.path)
    assert cached_search(cache, first, "keeper").total == 0
    subprocess.run([sys.executable, "-c", WRITER, str(data_dir / "catalog.db")], check=True, timeout=60)
    assert [h.session_title for h in cached_search(cache, first, "keeper").hits] == ["Elsewhere"]


def test_a_change_seen_by_one_thread_drops_what_every_thread_cached(two_connections, data_dir):
    first, second = two_connections
    cache = SearchCache(first.path)
    assert cached_search(cache, first, "lighthouse").total == 1  # cached through the first connection
    third = Catalog.open(data_dir / "catalog.db")
    try:
        add(third, "bay", "lighthouse by the bay")
        assert cached_search(cache, second, "lighthouse").total == 2  # the second connection sees the change
        assert cached_search(cache, first, "lighthouse").total == 2
    finally:
        third.close()


def test_the_cache_keeps_only_its_size(two_connections):
    first, _ = two_connections
    cache = SearchCache(first.path, size=2)
    for word in ("lighthouse", "harbor", "the"):
        cached_search(cache, first, word)
    assert len(cache) == 2
    cached_search(cache, first, "lighthouse")  # the oldest was dropped: searched again
    assert cache.misses == 4


def test_the_api_answers_a_repeated_search_with_what_changed_since(data_dir):
    settings = Settings(data_dir=data_dir, secret_key="k" * 40)
    writer = Catalog.open(settings.catalog_path)
    try:
        add(writer, "harbor", "the lighthouse on the harbor")
        from web.app import create_app

        with TestClient(create_app(settings)) as client:
            first = client.get("/api/search", params={"q": "lighthouse"})
            assert first.status_code == 200 and first.json()["total"] == 1
            assert first.headers["content-type"] == "application/json"
            assert client.get("/api/search", params={"q": "lighthouse"}).json() == first.json()
            add(writer, "coast", "a lighthouse up the coast")
            assert client.get("/api/search", params={"q": "lighthouse"}).json()["total"] == 2
            bad = client.get("/api/search", params={"q": "lighthouse", "since": "2024-13-01"})
            assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_parameter"
    finally:
        writer.close()


def test_a_fresh_answer_is_searched_again_and_kept(two_connections):
    first, _ = two_connections
    cache = SearchCache(first.path)
    request = SearchRequest("lighthouse")
    one = cache.get(request, lambda: first.search(request))
    fresh = cache.get(request, lambda: first.search(request), fresh=True)
    assert fresh is not one and fresh == one and cache.misses == 2
    assert cache.get(request, lambda: first.search(request)) is fresh


def test_a_change_made_while_the_cache_was_closed_is_not_missed(two_connections):
    first, second = two_connections
    cache = SearchCache(first.path)
    assert cached_search(cache, first, "lighthouse").total == 1
    cache.close()  # as when the app stops and starts again in the same process
    add(second, "coast", "a second lighthouse up the coast")
    assert cached_search(cache, first, "lighthouse").total == 2
