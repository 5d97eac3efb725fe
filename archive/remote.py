"""URLs through yt-dlp (being written)."""

from __future__ import annotations


def ingest_url(catalog, data_dir, url, options, progress):
    raise NotImplementedError
