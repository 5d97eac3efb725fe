"""A staff-ready archive for web tests: an admin and an editor, a published session and a draft, signed-in clients.

Used by tests/test_staff_*.py. Everything is real: the catalog file, argon2 hashes, the app from ``create_app``.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from catalog import Catalog, SessionMeta, SpeakerCredit, TrackInput, ops_for
from tests.support.dbfile import checkpoint, sql_dump
from transcripts import Segment, Transcript, parse_chat
from uscm_archive.settings import Settings
from web.auth import (
    COOKIE_NAME,
    CookieSession,
    CookieSigner,
    hash_password,
    new_csrf_token,
    password_fingerprint,
)

ADMIN, EDITOR = "ann", "ed"
PASSWORD = "correct horse battery"
DRAFT_WORD = "zorbulent"
SECRET = "test-signing-key-" * 3

PUBLISHED_LINES = (
    ("Mayor Holt", "Good morning and welcome to the infrastructure roundtable."),
    ("Mayor Holt", "Our bridges were built for a city half this size."),
    ("David Holt", "We passed the bond with seventy percent of the vote."),
)
DRAFT_SPEAKER = "Councilor Zed Draftman"
DRAFT_TOPIC = "Secret Levees"
DRAFT_LINES = ((DRAFT_SPEAKER, f"The {DRAFT_WORD} plan stays secret until it is published."),)


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


_TEMPLATES: dict[str, Path] = {}


def build_staff_site(data_dir: Path, catalog_url: str = "", **settings) -> StaffSite:
    """The staff site in ``data_dir``: a copy of one template catalog built once per test run (argon2 hashing
    takes a few hundred ms per user, so the users are hashed once). With ``catalog_url`` (an empty PostgreSQL
    catalog), the template is restored into it and the site runs on it."""
    config = Settings(data_dir=data_dir, secret_key=SECRET, catalog_url=catalog_url, **settings)
    if "catalog" not in _TEMPLATES:
        folder = Path(tempfile.mkdtemp(prefix="uscm-staff-template-"))
        _TEMPLATES["catalog"] = folder / "catalog.db"
        _build_template(_TEMPLATES["catalog"])
    data_dir.mkdir(parents=True, exist_ok=True)
    if catalog_url:
        ops_for(catalog_url).restore(_TEMPLATES["catalog"])
    else:
        shutil.copyfile(_TEMPLATES["catalog"], config.catalog_path)
    return StaffSite(config, published=1, draft=2)


def _build_template(path: Path) -> None:
    catalog = Catalog.open(path)
    try:
        users = catalog.staff.users
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
            SessionMeta(
                title="Quiet Draft Session",
                date="2024-02-01",
                status="draft",
                speakers=(SpeakerCredit(DRAFT_SPEAKER),),
                topics=(DRAFT_TOPIC,),
            ),
            [TrackInput(transcript(DRAFT_LINES))],
        )
        assert (published, draft) == (1, 2)
        # webinar chat on both (tests/test_staff_web.py's public view looks for it in chat search)
        for session_id, word in ((published, "bridges"), (draft, DRAFT_WORD)):
            chat = parse_chat(f"00:00:05 From  Guest  to  Everyone:\n\tAsking about the {word} again.\n")
            catalog.staff.extras.set_chat(session_id, chat.messages, ADMIN)
    finally:
        catalog.close()
    checkpoint(path)


def signed_in(client: TestClient, site: StaffSite, name: str) -> TestClient:
    """Give ``client`` the cookie a sign-in as ``name`` gives (signed with the site's key), without paying for
    another argon2 check. Tests of signing in itself use ``sign_in``."""
    catalog = Catalog.open(site.catalog_path)
    try:
        user = catalog.staff.users.require(name)
        generation = catalog.staff.session_generations.current(user.id)
    finally:
        catalog.close()
    session = CookieSession(new_csrf_token(), user.id, password_fingerprint(user.password_hash), generation)
    client.cookies.set(COOKIE_NAME, CookieSigner(site.settings.secret_key).dumps(session))
    return client


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
    Catalog.open(path).close()  # migrated first, as the site would
    return sql_dump(path)


def api_token(site: StaffSite, name: str) -> dict[str, str]:
    """A fresh API token for ``name``, as the headers a script sends."""
    from web.auth import new_api_token, token_digest

    token = new_api_token()
    catalog = Catalog.open(site.catalog_path)
    try:
        users = catalog.staff.users
        users.add_token(users.require(name).id, token_digest(token), "test")
    finally:
        catalog.close()
    return {"Authorization": f"Bearer {token}"}
