"""Cataloging with real data: the USCM sessions' near-duplicate events merged and renamed (the old event page
redirects, an import run again keeps them merged), and every write in the audit log with who did it — the
operating-system user for the command line — and what changed in words."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from catalog import Catalog, Conflict, NotFound
from tests.support.staffsite import EDITOR, api_token, build_staff_site, signed_in, signed_in_csrf
from web.app import create_app

pytestmark = pytest.mark.backends

DAY_1 = "89th Winter Meeting (virtual), Day 1"
DAY_2 = "89th Winter Meeting (virtual), Day 2"
FINAL = "89th Winter Meeting (virtual), final full day"
MEETING = "89th Winter Meeting (virtual)"


@pytest.fixture(scope="module")
def uscm_jsonl(corpus: Path) -> Path:
    path = corpus / "uscm" / "sessions.jsonl"
    if not path.is_file():
        pytest.skip(f"no USCM session metadata at {path}")
    return path


def run_cli(
    data_dir: Path, *args: str, login: str = "clerk-ada", stdin: bytes | None = None, catalog_url: str = ""
):
    """The real command in a process of its own, run by the operating-system user ``login`` (on the catalog
    ``catalog_url`` names, when given)."""
    env = {**os.environ, "LOGNAME": login, "USER": login, "USCM_ARCHIVE_CATALOG": catalog_url}
    return subprocess.run(
        [sys.executable, "-m", "uscm_archive.cli", "--data", str(data_dir), *args],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=120,
    )


@pytest.fixture
def site(tmp_path, uscm_jsonl, catalog_url):
    site = build_staff_site(tmp_path / "data", catalog_url)
    done = run_cli(
        site.settings.data_dir, "import-catalog", str(uscm_jsonl), catalog_url=site.settings.catalog_url
    )
    assert done.returncode == 0, done.stderr.decode()
    return site


@pytest.fixture
def client(site):
    with TestClient(create_app(site.settings)) as client:
        yield signed_in(client, site, EDITOR)


def events(site) -> dict[str, int]:
    catalog = Catalog.open(site.catalog_path)
    try:
        return {e.name: e.sessions for e in catalog.staff.events.list()}
    finally:
        catalog.close()


def test_the_audit_log_shows_a_command_line_import_with_its_os_user(site, client):
    catalog = Catalog.open(site.catalog_path)
    try:
        created = [e for e in catalog.staff.audit.recent(200) if e.action == "session.create"]
    finally:
        catalog.close()
    by_cli = [e for e in created if e.user_name == "cli:clerk-ada"]
    assert len(by_cli) == 45  # one per line of the real file
    assert {e.user_name for e in created} == {"cli:clerk-ada", None}  # None: the test site's own two sessions
    page = client.get("/staff/audit").text
    assert "cli:clerk-ada" in page and "session.create" in page
    assert "No changes recorded yet" not in page


def test_merging_two_events_redirects_the_old_event_page_and_an_import_again_keeps_them_merged(
    site, client, uscm_jsonl
):
    before = events(site)
    assert before[DAY_1] == 3 and before[FINAL] == 2
    listing = client.get("/staff/events").text
    assert 'action="/staff/events/merge"' in listing and f'<option value="{FINAL}">' in listing
    csrf = signed_in_csrf(client)
    merged = client.post(
        "/staff/events/merge", data={"csrf": csrf, "source": FINAL, "target": DAY_1}, follow_redirects=False
    )
    assert merged.status_code == 303, merged.text[:300]
    after = events(site)
    assert FINAL not in after and after[DAY_1] == 5

    old_page = client.get(f"/sessions?event={quote(FINAL)}", follow_redirects=False)
    assert old_page.status_code == 301
    assert old_page.headers["location"] == f"/sessions?event={quote_plus(DAY_1)}"
    by_slug = client.get("/sessions?event=89th-winter-meeting-virtual-final-full-day", follow_redirects=False)
    assert by_slug.status_code == 301
    new_page = client.get(old_page.headers["location"])
    assert new_page.status_code == 200
    assert new_page.text.count(f"· {DAY_1}") == 5  # each session of the merged event is listed under it

    again = run_cli(
        site.settings.data_dir, "import-catalog", str(uscm_jsonl), catalog_url=site.settings.catalog_url
    )  # the file still says FINAL
    assert again.returncode == 0, again.stderr.decode()
    assert "0 new, 0 updated, 45 unchanged" in again.stdout.decode()
    assert FINAL not in events(site) and events(site)[DAY_1] == 5

    audit = client.get("/staff/audit").text
    assert f"event: {FINAL} → {DAY_1}" in audit.replace("&#39;", "'")
    assert "['" not in audit and '["' not in audit  # no raw Python or JSON lists


def test_rename_through_the_staff_api_and_the_renamed_name_redirects(site):
    headers = api_token(site, EDITOR)
    with TestClient(create_app(site.settings)) as api:
        renamed = api.patch(f"/api/staff/events/{quote(DAY_1)}", json={"name": MEETING}, headers=headers)
        assert renamed.status_code == 200, renamed.text
        assert renamed.json() == {"name": MEETING, "slug": "89th-winter-meeting-virtual", "sessions": 3}
        merged = api.post(
            "/api/staff/events/merge",
            json={"source": DAY_2, "target": "89th-winter-meeting-virtual"},
            headers=headers,
        )
        assert merged.status_code == 200 and merged.json()["sessions"] == 4
        clash = api.patch(f"/api/staff/events/{quote(FINAL)}", json={"name": MEETING}, headers=headers)
        assert clash.status_code == 409 and "merge" in clash.json()["error"]["message"]
        missing = api.post(
            "/api/staff/events/merge", json={"source": "No Such Meeting", "target": MEETING}, headers=headers
        )
        assert missing.status_code == 404
        redirected = api.get(f"/sessions?event={quote(DAY_1)}", follow_redirects=False)
        assert redirected.status_code == 301 and quote_plus(MEETING) in redirected.headers["location"]
        listed = api.get("/api/staff/events", headers=headers).json()["events"]
    assert {"name": MEETING, "slug": "89th-winter-meeting-virtual", "sessions": 4} in listed
    catalog = Catalog.open(site.catalog_path)
    try:
        entries = [e for e in catalog.staff.audit.recent(20) if e.action.startswith("event.")]
    finally:
        catalog.close()
    assert entries and {e.user_name for e in entries} == {EDITOR}


def test_renaming_back_to_an_old_name_makes_it_live_again(catalog):
    from catalog import SessionMeta

    catalog.save_session("k1", SessionMeta(title="Opening", event="Winter Meeting, Day 1"))
    staff = catalog.staff
    staff.events.rename("Winter Meeting, Day 1", "Winter Meeting", "ann")
    assert catalog.event_redirect("Winter Meeting, Day 1") == "Winter Meeting"
    staff.events.rename("Winter Meeting", "Winter Meeting, Day 1", "ann")
    assert catalog.event_redirect("Winter Meeting, Day 1") is None
    assert catalog.event_redirect("Winter Meeting") == "Winter Meeting, Day 1"
    with pytest.raises(NotFound):
        staff.events.merge("Nothing", "Winter Meeting, Day 1", "ann")
    summer = catalog.save_session("k2", SessionMeta(title="Closing", event="Summer Meeting"))
    with pytest.raises(Conflict):
        staff.events.rename("Summer Meeting", "winter meeting, day 1", "ann")
    # A staffer typing the old name of a renamed event gets the event as it is now called (one write path).
    staff.events.rename("Summer Meeting", "Summer Meeting 2024", "ann")
    staff.edits.update_metadata(summer, {"event": "Summer Meeting"}, "ann")
    assert catalog.get_session(summer, include_drafts=True).event == "Summer Meeting 2024"


def quote_plus(text: str) -> str:
    from urllib.parse import quote_plus as _quote_plus

    return _quote_plus(text)


def test_a_dump_and_load_keeps_a_merged_events_redirect(tmp_path, data_dir):
    from click.testing import CliRunner

    from catalog import SessionMeta
    from uscm_archive.cli import cli

    catalog = Catalog.open(data_dir / "catalog.db")
    try:
        catalog.save_session("k1", SessionMeta(title="Opening", event=FINAL))
        catalog.save_session("k2", SessionMeta(title="Welcome", event=DAY_1))
        catalog.staff.events.merge(FINAL, DAY_1, "ann")
    finally:
        catalog.close()
    runner = CliRunner()
    dumped = runner.invoke(cli, ["--data", str(data_dir), "dump", str(tmp_path / "d")])
    assert dumped.exit_code == 0, dumped.output
    loaded = runner.invoke(cli, ["--data", str(tmp_path / "fresh"), "load", str(tmp_path / "d")])
    assert loaded.exit_code == 0, loaded.output
    fresh = Catalog.open(tmp_path / "fresh" / "catalog.db")
    try:
        assert fresh.event_redirect(FINAL) == DAY_1
    finally:
        fresh.close()
