"""Generated input on every page that takes some: always a page (200 or a friendly 404), never a server error,
and nothing typed comes back as markup."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import webclient

pytestmark = pytest.mark.backends  # any input, on either backend: never a 500

client, sample = webclient.client, webclient.sample  # the shared fixtures

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60) | st.sampled_from(
    [
        '"unbalanced',
        "AND",
        "-",
        "C++",
        "mayor:housing",
        "<script>",
        "1:02:03",
        "1m30s",
        "-5",
        "NEAR(",
        "*",
        "%00",
    ]
)
MARKUP = "<script>alert(1)</script>"
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def page_is_safe(response, typed: str) -> None:
    assert response.status_code in (200, 404), response.status_code
    assert response.headers["content-type"].startswith("text/html")
    assert MARKUP not in response.text


@FUZZ
@given(q=TEXT, event=TEXT, speaker=TEXT, since=TEXT, page=TEXT)
def test_search_page(client, q, event, speaker, since, page):
    params = {"q": q + MARKUP, "event": event, "speaker": speaker, "since": since, "page": page}
    page_is_safe(client.get("/search", params=params), q)


@FUZZ
@given(t=TEXT, end=TEXT, q=TEXT)
def test_session_page(client, sample, t, end, q):
    response = client.get(f"/sessions/{sample.main}", params={"t": t, "end": end, "q": q + MARKUP})
    assert response.status_code == 200
    page_is_safe(response, q)


@FUZZ
@given(event=TEXT, topic=TEXT, year=TEXT, speaker=TEXT)
def test_browse_and_speaker_pages(client, event, topic, year, speaker):
    params = {"event": event + MARKUP, "topic": topic, "year": year, "speaker": speaker}
    page_is_safe(client.get("/sessions", params=params), event)
    page_is_safe(client.get("/speakers/" + quote(speaker + MARKUP, safe="")), speaker)


def test_a_nul_typed_into_a_filter_or_a_name_finds_nothing(client):
    """PostgreSQL cannot hold a NUL; a URL can carry one (``%00``). Either backend answers with nothing found."""
    for url in (
        "/sessions?event=a%00b",
        "/sessions?speaker=%00",
        "/search?q=x&speaker=a%00b",
        "/search?q=%00",
    ):
        page_is_safe(client.get(url), "")
    response = client.get("/speakers/Mayor%00" + quote(MARKUP, safe=""))
    page_is_safe(response, "")
    assert response.status_code == 404
