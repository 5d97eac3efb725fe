"""Webinar extras through the real server: staff attach a Zoom chat export and links to a session; the session page
shows them in time beside the transcript (in the browser, playback highlights the current chat message); chat
text is found by search as its own kind of hit (``kind=chat``) on /search, /api/search and the command line;
drafts and retracted sessions never show theirs; a malformed chat file is refused naming its line."""

from __future__ import annotations

import html
import json
import re

import httpx
import pytest
from click.testing import CliRunner

from catalog import Catalog, SearchRequest
from tests.support import browser
from tests.support.archive_state import archive_state
from tests.support.staffsite import EDITOR, PASSWORD, StaffSite, csrf_of, signed_in
from tests.support.webarchive import build_sample_archive
from uscm_archive.cli import cli
from uscm_archive.settings import Settings
from web.auth import hash_password

browser_session = browser.browser_session
pytestmark = pytest.mark.backends
SECRET = "extras-test-signing-key-" * 2

CHAT = """00:00:05 From  Ann Rivers  to  Everyone:
\tWelcome everyone, the agenda is on the site.
00:00:12 From  Bob Marsh  to  Ann Rivers(Direct Message):
\tprivate: is my microphone on?
00:00:25 From  Carla Diaz  to  Everyone:
\tOur levee bond passed with sixty percent.
00:00:45 From  Dee Okafor  to  Everyone:
\tThank you, great session on zebrafish housing.
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory, module_catalog_url):
    data_dir = tmp_path_factory.mktemp("extras") / "data"
    data_dir.mkdir()
    sample = build_sample_archive(data_dir, module_catalog_url or None)
    catalog = Catalog.open(module_catalog_url or data_dir / "catalog.db")
    try:
        catalog.staff.users.add(EDITOR, hash_password(PASSWORD), "editor")
    finally:
        catalog.close()
    settings = Settings(data_dir=data_dir, secret_key=SECRET, catalog_url=module_catalog_url)
    with browser.serve(settings) as base:
        yield base, sample, StaffSite(settings, published=sample.main, draft=sample.draft)


@pytest.fixture(scope="module")
def editor(site):
    base, _, staff_site = site
    with httpx.Client(base_url=base) as client:
        signed_in(client, staff_site, EDITOR)
        yield client


def attach_chat(client: httpx.Client, session_id: int, text: str, offset: str = ""):
    form = client.get(f"/staff/sessions/{session_id}/extras").text
    return client.post(
        f"/staff/sessions/{session_id}/chat",
        data={"csrf": csrf_of(form), "offset": offset},
        files={"chat": ("meeting_saved_chat.txt", text.encode("utf-8"), "text/plain")},
        follow_redirects=False,
    )


def save_links(client: httpx.Client, session_id: int, text: str):
    form = client.get(f"/staff/sessions/{session_id}/extras").text
    data = {"csrf": csrf_of(form), "links": text}
    return client.post(f"/staff/sessions/{session_id}/links", data=data, follow_redirects=False)


@pytest.fixture(scope="module")
def extras(site, editor):
    base, sample, _ = site
    assert attach_chat(editor, sample.main, CHAT).status_code == 303
    links = (
        "0:20 Levee bond report | https://example.org/levee-report.pdf\nAgenda | https://example.org/agenda"
    )
    assert save_links(editor, sample.main, links).status_code == 303
    form = editor.get(f"/staff/sessions/{sample.main}/extras").text
    slides = {
        "csrf": csrf_of(form),
        "pdf_url": "https://example.org/deck.pdf",
        "pages": "0:00 1\n0:30 2\n0:50 4",
    }
    assert editor.post(f"/staff/sessions/{sample.main}/slides", data=slides).status_code == 303
    for hidden in (sample.draft, sample.retracted):
        assert attach_chat(editor, hidden, CHAT.replace("zebrafish", "okapi")).status_code == 303
    return sample


def chat_lines(page: str) -> list[tuple[str, str]]:
    return [
        (start, " ".join(html.unescape(re.sub(r"<[^>]+>", "", body)).split()))
        for start, body in re.findall(
            r'<a class="chat-msg" href="[^"]+" data-start="([^"]+)"[^>]*>(.*?)</a>', page, re.S
        )
    ]


def test_the_session_page_shows_the_public_chat_in_time_and_the_links(site, extras):
    base, sample, _ = site
    page = httpx.get(f"{base}/sessions/{sample.main}").text
    assert chat_lines(page) == [
        ("5.0", "0:05 Ann Rivers: Welcome everyone, the agenda is on the site."),
        ("25.0", "0:25 Carla Diaz: Our levee bond passed with sixty percent."),
        ("45.0", "0:45 Dee Okafor: Thank you, great session on zebrafish housing."),
    ]
    assert "microphone" not in page  # a direct message is never published
    assert (
        '<a href="https://example.org/levee-report.pdf" rel="nofollow noopener ugc">Levee bond report</a>'
        in page
    )
    assert f'href="/sessions/{sample.main}?t=20" data-start="20.0"' in page
    slides = re.findall(
        r'data-start="([^"]+)"[^>]*>[^<]*</a> <a href="([^"]+)" rel="nofollow noopener">(Slide \d+)</a>', page
    )
    assert slides == [
        ("0.0", "https://example.org/deck.pdf#page=1", "Slide 1"),
        ("30.0", "https://example.org/deck.pdf#page=2", "Slide 2"),
        ("50.0", "https://example.org/deck.pdf#page=4", "Slide 4"),
    ]
    # a link to a time marks the message sent last before it, as the transcript marks its line
    linked = httpx.get(f"{base}/sessions/{sample.main}?t=30").text
    current = re.search(r'<a class="chat-msg"[^>]*aria-current="time"[^>]*>(.*?)</a>', linked, re.S)
    assert current and "levee bond passed" in current.group(1)


@pytest.mark.search
def test_chat_is_its_own_kind_of_hit_in_the_api_and_the_search_page(site, extras):
    base, sample, _ = site
    chat = httpx.get(f"{base}/api/search", params={"q": "levee", "kind": "chat"}).json()
    assert chat["total"] == 1 and chat["chat_total"] == 1
    (hit,) = chat["results"]
    assert hit["kind"] == "chat" and hit["speaker"] == "Carla Diaz" and hit["session_id"] == sample.main
    assert hit["url"] == f"/sessions/{sample.main}?t=25" and "<mark>levee</mark>" in hit["snippet"]
    both = httpx.get(f"{base}/api/search", params={"q": "housing"}).json()
    kinds = [r["kind"] for r in both["results"]]
    assert "speech" in kinds and kinds[-1] == "chat" and both["chat_total"] == 1
    speech = httpx.get(f"{base}/api/search", params={"q": "zebrafish", "kind": "speech"}).json()
    assert speech["results"] == [] and speech["chat_total"] == 0
    assert httpx.get(f"{base}/api/search", params={"q": "levee", "kind": "sms"}).status_code == 422
    page = httpx.get(f"{base}/search", params={"q": "zebrafish", "kind": "chat"}).text
    assert "1 chat message found" in page and 'class="hit-kind">Chat<' in page
    assert f'href="/sessions/{sample.main}?t=45&amp;q=zebrafish"' in page
    default = httpx.get(f"{base}/search", params={"q": "housing"}).text
    assert "In the webinar chat (1 message)" in default and "moments found" in default


@pytest.mark.search
def test_the_command_line_searches_chat_too(site, extras):
    _, sample, staff_site = site
    url = staff_site.settings.catalog_url
    where = ["--data", str(staff_site.settings.data_dir), *(["--catalog", url] if url else [])]
    args = [*where, "search", "levee", "--kind", "chat"]
    result = CliRunner().invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert [(r["kind"], r["url"]) for r in payload["results"]] == [("chat", f"/sessions/{sample.main}?t=25")]
    text = CliRunner().invoke(cli, args).output
    assert "[chat]" in text and "Carla Diaz: Our levee bond passed" in text
    bad = CliRunner().invoke(cli, [*args[:-1], "sms"])
    assert bad.exit_code == 2 and "sms" in bad.output


@pytest.mark.search
def test_drafts_and_retracted_sessions_show_no_chat_anywhere(site, extras):
    base, sample, _ = site
    assert httpx.get(f"{base}/api/search", params={"q": "okapi", "kind": "chat"}).json()["total"] == 0
    assert httpx.get(f"{base}/api/search", params={"q": "okapi"}).json()["chat_total"] == 0
    page = httpx.get(f"{base}/search", params={"q": "okapi"}).text
    assert "In the webinar chat" not in page and "Nothing was found" in page
    for hidden in (sample.draft, sample.retracted):
        assert httpx.get(f"{base}/sessions/{hidden}").status_code == 404


@pytest.mark.parametrize(
    ("text", "offset", "problem"),
    [
        (
            "WEBVTT\n\n00:00.000 --> 00:01.000\nnot a chat\n",
            "",
            "meeting_saved_chat.txt, line 1: expected a Zoom chat line",
        ),
        (
            "00:00:05 From  Ann  to  Everyone:\n\thi\n00:61:00 From  Ann  to  Everyone:\n\tx\n",
            "",
            "line 3: '00:61:00' is not a time",
        ),
        (CHAT, "soon", "is not a time like 2:00"),
    ],
)
def test_a_malformed_chat_file_is_refused_naming_the_line_and_changes_nothing(
    site, editor, text, offset, problem
):
    base, sample, staff_site = site
    before = archive_state(staff_site.settings.data_dir, staff_site.settings.catalog_path)
    response = attach_chat(editor, sample.linked, text, offset)
    assert response.status_code == 400 and problem in html.unescape(response.text)
    assert "Traceback" not in response.text and 'aria-invalid="true"' in response.text
    assert archive_state(staff_site.settings.data_dir, staff_site.settings.catalog_path) == before


def test_a_chat_file_over_the_size_cap_and_a_bad_link_line_are_refused(site, editor):
    _, sample, _ = site
    big = "00:00:05 From  Ann  to  Everyone:\n\t" + "x" * (5 * 1024**2) + "\n"
    response = attach_chat(editor, sample.linked, big)
    assert response.status_code == 400 and "larger than 5 MB" in response.text
    bad = save_links(editor, sample.linked, "Agenda | https://example.org/a\nno url on this line")
    assert bad.status_code == 400 and "line 2" in html.unescape(bad.text)
    worse = save_links(editor, sample.linked, "Script | javascript:alert(1)")
    assert worse.status_code == 400 and "is not an http(s) address" in html.unescape(worse.text)
    form = editor.get(f"/staff/sessions/{sample.linked}/extras").text
    for pdf_url, pages, problem in [
        ("https://example.org/d.pdf", "0:00 1\nsoon 2", "line 2: write “time page”"),
        ("javascript:alert(1)", "0:00 1", "is not an http(s) address"),
        ("https://example.org/d.pdf", "", "give the time each page was shown"),
    ]:
        data = {"csrf": csrf_of(form), "pdf_url": pdf_url, "pages": pages}
        refused = editor.post(f"/staff/sessions/{sample.linked}/slides", data=data)
        assert refused.status_code == 400 and problem in html.unescape(refused.text), problem


def test_extras_need_a_csrf_token(site, editor):
    _, sample, _ = site
    response = editor.post(
        f"/staff/sessions/{sample.linked}/links", data={"links": "A | https://example.org"}
    )
    assert response.status_code == 403


@pytest.mark.browser
def test_playback_highlights_the_current_chat_message_and_a_message_seeks(site, extras, browser_session):
    base, sample, _ = site
    context = browser_session.new_context(viewport=browser.DESKTOP)
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{base}/sessions/{sample.main}")
        page.wait_for_function("() => document.getElementById('player').readyState >= 1")
        page.locator("a.chat-msg").nth(1).click()  # Carla's message, at 0:25
        page.wait_for_function("() => Math.abs(document.getElementById('player').currentTime - 25) < 1.5")
        current = page.locator("a.chat-msg[aria-current='time']")
        assert "levee bond passed" in current.inner_text()
        # playback moves the highlight on to the next message, as it moves the transcript's line
        page.evaluate("() => { const p = document.getElementById('player'); p.currentTime = 46; p.play(); }")
        page.wait_for_function(
            "() => (document.querySelector(\"a.chat-msg[aria-current='time']\") || {}).textContent.includes('zebrafish')"
        )
        assert page.locator("a.chat-msg[aria-current]").count() == 1
    finally:
        context.close()
    assert errors == []


@pytest.mark.search
@pytest.mark.browser
def test_axe_finds_no_violations_on_a_session_page_with_extras(site, extras, browser_session):
    from axe_playwright_python.sync_playwright import Axe

    base, sample, _ = site
    context = browser_session.new_context(viewport=browser.DESKTOP)
    try:
        page = context.new_page()
        for path in (f"/sessions/{sample.main}?t=30", "/search?q=housing", "/search?q=levee&kind=chat"):
            page.goto(base + path)
            results = Axe().run(page)
            assert results.violations_count == 0, results.generate_report()
    finally:
        context.close()


def test_dump_and_load_keep_the_chat_links_and_slides(site, extras, tmp_path):
    _, sample, staff_site = site
    runner = CliRunner()
    on = {"USCM_ARCHIVE_CATALOG": staff_site.settings.catalog_url}  # the site's catalog, wherever it is
    dumped = runner.invoke(
        cli, ["--data", str(staff_site.settings.data_dir), "dump", str(tmp_path / "dump")], env=on
    )
    assert dumped.exit_code == 0, dumped.output
    loaded = runner.invoke(
        cli,
        ["--data", str(tmp_path / "copy"), "load", str(tmp_path / "dump")],
        env={"USCM_ARCHIVE_CATALOG": ""},
    )
    assert loaded.exit_code == 0, loaded.output
    original, copy = (
        Catalog.open(staff_site.settings.catalog_path),
        Catalog.open(tmp_path / "copy" / "catalog.db"),
    )
    try:
        for read in ("chat", "links", "slides"):
            before, after = getattr(original, read)(sample.main), getattr(copy, read)(sample.main)
            assert before and [_plain(x) for x in _listed(after)] == [_plain(x) for x in _listed(before)], (
                read
            )
        found = copy.search_chat(SearchRequest(query="levee"))
        assert [(h.session_id, h.sender) for h in found.hits] == [(sample.main, "Carla Diaz")]
    finally:
        original.close()
        copy.close()


def _listed(value):
    return value if isinstance(value, list) else [value]


def _plain(item) -> tuple:
    fields = {k: v for k, v in vars(item).items() if k != "id"}
    return tuple(sorted(fields.items()))
