"""Plain, frozen data that crosses package boundaries: a transcript is a tuple of timed segments."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Mark:
    """A point inside a segment's text: the character ``offset`` is spoken at ``time`` seconds.

    Every segment has a mark at offset 0 (its start). Merged cues add one mark per cue; YouTube automatic
    captions add one mark per word, so that a search hit can seek to the word, not only the segment.
    """

    offset: int
    time: float


@dataclass(frozen=True)
class Segment:
    """A readable unit of speech: a sentence or a speaker turn, a few seconds up to about 30 s."""

    start: float
    end: float
    text: str
    speaker: str | None = None
    marks: tuple[Mark, ...] = ()

    def time_at(self, offset: int) -> float:
        """The time at which the character at ``offset`` of ``text`` is spoken (the last mark at or before it)."""
        best = self.start
        for mark in self.marks:
            if mark.offset > offset:
                break
            best = mark.time
        return best


@dataclass(frozen=True)
class Chapter:
    start: float
    title: str
    end: float | None = None


@dataclass(frozen=True)
class Transcript:
    """What a caption file says: its segments (or chapters, for a chapters track) and what was noticed reading it."""

    segments: tuple[Segment, ...] = ()
    chapters: tuple[Chapter, ...] = ()
    language: str | None = None
    kind: str = "captions"  # "captions" or "chapters"
    format: str = "vtt"  # "vtt" or "srt"
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def duration(self) -> float:
        ends = [s.end for s in self.segments] + [c.end or c.start for c in self.chapters]
        return max(ends, default=0.0)

    @property
    def speakers(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for segment in self.segments:
            if segment.speaker:
                seen.setdefault(segment.speaker, None)
        return tuple(seen)
