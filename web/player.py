"""Which player a session page shows: our own ``<video>`` for archived media, YouTube's or Vimeo's (through
their player APIs), a ``<video>`` for a media file on a host the operator allows, or a plain link."""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import parse_qs, quote, urlsplit

from catalog import Session

_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "youtube-nocookie.com"}
_VIMEO_HOSTS = {"vimeo.com", "www.vimeo.com", "player.vimeo.com"}
_VIMEO_ID = re.compile(r"^[0-9]{1,12}$")
# Direct media the browser's <video> may play, by the URL's file extension.
MEDIA_TYPES = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".webm": "video/webm",
    ".ogv": "video/ogg",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".wav": "audio/wav",
    ".m3u8": "application/vnd.apple.mpegurl",  # HLS: only where the browser plays it natively
}


@dataclass(frozen=True)
class Player:
    kind: str  # "video" (archived or allowed direct media), "youtube", "vimeo", "link" (elsewhere) or "none"
    src: str | None = None  # media URL, YouTube or Vimeo video id, or the link
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


def vimeo_id(url: str | None) -> str | None:
    """The video id of a vimeo.com, vimeo.com/channels/…/ID or player.vimeo.com/video/ID URL."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if (parts.hostname or "").lower() not in _VIMEO_HOSTS or parts.scheme not in ("http", "https"):
        return None
    pieces = [piece for piece in parts.path.split("/") if piece]
    candidate = pieces[-1] if pieces else ""
    if len(pieces) >= 2 and _VIMEO_ID.match(pieces[-2]) and not _VIMEO_ID.match(candidate):
        candidate = pieces[-2]  # vimeo.com/ID/HASH (an unlisted video)
    return candidate if _VIMEO_ID.match(candidate) else None


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL, lower-case; ``None`` for anything else."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.hostname.lower()}" + (f":{port}" if port else "")


def direct_media(url: str | None, media_hosts: tuple[str, ...]) -> Player | None:
    """A ``<video>`` player for a media file on one of the allowed ``media_hosts`` (origins), else ``None``."""
    if not url or not media_hosts:
        return None
    origin = origin_of(url)
    if origin is None or origin not in {host.rstrip("/").lower() for host in media_hosts}:
        return None
    suffix = PurePosixPath(urlsplit(url).path).suffix.lower()
    media_type = MEDIA_TYPES.get(suffix)
    return Player("video", url.strip(), media_type) if media_type else None


def media_url(session: Session) -> str | None:
    """Where the archived media file of ``session`` is served (with Range requests)."""
    if not session.media_path:
        return None
    name = PurePosixPath(session.media_path).name
    return f"/sessions/{session.id}/media/{quote(name)}"


def choose_player(session: Session, media_hosts: tuple[str, ...] = ()) -> Player:
    local = media_url(session)
    if local:
        return Player("video", local, session.media_type)
    for url in (session.video_url, session.source_url):
        video = youtube_id(url)
        if video:
            return Player("youtube", video)
        video = vimeo_id(url)
        if video:
            return Player("vimeo", video)
        direct = direct_media(url, media_hosts)
        if direct:
            return direct
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
