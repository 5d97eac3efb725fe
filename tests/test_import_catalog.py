"""`uscm-archive import-catalog FILE.jsonl`: bulk session metadata, idempotent, all-or-nothing, dry run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.credits import split_credit
from catalog import Catalog, SearchRequest
from tests.pg_server import catalog_of
from uscm_archive.cli import cli

pytestmark = [pytest.mark.backends, pytest.mark.usefixtures("catalog_in_env")]


def run(data_dir: Path, *args: str):
    return CliRunner().invoke(cli, ["--data", str(data_dir), "import-catalog", *args])


def sessions(data_dir: Path):
    catalog = Catalog.open(catalog_of(data_dir))
    try:
        return catalog.list_sessions(include_drafts=True, limit=1000)[1]
    finally:
        catalog.close()


def write_lines(path: Path, *rows) -> Path:
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8"
    )
    return path


def test_the_uscm_corpus_imports_as_is_and_again_without_duplicates(corpus, data_dir):
    source = corpus / "uscm" / "sessions.jsonl"
    lines = sum(1 for line in source.read_text().splitlines() if line.strip())
    first = run(data_dir, str(source))
    assert first.exit_code == 0, first.output
    assert first.stdout.strip().endswith(f"imported: {lines} new, 0 updated, 0 unchanged")
    second = run(data_dir, str(source))
    assert second.stdout.strip() == f"imported: 0 new, 0 updated, {lines} unchanged"
    stored = {s.title: s for s in sessions(data_dir)}
    assert len(stored) == lines
    just_city = stored["Mayors Imagining the Just City: Volume III"]
    credits = {s.name: s.role for s in just_city.speakers}
    assert credits["Tim Keller"] == "Mayor of Albuquerque"
    assert credits["Toni L. Griffin"] == "Founder and Director, Just City Lab, Harvard GSD (moderator)"
    assert just_city.date is None and "equity" in [t.name for t in just_city.topics]
    assert just_city.extra["other_sources"] == [
        "https://www.micd.org/events/mayors-imagining-the-just-city-3/"
    ]


@pytest.mark.search
def test_a_transcript_path_beside_the_jsonl_is_ingested_and_searchable(corpus, data_dir, tmp_path):
    shutil.copy(corpus / "captions" / "oakland-city-council-2022-08-09.vtt", tmp_path / "oakland.vtt")
    path = write_lines(
        tmp_path / "sessions.jsonl",
        {"title": "Oakland council", "date": "2022-08-09", "transcript": "oakland.vtt", "topics": ["budget"]},
    )
    result = run(data_dir, str(path))
    assert result.exit_code == 0, result.output
    (session,) = sessions(data_dir)
    assert session.has_transcript and [(t.language, t.source) for t in session.tracks] == [("en", "upload")]
    catalog = Catalog.open(catalog_of(data_dir))
    try:
        assert catalog.search(SearchRequest('"successor agency"')).hits[0].session_id == session.id
    finally:
        catalog.close()


def test_bad_lines_are_each_reported_with_their_number_and_nothing_is_imported(data_dir, tmp_path):
    path = write_lines(
        tmp_path / "sessions.jsonl",
        {"title": "Good session", "date": "2024-01-18"},
        '{"title": "missing brace"',
        {"date": "2024-01-18"},
        {"title": "Bad date", "date": "January 2024"},
        "",
        {"title": "Missing transcript", "transcript": "nope.vtt"},
        {"title": "Good session", "date": "2024-01-18", "event": "duplicate"},
    )
    result = run(data_dir, str(path))
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert [e.split(":")[1].strip() for e in errors] == [f"{path}, line {n}" for n in (2, 3, 4, 6, 7)]
    assert "not valid JSON" in errors[0] and "needs a title" in errors[1] and "YYYY-MM-DD" in errors[2]
    assert "no such file" in errors[3] and "same session" in errors[4]
    assert "nothing imported" in result.stderr
    assert sessions(data_dir) == []


def test_skip_bad_imports_the_good_lines_and_still_fails(data_dir, tmp_path):
    path = write_lines(tmp_path / "s.jsonl", {"title": "Good"}, {"title": ""})
    result = run(data_dir, str(path), "--skip-bad")
    assert result.exit_code == 1
    assert f"error: {path}, line 2: a session needs a title" in result.stderr
    assert [s.title for s in sessions(data_dir)] == ["Good"]


def test_dry_run_reports_what_would_change_and_writes_nothing(data_dir, tmp_path):
    path = write_lines(tmp_path / "s.jsonl", {"title": "Panel", "date": "2024-01-18", "description": "first"})
    assert run(data_dir, str(path)).exit_code == 0
    write_lines(
        path,
        {"title": "Panel", "date": "2024-01-18", "description": "second"},
        {"title": "New panel", "date": "2024-06-21"},
    )
    result = run(data_dir, str(path), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "line 1: would update" in result.stdout and "(description)" in result.stdout
    assert "line 2: would create New panel" in result.stdout
    assert "dry run: 1 new, 1 updated, 0 unchanged; nothing written" in result.stdout
    assert [(s.title, s.description) for s in sessions(data_dir)] == [("Panel", "first")]


@pytest.mark.parametrize(
    ("credit", "name", "role"),
    [
        ("Mayor Friday Ellis of Monroe (LA)", "Friday Ellis", "Mayor of Monroe (LA)"),
        ("Greg Fischer, Mayor of Louisville, President", "Greg Fischer", "Mayor of Louisville, President"),
        ("Vice President Kamala Harris", "Kamala Harris", "Vice President"),
        ("President Joseph R. Biden Jr.", "Joseph R. Biden Jr.", "President"),
        ("Dr. Frank Luntz, pollster", "Frank Luntz", "pollster"),
        ("Michael-Sean Spence, Esq., Director", "Michael-Sean Spence", "Director"),
        ("Kathy Maness (speaker; title cut off)", "Kathy Maness", "speaker; title cut off"),
        ("  Tom   Cochran ", "Tom Cochran", None),
        ("Chair Jerome Powell", "Jerome Powell", "Chair"),
        ("Commissioner Ana Lopez of Dade County", "Ana Lopez", "Commissioner of Dade County"),
        ("Council Member Carlina Rivera", "Carlina Rivera", "Council Member"),
        ("Councilmember Brooke Pinto", "Brooke Pinto", "Councilmember"),
        ("Governor Gretchen Whitmer of Michigan", "Gretchen Whitmer", "Governor of Michigan"),
        ("Lieutenant Governor Austin Davis", "Austin Davis", "Lieutenant Governor"),
        ("Secretary Marcia Fudge", "Marcia Fudge", "Secretary"),
        ("Senator Amy Klobuchar", "Amy Klobuchar", "Senator"),
        ("Representative Emanuel Cleaver", "Emanuel Cleaver", "Representative"),
        ("Police Chief Ann Vaughn", "Ann Vaughn", "Police Chief"),
        ("Chief Ann Vaughn", "Ann Vaughn", "Chief"),
        ("Director Shalanda Young", "Shalanda Young", "Director"),
    ],
)
def test_speaker_credits_split_into_name_and_role(credit, name, role):
    assert (split_credit(credit).name, split_credit(credit).role) == (name, role)
