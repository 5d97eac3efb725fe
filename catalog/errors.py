"""The one root exception of ``catalog``."""

from __future__ import annotations


class CatalogError(Exception):
    """Something the catalog refused or could not do. ``str()`` is one clear line for the user.

    ``field`` names the input at fault when there is one (``"date"``, ``"title"``, ``"since"``): a form shows
    ``message`` beside that field; ``str()`` is then ``"<field>: <message>"``.
    """

    def __init__(self, message: str = "", *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class NotFound(CatalogError):
    """No such session, speaker, segment, user..."""


class Conflict(CatalogError):
    """The change contradicts what is stored (a duplicate name, a stale edit)."""


class SearchUnavailable(CatalogError):
    """Full-text search is not built for this catalog's backend (PostgreSQL, until its search lands)."""


class CatalogClosed(CatalogError):
    """The catalog was closed under the caller (its process is shutting down): nothing more can be done with it."""
