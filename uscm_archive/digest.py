"""E-mail digests of saved searches: each staffer gets one letter listing the new sessions matching their saved
searches since their last digest (``uscm-archive digest``, run by hand or on a timer; docs/operations.md).

The catalog says what is new (``Catalog.new_moments``: published sessions only, newest first) and remembers what
each search has mailed (``catalog.staff.searches``); ``uscm_archive.mail`` sends. A search's sessions are marked
sent once the server has taken its letter, so a failed run mails them again next time, and a second run sends
nothing new.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import groupby

from catalog import Catalog, SearchRequest
from uscm_archive.mail import Letter
from web.session_view import moment_url
from web.timecode import clock


@dataclass(frozen=True)
class Digest:
    """One staffer's letter and, per saved search, the sessions it lists."""

    user_name: str
    letter: Letter
    sessions: dict[int, tuple[int, ...]] = field(default_factory=dict, hash=False, compare=False)


def digests(catalog: Catalog, site: str, site_name: str) -> list[Digest]:
    """The letters due now: one per staffer with at least one new matching session."""
    due = []
    searches = catalog.staff.searches.list()
    for _, group in groupby(searches, key=lambda saved: saved.user_id):
        digest = user_digest(catalog, list(group), site, site_name)
        if digest is not None:
            due.append(digest)
    return due


def user_digest(catalog: Catalog, searches: list, site: str, site_name: str) -> Digest | None:
    sections, sent = [], {}
    for saved in searches:
        request = SearchRequest(query=saved.query, **saved.filters)
        skip = catalog.staff.searches.sent_sessions(saved.id)
        found = catalog.new_moments(request, since=saved.created_at, skip=skip, limit=50)
        sent[saved.id] = tuple(moments.session_id for moments in found)
        if found:
            sections.append(search_section(saved, found, site))
    if not sections:
        return None
    latest = searches[-1]
    count = sum(len(ids) for ids in sent.values())
    subject = f"{site_name}: {count} new session{'s' if count != 1 else ''} for your saved searches"
    body = "\n\n".join(sections) + f"\n\n-- \nYour saved searches: {site}/staff/searches\n"
    return Digest(latest.user_name, Letter(latest.email, subject, body), sent)


def search_section(saved, found, site: str) -> str:
    filters = ", ".join(f"{name}: {value}" for name, value in sorted(saved.filters.items()))
    lines = [f"Search: {saved.query}" + (f" ({filters})" if filters else "")]
    for moments in found:
        when = f", {moments.date}" if moments.date else ""
        lines.append(f"\n  {moments.title}{when} — {moments.total} moment{'s' if moments.total != 1 else ''}")
        for hit in moments.hits:
            speaker = f"{hit.speaker}: " if hit.speaker else ""
            lines.append(f"    {clock(hit.start)}  {speaker}{plain_quote(hit.text)}")
            lines.append(f"      {site}{moment_url(hit.session_id, hit.start, saved.query)}")
    return "\n".join(lines)


def plain_quote(text: str, width: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def run_digests(catalog: Catalog, due: list[Digest], send: Callable) -> int:
    """Send ``due`` with ``send(letters, on_sent)``, marking each letter's sessions sent once it is taken."""
    by_letter = {id(digest.letter): digest for digest in due}

    def on_sent(letter: Letter) -> None:
        catalog.staff.searches.mark_sent(by_letter[id(letter)].sessions)

    return send([digest.letter for digest in due], on_sent)
