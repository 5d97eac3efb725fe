"""``digest``: mail each staffer the new sessions that match their saved searches."""

from __future__ import annotations

import click

from uscm_archive.commands.common import open_catalog, with_settings
from uscm_archive.commands.output import Output, reporting
from uscm_archive.settings import Settings


@click.command("digest")
@click.option(
    "--dry-run", is_flag=True, help="Print the letters instead of sending them (nothing is marked sent)."
)
@with_settings
@reporting('{"sent", "dry_run", "digests": [{"to", "subject", "sessions"}]}.')
def digest_cmd(settings: Settings, dry_run: bool, out: Output) -> None:
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
        sent = 0
        if due and not dry_run:
            try:
                sent = run_digests(
                    catalog, due, lambda letters, on_sent: mail.send(settings, letters, on_sent)
                )
            except mail.MailError as exc:
                out.error(str(exc))
                raise click.exceptions.Exit(1) from exc
    out.emit({"sent": sent, "dry_run": dry_run, "digests": [digest_json(d) for d in due]})
    if dry_run:
        for digest in due:
            out.data(f"To: {digest.letter.to}\nSubject: {digest.letter.subject}\n\n{digest.letter.body}")
        out.summary(f"{len(due)} digest{'s' if len(due) != 1 else ''} due (dry run: none sent)")
    elif not due:
        out.summary("no new matching sessions: no digest sent")
    else:
        out.summary(f"sent {sent} digest{'s' if sent != 1 else ''}")


def digest_json(digest) -> dict:
    sessions = {session for ids in digest.sessions.values() for session in ids}
    return {"to": digest.letter.to, "subject": digest.letter.subject, "sessions": len(sessions)}


def register(cli: click.Group) -> None:
    cli.add_command(digest_cmd)
