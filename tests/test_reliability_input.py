"""Bad caption and catalog input through the command line: one clear error, exit 1, and the archive untouched.

Each case runs ``uscm-archive ingest`` or ``import-catalog`` against an archive that already holds real
sessions, and compares the whole archive (every catalog row and every file in the data folder) before and after.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.archive_state import archive_state, fill_archive
from uscm_archive.cli import cli

pytestmark = [pytest.mark.backends, pytest.mark.usefixtures("catalog_in_env")]

OAKLAND = "oakland-city-council-2022-08-09.vtt"
CAP_MB = 20


def run(data_dir: Path, *args: str):
    return CliRunner().invoke(cli, ["--data", str(data_dir), *args], catch_exceptions=False)


@pytest.fixture
def archive(catalog, data_dir, corpus):
    fill_archive(catalog, data_dir, corpus, names=[OAKLAND, "teams_example-interview_voice-tags.vtt"])
    return data_dir


def truncated_in_a_timing_line(corpus: Path) -> bytes:
    data = (corpus / "captions" / OAKLAND).read_bytes()
    cut = data.index(b" --> ", len(data) // 2) + len(b" --> 00:0")
    return data[:cut]


def cue(start: str, end: str, text: str) -> str:
    return f"{start} --> {end}\n{text}\n\n"


BAD_CAPTIONS = {
    # name: (bytes or a function of the corpus path, words the error must hold)
    "truncated.vtt": (truncated_in_a_timing_line, "not a valid cue timing line"),
    "binary.vtt": (bytes(range(256)) * 64, "binary data"),
    "picture.srt": (b"\x89PNG\r\n\x1a\n" + bytes(4000), "binary data"),
    "empty.vtt": (b"", "empty"),
    "bom-only.vtt": (b"\xef\xbb\xbf", "empty"),
    "bom-only-utf16.srt": (b"\xff\xfe", "empty"),
    "blank.vtt": (b"\n\n  \r\n\t\n", "empty"),
    "header-only.vtt": (b"WEBVTT\n\n", "no cues"),
    "wrong-encoding.vtt": (b"\xff\xfeW\x00E\x00B\x00V\x00\x00\xd8T\x00T\x00", "UTF-16"),
    "after-a-day.vtt": (
        ("WEBVTT\n\n" + cue("25:00:00.000", "25:00:04.000", "too late")).encode(),
        "24 hours",
    ),
    "absurd-hours.vtt": (
        ("WEBVTT\n\n" + cue("99999999999:00:00.000", "99999999999:00:01.000", "x")).encode(),
        "out of range",
    ),
    "bad-minutes.srt": (b"1\n00:75:00,000 --> 00:76:00,000\nhello\n", "below 60"),
    "backwards-only.vtt": (
        ("WEBVTT\n\n" + cue("00:00:09.000", "00:00:01.000", "backwards")).encode(),
        "ends before it starts",
    ),
    "not-captions.txt": (
        b"Dear council members,\nplease find attached the minutes.\n",
        "not a WebVTT or SRT",
    ),
    "thumbnails.vtt": (
        (
            "WEBVTT\n\n"
            + cue("00:00:00.000", "00:00:05.000", "sprite.jpg#xywh=0,0,160,90")
            + cue("00:00:05.000", "00:00:10.000", "sprite.jpg#xywh=160,0,160,90")
        ).encode(),
        "thumbnail",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_CAPTIONS))
def test_bad_caption_file_is_refused_with_one_clear_line_and_nothing_changes(archive, tmp_path, corpus, name):
    content, says = BAD_CAPTIONS[name]
    path = tmp_path / name
    path.write_bytes(content(corpus) if callable(content) else content)
    before = archive_state(archive)
    result = run(archive, "ingest", str(path))
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert str(path) in result.stderr or name in result.stderr
    assert says.lower() in result.stderr.lower(), result.stderr
    assert "Traceback" not in result.output
    assert archive_state(archive) == before


def test_one_bad_file_among_good_ones_stores_none_of_them(archive, tmp_path, corpus):
    bad = tmp_path / "binary.vtt"
    bad.write_bytes(bytes(range(256)) * 64)
    good = corpus / "captions" / "zoom_teacher-chemistry-lesson-31m.vtt"
    before = archive_state(archive)
    result = run(archive, "ingest", str(good), str(bad))
    assert result.exit_code == 1 and "binary.vtt" in result.stderr
    assert archive_state(archive) == before


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak memory is read from /proc (Linux)")
def test_a_100_mb_caption_file_is_refused_early_in_bounded_time_and_memory(archive, tmp_path):
    """A real subprocess: the refusal must come from the size, before the file is read or parsed."""
    path = tmp_path / "huge.vtt"
    block = ("WEBVTT\n\n" + cue("00:00:01.000", "00:00:02.000", "word " * 20) * 1000).encode()
    with path.open("wb") as handle:
        for _ in range(100 * 1024 * 1024 // len(block) + 1):
            handle.write(block)
    assert path.stat().st_size > 100 * 1024 * 1024
    before = archive_state(archive)
    # Peak memory of this process image: VmHWM (ru_maxrss would carry over the forking test runner's size).
    probe = (
        "import re, sys\n"
        "from uscm_archive.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "peak = re.search(r'VmHWM:\\s*(\\d+)', open('/proc/self/status').read()).group(1)\n"
        "print(f'maxrss_kb={peak}', file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", probe, "--data", str(archive), "ingest", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.perf_counter() - started
    assert result.returncode == 1, result.stderr
    error, rss = result.stderr.strip().splitlines()
    assert error.startswith(f"error: {path}") and f"{CAP_MB} MB" in error, error
    assert elapsed < 10, f"refusing took {elapsed:.1f} s"
    assert int(rss.split("=")[1]) < 250 * 1024, rss  # far below the file's 100 MB: it was never read
    assert archive_state(archive) == before


# -- odd but readable input: accepted, and what a reader sees is right -------------------------------------------
def ingest_ok(data_dir: Path, path: Path) -> int:
    result = run(data_dir, "ingest", str(path))
    assert result.exit_code == 0, result.output
    return int(result.stdout.strip().splitlines()[-1].split()[-1].strip(".:"))


def transcript_of(catalog, session_id: int) -> list:
    return catalog.segments(session_id)


def test_cues_out_of_order_read_in_time_order(archive, catalog, tmp_path):
    path = tmp_path / "shuffled.vtt"
    path.write_text(
        "WEBVTT\n\n"
        + cue("00:00:20.000", "00:00:24.000", "Third, we adjourn.")
        + cue("00:00:01.000", "00:00:04.000", "First, the roll call.")
        + cue("00:00:10.000", "00:00:14.000", "Second, public comment.")
    )
    session_id = ingest_ok(archive, path)
    segments = transcript_of(catalog, session_id)
    text = " ".join(s.text for s in segments)
    assert text.index("First") < text.index("Second") < text.index("Third")
    assert [s.start for s in segments] == sorted(s.start for s in segments)


def test_cues_beyond_a_day_are_dropped_with_a_warning_and_the_rest_kept(archive, catalog, tmp_path):
    path = tmp_path / "late.vtt"
    path.write_text(
        "WEBVTT\n\n"
        + cue("00:00:01.000", "00:00:04.000", "The meeting opens.")
        + cue("30:00:00.000", "30:00:04.000", "A timestamp from a broken encoder.")
    )
    result = run(archive, "ingest", str(path))
    assert result.exit_code == 0, result.output
    assert "24 hours" in result.output
    session_id = catalog.find_session_id(next(iter(_new_keys(catalog))))
    assert [s.text for s in transcript_of(catalog, session_id)] == ["The meeting opens."]


def _new_keys(catalog) -> list[str]:
    total, sessions = catalog.list_sessions(include_drafts=True, limit=100)
    return [s.source_key for s in sessions if s.source_key.startswith("file:")]


@pytest.mark.search
def test_a_10000_line_cue_is_stored_whole_and_searchable_in_bounded_time(archive, catalog, tmp_path):
    from catalog import SearchRequest
    from web.published import published

    lines = [f"line {n} of the longest cue" for n in range(10_000)]
    lines[-1] = "zanzibar closes the longest cue"
    path = tmp_path / "long-cue.vtt"
    path.write_text("WEBVTT\n\n" + cue("00:00:01.000", "00:10:00.000", "\n".join(lines)))
    started = time.perf_counter()
    ingest_ok(archive, path)
    assert time.perf_counter() - started < 15
    results = published(catalog.search(SearchRequest("zanzibar")))
    assert results.total == 1 and "zanzibar" in results.hits[0].snippet


def test_nested_and_unclosed_tags_leave_only_the_words(archive, catalog, tmp_path):
    path = tmp_path / "tags.vtt"
    path.write_text(
        "WEBVTT\n\n"
        + cue("00:00:01.000", "00:00:04.000", "<v Mayor Ruiz><b><i>Deeply <u>nested</i></b> words</u>")
        + cue("00:00:05.000", "00:00:08.000", "<c.yellow><b>never closed <i>at all")
        + cue("00:00:09.000", "00:00:12.000", "<script>alert(1)</script> &lt;b&gt; stays text")
    )
    session_id = ingest_ok(archive, path)
    text = " ".join(s.text for s in transcript_of(catalog, session_id))
    for word in ("Deeply", "nested", "words", "never closed", "at all", "stays text"):
        assert word in text
    assert "alert(1) <b> stays text" in text  # an escaped "<b>" is text the speaker said, shown as such
    assert text.count("<") == 1 and "</" not in text


def test_a_windows_1252_file_is_read_with_a_warning(archive, catalog, tmp_path):
    path = tmp_path / "latin.srt"
    path.write_bytes("1\n00:00:01,000 --> 00:00:03,000\nCaf\xe9 con el se\xf1or alcalde\n".encode("cp1252"))
    result = run(archive, "ingest", str(path))
    assert result.exit_code == 0, result.output
    assert "UTF-8" in result.output
    keys = _new_keys(catalog)
    texts = [s.text for key in keys for s in transcript_of(catalog, catalog.find_session_id(key))]
    assert "Café con el señor alcalde" in texts


# -- the catalog file of import-catalog -------------------------------------------------------------------------
def jsonl(*records) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


GOOD = {"title": "Mayors on housing", "date": "2024-01-18", "event": "92nd Winter Meeting"}
BAD_CATALOGS = {
    "broken-line.jsonl": (jsonl(GOOD, '{"title": "cut in the mid', GOOD | {"title": "Third"}), "line 2"),
    "not-an-object.jsonl": (jsonl(GOOD, "[1, 2, 3]"), "line 2"),
    "no-title.jsonl": (jsonl(GOOD, {"date": "2024-01-19"}), "line 2"),
    "bad-date.jsonl": (jsonl(GOOD, GOOD | {"title": "Other", "date": "2024-02-31"}), "line 2"),
    "binary.jsonl": (bytes(range(256)) * 8, "UTF-8"),
    "missing-transcript.jsonl": (jsonl(GOOD | {"transcript": "no/such/file.vtt"}), "line 1"),
}


@pytest.mark.parametrize("name", sorted(BAD_CATALOGS))
def test_broken_catalog_lines_are_refused_naming_the_line_and_nothing_changes(archive, tmp_path, name):
    content, says = BAD_CATALOGS[name]
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    before = archive_state(archive)
    result = run(archive, "import-catalog", str(path))
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: ") and says in result.stderr and name in result.stderr, (
        result.stderr
    )
    assert "Traceback" not in result.output
    assert archive_state(archive) == before


def test_the_real_uscm_catalog_imports_and_a_second_import_duplicates_nothing(archive, corpus, catalog):
    path = corpus / "uscm" / "sessions.jsonl"
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert run(archive, "import-catalog", str(path)).exit_code == 0
    total, _ = catalog.list_sessions(include_drafts=True, limit=1)
    assert run(archive, "import-catalog", str(path)).exit_code == 0
    again, _ = catalog.list_sessions(include_drafts=True, limit=1)
    assert total == again == 2 + len(lines)


# -- the same files through the staff area's upload form ---------------------------------------------------------
@pytest.fixture(scope="module")
def staff_client(tmp_path_factory):
    from fastapi.testclient import TestClient

    from tests.support.staffsite import build_staff_site, sign_in
    from web.app import create_app

    site = build_staff_site(tmp_path_factory.mktemp("upload") / "data")
    with TestClient(create_app(site.settings)) as client:
        assert sign_in(client).status_code == 303
        yield client, site


@pytest.mark.parametrize("name", sorted(BAD_CAPTIONS))
def test_bad_caption_upload_is_refused_with_a_4xx_page_and_nothing_changes(staff_client, corpus, name):
    import html

    from tests.support.staffsite import signed_in_csrf

    client, site = staff_client
    content, says = BAD_CAPTIONS[name]
    data = content(corpus) if callable(content) else content
    before = archive_state(site.settings.data_dir)
    response = client.post(
        "/staff/sessions/new/upload",
        data={"csrf": signed_in_csrf(client), "title": f"Upload of {name}"},
        files={"captions": (name, data, "text/vtt")},
        follow_redirects=False,
    )
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    page = html.unescape(response.text)
    assert "caption" in page.lower() and ("WebVTT or SRT" in page or says.lower() in page.lower()), name
    assert "Traceback" not in page
    assert archive_state(site.settings.data_dir) == before
