"""Saved-search alerts: every search's Atom feed of new moments, and staff e-mail digests through a real SMTP
server on 127.0.0.1 (aiosmtpd), over a real catalog file, the real server (uvicorn) and the real command line."""

from __future__ import annotations

import html
import re
import threading
from email import message_from_bytes
from email.message import Message

import feedparser
import httpx
import pytest
from click.testing import CliRunner

from catalog import Catalog
from tests.support import browser
from tests.support.staffsite import EDITOR, build_staff_site, csrf_of, signed_in
from uscm_archive.cli import cli

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")

WORD = "levees"
VTT = """WEBVTT

00:00:05.000 --> 00:00:09.000
Good afternoon, mayors of the river cities, welcome to the {name} forum.

00:01:10.000 --> 00:01:16.000
<v Mayor Ann Rivers>Our {word} held during the spring flood because we paid for them.

00:02:30.000 --> 00:02:36.000
<v Mayor Ann Rivers>Rebuilding {word} is cheaper than rebuilding neighbourhoods.
"""


class Inbox:
    """Messages an aiosmtpd server on 127.0.0.1 accepted."""

    def __init__(self):
        self.messages: list[tuple[list[str], Message]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()
    port = browser.free_port()
    controller = aiosmtpd_controller.Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def site(tmp_path):
    return build_staff_site(tmp_path / "data")


@pytest.fixture
def live(site):
    with browser.serve(site.settings) as base:
        yield base


def run(site, *args, **settings):
    result = CliRunner().invoke(cli, ["--data", str(site.settings.data_dir), *args], obj=settings)
    return result


def ingest(site, tmp_path, name: str, title: str, *extra: str) -> int:
    path = tmp_path / f"{name}.vtt"
    path.write_text(VTT.format(word=WORD, name=name), encoding="utf-8")
    result = run(site, "ingest", str(path), "--title", title, "--date", "2024-05-02", *extra)
    assert result.exit_code == 0, result.output
    return int(re.findall(r"\d+", result.stdout.strip().splitlines()[-1])[0])


def feed(base: str, **params):
    response = httpx.get(f"{base}/search.atom", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception
    return parsed


def save_search(client: httpx.Client, query: str, email: str, **filters):
    form = client.get("/staff/searches").text
    data = {"csrf": csrf_of(form), "query": query, "email": email, **filters}
    return client.post("/staff/searches", data=data, follow_redirects=False)


def staff_client(site, base: str) -> httpx.Client:
    client = httpx.Client(base_url=base)
    signed_in(client, site, EDITOR)
    return client


def smtp_settings(port: int) -> dict:
    return {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_from": "archive@example.org"}


def test_a_session_ingested_after_a_search_appears_in_its_feed_linked_to_its_seconds(site, live, tmp_path):
    assert feed(live, q=WORD).entries == []
    session_id = ingest(site, tmp_path, "flood", "River Cities Flood Forum")
    parsed = feed(live, q=WORD)
    assert [entry.title for entry in parsed.entries] == ["River Cities Flood Forum"]
    entry = parsed.entries[0]
    assert entry.link == f"{live}/sessions/{session_id}"
    links = re.findall(r'href="([^"]+)"', html.unescape(entry.content[0].value))
    assert links == [
        f"{live}/sessions/{session_id}?t=70&q={WORD}",
        f"{live}/sessions/{session_id}?t=150&q={WORD}",
    ]
    assert "2 moments" in entry.summary
    # the moment links open the session at the second the word is said
    current = re.search(r'aria-current="time">(.*?)</a>', httpx.get(links[1]).text, re.S)
    assert current and "Rebuilding" in current.group(1)
    # the same filters as /search: a speaker who said it keeps it, another speaker or a later date does not
    assert len(feed(live, q=WORD, speaker="Mayor Ann Rivers").entries) == 1
    assert feed(live, q=WORD, speaker="Mayor Holt").entries == []
    assert feed(live, q=WORD, since="2025-01-01").entries == []
    assert feed(live, q=WORD, since="not a date").entries[0].title == "River Cities Flood Forum"  # left out


def test_newest_sessions_come_first_and_drafts_and_retracted_sessions_never_show(site, live, tmp_path):
    older = ingest(site, tmp_path, "older", "Older Flood Forum")
    newer = ingest(site, tmp_path, "newer", "Newer Flood Forum")
    ingest(site, tmp_path, "draft", "Draft Flood Forum", "--draft")
    assert [e.title for e in feed(live, q=WORD).entries] == ["Newer Flood Forum", "Older Flood Forum"]
    catalog = Catalog.open(site.catalog_path)
    try:
        catalog.set_status(newer, "retracted")
    finally:
        catalog.close()
    assert [e.title for e in feed(live, q=WORD).entries] == ["Older Flood Forum"]
    assert older


def test_the_results_page_offers_the_feed(site, live, tmp_path):
    ingest(site, tmp_path, "flood", "River Cities Flood Forum")
    page = httpx.get(f"{live}/search", params={"q": WORD, "speaker": "mayor-ann-rivers"}).text
    alternate = re.search(
        r'<link rel="alternate" type="application/atom\+xml" title="New moments[^"]*" href="([^"]+)"', page
    )
    assert alternate, "no feed link in the results page's head"
    follow = re.search(r'<a href="([^"]+)" type="application/atom\+xml">Follow this search</a>', page)
    assert follow and follow.group(1) == alternate.group(1)
    url = html.unescape(follow.group(1))
    assert url == f"/search.atom?q={WORD}&speaker=mayor-ann-rivers"
    assert len(feedparser.parse(httpx.get(live + url).content).entries) == 1
    assert "Follow this search" not in httpx.get(f"{live}/search").text  # no query, nothing to follow


def test_a_digest_mails_new_matching_sessions_once(site, live, tmp_path, smtp):
    inbox, port = smtp
    ingest(site, tmp_path, "before", "Forum Before The Search")  # published before the search was saved
    with staff_client(site, live) as client:
        assert save_search(client, WORD, "ed@example.org").status_code == 303
        assert save_search(client, '"spring flood"', "ed@example.org").status_code == 303
        listed = client.get("/staff/searches").text
        assert listed.count("ed@example.org") >= 2 and "not yet" in listed
    new = ingest(site, tmp_path, "after", "Forum After The Search")
    ingest(site, tmp_path, "draft", "Draft Forum After The Search", "--draft")
    retracted = ingest(site, tmp_path, "retracted", "Retracted Forum After The Search")
    catalog = Catalog.open(site.catalog_path)
    try:
        catalog.set_status(retracted, "retracted")
    finally:
        catalog.close()

    result = run(site, "digest", **smtp_settings(port))
    assert result.exit_code == 0, result.output
    assert "sent 1 digest" in result.stdout
    assert len(inbox.messages) == 1
    recipients, letter = inbox.messages[0]
    assert recipients == ["ed@example.org"] and letter["From"] == "archive@example.org"
    body = letter.get_payload(decode=True).decode("utf-8")
    assert "Forum After The Search" in body and f"/sessions/{new}?t=70&q={WORD}" in body
    assert 'Search: "spring flood"' in body and f"Search: {WORD}" in body
    assert "Forum Before The Search" not in body and "Draft Forum" not in body and "Retracted" not in body
    assert "2 new sessions" in letter["Subject"]  # one session, listed under each of the two searches

    again = run(site, "digest", **smtp_settings(port))
    assert again.exit_code == 0 and "no digest sent" in again.stdout
    assert len(inbox.messages) == 1  # nothing new: nothing sent

    newest = ingest(site, tmp_path, "later", "Forum Later Still")
    assert run(site, "digest", **smtp_settings(port)).exit_code == 0
    assert len(inbox.messages) == 2
    body = inbox.messages[1][1].get_payload(decode=True).decode("utf-8")
    assert (
        "Forum Later Still" in body
        and f"/sessions/{newest}?" in body
        and "Forum After The Search" not in body
    )


def test_a_digest_that_cannot_be_sent_says_why_and_is_sent_next_time(site, live, tmp_path, smtp):
    inbox, port = smtp
    with staff_client(site, live) as client:
        assert save_search(client, WORD, "ed@example.org").status_code == 303
    ingest(site, tmp_path, "after", "Forum After The Search")
    unset = run(site, "digest")
    assert unset.exit_code == 1 and "error: no SMTP server is set" in unset.output
    closed = run(site, "digest", **smtp_settings(browser.free_port()))
    assert closed.exit_code == 1 and "error: the SMTP server 127.0.0.1:" in closed.output
    assert "Traceback" not in closed.output
    assert run(site, "digest", **smtp_settings(port)).exit_code == 0
    assert len(inbox.messages) == 1 and "Forum After The Search" in str(inbox.messages[0][1])


@pytest.mark.parametrize(
    "fields, problem",
    [
        ({"query": "  ", "email": "ed@example.org"}, "type the words to search for"),
        ({"query": WORD, "email": "not-an-address"}, "is not an e-mail address"),
        ({"query": WORD, "email": "ed@example.org", "since": "2024-02-30"}, "is not a real date"),
        ({"query": "x" * 501, "email": "ed@example.org"}, "longer than 500 characters"),
    ],
)
def test_a_bad_saved_search_is_refused_beside_its_field_and_nothing_is_saved(site, live, fields, problem):
    with staff_client(site, live) as client:
        response = save_search(client, **fields)
        assert response.status_code == 400 and problem in html.unescape(response.text)
        assert 'aria-invalid="true"' in response.text
        assert "None yet." in client.get("/staff/searches").text


def test_saved_searches_need_a_signed_in_staffer_and_a_csrf_token(site, live):
    anonymous = httpx.get(f"{live}/staff/searches", follow_redirects=False)
    assert anonymous.status_code == 303 and "/staff/signin" in anonymous.headers["location"]
    with staff_client(site, live) as client:
        forged = client.post("/staff/searches", data={"query": WORD, "email": "ed@example.org"})
        assert forged.status_code == 403
        assert "None yet." in client.get("/staff/searches").text


def test_following_a_search_in_the_browser(site, live, tmp_path, browser_session):
    ingest(site, tmp_path, "flood", "River Cities Flood Forum")
    context = browser_session.new_context()
    try:
        page = context.new_page()
        page.goto(f"{live}/search?q={WORD}")
        with page.expect_response(lambda r: "/search.atom" in r.url) as response_info:
            page.get_by_role("link", name="Follow this search").click()
        parsed = feedparser.parse(response_info.value.body())
        assert [e.title for e in parsed.entries] == ["River Cities Flood Forum"]
    finally:
        context.close()


browser_session = browser.browser_session


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # 127.0.0.1 only, on purpose
def test_a_digest_logs_in_when_credentials_are_set(site, live, tmp_path):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            b"ed",
            b"s3cret",
        )
        return AuthResult(success=ok)

    inbox, port = Inbox(), browser.free_port()
    controller = aiosmtpd_controller.Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    try:
        with staff_client(site, live) as client:
            assert save_search(client, WORD, "ed@example.org").status_code == 303
        ingest(site, tmp_path, "after", "Forum After The Search")
        anonymous = run(site, "digest", **smtp_settings(port))  # the server takes mail only after a login
        assert (
            anonymous.exit_code == 1 and "error: the SMTP server" in anonymous.output and inbox.messages == []
        )
        right = run(site, "digest", **smtp_settings(port), smtp_user="ed", smtp_password="s3cret")
        assert right.exit_code == 0, right.output
        assert len(inbox.messages) == 1 and "Forum After The Search" in str(inbox.messages[0][1])
    finally:
        controller.stop()
