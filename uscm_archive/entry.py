"""The ``uscm-archive`` console script: ``uscm_archive.cli.main`` in a process of its own.

It runs before anything else is imported, to keep the reading commands' start-up short: sqlite-utils imports numpy
whenever it is installed (the ``[asr]`` extra brings it) only to convert numpy values on insert; ``search``,
``sessions``, ``export`` and ``trends`` insert nothing, and numpy costs them about 0.1 s of CPU. ``ingest`` inserts
no numpy value either unless it transcribes (speech recognition is what needs numpy), so it goes without too.
"""

from __future__ import annotations

import sys

READING_COMMANDS = frozenset({"search", "sessions", "export", "trends"})


def run() -> None:
    argv = sys.argv[1:]
    words = set(argv)
    without_numpy = READING_COMMANDS & words or ("ingest" in words and "--transcribe" not in words)
    if without_numpy and "numpy" not in sys.modules:
        sys.modules["numpy"] = None  # ``import numpy`` raises ImportError: sqlite-utils does without it
    from uscm_archive.cli import main

    sys.exit(main(argv))


if __name__ == "__main__":
    run()
