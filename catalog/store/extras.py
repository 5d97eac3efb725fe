"""Webinar extras of a session, timed to its video: chat messages (a Zoom chat export) and links. Reads, the
chat search (its own kind of hit, ``kind=chat``) and the writes staff make (``catalog.staff.extras``)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from catalog.errors import CatalogError
from catalog.models import MATCH_CLOSE, MATCH_OPEN, SearchRequest
from catalog.search.query import parse
from catalog.store.reads import event_names
from catalog.store.values import check_date

MAX_LINKS = 200
MAX_LINK_TITLE = 300
MAX_URL = 2000
MAX_CHAT_LIMIT = 100


@dataclass(frozen=True)
class ChatLine:
    id: int
    session_id: int
    start: float
    sender: str
    text: str


@dataclass(frozen=True)
class SessionLink:
    title: str
    url: str
    start: float | None = None


@dataclass(frozen=True)
class SlideDeck:
    """A session's slides: the PDF's address and, in time order, which page was shown from when."""

    pdf_url: str
    pages: tuple[tuple[int, float], ...]


@dataclass(frozen=True)
class ChatHit:
    session_id: int
    session_title: str
    session_date: str | None
    chat_id: int
    start: float
    sender: str
    text: str
    marked: str  # the message, each match between MATCH_OPEN and MATCH_CLOSE


@dataclass(frozen=True)
class ChatResults:
    query: str
    total: int
    hits: tuple[ChatHit, ...]
    limit: int
    offset: int


def chat(conn: sqlite3.Connection, session_id: int) -> list[ChatLine]:
    rows = conn.execute(
        "SELECT id, session_id, start, sender, text FROM session_chat WHERE session_id = ? ORDER BY position",
        (session_id,),
    ).fetchall()
    return [ChatLine(*row) for row in rows]


def links(conn: sqlite3.Connection, session_id: int) -> list[SessionLink]:
    rows = conn.execute(
        "SELECT title, url, start FROM session_links WHERE session_id = ? ORDER BY position", (session_id,)
    ).fetchall()
    return [SessionLink(*row) for row in rows]


def slides(conn: sqlite3.Connection, session_id: int) -> SlideDeck | None:
    row = conn.execute(
        "SELECT pdf_url, pages FROM session_slides WHERE session_id = ?", (session_id,)
    ).fetchone()
    if row is None:
        return None
    return SlideDeck(row[0], tuple((int(page), float(start)) for page, start in json.loads(row[1])))


def search_chat(conn: sqlite3.Connection, request: SearchRequest) -> ChatResults:
    """Chat messages of published sessions matching ``request`` (query, event, topic, dates, session), best
    first (bm25, ties by message id). A speaker filter names who spoke, not who chatted: it finds no messages."""
    check_date(request.since, "since")
    check_date(request.until, "until")
    limit, offset = min(max(int(request.limit), 1), MAX_CHAT_LIMIT), max(int(request.offset), 0)
    query = parse(request.query if isinstance(request.query, str) else "")
    if query.fts is None or request.speaker:
        return ChatResults(request.query, 0, (), limit, offset)
    where, params = _filters(conn, request)
    if getattr(conn, "dialect", "sqlite") == "postgresql":  # the same rule over its own index
        from catalog.search.pg_search import chat_page

        total, found = chat_page(conn, query, where, params, limit, offset)
        return ChatResults(request.query, total, tuple(ChatHit(*row) for row in found), limit, offset)
    body = f"""FROM chat_fts JOIN session_chat c ON c.id = chat_fts.rowid JOIN sessions se ON se.id = c.session_id
               WHERE chat_fts MATCH ? AND {where}"""
    total = conn.execute(f"SELECT count(*) {body}", [query.fts, *params]).fetchone()[0]
    rows = conn.execute(
        f"""SELECT c.session_id, se.title, se.date, c.id, c.start, c.sender, c.text,
                   highlight(chat_fts, 0, '{MATCH_OPEN}', '{MATCH_CLOSE}')
            {body} ORDER BY rank, c.id LIMIT ? OFFSET ?""",
        [query.fts, *params, limit, offset],
    ).fetchall()
    return ChatResults(request.query, total, tuple(ChatHit(*row) for row in rows), limit, offset)


def _filters(conn: sqlite3.Connection, request: SearchRequest) -> tuple[str, list]:
    where, params = ["se.status = 'published'"], []
    if request.session_id is not None:
        where.append("se.id = ?")
        params.append(request.session_id)
    if request.event:
        names = event_names(conn, request.event)
        where.append(f"se.event IN ({','.join('?' * len(names))})" if names else "0")
        params.extend(names)
    if request.topic:
        where.append(
            "se.id IN (SELECT st.session_id FROM session_topics st JOIN topics t ON t.id = st.topic_id "
            "WHERE t.slug = ? OR t.name = ? COLLATE NOCASE)"
        )
        params.extend([request.topic, request.topic])
    if request.since:
        where.append("se.date >= ?")
        params.append(request.since)
    if request.until:
        where.append("se.date <= ?")
        params.append(request.until)
    return " AND ".join(where), params


# -- writes (one transaction each, by ``catalog.staff.extras``) ----------------------------------------------
def replace_chat(conn: sqlite3.Connection, session_id: int, messages: Sequence) -> int:
    conn.execute("DELETE FROM session_chat WHERE session_id = ?", (session_id,))
    conn.executemany(
        "INSERT INTO session_chat (session_id, position, start, sender, text) VALUES (?, ?, ?, ?, ?)",
        [(session_id, n, float(m.start), m.sender, m.text) for n, m in enumerate(messages)],
    )
    return len(messages)


MAX_SLIDES = 2000


def _check_url(url: str, what: str) -> str:
    url = (url or "").strip()
    if (
        not url.lower().startswith(("https://", "http://"))
        or len(url) > MAX_URL
        or any(c.isspace() for c in url)
    ):
        raise CatalogError(f"{what}: {url[:80]!r} is not an http(s) address", field="slides")
    return url


def replace_slides(conn: sqlite3.Connection, session_id: int, deck: SlideDeck | None) -> int:
    conn.execute("DELETE FROM session_slides WHERE session_id = ?", (session_id,))
    if deck is None or not deck.pages:
        return 0
    url = _check_url(deck.pdf_url, "slides")
    if len(deck.pages) > MAX_SLIDES:
        raise CatalogError(f"at most {MAX_SLIDES} slide times", field="slides")
    pages = sorted((int(page), float(start)) for page, start in deck.pages)
    for page, start in pages:
        if not (1 <= page <= 100_000) or not (0 <= start < 10**6):
            raise CatalogError(f"page {page} at {start}: page numbers start at 1, times at 0", field="slides")
    pages.sort(key=lambda pair: (pair[1], pair[0]))
    conn.execute(
        "INSERT INTO session_slides (session_id, pdf_url, pages) VALUES (?, ?, ?)",
        (session_id, url, json.dumps(pages)),
    )
    return len(pages)


def clean_links(given: Sequence[SessionLink]) -> list[SessionLink]:
    if len(given) > MAX_LINKS:
        raise CatalogError(f"at most {MAX_LINKS} links per session", field="links")
    cleaned = []
    for number, link in enumerate(given, start=1):
        title, url = " ".join((link.title or "").split()), (link.url or "").strip()
        if not title or len(title) > MAX_LINK_TITLE:
            raise CatalogError(
                f"link {number}: give a title of 1 to {MAX_LINK_TITLE} characters", field="links"
            )
        if (
            not url.lower().startswith(("https://", "http://"))
            or len(url) > MAX_URL
            or any(c.isspace() for c in url)
        ):
            raise CatalogError(f"link {number}: {url[:80]!r} is not an http(s) address", field="links")
        if link.start is not None and not (0 <= float(link.start) < 10**6):
            raise CatalogError(f"link {number}: the time must be within the session", field="links")
        cleaned.append(SessionLink(title, url, None if link.start is None else float(link.start)))
    return cleaned


def replace_links(conn: sqlite3.Connection, session_id: int, given: Sequence[SessionLink]) -> int:
    cleaned = clean_links(given)
    conn.execute("DELETE FROM session_links WHERE session_id = ?", (session_id,))
    conn.executemany(
        "INSERT INTO session_links (session_id, position, title, url, start) VALUES (?, ?, ?, ?, ?)",
        [(session_id, n, link.title, link.url, link.start) for n, link in enumerate(cleaned)],
    )
    return len(cleaned)
