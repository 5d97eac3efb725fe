"""``digest``: mail each staffer the new sessions that match their saved searches."""

from __future__ import annotations

import click

from uscm_archive.commands.common import open_catalog, with_settings
from uscm_archive.settings import Settings


@click.command("digest")
@click.option(
    "--dry-run", is_flag=True, help="Print the letters instead of sending them (nothing is marked sent)."
)
@with_settings
def digest_cmd(settings: Settings, dry_run: bool) -> None:
    """Send each staffer one e-mail listing the new sessions matching their saved searches since their last digest.

    Saved searches are made on the staff page /staff/searches. Mail goes through the SMTP server in the settings
    (USCM_ARCHIVE_SMTP_HOST, _PORT, _FROM, optional _STARTTLS, _USER, _PASSWORD). A session is listed once per
    search: run it as often as you like (e.g. daily from cron or a systemd timer, docs/operations.md).
    """
    from uscm_archive import mail
    from uscm_archive.digest import digests, run_digests

    site = settings.base_url or f"http://{settings.host}:{settings.port}"
    with open_catalog(settings) as catalog:
        due = digests(catalog, site, settings.site_name)
        if dry_run:
            for digest in due:
                click.echo(
                    f"To: {digest.letter.to}\nSubject: {digest.letter.subject}\n\n{digest.letter.body}"
                )
            click.echo(f"{len(due)} digest{'s' if len(due) != 1 else ''} due (dry run: none sent)")
            return
        if not due:
            click.echo("no new matching sessions: no digest sent")
            return
        try:
            sent = run_digests(catalog, due, lambda letters, on_sent: mail.send(settings, letters, on_sent))
        except mail.MailError as exc:
            click.echo(f"error: {exc}", err=True)
            raise click.exceptions.Exit(1) from exc
    click.echo(f"sent {sent} digest{'s' if sent != 1 else ''}")


def register(cli: click.Group) -> None:
    cli.add_command(digest_cmd)
