"""The one root exception of ``catalog``."""

from __future__ import annotations


class CatalogError(Exception):
    """Something the catalog refused or could not do. ``str()`` is one clear line for the user."""


class NotFound(CatalogError):
    """No such session, speaker, segment, user..."""


class Conflict(CatalogError):
    """The change contradicts what is stored (a duplicate name, a stale edit)."""
