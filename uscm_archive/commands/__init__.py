"""Command groups. Each module defines its commands and a ``register(cli)``; one module per area."""

from __future__ import annotations

import click


def register(cli: click.Group) -> None:
    from uscm_archive.commands import (
        archive_cmds,
        catalog_cmds,
        ops_cmds,
        serve_cmd,
        transcribe_cmd,
        user_cmds,
    )

    for module in (catalog_cmds, archive_cmds, transcribe_cmd, serve_cmd, user_cmds, ops_cmds):
        module.register(cli)
