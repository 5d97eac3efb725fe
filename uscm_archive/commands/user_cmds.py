"""``uscm-archive user ...``: staff accounts (editor or admin) and their API tokens."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from uscm_archive.commands.common import open_catalog, with_settings
from uscm_archive.commands.output import Output, cli_user, reporting
from web.auth import PasswordError, hash_password, new_api_token, token_digest


def fail(message: str) -> NoReturn:
    """One clear line on stderr and exit 1, like every other command's errors."""
    click.echo(f"error: {message}", err=True)
    raise click.exceptions.Exit(1)


def read_password(prompt: str = "Password") -> str:
    """Prompted twice on a terminal; otherwise the first line of stdin (for scripts)."""
    if sys.stdin.isatty():
        return click.prompt(prompt, hide_input=True, confirmation_prompt=True)
    line = sys.stdin.readline()
    if not line:
        fail("no password given on stdin")
    return line.rstrip("\r\n")


def hashed_new_password() -> str:
    try:
        return hash_password(read_password())
    except PasswordError as exc:
        fail(str(exc))


@click.group("user")
def user_group() -> None:
    """Staff accounts: editors catalog sessions; admins also manage users."""


@user_group.command("add")
@click.argument("name")
@click.option("--admin", is_flag=True, help="Give the user the admin role (can manage users).")
@reporting('{"name", "role"}.')
@with_settings
def add_user(settings, name: str, admin: bool, out: Output) -> None:
    """Add a staff user NAME (password prompted twice, or read from stdin)."""
    password_hash = hashed_new_password()
    with open_catalog(settings) as catalog:
        user = catalog.staff.users.add(name, password_hash, "admin" if admin else "editor", by=cli_user())
    out.emit({"name": user.name, "role": user.role})
    out.summary(f"added {user.role} {user.name}")


@user_group.command("passwd")
@click.argument("name")
@reporting('{"name"}.')
@with_settings
def change_password(settings, name: str, out: Output) -> None:
    """Set a new password for NAME (signs them out everywhere)."""
    with open_catalog(settings) as catalog:
        users = catalog.staff.users
        users.require(name)
        users.set_password(name, hashed_new_password(), by=cli_user())
    out.emit({"name": name})
    out.summary(f"password changed for {name}")


@user_group.command("remove")
@click.argument("name")
@reporting('{"name", "removed": true}.')
@with_settings
def remove_user(settings, name: str, out: Output) -> None:
    """Remove the user NAME and their API tokens (the audit log keeps their name)."""
    with open_catalog(settings) as catalog:
        catalog.staff.users.remove(name, by=cli_user())
    out.emit({"name": name, "removed": True})
    out.summary(f"removed {name}")


@user_group.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(["editor", "admin"]))
@reporting('{"name", "role"}.')
@with_settings
def set_role(settings, name: str, role: str, out: Output) -> None:
    """Make NAME an editor or an admin."""
    with open_catalog(settings) as catalog:
        catalog.staff.users.set_role(name, role, by=cli_user())
    out.emit({"name": name, "role": role})
    out.summary(f"{name} is now {role}")


@user_group.command("list")
@reporting('a list of {"name", "role", "disabled", "created_at"}.')
@with_settings
def list_users(settings, out: Output) -> None:
    """List staff users with their roles."""
    with open_catalog(settings) as catalog:
        users = catalog.staff.users.list()
    out.emit(
        [{"name": u.name, "role": u.role, "disabled": u.disabled, "created_at": u.created_at} for u in users]
    )
    for user in users:
        state = " (disabled)" if user.disabled else ""
        out.data(f"{user.name}\t{user.role}{state}\t{user.created_at}")


@user_group.command("token")
@click.argument("name")
@click.option("--label", default=None, help="What the token is for, e.g. 'weekly import script'.")
@reporting('{"name", "label", "token"}.')
@with_settings
def make_token(settings, name: str, label: str | None, out: Output) -> None:
    """Create an API token for NAME and print it once (send it as 'Authorization: Bearer TOKEN')."""
    token = new_api_token()
    with open_catalog(settings) as catalog:
        users = catalog.staff.users
        users.add_token(users.require(name).id, token_digest(token), label, by=cli_user())
    out.emit({"name": name, "label": label, "token": token})
    out.data(token)


def register(cli: click.Group) -> None:
    cli.add_command(user_group)
