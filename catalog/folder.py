"""The data folder: every path in it, named once.

```
<data>/
  catalog.db                                      the catalog (WAL mode)
  secret.key                                      signing key for staff sessions (made by the composition root)
  captions/<session id>/<language>.<source>.<ext>  raw caption files as received
  media/<session id>/<file>                        archived media
  .incoming/<random>/                              files staged before the catalog changes
  .staff-bulk/<token>.jsonl                        a staff bulk import between its preview and its run
```

Relative paths (``captions/3/en.manual.vtt``) are what the catalog stores; ``DataFolder(root)`` turns them into
paths on disk. A dump folder uses the same ``captions/`` and ``media/`` layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CATALOG_FILE = "catalog.db"
SECRET_FILE = "secret.key"
CAPTIONS = "captions"
MEDIA = "media"
STAGING = ".incoming"
BULK_UPLOADS = ".staff-bulk"
FILE_AREAS = (CAPTIONS, MEDIA)  # the folders of files that belong to sessions


@dataclass(frozen=True)
class DataFolder:
    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @property
    def catalog(self) -> Path:
        return self.root / CATALOG_FILE

    @property
    def secret_key_file(self) -> Path:
        return self.root / SECRET_FILE

    @property
    def captions(self) -> Path:
        return self.root / CAPTIONS

    @property
    def media(self) -> Path:
        return self.root / MEDIA

    @property
    def staging(self) -> Path:
        return self.root / STAGING

    @property
    def bulk_uploads(self) -> Path:
        return self.root / BULK_UPLOADS

    def area(self, name: str) -> Path:
        """``captions`` or ``media`` on disk."""
        if name not in FILE_AREAS:
            raise ValueError(f"no file area {name!r} in the data folder")
        return self.root / name

    def path(self, relpath: str) -> Path:
        """A stored relative path (``captions/3/en.manual.vtt``) on disk."""
        return self.root / relpath

    @staticmethod
    def caption_relpath(session_id: int, language: str, source: str, ext: str) -> str:
        return f"{CAPTIONS}/{session_id}/{caption_name(language, source, ext)}"

    @staticmethod
    def caption_name(language: str, source: str, ext: str) -> str:
        return caption_name(language, source, ext)

    @staticmethod
    def media_relpath(session_id: int, name: str) -> str:
        return f"{MEDIA}/{session_id}/{name}"

    @staticmethod
    def session_relpath(area: str, session_id: int, name: str = "") -> str:
        """``<area>/<session id>`` (or a file ``name`` in it)."""
        return f"{area}/{session_id}/{name}" if name else f"{area}/{session_id}"


def caption_name(language: str, source: str, ext: str) -> str:
    return f"{language}.{source}.{ext}"
