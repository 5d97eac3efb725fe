"""Sending e-mail: the one module that speaks SMTP (``smtplib``), through the server the settings name.

``send(settings, letters)`` opens one connection (STARTTLS and a login when the settings ask for them) and
sends each letter; a refused connection, a failed login or a refused message is one ``MailError``.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage

TIMEOUT = 30


class MailError(Exception):
    """Mail could not be sent; the message says why and to which server."""


@dataclass(frozen=True)
class Letter:
    to: str
    subject: str
    body: str


def check_settings(settings) -> None:
    if not settings.smtp_host:
        raise MailError(
            "no SMTP server is set: give USCM_ARCHIVE_SMTP_HOST (and _PORT, _FROM; see docs/operations.md)"
        )
    if not settings.smtp_from:
        raise MailError("no sender address is set: give USCM_ARCHIVE_SMTP_FROM")


@contextmanager
def connection(settings) -> Iterator[smtplib.SMTP]:
    """An SMTP connection to the configured server, greeted, upgraded and logged in as the settings say."""
    check_settings(settings)
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT) as server:
            if settings.smtp_starttls:
                server.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                server.login(settings.smtp_user, settings.smtp_password)
            yield server
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"the SMTP server {where} did not take the mail: {exc}") from exc


def message(settings, letter: Letter) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = settings.smtp_from
    mail["To"] = letter.to
    mail["Subject"] = letter.subject
    mail.set_content(letter.body)
    return mail


def send(settings, letters: Iterable[Letter], on_sent=None) -> int:
    """Send ``letters`` over one connection; ``on_sent(letter)`` after each one the server accepted."""
    count = 0
    with connection(settings) as server:
        for letter in letters:
            server.send_message(message(settings, letter))
            count += 1
            if on_sent is not None:
                on_sent(letter)
    return count
