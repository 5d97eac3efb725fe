"""Shared fixtures: real SQLite files in temporary folders, the real-world corpus (skipped when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def corpus_path() -> Path:
    """``../shared/corpus`` beside the checkout, or ``USCM_ARCHIVE_CORPUS``."""
    return Path(os.environ.get("USCM_ARCHIVE_CORPUS", ROOT.parent / "shared" / "corpus"))


@pytest.fixture(scope="session")
def corpus() -> Path:
    path = corpus_path()
    if not (path / "captions").is_dir():
        pytest.skip(f"real-world corpus not found at {path}")
    return path


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def catalog(data_dir: Path):
    from catalog import Catalog

    cat = Catalog.open(data_dir / "catalog.db")
    yield cat
    cat.close()
