"""Hostile text everywhere a source or a staffer can put it, and every public page and machine output still shows
it as text: no element, attribute, script or link is ever made from it.

Pages are parsed (not grepped): an injected ``<img onerror>``, ``<svg onload>``, a second ``<script>``, a
``javascript:`` link or an attribute broken out of its quotes would appear as a real element or attribute.
"""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from uscm_archive.settings import Settings

pytestmark = pytest.mark.backends

MARK = "xss"  # every payload carries it, so a parsed element or attribute made from our data is easy to spot
PAYLOADS = [
    f"<script>alert('{MARK}1')</script>",
    f'"><img src=x onerror=alert("{MARK}2")>',
    f"'><svg onload=alert('{MARK}3')>",
    f"</script><script>alert('{MARK}4')</script>",
    f"</title><iframe src=javascript:alert('{MARK}5')>",
    f"]]><{MARK}6/><![CDATA[",
    f"{{{{7*7}}}} {{% raw %}}{MARK}7 ${{{MARK}}}",
    f"&lt;b&gt;{MARK}8 &amp; &#60;i&#62;",
    f"<!--{MARK}9--> <style>body{{display:none}}</style>",
]
HOSTILE_URL = f"javascript:alert('{MARK}url')"
CONTROL_TITLE = f"Form\x0cfeed\x01 {MARK}ctl"


class Page(HTMLParser):
    """Elements, attributes, script bodies and visible text of an HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self.text: list[str] = []
        self._script: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        self.elements.append((tag, attributes))
        if tag == "script":
            self._script = attributes
            self.scripts.append((attributes, ""))

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            attributes, body = self.scripts[-1]
            self.scripts[-1] = (attributes, body + data)
        else:
            self.text.append(data)

    def handle_comment(self, data):
        assert MARK not in data, f"a comment was made from our data: <!--{data}-->"


def assert_inert(html: str, where: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    for tag, attributes in page.elements:
        assert MARK not in tag, f"{where}: an element <{tag}> was made from our data"
        for name, value in attributes.items():
            assert MARK not in name, f"{where}: attribute {name!r} made from our data on <{tag}>"
            assert not name.startswith("on"), f"{where}: an inline handler {name}= on <{tag}>"
            if name in ("href", "src", "action", "formaction", "data", "poster"):
                assert not value.strip().lower().startswith(("javascript:", "data:text", "vbscript:")), (
                    f"{where}: <{tag} {name}={value!r}>"
                )
    for attributes, body in page.scripts:
        kind = attributes.get("type", "")
        if kind == "application/ld+json":
            assert "</script" not in body.lower()
            json.loads(body)  # the JSON-LD is whole: nothing broke out of it
        else:
            assert MARK not in body, f"{where}: a script holds our data: {body[:80]!r}"
            assert "src" in attributes or not body.strip() or kind == "application/json", (
                f"{where}: inline script {body[:80]!r}"
            )
    return page


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, module_catalog_url):
    """A published session with a payload in every field, and a transcript whose every line is a payload."""
    from catalog import Catalog, SessionMeta, SpeakerCredit, TrackInput
    from transcripts import Chapter, Mark, Segment, Transcript

    data_dir = tmp_path_factory.mktemp("hostile") / "data"
    data_dir.mkdir()
    catalog = Catalog.open(module_catalog_url or data_dir / "catalog.db")
    segments = tuple(
        Segment(
            10.0 * n,
            10.0 * n + 8,
            f"Mayor says {payload} about housing",
            f"Speaker {payload}",
            (Mark(0, 10.0 * n),),
        )
        for n, payload in enumerate(PAYLOADS)
    )
    meta = SessionMeta(
        title=f"Housing {PAYLOADS[0]} {PAYLOADS[3]}",
        date="2024-01-18",
        event=f"Winter {PAYLOADS[1]}",
        description=" ".join(PAYLOADS),
        source_url=HOSTILE_URL,
        video_url=HOSTILE_URL,
        thumbnail_url=f"https://example.org/a.png\" onerror=\"alert('{MARK}')",
        channel=PAYLOADS[2],
        tags=tuple(PAYLOADS[:3]),
        speakers=(SpeakerCredit(f"Mayor {PAYLOADS[1]}", f"Mayor of {PAYLOADS[4]}"),),
        topics=(f"Topic {PAYLOADS[5]}",),
    )
    chapters = tuple(Chapter(10.0 * n, f"Part {payload}") for n, payload in enumerate(PAYLOADS[:4]))
    session_id = catalog.save_session("hostile:1", meta, [TrackInput(Transcript(segments))], chapters)
    plain = catalog.save_session("hostile:2", SessionMeta(title=CONTROL_TITLE, date="2024-01-19"))
    # The same payloads on a session with a video to play: what JSON-LD and the sitemap's <video:video> describe.
    video_meta = dataclasses.replace(
        meta, title=f"Housing {PAYLOADS[0]} {CONTROL_TITLE}", video_url="https://youtu.be/AbCdEfGhIjK"
    )
    catalog.save_session("hostile:video", video_meta, [TrackInput(Transcript(segments))], chapters)
    speaker_slug = catalog.get_session(session_id).speakers[0].slug
    catalog.close()
    from web.app import create_app

    with TestClient(create_app(Settings(data_dir=data_dir, catalog_url=module_catalog_url))) as client:
        yield client, session_id, plain, speaker_slug


def pages(session_id: int, speaker_slug: str) -> list[str]:
    attack = quote(PAYLOADS[1] + PAYLOADS[3])
    return [
        "/",
        "/sessions",
        f"/sessions?event={attack}&topic={attack}&speaker={attack}",
        f"/sessions/{session_id}",
        f"/sessions/{session_id}?q={attack}&t={attack}",
        f"/sessions/{session_id}?q=housing&t=20",
        f"/sessions/{session_id}/embed",
        f"/search?q={attack}",
        "/search?q=housing",
        f"/search?q={quote(chr(34) + 'mayor says')}",
        f"/search?q=housing&speaker={attack}&since={attack}",
        "/speakers",
        f"/speakers/{speaker_slug}",
        f"/speakers/{attack}",
        f"/no/such/page/{attack}",
    ]


def test_every_public_page_shows_hostile_text_as_text(hostile):
    client, session_id, _, slug = hostile
    for url in pages(session_id, slug):
        response = client.get(url)
        assert response.status_code < 500, url
        assert response.headers["content-type"].startswith("text/html"), url
        assert_inert(response.text, url)


def test_the_session_page_shows_every_payload_verbatim(hostile):
    client, session_id, _, _ = hostile
    page = assert_inert(client.get(f"/sessions/{session_id}").text, "session page")
    visible = "".join(page.text)
    for payload in PAYLOADS:
        assert f"Mayor says {payload} about housing" in " ".join(visible.split()) or payload in visible
    assert f"Housing {PAYLOADS[0]}" in visible


def test_json_ld_carries_the_title_escaped_and_whole(hostile):
    from catalog import Catalog

    client, _, _, _ = hostile
    catalog = Catalog.open(client.app.state.settings.catalog_path)
    session_id = catalog.find_session_id("hostile:video")  # JSON-LD describes a session with a video
    catalog.close()
    page = assert_inert(client.get(f"/sessions/{session_id}").text, "session page")
    blocks = [
        json.loads(body)
        for attributes, body in page.scripts
        if attributes.get("type") == "application/ld+json"
    ]
    assert blocks, "the session page has no JSON-LD"
    assert any(block.get("name", "").startswith(f"Housing {PAYLOADS[0]}") for block in blocks)
    raw = client.get(f"/sessions/{session_id}").text
    assert "</script><script>alert" not in raw


@pytest.mark.search
def test_search_snippets_mark_only_the_match(hostile):
    client, _, _, _ = hostile
    page = assert_inert(client.get("/search?q=housing").text, "search")
    marks = [tag for tag, _ in page.elements if tag == "mark"]
    assert marks, "no highlighted match"
    visible = " ".join("".join(page.text).split())
    assert "alert('xss1')" in visible  # the transcript's payload is shown, as text


def test_links_from_data_are_never_javascript(hostile):
    client, session_id, _, _ = hostile
    page = assert_inert(client.get(f"/sessions/{session_id}").text, "session page")
    hrefs = [attributes.get("href", "") for tag, attributes in page.elements if tag == "a"]
    assert all(not href.lower().startswith("javascript") for href in hrefs)


def parse_xml(body: str, where: str) -> ET.Element:
    try:
        return ET.fromstring(body.encode("utf-8"))
    except ET.ParseError as exc:
        raise AssertionError(f"{where} is not well-formed XML: {exc}") from exc


def test_feed_and_sitemap_are_well_formed_and_hold_the_titles_as_text(hostile):
    client, _, _, _ = hostile
    for url in ("/feed.atom", "/sitemap.xml"):
        response = client.get(url)
        assert response.status_code == 200, url
        root = parse_xml(response.text, url)
        assert not [el for el in root.iter() if MARK in el.tag], f"{url}: an element made from our data"
        texts = " ".join(el.text or "" for el in root.iter())
        assert f"Housing {PAYLOADS[0]}" in texts, url
        assert "Form" in texts and "ctl" in texts, f"{url}: the title with control characters is missing"
        for el in root.iter():
            for name, value in el.attrib.items():
                assert not value.lower().startswith("javascript:"), f"{url}: {name}={value!r}"


def test_oembed_and_api_answer_json_with_the_title_as_data(hostile):
    client, session_id, _, _ = hostile
    api = client.get(f"/api/sessions/{session_id}")
    assert api.status_code == 200 and api.headers["content-type"].startswith("application/json")
    assert api.json()["title"].startswith(f"Housing {PAYLOADS[0]}")
    response = client.get("/api/oembed", params={"url": f"http://testserver/sessions/{session_id}"})
    assert response.status_code in (200, 501)
    if response.status_code == 200:
        body = response.json()
        assert body["title"].startswith(f"Housing {PAYLOADS[0]}")
        if "html" in body:  # the embed snippet a site pastes: only our iframe, nothing from the data
            snippet = Page()
            snippet.feed(body["html"])
            assert [tag for tag, _ in snippet.elements] == ["iframe"]
            assert_inert(body["html"], "oembed html")
    hostile_url = client.get("/api/oembed", params={"url": HOSTILE_URL})
    assert 400 <= hostile_url.status_code < 500
    assert set(hostile_url.json()) == {"error"}


def test_downloads_are_never_served_as_html(hostile):
    client, session_id, _, _ = hostile
    for fmt in ("vtt", "srt", "txt", "json"):
        response = client.get(f"/sessions/{session_id}/transcript.{fmt}")
        assert response.status_code == 200, fmt
        assert "html" not in response.headers["content-type"], fmt
        assert response.headers.get("x-content-type-options") == "nosniff", fmt


def test_pages_forbid_inline_script(hostile):
    client, session_id, _, _ = hostile
    policy = client.get(f"/sessions/{session_id}").headers["content-security-policy"]
    script = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script
