"""``uscm-archive search``, ``sessions`` and ``export`` as a staffer runs them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from catalog import Catalog, SessionMeta, SpeakerCredit, TrackInput
from transcripts import Mark, Segment, Transcript, parse_file
from uscm_archive.cli import cli

LINE = "We will <not> stop building housing & shelters."
# every test here runs with the catalog in SQLite and in PostgreSQL (tests/conftest.py: BACKENDS)
pytestmark = [pytest.mark.backends, pytest.mark.search]
_CATALOGS: dict = {}  # data folder -> the PostgreSQL URL of its catalog, on the PostgreSQL run


@pytest.fixture
def archive(data_dir, catalog_target) -> dict[str, int]:
    if isinstance(catalog_target, str):
        _CATALOGS[data_dir] = catalog_target
    catalog = Catalog.open(catalog_target)
    try:
        plenary = catalog.save_session(
            "plenary",
            SessionMeta(
                title="Opening Plenary",
                date="2024-01-18",
                event="92nd Winter Meeting",
                speakers=(SpeakerCredit("Karen Bass", "Mayor of Los Angeles"),),
                topics=("Housing",),
            ),
            [
                TrackInput(
                    Transcript(
                        segments=(
                            Segment(100.0, 104.0, "Good morning, mayors.", "Moderator"),
                            Segment(3700.0, 3710.0, LINE, "Karen Bass", (Mark(0, 3700.0), Mark(27, 3702.5))),
                        )
                    )
                )
            ],
        )
        draft = catalog.save_session(
            "draft",
            SessionMeta(title="Closed Door", date="2025-01-01", status="draft"),
            [TrackInput(Transcript(segments=(Segment(0, 5, "Housing talks behind closed doors."),)))],
        )
    finally:
        catalog.close()
    return {"plenary": plenary, "draft": draft}


def run(data_dir, *args: str):
    where = ["--catalog", _CATALOGS[data_dir]] if data_dir in _CATALOGS else []
    return CliRunner().invoke(cli, ["--data", str(data_dir), *where, *args])


def test_search_json_has_exactly_the_documented_shape(data_dir, archive):
    result = run(data_dir, "search", "housing", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert set(payload) == {"query", "corrected_query", "total", "results", "chat_total"}
    assert payload["query"] == "housing" and payload["corrected_query"] is None
    assert payload["total"] == 1 and payload["chat_total"] == 0
    (hit,) = payload["results"]
    assert set(hit) == {
        "kind",
        "session_id",
        "session_title",
        "session_date",
        "start",
        "end",
        "speaker",
        "text",
        "snippet",
        "url",
        "language",
    }
    assert hit["kind"] == "speech"
    assert hit["session_id"] == archive["plenary"] and hit["session_title"] == "Opening Plenary"
    assert hit["start"] == 3702.5 and isinstance(hit["start"], float) and hit["end"] == 3710.0
    assert hit["speaker"] == "Karen Bass" and hit["text"] == LINE
    assert hit["snippet"] == "We will &lt;not&gt; stop building <mark>housing</mark> &amp; shelters."
    assert hit["url"] == f"/sessions/{archive['plenary']}?t=3702" and hit["language"] == "en"


def test_search_reads_well_by_default(data_dir, archive):
    result = run(data_dir, "search", "housing")
    assert result.exit_code == 0
    assert "Opening Plenary (2024-01-18)" in result.output
    assert "[1:01:42] Karen Bass: We will <not> stop building housing & shelters." in result.output
    assert f"/sessions/{archive['plenary']}?t=3702" in result.output
    assert "Closed Door" not in result.output


@pytest.mark.parametrize(
    ("args", "found"),
    [
        (["--speaker", "karen-bass"], 1),
        (["--speaker", "Moderator"], 0),
        (["--topic", "housing"], 1),
        (["--event", "92nd Winter Meeting"], 1),
        (["--since", "2024-01-19"], 0),
        (["--until", "2024-01-18"], 1),
        (["--exact"], 1),
        (["--limit", "1", "--offset", "1"], 1),
    ],
)
def test_search_options_reach_the_search(data_dir, archive, args, found):
    result = run(data_dir, "search", "housing", "--json", *args)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["total"] == found
    if "--offset" in args:
        assert payload["results"] == []


def test_search_inside_one_session(data_dir, archive):
    result = run(data_dir, "search", "mayors", "--json", "--session", str(archive["plenary"]))
    assert json.loads(result.output)["results"][0]["start"] == 100.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2024-13-01"], "since"),
        (["--until", "yesterday"], "YYYY-MM-DD"),
        (["--limit", "-1"], "--limit"),
        (["--offset", "-5"], "--offset"),
        (["--session", "999"], "no session with id 999"),
    ],
)
def test_bad_input_is_one_clear_line(data_dir, archive, args, message):
    result = run(data_dir, "search", "housing", *args)
    assert result.exit_code == 1
    assert result.output.startswith("error: ") and message in result.output
    assert "Traceback" not in result.output and result.output.count("\n") == 1


def test_a_draft_session_is_not_searchable_by_id(data_dir, archive):
    result = run(data_dir, "search", "housing", "--session", str(archive["draft"]))
    assert result.exit_code == 1 and "no session" in result.output


def test_nothing_to_search_for_says_so(data_dir, archive):
    result = run(data_dir, "search", '"!?"')
    assert result.exit_code == 0 and "Type a word or phrase" in result.output
    payload = json.loads(run(data_dir, "search", "   ", "--json").output)
    assert payload == {"query": "   ", "corrected_query": None, "total": 0, "results": [], "chat_total": 0}


def test_sessions_lists_published_sessions_as_json(data_dir, archive):
    result = run(data_dir, "sessions", "--json")
    assert result.exit_code == 0
    (session,) = json.loads(result.output)
    assert session["id"] == archive["plenary"] and session["title"] == "Opening Plenary"
    assert session["date"] == "2024-01-18" and session["event"] == "92nd Winter Meeting"
    assert session["segments"] == 2
    everything = json.loads(run(data_dir, "sessions", "--json", "--drafts").output)
    assert [s["title"] for s in everything] == ["Closed Door", "Opening Plenary"]
    assert "Opening Plenary" in run(data_dir, "sessions").output


@pytest.mark.parametrize("fmt", ["vtt", "srt"])
def test_exports_parse_back(data_dir, archive, tmp_path, fmt):
    target = tmp_path / f"plenary.{fmt}"
    result = run(data_dir, "export", str(archive["plenary"]), "--format", fmt, "-o", str(target))
    assert result.exit_code == 0, result.output
    transcript = parse_file(target)
    assert [round(s.start, 3) for s in transcript.segments] == [100.0, 3700.0]
    assert "housing & shelters" in transcript.segments[-1].text


def test_text_and_json_exports(data_dir, archive):
    text = run(data_dir, "export", str(archive["plenary"]), "--format", "txt").output
    assert "Opening Plenary" in text and "Good morning, mayors." in text
    exported = json.loads(run(data_dir, "export", str(archive["plenary"]), "--format", "json").output)
    assert LINE in json.dumps(exported)


def test_export_of_an_unknown_session_fails_cleanly(data_dir, archive):
    result = run(data_dir, "export", "4242", "--format", "vtt")
    assert result.exit_code == 1 and result.output == "error: no session with id 4242\n"


def test_the_installed_command_exits_1_with_one_line(data_dir, archive):
    proc = subprocess.run(
        [sys.executable, "-m", "uscm_archive.cli", "--data", str(data_dir), "search", "x", "--since", "soon"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1
