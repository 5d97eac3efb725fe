"""What a shared link shows (Open Graph and Twitter cards): the page's title, a description and an image; for a
moment (``?t=``) the quote said at that second, with ``t`` kept in the URL."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

from catalog import Session
from web.jsonld import DEFAULT_THUMBNAIL, thumbnail
from web.session_view import link_time
from web.timecode import parse_time

SITE_DESCRIPTION = (
    "Meetings and webinars of the U.S. Conference of Mayors, with every spoken word searchable: "
    "find a remembered phrase and play the moment it was said."
)
QUOTE_CHARS = 200
DEFAULT_THUMBNAIL_SIZE = (1280, 720)


@dataclass(frozen=True)
class Share:
    title: str
    description: str
    url: str
    image: str
    kind: str = "website"  # og:type


def shorten(text: str, limit: int = QUOTE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def moment_url(canonical: str, start: float | None, end: float | None) -> str:
    """``canonical`` with the moment's ``t`` (and ``end``) kept, so a shared link opens at that second."""
    params = {}
    if start is not None:
        params["t"] = link_time(start)
    if end is not None:
        params["end"] = link_time(end)
    return f"{canonical}?{urlencode(params)}" if params else canonical


def session_share(session: Session, context: dict, site: str, canonical: str) -> Share:
    moment = context["moment"]
    start = moment.start if context["start_given"] else None
    segment = moment.segment if start is not None else None
    if segment is not None:
        said = f"\u201c{segment.text}\u201d"
        description = shorten(f"{segment.speaker}: {said}" if segment.speaker else said)
    else:
        description = shorten(session.description or session.title)
    url = moment_url(canonical, start, moment.end)
    return Share(session.title, description, url, thumbnail(session, site), "video.other")


def embed_moment(query: str) -> str:
    """``?t=…&end=…`` for the embedded player, from a shared link's query (bad or missing times left out)."""
    values = parse_qs(query)
    start = parse_time((values.get("t") or [None])[0])
    end = parse_time((values.get("end") or [None])[0])
    params = {}
    if start is not None:
        params["t"] = link_time(start)
    if end is not None and end > (start or 0.0):
        params["end"] = link_time(end)
    return f"?{urlencode(params)}" if params else ""


def oembed_thumbnail(session: Session, site: str) -> dict:
    """The session's thumbnail (never null: the archive's own picture when the session has none)."""
    url = thumbnail(session, site)
    found = {"thumbnail_url": url}
    if url == site + DEFAULT_THUMBNAIL:
        found.update(thumbnail_width=DEFAULT_THUMBNAIL_SIZE[0], thumbnail_height=DEFAULT_THUMBNAIL_SIZE[1])
    return found
