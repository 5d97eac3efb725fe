"""What the site needs to be told: ``create_app(settings)`` takes any object with these attributes.

``uscm_archive.settings.Settings`` is the one the command line builds (the composition root); the site never
reads the environment or the data folder's key file itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from catalog import DataFolder, FileStore


class SiteSettings(Protocol):
    data_dir: Path
    site_name: str
    base_url: str  # e.g. https://archive.example.org for feeds and sitemaps; empty: from the request
    secret_key: str  # signs staff sessions; made by the composition root (empty: a key for this process only)
    max_upload_bytes: int  # media uploads
    max_caption_bytes: int  # caption uploads
    allow_private_urls: bool  # staff URL ingest may fetch loopback and private hosts
    ytdlp_factory: Callable | None  # the yt-dlp client the staff URL ingest uses; None: yt-dlp's own
    media_hosts: tuple[str, ...]  # origins whose media files play in our own <video> (the CSP media-src)
    vimeo_origin: str  # the Vimeo player and its API script (added to the CSP script-src and frame-src)
    catalog_replicas: tuple[str, ...]  # PostgreSQL standbys public reads may come from (--catalog-replica)
    replica_max_lag: float  # seconds a standby may be behind and still be read
    worker: bool  # run a worker thread in this process (jobs queued by any node); False for serve-only nodes
    media_store: (
        str  # "" (the data folder) or s3://bucket/prefix: where ``files`` keeps media and raw captions
    )
    asr_model_dir: (
        Path | None
    )  # the staff Transcribe button's model folder; None: the asr extra's pinned wheel

    @property
    def folder(self) -> DataFolder: ...

    @property
    def catalog_path(self) -> Path | str: ...  # the catalog file, or the PostgreSQL URL (--catalog)

    @property
    def files(self) -> FileStore: ...  # media and raw caption files: the data folder or an object store
