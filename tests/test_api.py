"""The JSON API: sessions, a session, its transcript, search (the CLI's --json fields), oEmbed, errors, OpenAPI."""

from __future__ import annotations

import pytest

from tests.support import webclient
from tests.support.webarchive import DRAFT_WORD, XSS

pytestmark = pytest.mark.backends

client, sample = webclient.client, webclient.sample  # the shared fixtures

SEARCH_FIELDS = {
    "kind",
    "session_id",
    "session_title",
    "session_date",
    "start",
    "end",
    "speaker",
    "text",
    "snippet",
    "url",
    "language",
}


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    return body["error"]


def test_sessions_list_newest_first_published_only(client, sample):
    body = client.get("/api/sessions").json()
    assert body["total"] == 3 and body["limit"] == 50 and body["offset"] == 0
    assert [s["id"] for s in body["sessions"]] == [sample.main, sample.youtube, sample.linked]
    first = body["sessions"][0]
    assert first["url"] == f"/sessions/{sample.main}" and first["title"].startswith(f"Housing {XSS}")
    assert first["speakers"][0] == {
        "name": "Mayor Ada Quill",
        "slug": "mayor-ada-quill",
        "role": "Mayor of Riverbend",
        "url": "/speakers/mayor-ada-quill",
    }
    page = client.get("/api/sessions", params={"limit": 1, "offset": 1, "topic": "transit"}).json()
    assert page["total"] == 1 and page["sessions"] == []
    assert client.get("/api/sessions", params={"year": 2024}).json()["sessions"][0]["id"] == sample.youtube


def test_one_session_with_chapters_media_and_downloads(client, sample):
    body = client.get(f"/api/sessions/{sample.main}").json()
    assert body["media_url"] == f"/sessions/{sample.main}/media/recording.wav"
    assert body["segment_count"] == 8 and body["description"].startswith("Mayors discuss housing.")
    assert [c["url"] for c in body["chapters"]] == [
        f"/sessions/{sample.main}?t=0",
        f"/sessions/{sample.main}?t=40",
    ]
    assert body["downloads"]["srt"] == f"/sessions/{sample.main}/transcript.srt"
    for url in body["downloads"].values():
        assert client.get(url).status_code == 200


def test_transcript_segments_with_moment_links(client, sample):
    body = client.get(f"/api/sessions/{sample.main}/transcript").json()
    assert body["session_id"] == sample.main and len(body["segments"]) == 8
    second = body["segments"][1]
    assert second["start"] == 10.0 and second["speaker"] == "Mayor Ada Quill"
    assert second["url"] == f"/sessions/{sample.main}?t=10"
    assert body["segments"][2]["text"] == f"Our budget line reads {XSS} and that is a test."


@pytest.mark.search
def test_search_has_the_command_fields(client, sample):
    body = client.get("/api/search", params={"q": "housing", "limit": 2}).json()
    assert set(body) == {"query", "corrected_query", "total", "results", "chat_total"}
    assert body["query"] == "housing" and body["total"] == 3 and len(body["results"]) == 2
    assert body["chat_total"] == 0
    for result in body["results"]:
        assert set(result) == SEARCH_FIELDS
        assert result["session_id"] == sample.main and "<mark>" in result["snippet"]
        assert result["url"].startswith(f"/sessions/{sample.main}?t=")


@pytest.mark.search
@pytest.mark.parametrize("query", ['"unbalanced', "AND", "-", "C++", "mayor:housing", "<script>", ""])
def test_search_accepts_hostile_queries(client, query):
    response = client.get("/api/search", params={"q": query})
    assert response.status_code == 200
    for result in response.json()["results"]:
        assert "<script>" not in result["snippet"]


@pytest.mark.search
def test_search_never_shows_drafts(client):
    assert client.get("/api/search", params={"q": DRAFT_WORD}).json()["total"] == 0


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/api/sessions/424242", 404, "not_found"),
        ("/api/sessions/abc", 422, "invalid_parameter"),
        ("/api/sessions/424242/transcript", 404, "not_found"),
        ("/api/sessions?limit=0", 422, "invalid_parameter"),
        ("/api/sessions?limit=many", 422, "invalid_parameter"),
        ("/api/search?q=x&since=yesterday", 422, "invalid_parameter"),
        ("/api/search?q=x&until=2025-13-01", 422, "invalid_parameter"),
        ("/api/nothing-here", 404, "not_found"),
        ("/api/oembed?url=https://elsewhere.example/x", 404, "not_found"),
        ("/api/oembed", 422, "invalid_parameter"),
    ],
)
def test_errors_have_one_json_shape(client, url, status, code):
    error = error_of(client.get(url), status)
    assert error["code"] == code and error["message"]


def test_wrong_method_is_a_json_error(client):
    assert error_of(client.post("/api/sessions"), 405)["code"] == "method_not_allowed"


def test_oembed_describes_an_embeddable_player(client, sample):
    body = client.get("/api/oembed", params={"url": f"https://any.host/sessions/{sample.main}"}).json()
    assert body["type"] == "video" and body["version"] == "1.0" and body["width"] == 640
    assert f'src="http://testserver/sessions/{sample.main}/embed"' in body["html"]
    assert "<script" not in body["html"] and "&lt;script&gt;" in body["html"]
    error = error_of(
        client.get("/api/oembed", params={"url": f"/sessions/{sample.main}", "format": "xml"}), 501
    )
    assert error["code"] == "format_not_supported"
    page = client.get(f"/sessions/{sample.main}").text
    assert (
        'type="application/json+oembed" href="http://testserver/api/oembed?url=http%3A//testserver/sessions/'
        in page
    )


def test_openapi_describes_every_public_route(client):
    schema = client.get("/api/openapi.json").json()
    for path in ("/api/sessions", "/api/sessions/{session_id}", "/api/sessions/{session_id}/transcript"):
        assert path in schema["paths"]
    search = schema["paths"]["/api/search"]["get"]
    assert {p["name"] for p in search["parameters"]} >= {
        "q",
        "event",
        "speaker",
        "topic",
        "since",
        "until",
        "lang",
    }
    result = schema["components"]["schemas"]["SearchResultOut"]["properties"]
    assert set(result) == SEARCH_FIELDS
    assert "ErrorBody" in schema["components"]["schemas"]
