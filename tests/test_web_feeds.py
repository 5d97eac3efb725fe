"""For machines: the Atom feed of new sessions, the video sitemap, robots.txt and /healthz."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from tests.support import webclient
from tests.support.webarchive import XSS
from uscm_archive.settings import Settings
from web.app import create_app

pytestmark = pytest.mark.backends

client, sample = webclient.client, webclient.sample  # the shared fixtures

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
VIDEO = "{http://www.google.com/schemas/sitemap-video/1.1}"


def test_atom_feed_lists_new_published_sessions(client, sample):
    response = client.get("/feed.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    entries = feed.findall(f"{ATOM}entry")
    ids = [e.find(f"{ATOM}id").text for e in entries]
    assert ids == [f"http://testserver/sessions/{n}" for n in (sample.linked, sample.youtube, sample.main)]
    titles = [e.find(f"{ATOM}title").text for e in entries]
    assert any(t.startswith(f"Housing {XSS}") for t in titles)  # escaped in XML, text after parsing


def test_video_sitemap_has_thumbnail_title_description_and_location(client, sample):
    root = ET.fromstring(client.get("/sitemap.xml").content)
    urls = {u.find(f"{SITEMAP}loc").text: u for u in root.findall(f"{SITEMAP}url")}
    assert set(urls) == {
        f"http://testserver/sessions/{n}" for n in (sample.main, sample.youtube, sample.linked)
    }
    # Only a session with a video to play has a <video:video>: the sample's recording is audio, the linked one
    # is elsewhere (tests/test_web_http.py has archived video).
    assert urls[f"http://testserver/sessions/{sample.main}"].find(f"{VIDEO}video") is None
    assert urls[f"http://testserver/sessions/{sample.linked}"].find(f"{VIDEO}video") is None
    video = urls[f"http://testserver/sessions/{sample.youtube}"].find(f"{VIDEO}video")
    assert video.find(f"{VIDEO}thumbnail_loc").text == "http://testserver/static/session-thumbnail.png"
    assert video.find(f"{VIDEO}title").text == "Annual Meeting Transit Panel"
    assert video.find(f"{VIDEO}description").text == "Annual Meeting Transit Panel"
    assert video.find(f"{VIDEO}player_loc").text == f"http://testserver/sessions/{sample.youtube}/embed"
    assert video.find(f"{VIDEO}content_loc") is None
    assert client.get("/static/session-thumbnail.png").content.startswith(b"\x89PNG")


def test_base_url_setting_wins_over_the_request_host(sample):
    settings = replace(sample.settings, base_url="https://archive.example.org")
    with TestClient(create_app(settings)) as other:
        assert b"<loc>https://archive.example.org/sessions/" in other.get("/sitemap.xml").content
        assert "Sitemap: https://archive.example.org/sitemap.xml" in other.get("/robots.txt").text


def test_healthz_counts_published_sessions(client):
    assert client.get("/healthz").json() == {"status": "ok", "sessions": 3}


def test_healthz_reports_an_unreadable_catalog(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "catalog.db").write_bytes(b"this is not a database" * 100)
    with TestClient(create_app(Settings(data_dir=data_dir)), raise_server_exceptions=False) as broken:
        response = broken.get("/healthz")
        assert response.status_code == 503 and response.json()["status"] == "error"
        page = broken.get("/")
        assert (
            page.status_code == 503
            and "The archive is unavailable" in page.text
            and "Traceback" not in page.text
        )
        assert broken.get("/api/sessions").json()["error"]["code"] == "unavailable"
