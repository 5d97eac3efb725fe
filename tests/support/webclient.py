"""Fixtures for in-process web tests: the sample archive (built once per module) and a TestClient on it.

Use them by importing into a test module: ``from tests.support.webclient import client, sample  # noqa: F401``.
A module marked ``pytest.mark.backends`` gets them twice: on SQLite, and with the catalog in PostgreSQL (the data
folder still holding the caption and media files).
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support.webarchive import build_sample_archive
from web.app import create_app


@pytest.fixture(scope="module")
def sample(tmp_path_factory, module_catalog_url):
    data_dir = tmp_path_factory.mktemp("web") / "data"
    data_dir.mkdir()
    return build_sample_archive(data_dir, module_catalog_url or None)


@pytest.fixture(scope="module")
def client(sample):
    with TestClient(create_app(sample.settings)) as test_client:
        yield test_client
