"""The command line behaves as sqlite-utils, datasette and yt-dlp users expect: ``-`` is standard input or
output, ``--json`` prints one JSON document on stdout (errors stay ``error: ...`` on stderr with exit 1), and
``-q/--quiet`` leaves nothing but errors on stderr. Each command is run for real on a real catalog file."""

from __future__ import annotations

import getpass
import json
import os
import pty
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from support.httpserver import local_server  # noqa: F401 - the fixture
from support.ytdlp_fake import FakeSite, make_downloader, vtt

from catalog import Catalog
from uscm_archive.cli import cli
from uscm_archive.commands import COMMANDS, register
from uscm_archive.commands.output import cli_user

CAPTIONS = (
    b"WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nWelcome to the winter meeting of mayors.\n\n"
    b"00:00:04.000 --> 00:00:08.000\nOur first panel is on housing and transit.\n"
)
LINES = (
    '{"title": "Housing task force", "date": "2024-01-17", "event": "92nd Winter Meeting"}\n'
    '{"title": "Transit roundtable", "date": "2024-01-18", "event": "92nd Winter Meeting"}\n'
)
NO_JSON = {"export", "serve"}  # export's JSON is --format json; serve reports nothing


def run(data_dir: Path, *args: str, input: bytes | str | None = None, obj: dict | None = None):
    return CliRunner().invoke(cli, ["--data", str(data_dir), *args], input=input, obj=obj)


def ok(result) -> None:
    assert result.exit_code == 0, result.output + (result.stderr or "")


@pytest.fixture
def archive(tmp_path, data_dir) -> Path:
    """A data folder with one session ingested from a caption file."""
    path = tmp_path / "welcome.vtt"
    path.write_bytes(CAPTIONS)
    ok(run(data_dir, "ingest", str(path), "--title", "Winter welcome"))
    return data_dir


def every_command():
    register(cli)
    for name in sorted(COMMANDS):
        command = cli.commands[name]
        if isinstance(command, click.Group):
            for sub in sorted(command.commands):
                yield f"{name} {sub}", command.commands[sub]
        else:
            yield name, command


@pytest.mark.parametrize("name,command", list(every_command()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_command_has_quiet_and_every_reporting_command_json(name, command):
    options = {opt for param in command.params for opt in getattr(param, "opts", [])}
    assert {"-q", "--quiet"} <= options, name
    if name not in NO_JSON:
        assert "--json" in options, name


# -- ingest -------------------------------------------------------------------------------------------------
def test_ingest_reads_standard_input_and_reports_json(data_dir):
    result = run(data_dir, "ingest", "-", "--title", "Piped welcome", "--json", input=CAPTIONS)
    ok(result)
    report = json.loads(result.stdout)
    (session,) = report["sessions"]
    assert session["title"] == "Piped welcome" and session["created"] is True and session["words"] == 15
    assert report["failures"] == []
    again = run(data_dir, "ingest", "-", "--title", "Piped welcome", input=CAPTIONS)
    assert again.stdout.strip() == str(session["id"])  # the same bytes again: the same session


def test_ingest_quiet_prints_only_ids_and_errors(tmp_path, data_dir):
    path = tmp_path / "welcome.vtt"
    path.write_bytes(CAPTIONS)
    quiet = run(data_dir, "ingest", str(path), "-q")
    ok(quiet)
    assert quiet.stderr == "" and quiet.stdout.strip().isdigit()
    missing = run(data_dir, "ingest", str(tmp_path / "nope.vtt"), "-q", "--json")
    assert missing.exit_code == 1 and missing.stderr.startswith("error: ")


# -- import-catalog ----------------------------------------------------------------------------------------
def test_import_catalog_reads_standard_input_with_json_and_quiet(data_dir):
    result = run(data_dir, "import-catalog", "-", "--json", input=LINES)
    ok(result)
    report = json.loads(result.stdout)
    assert report["imported"] is True and report["counts"] == {"create": 2, "update": 0, "unchanged": 0}
    assert [line["action"] for line in report["lines"]] == ["create", "create"]
    quiet = run(data_dir, "import-catalog", "-", "-q", input=LINES)
    ok(quiet)
    assert quiet.stdout == "" and quiet.stderr == ""
    bad = run(data_dir, "import-catalog", "-", "-q", "--json", input='{"title": ""}\n')
    assert bad.exit_code == 1 and "line 1" in bad.stderr and json.loads(bad.stdout)["errors"]


# -- search, sessions, export ------------------------------------------------------------------------------
def test_search_json_and_quiet(archive):
    found = run(archive, "search", "housing", "--json")
    ok(found)
    assert json.loads(found.stdout)["total"] == 1
    quiet = run(archive, "search", "housing", "-q")
    ok(quiet)
    assert "housing" in quiet.stdout and quiet.stderr == ""


def test_sessions_json_and_quiet(archive):
    listed = run(archive, "sessions", "--json")
    ok(listed)
    assert [s["title"] for s in json.loads(listed.stdout)] == ["Winter welcome"]
    quiet = run(archive, "sessions", "-q")
    ok(quiet)
    assert "Winter welcome" in quiet.stdout and "1 sessions" not in quiet.stdout and quiet.stderr == ""


def test_export_dash_writes_standard_output_not_a_file_named_dash(archive, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(archive, "export", "1", "--format", "txt", "-o", "-")
    ok(result)
    assert "Welcome to the winter meeting" in result.stdout
    assert not (tmp_path / "-").exists()
    quiet = run(archive, "export", "1", "-o", str(tmp_path / "out.vtt"), "-q")
    ok(quiet)
    assert quiet.stderr == "" and (tmp_path / "out.vtt").read_text().startswith("WEBVTT")


# -- sync, retry, status -----------------------------------------------------------------------------------
def test_sync_retry_and_status_json_and_quiet(local_server, data_dir):  # noqa: F811
    site = FakeSite(local_server)
    site.video("a", "Budget plenary", manual={"en": vtt("the budget plenary begins")})
    site.video("b", "Water roundtable", manual={"en": vtt("water rates and pipes")})
    site.channel("c", ["a", "b"])
    fake = {"ytdlp_factory": make_downloader}
    synced = run(data_dir, "sync", site.channel_url("c"), "--json", obj=fake)
    ok(synced)
    report = json.loads(synced.stdout)
    assert sorted(s["title"] for s in report["sessions"]) == ["Budget plenary", "Water roundtable"]
    assert report["skipped"] == 0 and report["failures"] == []
    quiet = run(data_dir, "sync", site.channel_url("c"), "-q", obj=fake)
    ok(quiet)
    assert quiet.stderr == ""
    retried = run(data_dir, "retry", "--all", "--json", obj=fake)
    ok(retried)
    assert json.loads(retried.stdout) == {"sessions": [], "failures": []}
    assert run(data_dir, "retry", "--all", "-q", obj=fake).stderr == ""
    status = run(data_dir, "status", "--json")
    ok(status)
    assert json.loads(status.stdout)["failures"] == []
    assert run(data_dir, "status", "-q").stderr == ""


# -- backup, restore, dump, load, check --------------------------------------------------------------------
def test_backup_to_standard_output_and_restore_from_standard_input(archive, tmp_path):
    piped = CliRunner().invoke(cli, ["--data", str(archive), "backup", "-"])
    ok(piped)
    data = piped.stdout_bytes
    assert data.startswith(b"SQLite format 3\x00")
    copy = tmp_path / "copy.db"
    copy.write_bytes(data)
    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT title FROM sessions").fetchall() == [("Winter welcome",)]
    restored = run(archive, "restore", "-", "--json", input=data)
    ok(restored)
    report = json.loads(restored.stdout)
    assert report["restored"]["sessions"] == 1 and Path(report["previous"]).is_file()
    quiet = run(archive, "restore", "-", "-q", input=data)
    ok(quiet)
    assert quiet.stdout == "" and quiet.stderr == ""
    junk = run(archive, "restore", "-", "--json", input=b"not a catalog")
    assert junk.exit_code == 1 and junk.stderr.startswith("error: ") and junk.stdout == ""


def test_backup_json_and_quiet(archive, tmp_path):
    made = run(archive, "backup", str(tmp_path / "b.db"), "--json")
    ok(made)
    report = json.loads(made.stdout)
    assert report["sessions"] == 1 and report["size"] == (tmp_path / "b.db").stat().st_size
    quiet = run(archive, "backup", str(tmp_path / "c.db"), "-q")
    ok(quiet)
    assert quiet.stdout == quiet.stderr == ""


def test_dump_and_load_json_and_quiet(archive, tmp_path):
    dumped = run(archive, "dump", str(tmp_path / "d"), "--json")
    ok(dumped)
    assert json.loads(dumped.stdout)["sessions"] == 1
    assert run(archive, "dump", str(tmp_path / "e"), "-q").stdout == ""
    refused = run(archive, "dump", "-")
    assert refused.exit_code == 1 and "backup -" in refused.stderr
    fresh = tmp_path / "fresh"
    loaded = run(fresh, "load", str(tmp_path / "d"), "--json")
    ok(loaded)
    assert json.loads(loaded.stdout)["sessions"] == 1 and json.loads(loaded.stdout)["skipped"] == []
    quiet = run(tmp_path / "fresh2", "load", str(tmp_path / "d"), "-q")
    ok(quiet)
    assert quiet.stdout == quiet.stderr == ""


def test_check_json_quiet_and_its_error(archive, tmp_path):
    checked = run(archive, "check", "--json")
    ok(checked)
    assert json.loads(checked.stdout) == {
        "file": str(archive / "catalog.db"),
        "ok": True,
        "problems": [],
        "files": {"checked": 1, "hashed": 1},  # the session's raw caption file, its size and sha256 verified
    }
    quiet = run(archive, "check", "-q")
    ok(quiet)
    assert quiet.stdout == quiet.stderr == ""
    missing = run(tmp_path / "nowhere", "check", "--json")
    assert missing.exit_code == 1 and missing.stderr.startswith("error: ") and missing.stdout == ""


def test_export_public_json_and_quiet(archive, tmp_path):
    made = run(archive, "export-public", str(tmp_path / "open.db"), "--json")
    ok(made)
    assert json.loads(made.stdout)["sessions"] == 1
    quiet = run(archive, "export-public", str(tmp_path / "open2.db"), "-q")
    ok(quiet)
    assert quiet.stdout == quiet.stderr == ""


# -- user --------------------------------------------------------------------------------------------------
def test_user_commands_json_and_quiet(data_dir):
    added = run(data_dir, "user", "add", "ann", "--admin", "--json", input="correct horse battery\n")
    ok(added)
    assert json.loads(added.stdout) == {"name": "ann", "role": "admin"}
    ok(run(data_dir, "user", "add", "ed", "-q", input="correct horse battery\n"))
    listed = json.loads(run(data_dir, "user", "list", "--json").stdout)
    assert [(u["name"], u["role"]) for u in listed] == [("ann", "admin"), ("ed", "editor")]
    assert json.loads(run(data_dir, "user", "role", "ed", "admin", "--json").stdout) == {
        "name": "ed",
        "role": "admin",
    }
    token = json.loads(run(data_dir, "user", "token", "ed", "--label", "script", "--json").stdout)
    assert token["name"] == "ed" and len(token["token"]) > 20
    quiet_token = run(data_dir, "user", "token", "ed", "-q")
    assert quiet_token.stderr == "" and len(quiet_token.stdout.strip()) > 20  # the token is the product
    assert run(data_dir, "user", "passwd", "ed", "-q", input="another horse battery\n").stdout == ""
    removed = run(data_dir, "user", "remove", "ed", "--json")
    assert json.loads(removed.stdout) == {"name": "ed", "removed": True}
    unknown = run(data_dir, "user", "remove", "nobody", "--json")
    assert unknown.exit_code == 1 and unknown.stderr.startswith("error: ") and unknown.stdout == ""
    catalog = Catalog.open(data_dir / "catalog.db")
    try:
        written = [(e.user_name, e.action) for e in reversed(catalog.staff.audit.recent(20))]
    finally:
        catalog.close()
    me = cli_user()  # cli:<the operating-system login>
    assert me == f"cli:{getpass.getuser()}"
    assert written == [
        (me, "user.add"),
        (me, "user.add"),
        (me, "user.role"),
        (me, "token.add"),
        (me, "token.add"),
        (me, "user.password"),
        (me, "user.remove"),
    ]


# -- progress bars -----------------------------------------------------------------------------------------
def run_on_a_terminal(data_dir: Path, *args: str, stdin: bytes) -> tuple[int, str, str]:
    """The real command in its own process with stderr on a pseudo-terminal (as when a person runs it)."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "uscm_archive.cli", "--data", str(data_dir), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=follower,
        env={**os.environ, "COLUMNS": "100"},
    )
    os.close(follower)
    out, _ = process.communicate(stdin, timeout=120)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal is closed once the process is gone
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    return process.returncode, out.decode(), shown.decode(errors="replace")


def test_a_long_import_shows_a_progress_bar_on_a_terminal_and_none_with_json_or_quiet(data_dir):
    lines = "".join(
        json.dumps({"title": f"Committee hearing {n}", "date": "2024-01-17", "event": "Winter Meeting"})
        + "\n"
        for n in range(120)
    ).encode()
    code, out, terminal = run_on_a_terminal(data_dir, "import-catalog", "-", stdin=lines)
    assert code == 0, terminal
    assert "importing" in terminal and "120/120" in terminal  # the bar, with its position
    assert "imported: 120 new" in out and "importing" not in out  # stdout stays the result
    for flag in ("--json", "-q"):
        code, out, terminal = run_on_a_terminal(data_dir, "import-catalog", "-", flag, stdin=lines)
        assert code == 0 and "importing" not in terminal and terminal.strip() == ""


def test_dump_and_load_show_a_progress_bar_over_the_segments_on_a_terminal(data_dir, tmp_path):
    archive = data_dir
    cues = "".join(
        f"00:00:{n:02d}.000 --> 00:00:{n:02d}.900\n<v Mayor {'AB'[n % 2]}>Point number {n} on the budget.\n\n"
        for n in range(40)
    )
    (tmp_path / "debate.vtt").write_text("WEBVTT\n\n" + cues, encoding="utf-8")
    ok(run(archive, "ingest", str(tmp_path / "debate.vtt")))
    code, out, terminal = run_on_a_terminal(archive, "dump", str(tmp_path / "d"), stdin=b"")
    assert code == 0, terminal
    assert "dumping" in terminal and "40/40" in terminal and "dumped 1 sessions" in out
    code, out, terminal = run_on_a_terminal(tmp_path / "fresh", "load", str(tmp_path / "d"), stdin=b"")
    assert code == 0, terminal
    assert "loading" in terminal and "40/40" in terminal and "loaded 1 sessions" in out
    code, out, terminal = run_on_a_terminal(archive, "dump", str(tmp_path / "e"), "-q", stdin=b"")
    assert code == 0 and terminal.strip() == "" and out == ""


def test_shell_completion_as_documented_completes_commands_and_options():
    script = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
    assert "_USCM_ARCHIVE_COMPLETE=bash_source uscm-archive" in script.read_text(encoding="utf-8")

    def complete(words: str, index: int) -> str:
        env = {
            **os.environ,
            "COMP_WORDS": words,
            "COMP_CWORD": str(index),
            "_USCM_ARCHIVE_COMPLETE": "bash_complete",
        }
        done = subprocess.run(
            [sys.executable, "-m", "uscm_archive.cli"], env=env, capture_output=True, timeout=60
        )
        return done.stdout.decode()

    assert "import-catalog" in complete("uscm-archive im", 1)
    assert "--quiet" in complete("uscm-archive backup --q", 2)
    source = subprocess.run(
        [sys.executable, "-m", "uscm_archive.cli"],
        env={**os.environ, "_USCM_ARCHIVE_COMPLETE": "bash_source"},
        capture_output=True,
        timeout=60,
    )
    assert "complete -o nosort -F" in source.stdout.decode()


def test_transcribe_status_json_and_quiet(archive):
    listed = run(archive, "transcribe", "--status", "--json")
    ok(listed)
    assert json.loads(listed.stdout) == []  # nothing queued: no speech-to-text extra needed to ask
    quiet = run(archive, "transcribe", "--status", "-q")
    ok(quiet)
    assert quiet.stderr == ""
    refused = run(archive, "transcribe", "--cancel", "1", "--json")
    assert refused.exit_code == 1 and refused.stderr.startswith("error: ") and refused.stdout == ""
