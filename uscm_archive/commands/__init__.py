"""Command groups. Each module defines its commands and a ``register(cli)``; one module per area.

A module is imported only when one of its commands runs (or help lists them all), so that ``search``,
``sessions`` and ``export`` start without the web stack or yt-dlp: ``COMMANDS`` names each command's module.
"""

from __future__ import annotations

import importlib

import click

COMMANDS = {
    "search": "catalog_cmds",
    "sessions": "catalog_cmds",
    "export": "catalog_cmds",
    "trends": "tools_cmds",
    "ingest": "archive_cmds",
    "import-catalog": "archive_cmds",
    "sync": "archive_cmds",
    "retry": "archive_cmds",
    "status": "archive_cmds",
    "serve": "serve_cmd",
    "user": "user_cmds",
    "backup": "ops_cmds",
    "restore": "ops_cmds",
    "dump": "ops_cmds",
    "load": "ops_cmds",
    "check": "ops_cmds",
    "compact": "ops_cmds",
    "copy-catalog": "copy_cmd",
    "export-public": "open_data_cmd",
    "digest": "digest_cmd",
    "transcribe": "transcribe_cmd",
    "worker": "worker_cmd",
}


def load_command(cli: click.Group, name: str) -> click.Command | None:
    """Import the module of command ``name`` and let it register its commands on ``cli``."""
    module = COMMANDS.get(name)
    if module is None:
        return None
    if name not in cli.commands:
        importlib.import_module(f"uscm_archive.commands.{module}").register(cli)
    return cli.commands.get(name)


def register(cli: click.Group) -> None:
    """Every command, imported now (for tools that walk ``cli.commands``)."""
    for name in COMMANDS:
        load_command(cli, name)
