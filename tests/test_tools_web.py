"""The searchers' tools through the real server (uvicorn on 127.0.0.1) over real caption files: related moments,
term trends (page, CSV, JSON API) whose counts are the totals of the searches they link to, the four citation
formats, and any search as CSV, safe to open in a spreadsheet. Drafts and retracted sessions show in none."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from catalog import Catalog
from tests.conftest import BACKENDS, fresh_pg
from tests.support.liveserver import running
from tests.support.toolsarchive import FORMULA_LINES, build_tools_archive
from uscm_archive.settings import Settings
from web.app import create_app

TERMS = ("council", "monetary", '"public comment"', "inflation OR employment", "chem*")


@pytest.fixture(scope="module", params=BACKENDS)
def archive(request, tmp_path_factory, corpus):
    """The tools archive on each catalog backend (issue 16: related moments, trends and search as CSV alike)."""
    data_dir = tmp_path_factory.mktemp("tools") / "data"
    data_dir.mkdir()
    url = fresh_pg(request) if request.param == "postgresql" else ""
    return build_tools_archive(data_dir, corpus, url)


@pytest.fixture(scope="module")
def http(archive):
    app = create_app(Settings(data_dir=archive.data_dir, catalog_url=archive.catalog_url))
    with running(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def corpus():
    from tests.conftest import corpus_path

    path = corpus_path()
    if not (path / "captions").is_dir():
        pytest.skip(f"real-world corpus not found at {path}")
    return path


def segments_of(archive, session_id: int):
    catalog = Catalog.open(archive.catalog_path)
    try:
        return catalog.segments(session_id)
    finally:
        catalog.close()


def search_total(http, url: str) -> int:
    """The total that ``/api/search`` reports for the search a link (``/search?...``) names."""
    params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    return http.get("/api/search", params={**params, "limit": 1}).json()["total"]


def money_segment(archive):
    return next(s for s in segments_of(archive, archive.sessions["A Talk on Money"]) if "monetary" in s.text)


# -- related moments -----------------------------------------------------------------------------------------
def test_related_moments_are_other_public_sessions_each_linked_to_its_second(http, archive):
    segment = money_segment(archive)
    found = http.get(f"/api/segments/{segment.id}/related").json()
    results = found["results"]
    assert 1 <= len(results) <= 5 and found["terms"]
    public = set(archive.sessions.values())
    sessions = [r["session_id"] for r in results]
    assert len(set(sessions)) == len(sessions) and set(sessions) <= public - {segment.session_id}
    for result in results:
        said = {s.id: s for s in segments_of(archive, result["session_id"])}[result["segment_id"]]
        assert said.start <= result["start"] < said.end
        link = urlsplit(result["url"])
        assert link.path == f"/sessions/{result['session_id']}"
        assert abs(float(parse_qs(link.query)["t"][0]) - result["start"]) < 0.01
        assert "<mark>" in result["snippet"]  # a word of the query, said there
        page = http.get(result["url"]).text
        assert (
            f'id="seg-{said.id}"' in page
            and 'aria-current="time"' in page.split(f'id="seg-{said.id}"')[1][:900]
        )


def test_the_session_page_and_a_search_hit_show_what_was_said_elsewhere(http, archive):
    segment = money_segment(archive)
    page = http.get(f"/sessions/{segment.session_id}", params={"t": segment.start}).text
    elsewhere = page.split('id="elsewhere-heading"')[1].split("</section>")[0]
    api = http.get(f"/api/segments/{segment.id}/related").json()["results"]
    assert re.findall(r'class="related-moment" href="([^"]+)"', elsewhere) == [r["url"] for r in api]
    results = http.get("/search", params={"q": "monetary"}).text
    assert f'href="/segments/{segment.id}/related"' in results
    related_page = http.get(f"/segments/{segment.id}/related").text
    assert re.findall(r'class="related-moment" href="([^"]+)"', related_page) == [r["url"] for r in api]


def test_drafts_and_retracted_sessions_are_never_related_moments(http, archive):
    """Their text is the same as "A Talk on Money": were they not left out, they would be its best matches."""
    hidden = {archive.draft, archive.retracted}
    for segment in segments_of(archive, archive.sessions["A Talk on Money"]):
        found = http.get(f"/api/segments/{segment.id}/related").json()["results"]
        assert not {r["session_id"] for r in found} & hidden
    for session_id in hidden:
        segment = segments_of(archive, session_id)[0]
        assert http.get(f"/api/segments/{segment.id}/related").status_code == 404
        assert http.get(f"/segments/{segment.id}/related").status_code == 404


def test_related_moments_of_a_missing_segment_are_a_clear_404(http):
    for path in ("/api/segments/999999/related", "/api/segments/99999999999999999999/related"):
        response = http.get(path)
        assert response.status_code in (404, 422) and "error" in response.json()
    assert http.get("/segments/abc/related").status_code == 404
    assert http.get("/api/segments/1/related", params={"limit": 9}).status_code == 422


# -- trends --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("by", ["year", "month"])
def test_every_trend_count_is_the_total_of_the_search_it_links_to(http, by):
    trend = http.get("/api/trends", params={"q": list(TERMS), "by": by}).json()
    assert [s["term"] for s in trend["series"]] == list(TERMS)
    labels = [p["label"] for p in trend["periods"]]
    assert labels == sorted(labels) and len(labels[0]) == (4 if by == "year" else 7)
    checked = 0
    for series in trend["series"]:
        assert series["total"] == sum(p["count"] for p in series["points"]) > 0
        for point in series["points"]:
            if point["count"] or checked < 40:
                assert search_total(http, point["search_url"]) == point["count"], point
                checked += 1


def test_a_trend_page_has_a_chart_a_table_and_downloads_that_agree(http):
    params = {"q": list(TERMS[:3]), "event": "council"}
    page = http.get("/trends", params=params).text
    bars = re.findall(
        r'<a class="bar" href="([^"]+)" data-term="([^"]*)" data-period="([^"]+)" data-count="(\d+)"', page
    )
    api = http.get("/api/trends", params=params).json()
    expected = [
        (html.unescape(s["term"]), p["period"], p["count"])
        for p in api["series"][0]["points"]
        for s in api["series"]
    ]
    assert sorted((html.unescape(t), p, int(c)) for _, t, p, c in bars) == sorted(
        (s["term"], point["period"], point["count"]) for s in api["series"] for point in s["points"]
    )
    assert len(bars) == len(expected)
    for href, _, _, count in bars:
        assert "event=council" in html.unescape(href) and search_total(http, html.unescape(href)) == int(
            count
        )
    table = page.split("<table>")[1].split("</table>")[0]
    assert len(re.findall(r"<tr><th scope=\"row\">\d{4}</th>", table)) == len(api["periods"])
    rows = list(csv.DictReader(io.StringIO(http.get("/trends.csv", params=params).text)))
    assert [(r["term"], r["period"], int(r["count"])) for r in rows] == [
        (s["term"], p["period"], p["count"]) for s in api["series"] for p in s["points"]
    ]
    assert all(r["search_url"].startswith("http://127.0.0.1:") for r in rows)
    assert "/trends.csv?" in page and "/api/trends?" in page


def test_every_search_results_page_links_to_its_trend(http):
    page = http.get(
        "/search", params={"q": '"public comment"', "event": "council", "since": "2022-01-01"}
    ).text
    link = html.unescape(re.search(r'id="trend-link" href="([^"]+)"', page).group(1))
    assert parse_qs(urlsplit(link).query) == {"q": ['"public comment"'], "event": ["council"]}
    assert http.get(link).status_code == 200


def test_trend_mistakes_get_one_clear_answer(http):
    too_many = http.get("/api/trends", params={"q": ["a", "b", "c", "d", "e", "f"]})
    assert too_many.status_code == 422 and "q" in too_many.json()["error"]["message"]
    week = http.get("/api/trends", params={"q": "council", "by": "week"})
    assert week.status_code == 422 and "by" in week.json()["error"]["message"]
    page = http.get("/trends", params={"q": ["a", "b", "c", "d", "e", "f"], "by": "week"})
    assert page.status_code == 200 and "at most 5 terms" in page.text and "is not a period" in page.text
    assert http.get("/trends.csv", params={"q": "council", "by": "week"}).status_code == 400
    nobody = http.get("/api/trends", params={"q": "council", "speaker": "Nobody Atall"}).json()
    assert nobody["message"] == "No speaker is called 'Nobody Atall'." and nobody["periods"] == []
    empty = http.get("/trends", params={"q": ['"', "-"]}).text
    assert "Type a word or phrase" in empty and "Traceback" not in empty


def test_drafts_and_retracted_sessions_count_in_no_trend(http, archive):
    """Their words are those of a published talk (2019) and their dates 2019-05-21 and 2021-11-04."""
    talk = [s.text for s in segments_of(archive, archive.sessions["A Talk on Money"])]
    word = "tirades"
    assert sum(word in t for t in talk) == 1
    trend = http.get("/api/trends", params={"q": word}).json()
    assert [(p["period"], p["count"]) for p in trend["series"][0]["points"]] == [("2019", 1)]


# -- citations -----------------------------------------------------------------------------------------------
def test_each_citation_format_names_speaker_title_date_quote_clip_link_and_access_date(http, archive):
    segment = money_segment(archive)
    page = http.get(f"/sessions/{segment.session_id}", params={"t": segment.start}).text
    today = datetime.now(UTC).date()
    clip = f"/sessions/{segment.session_id}?t={segment.start:g}&end={segment.end:g}"
    quote = segment.text.strip()
    formats = {
        name: html.unescape(
            re.search(rf'id="{name}" class="citation">(.*?)</(?:p|pre)>', page, re.S).group(1)
        )
        for name in ("citation", "cite-apa", "cite-chicago", "cite-bibtex", "cite-quote")
    }
    for name, text in formats.items():
        assert "Dr. Ada Lovelace" in text and "A Talk on Money" in text, name
        assert quote in text or quote.replace("%", r"\%") in text, name
    for name in ("citation", "cite-apa", "cite-chicago", "cite-bibtex"):
        text = formats[name]
        assert clip in text, name
        assert any(d in text for d in (today.isoformat(), f"{today:%B} {today.day}, {today.year}")), name
        assert any(d in text for d in ("2019-05-20", "May 20, 2019", "2019, May 20")), name
    assert (
        formats["cite-bibtex"].startswith("@misc{")
        and "urldate = {" + today.isoformat() in formats["cite-bibtex"]
    )
    assert (
        formats["cite-quote"] == f"\u201c{quote}\u201d \u2014 Dr. Ada Lovelace, A Talk on Money (2019-05-20)"
    )


# -- search as CSV -------------------------------------------------------------------------------------------
def test_a_search_as_csv_has_every_moment_with_its_link(http):
    params = {"q": "inflation OR employment", "event": "press"}
    total = http.get("/api/search", params={**params, "limit": 1}).json()["total"]
    response = http.get("/search.csv", params=params)
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == total > 20
    ranked = http.get("/api/search", params={**params, "limit": 100}).json()["results"]
    assert [r["url"].split("/sessions/")[1] for r in rows[:100]] == [
        r["url"].split("/sessions/")[1] for r in ranked
    ]
    assert all(
        r["url"].startswith("http://127.0.0.1:") and r["session_title"] == "FOMC Press Conference"
        for r in rows
    )
    page = http.get("/search", params=params).text
    assert "/search.csv?" in html.unescape(re.search(r'id="csv-link" href="([^"]+)"', page).group(1))


def test_a_search_as_csv_never_starts_a_cell_with_a_formula(http, archive):
    text = http.get("/search.csv", params={"q": "spreadsheet"}).text
    rows = list(csv.reader(io.StringIO(text)))
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    said = {row[6] for row in rows[1:]}
    assert said == {"'" + line for line in FORMULA_LINES}
    assert {row[1] for row in rows[1:]} == {"'=Formula Session"}


def test_a_bad_search_as_csv_is_a_friendly_400(http):
    response = http.get("/search.csv", params={"q": "council", "since": "last week"})
    assert response.status_code == 400 and "is not a date" in response.text


def test_drafts_and_retracted_sessions_are_in_no_search_csv(http, archive):
    text = http.get("/search.csv", params={"q": "tirades"}).text
    assert f"/sessions/{archive.sessions['A Talk on Money']}?t=" in text
    assert f"/sessions/{archive.draft}?" not in text and f"/sessions/{archive.retracted}?" not in text


def crossing_phrase(http, archive) -> str:
    """Two words said across a cut of the FOMC press conference (the last of one line, the first of the next)
    that no line holds together: the search finds them only across the cut."""
    segments = segments_of(archive, archive.sessions["FOMC Press Conference"])
    for before, after in zip(segments, segments[1:], strict=False):
        last, first = before.text.split()[-1], after.text.split()[0]
        if not (last.isalpha() and first.isalpha() and len(last) > 3 and len(first) > 3):
            continue
        phrase = f'"{last} {first}"'
        if not any(f"{last} {first}".lower() in s.text.lower() for s in segments):
            found = http.get("/api/search", params={"q": phrase, "limit": 1}).json()["total"]
            if found:
                return phrase
    pytest.skip("no phrase across a cut in this transcript")


def test_a_trend_counts_a_phrase_said_across_a_segment_cut_as_the_search_does(http, archive):
    phrase = crossing_phrase(http, archive)
    trend = http.get("/api/trends", params={"q": phrase}).json()
    points = trend["series"][0]["points"]
    assert [(p["period"], p["count"]) for p in points if p["count"]] == [
        ("2021", search_total(http, points[0]["search_url"]))
    ]
    assert points[0]["count"] >= 1


def test_a_misspelt_term_is_counted_as_typed_and_its_links_search_it_as_typed(http):
    trend = http.get("/api/trends", params={"q": "inflaton OR employment"}).json()
    for point in trend["series"][0]["points"]:
        assert "correct=0" in point["search_url"]
        assert search_total(http, point["search_url"]) == point["count"]
    corrected = http.get("/api/search", params={"q": "inflaton OR employment", "limit": 1}).json()
    assert corrected["total"] > trend["series"][0]["total"]  # the search alone would read "inflation"
