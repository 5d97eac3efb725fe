"""A staff-ready archive for web tests: an admin and an editor, a published session and a draft, signed-in clients.

Used by tests/test_staff_*.py. Everything is real: the catalog file, argon2 hashes, the app from ``create_app``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from catalog import Catalog, SessionMeta, SpeakerCredit, TrackInput
from catalog.staff import Staff
from transcripts import Segment, Transcript
from uscm_archive.settings import Settings
from web.auth import hash_password

ADMIN, EDITOR = "ann", "ed"
PASSWORD = "correct horse battery"
DRAFT_WORD = "zorbulent"
SECRET = "test-signing-key-" * 3

PUBLISHED_LINES = (
    ("Mayor Holt", "Good morning and welcome to the infrastructure roundtable."),
    ("Mayor Holt", "Our bridges were built for a city half this size."),
    ("David Holt", "We passed the bond with seventy percent of the vote."),
)
DRAFT_LINES = ((None, f"The {DRAFT_WORD} plan stays secret until it is published."),)


@dataclass(frozen=True)
class StaffSite:
    settings: Settings
    published: int
    draft: int

    @property
    def catalog_path(self) -> Path:
        return self.settings.catalog_path


def transcript(lines) -> Transcript:
    segments = tuple(
        Segment(n * 10.0, n * 10.0 + 9.0, text, speaker) for n, (speaker, text) in enumerate(lines)
    )
    return Transcript(segments=segments, language="en")


def build_staff_site(data_dir: Path, **settings) -> StaffSite:
    config = Settings(data_dir=data_dir, secret_key=SECRET, **settings)
    catalog = Catalog.open(config.catalog_path)
    try:
        users = Staff(catalog.db).users
        users.add(ADMIN, hash_password(PASSWORD), "admin")
        users.add(EDITOR, hash_password(PASSWORD), "editor")
        credits = (SpeakerCredit("Mayor Holt", "Oklahoma City"), SpeakerCredit("David Holt"))
        published = catalog.save_session(
            "staff:published",
            SessionMeta(title="Infrastructure Roundtable", date="2024-01-17", speakers=credits),
            [TrackInput(transcript(PUBLISHED_LINES), source="manual")],
        )
        draft = catalog.save_session(
            "staff:draft",
            SessionMeta(title="Quiet Draft Session", date="2024-02-01", status="draft"),
            [TrackInput(transcript(DRAFT_LINES))],
        )
    finally:
        catalog.close()
    return StaffSite(config, published, draft)


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, "the page has no CSRF field"
    return match.group(1)


def sign_in(client: TestClient, name: str = ADMIN, password: str = PASSWORD):
    csrf = csrf_of(client.get("/staff/signin").text)
    return client.post(
        "/staff/signin",
        data={"csrf": csrf, "name": name, "password": password, "next": "/staff"},
        follow_redirects=False,
    )


def signed_in_csrf(client: TestClient) -> str:
    return csrf_of(client.get("/staff").text)


def catalog_dump(path: Path) -> list[str]:
    """The whole catalog as SQL text: equal dumps mean nothing changed (not even the audit log)."""
    catalog = Catalog.open(path)
    try:
        return list(catalog.db.conn.iterdump())
    finally:
        catalog.close()
