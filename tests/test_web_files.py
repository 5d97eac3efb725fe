"""Media and caption files with HTTP Range (seeking works), transcript downloads, path traversal, headers."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

from tests.support import webclient

pytestmark = pytest.mark.backends

client, sample = webclient.client, webclient.sample  # the shared fixtures


def test_media_is_served_whole_and_in_ranges(client, sample):
    url = f"/sessions/{sample.main}/media/recording.wav"
    whole = client.get(url)
    assert whole.status_code == 200 and whole.content == sample.media_bytes
    assert whole.headers["accept-ranges"] == "bytes" and whole.headers["content-type"] == "audio/wav"
    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == sample.media_bytes[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(sample.media_bytes)}"
    tail = client.get(url, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == sample.media_bytes[-10:]
    open_ended = client.get(url, headers={"Range": f"bytes={len(sample.media_bytes) - 5}-"})
    assert open_ended.status_code == 206 and open_ended.content == sample.media_bytes[-5:]


def test_unsatisfiable_range_is_416(client, sample):
    size = len(sample.media_bytes)
    response = client.get(
        f"/sessions/{sample.main}/media/recording.wav", headers={"Range": f"bytes={size + 10}-"}
    )
    assert response.status_code == 416


def test_raw_caption_file_is_served(client, sample):
    response = client.get(f"/sessions/{sample.main}/captions/en.upload.vtt", headers={"Range": "bytes=0-5"})
    assert response.status_code == 206 and response.content == b"WEBVTT"
    assert response.headers["content-type"].startswith("text/vtt")


@pytest.mark.parametrize(
    "path",
    [
        "media/..%2F..%2Fcatalog.db",
        "media/%2E%2E%2Fcatalog.db",
        "media/catalog.db",
        "media/recording.wav%00.txt",
        "captions/..%2F..%2Fcatalog.db",
        "captions/secret.key",
        "media/%2e%2e",
    ],
)
def test_path_traversal_is_refused(client, sample, path):
    response = client.get(f"/sessions/{sample.main}/{path}")
    assert response.status_code == 404
    assert b"SQLite format" not in response.content


def test_static_files_refuse_traversal(client):
    for url in ("/static/..%2F..%2Fapp.py", "/static/../web/app.py", "/static/%2e%2e/app.py"):
        response = client.get(url)
        assert response.status_code == 404 and b"create_app" not in response.content


@pytest.mark.parametrize(
    ("fmt", "type_", "starts"),
    [
        ("vtt", "text/vtt", "WEBVTT"),
        ("srt", "application/x-subrip", "1\n00:00:00,000 --> 00:00:07,000"),  # subtitle cues: 7 s at most
        ("txt", "text/plain", ""),
        ("json", "application/json", ""),
    ],
)
def test_transcript_downloads(client, sample, fmt, type_, starts):
    response = client.get(f"/sessions/{sample.main}/transcript.{fmt}")
    assert response.status_code == 200 and response.headers["content-type"].startswith(type_)
    assert f"session-{sample.main}.{fmt}" in response.headers["content-disposition"]
    assert response.text.startswith(starts) and "more affordable" in response.text
    if fmt == "json":
        assert json.loads(response.text)


def test_unknown_download_format_is_404(client, sample):
    assert client.get(f"/sessions/{sample.main}/transcript.exe").status_code == 404


@pytest.mark.parametrize(
    "url", ["/", "/search?q=x", "/api/sessions", "/static/site.css", "/healthz", "/nope"]
)
def test_security_headers_everywhere(client, url):
    headers = client.get(url).headers
    csp = headers["content-security-policy"]
    assert "script-src 'self' https://www.youtube.com" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'self'" in csp and "object-src 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert headers["x-frame-options"] == "SAMEORIGIN"


def test_security_headers_on_range_responses(client, sample):
    response = client.get(f"/sessions/{sample.main}/media/recording.wav", headers={"Range": "bytes=0-1"})
    assert response.status_code == 206 and response.headers["x-content-type-options"] == "nosniff"


class ScriptFinder(HTMLParser):
    """Everything in a page that would run script or style inline: what the CSP forbids."""

    def __init__(self):
        super().__init__()
        self.inline: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        names = {name for name, _ in attrs}
        self.inline += [f"{tag} {name}" for name in names if name.startswith("on") or name == "style"]
        kind = dict(attrs).get("type")
        self.in_script = tag == "script" and "src" not in names and kind != "application/ld+json"

    def handle_data(self, data):
        if self.in_script and data.strip():
            self.inline.append("inline script: " + data[:40])

    def handle_endtag(self, tag):
        self.in_script = False


def test_pages_have_no_inline_script_or_style(client, sample):
    for url in (
        "/",
        f"/sessions/{sample.main}",
        f"/sessions/{sample.youtube}",
        "/search?q=housing",
        "/speakers",
    ):
        finder = ScriptFinder()
        finder.feed(client.get(url).text)
        assert finder.inline == [], url


def test_head_gives_the_size_without_the_body(client, sample):
    response = client.head(f"/sessions/{sample.main}/media/recording.wav")
    assert response.status_code == 200 and response.content == b""
    assert int(response.headers["content-length"]) == len(sample.media_bytes)
