"""The catalog on PostgreSQL beside SQLite, on the same archive: search per query class, a 3-hour file's ingest,
and how far PostgreSQL's top 20 agrees with SQLite's.

    python -m bench.postgresql --sqlite bench/work/1M/data/catalog.db --pg postgresql://…/bench1m

The PostgreSQL catalog holds the same archive (``uscm-archive copy-catalog --from … --to …``). Both contenders are
``Catalog.search`` in this process, taking turns on the same queries (``bench/timing.py``'s ``interleaved``). Time
is wall-clock per search; CPU is this process's plus, for PostgreSQL, the server process serving its connection
(``/proc/<pid>/schedstat``: nanoseconds on a CPU), so that both say what one search costs the machine. Agreement:
the share of SQLite's top 20 that PostgreSQL also returns (``bench.search.agreement``), per query, averaged.
The ingest: the archive's own pipeline, one new 3-hour session at a time into each full archive (a copy of the
SQLite file; the PostgreSQL database itself, each session deleted again after it is timed).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import time
from pathlib import Path

from bench import machine
from bench.ingest import prepare, write_caption_file
from bench.queries import CLASSES, Query, build
from bench.search import agreement
from bench.synth import Vocabulary
from bench.timing import summarize

RESULTS = Path(__file__).resolve().parent / "results"
WORK = Path(__file__).resolve().parent / "work"


def schedstat_ns(pid: int) -> int:
    with open(f"/proc/{pid}/schedstat", encoding="ascii") as handle:
        return int(handle.read().split()[0])


class Contender:
    """``Catalog.search`` on one backend, with its CPU per call (this process, and the server's backend)."""

    def __init__(self, name: str, target: str | Path):
        from catalog import Catalog

        self.name = name
        self.catalog = Catalog.open(target)
        self.server_pid = None
        if name == "postgresql":
            self.server_pid = self.catalog.db.conn.execute("SELECT pg_backend_pid()").fetchone()[0]

    def cpu_ns(self) -> int:
        own = time.process_time_ns()
        return own + (schedstat_ns(self.server_pid) if self.server_pid else 0)

    def search(self, query: Query) -> list[int]:
        from catalog import SearchRequest

        results = self.catalog.search(SearchRequest(query=query.user, limit=20, speaker=query.speaker))
        return [hit.segment_id for hit in results.hits]

    def close(self) -> None:
        self.catalog.close()


def measure_search(
    contenders: list[Contender], classes: dict[str, list[Query]], reps: int, budget: float
) -> dict:
    out = {}
    for cls in CLASSES:
        queries = classes.get(cls) or []
        if not queries:
            continue
        wall = {c.name: [] for c in contenders}
        cpu = {c.name: [] for c in contenders}
        agree: list[float] = []
        spent = 0.0
        for q in queries[:3]:  # warm-up, unmeasured
            for c in contenders:
                c.search(q)
        for i in range(reps):
            q = queries[i % len(queries)]
            found = {}
            order = contenders[i % 2 :] + contenders[: i % 2]  # who goes first alternates
            for c in order:
                c0, t0 = c.cpu_ns(), time.perf_counter()
                found[c.name] = c.search(q)
                wall[c.name].append((time.perf_counter() - t0) * 1000)
                cpu[c.name].append((c.cpu_ns() - c0) / 1e6)
                spent += time.perf_counter() - t0
            if i < len(queries):
                agree.append(agreement(found["postgresql"], found["sqlite"]))
            if i + 1 >= min(len(queries), 20) and spent > budget:
                break
        out[cls] = {
            "queries": len(queries),
            **{name: {"wall": summarize(wall[name]), "cpu": summarize(cpu[name])} for name in wall},
            "top20_agreement_with_sqlite": round(sum(agree) / len(agree), 3) if agree else None,
        }
        print(f"  {cls}: " + ", ".join(f"{n} p50 {out[cls][n]['wall']['p50']} ms" for n in wall), flush=True)
    return out


def measure_ingest(sqlite_db: Path, pg_url: str, reps: int) -> dict:
    """A 3-hour file through the archive's pipeline into each full archive, taking turns."""
    from archive.options import IngestOptions
    from archive.pipeline import ingest
    from catalog import Catalog

    work = WORK / "pg-ingest"
    caption = work / "three-hours.vtt"
    cues = write_caption_file(caption, Vocabulary())
    body = caption.read_text(encoding="utf-8")
    prepare(work / "sqlite", sqlite_db)
    (work / "pg").mkdir(parents=True, exist_ok=True)
    targets = {
        "sqlite": (work / "sqlite", work / "sqlite" / "catalog.db"),
        "postgresql": (work / "pg", pg_url),
    }
    catalogs = {name: Catalog.open(target) for name, (_, target) in targets.items()}
    times: dict[str, list[float]] = {name: [] for name in targets}
    made: dict[str, list[int]] = {name: [] for name in targets}
    try:
        for i in range(reps + 1):
            for name, (data_dir, _) in targets.items():
                path = data_dir / "incoming" / f"three-hours-{i}.vtt"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(body.replace("WEBVTT\n", f"WEBVTT\n\nNOTE copy {i}\n", 1), encoding="utf-8")
                options = IngestOptions(title=f"Benchmark ingest {i}", date="2025-01-15", event="Benchmark")
                t0 = time.perf_counter()
                result = ingest(catalogs[name], data_dir, [str(path)], options)
                elapsed = (time.perf_counter() - t0) * 1000
                made[name] += [s.session_id for s in result.sessions]
                if i:  # the first is a warm-up
                    times[name].append(elapsed)
    finally:
        for session_id in made["postgresql"]:
            catalogs["postgresql"].delete_session(session_id)
        for catalog in catalogs.values():
            catalog.close()
        shutil.rmtree(work, ignore_errors=True)
    return {"cues": cues, **{name: summarize(t) for name, t in times.items()}}


def report(result: dict) -> str:
    """The results as a Markdown table (the JSON beside it holds every figure)."""
    m = result["machine"]
    lines = [
        f"# The catalog on PostgreSQL beside SQLite ({result['archive']['segments']:,} segments)",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['os']}, Python {m['python']}, "
        f"SQLite {m['sqlite']}, {result['archive']['postgresql']}; load average at the start {m['load_average']} "
        "(other jobs share the machine). Made by `python -m bench.postgresql` (its docstring says how).",
        "",
        "| class | queries | SQLite wall p50 / p99 ms | PostgreSQL wall p50 / p99 ms | SQLite CPU p50 / p99 ms "
        "| PostgreSQL CPU p50 / p99 ms (client + server) | PG/SQLite CPU p50 | top-20 agreement |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for cls, r in result["search"].items():
        a, b = r["sqlite"], r["postgresql"]
        ratio = b["cpu"]["p50"] / a["cpu"]["p50"] if a["cpu"]["p50"] else float("nan")
        lines.append(
            f"| {cls} | {r['queries']} | {a['wall']['p50']} / {a['wall']['p99']} | {b['wall']['p50']} / "
            f"{b['wall']['p99']} | {a['cpu']['p50']} / {a['cpu']['p99']} | {b['cpu']['p50']} / {b['cpu']['p99']} "
            f"| {ratio:.1f}× | {r['top20_agreement_with_sqlite']} |"
        )
    ingest = result.get("ingest_3h")
    if ingest:
        a, b = ingest["sqlite"], ingest["postgresql"]
        lines += [
            "",
            f"Ingest of a 3-hour caption file ({ingest['cues']:,} cues) through the archive's pipeline into the full "
            f"archive, {a['n']} runs each, taking turns: SQLite p50 {a['p50'] / 1000:.2f} s (max "
            f"{a['max'] / 1000:.2f}), PostgreSQL p50 {b['p50'] / 1000:.2f} s (max {b['max'] / 1000:.2f}): "
            f"{b['p50'] / a['p50']:.2f}× SQLite's.",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sqlite", type=Path, required=True, help="the SQLite catalog file")
    parser.add_argument("--pg", required=True, help="the PostgreSQL catalog holding the same archive")
    parser.add_argument("--queries", type=int, default=40, help="distinct queries per class")
    parser.add_argument("--reps", type=int, default=120, help="timed searches per class and backend at most")
    parser.add_argument("--budget", type=float, default=15.0, help="seconds per class at most")
    parser.add_argument("--ingest-reps", type=int, default=3)
    parser.add_argument("--name", default="postgresql-1M")
    args = parser.parse_args(argv)
    from catalog import Catalog

    sqlite_catalog = Catalog.open(args.sqlite)
    published = sqlite_catalog.published_count()
    sqlite_catalog.close()
    pg_catalog = Catalog.open(args.pg)
    server_version = pg_catalog.db.conn.execute("SELECT version()").fetchone()[0].split(" on ")[0]
    pg_catalog.close()
    conn = sqlite3.connect(f"file:{args.sqlite}?mode=ro", uri=True)
    segments = conn.execute("SELECT count(*) FROM segments").fetchone()[0]
    conn.close()
    classes = build(args.sqlite, Vocabulary(), per_class=args.queries)
    contenders = [Contender("sqlite", args.sqlite), Contender("postgresql", args.pg)]
    started = time.perf_counter()
    try:
        search = measure_search(contenders, classes, args.reps, args.budget)
    finally:
        for c in contenders:
            c.close()
    ingest = measure_ingest(args.sqlite, args.pg, args.ingest_reps) if args.ingest_reps else None
    result = {
        "machine": machine.describe(),
        "archive": {"segments": segments, "published_sessions": published, "postgresql": server_version},
        "search": search,
        "ingest_3h": ingest,
        "seconds": round(time.perf_counter() - started, 1),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (RESULTS / f"{args.name}.md").write_text(report(result), encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "search"}, indent=2))


if __name__ == "__main__":
    main()
