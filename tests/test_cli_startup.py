"""A fast command line: ``search``, ``sessions`` and ``export`` load only what they need (no web stack, no yt-dlp),
and ``ingest`` of a caption file leaves yt-dlp, the web stack and numpy alone.

This checks behaviour, not timing (the wall times are measured by ``python -m bench.cli``, docs/benchmarks.md):
each command runs in a fresh interpreter on the demo archive, answers, and leaves the heavy packages unimported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from uscm_archive.commands import COMMANDS

HEAVY = ("fastapi", "starlette", "uvicorn", "jinja2", "yt_dlp", "argon2", "archive", "numpy")
# The published shapes (web/published.py for a search; web/bulk.py and web/trends_view.py for CSV and trends:
# plain Python over the catalog's results) are the parts of web/ the command line shares with the site; any other
# web module counts as the web stack.
WEB_SHARED = ("web", "web.published", "web.bulk", "web.trends_view")

PROBE = f"""
import json, sys
from uscm_archive.entry import run
try:
    run()  # the console script's own entry
except SystemExit as exit:
    code = exit.code
heavy = {{name.split(".")[0] for name, module in sys.modules.items() if module is not None}} & {set(HEAVY)!r}
heavy |= {{name for name in sys.modules if name.split(".")[0] == "web" and name not in {WEB_SHARED!r}}}
heavy = sorted(heavy)
print("\\nIMPORTED " + json.dumps({{"code": code, "heavy": heavy}}), flush=True)
"""


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory) -> Path:
    from uscm_archive.demo import load_demo
    from uscm_archive.settings import from_environment

    data_dir = tmp_path_factory.mktemp("demo") / "data"
    assert load_demo(from_environment(data_dir=str(data_dir))) >= 3
    return data_dir


def run_fresh(data_dir: Path, *args: str) -> tuple[str, str, dict]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "--data", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    output, _, report = done.stdout.rpartition("\nIMPORTED ")
    return output, done.stderr, json.loads(report)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("search", "broadband"), "broadband"),
        (("search", "housing", "--json"), '"results"'),
        (("search", "housing", "--csv"), "session_id,session_title"),
        (("trends", "housing", "broadband"), "total"),
        (("sessions",), "Broadband"),
        (("export", "1", "--format", "srt"), "00:00:"),
    ],
)
def test_reading_commands_answer_without_the_web_stack_or_yt_dlp(demo_data: Path, args, expected):
    output, stderr, report = run_fresh(demo_data, *args)
    assert report["code"] == 0, stderr
    assert expected.lower() in output.lower()
    assert report["heavy"] == [], f"{' '.join(args)} imported {report['heavy']}"


def test_an_error_is_still_one_line_before_the_other_packages_are_loaded(demo_data: Path):
    output, stderr, report = run_fresh(demo_data, "export", "999")
    assert report["code"] == 1 and stderr.startswith("error: ") and "Traceback" not in stderr
    assert report["heavy"] == []


def test_every_command_is_in_the_table_that_loads_it():
    import importlib
    import pkgutil

    import uscm_archive.commands as package

    modules = [
        importlib.import_module(f"{package.__name__}.{m.name}")
        for m in pkgutil.iter_modules(package.__path__)
    ]
    registered: dict[str, str] = {}
    for module in (m for m in modules if hasattr(m, "register")):
        group = click.Group()
        module.register(group)
        registered.update({name: module.__name__.rsplit(".", 1)[1] for name in group.commands})
    assert registered == COMMANDS


def test_ingesting_a_caption_file_loads_neither_yt_dlp_nor_the_web_stack(tmp_path: Path):
    # a staffer's weekly command: yt-dlp (and the queue and bulk-import parts, which bring it) are for URLs
    caption = tmp_path / "welcome.vtt"
    caption.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nWelcome to the housing webinar.\n", "utf-8")
    output, stderr, report = run_fresh(tmp_path / "data", "ingest", str(caption), "--title", "Housing")
    assert report["code"] == 0, stderr
    assert output.strip().isdigit() and "5 words" in stderr
    assert sorted(set(report["heavy"]) - {"archive"}) == [], f"ingest imported {report['heavy']}"


@pytest.mark.parametrize(
    ("argv", "without"),
    [
        (["search", "housing"], True),
        (["--data", "/srv/ingest", "search", "housing"], True),
        (["--data=/srv/x", "ingest", "a.vtt", "--title", "T"], True),
        (["ingest", "talk.wav", "--transcribe"], False),  # speech recognition needs numpy
        (["--data", "ingest", "transcribe", "5"], False),  # a folder named like a command is not one
        (["--data", "search", "worker"], False),
        (["transcribe", "--model", "ingest", "--pending"], False),
        (["--version"], False),
        ([], False),
    ],
)
def test_numpy_is_kept_out_only_of_commands_that_insert_no_numpy_value(argv, without):
    from uscm_archive.entry import needs_no_numpy

    assert needs_no_numpy(argv) is without
