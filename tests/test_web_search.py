"""The search page: any input gives a page; hits grouped by session land on the moment; filters and paging."""

from __future__ import annotations

import re

import pytest

from tests.support import webclient
from tests.support.webarchive import XSS

pytestmark = pytest.mark.backends

client, sample = webclient.client, webclient.sample  # the shared fixtures

HOSTILE = [
    '"unbalanced',
    "AND",
    "-",
    "C++",
    "mayor:housing",
    "<script>",
    "OR OR",
    "(",
    "*",
    "'",
    "9/11",
    "\x00",
    "é" * 600,
]


@pytest.mark.parametrize("query", HOSTILE)
def test_any_query_gives_a_page(client, query):
    response = client.get("/search", params={"q": query})
    assert response.status_code == 200 and "text/html" in response.headers["content-type"]
    assert "<script>alert" not in response.text and "Traceback" not in response.text
    assert 'id="q"' in response.text


def test_hits_are_grouped_by_session_with_a_moment_link(client, sample):
    page = client.get("/search", params={"q": "housing"}).text
    groups = re.findall(r'<section class="hit-group"', page)
    assert len(groups) == 1
    assert re.search(r"3 moments found for “housing”", page)
    links = re.findall(rf'<a class="hit-time" href="(/sessions/{sample.main}\?t=\d+&amp;q=housing)"', page)
    assert len(links) == 3
    assert '<span class="hit-speaker">Mayor Ada Quill:</span>' in page
    assert "<mark>housing</mark>" in page


def test_a_hit_link_opens_the_session_at_that_line(client, sample):
    page = client.get("/search", params={"q": '"affordable housing"'}).text
    link = re.search(r'<a class="hit-time" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    session = client.get(link).text
    current = re.search(r'<a class="seg"[^>]*aria-current="time"[^>]*>(.*?)</a>', session, re.S).group(1)
    assert "affordable" in current and "<mark>affordable housing</mark>" in current


def test_snippets_and_speakers_are_escaped(client, sample):
    page = client.get("/search", params={"q": "budget"}).text
    assert XSS not in page
    assert "Chief &lt;script&gt;alert" in page
    assert (
        "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
        or "&lt;script&gt;alert(&quot;x&quot;)" in page
    )


def test_filters_narrow_the_hits(client, sample):
    assert "Nothing was found" in client.get("/search", params={"q": "transit", "topic": "housing-x"}).text
    by_event = client.get("/search", params={"q": "transit", "event": "92nd Annual Meeting"}).text
    assert "Annual Meeting Transit Panel" in by_event and "Plenary" not in by_event
    by_date = client.get(
        "/search", params={"q": "transit", "since": "2025-01-01", "until": "2025-12-31"}
    ).text
    assert "Annual Meeting Transit Panel" not in by_date and "Plenary" in by_date
    by_speaker = client.get("/search", params={"q": "budget", "speaker": "mayor-ada-quill"}).text
    assert "1 moment found" in by_speaker and "C++ <mark>budgets</mark>" in by_speaker  # stemmed
    assert "Our budget line" not in by_speaker


def test_bad_dates_are_left_out_with_a_note(client):
    page = client.get(
        "/search", params={"q": "transit", "since": "last <b>week</b>", "until": "2025-02-30"}
    ).text
    assert "is not a date like 2024-01-31" in page and "<b>week</b>" not in page
    assert "2 moments found" in page


def test_pagination(client, sample, monkeypatch):
    import web.search_page

    monkeypatch.setattr(web.search_page, "PER_PAGE", 2)
    first = client.get("/search", params={"q": "housing"}).text
    assert "Page 1 of 2" in first and 'href="/search?q=housing&amp;page=2" rel="next"' in first
    second = client.get("/search", params={"q": "housing", "page": "2"}).text
    assert len(re.findall(r'class="hit-time"', second)) == 1 and 'rel="prev"' in second
    beyond = client.get("/search", params={"q": "housing", "page": "99999999999"})
    assert beyond.status_code == 200


def test_empty_search_explains_itself_and_shows_syntax_help(client):
    page = client.get("/search").text
    assert "Type a word or phrase" in page
    for hint in ("&#34;exact phrase&#34;", "OR", "-exclude", "infra*"):
        assert hint in page or hint.replace("&#34;", '"') in page


def test_a_sessions_hits_stay_together_in_time_order(client, sample):
    page = client.get("/search", params={"q": "housing OR transit"}).text
    titles = re.findall(r'<h2 id="group-\d+"><a href="/sessions/(\d+)">', page)
    assert sorted(titles) == sorted(set(titles)) and len(titles) == 2
    main_group = page.split(f'<a href="/sessions/{sample.main}">')[1].split("</section>")[0]
    times = [int(t) for t in re.findall(r"\?t=(\d+)&amp;q=", main_group)]
    assert times == sorted(times) and len(times) == 3


def test_exact_words_only_skips_other_word_forms(client):
    stemmed = client.get("/search", params={"q": "budgets"}).text
    assert "2 moments found" in stemmed
    exact = client.get("/search", params={"q": "budgets", "exact": "1"}).text
    assert "1 moment found" in exact and 'name="exact" value="1" checked' in exact
