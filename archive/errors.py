"""The one root exception of ``archive``."""

from __future__ import annotations


class ArchiveError(Exception):
    """Fetching or ingesting a source failed. ``str()`` is one clear line for the user."""
