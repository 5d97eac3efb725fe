"""Docs that cannot go stale: the README's commands are the ones CI runs, and the CLI reference is current."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    """The shell lines of the README's fenced ``sh`` blocks, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_readme_gives_exactly_two_setup_commands():
    commands = readme_commands()[:2]
    assert len(commands) == 2
    serve, test = commands
    assert serve.startswith("python3 -m venv .venv") and "uscm-archive serve" in serve
    assert test.startswith("python3 -m venv .venv") and "pytest" in test


def test_ci_runs_the_readme_test_command_exactly():
    test_command = readme_commands()[1]
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_lines


def test_cli_reference_is_current():
    from uscm_archive.clidoc import render

    current = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == render(), "docs/cli.md is stale: python -m uscm_archive.clidoc > docs/cli.md"
