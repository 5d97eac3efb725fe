"""Render the command-line reference (docs/cli.md) from the commands themselves, so it cannot go stale.

``python -m uscm_archive.clidoc > docs/cli.md`` rewrites it; tests/test_docs.py checks it is current.
"""

from __future__ import annotations

import click

from uscm_archive.cli import cli

HEADER = """# Command-line reference

Generated from the commands' own help by `python -m uscm_archive.clidoc > docs/cli.md`; a test keeps it current.
Every command takes `--data DIR` (or the `USCM_ARCHIVE_DATA` variable); the default data folder is `./uscm-data`.
`uscm-archive --catalog postgresql://user@host/db COMMAND` (or `USCM_ARCHIVE_CATALOG`) keeps the catalog in
PostgreSQL instead of the data folder's `catalog.db`; the data folder still holds the caption and media files
([scale-out.md](scale-out.md)).
Errors print one line, `error: ...`, on stderr and exit with status 1 (with `--json` too).

- `-` is standard input or output where a file is read or written: `ingest -`, `import-catalog -`, `export -o -`,
  `backup -`, `restore -`.
- `--json` (every command that reports) prints one JSON document on stdout; its shape is in the option's help.
- `-q/--quiet` (every command) leaves only errors on stderr and drops the summary line on stdout; a command's
  product (session ids, a transcript, a token) is still printed.
- Long operations (ingest and sync of many items, import-catalog, dump, load) draw a progress bar with the time
  left on stderr when it is a terminal, never with `--json` or `--quiet`.
- Shell completion: `eval "$(_USCM_ARCHIVE_COMPLETE=bash_source uscm-archive)"` (`zsh_source`, `fish_source`).
- Every write from the command line is in the staff audit log as `cli:<login>`, the operating-system user.
"""


# The help option names the real command line uses. Click caches each command's help option the first time it
# is asked for, so a bare Context (which knows only "--help") would make the output depend on what ran before.
HELP_NAMES = cli.context_settings.get("help_option_names", ["--help"])


def _walk(command: click.Command, path: list[str]):
    yield path, command
    if isinstance(command, click.Group):
        for name in sorted(command.list_commands(click.Context(command))):
            yield from _walk(command.get_command(click.Context(command), name), [*path, name])


def render() -> str:
    parts = [HEADER]
    for path, command in _walk(cli, ["uscm-archive"]):
        ctx = click.Context(command, info_name=" ".join(path), help_option_names=HELP_NAMES)
        heading = "#" * min(len(path) + 1, 4)
        parts.append(f"\n{heading} `{' '.join(path)}`\n\n```text\n{command.get_help(ctx).rstrip()}\n```\n")
    return "".join(parts)


if __name__ == "__main__":
    print(render(), end="")
