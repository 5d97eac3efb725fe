"""Which player a session page shows: our own ``<video>`` for archived media, YouTube's, or a plain link."""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import parse_qs, quote, urlsplit

from catalog import Session

_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "youtube-nocookie.com"}


@dataclass(frozen=True)
class Player:
    kind: str  # "video" (archived media), "youtube", "link" (elsewhere) or "none"
    src: str | None = None  # media URL, YouTube video id, or the link
    media_type: str | None = None


def youtube_id(url: str | None) -> str | None:
    """The video id of a YouTube watch, share, embed, live or shorts URL; ``None`` for anything else."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    candidate = None
    if host == "youtu.be":
        candidate = parts.path.strip("/").split("/")[0]
    elif host in _YOUTUBE_HOSTS or host.endswith(".youtube-nocookie.com"):
        if parts.path == "/watch":
            candidate = (parse_qs(parts.query).get("v") or [""])[0]
        else:
            pieces = parts.path.strip("/").split("/")
            if len(pieces) >= 2 and pieces[0] in ("embed", "live", "shorts", "v"):
                candidate = pieces[1]
    return candidate if candidate and _YOUTUBE_ID.match(candidate) else None


def media_url(session: Session) -> str | None:
    """Where the archived media file of ``session`` is served (with Range requests)."""
    if not session.media_path:
        return None
    name = PurePosixPath(session.media_path).name
    return f"/sessions/{session.id}/media/{quote(name)}"


def choose_player(session: Session) -> Player:
    local = media_url(session)
    if local:
        return Player("video", local, session.media_type)
    for url in (session.video_url, session.source_url):
        video = youtube_id(url)
        if video:
            return Player("youtube", video)
    link = session.video_url or session.source_url
    if link and urlsplit(link).scheme in ("http", "https"):
        return Player("link", link)
    return Player("none")


def plays_video(player: Player) -> bool:
    """Whether the page plays a video (YouTube, or archived media of a ``video/`` type), not audio or a link."""
    if player.kind == "youtube":
        return True
    if player.kind != "video":
        return False
    kind = player.media_type or mimetypes.guess_type(player.src or "")[0] or ""
    return kind.startswith("video/")
