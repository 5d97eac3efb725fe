"""The bundled demo archive: a few clearly fictional sessions (invented towns, speakers and words) that
``uscm-archive serve --demo`` loads into an empty data folder, through the same ingest pipeline as real files."""

from __future__ import annotations

import json
from pathlib import Path

from archive import IngestOptions, ingest
from catalog import Catalog
from uscm_archive.settings import Settings

DEMO_DIR = Path(__file__).resolve().parent / "demo"


def demo_sessions() -> list[dict]:
    """The demo's session list: caption file name and metadata of each."""
    return json.loads((DEMO_DIR / "sessions.json").read_text(encoding="utf-8"))["sessions"]


def is_empty(catalog: Catalog) -> bool:
    total, _ = catalog.list_sessions(include_drafts=True, limit=1)
    return total == 0


def options_for(entry: dict) -> IngestOptions:
    return IngestOptions(
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
            result = ingest(catalog, settings.data_dir, [str(DEMO_DIR / entry["file"])], options_for(entry))
            loaded += len(result.sessions)
        return loaded
    finally:
        catalog.close()
