"""Read replicas: ``serve`` nodes reading a real PostgreSQL streaming standby (``pg_basebackup -R``) on 127.0.0.1.

What a reader notices: a session written on the primary is found through a node reading the standby; while the
standby holds its replay back (``pg_wal_replay_pause``), that node shows the standby's older view only as long as
its measured lag is within ``--replica-max-lag``, then answers from the primary (one log line); a staff member sees
their own edit at once while anonymous readers still get the standby's view; a standby stopped in the middle of
1,000 requests costs no 5xx.
"""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from support.cluster import CatalogTarget, Node, add_user, cli, csrf_of, sign_in, wait_until

from tests.pg_server import server_binaries

pytestmark = pytest.mark.skipif(server_binaries() is None, reason="PostgreSQL is not installed")

PASSWORD = "a long staff passphrase 2026"


def captions(*lines: str) -> str:
    cues = [
        f"00:00:{2 * i + 1:02d}.000 --> 00:00:{2 * i + 2:02d}.500\n<v Mayor Okafor>{line}\n"
        for i, line in enumerate(lines)
    ]
    return "WEBVTT\n\n" + "\n".join(cues)


@pytest.fixture(scope="module")
def pair():
    from tests.support.pg_standby import StandbyPair

    started = StandbyPair.start()
    yield started
    from catalog import close_pools

    close_pools()
    started.stop()


@pytest.fixture
def targets(pair, tmp_path):
    """(the primary's target, the same with the standby as replica) on a fresh catalog database."""
    url = pair.fresh_database()
    data = tmp_path / "data"
    data.mkdir()
    primary = CatalogTarget("postgresql", data, {"USCM_ARCHIVE_CATALOG": url})
    reading = replace(
        primary,
        name="postgresql+standby",
        env={**primary.env, "USCM_ARCHIVE_CATALOG_REPLICAS": pair.standby_url(url)},
    )
    return primary, reading


@pytest.fixture
def nodes(tmp_path):
    started: list[Node] = []

    def start(target: CatalogTarget, name: str, max_lag: float = 5) -> Node:
        logs = tmp_path / "logs"
        logs.mkdir(exist_ok=True)
        target = replace(target, env={**target.env, "USCM_ARCHIVE_REPLICA_MAX_LAG": str(max_lag)})
        node = Node(target, name, logs)
        started.append(node)
        return node.wait_ready()

    yield start
    for node in started:
        node.stop()


def ingest(target: CatalogTarget, tmp_path: Path, name: str, title: str, *lines: str) -> int:
    path = tmp_path / f"{name}.vtt"
    path.write_text(captions(*lines))
    done = cli(target, "ingest", str(path), "--title", title, "--date", "2026-11-02")
    assert done.returncode == 0, done.stderr
    return int(done.stdout.strip().splitlines()[-1])


def total(node: Node, query: str) -> int:
    answer = httpx.get(f"{node.url}/api/search", params={"q": query}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["total"]


def replica_health(node: Node) -> dict:
    health = httpx.get(f"{node.url}/healthz", timeout=30)
    assert health.status_code == 200
    (replica,) = health.json()["replicas"]
    return replica


def test_a_node_reading_the_standby_finds_what_the_primary_wrote_and_skips_it_once_too_far_behind(
    pair, targets, nodes, tmp_path
):
    primary, reading = targets
    ingest(primary, tmp_path, "harbor", "Harbor Board", "The harbor dredging permit was renewed.")
    a = nodes(primary, "node-a")
    b = nodes(reading, "node-b", max_lag=5)
    assert wait_until(lambda: total(b, '"harbor dredging permit"') == 1, 30, "found through the standby")
    assert replica_health(b)["state"] == "ok"

    pair.pause_replay()  # the standby keeps answering, but stops applying what the primary writes
    try:
        ingest(primary, tmp_path, "levee", "Levee Board", "The levee pump station reopens in March.")
        assert total(a, '"levee pump station"') == 1  # the primary has it
        # once the standby is measured more than 5 s behind, B skips it and answers from the primary
        wait_until(lambda: total(b, '"levee pump station"') == 1, 30, "B answers from the primary")
        health = replica_health(b)
        assert health["state"] == "behind" and not health["in_use"] and health["lag_seconds"] > 5
        assert httpx.get(f"{b.url}/healthz", timeout=30).json()["status"] == "degraded"
    finally:
        pair.resume_replay()
    wait_until(lambda: replica_health(b)["state"] == "ok", 30, "the standby back in use")
    assert total(b, '"levee pump station"') == 1
    skipped = [line for line in b.log().splitlines() if "skipped" in line and "behind the primary" in line]
    assert len(skipped) == 1, b.log()  # one log line, not one per request


def test_a_staff_edit_is_visible_to_its_author_at_once_while_the_standby_lags(pair, targets, nodes, tmp_path):
    primary, reading = targets
    add_user(primary, "ann", PASSWORD, admin=True)
    session = ingest(
        primary, tmp_path, "budget", "Budget Hearing", "The capital budget passed on a voice vote."
    )
    pair.wait_replayed()
    b = nodes(reading, "node-b", max_lag=60)  # a generous bound: the standby stays in use for readers
    wait_until(lambda: replica_health(b)["state"] == "ok", 30, "the standby in use")
    staff = httpx.Client(base_url=b.url, timeout=30)
    assert sign_in(staff, "ann", PASSWORD).status_code == 303
    pair.pause_replay()
    try:
        page = staff.get(f"/staff/sessions/{session}").text
        edited = staff.post(
            f"/staff/sessions/{session}/metadata",
            data={"csrf": csrf_of(page), "title": "Capital Budget Hearing, Amended", "date": "2026-11-02"},
            follow_redirects=False,
        )
        assert edited.status_code == 303, edited.text
        assert "uscm_written" in edited.headers.get("set-cookie", "")
        # the author's next public page: the edit is there (read on the primary, the standby has not replayed it)
        mine = staff.get(f"/sessions/{session}")
        assert mine.status_code == 200 and "Capital Budget Hearing, Amended" in mine.text
        # an anonymous reader through the same node gets the standby's view, which has not replayed it yet
        theirs = httpx.get(f"{b.url}/sessions/{session}", timeout=30)
        assert theirs.status_code == 200
        assert "Budget Hearing" in theirs.text and "Amended" not in theirs.text
    finally:
        pair.resume_replay()
    wait_until(lambda: "Amended" in httpx.get(f"{b.url}/sessions/{session}", timeout=30).text, 30, "replayed")


def test_stopping_the_standby_costs_no_5xx_over_1000_requests(pair, targets, nodes, tmp_path):
    primary, reading = targets
    session = ingest(primary, tmp_path, "water", "Water Board", "The water main replacement is on schedule.")
    pair.wait_replayed()
    b = nodes(reading, "node-b")
    wait_until(lambda: replica_health(b)["state"] == "ok", 30, "the standby in use")
    paths = ["/api/search?q=water+main", f"/sessions/{session}", "/", "/api/sessions", "/search?q=schedule"]
    statuses: list[int] = []
    lock = threading.Lock()
    stop_at = threading.Event()

    def reader(n: int) -> None:
        with httpx.Client(base_url=b.url, timeout=60) as client:
            for i in range(250):
                status = client.get(paths[(n + i) % len(paths)]).status_code
                with lock:
                    statuses.append(status)
                    if len(statuses) == 250:
                        stop_at.set()

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    try:
        assert stop_at.wait(120)
        pair.stop_standby()  # a quarter of the way in
        for thread in threads:
            thread.join(timeout=300)
        assert len(statuses) == 1000
        assert [s for s in statuses if s >= 500] == []
        assert set(statuses) == {200}
        health = replica_health(b)
        assert health["state"] == "down" and not health["in_use"]
        skipped = [line for line in b.log().splitlines() if re.search(r"replica \S+ skipped", line)]
        assert len(skipped) == 1, b.log()
    finally:
        pair.start_standby()
    wait_until(lambda: replica_health(b)["state"] == "ok", 30, "the restarted standby back in use")
    assert total(b, '"water main replacement"') == 1


def test_replica_settings_are_checked(tmp_path):
    target = CatalogTarget("sqlite", tmp_path)
    without = cli(target, "--catalog-replica", "postgresql://standby/archive", "status")
    assert without.returncode == 1
    assert without.stderr.startswith("error: ") and "need the catalog in PostgreSQL" in without.stderr
    assert "Traceback" not in without.stderr
    bad = cli(target, "--catalog", "postgresql://p/archive", "--catalog-replica", "mysql://x/y", "status")
    assert bad.returncode == 1 and "'mysql://x/y' is not a PostgreSQL URL" in bad.stderr
    lag = cli(
        target,
        "--catalog",
        "postgresql://p/archive",
        "--catalog-replica",
        "postgresql://s/archive",
        "--replica-max-lag",
        "soon",
        "status",
    )
    assert lag.returncode == 1 and "'soon' is not a number of seconds" in lag.stderr
