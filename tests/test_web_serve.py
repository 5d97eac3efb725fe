"""``uscm-archive serve``: the demo archive loads into an empty folder (once), and the server answers."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest

from catalog import Catalog
from uscm_archive.demo import demo_sessions, load_demo
from uscm_archive.settings import Settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_demo_loads_into_an_empty_archive_once(data_dir):
    settings = Settings(data_dir=data_dir)
    assert load_demo(settings) == len(demo_sessions()) == 3
    assert load_demo(settings) == 0
    catalog = Catalog.open(settings.catalog_path)
    try:
        total, sessions = catalog.list_sessions()
        assert total == 3 and all(s.title.startswith("[Demo]") and s.has_transcript for s in sessions)
        speakers = {f.value for f in catalog.facets()["speakers"]}
        assert {"Tamsin Okafor", "Leonard Hale", "Ines Varga"} <= speakers
    finally:
        catalog.close()


def test_demo_is_not_loaded_over_real_sessions(data_dir, corpus):
    from archive import ingest

    catalog = Catalog.open(data_dir / "catalog.db")
    try:
        ingest(catalog, data_dir, [str(corpus / "captions" / "boston-city-council_snippet.vtt")])
    finally:
        catalog.close()
    assert load_demo(Settings(data_dir=data_dir)) == 0


def test_serve_demo_answers_over_http(tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "uscm_archive.cli", "--data", str(tmp_path / "d"), "serve", "--demo"]
    server = subprocess.Popen([*command, "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        body = None
        for _ in range(100):
            try:
                body = httpx.get(
                    f"http://127.0.0.1:{port}/search", params={"q": "land you already own"}, timeout=2
                )
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert body is not None and body.status_code == 200
        assert "Housing Roundtable" in body.text and "<mark>" in body.text
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").json() == {"status": "ok", "sessions": 3}
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_serve_on_a_busy_port_is_one_clear_error(tmp_path):
    from click.testing import CliRunner

    from uscm_archive.cli import cli

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli, ["--data", str(tmp_path / "d"), "serve", "--port", str(port)])
    assert result.exit_code == 1
    assert (
        result.stderr.strip().startswith("error: cannot listen on 127.0.0.1:")
        and "Traceback" not in result.output
    )


@pytest.mark.parametrize("port", ["0", "70000", "http"])
def test_serve_refuses_a_bad_port(tmp_path, port):
    from click.testing import CliRunner

    from uscm_archive.cli import cli

    result = CliRunner().invoke(cli, ["--data", str(tmp_path), "serve", "--port", port])
    assert result.exit_code == 2 and "--port" in result.output
