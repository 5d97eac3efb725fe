"""Hostile requests: search syntax attacks, path traversal, oversized uploads, and URLs that point inside the
network. Each is refused (or answered normally) without an error page, a leak, or a change to the archive."""

from __future__ import annotations

import shutil
import socket
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.archive_state import archive_state
from tests.support.liveserver import raw_request, running
from tests.support.staffsite import build_staff_site, sign_in, signed_in_csrf
from web.app import create_app

SECRET_TEXT = "top secret outside the data folder"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("security")
    (root / "secret.txt").write_text(SECRET_TEXT)
    data_dir = root / "data"
    site = build_staff_site(data_dir)
    (data_dir / "media").mkdir(exist_ok=True)
    return site


@pytest.fixture(scope="module")
def client(site):
    with TestClient(create_app(site.settings)) as test_client:
        yield test_client


# -- search syntax attacks ---------------------------------------------------------------------------------------
FTS_PIECES = [
    '"',
    '""',
    "'",
    "*",
    "**",
    "^",
    ":",
    "-",
    "+",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    ",",
    ".",
    "/",
    "\\",
    "%",
    "_",
    "AND",
    "OR",
    "NOT",
    "NEAR",
    "NEAR(",
    "NEAR(a b, 3)",
    "and",
    "or",
    "not",
    "near/3",
    "text:",
    "title:",
    "segments_fts:",
    "rank",
    "bm25(",
    "{text title}:",
    "- -",
    "--",
    "/*",
    "*/",
    ";",
    "bridge",
    "bridges",
    "mayor",
    "Holt",
    "C++",
    "9/11",
    "don't",
    "COVID-19",
    "mayor:housing",
    "\x00",
    "\n",
    "\t",
    "é",
    "İ",
    "ß",
    "🏛",
    "\u200b",
    "\ufeff",
    "' OR 1=1 --",
    "'; DROP TABLE sessions; --",
    "%00",
]
attack = st.lists(st.sampled_from(FTS_PIECES) | st.text(max_size=6), min_size=0, max_size=14).map(
    lambda parts: st_join(parts)
)


def st_join(parts: list[str]) -> str:
    return "".join(part if index % 3 else part + " " for index, part in enumerate(parts))


@pytest.fixture(scope="module")
def search_catalog(site):
    from catalog import Catalog

    catalog = Catalog.open(site.catalog_path)
    yield catalog
    catalog.close()


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=attack, exact=st.booleans(), offset=st.integers(0, 40))
def test_search_syntax_attacks_never_raise_in_the_catalog(search_catalog, query, exact, offset):
    from catalog import SearchRequest

    results = search_catalog.search(SearchRequest(query, limit=5, offset=offset, exact=exact))
    assert results.total >= 0 and len(results.hits) <= 5


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=attack)
def test_search_syntax_attacks_get_a_page_and_json_never_an_error(client, query):
    api = client.get("/api/search", params={"q": query})
    assert api.status_code in (200, 422), (query, api.status_code)
    assert api.headers["content-type"].startswith("application/json")
    page = client.get("/search", params={"q": query})
    assert page.status_code == 200, (query, page.status_code)


def test_search_still_finds_what_was_said_after_the_attacks(client):
    body = client.get("/api/search", params={"q": '"bridges were built"'}).json()
    assert body["total"] == 1 and "bridges" in body["results"][0]["snippet"]
    body = client.get("/api/search", params={"q": "'; DROP TABLE sessions; --"}).json()
    assert body["total"] == 0
    assert client.get("/api/search", params={"q": "bridges"}).json()["total"] == 1


# -- path traversal ----------------------------------------------------------------------------------------------
TRAVERSALS = [
    "/sessions/{id}/media/..%2f..%2fsecret.txt",
    "/sessions/{id}/media/%2e%2e%2f%2e%2e%2fsecret.txt",
    "/sessions/{id}/media/..%5c..%5csecret.txt",
    "/sessions/{id}/media/../../catalog.db",
    "/sessions/{id}/captions/..%2f..%2fcatalog.db",
    "/sessions/{id}/captions/%2e%2e/%2e%2e/secret.txt",
    "/sessions/{id}/captions/....//....//catalog.db",
    "/sessions/{id}/transcript.%2e%2e%2fcatalog.db",
    "/sessions/{id}%2f..%2f..%2fcatalog.db",
    "/sessions/..%2f..%2fsecret.txt/media/x",
    "/static/../catalog.db",
    "/static/..%2fcatalog.db",
    "/static/%2e%2e/%2e%2e/secret.txt",
    "/static/..%2f..%2f..%2fsecret.txt",
    "/static//etc/passwd",
    "/api/sessions/{id}/../../../catalog.db",
    "/sessions/{id}/media/%00secret.txt",
]


@pytest.fixture(scope="module")
def live(site):
    with running(create_app(site.settings)) as base:
        yield base


@pytest.mark.parametrize("template", TRAVERSALS)
def test_path_traversal_is_refused(site, live, template):
    path = template.format(id=site.published)
    reply = raw_request(live, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    status = int(reply.split(b" ", 2)[1])
    assert 400 <= status < 500, (path, reply[:200])
    assert SECRET_TEXT.encode() not in reply and b"SQLite format 3" not in reply and b"root:" not in reply


def test_a_stored_path_pointing_outside_the_data_folder_is_never_served(tmp_path):
    """The catalog refuses such paths; and even a catalog that holds them (made elsewhere, restored from an old
    backup, edited by hand) cannot make the site serve a file from outside the data folder."""
    import sqlite3

    from catalog import Catalog, CatalogError, MediaInput, SessionMeta, TrackInput
    from transcripts import Segment, Transcript
    from uscm_archive.settings import Settings

    (tmp_path / "secret.txt").write_text(SECRET_TEXT)
    data_dir = tmp_path / "data"
    catalog = Catalog.open(data_dir / "catalog.db")
    transcript = Transcript((Segment(0, 2, "hello"),))
    with pytest.raises(CatalogError, match="inside the data folder"):
        catalog.save_session(
            "evil", SessionMeta(title="Evil"), [TrackInput(transcript, raw_path="captions/../../secret.txt")]
        )
    session_id = catalog.save_session(
        "plain",
        SessionMeta(title="Plain paths"),
        [TrackInput(transcript, raw_path="captions/1/en.upload.vtt")],
        media=MediaInput(path="media/1/talk.txt", size=10, sha256="0" * 64, mime="text/plain"),
    )
    catalog.close()
    conn = sqlite3.connect(data_dir / "catalog.db")
    conn.execute("UPDATE tracks SET raw_path = 'captions/../../secret.txt'")
    conn.execute("UPDATE sessions SET media_path = 'media/../../secret.txt'")
    conn.commit()
    conn.close()
    with TestClient(create_app(Settings(data_dir=data_dir))) as client:
        for url in (
            f"/sessions/{session_id}/media/secret.txt",
            f"/sessions/{session_id}/captions/secret.txt",
        ):
            response = client.get(url)
            assert response.status_code == 404, url
            assert SECRET_TEXT not in response.text
        page = client.get(f"/sessions/{session_id}")
        assert page.status_code == 200 and SECRET_TEXT not in page.text


# -- oversized uploads -------------------------------------------------------------------------------------------
def signed_in(base: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=10)
    assert sign_in(client).status_code == 303
    return client, signed_in_csrf(client)


def test_an_oversized_upload_is_refused_before_it_is_read(site):
    """An upload announced (Content-Length) beyond the caption and media limits together (over 2 GB) is refused
    after its headers: the body is never sent."""
    before = archive_state(site.settings.data_dir)
    with running(create_app(site.settings)) as base:
        client, csrf = signed_in(base)
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        boundary = "----uscmboundary"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nHuge\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="captions"; filename="huge.vtt"\r\n'
            "Content-Type: text/vtt\r\n\r\nWEBVTT\n\n"
        ).encode()
        settings_ = site.settings  # a caption file and a recording may come together: refuse beyond both
        announced = settings_.max_upload_bytes + settings_.max_caption_bytes + 64 * 1024**2
        request = (
            f"POST /staff/sessions/new/upload HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {announced}\r\n"
            "Connection: close\r\n\r\n"
        ).encode() + head
        started = time.perf_counter()
        reply = raw_request(base, request)  # only the first few hundred bytes are ever sent
        elapsed = time.perf_counter() - started
        client.close()
    assert reply.startswith(b"HTTP/1.1 413"), reply[:300]
    assert elapsed < 5
    assert archive_state(site.settings.data_dir) == before


def test_an_upload_without_a_length_is_refused(site):
    with running(create_app(site.settings)) as base:
        client, csrf = signed_in(base)

        def body():
            yield f"csrf={csrf}&title=x&".encode()
            yield b"captions=" + b"A" * 1024

        response = client.post(
            "/staff/sessions/new/upload",
            content=body(),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        client.close()
    assert response.status_code == 411


def test_a_caption_upload_just_over_the_limit_is_refused_with_a_clear_page(site, tmp_path):
    """A real multipart upload one byte over the caption limit: a 4xx page that says so; nothing stored."""
    from uscm_archive.settings import Settings

    small = Settings(
        data_dir=site.settings.data_dir, secret_key=site.settings.secret_key, max_caption_bytes=4096
    )
    before = archive_state(site.settings.data_dir)
    with running(create_app(small)) as base:
        client, csrf = signed_in(base)
        data = b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n" + b"x" * (4096 + 1024**2)
        response = client.post(
            "/staff/sessions/new/upload",
            data={"csrf": csrf, "title": "Too big"},
            files={"captions": ("big.vtt", data, "text/vtt")},
        )
        client.close()
    assert 400 <= response.status_code < 500
    assert "MB" in response.text
    assert archive_state(site.settings.data_dir) == before


def test_a_recording_over_the_media_limit_is_refused_and_leaves_no_file_behind(site):
    """A real multipart upload: valid captions plus an MP4 larger than the (configured) media limit."""
    from uscm_archive.settings import Settings

    limited = Settings(
        data_dir=site.settings.data_dir, secret_key=site.settings.secret_key, max_upload_bytes=1024**2
    )
    captions = b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nA short recording.\n"
    recording = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(3 * 1024**2)
    before = archive_state(site.settings.data_dir)
    with running(create_app(limited)) as base:
        client, csrf = signed_in(base)
        response = client.post(
            "/staff/sessions/new/upload",
            data={"csrf": csrf, "title": "Too long a recording"},
            files={
                "captions": ("talk.vtt", captions, "text/vtt"),
                "media": ("talk.mp4", recording, "video/mp4"),
            },
        )
        client.close()
    assert 400 <= response.status_code < 500, response.status_code
    assert "1 MB" in response.text
    assert archive_state(site.settings.data_dir) == before  # nothing stored, no staged file left


# -- URLs that point inside the network --------------------------------------------------------------------------
INSIDE = [
    "http://127.0.0.1:{port}/talk.html",
    "http://localhost:{port}/talk.html",
    "http://[::1]:{port}/talk.html",
    "http://0.0.0.0:{port}/talk.html",
    "http://2130706433:{port}/talk.html",
    "http://127.1:{port}/talk.html",
    "http://10.0.0.8/talk.html",
    "http://192.168.1.1/admin",
    "http://172.16.5.4/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/",
    "http://[::ffff:127.0.0.1]:{port}/talk.html",
    "http://[::127.0.0.1]:{port}/talk.html",  # IPv4-compatible
    "http://[2002:7f00:1::]:{port}/talk.html",  # 6to4
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]:{port}/talk.html",  # Teredo (client 127.0.0.1)
    "http://[64:ff9b::7f00:1]:{port}/talk.html",  # NAT64
    "file:///etc/passwd",
    "ftp://127.0.0.1/x",
    "gopher://127.0.0.1:25/",
]


def listening_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.settimeout(0.2)
    return sock


def connections_received(sock: socket.socket) -> int:
    count = 0
    while True:
        try:
            conn, _ = sock.accept()
        except TimeoutError:
            return count
        conn.close()
        count += 1


def test_staff_url_ingest_refuses_loopback_and_private_addresses(site):
    before = archive_state(site.settings.data_dir)
    target = listening_socket()
    port = target.getsockname()[1]
    try:
        with running(create_app(site.settings)) as base:
            client, csrf = signed_in(base)
            for template in INSIDE:
                url = template.format(port=port)
                response = client.post("/staff/sessions/new/url", data={"csrf": csrf, "url": url})
                assert response.status_code == 400, (url, response.status_code)
                assert "refus" in response.text.lower() or "not a web address" in response.text.lower(), url
            client.close()
        time.sleep(0.3)
        assert connections_received(target) == 0, "the archive connected to an inside address"
    finally:
        target.close()
    after = archive_state(site.settings.data_dir)
    assert after["files"] == before["files"]
    assert [row for row in after["catalog"] if "items" in row] == [
        row for row in before["catalog"] if "items" in row
    ]


def test_staff_url_ingest_allows_a_local_address_when_configured(tmp_path):
    site = build_staff_site(tmp_path / "data", allow_private_urls=True)
    target = listening_socket()
    port = target.getsockname()[1]
    try:
        with running(create_app(site.settings)) as base:
            client, csrf = signed_in(base)
            response = client.post(
                "/staff/sessions/new/url", data={"csrf": csrf, "url": f"http://127.0.0.1:{port}/talk.html"}
            )
            client.close()
        assert response.status_code == 303
    finally:
        target.close()


def test_the_url_check_resolves_names_before_trusting_them():
    from archive import ArchiveError
    from archive.checks import check_public_url

    resolver = {"inside.example": ["10.1.2.3"], "mixed.example": ["93.184.216.34", "127.0.0.1"]}.get
    for host in ("inside.example", "mixed.example"):
        with pytest.raises(ArchiveError, match="private or local"):
            check_public_url(f"https://{host}/video", resolve=resolver)
    assert check_public_url("https://public.example/v", resolve=lambda host: ["93.184.216.34"])


def test_a_browser_bulk_upload_cannot_make_the_server_read_its_own_files(site, client, tmp_path, corpus):
    """A catalog line naming a caption file on the server (absolute, or climbing out of the upload folder) is
    refused: an editor cannot pull files from the server's disk into the archive."""
    import json as json_module

    from tests.support.staffsite import sign_in, signed_in_csrf

    outside = tmp_path / "private-captions.vtt"
    shutil.copyfile(corpus / "captions" / "teams_example-interview_voice-tags.vtt", outside)
    assert sign_in(client).status_code == 303
    for path in (str(outside), "../../" + outside.name, "../catalog.db"):
        before = archive_state(site.settings.data_dir)
        line = json_module.dumps({"title": "Sneaky", "date": "2024-01-01", "transcript": path})
        response = client.post(
            "/staff/bulk",
            data={"csrf": signed_in_csrf(client)},
            files={"catalog": ("catalog.jsonl", (line + "\n").encode(), "application/json")},
        )
        assert response.status_code == 400, path
        assert "cannot name transcript files" in response.text
        after = archive_state(site.settings.data_dir)
        assert after["catalog"] == before["catalog"], path
