"""A small load generator, run as its own process: N concurrent keep-alive HTTP/1.1 clients on 127.0.0.1.

    python -m bench.load http://127.0.0.1:PORT --clients 32 --seconds 10 --paths paths.txt

Each client cycles through the paths (a repeated mix), or with ``--once`` the clients share them so that each is
sent once (a mix no cache can help). Bounded in time (``--seconds``) and in count (``--max-requests``); it stops
by itself. Speaks just enough HTTP/1.1
(Content-Length and chunked bodies) to stay light, so that on a 2-core machine the server, not the client, is what
is measured. Prints one JSON object: requests, errors, req/s, latency percentiles in ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from urllib.parse import urlsplit

from bench.timing import summarize


async def read_response(reader: asyncio.StreamReader) -> tuple[int, int, bool]:
    """(status, body bytes, keep-alive) of one response."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {
        k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
    }
    if headers.get("transfer-encoding", "").lower() == "chunked":
        size = 0
        while True:
            length = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            await reader.readexactly(length + 2)
            size += length
            if length == 0:
                break
    else:
        size = int(headers.get("content-length", "0"))
        await reader.readexactly(size)
    return status, size, headers.get("connection", "").lower() != "close"


async def client(number: int, host: str, port: int, paths: list[str], state: dict) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    i = number * 7
    try:
        while time.perf_counter() < state["stop"] and state["sent"] < state["max"]:
            if state["once"]:  # every path once, whichever client takes it: no request is ever repeated
                if state["sent"] >= len(paths):
                    break
                path = paths[state["sent"]]
            else:
                path = paths[i % len(paths)]
                i += 1
            state["sent"] += 1
            t0 = time.perf_counter()
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: application/json\r\n\r\n".encode()
            )
            status, _, keep_alive = await read_response(reader)
            elapsed = (time.perf_counter() - t0) * 1000
            if t0 >= state["measure_from"]:
                state["latencies"].append(elapsed)
                state["errors"] += status != 200
            if not keep_alive:
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
    finally:
        writer.close()


async def run(
    url: str,
    paths: list[str],
    clients: int,
    seconds: float,
    warmup: float,
    max_requests: int,
    once: bool = False,
) -> dict:
    parts = urlsplit(url)
    now = time.perf_counter()
    state = {
        "stop": now + warmup + seconds,
        "measure_from": now + warmup,
        "sent": 0,
        "max": max_requests,
        "latencies": [],
        "errors": 0,
        "once": once,
    }
    await asyncio.gather(*(client(n, parts.hostname, parts.port, paths, state) for n in range(clients)))
    measured = min(seconds, time.perf_counter() - state["measure_from"])
    latencies = state["latencies"]
    return {
        "clients": clients,
        "mix": "distinct" if once else "repeated",
        "requests": len(latencies),
        "errors": state["errors"],
        "seconds": round(measured, 2),
        "req_per_s": round(len(latencies) / measured, 1) if measured > 0 else 0.0,
        **summarize(latencies),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("url")
    parser.add_argument("--paths", required=True, help="file with one request path per line")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--once", action="store_true", help="send each path once (stop when all are sent)")
    args = parser.parse_args(argv)
    host = urlsplit(args.url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the load generator only targets this machine (127.0.0.1)")
    with open(args.paths, encoding="utf-8") as handle:
        paths = [line.strip() for line in handle if line.strip()]
    result = asyncio.run(
        run(args.url, paths, args.clients, args.seconds, args.warmup, args.max_requests, args.once)
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
