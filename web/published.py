"""The published shape of a search: what ``/api/search``, ``search --json`` and the search page show of a hit.

The catalog gives each hit its text, its ``marked`` snippet (matches between ``MATCH_OPEN`` and ``MATCH_CLOSE``,
``…`` where cut) and the time its first match is said; this module makes the HTML snippet (escaped, ``<mark>``
balanced) and the moment link (``/sessions/{id}?t={whole seconds}``).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace
from urllib.parse import quote

from catalog import MATCH_CLOSE, MATCH_OPEN, CatalogError, Hit, SearchRequest, SearchResults

_WELL_MARKED = re.compile(
    f"[^{MATCH_OPEN}{MATCH_CLOSE}]*(?:{MATCH_OPEN}[^{MATCH_OPEN}{MATCH_CLOSE}]*{MATCH_CLOSE}[^{MATCH_OPEN}{MATCH_CLOSE}]*)*"
)


@dataclass(frozen=True)
class PublishedHit:
    session_id: int
    session_title: str
    session_date: str | None
    segment_id: int
    start: float
    end: float
    speaker: str | None
    text: str
    snippet: str  # HTML: text escaped, matches wrapped in <mark>...</mark>
    url: str  # /sessions/{id}?t={seconds}, with &lang= for a track other than the session's primary one
    language: str | None = None  # the language of the track the hit is in
    other_track: bool = False  # in another track than the session's primary one (its page needs ``?lang=``)


@dataclass(frozen=True)
class PublishedResults:
    query: str
    total: int
    hits: tuple[PublishedHit, ...]
    limit: int
    offset: int
    message: str | None = None
    ordered_by: str = "relevance"
    corrected_query: str | None = None  # the query searched instead of ``query`` when it held a typo

    def public_dict(self) -> dict:
        """The one published shape of a search, shared by ``search --json`` and ``/api/search``."""
        return {
            "query": self.query,
            "corrected_query": self.corrected_query,
            "total": self.total,
            "results": [
                {
                    "kind": "speech",
                    "session_id": hit.session_id,
                    "session_title": hit.session_title,
                    "session_date": hit.session_date,
                    "start": float(hit.start),
                    "end": float(hit.end),
                    "speaker": hit.speaker,
                    "text": hit.text,
                    "snippet": hit.snippet,
                    "url": hit.url,
                    "language": hit.language,
                }
                for hit in self.hits
            ],
        }


KINDS = ("all", "speech", "chat")  # what a search looks in: both, the spoken words, the webinar chat
CHAT_BESIDE = 5  # chat messages listed after the spoken moments on the first page of an "all" search


def chat_hit_dict(hit) -> dict:
    """A chat message as a search result: the published hit shape with ``kind`` "chat" and the sender as
    ``speaker``; its link opens the session at the second the message was sent."""
    return {
        "kind": "chat",
        "session_id": hit.session_id,
        "session_title": hit.session_title,
        "session_date": hit.session_date,
        "start": float(hit.start),
        "end": float(hit.start),
        "speaker": hit.sender,
        "text": hit.text,
        "snippet": marked_html(hit.marked),
        "url": hit_url(hit.session_id, hit.start),
    }


def search_kinds(catalog, request: SearchRequest, kind: str = "all"):
    """(spoken results or ``None``, chat results or ``None``) of ``request`` for ``kind``: "speech" is the
    transcript search, "chat" the webinar chat's, "all" both (chat's first messages beside the first page)."""
    if kind not in KINDS:
        raise CatalogError(f"unknown kind {kind!r}: use all, speech or chat", field="kind")
    speech = catalog.search(request) if kind != "chat" else None
    if kind == "speech":
        return speech, None
    if kind == "chat":
        return None, catalog.search_chat(request)
    chat = catalog.search_chat(replace(request, limit=CHAT_BESIDE, offset=0))
    return speech, chat if request.offset == 0 else replace(chat, hits=())


def search_dict(speech: PublishedResults | None, chat, query: str) -> dict:
    """The one published shape of a search of any kind: spoken moments (``speech``), then chat messages
    (``chat``, a catalog ``ChatResults``); ``total`` counts the spoken moments unless only chat was asked,
    ``chat_total`` the chat messages."""
    body = (
        speech.public_dict() if speech is not None else {"query": query, "total": chat.total, "results": []}
    )
    body["chat_total"] = chat.total if chat is not None else 0
    if chat is not None:
        body["results"].extend(chat_hit_dict(hit) for hit in chat.hits)
    return body


def published(results: SearchResults) -> PublishedResults:
    """``results`` with each hit's HTML snippet and moment link."""
    return PublishedResults(
        results.query,
        results.total,
        tuple(published_hit(hit) for hit in results.hits),
        results.limit,
        results.offset,
        results.message,
        results.ordered_by,
        results.corrected_query,
    )


def published_hit(hit: Hit) -> PublishedHit:
    return PublishedHit(
        hit.session_id,
        hit.session_title,
        hit.session_date,
        hit.segment_id,
        hit.start,
        hit.end,
        hit.speaker,
        hit.text,
        marked_html(hit.marked),
        hit_url(hit.session_id, hit.start, None if hit.primary else hit.language),
        hit.language,
        not hit.primary,
    )


def hit_url(session_id: int, start: float, language: str | None = None) -> str:
    """The published moment link of a hit: whole seconds, as the API has always given them; ``language`` for a
    hit in another track than the primary one (the session page shows that track's transcript)."""
    url = f"/sessions/{session_id}?t={int(start)}"
    return f"{url}&lang={quote(language)}" if language else url


def marked_html(text: str) -> str:
    """Escape everything, then turn the match markers into ``<mark>`` tags (balanced)."""
    escaped = html.escape(text.replace(MATCH_OPEN + MATCH_CLOSE, ""), quote=True)
    if _WELL_MARKED.fullmatch(escaped):
        return escaped.replace(MATCH_OPEN, "<mark>").replace(MATCH_CLOSE, "</mark>")
    out, depth = [], 0
    for char in escaped:
        if char == MATCH_OPEN:
            out.append("<mark>" if depth == 0 else "")
            depth += 1
        elif char == MATCH_CLOSE:
            out.append("</mark>" if depth == 1 else "")
            depth = max(depth - 1, 0)
        else:
            out.append(char)
    return "".join(out) + ("</mark>" if depth else "")
