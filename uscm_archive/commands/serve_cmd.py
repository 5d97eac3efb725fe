"""``uscm-archive serve``: the public site, the JSON API and the staff area, with uvicorn."""

from __future__ import annotations

import socket
from dataclasses import replace

import click
import uvicorn

from uscm_archive.commands.common import with_settings
from uscm_archive.settings import Settings


def port_problem(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on (in use, unknown host), or ``None`` if it can."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return f"cannot listen on {host}: {exc.strerror}"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None


@click.command("serve")
@click.option("--host", default=None, help="Address to listen on [default 127.0.0.1].")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port to listen on [default 8000].")
@click.option(
    "--demo", is_flag=True, help="Load the bundled fictional demo sessions first if the archive is empty."
)
@with_settings
def serve(settings: Settings, host: str | None, port: int | None, demo: bool) -> None:
    """Serve the archive's web site and JSON API until interrupted (Ctrl-C)."""
    from uscm_archive.demo import load_demo
    from web.app import create_app

    settings = replace(settings, host=host or settings.host, port=port or settings.port)
    problem = port_problem(settings.host, settings.port)
    if problem:
        click.echo(f"error: {problem}", err=True)
        raise click.exceptions.Exit(1)
    if demo:
        loaded = load_demo(settings)
        message = (
            f"Loaded {loaded} demo sessions." if loaded else "The archive is not empty: demo not loaded."
        )
        click.echo(f"{message} (data folder: {settings.data_dir})")
    app = create_app(settings.with_secret())
    click.echo(f"Serving {settings.site_name} on http://{settings.host}:{settings.port}/ (Ctrl-C to stop)")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", access_log=False)


def register(cli: click.Group) -> None:
    cli.add_command(serve)
