"""schema.org ``VideoObject`` for a session page with a video to play (none for audio or a link elsewhere):
chapters as ``Clip`` parts that link to ``?t=N``, a ``SeekToAction`` (which is what ``?t=`` is), the transcript,
its language and the publisher."""

from __future__ import annotations

import json

from markupsafe import Markup

from catalog import Session, StoredChapter
from web.player import Player, plays_video
from web.timecode import iso_duration

DEFAULT_THUMBNAIL = "/static/session-thumbnail.png"


def thumbnail(session: Session, site: str) -> str:
    url = session.thumbnail_url
    if url and url.startswith(("https://", "http://")):
        return url
    return site + DEFAULT_THUMBNAIL


def upload_date(session: Session) -> str:
    return session.date or (session.published_at or session.created_at)[:10]


def clips(chapters: list[StoredChapter], canonical: str, duration: float | None) -> list[dict]:
    parts, seen = [], set()
    for index, chapter in enumerate(chapters):
        start = int(chapter.start)
        if start in seen:
            continue
        seen.add(start)
        following = chapters[index + 1].start if index + 1 < len(chapters) else duration
        end = chapter.end or following
        part = {"@type": "Clip", "name": chapter.title, "startOffset": start, "url": f"{canonical}?t={start}"}
        if end and end > start:
            part["endOffset"] = int(end)
        parts.append(part)
    return parts


def seek_to_action(canonical: str) -> dict:
    return {
        "@type": "SeekToAction",
        "target": f"{canonical}?t={{seek_to_second_number}}",
        "startOffset-input": "required name=seek_to_second_number",
    }


def video_object(
    session: Session,
    chapters: list[StoredChapter],
    site: str,
    player: Player,
    *,
    transcript: str = "",
    publisher: str = "",
) -> dict:
    canonical = f"{site}/sessions/{session.id}"
    data: dict = {
        "@context": "https://schema.org",
        "@type": "VideoObject",
        "name": session.title,
        "description": session.description or session.title,
        "thumbnailUrl": [thumbnail(session, site)],
        "uploadDate": upload_date(session),
        "url": canonical,
        "embedUrl": f"{canonical}/embed",
    }
    if session.duration:
        data["duration"] = iso_duration(session.duration)
    if player.kind == "video":
        data["contentUrl"] = (
            player.src if player.src.startswith(("https://", "http://")) else site + player.src
        )
    elif player.kind == "youtube":
        data["embedUrl"] = f"https://www.youtube-nocookie.com/embed/{player.src}"
    elif player.kind == "vimeo":
        data["embedUrl"] = f"https://player.vimeo.com/video/{player.src}"
    if session.event:
        data["isPartOf"] = {"@type": "Event", "name": session.event}
    if session.speakers:
        data["actor"] = [{"@type": "Person", "name": s.name} for s in session.speakers]
    if session.language:
        data["inLanguage"] = session.language
    if publisher:
        data["publisher"] = {"@type": "Organization", "name": publisher, "url": f"{site}/"}
    if transcript:
        data["transcript"] = transcript
    data["potentialAction"] = seek_to_action(canonical)
    parts = clips(chapters, canonical, session.duration)
    if parts and (session.duration or 0) >= 30:
        data["hasPart"] = parts
    return data


def script_safe_json(data: dict) -> Markup:
    """JSON that cannot end its ``<script type="application/ld+json">`` early or open markup."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def video_object_json(session: Session, chapters, site: str, player: Player, **extra) -> Markup | None:
    """The page's JSON-LD, or ``None`` when the session has no video to play."""
    if not plays_video(player):
        return None
    return script_safe_json(video_object(session, chapters, site, player, **extra))
