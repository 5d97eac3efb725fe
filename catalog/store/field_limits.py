"""One length limit per field, shared by every way in: ``import-catalog``, the staff bulk upload, the staff API
and the staff forms, and enforced again by the one write path of a session (``catalog/store/sessions.py``) and of
a name or role (``catalog/store/names.py``). A value over its limit is refused naming the field, never cut or
stored (a 5 MB title once made the Atom feed 33 MB for every visitor)."""

from __future__ import annotations

from catalog.errors import CatalogError

FIELD_LIMITS = {
    "title": 500,
    "event": 300,
    "description": 20_000,
    "language": 35,
    "source_url": 2000,
    "video_url": 2000,
    "thumbnail_url": 2000,
    "channel": 300,
    "key": 300,
    "speaker": 200,  # a speaker's name
    "role": 200,  # a speaker's role in a session
    "topic": 100,
    "tag": 100,
    "chapter": 300,  # a chapter title
    "extra": 20_000,  # every other field of an imported line together, as JSON
}
MAX_LIST_ITEMS = 500  # speakers, topics, tags, chapters of one session


def check_length(field: str, value: str | None) -> str | None:
    """``value`` unchanged, or ``CatalogError`` naming ``field`` when it is longer than the field's limit."""
    limit = FIELD_LIMITS.get(field, 2000)
    if value is not None and len(value) > limit:
        raise CatalogError(f"{field}: {len(value):,} characters; the limit is {limit:,}", field=field)
    return value


def check_items(field: str, values: list) -> list:
    if len(values) > MAX_LIST_ITEMS:
        raise CatalogError(f"{field}: {len(values):,} entries; the limit is {MAX_LIST_ITEMS}", field=field)
    return values
