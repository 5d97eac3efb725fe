"""Thousands of random strings through search: it never raises, and what it returns is always well formed."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog import Catalog, SearchRequest, SessionMeta, TrackInput
from catalog.search.query import parse
from tests.conftest import BACKENDS, fresh_pg
from transcripts import Segment, Transcript
from web.published import published

LINES = (
    'The mayor said "housing first" and C++ 9/11 COVID-19 don\'t mayor:housing (a OR b) c',
    "<script>alert(1)</script> & AND OR NOT NEAR - * ^ + : ; é café naïve 東京 مرحبا",
    "We need to talk about the budget, the police, and the parks.",
)
# Text built from the pieces that break naive FTS5 queries, plus anything at all.
SYNTAX = st.sampled_from(
    ['"', "-", "*", "OR", "AND", "NOT", "NEAR", "(", ")", ":", "^", "+", "'", "\n", " ", "\\"]
)
WORDS = st.sampled_from(["mayor", "housing", "the", "c", "9", "11", "café", "東京", "budget", "parks"])
QUERIES = st.one_of(
    st.text(max_size=60),
    st.lists(st.one_of(SYNTAX, WORDS, st.text(max_size=4)), max_size=14).map("".join),
)
TAGS = re.compile(r"</?mark>")


@pytest.fixture(scope="module", params=BACKENDS)
def small_archive(request, tmp_path_factory):
    """The fuzzed archive on each backend (issue 16: never a syntax error on PostgreSQL either)."""
    target = (
        fresh_pg(request) if request.param == "postgresql" else tmp_path_factory.mktemp("prop") / "catalog.db"
    )
    catalog = Catalog.open(target)
    segments = tuple(Segment(i * 5.0, i * 5.0 + 5, text) for i, text in enumerate(LINES))
    catalog.save_session(
        "k", SessionMeta(title="Fuzz", date="2024-01-01"), [TrackInput(Transcript(segments))]
    )
    yield catalog
    catalog.close()


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=QUERIES, exact=st.booleans())
def test_any_string_searches_without_error(small_archive, query, exact):
    results = published(small_archive.search(SearchRequest(query, exact=exact)))
    assert results.total >= len(results.hits) and results.total <= len(LINES)
    assert (results.message is not None) == (parse(query).fts is None)
    for hit in results.hits:
        assert "<" not in TAGS.sub("", hit.snippet)  # only our own <mark> tags are markup
        assert hit.snippet.count("<mark>") == hit.snippet.count("</mark>")
        assert 0 <= hit.start <= hit.end


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=QUERIES)
def test_session_search_takes_any_string(small_archive, query):
    assert isinstance(small_archive.search_sessions(query), list)
