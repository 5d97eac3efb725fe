"""The page of a 3-hour session: server time in-process and over HTTP, and its weight (HTML and gzip bytes)."""

from __future__ import annotations

import gzip
from pathlib import Path

import httpx

from bench.timing import interleaved, sample, summarize


def in_process(data_dir: Path, session_id: int, reps: int = 40) -> dict:
    """``GET /sessions/{id}`` through the ASGI app in this process (no sockets): the server's own time."""
    from fastapi.testclient import TestClient

    from uscm_archive.settings import from_environment
    from web.app import create_app

    settings = from_environment(env={}, data_dir=data_dir)
    with TestClient(create_app(settings)) as client:
        path = f"/sessions/{session_id}"
        check(client.get(path), path)
        samples, cpu = interleaved(
            {"page": lambda _: check(client.get(path), path)}, [None], reps=reps, budget_s=30
        )
    return {**summarize(samples["page"]), "cpu_p50": summarize(cpu["page"])["p50"]}


def over_http(base_url: str, session_id: int, reps: int = 40) -> dict:
    """The same page from the uvicorn server on 127.0.0.1, and what it weighs."""
    path = f"/sessions/{session_id}"
    with httpx.Client(base_url=base_url, timeout=60) as client:
        body = check(client.get(path, headers={"Accept-Encoding": "identity"}), path).content
        zipped = client.get(path, headers={"Accept-Encoding": "gzip"})
        samples = sample(lambda _: check(client.get(path), path), [None], reps=reps, budget_s=30)
    return {
        **summarize(samples),
        "html_bytes": len(body),
        "gzip_bytes": len(gzip.compress(body, 6)),
        "served_encoding": zipped.headers.get("content-encoding", "identity"),
        "served_bytes": int(zipped.headers.get("content-length", 0)) or len(zipped.content),
    }


def check(response, path: str):
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}: HTTP {response.status_code}")
    return response
