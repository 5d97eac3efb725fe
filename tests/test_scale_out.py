"""Past one machine: two ``serve`` nodes and two ``worker`` processes on one catalog, all real processes on
127.0.0.1. Web nodes only enqueue (``--no-worker``); workers take the jobs with leases; a worker killed with
SIGKILL while it holds a job is replaced by the other once the lease runs out, and no session is saved twice;
sign-in limits, staff sessions and the search cache work across the nodes through the catalog.

The catalog is a parameter (``cluster_catalog``, from the ``backend`` the module is marked to run on): the SQLite
data folder, or a PostgreSQL database (``tests/test_topology.py`` adds a standby for the reading node). The test
that searches is marked ``search`` like every search test (it runs on both backends).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from support.cluster import (
    CatalogTarget,
    Node,
    WorkerProcess,
    add_user,
    csrf_of,
    sign_in,
    sqlite_target,
    wait_until,
)
from support.httpserver import LocalServer, Reply

from catalog import Catalog

FIXTURES = Path(__file__).parent / "fixtures"
PASSWORD = "a long staff passphrase 2026"
CAPTIONS = (
    "WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n<v Mayor Ruiz>The regional transit compact passed tonight.\n\n"
    "00:00:05.500 --> 00:00:09.000\n<v Mayor Ruiz>Every bus line now crosses the county border.\n"
)
SLOW_CAPTIONS = (
    "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nStormwater bonds were approved by the council.\n\n"
    "00:00:04.500 --> 00:00:08.000\nThe levee repairs start in the spring.\n"
)
PAGE = (
    "<!doctype html><html><head><title>Levee Briefing</title></head><body>"
    '<video src="/levee.mp4" controls><track kind="captions" srclang="en" src="/levee.en.vtt"></video>'
    "</body></html>"
)


pytestmark = pytest.mark.backends


@pytest.fixture
def cluster_catalog(backend, catalog_target, data_dir) -> CatalogTarget:
    """Where every process of the cluster finds the catalog: the data folder's file, or a PostgreSQL URL."""
    if backend == "postgresql":
        url = str(catalog_target)
        return CatalogTarget(
            "postgresql", data_dir, {"USCM_ARCHIVE_CATALOG": url}, opener=lambda: Catalog.open(url)
        )
    return sqlite_target(data_dir)


@pytest.fixture
def cluster(cluster_catalog, tmp_path):
    """Nodes A and B (serving only) and workers W1 and W2, on one catalog with an admin ``ann``."""
    add_user(cluster_catalog, "ann", PASSWORD, admin=True)
    logs = tmp_path / "logs"
    logs.mkdir()
    processes = {}
    try:
        processes["a"] = Node(cluster_catalog, "node-a", logs)
        processes["b"] = Node(cluster_catalog, "node-b", logs)
        processes["w1"] = WorkerProcess(cluster_catalog, "worker-1", logs)
        processes["w2"] = WorkerProcess(cluster_catalog, "worker-2", logs)
        processes["a"].wait_ready()
        processes["b"].wait_ready()
        yield processes
    finally:
        for process in processes.values():
            process.stop()


def staff_client(node: Node):
    client = node.client()
    assert sign_in(client, "ann", PASSWORD).status_code == 303
    return client


def search_total(node: Node, query: str) -> int:
    answer = node.client().get("/api/search", params={"q": query})
    assert answer.status_code == 200
    return answer.json()["total"]


@pytest.mark.search
def test_an_upload_through_node_a_is_processed_by_a_worker_and_found_through_node_b(cluster, cluster_catalog):
    a, b = cluster["a"], cluster["b"]
    assert search_total(b, '"regional transit compact"') == 0  # B answers (and caches) before the upload
    staff = staff_client(a)
    page = staff.get("/staff/sessions/new").text
    response = staff.post(
        "/staff/sessions/new/upload",
        data={"csrf": csrf_of(page), "title": "Transit Compact Vote", "date": "2026-11-30"},
        files={
            "captions": ("compact.vtt", CAPTIONS.encode(), "text/vtt"),
            "media": ("compact.mp4", (FIXTURES / "direct-media.mp4").read_bytes(), "video/mp4"),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    session_id = int(re.fullmatch(r"/staff/sessions/(\d+)\?notice=created", response.headers["location"])[1])
    # node A runs no worker: the session came from worker 1 or 2
    done_by = [
        w.name for w in (cluster["w1"], cluster["w2"]) if f"(upload) done: session {session_id}" in w.log()
    ]
    assert len(done_by) == 1, (cluster["w1"].log(), cluster["w2"].log())
    preview = staff.get(f"/staff/sessions/{session_id}").text
    staff.post(
        f"/staff/sessions/{session_id}/publish", data={"csrf": csrf_of(preview)}, follow_redirects=False
    )
    # B's search cache held "0 hits"; the catalog's data version moved, so B searches anew
    assert search_total(b, '"regional transit compact"') == 1
    player = b.client().get(f"/sessions/{session_id}").text
    media = re.search(rf'/sessions/{session_id}/media/[^"]+', player)[0]
    ranged = b.client().get(media, headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206 and len(ranged.content) == 100
    assert ranged.content == (FIXTURES / "direct-media.mp4").read_bytes()[:100]


def test_a_killed_workers_job_is_finished_by_the_other_without_a_duplicate_session(cluster, cluster_catalog):
    with LocalServer() as host:
        # the first fetch hangs, so that the worker that took the job still holds it when it is killed
        host.add("/levee.html", Reply(PAGE, delay=20), Reply(PAGE))
        host.add("/levee.en.vtt", Reply(SLOW_CAPTIONS))
        host.add("/levee.mp4", Reply(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64))
        staff = staff_client(cluster["a"])
        page = staff.get("/staff/sessions/new").text
        queued = staff.post(
            "/staff/sessions/new/url",
            data={"csrf": csrf_of(page), "url": host.url("/levee.html")},
            follow_redirects=False,
        )
        assert queued.status_code == 303 and queued.headers["location"].startswith("/staff/items/")
        item_id = int(queued.headers["location"].rsplit("/", 1)[1])

        def holder():
            catalog = cluster_catalog.open()
            try:
                jobs = [j for j in catalog.queue.jobs() if j.item_id == item_id and j.state == "running"]
            finally:
                catalog.close()
            return jobs[0] if jobs and host.hits("/levee.html") >= 1 else None

        job = wait_until(holder, 60, "a worker takes the job and starts fetching")
        pid = int(job.lease_owner.split(":")[1])
        victim, survivor = (cluster["w1"], cluster["w2"])
        if victim.pid != pid:
            victim, survivor = survivor, victim
        assert victim.pid == pid
        victim.kill()
        killed_at = time.monotonic()

        def finished():
            catalog = cluster_catalog.open()
            try:
                item = catalog.queue.get(item_id)
                return item if item.state in ("done", "failed") else None
            finally:
                catalog.close()

        logs = lambda: f"\n--- survivor:\n{survivor.log()[-2000:]}\n--- killed:\n{victim.log()[-1000:]}"  # noqa: E731
        try:
            item = wait_until(finished, 120, "the other worker finishes the job")
        except AssertionError as exc:
            raise AssertionError(f"{exc}{logs()}") from None
        assert item.state == "done", item.last_error + logs()
        assert (
            time.monotonic() - killed_at >= 2.0
        )  # not before the dead worker's lease (6 s, renewed every 2 s) ran out
        assert f"(ingest-url) done: session {item.session_id}" in survivor.log(), logs()
        catalog = cluster_catalog.open()
        try:
            job = catalog.queue.job(job.id)
            titled = [s for s in catalog.list_sessions(include_drafts=True)[1] if s.title == "Levee Briefing"]
        finally:
            catalog.close()
        assert job.state == "done" and job.attempts == 2, (job, logs())
        assert [s.id for s in titled] == [item.session_id]  # one session, not one per attempt
        assert host.hits("/levee.html") == 2, logs()


def wrong_then_right(nodes: list[Node], user: str, wrong: int) -> list[int]:
    """``wrong`` bad passwords spread over ``nodes`` in turn, then the right one on the first node."""
    clients = [node.client() for node in nodes]
    codes = [sign_in(clients[n % len(clients)], user, "not the password").status_code for n in range(wrong)]
    return [*codes, sign_in(clients[0], user, PASSWORD).status_code]


@pytest.fixture
def two_nodes(cluster_catalog, tmp_path):
    for name in ("bob", "cy", "dee"):
        add_user(cluster_catalog, name, PASSWORD)
    nodes = [Node(cluster_catalog, f"node-{n}", tmp_path) for n in "ab"]
    try:
        yield [node.wait_ready() for node in nodes]
    finally:
        for node in nodes:
            node.stop()


def test_six_wrong_passwords_over_two_nodes_lock_the_account_as_six_on_one_node(two_nodes):
    a, b = two_nodes
    one_node = wrong_then_right([a], "bob", 6)
    two = wrong_then_right([a, b], "cy", 6)
    # five failures are free; the sixth attempt already waits, and so does the right password after it
    assert one_node == [401] * 5 + [429, 429]
    assert two == one_node  # one count in the catalog: two nodes give a guesser no more attempts than one
    assert wrong_then_right([a, b], "dee", 4) == [401] * 4 + [303]


def test_a_staff_sign_in_on_one_node_holds_on_the_other(two_nodes):
    a, b = two_nodes
    staff = a.client()
    assert sign_in(staff, "bob", PASSWORD).status_code == 303
    on_b = b.client()
    on_b.cookies = staff.cookies
    assert on_b.get("/staff", follow_redirects=False).status_code == 200
    page = on_b.get("/staff").text
    signed_out = on_b.post("/staff/signout", data={"csrf": csrf_of(page)}, follow_redirects=False)
    assert signed_out.status_code == 303, b.log()[-3000:]
    assert on_b.get("/staff", follow_redirects=False).status_code == 303
    assert staff.get("/staff", follow_redirects=False).status_code == 303  # signed out on A too
