"""What every command shares: the ``--data`` option and opening the catalog."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import click

from catalog import Catalog
from uscm_archive.settings import Settings, from_environment


def with_settings(command: Callable) -> Callable:
    """Give a command a ``--data DIR`` option of its own and pass it ``settings`` as the first argument.

    ``uscm-archive --data D search q`` and ``uscm-archive search --data D q`` both work; the command's own
    option wins.
    """

    @click.option(
        "--data",
        "data_dir",
        type=click.Path(file_okay=False),
        default=None,
        help="Data folder [env USCM_ARCHIVE_DATA; default ./uscm-data].",
    )
    @click.pass_context
    @functools.wraps(command)
    def wrapper(ctx: click.Context, *args, data_dir: str | None = None, **kwargs):
        settings: Settings = ctx.find_root().obj or from_environment()
        if data_dir is not None:
            settings = replace(settings, data_dir=Path(data_dir))
        return command(settings, *args, **kwargs)

    return wrapper


@contextmanager
def open_catalog(settings: Settings) -> Iterator[Catalog]:
    catalog = Catalog.open(settings.catalog_path)
    try:
        yield catalog
    finally:
        catalog.close()
