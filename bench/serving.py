"""``/api/search`` with never-repeated requests: where a request's CPU goes, and what 2 workers serve.

    python -m bench.serving --segments 1000000 [--split 400] [--clients 32] [--seconds 20] [--generator wrk]

Two parts, on the same requests (``bench.queries.distinct_requests``: the run's classes in its proportions, each
request once, so that the per-process search cache never answers):

- **split** (in-process, CPU time of this process): for each request, ``Catalog.search`` alone; the chat search
  that ``kind=all`` (the default) adds; turning the results into the published JSON bytes; and the whole request
  through the ASGI app (every middleware, routing, parameter validation, the threadpool hop) with the same
  query. The web share is the whole minus the two searches.
- **load**: ``uscm-archive serve --workers 2`` (one per core) on 127.0.0.1 and a load generator in its own process
  (``wrk`` with a script that sends each path once, when Debian's ``wrk`` is installed, else ``bench.load``):
  requests per second, latency percentiles, the server's CPU per request (every worker's user + system time from
  ``/proc``), the load generator's own CPU (its user + system time), and each worker's memory (RSS and PSS,
  ``/proc/<pid>/smaps_rollup``) at the end.

Writes ``bench/results/serving-<scale>.md`` and ``.json`` (``--label`` adds a suffix, e.g. ``-before``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from bench import generate, queries, servers
from bench.machine import code_version, describe
from bench.synth import Vocabulary
from bench.timing import summarize

RESULTS = Path(__file__).resolve().parent / "results"
TICKS = os.sysconf("SC_CLK_TCK")
WRK_SCRIPT = """
-- each path once, shared by every connection of every thread: wrk's threads each run this script, so the
-- paths are dealt out by thread (thread n takes every n-th path) and a thread stops once its share is sent
local paths, i, step = {}, 0, 1
function setup(thread)
  thread:set("offset", (counter or 0)) ; counter = (counter or 0) + 1
end
function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  step = tonumber(args[2]) ; i = offset
end
function request()
  i = i + step
  local path = paths[((i - 1) % #paths) + 1]
  return wrk.format("GET", path, {["Accept"] = "application/json"})
end
done = function(summary, latency, requests)
  io.write(string.format('{"requests": %d, "errors": %d, "status_errors": %d, "timeouts": %d, '
    .. '"seconds": %.3f, "p50": %.3f, "p90": %.3f, "p99": %.3f, "max": %.3f}\\n', summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout, summary.errors.status, summary.errors.timeout, summary.duration / 1e6,
    latency:percentile(50) / 1000,
    latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
"""


def request_path(q: queries.Query, offset: int = 0) -> str:
    params = {"q": q.user, "limit": 20, **({"offset": offset} if offset else {})}
    params.update({"speaker": q.speaker} if q.speaker else {})
    return "/api/search?" + urlencode(params)


def distinct(db: Path, per_class: int) -> list[tuple[queries.Query, int]]:
    return queries.distinct_requests(db, Vocabulary(), per_class, set())


# -- split ---------------------------------------------------------------------------------------------------


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's when installed, as uvicorn serves with it (the thread hand-over costs less there than in asyncio's
    loop, which wakes itself through a pipe)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class Asgi:
    """Calls the app as a server would (one GET, headers as the load generator sends them).

    As under uvicorn, the event loop runs one long-lived main task (here in a thread of its own) and each request
    is a task of that loop: AnyIO keeps its worker threads, and so each thread's catalog connection, for as long
    as the main task runs. (Driving each request with its own ``run_until_complete`` made every request the root
    task: AnyIO stopped its worker thread when it ended, so each request started a thread and opened a catalog.)
    """

    def __init__(self, app):
        self.app = app
        self.loop = new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="asgi-loop", daemon=True)
        self._thread.start()
        self._ready.wait()

    def _run(self) -> None:
        self.loop.run_until_complete(self._main())
        self.loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        queue: asyncio.Queue = asyncio.Queue()
        await queue.put({"type": "lifespan.startup"})
        started, stopped = asyncio.Event(), asyncio.Event()

        async def receive():
            return await queue.get()

        async def send(message):
            if message["type"].startswith("lifespan.startup"):
                started.set()
            elif message["type"].startswith("lifespan.shutdown"):
                stopped.set()

        lifespan = asyncio.ensure_future(self.app({"type": "lifespan"}, receive, send))
        await started.wait()
        self._ready.set()
        await self._stop.wait()
        await queue.put({"type": "lifespan.shutdown"})
        await lifespan

    def get(self, path: str) -> bytes:
        status, body = asyncio.run_coroutine_threadsafe(self._get(path), self.loop).result()
        if status != 200:
            raise RuntimeError(f"GET {path}: HTTP {status} {body[:200]!r}")
        return body

    async def _get(self, path: str) -> tuple[int, bytes]:
        route, _, query = path.partition("?")
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": route,
            "raw_path": route.encode(),
            "root_path": "",
            "query_string": query.encode(),
            "headers": [(b"host", b"127.0.0.1"), (b"accept", b"application/json")],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }
        status, body = 0, []

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                body.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(body)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join()


def timed_cpu(call, *args):
    """(``call(*args)``, CPU ms it took)."""
    t0 = time.process_time()
    value = call(*args)
    return value, (time.process_time() - t0) * 1000


def render(speech, chat, query: str) -> bytes:
    """The published JSON bytes of a search, as ``/api/search`` makes them."""
    from starlette.responses import JSONResponse

    from web.published import published, search_dict

    return JSONResponse(search_dict(published(speech), chat, query)).body


def split(data: Path, requests: list[tuple[queries.Query, int]], count: int) -> dict:
    """CPU ms per request of each part (p50, p99, mean), the same requests for every part."""
    from catalog import Catalog, SearchRequest
    from uscm_archive.settings import from_environment
    from web.app import create_app

    settings = from_environment(env={}, data_dir=data)
    catalog = Catalog.open(data / "catalog.db")
    app = Asgi(create_app(settings))
    parts: dict[str, list[float]] = {"search": [], "chat search": [], "JSON": [], "whole request": []}
    chosen = requests[:count]
    labels: list[str] = []
    try:
        for q, offset in chosen[:10]:  # warm-up: the catalog's per-process caches (typo vocabulary, names)
            app.get(request_path(q, offset))
            catalog.search(SearchRequest(query=q.user, limit=20, offset=offset, speaker=q.speaker))
        for q, offset in chosen:
            wanted = SearchRequest(query=q.user, limit=20, offset=offset, speaker=q.speaker)
            speech, ms = timed_cpu(catalog.search, wanted)
            parts["search"].append(ms)
            chat, ms = timed_cpu(catalog.search_chat, SearchRequest(query=q.user, limit=3, speaker=q.speaker))
            parts["chat search"].append(ms)
            parts["JSON"].append(timed_cpu(render, speech, chat, q.user)[1])
            parts["whole request"].append(timed_cpu(app.get, request_path(q, offset))[1])
            labels.append(q.cls if not offset else f"{q.cls}, offset {'20' if offset == 20 else '40+'}")
    finally:
        app.close()
        catalog.close()
    out = {}
    for name, samples in parts.items():
        s = summarize(samples)
        out[name] = {"p50": s["p50"], "p99": s["p99"], "mean": round(sum(samples) / len(samples), 3)}
    whole, searches = out["whole request"]["mean"], out["search"]["mean"] + out["chat search"]["mean"]
    out["web share"] = {"mean": round(whole - searches, 3), "of whole": round((whole - searches) / whole, 3)}
    out["requests"] = len(chosen)
    out["mix"] = mix(labels, parts["search"], parts["whole request"])
    return out


def mix(labels: list[str], search: list[float], whole: list[float]) -> dict:
    """Which requests of the mix make its mean and its tail: per class (first page, or a later one), how many,
    the search's CPU p50/p99/mean, its share of all the search CPU, the web part's mean (whole − search, which
    includes the chat search), and how many of the slowest 1% of whole requests it holds."""
    total = sum(search) or 1.0
    slow_at = sorted(whole)[int(len(whole) * 0.99)] if whole else 0.0
    rows = {}
    for label in sorted(set(labels)):
        picked = [i for i, name in enumerate(labels) if name == label]
        times = [search[i] for i in picked]
        s = summarize(times)
        rows[label] = {
            "n": len(picked),
            "p50": s["p50"],
            "p99": s["p99"],
            "mean": round(sum(times) / len(times), 3),
            "share of search CPU": round(sum(times) / total, 3),
            "web mean": round(sum(whole[i] - search[i] for i in picked) / len(picked), 3),
            "in slowest 1%": sum(1 for i in picked if whole[i] >= slow_at),
        }
    return dict(sorted(rows.items(), key=lambda kv: -kv[1]["share of search CPU"]))


# -- load ----------------------------------------------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (the serve supervisor and its worker processes)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        children = Path(f"/proc/{current}/task/{current}/children")
        if children.exists():
            todo += [int(c) for c in children.read_text().split()]
    return found


def helper_process(pid: int) -> bool:
    """multiprocessing's resource tracker, which the supervisor starts beside its workers."""
    return b"resource_tracker" in Path(f"/proc/{pid}/cmdline").read_bytes()


def cpu_seconds(pid: int) -> float:
    user, system = cpu_split(pid)
    return user + system


def cpu_split(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of the process, every thread included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / TICKS, int(fields[12]) / TICKS  # utime, stime


def context_switches(pid: int) -> int:
    """Voluntary and involuntary context switches of every thread of the process so far."""
    total = 0
    for status in Path(f"/proc/{pid}/task").glob("*/status"):
        try:
            text = status.read_text()
        except (FileNotFoundError, ProcessLookupError):  # a thread that ended meanwhile
            continue
        total += sum(
            int(line.split()[1])
            for line in text.splitlines()
            if line.endswith(tuple("0123456789")) and "ctxt_switches" in line
        )
    return total


def memory_kib(pid: int) -> dict:
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    values = {line.split(":")[0]: int(line.split()[1]) for line in rollup[1:] if line.endswith("kB")}
    return {
        "rss_mib": round(values.get("Rss", 0) / 1024, 1),
        "pss_mib": round(values.get("Pss", 0) / 1024, 1),
    }


def generator_command(kind: str, url: str, paths_file: Path, clients: int, seconds: float, work: Path):
    if kind == "wrk":
        script = work / "distinct.lua"
        script.write_text(WRK_SCRIPT)
        threads = 2
        return [
            shutil.which("wrk"),
            "-t",
            str(threads),
            "-c",
            str(clients),
            "-d",
            f"{seconds:.0f}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
            "--",
            str(paths_file),
            str(threads),
        ]
    return [
        sys.executable,
        "-m",
        "bench.load",
        url,
        "--clients",
        str(clients),
        "--seconds",
        str(seconds),
        "--warmup",
        "0",
        "--once",
        "--paths",
        str(paths_file),
    ]


def load(data: Path, paths: list[str], clients: int, seconds: float, kind: str, warm: list[str]) -> dict:
    work = data.parent / "run"
    work.mkdir(exist_ok=True)
    paths_file = work / "serving-paths.txt"
    paths_file.write_text("\n".join(paths) + "\n")
    with servers.app_server(data, work / "serving-app.log", workers=2) as app:
        import httpx

        for path in warm:  # each worker's first searches: a new connection each, so both workers get some
            httpx.get(app.url + path, timeout=120)
        pids = [p for p in process_tree(app.pid) if p != app.pid and not helper_process(p)]
        before = {p: cpu_split(p) for p in pids}
        switches_before = sum(context_switches(p) for p in pids)
        usage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        done = subprocess.run(
            generator_command(kind, app.url, paths_file, clients, seconds, work),
            capture_output=True,
            text=True,
            timeout=seconds + 120,
        )
        wall = time.perf_counter() - t0
        usage1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        alive = [p for p in pids if Path(f"/proc/{p}").exists()]
        server_user = sum(cpu_split(p)[0] - before[p][0] for p in alive)
        server_system = sum(cpu_split(p)[1] - before[p][1] for p in alive)
        server_cpu = server_user + server_system
        switches = sum(context_switches(p) for p in alive) - switches_before
        memory = {str(p): memory_kib(p) for p in pids}
    if done.returncode != 0:
        raise RuntimeError(f"{kind} failed: {done.stderr.strip()[-400:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    generator_cpu = (usage1.ru_utime + usage1.ru_stime) - (usage0.ru_utime + usage0.ru_stime)
    requests = result["requests"]
    seconds_measured = result.get("seconds") or wall
    return {
        "generator": kind,
        "clients": clients,
        "requests": requests,
        "errors": result.get("errors", 0),
        "status_errors": result.get("status_errors"),
        "timeouts": result.get("timeouts"),
        "req_per_s": round(requests / seconds_measured, 1),
        "p50": result["p50"],
        "p99": result["p99"],
        "max": result.get("max"),
        "server_cpu_ms_per_request": round(1000 * server_cpu / max(1, requests), 2),
        "server_system_ms_per_request": round(1000 * server_system / max(1, requests), 2),
        "context_switches_per_request": round(switches / max(1, requests), 1),
        "generator_cpu_ms_per_request": round(1000 * generator_cpu / max(1, requests), 3),
        "generator_cpu_share_of_2_cores": round(generator_cpu / (2 * wall), 3),
        "server_cpu_share_of_2_cores": round(server_cpu / (2 * wall), 3),
        "workers": memory,
    }


def markdown(results: dict) -> str:
    m = results["machine"]
    lines = [
        f"# /api/search, never-repeated requests: {results['scale']} ({results.get('label') or 'this code'})",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB RAM, {m['os']}; Python {m['python']}, "
        f"SQLite {m['sqlite']}. Code {m.get('code', '?')}, measured {m['when']}; load average at the start "
        f"{m.get('load_at_start', '?')}, at the end {m.get('load_average', '?')} (other work shows here).",
        "",
    ]
    s = results.get("split")
    if s:
        lines += [
            f"## Where one request's CPU goes (in-process, {s['requests']} distinct requests, ms)",
            "",
            "| part | p50 | p99 | mean |",
            "|---|---|---|---|",
        ]
        for name in ("search", "chat search", "JSON", "whole request"):
            lines.append(f"| {name} | {s[name]['p50']:.2f} | {s[name]['p99']:.2f} | {s[name]['mean']:.2f} |")
        w = s["web share"]
        lines += [
            "",
            f"Web share (whole − the two searches): {w['mean']:.2f} ms, {100 * w['of whole']:.0f}%.",
            "",
        ]
        if s.get("mix"):
            lines += [
                "What makes the mean and the tail (`Catalog.search` CPU ms per class; later pages apart; web: "
                "whole request − search, chat search included):",
                "",
                "| requests | n | p50 | p99 | mean | share of search CPU | web mean | in slowest 1% |",
                "|---|---|---|---|---|---|---|---|",
            ]
            for name, r in s["mix"].items():
                lines.append(
                    f"| {name} | {r['n']} | {r['p50']:.2f} | {r['p99']:.2f} | {r['mean']:.2f} | "
                    f"{100 * r['share of search CPU']:.0f}% | {r['web mean']:.2f} | {r['in slowest 1%']} |"
                )
            lines.append("")
    for run in results.get("load", []):
        lines += [
            f"## {run['clients']} clients, `serve --workers 2`, load from {run['generator']} (its own process)",
            "",
            "| req/s | p50 ms | p99 ms | max ms | requests | errors | server CPU ms/req | generator CPU ms/req |",
            "|---|---|---|---|---|---|---|---|",
            f"| {run['req_per_s']:,.1f} | {run['p50']:.1f} | {run['p99']:.1f} | {run['max']:.0f} | "
            f"{run['requests']:,} | {run['errors']} | {run['server_cpu_ms_per_request']:.2f} | "
            f"{run['generator_cpu_ms_per_request']:.3f} |",
            "",
            f"CPU used of the 2 cores: server {100 * run['server_cpu_share_of_2_cores']:.0f}%, load generator "
            f"{100 * run['generator_cpu_share_of_2_cores']:.1f}%. Of the server's CPU, system time "
            f"{run.get('server_system_ms_per_request', float('nan')):.2f} ms a request; context switches "
            f"{run.get('context_switches_per_request', float('nan')):.1f} a request. Memory per worker at the end: "
            + ", ".join(f"RSS {v['rss_mib']} MiB (PSS {v['pss_mib']})" for v in run["workers"].values())
            + ".",
            "",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--segments", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--split", type=int, default=400, help="requests in the in-process split (0: skip)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--generator", choices=("wrk", "bench.load"), default=None)
    parser.add_argument("--no-load", action="store_true")
    parser.add_argument("--label", default="")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    out, _ = generate.ensure(args.segments, args.seed)
    data = out / "data"
    requests = distinct(data / "catalog.db", 2000)
    results: dict = {"scale": generate.scale_name(args.segments), "label": args.label}
    if args.split:
        print("split (in-process CPU ms):", flush=True)
        results["split"] = split(data, requests[-args.split :], args.split)
        print(json.dumps(results["split"], indent=1), flush=True)
    if not args.no_load:
        kind = args.generator or ("wrk" if shutil.which("wrk") else "bench.load")
        paths = [request_path(q, o) for q, o in requests]
        warm = paths[-40:]  # sent before the measured part, never again in it
        results["load"] = [load(data, paths[:-40], args.clients, args.seconds, kind, warm)]
        print(json.dumps(results["load"], indent=1), flush=True)
    results["machine"] = describe(load_at_start=load_at_start, code=code_version())
    args.results.mkdir(parents=True, exist_ok=True)
    name = f"serving-{results['scale']}{'-' + args.label if args.label else ''}"
    (args.results / f"{name}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    (args.results / f"{name}.md").write_text(markdown(results), encoding="utf-8")
    print(f"wrote {args.results / name}.md")


if __name__ == "__main__":
    main()
