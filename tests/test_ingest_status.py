"""Fetching a session again never changes whether the public sees it: status belongs to the staff."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from catalog import Catalog
from tests.pg_server import catalog_of
from uscm_archive.cli import cli

pytestmark = [pytest.mark.backends, pytest.mark.usefixtures("catalog_in_env")]

CAPTIONS = b"WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nWelcome to the winter meeting of mayors.\n"


def ingest(data_dir, path, *flags):
    result = CliRunner().invoke(cli, ["--data", str(data_dir), "ingest", str(path), *flags])
    assert result.exit_code == 0, result.output
    return int(result.stdout)


def status_of(data_dir, session_id):
    catalog = Catalog.open(catalog_of(data_dir))
    try:
        return catalog.get_session(session_id, include_drafts=True).status
    finally:
        catalog.close()


def test_a_published_session_ingested_again_as_a_draft_stays_published(tmp_path, data_dir):
    path = tmp_path / "welcome.vtt"
    path.write_bytes(CAPTIONS)
    session_id = ingest(data_dir, path)
    assert status_of(data_dir, session_id) == "published"
    assert ingest(data_dir, path, "--draft") == session_id
    assert status_of(data_dir, session_id) == "published"


def test_a_draft_ingested_again_stays_a_draft(tmp_path, data_dir):
    path = tmp_path / "welcome.vtt"
    path.write_bytes(CAPTIONS)
    session_id = ingest(data_dir, path, "--draft")
    assert ingest(data_dir, path) == session_id
    assert status_of(data_dir, session_id) == "draft"
