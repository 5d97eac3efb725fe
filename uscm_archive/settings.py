"""Settings are built once, at the edge (the command line), and passed in. Nothing reads the environment on import.

This is the composition root: the signing key (``with_secret``) and the yt-dlp factory (``ytdlp_factory``: yt-dlp's
own unless a caller such as a test gives another) are chosen here, not in the packages.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from catalog import DataFolder

DEFAULT_DATA_DIR = "uscm-data"


CATALOG_URL_SCHEMES = ("postgresql://", "postgres://")


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    # where the catalog lives: empty for the data folder's catalog.db (SQLite), or a PostgreSQL URL
    # (``postgresql://user@host:port/database``); the data folder still holds the caption and media files
    catalog_url: str = field(default="", repr=False)
    host: str = "127.0.0.1"
    port: int = 8000
    max_upload_bytes: int = 2 * 1024**3  # media uploads; caption uploads have their own 20 MB cap
    max_caption_bytes: int = 20 * 1024**2
    allow_private_urls: bool = False  # staff URL ingest refuses loopback/private hosts unless set
    secret_key: str = field(default="", repr=False)
    base_url: str = ""  # e.g. https://archive.example.org, for feeds and sitemaps; empty = from the request
    site_name: str = "USCM Meeting Archive"
    # Origins (https://media.example.org) whose media files play in the page's own <video>, in sync with the
    # transcript; they are added to the Content-Security-Policy's media-src. Other hosts stay a link.
    media_hosts: tuple[str, ...] = ()
    vimeo_origin: str = "https://player.vimeo.com"  # the Vimeo player and its API script (/api/player.js)
    asr_model_dir: Path | None = (
        None  # a CTranslate2 Whisper folder; default: the model wheel of the asr extra
    )
    # the SMTP server ``uscm-archive digest`` mails saved-search digests through (``uscm_archive/mail.py``)
    smtp_host: str = ""  # empty: no mail is sent
    smtp_port: int = 25
    smtp_from: str = ""
    smtp_starttls: bool = False
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    # builds the yt-dlp client from its params; None is yt-dlp's own (``archive.ytdlp.make_downloader``)
    ytdlp_factory: Callable | None = field(default=None, repr=False, compare=False)

    @property
    def folder(self) -> DataFolder:
        return DataFolder(self.data_dir)

    @property
    def catalog_path(self) -> Path | str:
        """What ``Catalog.open`` is given: the data folder's catalog.db, or the PostgreSQL URL when one is set."""
        return self.catalog_url or self.folder.catalog

    @property
    def catalog_label(self) -> str:
        """The catalog as messages name it: its file, or its URL without a password."""
        if not self.catalog_url:
            return str(self.folder.catalog)
        return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", self.catalog_url)

    @property
    def catalog_on_file(self) -> bool:
        """Whether the catalog is the data folder's SQLite file (not a PostgreSQL database)."""
        return not self.catalog_url

    def with_secret(self) -> Settings:
        """Settings with a secret key: the given one, or one kept in the data folder (made on first use)."""
        if self.secret_key:
            return self
        return replace(self, secret_key=load_or_create_secret(self.data_dir))


def from_environment(env: Mapping[str, str] | None = None, **overrides) -> Settings:
    """Settings from ``USCM_ARCHIVE_*`` variables, then explicit overrides (``None`` overrides are ignored)."""
    env = os.environ if env is None else env
    values: dict = {"data_dir": Path(env.get("USCM_ARCHIVE_DATA", DEFAULT_DATA_DIR))}
    if "USCM_ARCHIVE_ALLOW_PRIVATE_URLS" in env:
        values["allow_private_urls"] = env["USCM_ARCHIVE_ALLOW_PRIVATE_URLS"].lower() in ("1", "true", "yes")
    if env.get("USCM_ARCHIVE_CATALOG", "").strip():
        values["catalog_url"] = env["USCM_ARCHIVE_CATALOG"].strip()
    if "USCM_ARCHIVE_SECRET_KEY" in env:
        values["secret_key"] = env["USCM_ARCHIVE_SECRET_KEY"]
    if "USCM_ARCHIVE_MEDIA_HOSTS" in env:
        values["media_hosts"] = media_hosts(env["USCM_ARCHIVE_MEDIA_HOSTS"])
    if "USCM_ARCHIVE_BASE_URL" in env:
        values["base_url"] = env["USCM_ARCHIVE_BASE_URL"].rstrip("/")
    if env.get("USCM_ARCHIVE_ASR_MODEL"):
        values["asr_model_dir"] = Path(env["USCM_ARCHIVE_ASR_MODEL"])
    values.update(smtp_from_environment(env))
    values.update({k: v for k, v in overrides.items() if v is not None})
    values["data_dir"] = Path(values["data_dir"])
    values["catalog_url"] = catalog_url(values.get("catalog_url", ""))
    return Settings(**values)


def catalog_url(value: str) -> str:
    """``--catalog``/``USCM_ARCHIVE_CATALOG``: empty (the data folder's catalog.db) or a PostgreSQL URL."""
    value = (value or "").strip()
    if value and not (value.startswith(CATALOG_URL_SCHEMES) and len(value.split("://", 1)[1]) > 0):
        raise SettingsError(
            f"--catalog / USCM_ARCHIVE_CATALOG: {value!r} is not a PostgreSQL URL like "
            "postgresql://user@host:5432/archive (leave it empty for the data folder's catalog.db)"
        )
    return value


SMTP_VARIABLES = {
    "USCM_ARCHIVE_SMTP_HOST": "smtp_host",
    "USCM_ARCHIVE_SMTP_FROM": "smtp_from",
    "USCM_ARCHIVE_SMTP_USER": "smtp_user",
    "USCM_ARCHIVE_SMTP_PASSWORD": "smtp_password",
}


def smtp_from_environment(env: Mapping[str, str]) -> dict:
    values: dict = {field: env[name] for name, field in SMTP_VARIABLES.items() if name in env}
    if env.get("USCM_ARCHIVE_SMTP_PORT", "").strip().isdigit():
        values["smtp_port"] = int(env["USCM_ARCHIVE_SMTP_PORT"])
    if "USCM_ARCHIVE_SMTP_STARTTLS" in env:
        values["smtp_starttls"] = env["USCM_ARCHIVE_SMTP_STARTTLS"].lower() in ("1", "true", "yes")
    return values


class SettingsError(ValueError):
    """A setting that cannot be used, named with what it should look like."""


def media_hosts(value: str) -> tuple[str, ...]:
    """``USCM_ARCHIVE_MEDIA_HOSTS``: origins separated by spaces or commas (``https://media.example.org``)."""
    hosts = tuple(host.rstrip("/") for host in value.replace(",", " ").split())
    for host in hosts:
        if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?", host):
            raise SettingsError(
                f"USCM_ARCHIVE_MEDIA_HOSTS: {host!r} is not an origin like https://media.example.org "
                "(a scheme and a host, an optional port, no path)"
            )
    return hosts


def load_or_create_secret(data_dir: Path) -> str:
    path = DataFolder(data_dir).secret_key_file
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
