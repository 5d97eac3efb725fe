"""The one root exception of ``transcripts``: every parse failure is a ``TranscriptError`` naming file and line."""

from __future__ import annotations


class TranscriptError(Exception):
    """A caption or transcript file that cannot be read. ``str()`` is one clear line for the user."""

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None):
        self.message = message
        self.source = source
        self.line = line
        where = source or "input"
        if line is not None:
            where = f"{where}, line {line}"
        super().__init__(f"{where}: {message}")


class NotCaptionsError(TranscriptError):
    """The file is a valid track but not speech: thumbnails, metadata."""
