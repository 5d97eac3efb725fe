"""Search as a searcher uses it: the query syntax, hostile input, snippets, the moment of a hit, filters, pages."""

from __future__ import annotations

import pytest

from catalog import Catalog, CatalogError, NotFound, SearchRequest, SessionMeta, SpeakerCredit, TrackInput
from transcripts import Mark, Segment, Transcript
from web.published import published

# every test here runs on both catalog backends (tests/conftest.py: BACKENDS)
pytestmark = [pytest.mark.backends, pytest.mark.search]

WORDY = "We need to build housing for every family."


def word_marks(text: str, start: float, step: float) -> tuple[Mark, ...]:
    """One mark per word, as YouTube automatic captions give them: word i is spoken at start + i*step."""
    offsets = [i for i, c in enumerate(text) if c != " " and (i == 0 or text[i - 1] == " ")]
    return tuple(Mark(offset, start + n * step) for n, offset in enumerate(offsets))


@pytest.fixture
def archive(catalog: Catalog) -> dict[str, int]:
    summit = catalog.save_session(
        "summit",
        SessionMeta(
            title="Housing Summit",
            date="2024-01-18",
            event="92nd Winter Meeting",
            speakers=(SpeakerCredit("Karen Bass", "Mayor of Los Angeles"),),
            topics=("Housing",),
        ),
        [
            TrackInput(
                Transcript(
                    segments=(
                        Segment(100.0, 104.0, WORDY, "Karen Bass", word_marks(WORDY, 100.0, 0.5)),
                        Segment(104.0, 110.0, "We needs to act on homelessness now.", "Karen Bass"),
                        Segment(110.0, 115.0, "Thank you, Mayor. Questions about housing?", "Moderator"),
                    )
                )
            )
        ],
    )
    forum = catalog.save_session(
        "forum",
        SessionMeta(
            title="Public Safety Forum",
            date="2021-06-10",
            event="Reimagining Public Safety Summit",
            speakers=(SpeakerCredit("Andy Ginther"),),
            topics=("Public Safety",),
        ),
        [
            TrackInput(
                Transcript(
                    segments=(
                        Segment(0.0, 8.0, "The C++ programmers met after 9/11 to discuss COVID-19 recovery."),
                        Segment(8.0, 15.0, "Don't forget the mayor: housing first, always."),
                        Segment(15.0, 20.0, "Police reform and community trust."),
                        Segment(
                            20.0, 26.0, "<script>alert('x')</script> was typed into the chat & read aloud."
                        ),
                        Segment(26.0, 30.0, "Housing vouchers help families."),
                    )
                )
            )
        ],
    )
    draft = catalog.save_session(
        "draft",
        SessionMeta(title="Unreleased", date="2025-01-01", status="draft"),
        [TrackInput(Transcript(segments=(Segment(0.0, 5.0, "Housing secrets in a draft."),)))],
    )
    return {"summit": summit, "forum": forum, "draft": draft}


def texts(catalog: Catalog, query: str, **options) -> list[str]:
    return [hit.text for hit in catalog.search(SearchRequest(query, **options)).hits]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"need to build"', {WORDY}),
        ("hous*", {WORDY, "Thank you, Mayor. Questions about housing?", "Don't forget the mayor: housing first, always.",
                   "Housing vouchers help families."}),
        ("police OR vouchers", {"Police reform and community trust.", "Housing vouchers help families."}),
        ("housing -vouchers -mayor", {WORDY}),
        ('housing -"housing first"', {WORDY, "Thank you, Mayor. Questions about housing?",
                                      "Housing vouchers help families."}),
        ("homeless", {"We needs to act on homelessness now."}),  # porter stemming: homelessness → homeless
    ],
)  # fmt: skip
def test_query_syntax(catalog, archive, query, expected):
    results = catalog.search(SearchRequest(query))
    assert {hit.text for hit in results.hits} == expected
    assert results.total == len(expected) and results.message is None


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ('"need to build', WORDY),  # unbalanced quote: the rest is the phrase
        ("AND", "Police reform and community trust."),
        ("C++", "The C++ programmers met after 9/11 to discuss COVID-19 recovery."),
        ("9/11", "The C++ programmers met after 9/11 to discuss COVID-19 recovery."),
        ("COVID-19", "The C++ programmers met after 9/11 to discuss COVID-19 recovery."),
        ("don't", "Don't forget the mayor: housing first, always."),
        ("mayor:housing", "Don't forget the mayor: housing first, always."),
        ("(police OR reform) community", "Police reform and community trust."),
        ("<script>", "<script>alert('x')</script> was typed into the chat & read aloud."),
        ("hello, world NOT police", "Police reform and community trust."),
    ],
)
def test_hostile_input_is_plain_text(catalog, archive, query, found):
    results = catalog.search(SearchRequest(query, include_drafts=False))
    if query.startswith("hello"):
        assert results.total == 0 and results.message is None  # hello/world are not said: no error either
        return
    assert found in [hit.text for hit in results.hits]


@pytest.mark.parametrize("query", ["", "   ", "?!...", '"', '""', "-", "* * *", "OR", "NOT", "((", "--"])
def test_nothing_to_search_for_gives_a_message_not_an_error(catalog, archive, query):
    results = catalog.search(SearchRequest(query))
    if query in ("OR", "NOT"):  # a lone operator word is just a word nobody said here
        assert results.total == 0
        return
    assert results.total == 0 and results.hits == () and results.message


def test_only_exclusions_asks_for_a_word(catalog, archive):
    results = catalog.search(SearchRequest("-housing -police"))
    assert results.total == 0 and "excluded" in results.message


def test_snippet_escapes_the_transcript_and_marks_only_matches(catalog, archive):
    (hit,) = published(catalog.search(SearchRequest("script"))).hits
    assert "<script" not in hit.snippet and "&lt;<mark>script</mark>&gt;" in hit.snippet
    assert "&amp; read aloud" in hit.snippet
    assert hit.snippet.count("<mark>") == hit.snippet.count("</mark>") == 2
    assert hit.text.startswith("<script>")  # the raw text stays raw; pages escape it when they show it


def test_hit_starts_at_the_spoken_word_not_the_segment(catalog, archive):
    (hit,) = published(catalog.search(SearchRequest('"housing for every"'))).hits
    assert hit.start == pytest.approx(102.0)  # "housing" is word 5 of the segment that starts at 100 s
    assert hit.url == f"/sessions/{archive['summit']}?t=102" and hit.end == 104.0
    (hit,) = catalog.search(SearchRequest("famil*", session_id=archive["summit"])).hits
    assert hit.start == pytest.approx(103.5)
    (hit,) = catalog.search(SearchRequest("homelessness")).hits
    assert hit.start == 104.0  # no marks beyond the segment's start
    assert hit.speaker == "Karen Bass" and hit.session_title == "Housing Summit"
    assert hit.session_date == "2024-01-18"


def test_exact_mode_matches_the_literal_words_only(catalog, archive):
    stemmed = catalog.search(SearchRequest('"we need to"'))
    assert {h.text for h in stemmed.hits} == {WORDY, "We needs to act on homelessness now."}
    exact = catalog.search(SearchRequest('"we need to"', exact=True))
    assert [h.text for h in exact.hits] == [WORDY] and exact.total == 1
    assert texts(catalog, "needs", exact=True) == ["We needs to act on homelessness now."]
    assert texts(catalog, "homeless", exact=True) == []
    assert set(texts(catalog, "HOUSING vouchers", exact=True)) == {"Housing vouchers help families."}
    assert texts(catalog, '"mayor housing"', exact=True) == ["Don't forget the mayor: housing first, always."]
    (hit,) = catalog.search(SearchRequest("every family", exact=True)).hits
    assert hit.start == pytest.approx(103.0)


def test_filters(catalog, archive):
    summit, forum = archive["summit"], archive["forum"]
    assert {h.session_id for h in catalog.search(SearchRequest("housing", session_id=forum)).hits} == {forum}
    assert set(texts(catalog, "housing", speaker="karen-bass")) == {WORDY}
    assert set(texts(catalog, "housing", speaker="Karen Bass")) == {WORDY}
    assert "Thank you, Mayor. Questions about housing?" in texts(catalog, "housing", speaker="moderator")
    # Andy Ginther is credited on the forum, whose transcript does not say who speaks: its words count.
    assert set(texts(catalog, "vouchers", speaker="andy-ginther")) == {"Housing vouchers help families."}
    assert texts(catalog, "homelessness", speaker="andy-ginther") == []
    assert {h.session_id for h in catalog.search(SearchRequest("housing", topic="housing")).hits} == {summit}
    assert {h.session_id for h in catalog.search(SearchRequest("housing", topic="Public Safety")).hits} == {
        forum
    }
    assert {
        h.session_id for h in catalog.search(SearchRequest("housing", event="92nd-winter-meeting")).hits
    } == {summit}
    assert {h.session_id for h in catalog.search(SearchRequest("housing", since="2022-01-01")).hits} == {
        summit
    }
    assert {h.session_id for h in catalog.search(SearchRequest("housing", until="2021-06-10")).hits} == {
        forum
    }
    assert catalog.search(SearchRequest("housing", since="2030-01-01")).total == 0
    unknown = catalog.search(SearchRequest("housing", speaker="nobody-at-all"))
    assert unknown.total == 0 and "nobody-at-all" in unknown.message


def test_bad_filters_are_clear_errors(catalog, archive):
    with pytest.raises(CatalogError, match="YYYY-MM-DD"):
        catalog.search(SearchRequest("housing", since="last week"))
    with pytest.raises(CatalogError, match="real date"):
        catalog.search(SearchRequest("housing", until="2024-02-31"))
    with pytest.raises(NotFound, match="999"):
        catalog.search(SearchRequest("housing", session_id=999))


def test_pages_cover_every_hit_once_in_rank_order(catalog, archive):
    everything = catalog.search(SearchRequest("housing OR mayor OR families", limit=100))
    assert everything.total == len(everything.hits) == 4
    paged = []
    for offset in range(0, 6, 2):  # the last page is empty
        page = catalog.search(SearchRequest("housing OR mayor OR families", limit=2, offset=offset))
        assert page.total == 4 and page.offset == offset
        paged += [h.segment_id for h in page.hits]
    assert paged == [h.segment_id for h in everything.hits]
    assert catalog.search(SearchRequest("housing", limit=0)).limit == 1
    assert catalog.search(SearchRequest("housing", limit=5000)).limit == 100
    clamped = catalog.search(SearchRequest("housing", offset=-7))
    assert clamped.offset == 0 and len(clamped.hits) == 4


def test_bm25_ranks_the_denser_match_first(catalog, archive):
    results = catalog.search(SearchRequest("housing families"))
    assert results.hits[0].text == "Housing vouchers help families."
    assert results.ordered_by == "relevance"


def test_session_metadata_search(catalog, archive):
    assert [s.title for s in catalog.search_sessions("safety")] == ["Public Safety Forum"]
    assert [s.title for s in catalog.search_sessions('"winter meeting"')] == ["Housing Summit"]
    assert catalog.search_sessions("unreleased") == []
    assert [s.title for s in catalog.search_sessions("unreleased", include_drafts=True)] == ["Unreleased"]
    assert catalog.search_sessions('"') == []


def test_a_speaker_across_many_sessions_is_ranked_in_one_pass(catalog):
    """Five sessions credit Ada, interleaved with sessions that do not: her matches are ranked together."""
    ids = {}
    for n in range(10):
        speaker = "Ada Lovelace" if n % 2 == 0 else "Someone Else"
        lines = [
            "budget talk here",
            "the budget budget budget matters" if n == 4 else "budget again",
            "parks",
        ]
        segments = tuple(Segment(i * 5.0, i * 5.0 + 5, text, speaker) for i, text in enumerate(lines))
        meta = SessionMeta(title=f"S{n}", date=f"2024-01-{n + 1:02d}", speakers=(SpeakerCredit(speaker),))
        ids[n] = catalog.save_session(f"s{n}", meta, [TrackInput(Transcript(segments=segments))])
    results = catalog.search(SearchRequest("budget", speaker="ada-lovelace", limit=3))
    assert results.total == 10 and results.ordered_by == "relevance"
    assert results.hits[0].text == "the budget budget budget matters" and results.hits[0].session_id == ids[4]
    every = catalog.search(SearchRequest("budget", speaker="ada-lovelace", limit=100)).hits
    assert {h.session_id for h in every} == {ids[n] for n in range(0, 10, 2)}
    paged = [h.segment_id for o in range(0, 10, 3) for h in catalog.search(
        SearchRequest("budget", speaker="ada-lovelace", limit=3, offset=o)).hits]  # fmt: skip
    assert paged == [h.segment_id for h in every]
    assert catalog.search(SearchRequest('"budget matters"', speaker="Ada Lovelace")).total == 1
