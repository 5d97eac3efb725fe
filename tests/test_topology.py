"""Issue 17's whole topology, every part a real process on 127.0.0.1: a PostgreSQL primary and a streaming standby
(``pg_basebackup -R``), SeaweedFS as the object store (``weed mini``), two ``serve --no-worker`` nodes on their own
ports (A reads and writes the primary; B reads public pages from the standby) and two ``uscm-archive worker``
processes.

- A caption file and a recording uploaded through A by staff are processed by one of the workers (the recording
  goes to the bucket, not the data folder), found by search through B reading the standby, and the recording
  plays through B's page from the store with Range requests.
- SIGKILL of the worker holding a job: the other worker finishes it after the lease, with no duplicate session
  (lane Q's test, run here on this topology).
- Sign-in: 6 wrong passwords spread over both nodes lock the account exactly as 6 on one node do (lane Q's test).
- Stopping the standby: B keeps answering from the primary, 0 5xx over 1,000 requests.
"""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import test_scale_out as scale_out
from support import s3_server
from support.cluster import CatalogTarget, Node, WorkerProcess, add_user, csrf_of, wait_until

from catalog import Catalog
from tests.pg_server import server_binaries

pytestmark = pytest.mark.skipif(server_binaries() is None, reason="PostgreSQL is not installed")

s3 = s3_server.s3  # the SeaweedFS of the test session
FIXTURES = Path(__file__).parent / "fixtures"
PASSWORD = scale_out.PASSWORD


@pytest.fixture(scope="module")
def pair():
    from tests.support.pg_standby import StandbyPair

    started = StandbyPair.start()
    yield started
    from catalog import close_pools

    close_pools()
    started.stop()


@pytest.fixture
def topology(pair, s3, tmp_path):
    """The processes (``a``, ``b``, ``w1``, ``w2``), the target A and the workers use, and the bucket."""
    url = pair.fresh_database()
    bucket = s3.bucket()
    data = tmp_path / "data"
    data.mkdir()
    env = {"USCM_ARCHIVE_CATALOG": url, "USCM_ARCHIVE_MEDIA_STORE": f"s3://{bucket}/archive", **s3.env}
    primary = CatalogTarget("postgresql+s3", data, env, opener=lambda: Catalog.open(url))
    reading = replace(primary, env={**env, "USCM_ARCHIVE_CATALOG_REPLICAS": pair.standby_url(url)})
    add_user(primary, "ann", PASSWORD, admin=True)
    logs = tmp_path / "logs"
    logs.mkdir()
    processes = {}
    try:
        processes["a"] = Node(primary, "node-a", logs)
        processes["b"] = Node(reading, "node-b", logs)
        processes["w1"] = WorkerProcess(primary, "worker-1", logs)
        processes["w2"] = WorkerProcess(primary, "worker-2", logs)
        processes["a"].wait_ready()
        processes["b"].wait_ready()
        yield processes, primary, bucket
    finally:
        for process in processes.values():
            process.stop()


def replica_state(node: Node) -> str:
    (replica,) = httpx.get(f"{node.url}/healthz", timeout=30).json()["replicas"]
    return replica["state"]


def test_an_upload_through_a_is_processed_by_a_worker_found_through_b_on_the_standby_and_plays_from_the_store(
    topology, s3, pair
):
    processes, primary, bucket = topology
    a, b = processes["a"], processes["b"]
    wait_until(lambda: replica_state(b) == "ok", 30, "B reads the standby")
    assert scale_out.search_total(b, '"regional transit compact"') == 0
    staff = scale_out.staff_client(a)
    page = staff.get("/staff/sessions/new").text
    recording = (FIXTURES / "direct-media.mp4").read_bytes()
    response = staff.post(
        "/staff/sessions/new/upload",
        data={"csrf": csrf_of(page), "title": "Transit Compact Vote", "date": "2026-11-30"},
        files={
            "captions": ("compact.vtt", scale_out.CAPTIONS.encode(), "text/vtt"),
            "media": ("compact.mp4", recording, "video/mp4"),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    session_id = int(re.fullmatch(r"/staff/sessions/(\d+)\?notice=created", response.headers["location"])[1])
    done_by = [
        w.name
        for w in (processes["w1"], processes["w2"])
        if f"(upload) done: session {session_id}" in w.log()
    ]
    assert len(done_by) == 1, (processes["w1"].log(), processes["w2"].log())
    # the recording is in the bucket, not in the data folder
    assert f"archive/media/{session_id}/compact.mp4" in s3.keys(bucket)
    assert not (primary.data_dir / "media").exists() or not any((primary.data_dir / "media").rglob("*.mp4"))
    preview = staff.get(f"/staff/sessions/{session_id}").text
    published = staff.post(
        f"/staff/sessions/{session_id}/publish", data={"csrf": csrf_of(preview)}, follow_redirects=False
    )
    assert published.status_code == 303
    # B reads the standby: found once the standby has replayed the publishing (B's cache held "0 hits")
    wait_until(lambda: scale_out.search_total(b, '"regional transit compact"') == 1, 30, "found through B")
    assert replica_state(b) == "ok"  # ... and B was reading the standby, not falling back to the primary
    player = httpx.get(f"{b.url}/sessions/{session_id}", timeout=30).text
    media = re.search(rf'/sessions/{session_id}/media/[^"]+', player)[0]
    ranged = httpx.get(f"{b.url}{media}", headers={"Range": "bytes=0-99"}, timeout=30)
    assert ranged.status_code == 206 and ranged.content == recording[:100]
    assert ranged.headers["content-range"] == f"bytes 0-99/{len(recording)}"
    tail = httpx.get(f"{b.url}{media}", headers={"Range": f"bytes={len(recording) - 10}-"}, timeout=30)
    assert tail.status_code == 206 and tail.content == recording[-10:]


def test_a_killed_workers_job_is_finished_by_the_other_without_a_duplicate_session(topology):
    processes, primary, _ = topology
    scale_out.test_a_killed_workers_job_is_finished_by_the_other_without_a_duplicate_session(
        processes, primary
    )


def test_six_wrong_passwords_over_both_nodes_lock_the_account_as_six_on_one_node(topology):
    processes, primary, _ = topology
    for name in ("bob", "cy", "dee"):
        add_user(primary, name, PASSWORD)
    scale_out.test_six_wrong_passwords_over_two_nodes_lock_the_account_as_six_on_one_node(
        [processes["a"], processes["b"]]
    )


def test_stopping_the_standby_node_b_answers_from_the_primary_with_no_5xx_over_1000_requests(topology, pair):
    processes, primary, _ = topology
    b = processes["b"]
    catalog = primary.open()
    try:
        sessions = [s.id for s in catalog.list_sessions()[1]]
    finally:
        catalog.close()
    wait_until(lambda: replica_state(b) == "ok", 30, "B reads the standby")
    paths = ["/api/search?q=transit", "/", "/api/sessions", "/search?q=county+border", "/healthz"]
    paths += [f"/sessions/{s}" for s in sessions[:3]]
    statuses: list[int] = []
    lock = threading.Lock()
    quarter = threading.Event()

    def reader(n: int) -> None:
        with httpx.Client(base_url=b.url, timeout=60) as client:
            for i in range(250):
                status = client.get(paths[(n + i) % len(paths)]).status_code
                with lock:
                    statuses.append(status)
                    if len(statuses) == 250:
                        quarter.set()

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    try:
        assert quarter.wait(120)
        pair.stop_standby()
        for thread in threads:
            thread.join(timeout=300)
        assert len(statuses) == 1000 and [s for s in statuses if s >= 500] == []
        assert replica_state(b) == "down"
    finally:
        pair.start_standby()
    wait_until(lambda: replica_state(b) == "ok", 30, "the standby back in use")
