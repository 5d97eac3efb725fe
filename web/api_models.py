"""Pydantic shapes of the JSON API: they validate nothing coming in, they describe what goes out (OpenAPI)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    code: str = Field(description="machine-readable: not_found, invalid_parameter, ...")
    message: str = Field(description="one sentence for a person")


class ErrorBody(BaseModel):
    error: ErrorDetail


class SpeakerOut(BaseModel):
    name: str
    slug: str
    role: str | None = None
    url: str


class TopicOut(BaseModel):
    name: str
    slug: str


class ChapterOut(BaseModel):
    start: float
    end: float | None = None
    title: str
    url: str


class SessionSummary(BaseModel):
    id: int
    title: str
    date: str | None
    event: str | None
    duration: float | None
    has_transcript: bool
    url: str
    speakers: list[SpeakerOut]
    topics: list[TopicOut]


class SessionDetail(SessionSummary):
    description: str | None
    source_url: str | None
    video_url: str | None
    thumbnail_url: str | None
    language: str | None
    media_url: str | None
    segment_count: int
    chapters: list[ChapterOut]
    downloads: dict[str, str]


class SessionList(BaseModel):
    total: int
    limit: int
    offset: int
    sessions: list[SessionSummary]


class SegmentOut(BaseModel):
    id: int
    start: float
    end: float
    speaker: str | None
    text: str
    url: str


class TranscriptOut(BaseModel):
    session_id: int
    segments: list[SegmentOut]
    chapters: list[ChapterOut]


class SearchResultOut(BaseModel):
    kind: str = Field(
        "speech", description='"speech" (a transcript moment) or "chat" (a webinar chat message)'
    )
    session_id: int
    session_title: str
    session_date: str | None
    start: float
    end: float
    speaker: str | None
    text: str
    snippet: str = Field(description="HTML: the text escaped, matches wrapped in <mark>")
    url: str
    language: str | None = Field(None, description="the language of the caption track the hit is in")


class SearchOut(BaseModel):
    query: str
    corrected_query: str | None = None  # the query searched instead, when a word of it was misspelt
    total: int
    results: list[SearchResultOut]
    chat_total: int = Field(0, description="chat messages matching (kind all or chat)")


class FacetOut(BaseModel):
    value: str
    slug: str
    count: int


class OEmbedOut(BaseModel):
    version: str = "1.0"
    type: str = "video"
    title: str
    provider_name: str
    provider_url: str
    html: str
    width: int
    height: int
    thumbnail_url: str
    thumbnail_width: int | None = None  # given for the archive's own picture; left out when unknown
    thumbnail_height: int | None = None
