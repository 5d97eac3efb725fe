"""Getting sessions in from the staff area: paste a URL (background ingest with visible progress, retry of a
failure) and bulk catalog uploads (dry-run report first). Only 127.0.0.1 is ever contacted."""

from __future__ import annotations

import json
import re
import time

import pytest
from fastapi.testclient import TestClient

from tests.support.httpserver import LocalServer, Reply
from tests.support.staffsite import (
    EDITOR,
    api_token,
    build_staff_site,
    catalog_dump,
    csrf_of,
    signed_in,
    signed_in_csrf,
)
from web.app import create_app

CAPTIONS = (
    "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nWelcome to the water infrastructure webinar.\n\n"
    "00:00:04.500 --> 00:00:08.000\nLead service lines are coming out of every neighborhood.\n"
)
PAGE = (
    "<!doctype html><html><head><title>Water Webinar</title></head><body>"
    '<video src="/water.mp4" controls><track kind="captions" srclang="en" src="/water.en.vtt"></video>'
    "</body></html>"
)


@pytest.fixture
def server():
    with LocalServer() as local:
        yield local


def wait_for_item(client: TestClient, location: str, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        page = client.get(location).text
        if 'data-busy="no"' in page:
            return page
        time.sleep(0.2)
    raise AssertionError(f"the ingest at {location} did not finish in {seconds} s")


def test_a_pasted_url_is_fetched_in_the_background_as_a_draft(tmp_path, server):
    server.add("/water.html", Reply(PAGE))
    server.add("/water.en.vtt", Reply(CAPTIONS))
    server.add("/water.mp4", Reply(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64))
    site = build_staff_site(tmp_path / "data", allow_private_urls=True)
    with TestClient(create_app(site.settings)) as client:
        signed_in(client, site, EDITOR)
        response = client.post(
            "/staff/sessions/new/url",
            data={"csrf": signed_in_csrf(client), "url": server.url("/water.html")},
            follow_redirects=False,
        )
        assert response.status_code == 303 and response.headers["location"].startswith("/staff/items/")
        page = wait_for_item(client, response.headers["location"])
        assert "state-done" in page, page
        session_id = int(re.search(r'href="/staff/sessions/(\d+)"', page).group(1))
        preview = client.get(f"/staff/sessions/{session_id}").text
        assert "Draft (not public)" in preview and "Lead service lines are coming out" in preview
        assert client.get(f"/sessions/{session_id}").status_code == 404
        assert client.get("/api/search", params={"q": "lead service lines"}).json()["total"] == 0
        assert "ingest.url" in client.get("/staff/audit").text


def test_a_failed_fetch_shows_its_error_and_can_be_retried(tmp_path, server):
    server.add("/later.html", Reply("gone for now", status=404), Reply(PAGE))
    server.add("/water.en.vtt", Reply(CAPTIONS))
    server.add("/water.mp4", Reply(b"\x00" * 64))
    site = build_staff_site(tmp_path / "data", allow_private_urls=True)
    with TestClient(create_app(site.settings)) as client:
        signed_in(client, site, EDITOR)
        location = client.post(
            "/staff/sessions/new/url",
            data={"csrf": signed_in_csrf(client), "url": server.url("/later.html")},
            follow_redirects=False,
        ).headers["location"]
        failed = wait_for_item(client, location)
        assert "state-failed" in failed and "404" in failed
        assert "404" in client.get("/staff").text  # the dashboard lists the failure
        item_id = location.rsplit("/", 1)[1]
        retried = client.post(
            f"/staff/items/{item_id}/retry", data={"csrf": csrf_of(failed)}, follow_redirects=False
        )
        assert retried.status_code == 303
        done = wait_for_item(client, location)
        assert "state-done" in done and "Preview and publish" in done


def test_a_script_ingests_a_url_through_the_api_and_follows_it(tmp_path, server):
    server.add("/water.html", Reply(PAGE))
    server.add("/water.en.vtt", Reply(CAPTIONS))
    server.add("/water.mp4", Reply(b"\x00" * 64))
    site = build_staff_site(tmp_path / "data", allow_private_urls=True)
    with TestClient(create_app(site.settings)) as script:
        auth = api_token(site, EDITOR)
        started = script.post("/api/staff/ingest", json={"url": server.url("/water.html")}, headers=auth)
        assert started.status_code == 202
        progress = started.json()["progress"]
        deadline = time.monotonic() + 60
        while (state := script.get(progress, headers=auth).json())["state"] in ("pending", "running"):
            assert time.monotonic() < deadline, state
            time.sleep(0.2)
        assert state["state"] == "done" and state["session_id"]
        session = script.get(f"/api/staff/sessions/{state['session_id']}", headers=auth).json()
        assert session["status"] == "draft" and session["has_transcript"]
        assert script.get(f"/api/sessions/{state['session_id']}").status_code == 404


def test_the_api_refuses_private_addresses_and_unknown_items(tmp_path):
    site = build_staff_site(tmp_path / "data")
    with TestClient(create_app(site.settings)) as script:
        auth = api_token(site, EDITOR)

        def archive_state() -> list[str]:  # all but the token's "last used" time
            return [line for line in catalog_dump(site.catalog_path) if "api_tokens" not in line]

        before = archive_state()
        refused = script.post("/api/staff/ingest", json={"url": "http://127.0.0.1:9/x"}, headers=auth)
        assert refused.status_code == 400 and "private or local address" in refused.json()["error"]["message"]
        assert script.get("/api/staff/items/4242", headers=auth).status_code == 404
        assert script.post("/api/staff/items/4242/retry", headers=auth).status_code == 404
        assert archive_state() == before


def test_retrying_an_item_that_did_not_fail_is_refused(tmp_path):
    from catalog import Catalog

    site = build_staff_site(tmp_path / "data")
    catalog = Catalog.open(site.catalog_path)
    try:
        item = catalog.queue.upsert("done-one", "https://example.org/done")
    finally:
        catalog.close()
    with TestClient(create_app(site.settings)) as client:
        signed_in(client, site, EDITOR)
        before = catalog_dump(site.catalog_path)
        response = client.post(f"/staff/items/{item.id}/retry", data={"csrf": signed_in_csrf(client)})
        assert response.status_code == 409 and "only a failed item" in response.text
        assert catalog_dump(site.catalog_path) == before


# -- bulk ----------------------------------------------------------------------------------------------------
def bulk(client: TestClient, name: str, data: bytes, drafts: bool = True):
    fields = {"csrf": csrf_of(client.get("/staff/bulk").text)}
    if drafts:
        fields["drafts"] = "1"
    return client.post(
        "/staff/bulk", data=fields, files={"catalog": (name, data, "application/octet-stream")}
    )


def confirm(client: TestClient, report_page: str, **extra):
    token = re.search(r'name="token" value="([^"]+)"', report_page).group(1)
    drafts = re.search(r'name="drafts" value="([01])"', report_page).group(1)
    data = {"csrf": csrf_of(report_page), "token": token, "drafts": drafts, **extra}
    return client.post("/staff/bulk/confirm", data=data)


@pytest.fixture
def editor(tmp_path):
    site = build_staff_site(tmp_path / "data")
    with TestClient(create_app(site.settings)) as client:
        yield site, signed_in(client, site, EDITOR)


def test_bulk_jsonl_reports_first_then_imports_new_sessions_as_drafts(editor, corpus):
    site, client = editor
    data = (corpus / "uscm" / "sessions.jsonl").read_bytes()
    lines = len([line for line in data.decode().splitlines() if line.strip()])
    before = catalog_dump(site.catalog_path)
    report = bulk(client, "anything.txt", data)
    assert (
        report.status_code == 200 and f"{lines} new" in report.text and "nothing is saved yet" in report.text
    )
    assert catalog_dump(site.catalog_path) == before
    imported = confirm(client, report.text)
    assert imported.status_code == 200 and "Imported" in imported.text
    drafts = client.get("/staff/sessions", params={"status": "draft"}).text
    assert f"{lines + 1} sessions" in drafts  # the corpus lines plus the site's own draft
    assert client.get("/api/sessions").json()["total"] == 1  # none of them is public yet
    assert "bulk.import" in client.get("/staff/audit").text
    again = bulk(client, "again.jsonl", data)
    assert f"{lines} unchanged" in again.text


def test_bulk_csv_with_a_bad_line_can_skip_it(editor):
    site, client = editor
    csv_text = (
        "title,date,event,speakers,topics\n"
        "Water Summit,2024-05-01,Spring Meeting,Mayor Ada Quill of Riverbend;Chief Bo Lin,water;lead\n"
        "Broken Date,2024-99-01,,,\n"
    )
    report = bulk(client, "catalog.csv", csv_text.encode(), drafts=False)
    assert "1 new" in report.text and "Line 3" in report.text and "2024-99-01" in report.text
    refused = confirm(client, report.text)
    assert refused.status_code == 400 and "Not imported" in refused.text
    report = bulk(client, "catalog.csv", csv_text.encode(), drafts=False)
    done = confirm(client, report.text, skip_bad="1")
    assert done.status_code == 200 and "Imported" in done.text
    listed = client.get("/api/sessions").json()
    summit = [s for s in listed["sessions"] if s["title"] == "Water Summit"]
    assert summit, listed  # published, because new sessions were not asked to be drafts
    detail = client.get(f"/api/sessions/{summit[0]['id']}").json()
    assert {t["name"] for t in detail["topics"]} == {"water", "lead"}


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("x.jsonl", b"", "empty"),
        ("x.jsonl", b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8|binary"),
        ("x.csv", b"name,when\nA,B\n", "neither JSON Lines"),
        ("x.csv", b"title,color\nA,red\n", "unknown CSV columns: color"),
        (
            "x.jsonl",
            json.dumps({"title": "T", "transcript": "../../etc/passwd"}).encode(),
            "cannot name transcript",
        ),
    ],
)
def test_bad_bulk_files_are_refused_with_the_reason(editor, name, data, message):
    site, client = editor
    before = catalog_dump(site.catalog_path)
    response = bulk(client, name, data)
    assert response.status_code == 400 and re.search(message, response.text)
    assert 'id="b-catalog-error"' in response.text
    assert catalog_dump(site.catalog_path) == before


def test_a_forged_bulk_token_is_refused(editor):
    site, client = editor
    data = {"csrf": signed_in_csrf(client), "token": "../../catalog", "drafts": "0"}
    response = client.post("/staff/bulk/confirm", data=data)
    assert response.status_code == 400 and "upload the file again" in response.text


def test_an_upload_on_a_node_without_a_worker_waits_on_its_progress_page_until_a_worker_saves_it(tmp_path):
    from archive.worker import Worker, WorkerOptions

    site = build_staff_site(tmp_path / "data", worker=False)  # ``serve --no-worker``
    with TestClient(create_app(site.settings)) as client:
        signed_in(client, site, EDITOR)
        form = client.get("/staff/sessions/new").text
        response = client.post(
            "/staff/sessions/new/upload",
            data={"csrf": csrf_of(form), "title": "Water Webinar"},
            files={"captions": ("water.vtt", CAPTIONS.encode(), "text/vtt")},
            follow_redirects=False,
        )
        assert response.status_code == 303 and response.headers["location"].startswith("/staff/items/")
        waiting = client.get(response.headers["location"]).text
        assert "Waiting for a worker" in waiting and 'data-busy="yes"' in waiting
        ran = Worker(site.catalog_path, site.settings.data_dir, options=WorkerOptions(until_idle=True)).run()
        assert ran == 1
        done = wait_for_item(client, response.headers["location"])
        session_id = int(re.search(r'href="/staff/sessions/(\d+)"', done).group(1))
        assert "Lead service lines are coming out" in client.get(f"/staff/sessions/{session_id}").text


def test_the_dashboard_counts_the_jobs_waiting_for_a_worker(tmp_path):
    site = build_staff_site(tmp_path / "data", worker=False)
    with TestClient(create_app(site.settings)) as client:
        signed_in(client, site, EDITOR)
        assert "waiting for a worker" not in client.get("/staff").text
        form = client.get("/staff/sessions/new").text
        client.post(
            "/staff/sessions/new/upload",
            data={"csrf": csrf_of(form), "title": "Water Webinar"},
            files={"captions": ("water.vtt", CAPTIONS.encode(), "text/vtt")},
            follow_redirects=False,
        )
        assert "Work queue: 1 job(s) waiting for a worker, 0 being run." in client.get("/staff").text
