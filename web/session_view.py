"""What a session page shows, computed from the catalog: transcript lines and the moment in ``?t=``."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from urllib.parse import urlencode

from markupsafe import Markup, escape

from catalog import Catalog, NotFound, Session, StoredChapter, StoredSegment
from transcripts import EXPORT_FORMATS
from web.highlight import highlight, query_terms, terms_pattern
from web.hit_markers import match_times
from web.player import Player, choose_player
from web.timecode import parse_time

DOWNLOAD_FORMATS = tuple((fmt.name, fmt.label) for fmt in EXPORT_FORMATS)
TOLERANCE = 0.011  # link times carry two decimals; a rounded time still lands in its own segment
WHOLE_SECOND = 0.999  # a whole-second link (``?t=148``) was rounded down from somewhere in that second


@dataclass(frozen=True)
class Line:
    """One transcript segment as shown: its escaped (maybe highlighted) text and whether it is the moment."""

    id: int
    start: float
    end: float
    text: str
    html: Markup
    speaker: str | None
    speaker_slug: str | None
    new_speaker: bool
    current: bool


@dataclass(frozen=True)
class Moment:
    """The place ``?t=`` points at: its time, the segment said there, and how to cite it."""

    start: float
    end: float | None
    segment: StoredSegment | None


def link_time(seconds: float) -> str:
    """A time for a URL: ``90`` or ``90.25`` (two decimals at most, never in the previous segment)."""
    value = round(max(0.0, seconds), 2)
    return str(int(value)) if value == int(value) else f"{value:.2f}".rstrip("0")


def moment_url(session_id: int, seconds: float, query: str | None = None, lang: str | None = None) -> str:
    params = {"t": link_time(seconds)}
    if query:
        params["q"] = query
    if lang:
        params["lang"] = lang
    return f"/sessions/{session_id}?{urlencode(params)}"


def segment_at(segments: list[StoredSegment], seconds: float, tolerance: float = TOLERANCE) -> int | None:
    """Index of the segment being said at ``seconds`` (the last one starting at or before it, give or take
    ``tolerance``: links carry rounded times)."""
    starts = [s.start for s in segments]
    index = bisect.bisect_right(starts, seconds + tolerance) - 1
    return index if index >= 0 else None


LOW_CONFIDENCE = 0.5  # automatic transcripts: words recognised below this probability are marked


def build_lines(
    segments: list[StoredSegment],
    query: str | None,
    current: int | None,
    low_words: dict[int, list[tuple[int, int]]] | None = None,
) -> tuple[list[Line], int]:
    pattern = terms_pattern(query_terms(query))
    lines, total, previous = [], 0, object()
    for index, segment in enumerate(segments):
        html, count = highlight(segment.text, pattern)
        if not count and low_words and segment.id in low_words:
            html = mark_low(segment.text, low_words[segment.id])
        total += count
        lines.append(
            Line(
                id=segment.id,
                start=segment.start,
                end=segment.end,
                text=segment.text,
                html=html,
                speaker=segment.speaker,
                speaker_slug=segment.speaker_slug,
                new_speaker=bool(segment.speaker) and segment.speaker != previous,
                current=index == current,
            )
        )
        previous = segment.speaker
    return lines, total


def chapter_rows(chapters: list[StoredChapter]) -> list[StoredChapter]:
    return sorted(chapters, key=lambda c: c.start)


@dataclass(frozen=True)
class ChatRow:
    """A webinar chat message as shown beside the transcript; ``current`` for the one sent at the linked time."""

    start: float
    sender: str
    text: str
    current: bool


def chat_rows(chat, start: float | None) -> list[ChatRow]:
    starts = [message.start for message in chat]
    current = bisect.bisect_right(starts, start + TOLERANCE) - 1 if start is not None else -1
    return [ChatRow(m.start, m.sender, m.text, n == current) for n, m in enumerate(chat)]


def mark_low(text: str, spans: list[tuple[int, int]]) -> Markup:
    """The text with each low-confidence word in ``<span class="asr-low">`` (a visual mark only: the words read
    the same to a screen reader)."""
    parts, at = [], 0
    for start, end in sorted(spans):
        if start < at or end > len(text):
            continue
        parts.append(escape(text[at:start]))
        parts.append(Markup('<span class="asr-low">') + escape(text[start:end]) + Markup("</span>"))
        at = end
    parts.append(escape(text[at:]))
    return Markup("").join(parts)


def session_context(
    catalog: Catalog,
    session: Session,
    *,
    t: str | None,
    end: str | None,
    q: str | None,
    media_hosts: tuple[str, ...] = (),
    lang: str | None = None,
) -> dict:
    shown = shown_language(session, lang)
    segments = catalog.segments(session.id, shown)
    start = parse_time(t)
    stop = parse_time(end)
    bad_time = bool(t and t.strip()) and start is None
    if stop is not None and start is None:
        start = 0.0  # ``?end=`` alone: a clip from the beginning
    if stop is not None and stop <= start:
        stop = None
    tolerance = WHOLE_SECOND if start is not None and start == int(start) else TOLERANCE
    current = segment_at(segments, start, tolerance) if start is not None else None
    asr = catalog.asr_track(session.id) if shown is None else None
    low = catalog.low_confidence_words(session.id, LOW_CONFIDENCE) if asr else None
    lines, match_count = build_lines(segments, q, current, low)
    matches = match_times(segments, terms_pattern(query_terms(q)))
    moment = Moment(start or 0.0, stop, segments[current] if current is not None else None)
    player: Player = choose_player(session, media_hosts)
    return {
        "session": session,
        "player": player,
        "lines": lines,
        "match_count": match_count,
        "matches": matches,
        "timeline_seconds": max([session.duration or 0.0, *(s.end for s in segments)]),
        "query": (q or "").strip(),
        "moment": moment,
        "start_given": start is not None,
        "bad_time": bad_time,
        "chapters": chapter_rows(catalog.chapters(session.id)),
        "chat": chat_rows(catalog.chat(session.id), start),
        "links": catalog.links(session.id),
        "slides": catalog.slides(session.id),
        "downloads": DOWNLOAD_FORMATS,
        "link_time": link_time,
        "asr": asr,
        "transcript_lang": shown or primary_language(session),
        "other_lang": shown,  # set when the page shows another track than the primary one (``?lang=``)
        "track_langs": [track.language for track in session.tracks],
        "caption_tracks": caption_tracks(session, shown),
    }


@dataclass(frozen=True)
class CaptionTrack:
    """A ``<track>`` of the player: one per caption track of the session, the shown one the default."""

    src: str
    lang: str
    label: str
    default: bool


def caption_tracks(session: Session, shown: str | None) -> list[CaptionTrack]:
    primary = session.language or primary_language(session) or "en"
    found = [CaptionTrack(f"/sessions/{session.id}/transcript.vtt", primary, _label(primary), shown is None)]
    for track in session.tracks:
        if not track.is_primary:
            src = f"/sessions/{session.id}/transcript.vtt?{urlencode({'lang': track.language})}"
            found.append(CaptionTrack(src, track.language, _label(track.language), track.language == shown))
    return found


def _label(language: str) -> str:
    return "English captions" if language.startswith("en") else f"{language} captions"


def primary_language(session: Session) -> str | None:
    primary = [track.language for track in session.tracks if track.is_primary]
    return primary[0] if primary else session.language


def shown_language(session: Session, lang: str | None) -> str | None:
    """The language ``?lang=`` asks for when it is another track than the primary one, else ``None`` (the
    primary transcript). A language the session has no track in is ``NotFound`` (the friendly 404 page)."""
    lang = (lang or "").strip()
    if not lang or lang == primary_language(session):
        return None
    if lang not in {track.language for track in session.tracks}:
        raise NotFound(f"session {session.id} has no transcript in {lang[:40]!r}")
    return lang
