"""Media and raw caption files on an object store (``--media-store s3://bucket/prefix``), against a real
SeaweedFS S3 gateway on 127.0.0.1 (``tests/support/s3_server.py``): ingest puts the files in the bucket with their
sha256 and nothing in the data folder's ``captions/`` or ``media/``; the session page plays the recording through
ranged reads of the object; a staff upload goes straight to the store; ``check`` names a deleted and an altered
object; ``dump --media``/``load`` round-trips the archive between two stores; bad settings are one clear error.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from support import httpserver
from support.ytdlp_fake import FakeSite, make_downloader, vtt

from tests.support import s3_server
from tests.support.staffsite import EDITOR, build_staff_site, csrf_of, signed_in
from tests.support.webarchive import write_silent_wav
from uscm_archive.cli import cli
from uscm_archive.settings import from_environment
from web.app import create_app

s3 = s3_server.s3  # the SeaweedFS of the test session
local_server = httpserver.local_server  # a fake video site on 127.0.0.1

CAPTIONS = b"""WEBVTT

00:00:01.000 --> 00:00:04.000
<v Mayor Ada Quill>The levee bond passed with a clear majority.

00:00:04.000 --> 00:00:07.000
<v Mayor Ada Quill>Construction on the riverfront starts in spring.
"""


@pytest.fixture
def store(s3):
    """A fresh bucket; the store URL with a prefix, and the environment that reaches it."""
    bucket = s3.bucket()
    return bucket, f"s3://{bucket}/archive", s3.env


def run(data_dir: Path, store_url: str, env: dict, *args: str, input: bytes | None = None):
    return CliRunner().invoke(
        cli, ["--data", str(data_dir), "--media-store", store_url, *args], env=env, input=input
    )


def settings_for(data_dir: Path, store_url: str, env: dict, **extra):
    return from_environment({**env, "USCM_ARCHIVE_MEDIA_STORE": store_url}, data_dir=str(data_dir), **extra)


def ingest_with_media(tmp_path: Path, data_dir: Path, store_url: str, env: dict) -> tuple[bytes, bytes]:
    """A caption file and a recording ingested into the store; (captions, recording bytes)."""
    captions = tmp_path / "levee-bond.en.vtt"
    captions.write_bytes(CAPTIONS)
    wav = write_silent_wav(tmp_path / "levee-bond.wav", seconds=3)
    first = run(data_dir, store_url, env, "ingest", str(captions), "--title", "Levee Bond Briefing")
    assert first.exit_code == 0, first.output
    second = run(data_dir, store_url, env, "ingest", str(tmp_path / "levee-bond.wav"), "--title", "Recording")
    assert second.exit_code == 0, second.output
    return CAPTIONS, wav


def local_files(data_dir: Path) -> list[str]:
    return sorted(
        p.relative_to(data_dir).as_posix()
        for area in ("captions", "media", ".incoming")
        for p in (data_dir / area).rglob("*")
        if p.is_file()
    )


def test_ingest_puts_captions_and_media_in_the_bucket_with_their_sha256(s3, store, tmp_path):
    bucket, url, env = store
    data_dir = tmp_path / "data"
    captions, wav = ingest_with_media(tmp_path, data_dir, url, env)
    keys = s3.keys(bucket)
    assert "archive/captions/1/en.upload.vtt" in keys and "archive/media/2/levee-bond.wav" in keys, keys
    assert not [k for k in keys if "/.incoming/" in k]  # staged objects were moved into place
    assert local_files(data_dir) == []  # nothing of the session's files on this machine's disk
    head = s3.client().head_object(Bucket=bucket, Key="archive/media/2/levee-bond.wav")
    assert head["Metadata"]["sha256"] == hashlib.sha256(wav).hexdigest()
    body = s3.client().get_object(Bucket=bucket, Key="archive/captions/1/en.upload.vtt")["Body"].read()
    assert body == captions
    checked = run(data_dir, url, env, "check", "--json")
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.stdout)["files"] == {"checked": 2, "hashed": 2}
    # the same file again updates the session, re-reading its kept caption object, and adds no object
    again = run(data_dir, url, env, "ingest", str(tmp_path / "levee-bond.en.vtt"), "--title", "Levee Bond")
    assert again.exit_code == 0, again.output
    assert s3.keys(bucket) == keys


def test_the_page_plays_the_recording_from_the_store_with_range_requests(store, tmp_path):
    _, url, env = store
    data_dir = tmp_path / "data"
    _, wav = ingest_with_media(tmp_path, data_dir, url, env)
    with TestClient(create_app(settings_for(data_dir, url, env).with_secret())) as client:
        page = client.get("/sessions/2").text
        source = re.search(r'src="(/sessions/2/media/[^"]+)"', page).group(1)
        whole = client.get(source)
        assert whole.status_code == 200 and whole.content == wav
        assert whole.headers["accept-ranges"] == "bytes" and whole.headers["content-type"] in (
            "audio/wav",
            "audio/x-wav",
        )
        part = client.get(source, headers={"Range": "bytes=100-199"})
        assert part.status_code == 206 and part.content == wav[100:200]
        assert part.headers["content-range"] == f"bytes 100-199/{len(wav)}"
        tail = client.get(source, headers={"Range": "bytes=-10"})
        assert tail.status_code == 206 and tail.content == wav[-10:]
        open_ended = client.get(source, headers={"Range": f"bytes={len(wav) - 5}-"})
        assert open_ended.status_code == 206 and open_ended.content == wav[-5:]
        assert client.get(source, headers={"Range": f"bytes={len(wav) + 10}-"}).status_code == 416
        head = client.head(source, headers={"Range": "bytes=0-9"})
        assert head.status_code == 206 and head.headers["content-length"] == "10" and head.content == b""
        assert client.get(source, headers={"If-None-Match": whole.headers["etag"]}).status_code == 304
        caption = client.get("/sessions/1/captions/en.upload.vtt", headers={"Range": "bytes=0-5"})
        assert caption.status_code == 206 and caption.content == b"WEBVTT"
        # the page's CSP is unchanged: the media comes from the site itself, the bucket stays private
        policy = client.get("/sessions/2").headers["content-security-policy"]
        assert "media-src 'self';" in policy and "127.0.0.1" not in policy


def test_a_deleted_object_is_a_404_not_a_500_and_check_names_it(s3, store, tmp_path):
    bucket, url, env = store
    data_dir = tmp_path / "data"
    ingest_with_media(tmp_path, data_dir, url, env)
    assert run(data_dir, url, env, "check").exit_code == 0
    app = create_app(settings_for(data_dir, url, env).with_secret())
    with TestClient(app) as client:
        assert client.get("/sessions/2/media/levee-bond.wav").status_code == 200
    s3.client().delete_object(Bucket=bucket, Key="archive/media/2/levee-bond.wav")
    with TestClient(app) as client:
        assert client.get("/sessions/2/media/levee-bond.wav").status_code == 404
    checked = run(data_dir, url, env, "check")
    assert checked.exit_code == 1
    assert "problem: media file media/2/levee-bond.wav of session 2: missing" in checked.stderr


def test_check_names_an_object_altered_in_the_bucket(s3, store, tmp_path):
    bucket, url, env = store
    data_dir = tmp_path / "data"
    captions, _ = ingest_with_media(tmp_path, data_dir, url, env)
    altered = captions.replace(b"levee", b"LEVEE")  # same size, other bytes
    s3.client().put_object(Bucket=bucket, Key="archive/captions/1/en.upload.vtt", Body=altered)
    quick = run(data_dir, url, env, "check", "--quick")
    assert quick.exit_code == 0, quick.output  # sizes agree
    full = run(data_dir, url, env, "check")
    assert full.exit_code == 1
    assert "caption file captions/1/en.upload.vtt of session 1: its sha256 differs" in full.stderr


def test_dump_and_load_round_trip_between_two_stores(s3, store, tmp_path):
    bucket, url, env = store
    data_dir = tmp_path / "data"
    captions, wav = ingest_with_media(tmp_path, data_dir, url, env)
    dumped = run(data_dir, url, env, "dump", str(tmp_path / "dump"), "--media")
    assert dumped.exit_code == 0, dumped.output
    assert (tmp_path / "dump" / "captions/1/en.upload.vtt").read_bytes() == captions
    assert (tmp_path / "dump" / "media/2/levee-bond.wav").read_bytes() == wav
    other = f"s3://{s3.bucket()}/copy"
    target = tmp_path / "target"
    loaded = run(target, other, env, "load", str(tmp_path / "dump"))
    assert loaded.exit_code == 0, loaded.output
    assert "and 2 files" in loaded.stdout
    assert run(target, other, env, "check").exit_code == 0
    assert local_files(target) == []
    found = run(target, other, env, "search", '"levee bond"', "--json")
    assert json.loads(found.stdout)["total"] == 1
    with TestClient(create_app(settings_for(target, other, env).with_secret())) as client:
        assert (
            client.get("/sessions/2/media/levee-bond.wav", headers={"Range": "bytes=0-3"}).content == b"RIFF"
        )
    # loading again into the filled archive only verifies the objects
    again = run(target, other, env, "load", str(tmp_path / "dump"))
    assert again.exit_code == 0 and "already holds this dump" in again.stdout, again.output


def test_a_staff_upload_goes_straight_to_the_store(s3, store, tmp_path):
    bucket, url, env = store
    data_dir = tmp_path / "data"
    site = build_staff_site(data_dir, **{k: v for k, v in settings_fields(url, env).items()})
    wav = write_silent_wav(tmp_path / "talk.wav", seconds=2)
    with TestClient(create_app(site.settings)) as client:
        editor = signed_in(client, site, EDITOR)
        form = editor.get("/staff/sessions/new").text
        response = editor.post(
            "/staff/sessions/new/upload",
            data={"csrf": csrf_of(form), "title": "Uploaded Briefing"},
            files={"captions": ("talk.vtt", CAPTIONS, "text/vtt"), "media": ("talk.wav", wav, "audio/wav")},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text[:500]
        session_id = int(re.search(r"/staff/sessions/(\d+)", response.headers["location"]).group(1))
    keys = s3.keys(bucket)
    assert (
        f"archive/media/{session_id}/talk.wav" in keys
        and f"archive/captions/{session_id}/en.upload.vtt" in keys
    )
    assert not [k for k in keys if "/.incoming/" in k] and local_files(data_dir) == []
    stored = s3.client().get_object(Bucket=bucket, Key=f"archive/media/{session_id}/talk.wav")["Body"].read()
    assert stored == wav


def settings_fields(url: str, env: dict) -> dict:
    values = settings_for(Path("unused"), url, env)
    return {
        "media_store": values.media_store,
        "s3_endpoint": values.s3_endpoint,
        "s3_access_key": values.s3_access_key,
        "s3_secret_key": values.s3_secret_key,
        "s3_region": values.s3_region,
    }


def test_bad_store_settings_are_one_clear_error_and_change_nothing(s3, store, tmp_path):
    bucket, url, env = store
    data_dir = tmp_path / "data"
    captions = tmp_path / "talk.en.vtt"
    captions.write_bytes(CAPTIONS)
    not_s3 = run(data_dir, "https://example.org/bucket", env, "ingest", str(captions))
    assert not_s3.exit_code == 1 and "is not an S3 location like s3://bucket/prefix" in not_s3.stderr
    wrong_key = {**env, "AWS_SECRET_ACCESS_KEY": "not-the-secret"}
    refused = run(data_dir, url, wrong_key, "ingest", str(captions), "--title", "Talk")
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert refused.stderr.startswith("error: ") and "archive" in refused.stderr, refused.stderr
    no_bucket = run(data_dir, "s3://no-such-bucket-here/x", env, "ingest", str(captions), "--title", "Talk")
    assert no_bucket.exit_code == 1 and "no such bucket" in no_bucket.stderr.lower(), no_bucket.stderr
    no_scheme = run(
        data_dir, url, {**env, "USCM_ARCHIVE_S3_ENDPOINT": "127.0.0.1:9000"}, "ingest", str(captions)
    )
    assert (
        no_scheme.exit_code == 1
        and "USCM_ARCHIVE_S3_ENDPOINT: '127.0.0.1:9000' is not the URL" in no_scheme.stderr
    )
    silent = run(
        data_dir, url, {**env, "USCM_ARCHIVE_S3_ENDPOINT": "http://127.0.0.1:9"}, "ingest", str(captions)
    )
    assert silent.exit_code == 1 and "cannot write en.upload.vtt: the store does not answer" in silent.stderr
    listing = run(data_dir, url, env, "sessions", "--json")
    assert json.loads(listing.stdout) == []  # nothing was saved by the refused ingests
    assert s3.keys(bucket) == []


def test_boto3_is_imported_by_one_module_only():
    root = Path(__file__).resolve().parents[1]
    importers = sorted(
        path.relative_to(root).as_posix()
        for package in ("transcripts", "catalog", "archive", "web", "uscm_archive")
        for path in (root / package).rglob("*.py")
        if re.search(r"^\s*(import|from)\s+(boto3|botocore)\b", path.read_text(encoding="utf-8"), re.M)
    )
    assert importers == ["archive/object_store.py"]


def test_backup_checks_the_store_holds_what_the_copy_refers_to(s3, store, tmp_path):
    bucket, url, env = store
    data_dir = tmp_path / "data"
    ingest_with_media(tmp_path, data_dir, url, env)
    first = run(data_dir, url, env, "backup", str(tmp_path / "one.db"), "--json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["store"] == {"url": url, "checked": 2, "problems": []}
    s3.client().delete_object(Bucket=bucket, Key="archive/media/2/levee-bond.wav")
    second = run(data_dir, url, env, "backup", str(tmp_path / "two.db"))
    assert second.exit_code == 1
    assert "media file media/2/levee-bond.wav of session 2: missing" in second.stderr
    assert (tmp_path / "two.db").is_file()  # the catalog itself is backed up all the same


def test_healthz_and_serve_report_the_store(s3, store, tmp_path):
    _, url, env = store
    data_dir = tmp_path / "data"
    ingest_with_media(tmp_path, data_dir, url, env)
    with TestClient(create_app(settings_for(data_dir, url, env).with_secret())) as client:
        assert client.get("/healthz").json() == {"status": "ok", "sessions": 2, "store": "ok"}
    gone = settings_for(data_dir, "s3://no-such-bucket-here/x", env).with_secret()
    with TestClient(create_app(gone)) as client:
        health = client.get("/healthz")
        assert health.status_code == 200 and health.json()["status"] == "degraded"
        assert client.get("/sessions/1").status_code == 200  # pages and search keep working
        assert client.get("/sessions/2/media/levee-bond.wav").status_code in (404, 503)
    refused = run(data_dir, "s3://no-such-bucket-here/x", env, "serve", "--port", "1")
    assert refused.exit_code == 1
    assert "media store s3://no-such-bucket-here/x: no such bucket" in refused.stderr, refused.stderr


def test_large_files_go_up_in_checked_parts_and_an_oversized_one_leaves_nothing(s3, store):
    import io

    from archive.object_store import PART, S3Files
    from catalog import TooLarge

    bucket, url, env = store
    files = S3Files(url, client=s3.client())
    data = bytes(range(256)) * ((PART * 2 + 12345) // 256)
    size, sha256 = files.put("media/9/big.mp4", io.BytesIO(data), mime="video/mp4")
    assert (size, sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert files.digest("media/9/big.mp4") == (size, sha256)
    assert b"".join(files.chunks("media/9/big.mp4", PART - 3, PART + 2)) == data[PART - 3 : PART + 3]
    with pytest.raises(TooLarge):
        files.put("media/9/huge.mp4", io.BytesIO(data), max_bytes=PART + 1)
    assert files.stat("media/9/huge.mp4") is None
    assert s3.keys(bucket) == ["archive/media/9/big.mp4"]
    files.move("media/9/big.mp4", "media/10/big.mp4")
    assert [f.path for f in files.list("media")] == ["media/10/big.mp4"]


def test_transcription_reads_the_recording_from_the_store(store, tmp_path):
    from archive.transcription import media_file, transcribable
    from catalog import Catalog

    _, url, env = store
    data_dir = tmp_path / "data"
    _, wav = ingest_with_media(tmp_path, data_dir, url, env)
    settings = settings_for(data_dir, url, env)
    catalog = Catalog.open(settings.catalog_path)
    try:
        session = transcribable(catalog, data_dir, 2, settings.files)
        with media_file(data_dir, session, settings.files) as path:
            assert path.read_bytes() == wav and path.is_relative_to(data_dir)
        assert not path.exists() and local_files(data_dir) == []
    finally:
        catalog.close()


def test_a_downloaded_recording_is_uploaded_to_the_store_and_its_local_copy_removed(
    s3, store, local_server, tmp_path
):
    import archive
    from archive import IngestOptions, RetryPolicy
    from catalog import Catalog

    bucket, url, env = store
    data_dir = tmp_path / "data"
    site = FakeSite(local_server)
    site.video("m", "Archived video", manual={"en": vtt("keep the video in the bucket")})
    settings = settings_for(data_dir, url, env)
    catalog = Catalog.open(settings.catalog_path)
    try:
        fast = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02)
        options = IngestOptions(downloader=make_downloader, retry=fast, media=True, files=settings.files)
        (stored,) = archive.ingest(catalog, data_dir, [site.video_url("m")], options).sessions
        session = catalog.get_session(stored.session_id)
    finally:
        catalog.close()
    assert session.media_path == f"media/{session.id}/m.mp4"
    body = s3.client().get_object(Bucket=bucket, Key=f"archive/{session.media_path}")["Body"].read()
    assert len(body) == session.media_size and hashlib.sha256(body).hexdigest() == session.media_sha256
    assert local_files(data_dir) == []


def test_load_merge_brings_files_into_the_new_ids_folders_in_the_store(s3, store, tmp_path):
    bucket, url, env = store
    first, second = tmp_path / "first", tmp_path / "second"
    ingest_with_media(tmp_path, first, url, env)
    assert run(first, url, env, "dump", str(tmp_path / "dump"), "--media").exit_code == 0
    other = f"s3://{s3.bucket()}/merged"
    captions = tmp_path / "other.en.vtt"
    captions.write_bytes(CAPTIONS.replace(b"levee", b"seawall"))
    assert run(second, other, env, "ingest", str(captions), "--title", "Seawall").exit_code == 0
    merged = run(second, other, env, "load", "--merge", str(tmp_path / "dump"))
    assert merged.exit_code == 0, merged.output
    keys = s3.keys(other.split("/")[2])
    assert keys == [
        "merged/captions/1/en.upload.vtt",
        "merged/captions/2/en.upload.vtt",
        "merged/media/3/levee-bond.wav",
    ], keys
    assert run(second, other, env, "check").exit_code == 0


def test_check_sweeps_staged_objects_a_killed_ingest_left_in_the_store(s3, store, tmp_path):
    import time

    from archive.leftovers import sweep_staged
    from archive.object_store import S3Files

    bucket, url, env = store
    data_dir = tmp_path / "data"
    ingest_with_media(tmp_path, data_dir, url, env)
    s3.client().put_object(Bucket=bucket, Key="archive/.incoming/0123abcd/talk.wav", Body=b"RIFF" * 1000)
    files = S3Files(url, client=s3.client())
    assert sweep_staged(files) == []  # a fresh one may be an upload in progress: kept
    later = time.time() + 2 * 3600
    (line,) = sweep_staged(files, now=later)
    assert line.startswith(".incoming/0123abcd/talk.wav in s3://") and "h old" in line
    assert not [k for k in s3.keys(bucket) if "/.incoming/" in k]
    assert len(s3.keys(bucket)) == 2  # the sessions' own objects are untouched


def test_an_upload_staged_by_one_node_is_placed_by_another_process(s3, store, tmp_path):
    """A web node streams the recording into the store; a worker elsewhere (its own client, its own data
    folder) saves the session and places the file from the job's payload alone."""
    import io

    from archive import IngestOptions, ingest_caption_bytes
    from archive.object_store import S3Files
    from archive.uploads import stage_media_upload, staged_media_from, staged_media_payload
    from catalog import Catalog

    bucket, url, env = store
    node, worker = S3Files(url, client=s3.client()), S3Files(url, client=s3.client())
    wav = write_silent_wav(tmp_path / "talk.wav", seconds=1)
    staged = stage_media_upload(tmp_path / "node-a", io.BytesIO(wav), "talk.wav", "audio/wav", 10**7, node)
    payload = json.loads(json.dumps(staged_media_payload(staged)))
    assert payload["path"].startswith(".incoming/") and [k for k in s3.keys(bucket) if "/.incoming/" in k]
    data_dir = tmp_path / "worker"
    catalog = Catalog.open(data_dir / "catalog.db")
    try:
        media = staged_media_from(worker, payload)
        stored = ingest_caption_bytes(
            catalog, data_dir, CAPTIONS, "talk.vtt", IngestOptions(title="Talk", files=worker), media=media
        )
        session = catalog.get_session(stored.session_id)
    finally:
        catalog.close()
    assert session.media_sha256 == hashlib.sha256(wav).hexdigest()
    assert s3.keys(bucket) == [
        f"archive/captions/{session.id}/en.upload.vtt",
        f"archive/media/{session.id}/talk.wav",
    ]
    with pytest.raises(Exception, match="no longer in"):
        staged_media_from(worker, payload)  # placed: a second run of the job cannot place it twice
    with pytest.raises(Exception, match="not a staged media file"):
        staged_media_from(worker, {**payload, "path": "media/1/talk.wav"})


def test_two_serve_processes_on_one_store_serve_the_same_recording(s3, store, tmp_path):
    """``serve --demo --workers 2`` with the store from the environment alone (USCM_ARCHIVE_MEDIA_STORE and the
    AWS variables), in a process of its own: every worker streams the recording's ranges from the bucket."""
    import os
    import socket
    import subprocess
    import sys
    import time

    import httpx

    bucket, url, env = store
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    child_env = {
        **os.environ,
        **env,
        "USCM_ARCHIVE_MEDIA_STORE": url,
        "USCM_ARCHIVE_DATA": str(tmp_path / "d"),
    }
    command = [
        sys.executable,
        "-m",
        "uscm_archive.cli",
        "serve",
        "--demo",
        "--workers",
        "2",
        "--port",
        str(port),
    ]
    server = subprocess.Popen(command, env=child_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                health = httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read().decode()
                time.sleep(0.1)
        assert health.json() == {"status": "ok", "sessions": 3, "store": "ok"}
        media_keys = [k for k in s3.keys(bucket) if "/media/" in k]
        assert len(media_keys) == 3 and not (tmp_path / "d" / "media").exists()
        key = media_keys[0]
        session_id, name = key.split("/")[-2:]
        whole = s3.client().get_object(Bucket=bucket, Key=key)["Body"].read()
        with httpx.Client(base_url=base, timeout=10) as client:  # new connections: both workers answer
            for offset in range(0, 12):
                start = offset * 1000
                answer = client.get(
                    f"/sessions/{session_id}/media/{name}",
                    headers={"Range": f"bytes={start}-{start + 999}", "Connection": "close"},
                )
                assert answer.status_code == 206 and answer.content == whole[start : start + 1000]
    finally:
        server.terminate()
        server.wait(timeout=15)
