"""Imported fields are strictly typed and length-limited the same way everywhere; no input gives a traceback; a
re-import of the same file changes nothing and says so.

Before: ``"draft": "yes"``, ``"true"`` or ``1`` published the session at once (even with the staff "add as drafts"
box ticked); a 5 MB title and a 30 MB description were stored (the feed became 33 MB); 50,000-deep JSON raised
``RecursionError`` and a lone surrogate ``UnicodeEncodeError`` (tracebacks), and ``PATCH`` of a surrogate title
was a 500; re-importing always said "updated" and rewrote every transcript's segments.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from tests.support.archive_state import archive_state
from tests.support.staffsite import EDITOR, api_token, build_staff_site, catalog_dump, signed_in
from tests.test_staff_ingest import bulk, confirm
from uscm_archive.cli import cli
from web.app import create_app

DRAFT_SPELLINGS = ['"yes"', '"true"', "1"]


def run(data_dir: Path, *args: str):
    return CliRunner().invoke(cli, ["--data", str(data_dir), "import-catalog", *args], catch_exceptions=False)


def one_line(path: Path, text: str) -> Path:
    path.write_text(text + "\n", encoding="utf-8")
    return path


def refused(result, *says: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 2, result.stderr
    for words in says:
        assert words in result.stderr, result.stderr


# -- draft: a JSON boolean --------------------------------------------------------------------------------------
@pytest.mark.parametrize("spelling", DRAFT_SPELLINGS)
def test_the_cli_refuses_draft_spellings_that_are_not_booleans(data_dir, tmp_path, spelling):
    path = one_line(tmp_path / "c.jsonl", '{"title": "Budget hearing", "draft": ' + spelling + "}")
    result = run(data_dir, str(path))
    refused(result, "line 1", f"draft must be true or false (a JSON boolean), not {spelling}")
    assert archive_state(data_dir)["files"] == {}
    conn = sqlite3.connect(data_dir / "catalog.db")
    assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0


@pytest.fixture
def editor(tmp_path):
    site = build_staff_site(tmp_path / "data")
    with TestClient(create_app(site.settings)) as client:
        yield site, signed_in(client, site, EDITOR)


def test_with_add_as_drafts_every_draft_spelling_stays_a_draft(editor):
    site, client = editor
    lines = [f'{{"title": "Hearing {n}", "draft": {spelling}}}' for n, spelling in enumerate(DRAFT_SPELLINGS)]
    lines.append('{"title": "Hearing 3", "draft": false}')  # the box wins over false too
    report = bulk(client, "c.jsonl", ("\n".join(lines) + "\n").encode(), drafts=True)
    assert report.status_code == 200 and "4 new" in report.text, report.text
    assert confirm(client, report.text).status_code == 200
    public = {s["title"] for s in client.get("/api/sessions").json()["sessions"]}
    assert not public & {f"Hearing {n}" for n in range(4)}  # was: published at once
    drafts = client.get("/staff/sessions", params={"status": "draft"}).text
    assert all(f"Hearing {n}" in drafts for n in range(4))


def test_without_the_box_a_non_boolean_draft_is_a_bad_line_in_the_web_too(editor):
    site, client = editor
    before = catalog_dump(site.catalog_path)
    report = bulk(client, "c.jsonl", b'{"title": "Hearing", "draft": "yes"}\n', drafts=False)
    assert "Line 1" in report.text and "draft must be true or false" in report.text
    assert catalog_dump(site.catalog_path) == before


# -- one length limit per field ---------------------------------------------------------------------------------
def test_a_5_mb_title_is_refused_naming_the_field(data_dir, tmp_path):
    path = one_line(tmp_path / "c.jsonl", json.dumps({"title": "T" * 5_000_000}))
    refused(run(data_dir, str(path)), "line 1", "title: 5,000,000 characters; the limit is 500")


def test_a_30_mb_description_is_refused_naming_the_field(data_dir, tmp_path):
    path = one_line(
        tmp_path / "c.jsonl", json.dumps({"title": "Feed balloon", "description": "d" * 30_000_000})
    )
    refused(run(data_dir, str(path)), "description: 30,000,000 characters; the limit is 20,000")


def test_a_long_description_in_bulk_is_refused_naming_the_field_and_the_feed_stays_small(editor):
    site, client = editor
    before = catalog_dump(site.catalog_path)
    line = json.dumps({"title": "Feed balloon", "description": "d" * 5_000_000}) + "\n"
    report = bulk(client, "c.jsonl", line.encode(), drafts=False)
    assert "description: 5,000,000 characters; the limit is 20,000" in report.text
    assert catalog_dump(site.catalog_path) == before
    assert len(client.get("/feed.atom").content) < 100_000


def test_the_same_limit_holds_for_the_staff_api_and_form(editor):
    site, client = editor
    headers = api_token(site, EDITOR)
    title = "T" * 501
    response = client.patch("/api/staff/sessions/1", json={"title": title}, headers=headers)
    assert response.status_code == 400 and "title" in response.json()["error"]["message"]
    line = json.dumps({"title": title})
    report = bulk(client, "c.jsonl", (line + "\n").encode(), drafts=False)
    assert "title: 501 characters; the limit is 500" in report.text


# -- no traceback for any input ------------------------------------------------------------------------------
def test_deeply_nested_json_is_one_clear_error(data_dir, tmp_path):
    path = one_line(tmp_path / "c.jsonl", "[" * 50_000 + "]" * 50_000)
    refused(run(data_dir, str(path)), "line 1", "nested too deeply")
    nested = '{"title": "x", "extra": ' + "[" * 50_000 + "]" * 50_000 + "}"
    refused(run(data_dir, str(one_line(tmp_path / "d.jsonl", nested))), "nested too deeply")


def test_a_lone_surrogate_is_one_clear_error(data_dir, tmp_path):
    path = one_line(tmp_path / "c.jsonl", '{"title": "\\ud800 x"}')
    refused(run(data_dir, str(path)), "line 1", "title", "lone surrogate")
    path = one_line(tmp_path / "d.jsonl", '{"title": "ok", "speakers": ["Mayor \\udfff"]}')
    refused(run(data_dir, str(path)), "speakers", "lone surrogate")


def test_deeply_nested_json_in_a_bulk_upload_is_a_bad_line_not_a_500(editor):
    site, client = editor
    nested = '{"title": "x", "a": ' + "[" * 50_000 + "]" * 50_000 + "}\n"
    report = bulk(client, "c.jsonl", nested.encode(), drafts=False)
    assert report.status_code < 500 and "nested too deeply" in report.text


def test_patching_a_surrogate_title_is_a_422(editor):
    site, client = editor
    headers = api_token(site, EDITOR)
    before = client.get("/api/staff/sessions/1", headers=headers).json()
    response = client.patch(
        "/api/staff/sessions/1",
        content=b'{"title": "\\ud800 x"}',
        headers={**headers, "content-type": "application/json"},
    )
    assert response.status_code == 422, response.text  # was: 500
    assert response.json()["error"]["code"] == "invalid_text"
    assert client.get("/api/staff/sessions/1", headers=headers).json() == before


# -- re-import: unchanged is unchanged -----------------------------------------------------------------------
def segment_rows(data_dir: Path) -> list:
    conn = sqlite3.connect(data_dir / "catalog.db")
    try:
        return [
            conn.execute("SELECT id, session_id, position, text FROM segments ORDER BY id").fetchall(),
            conn.execute("SELECT * FROM segment_versions ORDER BY id").fetchall(),
            conn.execute("SELECT id, updated_at FROM sessions ORDER BY id").fetchall(),
        ]
    finally:
        conn.close()


def test_importing_the_same_file_twice_says_unchanged_and_rewrites_nothing(corpus, data_dir, tmp_path):
    for name in ("oakland-city-council-2022-08-09.vtt", "teams_example-interview_voice-tags.vtt"):
        shutil.copy(corpus / "captions" / name, tmp_path / name)
    path = tmp_path / "c.jsonl"
    path.write_text(
        json.dumps(
            {
                "title": "Oakland council",
                "date": "2022-08-09",
                "transcript": "oakland-city-council-2022-08-09.vtt",
            }
        )
        + "\n"
        + json.dumps(
            {"title": "Interview", "transcript": "teams_example-interview_voice-tags.vtt", "topics": ["x"]}
        )
        + "\n",
        encoding="utf-8",
    )
    assert run(data_dir, str(path)).exit_code == 0
    before, state = segment_rows(data_dir), archive_state(data_dir)
    again = run(data_dir, str(path))
    assert again.exit_code == 0
    assert again.stdout.strip() == "imported: 0 new, 0 updated, 2 unchanged"  # was: 2 updated (transcript)
    assert segment_rows(data_dir) == before  # same segment rowids, versions and session times
    assert archive_state(data_dir) == state
    (tmp_path / "teams_example-interview_voice-tags.vtt").write_text(
        "WEBVTT\n\n00:00.000 --> 00:02.000\nA corrected line.\n", encoding="utf-8"
    )
    changed = run(data_dir, str(path))
    assert "updated #2 Interview (transcript)" in changed.stdout and "1 unchanged" in changed.stdout
