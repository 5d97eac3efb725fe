"""Staff work in the browser (in-process HTTP), checked on the public site: drafts stay invisible until published,
corrections and merges show at once, retract hides and restore shows, uploads are checked by content, the audit
log records who did what, and the token API follows the same roles."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from fastapi.testclient import TestClient

from catalog import Catalog
from tests.support.staffsite import (
    ADMIN,
    DRAFT_SPEAKER,
    DRAFT_TOPIC,
    DRAFT_WORD,
    EDITOR,
    build_staff_site,
    catalog_dump,
    csrf_of,
    signed_in,
    signed_in_csrf,
)
from tests.support.webarchive import write_silent_wav
from web.app import create_app

pytestmark = pytest.mark.backends


@pytest.fixture
def site(tmp_path, catalog_url):
    return build_staff_site(tmp_path / "data", catalog_url)


@pytest.fixture
def app(site):
    return create_app(site.settings)


@pytest.fixture
def editor(app, site):
    with TestClient(app) as client:
        yield signed_in(client, site, EDITOR)


@pytest.fixture
def public(app):
    with TestClient(app) as client:
        yield client


def post(client: TestClient, path: str, **data):
    return client.post(path, data={"csrf": signed_in_csrf(client), **data}, follow_redirects=False)


def first_segment(site, session_id: int) -> int:
    catalog = Catalog.open(site.catalog_path)
    try:
        return catalog.segments(session_id)[0].id
    finally:
        catalog.close()


def public_view(
    client: TestClient, session_id: int, word: str, title: str, segment_id: int
) -> dict[str, bool]:
    """Where a session shows on the public site: pages, search (spoken words and webinar chat), API, feeds (new
    sessions, a search's new moments), sitemap and the searchers' tools."""
    api_list = client.get("/api/sessions", params={"limit": 100}).json()
    api_search = client.get("/api/search", params={"q": word}).json()
    trend_csv = list(csv.DictReader(io.StringIO(client.get("/trends.csv", params={"q": word}).text)))
    return {
        "trends page": '<a class="bar"' in client.get("/trends", params={"q": word}).text,
        "trends csv": any(int(row["count"]) for row in trend_csv),
        "api trends": client.get("/api/trends", params={"q": word}).json()["series"][0]["total"] > 0,
        "search csv": f"/sessions/{session_id}?t=" in client.get("/search.csv", params={"q": word}).text,
        "related page": client.get(f"/segments/{segment_id}/related").status_code == 200,
        "api related": client.get(f"/api/segments/{segment_id}/related").status_code == 200,
        "page": client.get(f"/sessions/{session_id}").status_code == 200,
        "embed": client.get(f"/sessions/{session_id}/embed").status_code == 200,
        "transcript file": client.get(f"/sessions/{session_id}/transcript.vtt").status_code == 200,
        "list page": title in html.unescape(client.get("/sessions").text),
        "home": title in html.unescape(client.get("/").text),
        "search page": f"/sessions/{session_id}?t=" in client.get("/search", params={"q": word}).text,
        "api list": any(s["id"] == session_id for s in _sessions_of(api_list)),
        "api session": client.get(f"/api/sessions/{session_id}").status_code == 200,
        "api transcript": client.get(f"/api/sessions/{session_id}/transcript").status_code == 200,
        "api search": api_search["total"] > 0,
        "chat search": client.get("/api/search", params={"q": word, "kind": "chat"}).json()["total"] > 0,
        "feed": title in html.unescape(client.get("/feed.atom").text),
        "search feed": title in html.unescape(client.get("/search.atom", params={"q": word}).text),
        "sitemap": f"/sessions/{session_id}<" in client.get("/sitemap.xml").text,
    }


def draft_names_shown(client: TestClient) -> dict[str, bool]:
    """Whether the draft's only speaker and topic show in the public browse pages and API."""
    slug = "councilor-zed-draftman"
    speaker_page = client.get(f"/speakers/{slug}")
    return {
        "speakers page": DRAFT_SPEAKER in client.get("/speakers").text,
        "api speakers": DRAFT_SPEAKER in client.get("/api/speakers").text,
        "home facets": DRAFT_TOPIC in html.unescape(client.get("/").text),
        "speaker page moments": speaker_page.status_code == 200 and DRAFT_WORD in speaker_page.text,
    }


def related_elsewhere(client: TestClient, site, session_id: int) -> dict[str, bool]:
    """Whether the session shows among the moments said elsewhere of the other session's lines (they share
    words: "the")."""
    other = site.published if session_id == site.draft else site.draft
    found = client.get(f"/api/segments/{first_segment(site, other)}/related").json()
    return {"related moment": any(r["session_id"] == session_id for r in found.get("results", []))}


def _sessions_of(listing) -> list[dict]:
    return listing["sessions"] if isinstance(listing, dict) else listing


@pytest.mark.search
def test_a_draft_is_invisible_everywhere_public_until_published(site, editor, public):
    segment = first_segment(site, site.draft)

    def view():
        shown = public_view(public, site.draft, DRAFT_WORD, "Quiet Draft Session", segment)
        return shown | draft_names_shown(public) | related_elsewhere(public, site, site.draft)

    hidden = view()
    assert not any(hidden.values()), {k: v for k, v in hidden.items() if v}
    assert post(editor, f"/staff/sessions/{site.draft}/publish").status_code == 303
    shown = view()
    assert all(shown.values()), {k: v for k, v in shown.items() if not v}


@pytest.mark.search
def test_retract_hides_and_only_an_admin_restores(site, app, editor, public):
    segment = first_segment(site, site.published)
    assert post(editor, f"/staff/sessions/{site.published}/retract").status_code == 303
    hidden = public_view(public, site.published, "bridges", "Infrastructure Roundtable", segment)
    assert not any(hidden.values()), {k: v for k, v in hidden.items() if v}
    page = editor.get(f"/staff/sessions/{site.published}").text
    assert "Retracted" in page and "Restore" not in page  # the session stays, for staff
    assert post(editor, f"/staff/sessions/{site.published}/restore").status_code == 403
    with TestClient(app) as admin:
        signed_in(admin, site, ADMIN)
        assert post(admin, f"/staff/sessions/{site.published}/restore").status_code == 303
    shown = public_view(public, site.published, "bridges", "Infrastructure Roundtable", segment)
    assert all(shown.values()), {k: v for k, v in shown.items() if not v}


def segment_links(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/staff/segments/(\d+)"', page)]


@pytest.mark.search
def test_a_correction_shows_in_public_search_at_once_with_the_old_wording_kept(site, editor, public):
    assert public.get("/api/search", params={"q": '"bridges were built"'}).json()["total"] == 1
    segment = segment_links(editor.get(f"/staff/sessions/{site.published}").text)[1]
    form = editor.get(f"/staff/segments/{segment}").text
    response = editor.post(
        f"/staff/segments/{segment}",
        data={
            "csrf": csrf_of(form),
            "text": "Our viaducts were built for a city half this size.",
            "speaker": "Mayor David Holt",
            "expected": html.unescape(re.search(r'name="expected" value="([^"]*)"', form).group(1)),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert public.get("/api/search", params={"q": '"bridges were built"'}).json()["total"] == 0
    found = public.get("/api/search", params={"q": '"viaducts were built"'}).json()
    assert found["total"] == 1 and found["results"][0]["speaker"] == "Mayor David Holt"
    assert "viaducts" in public.get("/search", params={"q": "viaducts"}).text
    history = editor.get(f"/staff/segments/{segment}").text
    assert (
        "Our bridges were built for a city half this size." in history and f"Replaced by {EDITOR}" in history
    )


def test_a_stale_correction_is_refused_with_a_clear_message(site, editor):
    segment = segment_links(editor.get(f"/staff/sessions/{site.published}").text)[0]
    before = catalog_dump(site.catalog_path)
    response = post(
        editor, f"/staff/segments/{segment}", text="New words here.", speaker="", expected="Old words."
    )
    assert response.status_code == 409 and "someone else changed this segment" in response.text
    assert catalog_dump(site.catalog_path) == before


def test_merging_speakers_moves_their_lines_and_the_old_page_redirects(site, editor, public):
    assert public.get("/speakers/mayor-holt", follow_redirects=False).status_code == 200
    ids = {
        html.unescape(name): int(i)
        for i, name in re.findall(
            r'<option value="(\d+)">([^<]+)</option>', editor.get("/staff/speakers").text
        )
    }
    response = post(editor, "/staff/speakers/merge", source=ids["Mayor Holt"], target=ids["David Holt"])
    assert response.status_code == 303
    moved = public.get("/speakers/mayor-holt", follow_redirects=False)
    assert moved.status_code in (301, 308) and moved.headers["location"] == "/speakers/david-holt"
    lines = public.get(f"/api/sessions/{site.published}/transcript").json()["segments"]
    assert [s["speaker"] for s in lines] == ["David Holt"] * 3
    session = public.get(f"/api/sessions/{site.published}").json()
    assert "Mayor Holt" not in str(session) and "David Holt" in str(session)


def test_rename_keeps_the_old_speaker_link_working(site, editor, public):
    ids = {
        html.unescape(n): int(i)
        for i, n in re.findall(r'<option value="(\d+)">([^<]+)</option>', editor.get("/staff/speakers").text)
    }
    assert (
        post(editor, f"/staff/speakers/{ids['David Holt']}/rename", name="Mayor David Holt").status_code
        == 303
    )
    moved = public.get("/speakers/david-holt", follow_redirects=False)
    assert moved.headers["location"] == "/speakers/mayor-david-holt"
    clash = post(editor, f"/staff/speakers/{ids['Mayor Holt']}/rename", name="mayor david holt")
    assert clash.status_code == 409 and "merge the two instead" in clash.text  # a Conflict is 409 everywhere


def test_metadata_topics_chapters_edits_show_publicly_and_bad_input_is_tied_to_its_field(
    site, editor, public
):
    base = f"/staff/sessions/{site.published}"
    ok = post(
        editor,
        f"{base}/metadata",
        title="Bridges & Bonds <live>",
        date="2024-01-18",
        event="92nd Winter Meeting",
    )
    assert ok.status_code == 303
    assert post(editor, f"{base}/topics", topics="infrastructure, bonds").status_code == 303
    assert post(editor, f"{base}/chapters", chapters="0:00 Welcome\n0:20 The bond vote").status_code == 303
    detail = public.get(f"/api/sessions/{site.published}").json()
    assert detail["title"] == "Bridges & Bonds <live>" and detail["event"] == "92nd Winter Meeting"
    assert "Bridges &amp; Bonds &lt;live&gt;" in public.get(f"/sessions/{site.published}").text
    chapters = public.get(f"/api/sessions/{site.published}/transcript").json()["chapters"]
    assert [c["title"] for c in chapters] == ["Welcome", "The bond vote"]
    before = catalog_dump(site.catalog_path)
    bad = post(editor, f"{base}/metadata", title="Fine", date="2024-13-01")
    assert bad.status_code == 400
    assert re.search(r'<p class="field-error" id="m-date-error">[^<]*YYYY-MM-DD', bad.text)
    assert 'aria-describedby="m-date-hint m-date-error"' in bad.text and 'aria-invalid="true"' in bad.text
    bad_chapters = post(editor, f"{base}/chapters", chapters="soon Welcome")
    assert bad_chapters.status_code == 400 and "line 1: start with a time" in bad_chapters.text
    assert catalog_dump(site.catalog_path) == before


def test_the_audit_log_records_who_did_what(site, app, editor):
    post(editor, f"/staff/sessions/{site.draft}/metadata", title="Quiet Draft, Renamed")
    post(editor, f"/staff/sessions/{site.draft}/publish")
    with TestClient(app) as admin:
        signed_in(admin, site, ADMIN)
        post(admin, f"/staff/sessions/{site.draft}/retract")
        page = admin.get(f"/staff/sessions/{site.draft}").text
    rows = re.findall(r"<tr>\s*<td><time[^>]*>[^<]*</time></td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>", page)
    assert rows[:3] == [(ADMIN, "session.retract"), (EDITOR, "session.publish"), (EDITOR, "metadata.edit")]
    assert "Quiet Draft Session" in html.unescape(page)  # the old title, in the change's details
    assert "session.retract" in editor.get("/staff/audit").text


@pytest.mark.search
def test_the_token_api_works_and_respects_roles(site, app, editor):
    page = post(editor, "/staff/account/tokens", label="weekly script").text
    token = re.search(r'<code class="token">([^<]+)</code>', page).group(1)
    with TestClient(app) as script:
        auth = {"Authorization": f"Bearer {token}"}
        assert script.get("/api/staff/me", headers=auth).json() == {"name": EDITOR, "role": "editor"}
        drafts = script.get("/api/staff/sessions", params={"status": "draft"}, headers=auth).json()
        assert [s["id"] for s in drafts["sessions"]] == [site.draft]
        segment = script.get(f"/api/staff/sessions/{site.published}", headers=auth).json()
        assert segment["status"] == "published"
        lines = script.get(f"/api/sessions/{site.published}/transcript").json()["segments"]
        fixed = script.patch(
            f"/api/staff/segments/{lines[2]['id']}",
            json={"text": "We passed the bond with seventy-one percent of the vote.", "keep_speaker": True},
            headers=auth,
        )
        assert fixed.status_code == 200 and fixed.json()["versions"][0]["changed_by"] == EDITOR
        assert script.get("/api/search", params={"q": '"seventy-one percent"'}).json()["total"] == 1
        assert (
            script.post(f"/api/staff/sessions/{site.draft}/publish", headers=auth).json()["status"]
            == "published"
        )
        assert script.get("/api/staff/users", headers=auth).status_code == 403
        refused = script.post(f"/api/staff/sessions/{site.draft}/restore", headers=auth)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
        bad = script.patch(f"/api/staff/sessions/{site.published}", json={"date": "yesterday"}, headers=auth)
        assert bad.status_code == 400 and "date" in bad.json()["error"]["message"]
        missing = script.get("/api/staff/sessions/987654", headers=auth)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
        token_id = re.search(r"/staff/account/tokens/(\d+)/revoke", editor.get("/staff/account").text).group(
            1
        )
        post(editor, f"/staff/account/tokens/{token_id}/revoke")
        assert script.get("/api/staff/me", headers=auth).status_code == 401


def test_an_admin_token_manages_users(site, app):
    with TestClient(app) as admin:
        signed_in(admin, site, ADMIN)
        token = re.search(
            r'<code class="token">([^<]+)</code>', post(admin, "/staff/account/tokens").text
        ).group(1)
        auth = {"Authorization": f"Bearer {token}"}
        added = admin.post(
            "/api/staff/users",
            json={"name": "cara", "password": "long enough pw", "role": "editor"},
            headers=auth,
        )
        assert added.status_code == 201
        assert [u["name"] for u in admin.get("/api/staff/users", headers=auth).json()["users"]] == [
            ADMIN,
            "cara",
            EDITOR,
        ]


# -- adding sessions -------------------------------------------------------------------------------------------
def upload(client: TestClient, name: str, data: bytes, **fields):
    form = client.get("/staff/sessions/new").text
    values = {"csrf": csrf_of(form), "title": "Uploaded Webinar", **fields}
    return client.post(
        "/staff/sessions/new/upload",
        data=values,
        files={"captions": (name, data, "application/octet-stream")},
        follow_redirects=False,
    )


def test_an_uploaded_caption_file_becomes_a_draft_with_a_preview(site, editor, public, corpus):
    data = (corpus / "captions" / "oakland-city-council-2022-08-09.vtt").read_bytes()
    response = upload(
        editor,
        "council.vtt",
        data,
        date="2022-08-09",
        speakers="Mayor Libby Schaaf of Oakland",
        topics="budget",
    )
    assert response.status_code == 303, response.text[:500]
    session_id = int(re.search(r"/staff/sessions/(\d+)", response.headers["location"]).group(1))
    preview = editor.get(response.headers["location"]).text
    assert "Draft (not public)" in preview and "Publish" in preview
    assert len(segment_links(preview)) > 20
    assert public.get(f"/sessions/{session_id}").status_code == 404
    assert "session.create" in preview and EDITOR in preview


def test_uploading_a_file_already_in_the_archive_is_refused_and_leaves_it_alone(site, editor, public):
    vtt = b"WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nThe harbor dredging starts in June.\n"
    first = upload(editor, "harbor.vtt", vtt)
    session_id = int(re.search(r"/staff/sessions/(\d+)", first.headers["location"]).group(1))
    assert post(editor, f"/staff/sessions/{session_id}/publish").status_code == 303
    before = catalog_dump(site.catalog_path)
    again = upload(editor, "harbor-again.srt", vtt, title="Another title")
    assert again.status_code == 409 and f"already in the archive as session {session_id}" in again.text
    assert catalog_dump(site.catalog_path) == before
    assert public.get(f"/sessions/{session_id}").status_code == 200  # still published


def test_uploads_are_typed_by_content_not_by_name(site, editor):
    vtt = b"WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nThe levee project starts in spring.\n"
    accepted = upload(editor, "looks-like-a-picture.png", vtt)
    assert accepted.status_code == 303
    before = catalog_dump(site.catalog_path)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    refused = upload(editor, "captions.vtt", png)
    assert refused.status_code == 400 and "not a caption file" in refused.text
    assert 'id="n-captions-error"' in refused.text and 'value="Uploaded Webinar"' in refused.text
    broken = upload(editor, "broken.vtt", b"WEBVTT\n\nthis is not a cue at all\n")
    assert broken.status_code == 400 and 'id="n-captions-error"' in broken.text
    untitled = upload(editor, "ok.vtt", vtt, title=" ")
    assert untitled.status_code == 400 and "needs a title" in untitled.text
    assert catalog_dump(site.catalog_path) == before


def upload_with_media(client: TestClient, caption: bytes, media_name: str, media: bytes, **fields):
    form = client.get("/staff/sessions/new").text
    files = {
        "captions": ("talk.vtt", caption, "text/vtt"),
        "media": (media_name, media, "application/octet-stream"),
    }
    values = {"csrf": csrf_of(form), "title": "Recorded Webinar", **fields}
    return client.post("/staff/sessions/new/upload", data=values, files=files, follow_redirects=False)


RECORDED = b"WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nThe recording is kept in the archive.\n"


def test_a_recording_uploaded_with_the_captions_is_archived_and_served_once_published(
    site, editor, public, tmp_path
):
    wav = write_silent_wav(tmp_path / "any-name.bin", seconds=4)
    response = upload_with_media(editor, RECORDED, "../../evil name.bin", wav)
    assert response.status_code == 303, response.text[:400]
    session_id = int(re.search(r"/staff/sessions/(\d+)", response.headers["location"]).group(1))
    assert post(editor, f"/staff/sessions/{session_id}/publish").status_code == 303
    page = public.get(f"/sessions/{session_id}").text
    source = re.search(rf'src="(/sessions/{session_id}/media/[^"]+)"', page).group(1)
    assert source.endswith(".wav") and "evil" in source and ".." not in source
    served = public.get(source, headers={"Range": "bytes=0-99"})
    assert served.status_code == 206 and served.content == wav[:100]
    stored = list((site.settings.data_dir / "media" / str(session_id)).iterdir())
    assert [p.read_bytes() == wav for p in stored] == [True]
    assert not any((site.settings.data_dir / ".incoming").rglob("*.*"))  # nothing left in staging


def test_a_recording_is_typed_by_content_and_a_failed_upload_keeps_no_file(site, editor):
    before = catalog_dump(site.catalog_path)
    fake = upload_with_media(editor, RECORDED, "talk.mp4", b"<html>not a video</html>" * 10)
    assert fake.status_code == 400 and "not audio or video" in fake.text and 'id="n-media-error"' in fake.text
    wav = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 64
    bad_captions = upload_with_media(editor, b"WEBVTT\n\nno cue here\n", "talk.wav", wav)
    assert bad_captions.status_code == 400
    assert catalog_dump(site.catalog_path) == before
    assert not (site.settings.data_dir / "media").exists()
    assert not any((site.settings.data_dir / ".incoming").rglob("*.*"))


def test_an_oversized_recording_is_refused(tmp_path):
    site = build_staff_site(tmp_path / "data", max_upload_bytes=10_000)
    with TestClient(create_app(site.settings)) as client:
        signed_in(client, site, EDITOR)
        before = catalog_dump(site.catalog_path)
        wav = write_silent_wav(tmp_path / "long.wav", seconds=4)  # 32 kB
        response = upload_with_media(client, RECORDED, "long.wav", wav)
        assert response.status_code == 400 and "larger than" in response.text
        assert catalog_dump(site.catalog_path) == before


def test_an_oversized_upload_is_refused_before_it_is_read(tmp_path):
    site = build_staff_site(tmp_path / "data", max_caption_bytes=64 * 1024, max_upload_bytes=64 * 1024)
    with TestClient(create_app(site.settings)) as client:
        signed_in(client, site, EDITOR)
        before = catalog_dump(site.catalog_path)
        big = b"WEBVTT\n\n" + b"00:00:01.000 --> 00:00:02.000\nwords words words\n\n" * 40_000  # 2 MB
        response = upload(client, "big.vtt", big)
        assert response.status_code == 413 and "larger than" in response.text  # by its Content-Length
        within_the_form_limit = big[: 200 * 1024]
        response = upload(client, "big.vtt", within_the_form_limit)
        assert response.status_code == 400 and "caption file is larger than" in response.text
        assert catalog_dump(site.catalog_path) == before


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000/video", "http://10.1.2.3/x", "http://[::1]/v", "file:///etc/passwd", "not a url"],
)
def test_url_ingest_refuses_local_and_private_addresses(site, editor, url):
    before = catalog_dump(site.catalog_path)
    response = post(editor, "/staff/sessions/new/url", url=url)
    assert response.status_code == 400
    assert 'id="u-url-error"' in response.text and 'aria-invalid="true"' in response.text
    assert catalog_dump(site.catalog_path) == before


def test_no_staff_page_shows_raw_markup_from_the_catalog(site, editor):
    xss = '<script>alert("x")</script>'
    base = f"/staff/sessions/{site.published}"
    post(editor, f"{base}/metadata", title=f"T {xss}", description=xss, event=xss)
    post(editor, f"{base}/speakers", speakers=f"{xss} | {xss}")
    post(editor, f"{base}/topics", topics=xss)
    for path in ["/staff", "/staff/sessions", base, "/staff/speakers", "/staff/audit"]:
        page = editor.get(path).text
        assert xss not in page and "<script>alert" not in page, path
        assert "&lt;script&gt;" in page, path


def test_the_dashboard_shows_the_ingest_queue_and_failures_with_retry(site, editor):
    from catalog import Catalog

    catalog = Catalog.open(site.catalog_path)
    try:
        item = catalog.queue.upsert("generic:broken", "https://example.org/broken", title="Broken webinar")
        catalog.queue.mark_running(item.id)
        catalog.queue.mark_failed(item.id, "HTTP Error 404: Not Found")
    finally:
        catalog.close()
    page = editor.get("/staff").text
    assert "Broken webinar" in page and "HTTP Error 404: Not Found" in page
    assert f'action="/staff/items/{item.id}/retry"' in page
