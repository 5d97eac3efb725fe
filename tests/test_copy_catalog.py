"""``uscm-archive copy-catalog``: SQLite → PostgreSQL → SQLite gives the same archive (a byte-identical ``dump``),
a copy killed part-way continues and never writes a row twice, and a target that is not new or this copy's own is
refused with the archive left as it was. A real PostgreSQL (tests/pg_server.py), real processes for the kill."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from bench.generate import generate
from catalog import Catalog, SearchRequest, SessionMeta
from tests.pg_server import run_sql, table_rows
from tests.support.archive_state import archive_state
from tests.support.webarchive import build_sample_archive
from uscm_archive.cli import cli

ROOT = Path(__file__).resolve().parents[1]
PROGRESS = "copy_catalog_progress"


def make_source(folder: Path, segments: int) -> Path:
    """A generated archive of ``segments`` segments plus the web sample (hostile text, media, a draft and a
    retracted session) and staff traces (users, tokens, a correction with its version, a speaker merged into a
    later one, a saved search): every kind of row a copy must carry. Returns its data folder."""
    generate(folder, segments, seed=3)
    data = folder / "data"
    build_sample_archive(data)
    catalog = Catalog.open(data / "catalog.db")
    try:
        staff = catalog.staff
        ann = staff.users.add("ann", "argon2-hash-not-checked-here", "admin", by="cli:test")
        staff.users.add_token(ann.id, "f" * 64, "script", by="cli:test")
        first = catalog.search(SearchRequest("housing", limit=1, include_drafts=True)).hits[0]
        staff.segments.correct(first.segment_id, "Corrected line about housing — “quoted”.", "ann")
        older = staff.speakers.create("Mayor Duplicate Name", "ann")
        newer = staff.speakers.create("Mayor Kept Name", "ann")
        staff.speakers.merge(older.id, newer.id, "ann")
        staff.searches.save(ann.id, '"affordable housing"', {"since": "2020-01-01"}, "ann@example.org")
    finally:
        catalog.close()
    return data


def run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def dump_files(data: Path, out: Path, catalog_url: str = "") -> dict[str, bytes]:
    """``uscm-archive dump`` of the archive, every file's bytes (the manifest without its creation time)."""
    args = ["--data", str(data)] + (["--catalog", catalog_url] if catalog_url else []) + ["dump", str(out)]
    result = run(*args)
    assert result.exit_code == 0, result.output
    files = {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    manifest = json.loads(files.pop("manifest.json"))
    manifest.pop("created_at")
    files["manifest.json"] = json.dumps(manifest, sort_keys=True).encode()
    return files


def data_folder_beside(source: Path, folder: Path) -> Path:
    """A second data folder holding the source's caption and media files but no catalog (the copy goes there)."""
    folder.mkdir(parents=True)
    for area in ("captions", "media"):
        if (source / area).is_dir():
            shutil.copytree(source / area, folder / area)
    return folder


def test_sqlite_to_postgresql_and_back_gives_a_byte_identical_dump(tmp_path, pg_url):
    source = make_source(tmp_path / "gen", 3000)
    to_pg = run("copy-catalog", "--from", str(source / "catalog.db"), "--to", pg_url, "--json")
    assert to_pg.exit_code == 0, to_pg.output
    report = json.loads(to_pg.stdout)
    assert report["resumed"] is False
    assert (
        report["rows"]["segments"] == 3000 + 8 + 3
    )  # generated, the sample's main session, its three others
    assert report["rows"]["segment_versions"] == 1 and report["rows"]["api_tokens"] == 1
    compared = [s for s in report["searches"] if s["compared"]]
    assert len(compared) >= 8 and any(s["total"] > 0 for s in compared)

    # PostgreSQL's search parts were built for every segment (one pass at the end of the copy)
    assert rows_of(pg_url, "SELECT count(*) FROM segment_windows") == [(3011,)]
    with _opened(pg_url) as catalog:
        found = catalog.search(SearchRequest('"housing in every"', include_drafts=True))
        assert found.total >= 1

    back = data_folder_beside(source, tmp_path / "back")
    to_sqlite = run("copy-catalog", "--from", pg_url, "--to", str(back / "catalog.db"))
    assert to_sqlite.exit_code == 0, to_sqlite.output
    assert "checked" in to_sqlite.stdout

    original = dump_files(source, tmp_path / "dump-original")
    returned = dump_files(back, tmp_path / "dump-returned")
    assert returned.keys() == original.keys()
    assert [name for name in original if original[name] != returned[name]] == []
    on_postgresql = dump_files(source, tmp_path / "dump-postgresql", catalog_url=pg_url)
    assert [name for name in original if original[name] != on_postgresql.get(name)] == []

    # what the dump leaves out is copied too: staff accounts, tokens, saved searches; and the merge's forward link
    with _opened(back / "catalog.db") as catalog:
        assert catalog.staff.users.by_name("ann").role == "admin"
        assert catalog.search(SearchRequest('"affordable housing"')).total > 0
    conn = sqlite3.connect(back / "catalog.db")
    merged = conn.execute(
        "SELECT a.merged_into, b.id FROM speakers a, speakers b "
        "WHERE a.name = 'Mayor Duplicate Name' AND b.name = 'Mayor Kept Name'"
    ).fetchone()
    top = conn.execute("SELECT max(id) FROM sessions").fetchone()[0]
    conn.close()
    assert merged[0] == merged[1]

    # both copies go on: a new session takes the next id, on PostgreSQL as on SQLite (sequences moved past the ids)
    for target in (pg_url, back / "catalog.db"):
        with _opened(target) as catalog:
            new = catalog.save_session(
                "after:copy", SessionMeta(title="Saved after the copy", date="2026-01-02")
            )
            assert new == top + 1
            assert catalog.staff.users.add("bob", "hash", "editor").id == 2


class _opened:
    def __init__(self, target):
        self.catalog = Catalog.open(target)

    def __enter__(self) -> Catalog:
        return self.catalog

    def __exit__(self, *exc) -> None:
        self.catalog.close()


def rows_of(target: str | Path, sql: str) -> list[tuple]:
    """The rows of one query on a PostgreSQL URL or a SQLite file, read behind the copy's back ([] when the table
    is not there)."""
    if isinstance(target, str):
        try:
            with psycopg.connect(target, autocommit=True) as conn:
                return [tuple(r) for r in conn.execute(sql).fetchall()]
        except psycopg.errors.UndefinedTable:
            return []
    if not Path(target).exists():
        return []
    conn = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise
    finally:
        conn.close()


def progress_of(target: str | Path) -> dict[str, str]:
    return dict(rows_of(target, f"SELECT name, value FROM {PROGRESS}"))


@pytest.mark.parametrize("direction", ["to postgresql", "to sqlite"])
def test_a_copy_killed_part_way_continues_and_never_copies_a_row_twice(tmp_path, pg_url, direction):
    data = make_source(tmp_path / "gen", 3000)
    if direction == "to postgresql":
        source, target = str(data / "catalog.db"), pg_url
    else:  # the archive in PostgreSQL first, then killed on its way back into a new SQLite file
        assert run("copy-catalog", "--from", str(data / "catalog.db"), "--to", pg_url).exit_code == 0
        source, target = pg_url, data_folder_beside(data, tmp_path / "back") / "catalog.db"
    command = [
        sys.executable,
        "-m",
        "uscm_archive.cli",
        "copy-catalog",
        "--from",
        source,
        "--to",
        str(target),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [*command, "--batch-size", "100"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    while int(progress_of(target).get("table:segments", "0")) < 600:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the copy made no progress"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)

    ((copied, distinct),) = rows_of(target, "SELECT count(*), count(DISTINCT id) FROM segments")
    assert 600 <= copied < 3011 and copied == distinct
    assert copied == int(progress_of(target)["table:segments"])  # nothing past the last committed batch

    resumed = run("copy-catalog", "--from", source, "--to", str(target), "--json")
    assert resumed.exit_code == 0, resumed.output
    report = json.loads(resumed.stdout)
    assert report["resumed"] is True and report["rows"]["segments"] == 3011
    assert rows_of(target, "SELECT count(*), count(DISTINCT id) FROM segments") == [(3011, 3011)]
    assert progress_of(target) == {}  # a finished copy leaves no progress record
    original = dump_files(data, tmp_path / "dump-original")
    if direction == "to postgresql":
        assert dump_files(data, tmp_path / "dump-postgresql", catalog_url=pg_url) == original
    else:
        assert dump_files(target.parent, tmp_path / "dump-back") == original


def test_sqlite_to_sqlite_compares_phrases_too(tmp_path):
    source = make_source(tmp_path / "gen", 1500)
    copy = data_folder_beside(source, tmp_path / "copy")
    result = run(
        "copy-catalog", "--from", str(source / "catalog.db"), "--to", str(copy / "catalog.db"), "--json"
    )
    assert result.exit_code == 0, result.output
    queries = [s["query"] for s in json.loads(result.stdout)["searches"]]
    assert any(q.startswith('"') for q in queries) and any(not q.startswith('"') for q in queries)
    assert dump_files(copy, tmp_path / "dump-copy") == dump_files(source, tmp_path / "dump-original")


@pytest.fixture
def small_source(tmp_path) -> Path:
    data = tmp_path / "small"
    build_sample_archive(data)
    return data


def refused(*args: str) -> str:
    result = CliRunner().invoke(cli, ["copy-catalog", *args])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return result.stderr


def test_a_target_holding_other_data_is_refused_and_left_as_it_was(small_source, tmp_path, pg_url):
    other = tmp_path / "other"
    build_sample_archive(other)
    run("copy-catalog", "--from", str(other / "catalog.db"), "--to", pg_url)
    before = table_rows(pg_url)
    message = refused("--from", str(small_source / "catalog.db"), "--to", pg_url)
    assert "not empty" in message and "sessions" in message
    assert table_rows(pg_url) == before

    sqlite_before = archive_state(other)
    message = refused("--from", pg_url, "--to", str(other / "catalog.db"))
    assert "not empty" in message
    assert archive_state(other) == sqlite_before


def test_an_unfinished_copy_of_another_source_or_a_changed_source_is_refused(small_source, tmp_path, pg_url):
    run_sql(pg_url, "SELECT 1")
    result = run("copy-catalog", "--from", str(small_source / "catalog.db"), "--to", pg_url)
    assert result.exit_code == 0, result.output
    # make the finished copy look unfinished again: the progress record back, its fingerprint the source's
    # (copy_catalog's own record shape), then change the source
    run_sql(pg_url, f"CREATE TABLE {PROGRESS} (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
    run_sql(
        pg_url, f"INSERT INTO {PROGRESS} VALUES ('source', '/somewhere/else.db'), ('fingerprint', '{{}}')"
    )
    before = table_rows(pg_url)
    message = refused("--from", str(small_source / "catalog.db"), "--to", pg_url)
    assert "unfinished copy of another catalog" in message and "/somewhere/else.db" in message
    assert table_rows(pg_url) == before

    run_sql(pg_url, f"UPDATE {PROGRESS} SET value = '{small_source / 'catalog.db'}' WHERE name = 'source'")
    message = refused("--from", str(small_source / "catalog.db"), "--to", pg_url)
    assert "the source changed since this copy began" in message


def test_bad_sources_and_targets_get_one_clear_error(small_source, tmp_path):
    db = str(small_source / "catalog.db")
    assert "no catalog here" in refused(
        "--from", str(tmp_path / "missing.db"), "--to", str(tmp_path / "x.db")
    )
    assert not (tmp_path / "x.db").exists() and not (tmp_path / "missing.db").exists()
    assert "the same catalog" in refused("--from", db, "--to", db)
    assert "mysql:// is not a catalog" in refused("--from", db, "--to", "mysql://u@h/archive")
    (tmp_path / "notes.txt").write_text("not a catalog")
    assert "copy-catalog target" in refused("--from", db, "--to", str(tmp_path / "notes.txt"))
    assert (tmp_path / "notes.txt").read_text() == "not a catalog"
    usage = CliRunner().invoke(
        cli, ["copy-catalog", "--from", db, "--to", str(tmp_path / "y.db"), "--batch-size", "0"]
    )
    assert usage.exit_code == 2 and "--batch-size" in usage.stderr and not (tmp_path / "y.db").exists()


@pytest.mark.slow
def test_a_100k_segment_archive_goes_to_postgresql_and_back_unchanged(tmp_path, pg_url):
    source = tmp_path / "gen"
    generate(source, 100_000, seed=1)
    data = source / "data"
    assert run("copy-catalog", "--from", str(data / "catalog.db"), "--to", pg_url).exit_code == 0
    back = data_folder_beside(data, tmp_path / "back")
    result = run("copy-catalog", "--from", pg_url, "--to", str(back / "catalog.db"), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"]["segments"] == 100_000
    assert dump_files(back, tmp_path / "dump-returned") == dump_files(data, tmp_path / "dump-original")
