"""Command groups. Each module defines its commands and a ``register(cli)``; one module per area."""

from __future__ import annotations

import click


def register(cli: click.Group) -> None:
    from uscm_archive.commands import (
        archive_cmds,
        catalog_cmds,
        open_data_cmd,
        ops_cmds,
        serve_cmd,
        user_cmds,
    )

    for module in (catalog_cmds, archive_cmds, serve_cmd, user_cmds, ops_cmds, open_data_cmd):
        module.register(cli)
