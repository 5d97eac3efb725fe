"""What every command prints, one way: ``--json``, ``-q/--quiet``, ``-`` for standard input and output, and the
progress bar of a long operation (click's, the one place that draws one).

- stdout holds the command's result: its data (ids, a transcript, a token), its summary for people, or with
  ``--json`` one JSON document (the shape each command documents in its help).
- stderr holds progress, warnings and notes; ``--quiet`` leaves only errors there and drops the summary too.
- errors are ``error: ...`` on stderr with exit status 1, with ``--json`` and ``--quiet`` alike.
- the progress bar (with ETA) is drawn only when stderr is a terminal, never with ``--json`` or ``--quiet``.
"""

from __future__ import annotations

import functools
import getpass
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

import click

STDIO = "-"


def cli_user() -> str:
    """Who the audit log names for a command-line write: ``cli:<login>`` of the operating-system user."""
    try:
        login = getpass.getuser()
    except (KeyError, OSError):  # no login name and no user database entry (a bare container)
        login = "unknown"
    return f"cli:{login}"


@dataclass(frozen=True)
class Output:
    as_json: bool = False
    quiet: bool = False

    def data(self, text: str) -> None:
        """The command's product on stdout (printed with --quiet too; replaced by the JSON with --json)."""
        if not self.as_json:
            click.echo(text)

    def summary(self, text: str) -> None:
        """A line for people on stdout: what was done. Not with --quiet or --json."""
        if not (self.quiet or self.as_json):
            click.echo(text)

    def note(self, text: str) -> None:
        """Progress and notes on stderr; not with --quiet."""
        if not self.quiet:
            click.echo(text, err=True)

    def warn(self, text: str) -> None:
        if not self.quiet:
            click.echo(f"warning: {text}", err=True)

    @staticmethod
    def error(text: str) -> None:
        click.echo(f"error: {text}", err=True)

    def emit(self, document) -> None:
        """The --json document on stdout."""
        if self.as_json:
            click.echo(json.dumps(document, ensure_ascii=False, indent=2, default=str))

    @property
    def draws_progress(self) -> bool:
        return not (self.as_json or self.quiet) and sys.stderr.isatty()

    @contextmanager
    def bar(self, total: int, label: str) -> Iterator[Callable[..., None]]:
        """A progress bar with ETA on stderr; yields ``advance(done, total=None)``: how many are done, and the
        total when only the work learns it (a dump counts its segments). Drawn once the total is over one."""
        state: dict = {"total": total, "bar": None, "shown": 0}

        def advance(done: int, new_total: int | None = None) -> None:
            if not self.draws_progress:
                return
            if new_total is not None and state["bar"] is None:
                state["total"] = new_total
            if state["bar"] is None:
                if state["total"] <= 1:
                    return
                state["bar"] = click.progressbar(
                    length=state["total"], label=label, file=sys.stderr, show_eta=True, show_pos=True
                )
                state["bar"].__enter__()
            if done > state["shown"]:
                state["bar"].update(done - state["shown"])
                state["shown"] = done

        try:
            yield advance
        finally:
            if state["bar"] is not None:
                state["bar"].__exit__(None, None, None)


def reporting(json_help: str | None) -> Callable:
    """Give a command ``-q/--quiet`` and (when ``json_help`` says its shape) ``--json``; it gets ``out``."""

    def decorate(command: Callable) -> Callable:
        @functools.wraps(command)
        def wrapper(*args, quiet: bool = False, as_json: bool = False, **kwargs):
            return command(*args, out=Output(as_json=as_json, quiet=quiet), **kwargs)

        wrapper = click.option(
            "-q", "--quiet", is_flag=True, help="Print only errors on stderr (and no summary on stdout)."
        )(wrapper)
        if json_help:
            wrapper = click.option("--json", "as_json", is_flag=True, help=f"Print JSON: {json_help}")(
                wrapper
            )
        return wrapper

    return decorate


def stdin_binary() -> BinaryIO:
    return sys.stdin.buffer


def stdout_binary() -> BinaryIO:
    sys.stdout.flush()
    return sys.stdout.buffer


def read_stdin_bytes() -> bytes:
    return stdin_binary().read()
