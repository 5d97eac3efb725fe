"""The bundled demo archive: a few clearly fictional sessions (invented towns, speakers and words) that
``uscm-archive serve --demo`` loads into an empty data folder, through the same ingest pipeline as real files.

Each session comes with a small recording (``demo/*.opus``, speech synthesized from its captions by
``python -m uscm_archive.demo_audio``), archived as the session's media so that the player plays and seeks."""

from __future__ import annotations

import json
from pathlib import Path

from archive import IngestOptions, ingest_caption_bytes
from archive.uploads import stage_media_upload
from catalog import Catalog
from uscm_archive.settings import Settings

DEMO_DIR = Path(__file__).resolve().parent / "demo"
MEDIA_TYPE = "audio/ogg"  # Ogg Opus: Chromium, Firefox and Safari 17+ play it


def demo_sessions() -> list[dict]:
    """The demo's session list: caption file name and metadata of each."""
    return json.loads((DEMO_DIR / "sessions.json").read_text(encoding="utf-8"))["sessions"]


def is_empty(catalog: Catalog) -> bool:
    total, _ = catalog.list_sessions(include_drafts=True, limit=1)
    return total == 0


def options_for(entry: dict, files=None) -> IngestOptions:
    return IngestOptions(
        files=files,
        title=entry["title"],
        date=entry.get("date"),
        event=entry.get("event"),
        description=entry.get("description"),
        speakers=tuple(entry.get("speakers", ())),
        topics=tuple(entry.get("topics", ())),
    )


def load_demo(settings: Settings) -> int:
    """Load the demo sessions if the archive has none; returns how many were loaded (0: it was not empty)."""
    catalog = Catalog.open(settings.catalog_path)
    try:
        if not is_empty(catalog):
            return 0
        loaded = 0
        for entry in demo_sessions():
            caption = DEMO_DIR / entry["file"]
            media = _staged_recording(settings, entry)
            ingest_caption_bytes(
                catalog,
                settings.data_dir,
                caption.read_bytes(),
                caption.name,
                options_for(entry, settings.files),
                media=media,
            )
            loaded += 1
        return loaded
    finally:
        catalog.close()


def _staged_recording(settings: Settings, entry: dict):
    """The session's bundled recording, staged for ingest (``None`` if the entry has none)."""
    if not entry.get("media"):
        return None
    path = DEMO_DIR / entry["media"]
    with path.open("rb") as stream:
        return stage_media_upload(
            settings.data_dir, stream, path.name, MEDIA_TYPE, path.stat().st_size, settings.files
        )
