"""Run the whole benchmark on one archive: ``python -m bench.run --segments 100000`` (or ``1000000``).

Generates the archive if absent (``bench/work/<scale>/``, git-ignored), then measures side by side on that same
data: search (catalog, /api/search, raw FTS5 SQL, Datasette, ripgrep), ingest, the session page, related moments and
term trends (bench/tools.py), and /api/search
under 16/32/64 concurrent clients (the run's queries over and over, then at 32 clients requests never repeated,
which no cache can help). The site runs as production should: ``uscm-archive serve --workers <cores>``. Writes ``bench/results/<scale>.md`` and ``.json`` and prints the ratios.
A part that fails is recorded in the results (and the run goes on), so a partial run still says what it saw.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import traceback
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlencode

from bench import generate, ingest, page, queries, report, scaling, search, servers, tools
from bench.exact import ExactBM25
from bench.machine import code_version, describe
from bench.synth import Vocabulary
from bench.timing import interleaved, summarize

IN_PROCESS = {"catalog", "raw SQL", "tantivy"}  # their CPU time is theirs alone; the others run elsewhere
RESULTS = Path(__file__).resolve().parent / "results"


def measure_search(
    contenders: list, classes: dict, reps: int, budget: float, note, exact=None
) -> tuple[dict, dict]:
    """{class: {contender: summary}} (contenders take turns on each query) and each in-process contender's
    top-20 agreement with the exact BM25 ranking (``bench/exact.py``) per class: {class: {contender: share}}."""
    table: dict = {}
    agreement: dict = {}
    by_name = {c.name: c for c in contenders}
    for cls, items in classes.items():
        print(f"  search {cls:<15}", end="", flush=True)

        def failed(name: str, exc: Exception, cls: str = cls) -> None:
            note(f"search {cls} via {name}: {type(exc).__name__}: {exc}")

        samples, cpu = interleaved(by_name, items, reps=reps, budget_s=budget, on_error=failed)
        table[cls] = {name: summarize(s) for name, s in samples.items() if s}
        if not table[cls]:
            del table[cls]
            continue
        for name in IN_PROCESS & table[cls].keys():
            cpu_summary = summarize(cpu[name])
            table[cls][name].update(cpu_p50=cpu_summary["p50"], cpu_p99=cpu_summary["p99"])
        print("".join(f"  {n} {v['p50']:.2f}" for n, v in table[cls].items()) + "  (p50 ms)", flush=True)
        if exact is not None:
            agreement[cls] = {}
            for name in sorted(IN_PROCESS & by_name.keys()):
                shares = [exact.agreement(q, by_name[name](q)) for q in items[:20]]
                agreement[cls][name] = round(sum(shares) / len(shares), 3)
    return table, agreement


def tantivy_contender(db: Path, folder: Path):
    """Tantivy on the same segments (its index built once under the archive's folder); the ``bench`` extra
    brings it."""
    from bench.tantivy_search import TantivySearch

    return TantivySearch(db, folder)


def api_paths(classes: dict) -> list[str]:
    return [request_path(q) for items in classes.values() for q in items]


def request_path(q: queries.Query, offset: int = 0) -> str:
    params = {"q": q.user, "limit": 20, **({"offset": offset} if offset else {})}
    params.update({"speaker": q.speaker} if q.speaker else {})
    return "/api/search?" + urlencode(params)


def measure_load(
    base_url: str, paths: list[str], work: Path, clients: list[int], seconds: float, once: bool = False
) -> list[dict]:
    paths_file = work / ("load-paths-distinct.txt" if once else "load-paths.txt")
    paths_file.write_text("\n".join(paths) + "\n")
    runs = []
    for count in clients:
        command = [sys.executable, "-m", "bench.load", base_url, "--clients", str(count)]
        command += ["--seconds", str(seconds), "--paths", str(paths_file), *(["--once"] if once else [])]
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
        if done.returncode != 0:
            raise RuntimeError(f"load generator failed: {done.stderr.strip()[-300:]}")
        runs.append(json.loads(done.stdout))
        r = runs[-1]
        mix = f"{r['mix']} ({r['requests']:,} requests)"
        print(
            f"  load {count:>3} clients, {mix}: {r['req_per_s']:>7.1f} req/s, p99 {r['p99']:.1f} ms",
            flush=True,
        )
    return runs


class Run:
    """One benchmark run: the results dict, filled part by part; a failing part is noted, not fatal."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.out, self.manifest = generate.ensure(args.segments, args.seed)
        self.data = self.out / "data"
        self.db = self.data / "catalog.db"
        self.work = self.out / "run"
        self.work.mkdir(exist_ok=True)
        self.vocabulary = Vocabulary()
        self.classes = queries.build(self.db, self.vocabulary, per_class=args.queries)
        self.results: dict = {
            "scale": generate.scale_name(args.segments),
            "archive": {k: v for k, v in self.manifest.items() if k != "speakers"},
            "index": generate.index_bytes(self.db),
            "queries": {
                cls: [q.user + (f" [speaker: {q.speaker}]" if q.speaker else "") for q in items[:5]]
                for cls, items in self.classes.items()
            },
            "errors": [],
            "load_at_start": [round(x, 2) for x in os.getloadavg()],
            "code": code_version(),
            "server": f"uscm-archive serve --workers {servers.app_workers()}",
        }

    def part(self, name: str, call):
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - record and go on: the rest of the run still measures
            traceback.print_exc(limit=3)
            self.note(f"{name}: {type(exc).__name__}: {exc}")
            return None

    def note(self, message: str) -> None:
        print(f"  FAILED {message}", flush=True)
        self.results["errors"].append(message)

    def servers_and_search(self) -> None:
        """Search side by side, then the page and the load test, with both servers up (and always stopped)."""
        with ExitStack() as stack:
            app = self.part(
                "app server",
                lambda: stack.enter_context(servers.app_server(self.data, self.work / "app.log")),
            )
            ds = self.part(
                "datasette server",
                lambda: stack.enter_context(servers.datasette_server(self.db, self.work / "datasette.log")),
            )
            contenders = self.contenders(app, ds)
            print("search:", flush=True)
            working = [c for c in contenders if self.part(f"{c.name} search", lambda c=c: self.probe(c))]
            exact = ExactBM25(self.db)
            table, agreement = measure_search(
                working, self.classes, self.args.reps, self.args.budget, self.note, exact
            )
            exact.close()
            self.results["search"], self.results["agreement"] = table, agreement
            for contender in contenders:
                contender.close()
            self.page(app.url if app else None)
            if app:
                self.results["load"] = self.part("load", lambda: self.load(app.url)) or []

    def contenders(self, app, ds) -> list:
        makers = [
            lambda: search.CatalogSearch(self.db),
            (lambda: search.ApiSearch(app.url)) if app else None,
            lambda: search.RawSearch(self.db),
            lambda: tantivy_contender(self.db, self.out / "tantivy"),
            (lambda: search.DatasetteSearch(ds.url, self.db.stem)) if ds else None,
            lambda: search.RipgrepSearch(self.data / "captions"),
        ]
        return [c for make in makers if make and (c := self.part("search setup", make))]

    def probe(self, contender) -> bool:
        """A first search that must find something (its query comes from the archive itself)."""
        query = self.classes["rare word"][0]
        if not contender(query):
            raise RuntimeError(f"found nothing for {query.user!r}, which the archive holds")
        return True

    def load(self, base_url: str) -> list[dict]:
        paths = api_paths(self.classes)
        runs = measure_load(base_url, paths, self.work, self.args.clients, self.args.load_seconds)
        seen = {(q.user, q.speaker, 0) for items in self.classes.values() for q in items}
        distinct = queries.distinct_requests(self.db, self.vocabulary, self.args.distinct, seen)
        paths = [request_path(q, offset) for q, offset in distinct]
        return runs + measure_load(base_url, paths, self.work, [32], self.args.load_seconds, once=True)

    def page(self, base_url: str | None) -> None:
        longest = self.manifest["longest_session"]
        print(f"page: session {longest['id']} ({longest['duration'] / 3600:.2f} h)", flush=True)
        self.results["page"] = {
            "session_id": longest["id"],
            "segments": longest["segments"],
            "in_process": self.part("page in-process", lambda: page.in_process(self.data, longest["id"])),
            "http": self.part("page over HTTP", lambda: page.over_http(base_url, longest["id"]))
            if base_url
            else None,
        }

    def ingest(self) -> None:
        print("ingest:", flush=True)
        self.results["ingest"] = {
            "single": self.part(
                "ingest 3-hour file", lambda: ingest.single_file(self.work, self.db, self.vocabulary)
            ),
            "bulk": self.part("bulk ingest", lambda: ingest.bulk(self.work, self.data / "captions")),
            "generator": self.manifest.get("save_session_rate"),
        }

    def tools(self) -> None:
        print("searchers' tools:", flush=True)
        self.results["tools"] = self.part(
            "searchers' tools",
            lambda: tools.measure(
                self.db,
                self.vocabulary,
                per_class=self.args.queries,
                reps=self.args.reps,
                budget=self.args.budget,
            ),
        )

    def finish(self) -> Path:
        self.results["machine"] = describe(
            datasette=self.part("datasette version", servers.datasette_version) or "datasette ?",
            ripgrep=search.rg_version(),
            load_at_start=self.results.pop("load_at_start"),
            code=self.results.pop("code"),
        )
        path = report.write(self.results, self.args.results)
        report.print_ratios(self.results)
        print(f"\nwrote {path} and {path.with_suffix('.json')}")
        grown = scaling.write(self.args.results)
        if grown:
            print(f"wrote {grown}")
        return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--segments", type=int, default=100_000, help="archive size (default 100000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--queries", type=int, default=40, help="distinct queries per class")
    parser.add_argument("--reps", type=int, default=200, help="timed searches per class and contender")
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per class and contender at most")
    parser.add_argument("--clients", type=lambda s: [int(x) for x in s.split(",")], default=[16, 32, 64])
    parser.add_argument("--load-seconds", type=float, default=10.0)
    parser.add_argument(
        "--distinct", type=int, default=2000, help="never-repeated requests per class for the cold load test"
    )
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.segments < 1000:
        parser.error("--segments must be at least 1000")
    run = Run(args)
    run.servers_and_search()
    run.ingest()
    run.tools()
    run.finish()
    if run.results["errors"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
