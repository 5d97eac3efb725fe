"""What a caller asks of an ingest (``IngestOptions``), how hard it retries, and what it gets back."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DEFAULT_LANGUAGES = ("en",)


@dataclass(frozen=True)
class RetryPolicy:
    """Transient failures are tried ``attempts`` times with ``base_delay`` doubling up to ``max_delay``.
    An HTTP 429 is not retried in the same run: the item is due again after ``rate_limit_wait`` seconds
    (or the server's ``Retry-After``)."""

    attempts: int = 3
    base_delay: float = 2.0
    max_delay: float = 60.0
    rate_limit_wait: float = 900.0
    sleep: Callable[[float], None] = time.sleep

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return min(self.max_delay, self.base_delay * 2 ** (attempt - 1))


@dataclass(frozen=True)
class ProgressEvent:
    """``done`` of ``total`` items finished; ``title`` is the current one; ``percent`` is a media download's."""

    done: int
    total: int
    title: str | None = None
    percent: float | None = None
    message: str | None = None


Progress = Callable[[ProgressEvent], None]


@dataclass(frozen=True)
class IngestOptions:
    """Everything optional about an ingest. Metadata given here wins over what a source says."""

    title: str | None = None
    date: str | None = None
    event: str | None = None
    description: str | None = None
    video_url: str | None = None
    speakers: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()  # caption languages; empty = the file's own (files) or "en" (URLs)
    draft: bool = False
    media: bool = False  # also download the media (URLs)
    allow_private: bool = True  # the web staff area sets False: no loopback/private hosts
    refresh_newest: int = 3  # sync: refresh the metadata of this many newest entries already done
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    downloader: Callable[[dict], Any] | None = None  # the yt-dlp seam: params -> YoutubeDL
    by: str | None = None  # who asked (a staff name, "cli:<login>"): the audit log's "who" for each save
    files: Any = None  # the catalog.FileStore for the session's files; None: the data folder

    @property
    def url_languages(self) -> tuple[str, ...]:
        return self.languages or DEFAULT_LANGUAGES


@dataclass(frozen=True)
class IngestedSession:
    session_id: int
    source_key: str
    title: str
    created: bool
    tracks: tuple[tuple[str, str], ...] = ()  # (language, source manual/auto/upload)
    warnings: tuple[str, ...] = ()
    words: int = 0  # words in the stored transcript

    @property
    def has_transcript(self) -> bool:
        return bool(self.tracks)


@dataclass(frozen=True)
class Failure:
    source: str
    message: str
    item_id: int | None = None


@dataclass
class IngestResult:
    sessions: list[IngestedSession] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    skipped: int = 0  # entries already in the archive (sync)

    @property
    def session_ids(self) -> list[int]:
        return [s.session_id for s in self.sessions]

    @property
    def ok(self) -> bool:
        return not self.failures

    def extend(self, other: IngestResult) -> None:
        self.sessions.extend(other.sessions)
        self.failures.extend(other.failures)
        self.skipped += other.skipped
