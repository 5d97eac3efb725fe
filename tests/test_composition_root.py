"""The composition root (``uscm_archive``) makes the signing key; the site only uses what it is given."""

from __future__ import annotations

import stat

from fastapi.testclient import TestClient

from uscm_archive.settings import Settings
from web.app import create_app


def test_the_site_never_writes_a_key_into_the_data_folder(data_dir):
    with TestClient(create_app(Settings(data_dir=data_dir))) as client:
        page = client.get("/staff/signin")
        assert page.status_code == 200 and 'name="csrf"' in page.text  # signed with a key of this process
    assert not (data_dir / "secret.key").exists()


def test_the_composition_root_makes_and_keeps_the_key(data_dir):
    first = Settings(data_dir=data_dir).with_secret()
    key_file = data_dir / "secret.key"
    assert len(first.secret_key) >= 40 and key_file.read_text() == first.secret_key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert Settings(data_dir=data_dir).with_secret().secret_key == first.secret_key
