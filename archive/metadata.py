"""What yt-dlp says about a video (its info dict), in the archive's words: a session's metadata, chapters,
source key, and the caption tracks on offer per language.

Source keys: ``<extractor>:<id>`` (``youtube:emyi4z-O0ls``, ``vimeo:123``) so that a URL, a later sync and an
offline ``.info.json`` of the same video are one session; pages found by the generic extractor (a ``<video>``
on any web page) are keyed by their page URL, ``url:<page url>`` (plus ``#<id>`` for the n-th video of a page).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from archive.credits import split_credit
from archive.options import IngestOptions
from catalog import SessionMeta
from transcripts import CAPTION_NAMES, Chapter

GENERIC_EXTRACTORS = {"generic", "html5mediaembed", ""}
CAPTION_FORMATS = CAPTION_NAMES  # what transcripts/ reads, best first
EXTRA_FIELDS = ("id", "extractor_key", "uploader", "uploader_url", "channel_url", "categories", "live_status")


@dataclass(frozen=True)
class CaptionChoice:
    """The track chosen for one language: ``source`` is ``manual`` (uploaded) or ``auto`` (automatic)."""

    language: str
    source: str
    url: str
    ext: str
    headers: dict


def extractor_of(info: dict) -> str:
    return str(info.get("extractor_key") or info.get("ie_key") or "").lower()


def is_generic(info: dict) -> bool:
    return extractor_of(info) in GENERIC_EXTRACTORS


def source_key(info: dict) -> str:
    """The stable key of the session a (video) info dict describes."""
    if is_generic(info) or not info.get("id"):
        page = info.get("webpage_url") or info.get("original_url") or info.get("url")
        in_page = info.get("playlist_index") is not None and info.get("id")
        return f"url:{page}" + (f"#{info['id']}" if in_page else "")
    return f"{extractor_of(info)}:{info['id']}"


def meta_from_info(info: dict, options: IngestOptions) -> SessionMeta:
    """A session's metadata from an info dict; what ``options`` gives (title, date, event...) wins."""
    return SessionMeta(
        title=options.title or clean_title(info),
        date=options.date or info_date(info),
        event=options.event,
        description=options.description or (info.get("description") or None),
        source_url=info.get("webpage_url") or info.get("original_url"),
        video_url=options.video_url or video_url(info),
        thumbnail_url=info.get("thumbnail") or _best_thumbnail(info),
        duration=_number(info.get("duration")),
        language=info.get("language") or None,
        channel=info.get("channel") or info.get("uploader") or None,
        tags=tuple(str(t) for t in info.get("tags") or () if str(t).strip()),
        speakers=tuple(c for c in map(split_credit, options.speakers) if c),
        topics=tuple(t.strip() for t in options.topics if t.strip()),
        status="draft" if options.draft else "published",
        extra={k: info[k] for k in EXTRA_FIELDS if info.get(k) not in (None, "", [])},
    )


def clean_title(info: dict) -> str:
    title = str(info.get("title") or info.get("id") or "Untitled session").strip()
    if is_generic(info) and info.get("playlist_index") is None:
        title = re.sub(r" \(1\)$", "", title)  # the generic extractor numbers a page's only video
    return title


def info_date(info: dict) -> str | None:
    """The meeting's date as the source gives it; never a date taken from HTTP headers.

    yt-dlp's generic extractor (a plain page with a ``<video>``) sets ``upload_date`` from the server's
    ``Last-Modified`` header, which says when the file last changed, not when the meeting was: such a session
    gets no date rather than a wrong one (``--date`` or the staff area give it one).
    """
    fields = ("release_date",) if is_generic(info) else ("release_date", "upload_date")
    for field in fields:
        value = str(info.get(field) or "")
        if re.fullmatch(r"\d{8}", value):
            return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return None


def video_url(info: dict) -> str | None:
    """Where the video plays: the page for sites with a player, the media file for a bare ``<video>``."""
    media = info.get("url")
    if is_generic(info) and isinstance(media, str) and media.startswith(("http://", "https://")):
        return media
    return info.get("webpage_url") or info.get("original_url")


def chapters_from_info(info: dict) -> tuple[Chapter, ...]:
    chapters = []
    for raw in info.get("chapters") or ():
        start, title = _number(raw.get("start_time")), str(raw.get("title") or "").strip()
        if start is None or not title:
            continue
        chapters.append(Chapter(start=start, title=title, end=_number(raw.get("end_time"))))
    return tuple(sorted(chapters, key=lambda c: c.start))


def choose_caption(info: dict, language: str) -> CaptionChoice | None:
    """The uploaded track for exactly ``language`` if there is one, else the automatic one; never a machine
    translation; only formats the archive can read."""
    for source, field in (("manual", "subtitles"), ("auto", "automatic_captions")):
        tracks = (info.get(field) or {}).get(language) or []
        usable = [
            t for t in tracks if t.get("ext") in CAPTION_FORMATS and t.get("url") and not _translated(t)
        ]
        if usable:
            best = min(usable, key=lambda t: CAPTION_FORMATS.index(t["ext"]))
            return CaptionChoice(
                language, source, best["url"], best["ext"], dict(best.get("http_headers") or {})
            )
    return None


def caption_source(info: dict, language: str) -> str:
    """For a caption file already downloaded beside an .info.json: which kind of track it was."""
    if language in (info.get("subtitles") or {}):
        return "manual"
    if language in (info.get("automatic_captions") or {}):
        return "auto"
    return "upload"


def _translated(track: dict) -> bool:
    """YouTube serves machine translations of a track with a ``tlang`` parameter."""
    return "tlang" in parse_qs(urlsplit(str(track.get("url"))).query)


def _best_thumbnail(info: dict) -> str | None:
    thumbnails = [t for t in info.get("thumbnails") or () if t.get("url")]
    if not thumbnails:
        return None
    return max(thumbnails, key=lambda t: (t.get("preference") or 0, t.get("width") or 0))["url"]


def _number(value) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
