"""Sharing a moment: Open Graph and Twitter tags on every public page, the quote at ``?t=`` as the description
with ``t`` kept in og:url, oEmbed that honours ``t``/``end`` with an absolute discovery link and no null field,
a favicon; and the list of match times (the no-JavaScript fallback of the timeline markers)."""

from __future__ import annotations

import html
import re

import pytest

from tests.support import webclient
from tests.support.webarchive import XSS

pytestmark = pytest.mark.backends

client, sample = webclient.client, webclient.sample

TAGS = ("og:site_name", "og:type", "og:title", "og:description", "og:url", "og:image")
CARD = ("twitter:card", "twitter:title", "twitter:description", "twitter:image")


def meta(page: str) -> dict[str, str]:
    found = {}
    for match in re.finditer(r'<meta (?:property|name)="([^"]+)" content="([^"]*)">', page):
        assert match.group(1) not in found, f"{match.group(1)} twice"
        found[match.group(1)] = html.unescape(match.group(2))
    return found


@pytest.mark.parametrize(
    "path",
    ["/", "/sessions", "/speakers", "/speakers/mayor-ada-quill", "/search", "/search?q=housing",
     "/sessions/{main}", "/sessions/{main}/embed", "/no-such-page"],
)  # fmt: skip
def test_every_public_page_has_share_tags_a_description_and_a_favicon(client, sample, path):
    page = client.get(path.format(main=sample.main)).text
    tags = meta(page)
    for name in (*TAGS, *CARD, "description"):
        assert tags.get(name), f"{name} missing on {path}"
    assert tags["og:url"].startswith("http://testserver/") and tags["og:image"].startswith("http://")
    assert '<link rel="icon" href="/static/favicon.svg?v=' in page
    assert client.get("/static/favicon.svg").status_code == 200
    assert XSS not in page


def test_home_and_search_describe_themselves(client):
    assert "every spoken word searchable" in meta(client.get("/").text)["description"]
    assert meta(client.get("/search").text)["description"].startswith("Search every word said")


def test_a_moment_shares_the_quote_said_at_that_second(client, sample):
    tags = meta(client.get(f"/sessions/{sample.main}?t=15").text)
    quote = "Mayor Ada Quill: \u201cWe need more affordable housing in every city.\u201d"
    assert tags["og:description"] == tags["twitter:description"] == tags["description"] == quote
    assert tags["og:url"] == f"http://testserver/sessions/{sample.main}?t=15"
    assert tags["og:type"] == "video.other" and tags["og:title"].startswith("Housing")
    whole = meta(client.get(f"/sessions/{sample.main}").text)
    assert whole["og:url"] == f"http://testserver/sessions/{sample.main}"
    assert whole["og:description"].startswith("Mayors discuss housing.")


def test_the_oembed_discovery_link_is_absolute_and_keeps_the_moment(client, sample):
    page = client.get(f"/sessions/{sample.main}?t=40&end=50").text
    link = re.search(r'<link rel="alternate" type="application/json\+oembed" href="([^"]+)"', page).group(1)
    link = html.unescape(link)
    assert link.startswith("http://testserver/api/oembed?url=")
    body = client.get(link.removeprefix("http://testserver")).json()
    assert f'src="http://testserver/sessions/{sample.main}/embed?t=40&amp;end=50"' in body["html"]


def test_oembed_honours_t_and_end_and_has_no_null_field(client, sample):
    url = f"http://testserver/sessions/{sample.main}?t=1m05s&end=90"
    body = client.get("/api/oembed", params={"url": url}).json()
    assert None not in body.values()
    assert body["thumbnail_url"] == "http://testserver/static/session-thumbnail.png"
    assert (body["thumbnail_width"], body["thumbnail_height"]) == (1280, 720)
    assert f"/sessions/{sample.main}/embed?t=65&amp;end=90" in body["html"]
    plain = client.get(
        "/api/oembed", params={"url": f"http://testserver/sessions/{sample.main}?t=junk"}
    ).json()
    assert f'/sessions/{sample.main}/embed"' in plain["html"]
    embed = client.get(f"/sessions/{sample.main}/embed?t=40&end=50").text
    assert re.search(r'<video [^>]*src="/sessions/\d+/media/recording.wav#t=40,50"', embed)
    assert re.search(r"<h1 class=\"embed-title\">", embed)


def test_match_times_are_listed_for_readers_without_javascript(client, sample):
    page = client.get(f"/sessions/{sample.main}", params={"q": "housing"}).text
    listed = re.findall(
        r'<a href="/sessions/\d+\?t=([0-9.]+)&amp;q=housing" data-start="[^"]+" data-match>', page
    )
    assert listed == ["0", "10", "30"]  # the three lines that say "housing"
    assert page.count("<mark>housing</mark>") == len(listed)
    assert 'id="match-nav"' in page and 'id="match-nav" ' in page
    none = client.get(f"/sessions/{sample.main}").text
    assert re.search(r'id="match-nav"[^>]*hidden', none, re.S)
