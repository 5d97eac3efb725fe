"""Frozen dataclasses the catalog takes and gives. No SQL here."""

from __future__ import annotations

from dataclasses import dataclass, field

from transcripts import Transcript

STATUSES = ("draft", "published", "retracted")
SESSION_ID = "{session_id}"  # in TrackInput.raw_path / MediaInput.path: replaced by the id when saved
TRACK_SOURCES = ("manual", "auto", "upload", "asr")  # asr: archive/asr.py, offline
MATCH_OPEN, MATCH_CLOSE = "\x02", "\x03"  # around each match in ``Hit.marked`` (never in stored text)


@dataclass(frozen=True)
class SpeakerCredit:
    """A speaker as credited on a session: ``name`` plus the ``role`` given there (e.g. "Mayor of Tulsa")."""

    name: str
    role: str | None = None


@dataclass(frozen=True)
class SessionMeta:
    """What a session is, as given by a source or a staffer. ``None`` means unknown."""

    title: str
    date: str | None = None  # YYYY-MM-DD
    event: str | None = None
    description: str | None = None
    source_url: str | None = None
    video_url: str | None = None
    thumbnail_url: str | None = None
    duration: float | None = None
    language: str | None = None
    channel: str | None = None
    tags: tuple[str, ...] = ()
    speakers: tuple[SpeakerCredit, ...] = ()
    topics: tuple[str, ...] = ()
    status: str = "published"
    extra: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class TrackInput:
    """One caption track to store with a session. ``raw_path`` is relative to the data folder; ``SESSION_ID`` in
    it becomes the session's id (so a new session's file path is known in the transaction that creates it)."""

    transcript: Transcript
    language: str = "en"
    source: str = "upload"  # manual | auto | upload
    raw_path: str | None = None
    reviewed: bool = False


@dataclass(frozen=True)
class MediaInput:
    path: str  # relative to the data folder (``SESSION_ID`` in it becomes the session's id)
    size: int
    sha256: str
    mime: str | None = None


@dataclass(frozen=True)
class SpeakerRef:
    id: int
    name: str
    slug: str
    role: str | None = None


@dataclass(frozen=True)
class TopicRef:
    id: int
    name: str
    slug: str


@dataclass(frozen=True)
class TrackInfo:
    id: int
    language: str
    source: str
    format: str | None
    raw_path: str | None
    reviewed: bool
    is_primary: bool


@dataclass(frozen=True)
class Session:
    id: int
    source_key: str
    title: str
    date: str | None
    event: str | None
    description: str | None
    source_url: str | None
    video_url: str | None
    thumbnail_url: str | None
    duration: float | None
    language: str | None
    channel: str | None
    tags: tuple[str, ...]
    status: str
    has_transcript: bool
    segment_count: int
    media_path: str | None
    media_size: int | None
    media_sha256: str | None
    media_type: str | None
    created_at: str
    updated_at: str
    published_at: str | None = None
    speakers: tuple[SpeakerRef, ...] = ()
    topics: tuple[TopicRef, ...] = ()
    tracks: tuple[TrackInfo, ...] = ()
    extra: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class StoredSegment:
    """A segment as stored: ``id`` and ``position`` let pages link and staff correct it."""

    id: int
    session_id: int
    position: int
    start: float
    end: float
    text: str
    speaker: str | None = None
    speaker_slug: str | None = None
    marks: tuple[tuple[int, float], ...] = ()


@dataclass(frozen=True)
class StoredChapter:
    id: int
    session_id: int
    start: float
    end: float | None
    title: str


@dataclass(frozen=True)
class SearchRequest:
    """A search as a user asked it. ``query`` is raw user input: any string is acceptable."""

    query: str
    limit: int = 20
    offset: int = 0
    session_id: int | None = None
    speaker: str | None = None  # slug or name
    topic: str | None = None  # slug or name
    event: str | None = None
    since: str | None = None  # YYYY-MM-DD inclusive
    until: str | None = None  # YYYY-MM-DD inclusive
    exact: bool = False
    include_drafts: bool = False
    correct: bool = True  # read a misspelt word as the archive's nearest word (catalog/search/typos.py)


@dataclass(frozen=True)
class Hit:
    session_id: int
    session_title: str
    session_date: str | None
    segment_id: int
    start: float  # where the match begins (word or cue inside the segment)
    end: float
    speaker: str | None
    text: str
    marked: str  # a run of ``text``: each match between MATCH_OPEN and MATCH_CLOSE, "…" where it was cut


@dataclass(frozen=True)
class SearchResults:
    query: str
    total: int
    hits: tuple[Hit, ...]
    limit: int
    offset: int
    message: str | None = None  # e.g. "Type a word or phrase to search." for an empty query
    ordered_by: str = "relevance"  # or "date" when the query matched too much to rank
    corrected_query: str | None = None  # the query searched instead of ``query`` when it held a typo


@dataclass(frozen=True)
class Facet:
    value: str  # the name (event name, topic name, year, speaker name)
    slug: str
    count: int
