"""The archive as open data: ``export-public`` writes a file Datasette opens as is, with nothing private in it."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.webarchive import DRAFT_WORD, RETRACTED_WORD, build_sample_archive
from uscm_archive.cli import main

PASSWORD = "correct horse battery staple"
# Live tables that must never reach the export (staff, tokens, audit, history, the ingest queue).
PRIVATE = {"users", "api_tokens", "audit", "segment_versions", "items", "item_captions", "syncs"}
PRIVATE_COLUMNS = {"password_hash", "token_hash", "source_key", "media_path", "raw_path", "status", "extra"}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("open")
    data = root / "data"
    data.mkdir()
    sample = build_sample_archive(data)
    run = subprocess.run(
        [sys.executable, "-m", "uscm_archive.cli", "--data", str(data), "user", "add", "ann", "--admin"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    token = subprocess.run(
        [sys.executable, "-m", "uscm_archive.cli", "--data", str(data), "user", "token", "ann"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    target = root / "uscm.db"
    assert main(["--data", str(data), "export-public", str(target), "--base-url", "https://a.example"]) == 0
    return sample, target, token


def tables(path: Path) -> dict[str, list[str]]:
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]
        return {n: [c[1] for c in conn.execute(f'PRAGMA table_info("{n}")')] for n in names}
    finally:
        conn.close()


def test_the_export_holds_nothing_private_checked_table_by_table(exported):
    sample, target, token = exported
    live_path = sample.data_dir / "catalog.db"
    live, public = tables(live_path), tables(target)
    assert not Path(f"{target}-wal").exists()
    conn = sqlite3.connect(target)
    unpublished = (sample.draft, sample.retracted)
    for name in live:
        if name in PRIVATE or name.endswith(("_fts_data", "_fts_idx", "_fts_docsize", "_fts_config")):
            assert name not in public or name.endswith(
                ("_fts_data", "_fts_idx", "_fts_docsize", "_fts_config")
            )
            continue
        if name not in public:
            continue
        columns = public[name]
        assert not PRIVATE_COLUMNS & set(columns), (name, columns)
        key = "id" if name == "sessions" else "session_id" if "session_id" in columns else None
        if key:
            marks = ",".join("?" * len(unpublished))
            rows = conn.execute(f'SELECT count(*) FROM "{name}" WHERE {key} IN ({marks})', unpublished)
            assert rows.fetchone()[0] == 0, f"{name} holds a draft or retracted session's rows"
    for name in PRIVATE:
        assert name not in public
    assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 3
    conn.close()
    raw = target.read_bytes()
    hashes = sqlite3.connect(live_path).execute("SELECT password_hash FROM users").fetchall()
    for secret in (token, hashes[0][0], DRAFT_WORD, RETRACTED_WORD, "Unreleased Draft", "$argon2"):
        assert secret.encode() not in raw, secret


def test_moments_link_to_the_second_on_the_site(exported):
    sample, target, _ = exported
    conn = sqlite3.connect(target)
    row = conn.execute(
        "SELECT quote, speaker, session, date, moment_url FROM moments WHERE quote LIKE '%affordable%'"
    ).fetchone()
    assert row[0] == "We need more affordable housing in every city."
    assert row[1] == "Mayor Ada Quill" and row[3] == "2025-01-20" and row[2].startswith("Housing")
    assert row[4] == f"https://a.example/sessions/{sample.main}?t=10"


def test_an_existing_file_is_kept_unless_forced(exported, capsys):
    sample, target, _ = exported
    before = target.read_bytes()
    assert main(["--data", str(sample.data_dir), "export-public", str(target)]) == 1
    assert "already exists" in capsys.readouterr().err and target.read_bytes() == before


def test_a_missing_catalog_is_one_clear_error(tmp_path, capsys):
    code = main(["--data", str(tmp_path / "none"), "export-public", str(tmp_path / "x.db")])
    assert code == 1 and "no catalog here" in capsys.readouterr().err
    assert not (tmp_path / "x.db").exists()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def datasette(exported):
    pytest.importorskip("datasette", reason="Datasette is in the test extra: pip install -e '.[test]'")
    _, target, _ = exported
    port = free_port()
    metadata = target.with_name("uscm.metadata.json")
    command = [sys.executable, "-m", "datasette", "-i", str(target), "-m", str(metadata), "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/-/versions.json", timeout=5)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, process.stdout.read()
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_datasette_finds_a_quote_with_its_own_search(datasette):
    found = httpx.get(f"{datasette}/uscm/segments.json", params={"_search": "affordable", "_shape": "array"})
    assert found.status_code == 200
    assert [r["text"] for r in found.json()] == ["We need more affordable housing in every city."]
    none = httpx.get(f"{datasette}/uscm/segments.json", params={"_search": DRAFT_WORD, "_shape": "array"})
    assert none.json() == []
    sessions = httpx.get(f"{datasette}/uscm/sessions.json", params={"_search": "transit", "_shape": "array"})
    assert [r["title"] for r in sessions.json()] == ["Annual Meeting Transit Panel"]


def test_datasette_shows_the_metadata_and_the_find_a_quote_query(datasette):
    page = httpx.get(f"{datasette}/uscm")
    assert "Find a quote" in page.text and "segments_fts_data" not in page.text
    quote = httpx.get(
        f"{datasette}/uscm/find_a_quote.json", params={"words": '"broadband plan"', "_shape": "array"}
    )
    assert quote.status_code == 200, quote.text
    assert [r["speaker"] for r in quote.json()] == ["Mayor Ada Quill"]
    assert quote.json()[0]["moment_url"].startswith("https://a.example/sessions/")
    tables_ = {t["name"]: t for t in httpx.get(f"{datasette}/uscm.json").json()["tables"]}
    assert tables_["segments"]["fts_table"] == "segments_fts" and tables_["export_info"]["hidden"]
    assert json.loads(httpx.get(f"{datasette}/-/metadata.json").text)["title"] == "USCM Meeting Archive"


def test_the_site_offers_the_export_and_makes_it_again_when_the_archive_changes(tmp_path):
    from fastapi.testclient import TestClient

    from catalog import Catalog
    from uscm_archive.settings import Settings
    from web.app import create_app

    data = tmp_path / "data"
    data.mkdir()
    sample = build_sample_archive(data)
    with TestClient(create_app(Settings(data_dir=data))) as client:
        page = client.get("/data")
        assert page.status_code == 200 and "datasette -i uscm-archive.db" in page.text
        assert " kB, made " in page.text
        first = client.get("/data/uscm-archive.db")
        assert first.status_code == 200 and first.content.startswith(b"SQLite format 3\x00")
        assert DRAFT_WORD.encode() not in first.content
        assert client.get("/data/uscm-archive.db").content == first.content  # unchanged: not made again
        catalog = Catalog.open(data / "catalog.db")
        catalog.set_status(sample.draft, "published")
        catalog.close()
        second = client.get("/data/uscm-archive.db")
        assert DRAFT_WORD.encode() in second.content
        metadata = client.get("/data/uscm-archive.metadata.json").json()
        assert "find_a_quote" in metadata["databases"]["uscm-archive"]["queries"]
