"""HTTP done right, route by route: HEAD wherever GET works, validators and 304s on every cacheable GET, charsets,
long-lived caching of fingerprinted static files, and feed, OpenAPI and sitemap checked by their own validators."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from catalog import Catalog, SessionMeta, TrackInput
from tests.support.webarchive import build_sample_archive, lines_transcript, media_input
from transcripts import Chapter
from uscm_archive.settings import Settings
from web.app import create_app

pytestmark = pytest.mark.backends

IDENTITY = {"Accept-Encoding": "identity"}
NOT_CACHED = ("/staff", "/api/staff", "/healthz")
VIDEO_LINES = [("Mayor Ada Quill", f"Line {n} of the video session about water.") for n in range(12)]


@pytest.fixture(scope="module")
def site(tmp_path_factory, module_catalog_url):
    data = tmp_path_factory.mktemp("http") / "data"
    data.mkdir()
    sample = build_sample_archive(data, module_catalog_url or None)
    movie = b"\x00\x00\x00\x18ftypmp42" + bytes(4000)  # served as stored; nothing here decodes it
    (data / "media" / "video").mkdir(parents=True)
    (data / "media" / "video" / "recording.mp4").write_bytes(movie)
    catalog = Catalog.open(module_catalog_url or data / "catalog.db")
    video = catalog.save_session(
        "http:video",
        SessionMeta(title="Water Video Session", date="2024-05-05", duration=120.0, language="en"),
        [TrackInput(lines_transcript(VIDEO_LINES))],
        (Chapter(0.0, "Opening"), Chapter(60.0, "Pipes")),
        media_input(data, "media/video/recording.mp4", movie, mime="video/mp4"),
    )
    catalog.close()
    with TestClient(create_app(Settings(data_dir=data, catalog_url=module_catalog_url))) as client:
        yield client, sample, video


def get_routes(app) -> list[str]:
    """Every path template the app answers GET on (FastAPI keeps included routers as branches)."""
    found = []

    def walk(routes):
        for route in routes:
            branch = getattr(route, "original_router", None)
            if branch is not None:
                walk(branch.routes)
            elif "GET" in (getattr(route, "methods", None) or ()):
                found.append(route.path)

    walk(app.router.routes)
    return found


def example_urls(sample, video) -> dict[str, str]:
    """A URL that answers for each GET route (any route missing here fails the walk)."""
    return {
        "/": "/",
        "/api/openapi.json": "/api/openapi.json",
        "/api/sessions": "/api/sessions",
        "/api/sessions/{session_id}": f"/api/sessions/{video}",
        "/api/sessions/{session_id}/transcript": f"/api/sessions/{video}/transcript",
        "/api/search": "/api/search?q=water",
        "/api/speakers": "/api/speakers",
        "/api/oembed": f"/api/oembed?url=http://testserver/sessions/{video}",
        "/sessions/{session_id}/media/{filename}": f"/sessions/{video}/media/recording.mp4",
        "/sessions/{session_id}/captions/{filename}": f"/sessions/{sample.main}/captions/en.upload.vtt",
        "/sessions/{session_id}/transcript.{fmt}": f"/sessions/{video}/transcript.vtt",
        "/feed.atom": "/feed.atom",
        "/search.atom": "/search.atom?q=water",
        "/sitemap.xml": "/sitemap.xml",
        "/robots.txt": "/robots.txt",
        "/healthz": "/healthz",
        "/sessions": "/sessions?topic=housing",
        "/sessions/{session_id}": f"/sessions/{video}?t=60",
        "/sessions/{session_id}/embed": f"/sessions/{video}/embed",
        "/search": "/search?q=water",
        "/search.csv": "/search.csv?q=water",
        "/trends": "/trends?q=water&q=housing",
        "/trends.csv": "/trends.csv?q=water",
        "/api/trends": "/api/trends?q=water&by=month",
        "/segments/{segment_id}/related": "/segments/1/related",
        "/api/segments/{segment_id}/related": "/api/segments/1/related",
        "/speakers": "/speakers",
        "/speakers/{slug}": "/speakers/mayor-ada-quill",
        "/data": "/data",
        "/data/uscm-archive.db": "/data/uscm-archive.db",
        "/data/uscm-archive.metadata.json": "/data/uscm-archive.metadata.json",
        "/staff/signin": "/staff/signin",
        "/staff": "/staff",
        "/staff/queue": "/staff/queue",
        "/staff/sessions": "/staff/sessions",
        "/staff/audit": "/staff/audit",
        "/staff/sessions/new": "/staff/sessions/new",
        "/staff/items/{item_id}": "/staff/items/1",
        "/staff/bulk": "/staff/bulk",
        "/staff/sessions/{session_id}": f"/staff/sessions/{video}",
        "/staff/segments/{segment_id}": "/staff/segments/1",
        "/staff/speakers": "/staff/speakers",
        "/staff/searches": "/staff/searches",
        "/staff/sessions/{session_id}/extras": f"/staff/sessions/{video}/extras",
        "/staff/events": "/staff/events",
        "/staff/users": "/staff/users",
        "/staff/account": "/staff/account",
        "/api/staff/me": "/api/staff/me",
        "/api/staff/sessions": "/api/staff/sessions",
        "/api/staff/sessions/{session_id}": f"/api/staff/sessions/{video}",
        "/api/staff/segments/{segment_id}": "/api/staff/segments/1",
        "/api/staff/speakers": "/api/staff/speakers",
        "/api/staff/events": "/api/staff/events",
        "/api/staff/audit": "/api/staff/audit",
        "/api/staff/users": "/api/staff/users",
        "/api/staff/items/{item_id}": "/api/staff/items/1",
    }


def without_cookie_values(response) -> dict[str, str]:
    """The headers, with a cookie's (random) value left out: its name and attributes stay."""
    headers = dict(response.headers)
    if "set-cookie" in headers:
        name, _, rest = headers["set-cookie"].partition("=")
        headers["set-cookie"] = name + rest[rest.find(";") :]
    return headers


@pytest.mark.search
def test_every_get_route_answers_head_and_every_cacheable_one_answers_304(site):
    client, sample, video = site
    urls = example_urls(sample, video)
    routes = get_routes(client.app)
    assert not set(routes) - set(urls), f"GET routes without an example URL here: {set(routes) - set(urls)}"
    for template in routes:
        url = urls[template]
        client.cookies.clear()  # each request as a new visitor (the sign-in page gives one a cookie)
        got = client.get(url, headers=IDENTITY, follow_redirects=False)
        client.cookies.clear()
        head = client.head(url, headers=IDENTITY, follow_redirects=False)
        assert head.status_code == got.status_code != 405, url
        assert without_cookie_values(head) == without_cookie_values(got), url
        assert head.content == b"", url
        kind = got.headers.get("content-type", "")
        if kind.startswith("text/") or "xml" in kind:
            assert "charset=utf-8" in kind, (url, kind)
        if url.startswith(NOT_CACHED):
            assert got.headers["cache-control"] == "no-store" and "etag" not in got.headers, url
            continue
        assert got.status_code == 200, url
        etag, modified = got.headers["etag"], got.headers["last-modified"]
        again = client.get(url, headers={**IDENTITY, "If-None-Match": etag})
        assert again.status_code == 304 and again.content == b"", url
        assert again.headers["etag"] == etag
        assert client.head(url, headers={"If-None-Match": etag}).status_code == 304, url
        assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304, url
        other = client.get(url, headers={"If-None-Match": 'W/"something-else"'})
        assert other.status_code == 200 and other.content == got.content, url


def test_a_change_to_the_catalog_changes_the_validators(site, tmp_path):
    client, sample, video = site
    first = client.get("/")
    catalog = Catalog.open(sample.catalog_url or sample.data_dir / "catalog.db")
    catalog.set_status(sample.linked, "draft")
    try:
        after = client.get("/", headers={"If-None-Match": first.headers["etag"]})
        assert after.status_code == 200 and after.headers["etag"] != first.headers["etag"]
        assert "Press Call on Water" in first.text and "Press Call on Water" not in after.text
    finally:
        catalog.set_status(sample.linked, "published")
        catalog.close()
    assert client.get(f"/sessions/{sample.linked}", headers={"If-None-Match": "*"}).status_code == 304


def test_validators_depend_on_the_route_inputs(site):
    client, _, video = site
    tags = {client.get(u).headers["etag"] for u in ("/search?q=water", "/search?q=housing", "/sessions")}
    assert len(tags) == 3
    assert (
        client.get("/", headers={"Host": "other.example"}).headers["etag"] != client.get("/").headers["etag"]
    )


def test_fingerprinted_static_files_are_cached_for_a_year(site):
    client, _, video = site
    page = client.get(f"/sessions/{video}").text
    css = re.search(r'href="(/static/site\.css\?v=[0-9a-f]{12})"', page).group(1)
    script = re.search(r'src="(/static/session\.js\?v=[0-9a-f]{12})"', page).group(1)
    for url in (css, script):
        response = client.get(url)
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert client.get(url, headers={"If-None-Match": response.headers["etag"]}).status_code == 304
    assert client.get("/static/site.css?v=000000000000").headers["cache-control"] == "no-cache"
    assert client.get("/static/site.css").headers["cache-control"] == "no-cache"


def test_a_transcript_that_does_not_exist_is_a_404(site):
    client, sample, _ = site
    for fmt in ("vtt", "srt", "txt", "json"):
        response = client.get(f"/sessions/{sample.linked}/transcript.{fmt}")
        assert response.status_code == 404 and "Page not found" in response.text


def test_feedparser_reads_the_feed(site):
    feedparser = pytest.importorskip("feedparser")
    client, _, _ = site
    response = client.get("/feed.atom")
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.content, response_headers=dict(response.headers))
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.encoding == "utf-8" and feed.version == "atom10"
    titles = [entry.title for entry in feed.entries]
    assert "Water Video Session" in titles and len(titles) == 4


def test_openapi_is_valid_and_declares_the_bearer_scheme_for_staff(site):
    validator = pytest.importorskip("openapi_spec_validator")
    client, _, _ = site
    spec = client.get("/api/openapi.json").json()
    validator.validate(spec)
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    staff = {p: ops for p, ops in spec["paths"].items() if p.startswith("/api/staff")}
    assert staff and all(
        op["security"] == [{"bearerAuth": []}] for ops in staff.values() for op in ops.values()
    )
    public = spec["paths"]["/api/sessions"]["get"]
    assert "security" not in public


# The sitemap protocol 0.9 and Google's video extension 1.1, as their published XSDs define the parts used here.
SITEMAP_XSD = """<?xml version="1.0" encoding="UTF-8"?>
<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.sitemaps.org/schemas/sitemap/0.9"
    xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" elementFormDefault="qualified">
  <xsd:import namespace="http://www.google.com/schemas/sitemap-video/1.1" schemaLocation="VIDEO_XSD"/>
  <xsd:element name="urlset"><xsd:complexType><xsd:sequence>
    <xsd:element ref="url" minOccurs="0" maxOccurs="unbounded"/>
  </xsd:sequence></xsd:complexType></xsd:element>
  <xsd:element name="url"><xsd:complexType><xsd:sequence>
    <xsd:element name="loc" type="tLoc"/>
    <xsd:element name="lastmod" type="tLastmod" minOccurs="0"/>
    <xsd:element name="changefreq" type="xsd:string" minOccurs="0"/>
    <xsd:element name="priority" type="xsd:decimal" minOccurs="0"/>
    <xsd:any namespace="##other" processContents="strict" minOccurs="0" maxOccurs="unbounded"/>
  </xsd:sequence></xsd:complexType></xsd:element>
  <xsd:simpleType name="tLoc"><xsd:restriction base="xsd:anyURI">
    <xsd:minLength value="12"/><xsd:maxLength value="2048"/>
  </xsd:restriction></xsd:simpleType>
  <xsd:simpleType name="tLastmod"><xsd:union memberTypes="xsd:date xsd:dateTime"/></xsd:simpleType>
</xsd:schema>
"""
VIDEO_XSD = """<?xml version="1.0" encoding="UTF-8"?>
<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema"
    targetNamespace="http://www.google.com/schemas/sitemap-video/1.1"
    xmlns="http://www.google.com/schemas/sitemap-video/1.1" elementFormDefault="qualified">
  <xsd:element name="video"><xsd:complexType><xsd:sequence>
    <xsd:element name="thumbnail_loc" type="xsd:anyURI"/>
    <xsd:element name="title"><xsd:simpleType><xsd:restriction base="xsd:string">
      <xsd:maxLength value="100"/></xsd:restriction></xsd:simpleType></xsd:element>
    <xsd:element name="description"><xsd:simpleType><xsd:restriction base="xsd:string">
      <xsd:maxLength value="2048"/></xsd:restriction></xsd:simpleType></xsd:element>
    <xsd:element name="content_loc" type="xsd:anyURI" minOccurs="0"/>
    <xsd:element name="player_loc" type="xsd:anyURI" minOccurs="0"/>
    <xsd:element name="duration" minOccurs="0"><xsd:simpleType><xsd:restriction base="xsd:nonNegativeInteger">
      <xsd:minInclusive value="1"/><xsd:maxInclusive value="28800"/></xsd:restriction></xsd:simpleType></xsd:element>
    <xsd:element name="expiration_date" type="tDate" minOccurs="0"/>
    <xsd:element name="rating" type="xsd:float" minOccurs="0"/>
    <xsd:element name="view_count" type="xsd:nonNegativeInteger" minOccurs="0"/>
    <xsd:element name="publication_date" type="tDate" minOccurs="0"/>
  </xsd:sequence></xsd:complexType></xsd:element>
  <xsd:simpleType name="tDate"><xsd:union memberTypes="xsd:date xsd:dateTime"/></xsd:simpleType>
</xsd:schema>
"""


def test_the_sitemap_passes_its_schema_and_lists_video_only_for_video(site, tmp_path):
    etree = pytest.importorskip("lxml.etree")
    client, sample, video = site
    (tmp_path / "video.xsd").write_text(VIDEO_XSD)
    (tmp_path / "sitemap.xsd").write_text(SITEMAP_XSD.replace("VIDEO_XSD", (tmp_path / "video.xsd").as_uri()))
    schema = etree.XMLSchema(etree.parse(str(tmp_path / "sitemap.xsd")))
    response = client.get("/sitemap.xml")
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    document = etree.fromstring(response.content)
    assert schema.validate(document), schema.error_log
    ns = {
        "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
        "v": "http://www.google.com/schemas/sitemap-video/1.1",
    }
    with_video = {
        url.findtext("s:loc", namespaces=ns): url.find("v:video", ns) for url in document.findall("s:url", ns)
    }
    videos = {loc.rsplit("/", 1)[1] for loc, element in with_video.items() if element is not None}
    assert videos == {str(video), str(sample.youtube)}  # not the audio recording, not the link elsewhere
    assert len(with_video) == 4
    entry = with_video[f"http://testserver/sessions/{video}"]
    assert entry.findtext("v:content_loc", namespaces=ns).endswith(f"/sessions/{video}/media/recording.mp4")


def test_a_video_page_describes_its_video_with_seek_transcript_language_and_publisher(site):
    client, sample, video = site
    page = client.get(f"/sessions/{video}").text
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))
    assert data["@type"] == "VideoObject" and data["inLanguage"] == "en"
    assert data["contentUrl"] == f"http://testserver/sessions/{video}/media/recording.mp4"
    assert data["publisher"] == {
        "@type": "Organization",
        "name": "USCM Meeting Archive",
        "url": "http://testserver/",
    }
    assert data["transcript"].startswith("Line 0 of the video session about water. Line 1")
    assert data["potentialAction"] == {
        "@type": "SeekToAction",
        "target": f"http://testserver/sessions/{video}?t={{seek_to_second_number}}",
        "startOffset-input": "required name=seek_to_second_number",
    }
    clips = data["hasPart"]
    assert [(c["name"], c["startOffset"], c["endOffset"]) for c in clips] == [
        ("Opening", 0, 60),
        ("Pipes", 60, 120),
    ]
    assert clips[1]["url"] == f"http://testserver/sessions/{video}?t=60"
    for other in (sample.main, sample.linked):  # audio, and a link elsewhere: no VideoObject
        assert "application/ld+json" not in client.get(f"/sessions/{other}").text


def test_head_is_answered_on_a_live_server_without_a_body(site):
    from tests.support.liveserver import raw_request, running

    client, _, video = site
    with running(client.app) as base:
        reply = raw_request(
            base, f"HEAD /sessions/{video} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
        )
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b'etag: w/"' in head.lower() and body == b""
