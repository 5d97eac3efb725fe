"""Load across issue 17's topology: two ``serve`` nodes reading one PostgreSQL catalog, one node through a
streaming standby, media on SeaweedFS, two workers idle on the queue; all on this machine (127.0.0.1).

    python -m bench.topology [--segments 20000] [--clients 64] [--seconds 20] [--out bench/results/topology-load]

Starts a PostgreSQL primary and a ``pg_basebackup -R`` standby (``tests/support/pg_standby.py``) and SeaweedFS
(``tests/support/s3_server.py``), fills the catalog through ``Catalog.save_session`` with the bench's synthetic
sessions (``bench/synth.py``), starts node A (``--catalog`` the primary) and node B (the same, with
``--catalog-replica`` the standby) with ``--no-worker``, and two ``uscm-archive worker`` processes. Then the load
generator, in a process of its own, runs ``--clients`` keep-alive clients split evenly over A and B for
``--seconds`` (after a 2 s warm-up) over a mix of search API requests (distinct words and phrases), session pages,
the home page and the session list, and reports req/s, latency percentiles and errors (any status but 200), with
its own CPU time, to ``<out>.json`` and ``<out>.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parents[1]


def fill(url: str, segments: int, seed: int = 1) -> dict:
    """The synthetic archive into the catalog at ``url``; returns counts and the words to search for."""
    from bench.generate import to_models
    from bench.synth import Vocabulary, archive_plan
    from catalog import Catalog, TrackInput

    vocabulary = Vocabulary()
    catalog = Catalog.open(url)
    started = time.perf_counter()
    sessions = total = 0
    phrases: list[str] = []
    try:
        for plan in archive_plan(segments, seed, vocabulary):
            transcript, meta = to_models(plan)
            catalog.save_session(plan.key, meta, [TrackInput(transcript=transcript, source="manual")])
            sessions += 1
            total += len(plan.segments)
            words = plan.segments[len(plan.segments) // 2].text.split()
            if len(words) >= 3:
                phrases.append(" ".join(words[:3]))
    finally:
        catalog.close()
    words = [w for w in vocabulary.by_rank(200, 4000) if w.isalpha()]
    return {
        "sessions": sessions,
        "segments": total,
        "seconds": round(time.perf_counter() - started, 1),
        "words": words,
        "phrases": phrases,
    }


def request_paths(filled: dict, count: int, seed: int = 5) -> list[str]:
    """A mix: 70% searches (a distinct word or quoted phrase each), 20% session pages, 10% home and lists."""
    rng = random.Random(seed)
    words = rng.sample(filled["words"], min(len(filled["words"]), count))
    phrases = filled["phrases"]
    paths = []
    for i in range(count):
        roll = rng.random()
        if roll < 0.55:
            paths.append(f"/api/search?q={quote(words[i % len(words)])}")
        elif roll < 0.70 and phrases:
            paths.append(f"/api/search?q={quote(chr(34) + rng.choice(phrases) + chr(34))}")
        elif roll < 0.90:
            paths.append(f"/sessions/{rng.randint(1, filled['sessions'])}")
        else:
            paths.append(rng.choice(["/", "/api/sessions", "/sessions"]))
    return paths


# -- the load generator (its own process) ----------------------------------------------------------------------
async def _load(
    urls: list[str], paths: list[str], clients: int, seconds: float, warmup: float, offset: int = 0
) -> dict:
    from bench.load import read_response
    from bench.timing import summarize

    now = time.perf_counter()
    state = {
        "stop": now + warmup + seconds,
        "from": now + warmup,
        "latencies": [],
        "errors": 0,
        "statuses": {},
    }
    per_node = {url: [] for url in urls}

    async def client(number: int) -> None:
        url = urls[number % len(urls)]
        parts = urlsplit(url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        i = offset + number * 31
        try:
            while time.perf_counter() < state["stop"]:
                path = paths[i % len(paths)]
                i += 1
                t0 = time.perf_counter()
                writer.write(
                    f"GET {path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\n"
                    "Accept: application/json, text/html\r\n\r\n".encode()
                )
                status, _, keep_alive = await read_response(reader)
                elapsed = (time.perf_counter() - t0) * 1000
                if t0 >= state["from"]:
                    state["latencies"].append(elapsed)
                    per_node[url].append(elapsed)
                    state["errors"] += status != 200
                    state["statuses"][status] = state["statuses"].get(status, 0) + 1
                if not keep_alive:
                    writer.close()
                    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        finally:
            writer.close()

    await asyncio.gather(*(client(n) for n in range(clients)))
    measured = min(seconds, time.perf_counter() - state["from"])
    return {
        "clients": clients,
        "requests": len(state["latencies"]),
        "errors": state["errors"],
        "statuses": {str(k): v for k, v in sorted(state["statuses"].items())},
        "seconds": round(measured, 2),
        "req_per_s": round(len(state["latencies"]) / measured, 1),
        **summarize(state["latencies"]),
        "per_node": {
            url: {"requests": len(v), "req_per_s": round(len(v) / measured, 1), **summarize(v)}
            for url, v in per_node.items()
        },
    }


def load_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--urls", nargs="+", required=True)
    parser.add_argument("--paths", required=True)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--offset", type=int, default=0, help="start this far into the paths (a fresh slice)")
    args = parser.parse_args(argv)
    for url in args.urls:
        if urlsplit(url).hostname != "127.0.0.1":
            parser.error("the load generator only targets this machine (127.0.0.1)")
    paths = Path(args.paths).read_text().split()
    result = asyncio.run(_load(args.urls, paths, args.clients, args.seconds, args.warmup, args.offset))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["load_generator_cpu_s"] = round(usage.ru_utime + usage.ru_stime, 2)
    print(json.dumps(result))


# -- the topology --------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--segments", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "topology-load")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT / "tests"))
    from bench.machine import describe
    from catalog import close_pools
    from tests.support.cluster import CatalogTarget, Node, WorkerProcess
    from tests.support.pg_standby import StandbyPair
    from tests.support.s3_server import start_s3_server

    work = Path(tempfile.mkdtemp(prefix="uscm-topology-"))
    pair = StandbyPair.start()
    store = start_s3_server(work / "seaweedfs")
    processes = []
    try:
        url = pair.fresh_database()
        print(f"filling {args.segments:,} segments into the primary ...", flush=True)
        filled = fill(url, args.segments)
        close_pools()
        pair.run_on(url, "VACUUM ANALYZE")  # not autovacuum's work after the bulk load during the measurement
        pair.wait_replayed(120)
        bucket = store.bucket()
        env = {"USCM_ARCHIVE_CATALOG": url, "USCM_ARCHIVE_MEDIA_STORE": f"s3://{bucket}/archive", **store.env}
        data = work / "data"
        data.mkdir()
        primary = CatalogTarget("postgresql+s3", data, env)
        reading = CatalogTarget(
            "postgresql+standby+s3", data, {**env, "USCM_ARCHIVE_CATALOG_REPLICAS": pair.standby_url(url)}
        )
        logs = work / "logs"
        logs.mkdir()
        a, b = Node(primary, "node-a", logs), Node(reading, "node-b", logs)
        processes += [
            a,
            b,
            WorkerProcess(primary, "worker-1", logs),
            WorkerProcess(primary, "worker-2", logs),
        ]
        a.wait_ready(120)
        b.wait_ready(120)
        paths_file = work / "paths.txt"
        paths_file.write_text("\n".join(request_paths(filled, 20_000)))
        env_run = {**os.environ, "PYTHONPATH": str(ROOT)}

        slices = iter(range(0, 20_000, 5_000))  # each run its own slice of the paths: no answer cached before

        def load(*urls: str) -> dict:
            print(
                f"load: {args.clients} clients over {' and '.join(urls)} for {args.seconds:g} s ...",
                flush=True,
            )
            command = [sys.executable, "-m", "bench.topology", "--load", "--urls", *urls, "--paths"]
            command += [str(paths_file), "--clients", str(args.clients), "--seconds", str(args.seconds)]
            command += ["--offset", str(next(slices))]
            done = subprocess.run(
                command, capture_output=True, text=True, env=env_run, timeout=args.seconds + 300
            )
            if done.returncode != 0:
                raise SystemExit(f"error: the load generator failed: {done.stderr[-2000:]}")
            return json.loads(done.stdout)

        # interleaved: both nodes, then the contender (node A alone takes every client), then both nodes again
        first = load(a.url, b.url)
        contender = load(a.url)
        result = load(a.url, b.url)
        import httpx

        health = {
            name: httpx.get(f"{node.url}/healthz", timeout=30).json() for name, node in (("a", a), ("b", b))
        }
        b_reads_standby = "replicas" in health["b"] and health["b"]["replicas"][0]["in_use"]
    finally:
        for process in processes:
            process.stop()
        close_pools()
        store.stop()
        pair.stop()
    report = {
        "machine": describe(postgresql="15", seaweedfs="weed mini"),
        "archive": {k: filled[k] for k in ("sessions", "segments", "seconds")},
        "topology": "PG primary + streaming standby, SeaweedFS, node A (primary), node B (standby), 2 workers",
        "node_b_read_the_standby": b_reads_standby,
        "health_after": health,
        "load": result,
        "load_first_run": first,
        "one_node_on_the_primary": contender,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(markdown(report, args))
    print(json.dumps(result, indent=2))


def markdown(report: dict, args) -> str:
    load = report["load"]
    machine = report["machine"]
    first = report["load_first_run"]
    rows = [
        f"| both nodes, first run | {first['requests']:,} | {first['req_per_s']} | {first['p50']} | "
        f"{first['p99']} |",
        f"| both nodes, last run | {load['requests']:,} | {load['req_per_s']} | {load['p50']} | {load['p99']} |",
    ]
    for label, node in zip(("node A (primary)", "node B (standby)"), load["per_node"].values(), strict=True):
        rows.append(
            f"| last run: {label} | {node['requests']:,} | {node['req_per_s']} | {node['p50']} | {node['p99']} |"
        )
    one = report["one_node_on_the_primary"]
    rows.append(
        f"| contender: node A alone, all {one['clients']} clients | {one['requests']:,} | {one['req_per_s']} | "
        f"{one['p50']} | {one['p99']} |"
    )
    both = (first["req_per_s"] + load["req_per_s"]) / 2
    ratio = round(both / one["req_per_s"], 2) if one["req_per_s"] else None
    return "\n".join(
        [
            "# Load across the scale-out topology (issue 17)",
            "",
            f"`python -m bench.topology --segments {args.segments} --clients {args.clients} "
            f"--seconds {args.seconds:g}`: {report['topology']}, all on one machine "
            f"({machine['cpu']}, {machine['cores']} cores shared by every process and by other work on the machine: "
            f"load average {machine['load_average']} when it started).",
            "",
            f"Archive: {report['archive']['sessions']} sessions, {report['archive']['segments']:,} segments "
            f"(filled in {report['archive']['seconds']} s). Mix: 70% search API (distinct words and phrases), 20% "
            "session pages, 10% home and lists; keep-alive clients split evenly over the two nodes; 2 s warm-up "
            "not counted.",
            "",
            "| target | requests | req/s | p50 ms | p99 ms |",
            "|---|---|---|---|---|",
            *rows,
            "",
            f"Errors (any status but 200): {first['errors']} and {load['errors']} in the two runs; statuses of the "
            f"last: {load['statuses']}. Node B read the standby "
            f"throughout: {report['node_b_read_the_standby']}. The load generator's own CPU: "
            f"{load['load_generator_cpu_s']} s over {load['seconds']} s.",
            "",
            f"Two nodes (B on the standby; the mean of the two runs) against one node on the primary, interleaved in "
            f"one run on one machine, each run on its own slice of the request paths: {ratio}× the "
            f"requests per second; the contender's errors: {one['errors']}. Every process (two PostgreSQL servers, "
            "SeaweedFS, four archive processes, the load generator) shares the machine's cores, so this measures "
            "that the topology serves without errors and how it divides one machine, not what separate machines "
            "would give.",
            "",
        ]
    )


if __name__ == "__main__":
    if "--load" in sys.argv[1:]:
        load_main([a for a in sys.argv[1:] if a != "--load"])
    else:
        main()
