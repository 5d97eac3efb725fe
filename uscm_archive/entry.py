"""The ``uscm-archive`` console script: ``uscm_archive.cli.main`` in a process of its own.

It runs before anything else is imported, to keep the reading commands' start-up short: sqlite-utils imports numpy
whenever it is installed (the ``[asr]`` extra brings it) only to convert numpy values on insert; ``search``,
``sessions``, ``export`` and ``trends`` insert nothing, and numpy costs them about 0.1 s of CPU. ``ingest`` inserts
no numpy value either unless it transcribes (speech recognition is what needs numpy), so it goes without too.
"""

from __future__ import annotations

import sys

READING_COMMANDS = frozenset({"search", "sessions", "export", "trends"})
# the group's options that take no value (all the others take one)
FLAGS = frozenset({"--version", "-h", "--help"})


def command_of(argv: list[str]) -> tuple[str | None, list[str]]:
    """The command named on this command line and the words after it: the first word that is neither one of the
    group's options nor an option's value (``--data ingest search x`` is ``search``)."""
    at = 0
    while at < len(argv):
        word = argv[at]
        if word == "--":
            at += 1
            break
        if not word.startswith("-"):
            break
        at += 1 if word in FLAGS or "=" in word else 2
    return (argv[at], argv[at + 1 :]) if at < len(argv) else (None, [])


def needs_no_numpy(argv: list[str]) -> bool:
    """Whether this command line runs a command that inserts no numpy value: a reading command, or an ``ingest``
    that does not transcribe."""
    command, rest = command_of(argv)
    return command in READING_COMMANDS or (command == "ingest" and "--transcribe" not in rest)


def run() -> None:
    argv = sys.argv[1:]
    if needs_no_numpy(argv) and "numpy" not in sys.modules:
        sys.modules["numpy"] = None  # ``import numpy`` raises ImportError: sqlite-utils does without it
    from uscm_archive.cli import main

    sys.exit(main(argv))


if __name__ == "__main__":
    run()
