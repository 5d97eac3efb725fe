"""Getting sessions in: local caption files, .info.json files, and URLs through yt-dlp; the ingest pipeline."""

from archive.errors import ArchiveError

__all__ = ["ArchiveError"]
