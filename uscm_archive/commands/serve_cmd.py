"""``uscm-archive serve``: the public site, the JSON API and the staff area, with uvicorn.

One process serves by default. ``--workers N`` starts N uvicorn worker processes sharing the port: searching is
CPU work in Python and SQLite, so one process uses one core; on a machine with N cores, serve with ``--workers N``.
Each worker builds the same app from the settings the command resolved (passed down in one environment variable).

Every server process also runs a worker thread for the shared work queue (URL ingests, uploads, retries,
transcriptions), so that one machine needs no other process; ``--no-worker`` makes a node that only serves (jobs
then wait for an ``uscm-archive worker`` somewhere). Before serving, the node checks its signing key against the
fingerprint the catalog keeps (``--new-secret-key`` replaces it): nodes that sign with different keys refuse to
start rather than sign each other's staff out.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict, replace
from pathlib import Path

import click
import uvicorn

from uscm_archive.commands.common import with_settings
from uscm_archive.commands.output import Output, reporting
from uscm_archive.settings import Settings, key_fingerprint


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


def store_problem(settings: Settings) -> str | None:
    """Why the media store cannot be used (``--media-store``: no such bucket, refused credentials), or None."""
    problem = settings.files.reachable()
    return f"media store {settings.media_store}: {problem}" if problem else None


@click.command("serve")
@click.option("--host", default=None, help="Address to listen on [default 127.0.0.1].")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port to listen on [default 8000].")
@click.option(
    "--demo", is_flag=True, help="Load the bundled fictional demo sessions first if the archive is empty."
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Server processes; on a machine with N cores, use N.",
)
@click.option(
    "--no-worker",
    is_flag=True,
    help="Only serve: run no worker thread (jobs wait for `uscm-archive worker` processes).",
)
@click.option(
    "--new-secret-key",
    is_flag=True,
    help="Make this node's signing key the archive's, when another is recorded (signs every staff member out).",
)
@reporting(None)
@with_settings
def serve(
    settings: Settings,
    host: str | None,
    port: int | None,
    demo: bool,
    workers: int,
    no_worker: bool,
    new_secret_key: bool,
    out: Output,
) -> None:
    """Serve the archive's web site and JSON API until interrupted (Ctrl-C)."""
    from archive.leftovers import sweep_leftovers, sweep_staged
    from uscm_archive.demo import load_demo
    from web.app import create_app

    settings = replace(settings, host=host or settings.host, port=port or settings.port)
    problem = port_problem(settings.host, settings.port) or store_problem(settings)
    if problem:
        click.echo(f"error: {problem}", err=True)
        raise click.exceptions.Exit(1)
    if not settings.secret_key and not settings.catalog_on_file:
        click.echo(
            "error: a PostgreSQL catalog is shared by nodes on several machines: give every node the same "
            "USCM_ARCHIVE_SECRET_KEY (a key kept in one node's data folder would sign the others' staff out)",
            err=True,
        )
        raise click.exceptions.Exit(1)
    settings = replace(settings.with_secret(), worker=not no_worker)
    problem = key_problem(settings, replace_key=new_secret_key)
    if problem:
        click.echo(f"error: {problem}", err=True)
        raise click.exceptions.Exit(1)
    if demo:
        loaded = load_demo(settings)
        message = (
            f"Loaded {loaded} demo sessions." if loaded else "The archive is not empty: demo not loaded."
        )
        out.summary(f"{message} (data folder: {settings.data_dir})")
    for line in [*sweep_leftovers(settings.data_dir), *sweep_staged(settings.files)]:
        out.note(f"removed crash leftover: {line}")
    processes = f" with {workers} worker processes" if workers > 1 else ""
    if no_worker:
        processes += " (no worker: jobs wait for `uscm-archive worker`)"
    out.summary(
        f"Serving {settings.site_name} on http://{settings.host}:{settings.port}/{processes} (Ctrl-C to stop)"
    )
    log_level = "error" if out.quiet else "warning"
    options = {"host": settings.host, "port": settings.port, "log_level": log_level, "access_log": False}
    if workers == 1:
        uvicorn.run(create_app(settings), **options)
        return
    os.environ[SETTINGS_VARIABLE] = settings_to_json(settings)
    serve_workers(uvicorn.Config(f"{__name__}:worker_app", factory=True, workers=workers, **options))


def key_problem(settings: Settings, *, replace_key: bool = False) -> str | None:
    """Why this node must not serve with its signing key (another node's differs), or ``None``."""
    from catalog import Catalog, CatalogError

    node = f"{socket.gethostname()}:{settings.port}"
    try:
        catalog = Catalog.open(settings.catalog_path)
    except CatalogError as exc:
        return str(exc)
    try:
        catalog.staff.signing_key.check(key_fingerprint(settings.secret_key), node, replace=replace_key)
    except CatalogError as exc:
        return exc.message
    finally:
        catalog.close()
    return None


def serve_workers(config) -> None:
    """What ``uvicorn.run`` does for several workers, with changes to how connections reach them.

    - All workers listen on one socket, and each takes a new connection only when it holds no more connections
      than any other worker (``uscm_archive/serve_balance.py``): keep-alive clients stay on the worker that took
      them, and with one ``SO_REUSEPORT`` socket per worker the kernel's hash split 32 clients up to 12/20, the
      busier worker's queue deeper and its answers slower. (On one shared socket that every worker accepts from
      freely, one worker took ~80% of 32 keep-alive clients while the other core idled.)
    - ``TCP_NODELAY`` is set on the listening socket and on every accepted connection: asyncio does not see a
      socket rebuilt from its descriptor as TCP and would leave Nagle's algorithm on, so that a response written
      in two parts waits for the client's delayed ACK (~40 ms a request on Linux).
    - The socket listens from the start, before any worker has warmed up (``web/worker_start.py``, seconds at
      1M segments), and a worker that is still starting keeps its share: clients that come meanwhile wait in the
      socket's queue instead of all going to the worker that was ready first (seen: 32 of 32 clients on one
      worker, the other core idle).
    """
    from uscm_archive.serve_balance import serve_balanced

    sock = listening_socket(config.host, config.port, reuse_port=False)
    sock.listen(config.backlog)
    serve_balanced(config, sock)


def listening_socket(host: str, port: int, reuse_port: bool = True) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(address)
    sock.set_inheritable(True)
    return sock


SETTINGS_VARIABLE = "USCM_ARCHIVE_SERVE_SETTINGS"


def settings_to_json(settings: Settings) -> str:
    values = {name: value for name, value in asdict(settings).items() if name != "ytdlp_factory"}
    return json.dumps({**values, "data_dir": str(settings.data_dir)})


def settings_from_json(text: str) -> Settings:
    values = json.loads(text)
    lists = {name: tuple(values[name]) for name in ("media_hosts", "catalog_replicas") if name in values}
    return Settings(**{**values, **lists, "data_dir": Path(values["data_dir"])})


def worker_app():
    """The app of one worker process (``serve --workers N``), from the settings its parent resolved."""
    from web.app import create_app

    return create_app(settings_from_json(os.environ[SETTINGS_VARIABLE]))


def register(cli: click.Group) -> None:
    cli.add_command(serve)
