"""The catalog in PostgreSQL: chosen by one setting, its data version, its year partitions, and backup, restore,
dump, load and check on it, through the command line as an operator runs them (a real server: tests/pg_server.py).
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from catalog import Catalog, CatalogError, SessionMeta, SpeakerCredit, TrackInput
from tests.pg_server import run_sql, table_rows
from tests.support.dbfile import scalar, sql_rows
from transcripts import Segment, Transcript
from uscm_archive.cli import cli
from uscm_archive.settings import Settings
from web.app import create_app

DEMO = Path(__file__).resolve().parents[1] / "uscm_archive" / "demo"
READER = "import sys; from catalog import Catalog; print(Catalog.version_at(sys.argv[1]).token)"


def run(data_dir: Path, url: str, *args: str, input: str | None = None, env: dict | None = None):
    return CliRunner().invoke(cli, ["--data", str(data_dir), "--catalog", url, *args], input=input, env=env)


def ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def add(catalog: Catalog, key: str, date: str | None = "2024-01-18", lines: int = 3) -> int:
    segments = tuple(
        Segment(i * 5.0, i * 5.0 + 4.0, f"the lighthouse of {key}, line {i}") for i in range(lines)
    )
    meta = SessionMeta(title=f"Session {key}", date=date)
    return catalog.save_session(key, meta, [TrackInput(Transcript(segments=segments))])


@pytest.fixture
def archive(tmp_path, pg_url) -> tuple[Path, str]:
    """The demo's three caption files ingested through ``--catalog URL``: (data folder, URL)."""
    data_dir = tmp_path / "data"
    captions = sorted(str(path) for path in DEMO.glob("*.vtt"))
    ok(run(data_dir, pg_url, "ingest", *captions, "--date", "2023-05-01", "-q"))
    return data_dir, pg_url


def test_the_catalog_setting_puts_the_catalog_in_postgresql_and_the_files_in_the_data_folder(archive):
    data_dir, url = archive
    assert not (data_dir / "catalog.db").exists()
    assert sorted(p.name for p in (data_dir / "captions").iterdir()) == ["1", "2", "3"]
    assert scalar(url, "SELECT count(*) FROM sessions") == 3
    listed = ok(
        CliRunner().invoke(cli, ["--data", str(data_dir), "sessions"], env={"USCM_ARCHIVE_CATALOG": url})
    )
    assert "3 sessions" in listed and "(18 segments)" in listed


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("mysql://archive@db/archive", "is not a PostgreSQL URL"),
        ("catalog.db", "is not a PostgreSQL URL"),
        ("postgresql://nobody@127.0.0.1:1/none", "cannot open the catalog"),
    ],
)
def test_a_catalog_setting_that_cannot_be_used_is_one_clear_error(tmp_path, value, message):
    result = CliRunner().invoke(cli, ["--data", str(tmp_path / "data"), "--catalog", value, "sessions"])
    assert result.exit_code == 1
    assert result.output.startswith("error: ") and message in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_a_password_in_the_url_is_never_printed(archive):
    data_dir, url = archive
    with_password = url.replace(
        "postgres@", "postgres:s3cret-word@"
    )  # trust auth: the password is not needed
    output = ok(run(data_dir, with_password, "check"))
    assert "s3cret-word" not in output and "postgres:***@" in output


def test_the_data_version_moves_with_each_commit_and_is_the_same_in_every_process(pg_url):
    catalog = Catalog.open(pg_url)
    other = Catalog.open(pg_url)
    try:
        first = catalog.data_version().token
        session_id = add(other, "harbor")  # another connection commits
        moved = catalog.data_version().token
        assert moved != first
        catalog.get_session(session_id)
        catalog.list_sessions()
        assert catalog.data_version().token == moved  # reading moves nothing
        with pytest.raises(CatalogError):
            catalog.save_session("bad", SessionMeta(title="Bad", date="2024-02-30"))
        assert catalog.data_version().token == moved  # nor does a refused write
        there = subprocess.run(
            [sys.executable, "-c", READER, pg_url], check=True, capture_output=True, text=True
        ).stdout.strip()
        assert there == moved == Catalog.version_at(pg_url).token
        catalog.set_status(session_id, "draft")
        assert catalog.data_version().token not in (first, moved)
    finally:
        catalog.close()
        other.close()


def test_segments_live_in_their_sessions_year_and_move_with_its_date(pg_url):
    catalog = Catalog.open(pg_url)
    try:
        old = add(catalog, "old", "2019-03-04")
        new = add(catalog, "new", "2024-06-21", lines=2)
        undated = add(catalog, "undated", None, lines=1)
        partitions = dict(
            sql_rows(pg_url, "SELECT tableoid::regclass::text, count(*) FROM segment_rows GROUP BY 1")
        )
        assert partitions == {"segments_y2019": 3, "segments_y2024": 2, "segments_y0": 1}
        catalog.staff.edits.update_metadata(old, {"date": "2024-01-01"}, "ann")  # a staffer corrects the date
        assert [s.text for s in catalog.segments(old)][0] == "the lighthouse of old, line 0"
        assert scalar(pg_url, "SELECT count(*) FROM segments_y2024") == 5
        assert scalar(pg_url, "SELECT count(*) FROM segments_y2019") == 0
        assert len(catalog.segments(new)) == 2 and len(catalog.segments(undated)) == 1
        assert catalog.ops.check() == []
    finally:
        catalog.close()


def test_dump_load_backup_and_restore_round_trip_through_postgresql(archive, tmp_path, pg_server):
    data_dir, url = archive
    ok(
        run(
            data_dir,
            url,
            "user",
            "add",
            "ann",
            "--admin",
            input="correct horse battery\ncorrect horse battery\n",
        )
    )
    ok(run(data_dir, url, "dump", str(tmp_path / "first")))
    second = pg_server.fresh_database()
    ok(run(tmp_path / "data2", second, "load", str(tmp_path / "first")))
    ok(run(tmp_path / "data2", second, "dump", str(tmp_path / "again")))
    for name in ("sessions.jsonl", "segments.jsonl", "speakers.jsonl", "audit.jsonl"):
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "again" / name).read_bytes()

    backup = tmp_path / "catalog-backup.db"
    ok(run(data_dir, url, "backup", str(backup)))
    third = pg_server.fresh_database()
    ok(run(data_dir, third, "restore", str(backup)))
    assert table_rows(third) == table_rows(url)  # every row, staff accounts and audit included
    assert ok(run(data_dir, third, "user", "list")).count("ann") == 1
    ok(run(data_dir, third, "check"))

    before = table_rows(third)
    refused = run(data_dir, third, "restore", str(backup))
    assert refused.exit_code == 1 and "not empty" in refused.output
    assert table_rows(third) == before


def test_check_names_what_is_wrong_in_a_postgresql_catalog(archive):
    data_dir, url = archive
    ok(run(data_dir, url, "check"))
    run_sql(url, "SELECT uscm_segment_partition(1999); UPDATE segment_rows SET year = 1999 WHERE id = 1")
    run_sql(
        url, "INSERT INTO segment_versions (segment_id, text, changed_at) VALUES (999999, 'x', '2024-01-01')"
    )
    run_sql(
        url,
        "CREATE FUNCTION wipe() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM sessions; RETURN NULL; "
        "END $$; CREATE TRIGGER wipe AFTER INSERT ON audit EXECUTE FUNCTION wipe()",
    )
    result = run(data_dir, url, "check")
    assert result.exit_code == 1
    assert "extra trigger wipe on audit" in result.output and "extra function wipe()" in result.output
    run_sql(url, "DROP TRIGGER wipe ON audit; DROP FUNCTION wipe()")
    result = run(data_dir, url, "check")
    assert result.exit_code == 1
    assert "segment 1: stored under year 1999, its session 1 is of 2023" in result.output
    assert "its segment 999999 is gone" in result.output


def test_two_serve_workers_on_one_postgresql_catalog_see_a_command_line_write(tmp_path, pg_url):
    """A real server (two worker processes) on the PostgreSQL catalog: every worker answers from it, and a session
    the command line adds is on every worker's pages at once (the ETag moves with the data version)."""
    data_dir = tmp_path / "data"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("USCM_ARCHIVE_")}
    env["USCM_ARCHIVE_CATALOG"] = pg_url
    command = [sys.executable, "-m", "uscm_archive.cli", "--data", str(data_dir), "serve", "--demo"]
    server = subprocess.Popen(
        [*command, "--workers", "2", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        assert [httpx.get(f"{base}/healthz", timeout=5).json() for _ in range(6)] == [
            {"status": "ok", "sessions": 3}
        ] * 6
        assert not (data_dir / "catalog.db").exists()
        page = httpx.get(f"{base}/sessions/1", params={"t": "30"}, timeout=5)
        assert page.status_code == 200 and "transcript" in page.text.lower()
        before = httpx.get(f"{base}/", timeout=5).headers["etag"]
        caption = tmp_path / "new.en.vtt"
        caption.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nA new session on the harbor.\n")
        ok(run(data_dir, pg_url, "ingest", str(caption), "--title", "Harbor", "-q"))
        assert [httpx.get(f"{base}/healthz", timeout=5).json()["sessions"] for _ in range(6)] == [4] * 6
        after = {httpx.get(f"{base}/", timeout=5).headers["etag"] for _ in range(6)}
        assert before not in after and len(after) == 1  # the same new validator from both workers
    finally:
        server.terminate()
        server.wait(timeout=30)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_open_data_export_is_made_from_a_postgresql_catalog(archive, tmp_path):
    data_dir, url = archive
    ok(run(data_dir, url, "user", "add", "ann", "--admin", input="correct horse battery\n"))
    target = tmp_path / "public.db"
    ok(run(data_dir, url, "export-public", str(target)))
    exported = sqlite3.connect(target)
    try:
        assert exported.execute("SELECT count(*) FROM sessions").fetchone()[0] == 3
        assert exported.execute("SELECT count(*) FROM segments").fetchone()[0] == 44
        tables = {row[0] for row in exported.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "users" not in tables and "audit" not in tables
        source = dict(exported.execute("SELECT key, value FROM export_info"))["source"]
    finally:
        exported.close()
    assert source == Catalog.version_at(url).token  # the export says which catalog state it was made from


def test_an_unreachable_postgresql_catalog_is_a_503_not_a_traceback(tmp_path):
    settings = Settings(
        data_dir=tmp_path / "data", catalog_url=f"postgresql://nobody@127.0.0.1:{free_port()}/none"
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as broken:
        response = broken.get("/healthz")
        assert response.status_code == 503 and response.json()["status"] == "error"
        page = broken.get("/sessions")
        assert page.status_code == 503 and "The archive is unavailable" in page.text
        assert "Traceback" not in page.text and "nobody@" not in page.text
        assert broken.get("/api/sessions").json()["error"]["code"] == "unavailable"


DUMPED = (
    "sessions.jsonl",
    "segments.jsonl",
    "speakers.jsonl",
    "topics.jsonl",
    "audit.jsonl",
    "track_segments.jsonl",
)


def test_an_archive_moved_from_sqlite_to_postgresql_and_back_dumps_byte_identically(tmp_path, pg_url):
    on_file = tmp_path / "sqlite-data"
    captions = sorted(str(path) for path in DEMO.glob("*.vtt"))
    plain = CliRunner()
    ok(plain.invoke(cli, ["--data", str(on_file), "ingest", *captions, "--date", "2023-05-01", "-q"], env={}))
    ok(plain.invoke(cli, ["--data", str(on_file), "backup", str(tmp_path / "from-sqlite.db")]))
    ok(run(on_file, pg_url, "restore", str(tmp_path / "from-sqlite.db")))
    ok(run(on_file, pg_url, "backup", str(tmp_path / "from-postgresql.db")))
    back = tmp_path / "back-data"
    back.mkdir()
    (tmp_path / "from-postgresql.db").rename(back / "catalog.db")
    ok(plain.invoke(cli, ["--data", str(on_file), "dump", str(tmp_path / "dump-sqlite")]))
    ok(run(on_file, pg_url, "dump", str(tmp_path / "dump-postgresql")))
    ok(plain.invoke(cli, ["--data", str(back), "dump", str(tmp_path / "dump-back")]))
    for name in DUMPED:
        original = (tmp_path / "dump-sqlite" / name).read_bytes()
        assert original == (tmp_path / "dump-postgresql" / name).read_bytes(), name
        assert original == (tmp_path / "dump-back" / name).read_bytes(), name
    shutil.copytree(on_file / "captions", back / "captions")  # the files travel beside the catalog, as always
    ok(plain.invoke(cli, ["--data", str(back), "check"]))


@pytest.mark.backends
def test_names_sort_as_sqlite_sorts_them_on_either_backend(catalog):
    """Staff lists order names as SQLite's NOCASE does (ASCII letters folded, then bytewise) on both backends."""
    for name in ("zoe Quinn", "Émile Roux", "alice Park", "Bob Stone", "bob Adams"):
        catalog.save_session(name, SessionMeta(title=name, speakers=(SpeakerCredit(name),)))
    assert [s.name for s in catalog.staff.speakers.list()] == [
        "alice Park",
        "bob Adams",
        "Bob Stone",
        "zoe Quinn",
        "Émile Roux",
    ]
