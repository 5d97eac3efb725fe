"""The search page also finds sessions by what they are about, so a session with no transcript is still found."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from catalog import Catalog, SessionMeta
from uscm_archive.settings import Settings
from web.app import create_app


@pytest.fixture
def client(data_dir):
    catalog = Catalog.open(data_dir / "catalog.db")
    catalog.save_session(
        "test:reform",
        SessionMeta(
            title="Reimagining Public Safety: Police Reform Panel",
            date="2021-03-04",
            event="Reimagining Public Safety Summit",
            description="Mayors on <b>accountability</b> and community trust.",
        ),
    )
    catalog.save_session("test:draft", SessionMeta(title="Police reform draft notes", status="draft"))
    catalog.close()
    with TestClient(create_app(Settings(data_dir=data_dir))) as test_client:
        yield test_client


def test_a_session_without_transcript_is_found_by_its_title(client):
    page = client.get("/search", params={"q": "police reform"}).text
    assert "Sessions about" in page
    assert '<a href="/sessions/1">Reimagining Public Safety: Police Reform Panel</a>' in page
    assert "no transcript yet" in page
    assert "No spoken words matched" in page


def test_a_draft_is_not_found_by_its_title(client):
    page = client.get("/search", params={"q": "draft notes"}).text
    assert "Police reform draft notes" not in page
    assert "Nothing was found" in page


def test_session_matches_show_on_the_first_page_only(client):
    page = client.get("/search", params={"q": "accountability", "page": "2"}).text
    assert "Sessions about" not in page


def test_with_a_filter_on_only_moments_are_listed(client):
    page = client.get("/search", params={"q": "police reform", "since": "2020-01-01"}).text
    assert "Sessions about" not in page
