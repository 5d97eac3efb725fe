"""A yt-dlp ``.info.json`` (with the caption files yt-dlp wrote beside it) into sessions, fully offline.

yt-dlp names caption files ``<base>.<language>.<vtt|srt>`` beside ``<base>.info.json``; each one found becomes a
track (its source, manual or auto, read from the info dict). A playlist's .info.json with ``entries`` gives one
session per entry; a channel or playlist listing without entries is refused: it describes no session
(``uscm-archive sync <its URL>`` fetches its videos).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from archive.errors import ArchiveError
from archive.metadata import caption_source, chapters_from_info, meta_from_info, source_key
from archive.options import IngestOptions
from archive.saving import FetchedSession, FetchedTrack
from transcripts import CAPTION_NAMES, parse_bytes

SUFFIX = ".info.json"


def is_info_json(path: str | Path) -> bool:
    return str(path).lower().endswith(SUFFIX)


def read_info_json(path: Path, options: IngestOptions) -> list[FetchedSession]:
    """Every session the file describes; raises naming the file when it is not a usable .info.json."""
    path = Path(path)
    info = _load(path)
    kind = info.get("_type") or "video"
    if kind in ("playlist", "multi_video"):
        entries = [e for e in info.get("entries") or () if isinstance(e, dict)]
        if not entries:
            title = info.get("title") or info.get("id") or "?"
            where = info.get("webpage_url") or info.get("original_url") or "its URL"
            raise ArchiveError(
                f"{path}: a {info.get('extractor_key') or 'yt-dlp'} channel or playlist listing ({title!r}) with no "
                f"videos in it, not a session; sync its videos with `uscm-archive sync {where}`"
            )
        return [_session(entry, None, options) for entry in entries]
    if kind not in ("video", "url"):
        raise ArchiveError(f"{path}: a yt-dlp {kind!r} entry, not a video")
    return [_session(info, path, options)]


def _load(path: Path) -> dict:
    if not path.exists():
        raise ArchiveError(f"{path}: no such file")
    try:
        info = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ArchiveError(f"{path}: cannot read it: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ArchiveError(f"{path}, line {exc.lineno}: not valid JSON: {exc.msg}") from exc
    if not isinstance(info, dict) or not (info.get("id") or info.get("title") or info.get("webpage_url")):
        raise ArchiveError(f"{path}: not a yt-dlp .info.json (no id, title or webpage_url)")
    return info


def _session(info: dict, path: Path | None, options: IngestOptions) -> FetchedSession:
    tracks = tuple(_tracks_beside(path, info, options)) if path else ()
    return FetchedSession(
        source_key=source_key(info),
        meta=meta_from_info(info, options),
        tracks=tracks,
        chapters=chapters_from_info(info),
    )


def _tracks_beside(path: Path, info: dict, options: IngestOptions):
    base = path.name[: -len(SUFFIX)]
    pattern = re.compile(
        re.escape(base) + r"\.([A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*)\.(" + "|".join(CAPTION_NAMES) + ")$", re.I
    )
    for candidate in sorted(path.parent.iterdir()):
        found = pattern.match(candidate.name)
        if not found:
            continue
        language, ext = found.group(1), found.group(2).lower()
        if options.languages and language not in options.languages:
            continue
        data = candidate.read_bytes()
        transcript = parse_bytes(data, str(candidate), language=language)
        if transcript.kind == "chapters" or not transcript.segments:
            continue
        yield FetchedTrack(transcript, language, caption_source(info, language), ext, raw=data)
