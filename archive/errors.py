"""The one root exception of ``archive``, and what a failed fetch was (to decide whether to try again)."""

from __future__ import annotations


class ArchiveError(Exception):
    """Fetching or ingesting a source failed. ``str()`` is one clear line for the user."""


class FetchError(ArchiveError):
    """A network fetch failed. ``transient`` failures (5xx, connection reset, timeout) are worth retrying now;
    ``rate_limited`` ones (HTTP 429) only later, after ``retry_after`` seconds when the server said so."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        transient: bool = False,
        rate_limited: bool = False,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.transient = transient
        self.rate_limited = rate_limited
        self.retry_after = retry_after
