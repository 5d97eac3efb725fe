"""Which player a session gets: Vimeo by its URL forms, direct media only from the hosts the operator allows
(by origin and by a media file extension), and only bare origins ever reach the Content-Security-Policy."""

from __future__ import annotations

import pytest

from uscm_archive.settings import Settings, from_environment
from web.player import direct_media, vimeo_id
from web.security import PlayerSources, content_security_policy


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://vimeo.com/76979871", "76979871"),
        ("https://vimeo.com/76979871/9f1a2b3c4d", "76979871"),
        ("https://vimeo.com/channels/staffpicks/76979871", "76979871"),
        ("https://player.vimeo.com/video/76979871?h=abc", "76979871"),
        ("https://vimeo.com/about", None),
        ("https://notvimeo.com/76979871", None),
        ("javascript:alert(1)//vimeo.com/1", None),
        (None, None),
    ],
)
def test_vimeo_ids(url, expected):
    assert vimeo_id(url) == expected


def test_direct_media_only_from_allowed_origins_and_media_files():
    hosts = ("https://media.example.org", "http://127.0.0.1:8123/")
    assert direct_media("https://media.example.org/2024/talk.mp4", hosts).media_type == "video/mp4"
    assert direct_media("http://127.0.0.1:8123/a/b.webm?x=1", hosts).media_type == "video/webm"
    assert direct_media("https://media.example.org/live/index.m3u8", hosts).kind == "video"
    assert direct_media("https://media.example.org/page.html", hosts) is None
    assert direct_media("https://other.example.org/talk.mp4", hosts) is None
    assert (
        direct_media("http://media.example.org/talk.mp4", hosts) is None
    )  # the scheme is part of the origin
    assert direct_media("https://media.example.org/talk.mp4", ()) is None


def test_only_bare_origins_enter_the_policy():
    settings = Settings(
        data_dir=".", media_hosts=("https://media.example.org", "*", "'unsafe-inline'", "https://x.org/path")
    )
    policy = content_security_policy("'self'", PlayerSources.from_settings(settings))
    media_src = next(part for part in policy.split("; ") if part.startswith("media-src"))
    assert media_src == "media-src 'self' https://media.example.org"
    assert "player.vimeo.com" in next(part for part in policy.split("; ") if part.startswith("frame-src"))


def test_media_hosts_come_from_the_environment():
    env = {"USCM_ARCHIVE_MEDIA_HOSTS": "https://a.example.org, https://b.example.org/"}
    assert from_environment(env).media_hosts == ("https://a.example.org", "https://b.example.org")
    assert from_environment({}).media_hosts == ()


@pytest.mark.parametrize("bad", ["*", "media.example.org", "https://x.org/videos", "'unsafe-inline'"])
def test_a_bad_media_host_is_one_clear_error_on_the_command_line(tmp_path, bad):
    from click.testing import CliRunner

    from uscm_archive.cli import cli

    result = CliRunner().invoke(
        cli, ["--data", str(tmp_path / "d"), "serve", "--help"], env={"USCM_ARCHIVE_MEDIA_HOSTS": bad}
    )
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"error: USCM_ARCHIVE_MEDIA_HOSTS: {bad!r} is not an origin like https://media.example.org "
        "(a scheme and a host, an optional port, no path)"
    )
    assert not (tmp_path / "d").exists()
