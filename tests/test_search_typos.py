"""A misspelt word finds what the searcher meant, and every way of searching says what it searched instead."""

from __future__ import annotations

import html
import json
import re

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from catalog import Catalog, SearchRequest, SessionMeta, SpeakerCredit, TrackInput
from transcripts import Segment, Transcript
from uscm_archive.cli import cli
from uscm_archive.settings import Settings
from web.app import create_app
from web.published import published_hit

# every test here runs on both catalog backends (tests/conftest.py: BACKENDS)
pytestmark = [pytest.mark.backends, pytest.mark.search]

LINES = (
    "The federal government must be a partner in public housing.",
    "We opened two new shelter sites this winter.",
    "Our infrastructure bill will achieve a lot for transit.",
    "Thank you all for coming to the forum.",
)


@pytest.fixture
def archive(catalog: Catalog) -> Catalog:
    segments = tuple(Segment(10.0 * n, 10.0 * n + 8, text) for n, text in enumerate(LINES))
    meta = SessionMeta(
        title="Reno Housing Forum", date="2024-05-01", speakers=(SpeakerCredit("Mayor Hillary Schieve"),)
    )
    catalog.save_session("forum", meta, [TrackInput(Transcript(segments=segments))])
    return catalog


def search(catalog: Catalog, query: str, **options):
    return catalog.search(SearchRequest(query, **options))


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("goverment", "government"),  # a letter left out
        ("pulbic housing", "public housing"),  # two letters swapped: one edit
        ("goverrnment", "government"),  # a letter doubled
        ("infarstructre", "infrastructure"),  # 13 letters: two edits allowed
    ],
)
def test_a_misspelt_word_is_read_as_the_archive_word(archive, typed, meant):
    results = search(archive, typed)
    assert results.total == 1 and results.corrected_query == meant and results.query == typed
    assert "<mark>" in published_hit(results.hits[0]).snippet


@pytest.mark.parametrize(
    "typed",
    [
        "shelters",  # the archive says "shelter": search already finds it, so it is not a typo
        "Schieve",  # a speaker's name, one edit from "achieve"
        "Reno",  # a word of a session's title
        "homs",  # shorter than 5 letters: never corrected
        "govrnmnt",  # two edits in 8 letters: too far
    ],
)
def test_words_the_archive_holds_and_short_or_far_words_are_not_corrected(archive, typed):
    assert search(archive, typed).corrected_query is None


def test_a_held_word_finds_its_forms_uncorrected(archive):
    results = search(archive, "shelters")
    assert results.total == 1 and "shelter sites" in results.hits[0].text


def test_exact_and_quoted_searches_are_corrected_only_when_they_find_nothing(archive):
    for request in (SearchRequest('"federal goverment"'), SearchRequest("goverment", exact=True)):
        results = archive.search(request)
        assert results.total == 1 and results.corrected_query is not None, request
    kept = search(archive, '"public housing" goverment', exact=True)
    assert kept.corrected_query == '"public housing" government' and kept.total == 1


def test_correction_can_be_turned_off(archive):
    results = search(archive, "goverment", correct=False)
    assert results.total == 0 and results.corrected_query is None


def test_the_vocabulary_follows_ingest_and_staff_corrections(archive):
    assert search(archive, "resilence").corrected_query is None
    segments = (Segment(0.0, 5.0, "Climate resilience starts at city hall."),)
    archive.save_session("climate", SessionMeta(title="Climate"), [TrackInput(Transcript(segments=segments))])
    assert search(archive, "resilence").corrected_query == "resilience"
    forum = archive.find_session_id("forum")
    last = archive.segments(forum)[-1]
    archive.staff.segments.correct(last.id, "Thank you all for riding microtransit.", "ann")
    assert search(archive, "mircotransit").corrected_query == "microtransit"


def url_of(catalog: Catalog) -> str:
    """The PostgreSQL URL the catalog was opened on, or "" for the data folder's SQLite file."""
    return catalog.target if isinstance(catalog.target, str) else ""


def where(catalog: Catalog, data_dir) -> list[str]:
    """The command line's global options naming this catalog (``--catalog URL`` on PostgreSQL)."""
    return ["--data", str(data_dir), *(["--catalog", url_of(catalog)] if url_of(catalog) else [])]


def test_the_api_and_the_command_line_say_what_was_searched(archive, data_dir):
    with TestClient(create_app(Settings(data_dir=data_dir, catalog_url=url_of(archive)))) as client:
        body = client.get("/api/search", params={"q": "goverment"}).json()
        assert body["query"] == "goverment" and body["corrected_query"] == "government" and body["total"] == 1
        plain = client.get("/api/search", params={"q": "goverment", "correct": "false"}).json()
        assert plain["corrected_query"] is None and plain["total"] == 0
    run = CliRunner().invoke(cli, [*where(archive, data_dir), "search", "goverment"])
    assert run.exit_code == 0
    assert run.output.splitlines()[0] == (
        "Showing results for 'government'; search instead for 'goverment' with --no-correct"
    )
    as_json = json.loads(
        CliRunner().invoke(cli, [*where(archive, data_dir), "search", "goverment", "--json"]).output
    )
    assert as_json["corrected_query"] == "government" and as_json["total"] == 1
    off = CliRunner().invoke(cli, [*where(archive, data_dir), "search", "goverment", "--no-correct"])
    assert "Showing results for" not in off.output and "No results" in off.output


def test_the_search_page_offers_the_original_words(archive, data_dir):
    with TestClient(create_app(Settings(data_dir=data_dir, catalog_url=url_of(archive)))) as client:
        page = client.get("/search", params={"q": "goverment"}).text
        note = re.search(r'<p class="note" id="corrected-query">(.*?)</p>', page, re.S)
        assert note, page
        text = re.sub(r"<[^>]+>", "", note.group(1))
        assert text == "Showing results for government; search instead for goverment"
        link = html.unescape(re.search(r'href="([^"]+)"', note.group(1)).group(1))
        assert "1 moment found" in page
        assert "q=government" in page  # the moment's link marks the word found there, not the typo
        original = client.get(link).text
        assert 'id="corrected-query"' not in original and "Nothing was found for “goverment”" in original


def test_a_lone_misspelt_word_is_read_as_the_most_used_of_its_nearest_words(catalog: Catalog):
    """``popluar`` is one edit from both: the archive says "popular" three times and "poplar" once. Searching
    both would rank the rarer word first (its bm25 weight is higher), though the searcher most likely meant the
    other."""
    lines = ("A poplar tree.", "A popular park.", "The popular vote.", "Popular demand.")
    segments = tuple(Segment(10.0 * n, 10.0 * n + 8, text) for n, text in enumerate(lines))
    catalog.save_session(
        "park", SessionMeta(title="Parks", date="2024-06-01"), [TrackInput(Transcript(segments=segments))]
    )
    results = search(catalog, "popluar")
    assert results.corrected_query == "popular" and results.total == 3
    assert all("popular" in hit.text.lower() for hit in results.hits)
    assert search(catalog, "poplar").total == 1  # the other word, typed, is found as ever
