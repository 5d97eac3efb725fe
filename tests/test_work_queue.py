"""The shared work queue in the catalog: leases, takeovers, retries with a growing delay, and the worker command
(SIGTERM finishes the job in hand). Real SQLite files; real processes where a process is the point."""

from __future__ import annotations

import hashlib
import json
import re
import signal
import subprocess
import sys
import threading
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.cluster import (
    CatalogTarget,
    Node,
    add_user,
    cli,
    csrf_of,
    free_port,
    sign_in,
    sqlite_target,
    wait_until,
)
from support.httpserver import LocalServer, Reply, local_server  # noqa: F401 - the fixture
from support.ytdlp_fake import FakeSite, make_downloader, vtt

from archive import IngestOptions
from archive.jobs import queue_upload, queue_url_ingest
from archive.worker import Worker, WorkerOptions
from catalog import Catalog, CatalogError, Conflict
from transcripts import TranscriptError
from uscm_archive.cli import cli as uscm_cli

pytestmark = pytest.mark.backends  # the tests of the queue itself run on SQLite and on PostgreSQL

CAPTIONS = b"WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nThe harbor dredging contract was signed.\n"


def run(data_dir, *args: str, obj: dict | None = None):
    return CliRunner().invoke(uscm_cli, ["--data", str(data_dir), *args], obj=obj)


def seconds_until(stamp: str) -> float:
    return (datetime.fromisoformat(stamp.replace("Z", "+00:00")) - datetime.now(UTC)).total_seconds()


def test_a_job_is_held_by_one_worker_until_its_lease_runs_out(catalog):
    job = catalog.queue.enqueue_job("sync", {"url": "https://example.org/c"})
    taken = catalog.queue.claim_job("w1", 0.5)
    assert taken.id == job.id and taken.state == "running" and taken.attempts == 1
    assert catalog.queue.claim_job("w2", 0.5) is None  # held
    assert catalog.queue.renew_lease(job.id, "w1", 0.5)
    time.sleep(0.6)
    again = catalog.queue.claim_job("w2", 30)
    assert again.id == job.id and again.lease_owner == "w2" and again.attempts == 2
    # the first worker lost the job: it can neither renew, fail nor finish it any more
    assert not catalog.queue.renew_lease(job.id, "w1", 30)
    assert catalog.queue.fail_job(job.id, "w1", "late") is None
    assert not catalog.queue.finish_job(job.id, "w1", {"session_id": 1})
    assert catalog.queue.finish_job(job.id, "w2", {"session_id": 7})
    done = catalog.queue.job(job.id)
    assert done.state == "done" and done.result == {"session_id": 7} and done.lease_owner is None


def test_a_failed_job_waits_longer_after_each_failure_then_stays_failed(catalog):
    job = catalog.queue.enqueue_job("sync", {"url": "https://example.org/c"}, data=b"kept", max_attempts=3)
    waits = []
    for attempt in (1, 2):
        catalog.queue.claim_job("w", 30)
        failed = catalog.queue.fail_job(job.id, "w", f"boom {attempt}")
        assert failed.state == "queued" and failed.last_error == f"boom {attempt}"
        waits.append(seconds_until(failed.next_try_at))
        assert catalog.queue.claim_job("w", 30) is None  # not before its next try
        time.sleep(max(0.0, seconds_until(failed.next_try_at)) + 0.05)
    assert 1.5 < waits[0] < 2.5 and 3.5 < waits[1] < 4.5  # 2 s, then 4 s
    catalog.queue.claim_job("w", 30)
    final = catalog.queue.fail_job(job.id, "w", "boom 3")
    assert final.state == "failed" and final.attempts == 3 and final.last_error == "boom 3"
    assert catalog.queue.job_data(job.id) is None  # the bytes are not kept for a job that will not run
    assert catalog.queue.claim_job("w", 30) is None
    assert catalog.queue.count_jobs() == {"queued": 0, "running": 0, "done": 0, "failed": 1}


def test_a_job_whose_worker_keeps_dying_is_failed_when_its_attempts_are_spent(catalog):
    job = catalog.queue.enqueue_job("upload", {}, max_attempts=2)
    for _ in range(2):
        assert catalog.queue.claim_job("dies", 0.05).id == job.id
        time.sleep(0.1)
    assert catalog.queue.claim_job("next", 30) is None
    failed = catalog.queue.job(job.id)
    assert (
        failed.state == "failed"
        and failed.last_error == "its worker stopped before finishing it (attempt 2 of 2)"
    )


def test_workers_racing_for_jobs_take_each_exactly_once(catalog_target):
    path = catalog_target
    setup = Catalog.open(path)
    ids = [setup.queue.enqueue_job("sync", {"n": n}).id for n in range(60)]
    setup.close()
    taken: dict[str, list[int]] = {}
    start = threading.Barrier(4)

    def take(name: str) -> None:
        catalog = Catalog.open(path)
        mine = taken.setdefault(name, [])
        start.wait()
        while (job := catalog.queue.claim_job(name, 60)) is not None:
            mine.append(job.id)
            time.sleep(0.01)  # the work: the others take jobs meanwhile
            assert catalog.queue.finish_job(job.id, name)
        catalog.close()

    threads = [threading.Thread(target=take, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    every = sorted(i for mine in taken.values() for i in mine)
    assert every == ids  # none taken twice, none left behind
    assert sum(1 for mine in taken.values() if mine) >= 2


@pytest.mark.parametrize(
    "payload,problem",
    [({"x": "y" * 70000}, "payload"), ({}, "kind")],
)
def test_bad_jobs_are_refused_and_nothing_is_queued(catalog, payload, problem):
    with pytest.raises(CatalogError) as raised:
        catalog.queue.enqueue_job("" if problem == "kind" else "sync", payload)
    assert raised.value.field == problem
    assert catalog.queue.jobs() == []


def test_a_bad_upload_is_refused_before_it_is_queued(catalog, catalog_target, data_dir):
    with pytest.raises(TranscriptError, match="no cues"):
        queue_upload(catalog, data_dir, b"WEBVTT\n\n", "empty.vtt", IngestOptions(title="Empty"))
    item = queue_upload(catalog, data_dir, CAPTIONS, "harbor.vtt", IngestOptions(title="Harbor", draft=True))
    assert Worker(catalog_target, data_dir, options=WorkerOptions(until_idle=True)).run() == 1
    session_id = catalog.queue.get(item.id).session_id
    assert catalog.get_session(session_id, include_drafts=True).title == "Harbor"
    with pytest.raises(Conflict, match=f"already in the archive as session {session_id}"):
        queue_upload(catalog, data_dir, CAPTIONS, "again.vtt", IngestOptions(title="Again"))
    assert len(catalog.queue.jobs()) == 1


def test_the_worker_command_finishes_the_job_in_hand_on_sigterm(data_dir, tmp_path):
    target = sqlite_target(data_dir)
    page = (
        "<!doctype html><html><head><title>Port Authority</title></head><body>"
        '<video src="/p.mp4"><track kind="captions" srclang="en" src="/p.en.vtt"></video></body></html>'
    )
    with LocalServer() as host:
        host.add("/p.html", Reply(page, delay=3))
        host.add("/p.en.vtt", Reply(CAPTIONS.decode()))
        with closing(Catalog.open(data_dir / "catalog.db")) as catalog:
            item = queue_url_ingest(catalog, host.url("/p.html"), IngestOptions())
        worker = subprocess.Popen(
            [sys.executable, "-m", "uscm_archive.cli", "worker", "--poll", "0.1"],
            stderr=subprocess.PIPE,
            text=True,
            env=target.environment(),
        )
        wait_until(lambda: host.hits("/p.html") >= 1, 30, "the worker starts the job")
        worker.send_signal(signal.SIGTERM)
        _, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    assert "stopping after the job in hand" in err and re.search(r"job \d+ \(ingest-url\) done", err)
    with closing(Catalog.open(data_dir / "catalog.db")) as catalog:
        assert catalog.queue.get(item.id).state == "done"


def test_nodes_that_sign_with_different_keys_refuse_to_serve(tmp_path):
    target = sqlite_target(tmp_path / "data")
    first = Node(target, "node-a", tmp_path)
    try:
        first.wait_ready()
        other_key = CatalogTarget(target.name, target.data_dir, {"USCM_ARCHIVE_SECRET_KEY": "another key"})
        refused = cli(other_key, "serve", "--port", str(free_port()), "--no-worker")
        assert refused.returncode == 1
        assert refused.stderr.startswith("error: this node signs staff sessions with another key")
        assert "USCM_ARCHIVE_SECRET_KEY" in refused.stderr and "Traceback" not in refused.stderr
    finally:
        first.stop()
    replaced = Node(
        CatalogTarget(target.name, target.data_dir, {"USCM_ARCHIVE_SECRET_KEY": "another key"}),
        "node-b",
        tmp_path,
        "--new-secret-key",
    )
    try:
        replaced.wait_ready()  # on purpose: the archive's key is now this one
    finally:
        replaced.stop()


def test_a_sync_queued_from_the_command_line_is_run_by_the_worker_command(local_server, data_dir):  # noqa: F811
    site = FakeSite(local_server)
    site.video("a", "Budget plenary", manual={"en": vtt("the budget plenary begins")})
    site.video("b", "Water roundtable", manual={"en": vtt("water rates and pipes")})
    site.channel("c", ["a", "b"])
    fake = {"ytdlp_factory": make_downloader}
    queued = run(data_dir, "sync", site.channel_url("c"), "--queue", "--json", obj=fake)
    assert queued.exit_code == 0, queued.output
    job_id = json.loads(queued.stdout)["job_id"]
    status = json.loads(run(data_dir, "status", "--json").stdout)
    assert (
        status["jobs"]["queued"] == 1 and local_server.hits("/fake/channel/c.json") == 0
    )  # nothing fetched yet
    worked = run(data_dir, "worker", "--until-idle", "--json", obj=fake)
    assert worked.exit_code == 0, worked.output
    assert json.loads(worked.stdout) == {"done": 1, "failed": 0}
    assert f"job {job_id} (sync) done" in worked.stderr
    with closing(Catalog.open(data_dir / "catalog.db")) as catalog:
        titles = sorted(s.title for s in catalog.list_sessions()[1])
        assert catalog.queue.job(job_id).state == "done"
    assert titles == ["Budget plenary", "Water roundtable"]
    refused = run(data_dir, "sync", "http://[::1", "--queue", obj=fake)
    assert refused.exit_code == 1 and refused.stderr.startswith("error: ")


def test_a_postgresql_catalog_without_a_shared_signing_key_refuses_to_serve(pg_url, tmp_path):
    target = CatalogTarget("postgresql", tmp_path / "data", {"USCM_ARCHIVE_CATALOG": pg_url})
    refused = cli(target, "serve", "--port", str(free_port()), USCM_ARCHIVE_SECRET_KEY="")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert refused.stderr.startswith("error: a PostgreSQL catalog is shared by nodes on several machines")
    assert not (tmp_path / "data" / "secret.key").exists()  # no node-local key was made


def test_one_serve_process_alone_runs_the_jobs_it_queues(tmp_path):
    """One machine, no other process: ``serve`` runs a worker thread of its own."""
    target = sqlite_target(tmp_path / "data")
    add_user(target, "ann", "a long staff passphrase 2026")
    node = Node(target, "node", tmp_path, worker=True)
    try:
        node.wait_ready()
        staff = node.client()
        assert sign_in(staff, "ann", "a long staff passphrase 2026").status_code == 303
        page = staff.get("/staff/sessions/new").text
        response = staff.post(
            "/staff/sessions/new/upload",
            data={"csrf": csrf_of(page), "title": "Harbor Dredging"},
            files={"captions": ("harbor.vtt", CAPTIONS, "text/vtt")},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert re.fullmatch(r"/staff/sessions/\d+\?notice=created", response.headers["location"])
        assert "harbor dredging contract" in staff.get(response.headers["location"]).text
    finally:
        node.stop()


def test_an_upload_whose_worker_died_after_saving_is_not_saved_twice(catalog, catalog_target, data_dir):
    from archive.jobs import WorkerContext, run
    from archive.uploads import stage_media_upload

    recording = (Path(__file__).parent / "fixtures" / "direct-media.mp4").read_bytes()
    with (data_dir / "r.mp4").open("wb") as handle:
        handle.write(recording)
    with (data_dir / "r.mp4").open("rb") as stream:
        staged = stage_media_upload(data_dir, stream, "harbor.mp4", "video/mp4", 1 << 20)
    item = queue_upload(
        catalog, data_dir, CAPTIONS, "harbor.vtt", IngestOptions(title="Harbor"), media=staged
    )
    first = catalog.queue.claim_job("dies-after-saving", 0.2)
    saved = run(catalog, data_dir, first, WorkerContext())["session_id"]  # ... and never finishes the job
    time.sleep(0.3)
    assert Worker(catalog_target, data_dir, options=WorkerOptions(until_idle=True)).run() == 1
    job = catalog.queue.job(first.id)
    assert job.state == "done" and job.attempts == 2 and job.result["session_id"] == saved
    assert catalog.queue.get(item.id).state == "done"
    assert catalog.list_sessions(include_drafts=True)[0] == 1
    assert (
        catalog.get_session(saved, include_drafts=True).media_sha256 == hashlib.sha256(recording).hexdigest()
    )


def test_a_job_given_up_on_fails_its_ingest_item_too(catalog):
    item = catalog.queue.upsert("https://example.org/v", "https://example.org/v")
    catalog.queue.mark_pending([item.id])
    job = catalog.queue.enqueue_job("ingest-url", {}, item_id=item.id, max_attempts=1)
    catalog.queue.claim_job("w", 30)
    catalog.queue.fail_job(job.id, "w", "RuntimeError: the worker's disk is full")
    failed = catalog.queue.get(item.id)
    assert failed.state == "failed" and failed.last_error == "RuntimeError: the worker's disk is full"
    other = catalog.queue.upsert("https://example.org/w", "https://example.org/w")
    lost = catalog.queue.enqueue_job("ingest-url", {}, item_id=other.id, max_attempts=1)
    catalog.queue.mark_running(other.id)
    catalog.queue.claim_job("dies", 0.05)
    time.sleep(0.1)
    assert catalog.queue.claim_job("next", 30) is None
    assert catalog.queue.job(lost.id).state == "failed"
    assert catalog.queue.get(other.id).state == "failed"
    assert catalog.queue.get(other.id).last_error.endswith("(attempt 1 of 1)")


def test_an_upload_that_cannot_be_saved_fails_its_item_at_once_and_is_not_retried(
    catalog, catalog_target, data_dir
):
    from archive.uploads import stage_media_upload

    with (data_dir / "r.mp4").open("wb") as handle:
        handle.write((Path(__file__).parent / "fixtures" / "direct-media.mp4").read_bytes())
    with (data_dir / "r.mp4").open("rb") as stream:
        staged = stage_media_upload(data_dir, stream, "harbor.mp4", "video/mp4", 1 << 20)
    item = queue_upload(
        catalog, data_dir, CAPTIONS, "harbor.vtt", IngestOptions(title="Harbor"), media=staged
    )
    staged.staged.discard()  # the staging area was swept before any worker came
    assert Worker(catalog_target, data_dir, options=WorkerOptions(until_idle=True)).run() == 1
    failed = catalog.queue.get(item.id)
    assert (
        failed.state == "failed"
        and "harbor.mp4 is no longer in the file store's staging" in failed.last_error
    )
    job = catalog.queue.jobs()[0]
    assert job.state == "done" and job.attempts == 1 and job.result == {"error": failed.last_error}
    assert catalog.list_sessions(include_drafts=True)[0] == 0


def test_transcribe_pending_leaves_a_job_a_worker_holds_alone(catalog, data_dir):
    from archive import ingest_caption_bytes, transcription

    one, two = (
        ingest_caption_bytes(
            catalog, data_dir, CAPTIONS + text, f"{n}.vtt", IngestOptions(title=n)
        ).session_id
        for n, text in (("one", b"\n"), ("two", b"\n\n"))
    )
    held = catalog.queue.queue_transcription(one, "Held by a worker")
    free = catalog.queue.queue_transcription(two, "Left by a stopped process")
    catalog.queue.enqueue_job("transcribe", {}, item_id=held.id)
    assert catalog.queue.claim_job("busy-worker", 60).item_id == held.id
    result = transcription.run_jobs(catalog, data_dir)
    assert [f.item_id for f in result.failures] == [free.id]  # tried (no media to transcribe): failed
    assert catalog.queue.get(held.id).state == "pending"  # not touched: its worker runs it


def test_a_worker_told_one_kind_takes_only_that_kind(catalog, catalog_in_env, data_dir):
    sync = catalog.queue.enqueue_job("sync", {"url": "https://example.org/c", "options": {}})
    item = queue_upload(catalog, data_dir, CAPTIONS, "harbor.vtt", IngestOptions(title="Harbor"))
    worked = run(data_dir, "worker", "--until-idle", "--kind", "upload", "--json")
    assert worked.exit_code == 0, worked.output
    assert json.loads(worked.stdout) == {"done": 1, "failed": 0}
    assert catalog.queue.get(item.id).state == "done"
    assert catalog.queue.job(sync.id).state == "queued"  # left for a worker that takes syncs
    refused = run(data_dir, "worker", "--kind", "everything")
    assert refused.exit_code == 2 and "--kind" in refused.output
