"""A staff URL ingest (``allow_private=False``) reaches only public addresses: not through redirects, not through
caption or media URLs a page names, not through a name that changes its address between check and connection.

Tests can only run servers on 127.0.0.1, so "public" is injected through the downloader factory seam:
``guarded_factory(factory, allowed)`` lets one loopback port (the "outside" site) count as public, while a
second server (the "inside" one) stands for 127.0.0.1, 10.x or 169.254.169.254 and must never be contacted.
"""

from __future__ import annotations

import json
import socket
from contextlib import contextmanager
from pathlib import Path

import pytest
from support.httpserver import LocalServer, Reply
from support.ytdlp_fake import make_downloader as fake_site_downloader
from support.ytdlp_fake import vtt

import archive
from archive import ArchiveError, FetchError, IngestOptions, RetryPolicy
from archive.checks import is_public_address
from archive.jobs import WorkerContext, queue_url_ingest
from archive.worker import Worker, WorkerOptions
from archive.ytdlp import Fetcher, check_fetch_url, guarded_factory, make_downloader
from catalog import Catalog, SearchRequest

FAST = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02)
TALK = vtt("Welcome to the water infrastructure webinar.", "Lead service lines come out of every street.")


def page(video: str, track: str) -> str:
    return (
        "<html><head><title>Water Infrastructure Webinar</title></head><body>"
        f'<video src="{video}"><track kind="captions" srclang="en" src="{track}"></video></body></html>'
    )


def port_of(server: LocalServer) -> int:
    return int(server.base_url.rsplit(":", 1)[1])


def only(server: LocalServer):
    """The address rule of a test: the ``server``'s port on 127.0.0.1 is "public", nothing else is."""
    port = port_of(server)
    return lambda ip, p: ip == "127.0.0.1" and p == port


@pytest.fixture
def outside():
    with LocalServer() as server:
        yield server


@pytest.fixture
def inside():
    with LocalServer() as server:
        yield server


def staff_options(outside: LocalServer, factory=make_downloader, **given) -> IngestOptions:
    return IngestOptions(
        allow_private=False, downloader=guarded_factory(factory, only(outside)), retry=FAST, **given
    )


@contextmanager
def opened(data_dir: Path):
    catalog = Catalog.open(data_dir / "catalog.db")
    try:
        yield catalog
    finally:
        catalog.close()


def ingest(data_dir: Path, url: str, options: IngestOptions):
    """Ingest ``url``; the result, the sessions and the items afterwards."""
    with opened(data_dir) as catalog:
        result = archive.ingest(catalog, data_dir, [url], options)
        return result, catalog.list_sessions(include_drafts=True)[1], catalog.queue.list()


def test_a_clean_page_still_ingests_redirects_within_the_outside_site_included(outside, data_dir):
    outside.add("/old-link", Reply(status=301, headers={"Location": "/webinar.html"}))
    outside.add("/webinar.html", page("/water.mp4", "/water.vtt"))
    outside.add("/water.vtt", TALK)
    outside.add("/water.mp4", Reply(body=b"\x00\x00\x00\x18ftypmp42" + bytes(2000)))
    result, (session,), (item,) = ingest(
        data_dir, outside.url("/old-link"), staff_options(outside, media=True)
    )
    assert result.ok, result.failures
    assert session.title == "Water Infrastructure Webinar" and session.has_transcript
    assert session.media_size == 2012 and (data_dir / session.media_path).is_file()
    assert item.state == "done"
    with opened(data_dir) as catalog:
        assert catalog.search(SearchRequest('"lead service lines"')).hits[0].session_id == session.id


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_page_redirecting_inside_the_network_is_refused_and_the_inside_server_is_never_contacted(
    outside, inside, data_dir, status
):
    outside.add("/webinar", Reply(status=302, headers={"Location": "/webinar-2"}))  # a hop that is fine
    outside.add("/webinar-2", Reply(status=status, headers={"Location": inside.url("/latest/meta-data")}))
    inside.add("/latest/meta-data", page("/water.mp4", "/water.vtt"))
    result, sessions, (item,) = ingest(data_dir, outside.url("/webinar"), staff_options(outside))
    (failure,) = result.failures
    assert f"redirects to {inside.url('/latest/meta-data')}" in failure.message
    assert "private or local address" in failure.message
    assert inside.hits("/latest/meta-data") == 0 and outside.hits("/webinar-2") == 1
    assert sessions == []
    assert item.state == "failed" and item.last_error == failure.message
    assert item.next_attempt_at is None  # a refusal is not a passing network hiccup


def test_a_caption_track_pointing_inside_is_skipped_with_a_clear_item_error(outside, inside, data_dir):
    outside.add("/webinar.html", page("/water.mp4", inside.url("/water.vtt")))
    inside.add("/water.vtt", TALK)
    result, (session,), (item,) = ingest(data_dir, outside.url("/webinar.html"), staff_options(outside))
    (failure,) = result.failures
    assert inside.url("/water.vtt") in failure.message and "refusing to fetch it" in failure.message
    assert inside.hits("/water.vtt") == 0
    assert session.title == "Water Infrastructure Webinar" and not session.has_transcript
    assert item.state == "failed" and [c.state for c in item.captions] == ["failed"]


def test_a_caption_url_redirecting_inside_is_refused(outside, inside, data_dir):
    outside.add("/webinar.html", page("/water.mp4", "/water.vtt"))
    outside.add("/water.vtt", Reply(status=302, headers={"Location": inside.url("/water.vtt")}))
    inside.add("/water.vtt", TALK)
    result, (session,), _ = ingest(data_dir, outside.url("/webinar.html"), staff_options(outside))
    assert "redirects to " + inside.url("/water.vtt") in result.failures[0].message
    assert inside.hits("/water.vtt") == 0 and not session.has_transcript


def test_a_video_source_pointing_inside_is_not_downloaded(outside, inside, data_dir):
    outside.add("/webinar.html", page(inside.url("/water.mp4"), "/water.vtt"))
    outside.add("/water.vtt", TALK)
    inside.add("/water.mp4", Reply(body=bytes(4000)))
    result, sessions, (item,) = ingest(
        data_dir, outside.url("/webinar.html"), staff_options(outside, media=True)
    )
    (failure,) = result.failures
    assert inside.url("/water.mp4") in failure.message and "private or local address" in failure.message
    assert inside.hits("/water.mp4") == 0
    assert sessions == [] and item.state == "failed"
    assert not (data_dir / "media").exists() or not any((data_dir / "media").rglob("*"))


def test_media_over_hls_or_rtmp_is_refused_before_any_other_program_could_fetch_it(outside, inside, data_dir):
    """HLS and RTMP media would go through yt-dlp's fragment or external downloaders (ffmpeg, rtmpdump),
    which open their own connections: a guarded ingest does not start them."""
    inside.add("/segment0.ts", Reply(body=bytes(1000)))
    outside.add(
        "/live/index.m3u8",
        "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n"
        + inside.url("/segment0.ts")
        + "\n#EXT-X-ENDLIST\n",
    )
    for video_id, media_url in (
        ("hls", outside.url("/live/index.m3u8")),
        ("rtmp", f"rtmp://{inside.url('')[7:]}/x"),
    ):
        data = {"title": f"Media over {video_id}", "media_url": media_url, "subtitles": {}}
        outside.add(f"/fake/video/{video_id}.json", json.dumps(data))
        url = outside.url(f"/fake/video/{video_id}")
        result, _, _ = ingest(data_dir, url, staff_options(outside, fake_site_downloader, media=True))
        (failure,) = result.failures
        assert "which a guarded ingest does not download" in failure.message, failure.message
    assert inside.hits("/segment0.ts") == 0


def test_retrying_an_item_checks_every_request_although_nothing_checks_the_url_first(outside, data_dir):
    """``retry`` fetches stored item URLs without a first check: the guarded client alone refuses them."""
    outside.add("/webinar.html", page("/water.mp4", "/water.vtt"))
    with opened(data_dir) as catalog:
        item = catalog.queue.upsert(outside.url("/webinar.html"), outside.url("/webinar.html"))
        catalog.queue.mark_failed(item.id, "earlier failure")
        result = archive.retry(catalog, data_dir, [item.id], IngestOptions(allow_private=False, retry=FAST))
        (failure,) = result.failures
        assert "127.0.0.1 is a private or local address" in failure.message
        assert catalog.queue.get(item.id).state == "failed"
    assert outside.hits("/webinar.html") == 0


def test_a_queued_staff_ingest_refuses_a_redirect_inside(outside, inside, data_dir):
    outside.add("/webinar", Reply(status=302, headers={"Location": inside.url("/admin")}))
    options = staff_options(outside)
    with opened(data_dir) as catalog:
        item_id = queue_url_ingest(catalog, outside.url("/webinar"), options).id
    # the worker's own yt-dlp client (here: one that counts only ``outside`` as public) fetches it
    context = WorkerContext(downloader=options.downloader)
    Worker(data_dir / "catalog.db", data_dir, context, WorkerOptions(until_idle=True)).run()
    with opened(data_dir) as catalog:
        item = catalog.queue.get(item_id)
    assert item.state == "failed" and "redirects to " + inside.url("/admin") in item.last_error
    assert inside.hits("/admin") == 0


def test_the_connection_goes_to_the_address_that_was_checked(outside):
    """A made-up name only the policy's resolver knows is fetched: the socket is opened to the checked
    address, never to a second lookup's answer."""
    outside.add("/water.vtt", TALK)
    factory = guarded_factory(make_downloader, only(outside), resolve={"webinars.invalid": ["127.0.0.1"]}.get)
    url = f"http://webinars.invalid:{port_of(outside)}/water.vtt"
    assert check_fetch_url(url, factory, allow_private=False) == url
    assert Fetcher(factory, allow_private=False).fetch_bytes(url).decode() == TALK


@contextmanager
def listening(host: str = "127.0.0.1", port: int = 0):
    """A bare listening socket standing for an inside service; yields it to count connections."""
    sock = socket.socket()
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        pytest.skip(f"{host}:{port} cannot be bound here")
    sock.listen(4)
    sock.settimeout(0.3)
    try:
        yield sock
    finally:
        sock.close()


def connections(sock: socket.socket) -> int:
    count = 0
    while True:
        try:
            conn, _ = sock.accept()
        except TimeoutError:
            return count
        conn.close()
        count += 1


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_name_that_changes_its_address_after_the_check_is_refused_at_connection(outside, scheme):
    """DNS rebinding: the URL check sees the outside address, the connection's lookup an inside one."""
    port = port_of(outside)
    answers = iter([["127.0.0.1"], ["127.0.0.2"], ["127.0.0.2"], ["127.0.0.2"]])
    factory = guarded_factory(make_downloader, only(outside), resolve=lambda host: next(answers))
    with listening("127.0.0.2", port) as target:
        with pytest.raises(FetchError, match=r"127\.0\.0\.2\); refusing to connect to it"):
            Fetcher(factory, allow_private=False).fetch_bytes(f"{scheme}://rebind.invalid:{port}/water.vtt")
        assert connections(target) == 0


def test_a_proxy_chosen_by_a_request_must_be_allowed_and_a_forged_socks_header_is_dropped(outside):
    """yt-dlp lets a request pick its own proxy (``Ytdl-request-proxy``), which the guard checks, and its urllib
    handler obeys a ``Ytdl-socks-proxy`` header, which yt-dlp's ``urlopen`` strips (kept here against an
    upgrade changing that): neither may become a way to an inside address."""
    outside.add("/water.vtt", TALK)
    fetcher = Fetcher(guarded_factory(make_downloader, only(outside)), allow_private=False)
    with listening() as proxy:
        inside = f"127.0.0.1:{proxy.getsockname()[1]}"
        with pytest.raises(FetchError, match="proxy .*private or local address"):
            fetcher.fetch_bytes(outside.url("/water.vtt"), {"Ytdl-request-proxy": f"http://{inside}"})
        forged = {"Ytdl-socks-proxy": f"socks5://{inside}"}
        assert fetcher.fetch_bytes(outside.url("/water.vtt"), forged).decode() == TALK
        assert connections(proxy) == 0
    assert outside.hits("/water.vtt") == 1


def test_one_inside_address_among_several_is_enough_to_refuse(outside):
    outside.add("/water.vtt", TALK)
    port = port_of(outside)
    factory = guarded_factory(make_downloader, only(outside), resolve=lambda host: ["127.0.0.1", "10.0.0.7"])
    url = f"http://mixed.invalid:{port}/water.vtt"
    with pytest.raises(ArchiveError, match=r"private or local address \(10\.0\.0\.7\)"):
        check_fetch_url(url, factory, allow_private=False)
    with pytest.raises(FetchError, match=r"10\.0\.0\.7"):
        Fetcher(factory, allow_private=False).fetch_bytes(url)
    assert outside.hits("/water.vtt") == 0


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.0.0.8", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("64:ff9b::a00:1", False),  # NAT64 wrapping 10.0.0.1
        ("64:ff9b::5db8:d70e", True),  # NAT64 wrapping 93.184.215.14
        ("::127.0.0.1", False),  # IPv4-compatible (deprecated) loopback
        ("::a00:1", False),  # IPv4-compatible 10.0.0.1
        ("::5db8:d70e", True),  # IPv4-compatible public address
        ("::ffff:10.0.0.1", False),  # IPv4-mapped private
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("2002:a9fe:a9fe::1", False),  # 6to4 of the 169.254.169.254 metadata address
        ("2002:5db8:d70e::1", True),  # 6to4 of a public address
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", False),  # Teredo, client 127.0.0.1 (bits inverted)
        ("2001:0:7f00:1:8000:63bf:3fff:fdd2", False),  # Teredo, server 127.0.0.1
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("64:ff9b:1::7f00:1", False),  # local-use NAT64 prefix (RFC 8215) of 127.0.0.1
        ("not an address", False),
    ],
)
def test_public_addresses(address, public):
    assert is_public_address(address, 443) is public
