"""Reading the staff forms' text areas: speakers ("Name | role" a line), topics, chapters ("1:02:03 Title")."""

from __future__ import annotations

import re

from web.timecode import parse_time

MAX_LINES = 500


class FormProblem(ValueError):
    """A form field that cannot be read; the message names the line."""


def _lines(text: str) -> list[tuple[int, str]]:
    lines = [(n, line.strip()) for n, line in enumerate((text or "").splitlines(), 1) if line.strip()]
    if len(lines) > MAX_LINES:
        raise FormProblem(f"at most {MAX_LINES} lines, please")
    return lines


def parse_credits(text: str) -> list[tuple[str, str | None]]:
    """``Mayor David Holt | Oklahoma City`` → ``("Mayor David Holt", "Oklahoma City")``; the role is optional."""
    credits = []
    for number, line in _lines(text):
        name, _, role = line.partition("|")
        if not name.strip():
            raise FormProblem(f"line {number}: a name is needed before the '|'")
        credits.append((name.strip(), role.strip() or None))
    return credits


def parse_topics(text: str) -> list[str]:
    return [t.strip() for t in re.split(r"[,\n]", text or "") if t.strip()][:MAX_LINES]


def parse_chapters(text: str) -> list[tuple[float, str]]:
    """Each line: a time (``90``, ``1:30``, ``1:02:03``, ``1m30s``), a space, the chapter title."""
    chapters = []
    for number, line in _lines(text):
        when, _, title = line.partition(" ")
        start = parse_time(when)
        if start is None:
            raise FormProblem(f"line {number}: start with a time such as 1:30 or 1:02:03, then the title")
        if not title.strip():
            raise FormProblem(f"line {number}: the chapter at {when} needs a title")
        chapters.append((start, title.strip()))
    return chapters


def parse_names(text: str) -> list[str]:
    return [name for _, name in _lines(text)]
