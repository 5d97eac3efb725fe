"""Catalog, raw FTS5 and Tantivy side by side, in one process, on the same segments and queries.

    python -m bench.engines --segments 1000000 [--reps 200] [--budget 20] [--queries 40] [--compact] [--pin]

The three in-process contenders take turns on every query (``bench.timing.interleaved``: who goes first rotates),
per class of ``bench.queries``; each figure is CPU time of this process per search (p50 and p99), which other load
on the machine does not inflate, with wall time beside it. Then each contender's top-20 agreement with the exact
BM25 ranking (``bench/exact.py``, defined in docs/benchmarks.md) over the first 20 queries of each class. Writes
``bench/results/engines-<scale>.md`` and ``.json``. Builds the Tantivy index once (``bench/work/<scale>/tantivy``).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from bench import generate, queries, search
from bench.exact import ExactBM25
from bench.machine import code_version, describe
from bench.pinning import pin
from bench.synth import Vocabulary
from bench.tantivy_search import TantivyPage, TantivySearch
from bench.timing import interleaved, summarize

RESULTS = Path(__file__).resolve().parent / "results"
CONTENDERS = ("catalog", "raw SQL", "tantivy", "tantivy page")
AGREEMENT_QUERIES = 20


def contenders(db: Path, out: Path) -> list:
    return [
        search.CatalogSearch(db),
        search.RawSearch(db),
        TantivySearch(db, out / "tantivy"),
        TantivyPage(db, out / "tantivy-page"),
    ]


def measure(found: list, classes: dict, reps: int, budget: float) -> dict:
    """{class: {contender: {wall summary, cpu_p50, cpu_p99}}}"""
    by_name = {c.name: c for c in found}
    table: dict = {}
    for cls, items in classes.items():
        errors: list[str] = []
        samples, cpu = interleaved(
            by_name,
            items,
            reps=reps,
            budget_s=budget,
            on_error=lambda n, e, errors=errors: errors.append(f"{n}: {e}"),
        )
        table[cls] = {}
        for name, wall in samples.items():
            if wall:
                c = summarize(cpu[name])
                table[cls][name] = {**summarize(wall), "cpu_p50": c["p50"], "cpu_p99": c["p99"]}
        if errors:
            table[cls]["errors"] = errors
        cells = "  ".join(
            f"{n} {v['cpu_p50']:.2f}/{v['cpu_p99']:.2f}" for n, v in table[cls].items() if n != "errors"
        )
        print(f"  {cls:<17} {cells}  (CPU p50/p99 ms)", flush=True)
    return table


def agreement(found: list, classes: dict, exact: ExactBM25) -> dict:
    """{class: {contender: mean top-20 agreement with exact BM25}}"""
    table: dict = {}
    for cls, items in classes.items():
        table[cls] = {}
        for contender in found:
            shares = [exact.agreement(q, contender(q)) for q in items[:AGREEMENT_QUERIES]]
            table[cls][contender.name] = round(sum(shares) / len(shares), 3)
        print(f"  {cls:<17} " + "  ".join(f"{n} {v:.2f}" for n, v in table[cls].items()), flush=True)
    return table


def fmt(value) -> str:
    return "–" if value is None else (f"{value:.2f}" if value < 100 else f"{value:,.0f}")


def markdown(results: dict) -> str:
    m, a = results["machine"], results["archive"]
    lines = [
        f"# Catalog, raw FTS5 and Tantivy: {a['segments']:,} segments ({results['scale']})",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB RAM, {m['os']}; Python {m['python']}, "
        f"SQLite {m['sqlite']}, tantivy {results['tantivy']['version']}. Code {m.get('code', '?')}, measured "
        f"{m['when']}; load average at the start {m.get('load_at_start', '?')}, at the end "
        f"{m.get('load_average', '?')}. One process; the contenders take turns on each query.",
        "",
        f"Tantivy index: {results['tantivy']['documents']:,} documents, "
        f"{results['tantivy']['bytes'] / 1e6:,.1f} MB (text en_stem + cross-cut windows, positions), built in "
        f'{results["tantivy"]["seconds"]} s. "Tantivy" is its bare search (top 20 ids and the count); '
        "\"Tantivy page\" is the same search making what the catalog's search returns, each hit's stored fields "
        "(text, session title and date, speaker, times) and a marked snippet, from an index that stores them"
        + (
            f" ({results['tantivy_page']['bytes'] / 1e6:,.1f} MB, built in {results['tantivy_page']['seconds']} s)."
            if "tantivy_page" in results
            else "."
        ),
        *(
            [
                "",
                f"Measured on a compacted copy (`--compact`: `uscm-archive compact`, "
                f"{results['compaction']['seconds']} s): "
                + "; ".join(f"{k} {v}" for k, v in results["compaction"]["indexes"].items())
                + ".",
            ]
            if "compaction" in results
            else []
        ),
        *(
            [
                "",
                (
                    f"Pinned in memory (`--pin`, bench/pinning.py): {results['pinned']['mib']:,} MiB in "
                    f"{results['pinned']['files']} files, the catalog's and both Tantivy indexes'."
                    if not results["pinned"]["error"]
                    else f"Not pinned (`--pin` failed: {results['pinned']['error']})."
                ),
            ]
            if "pinned" in results
            else []
        ),
        "",
        "## CPU time per search, p50 / p99 (ms)",
        "",
        "| class | catalog | raw FTS5 | Tantivy | Tantivy page | catalog/Tantivy p50 | catalog/Tantivy page p50 "
        "| catalog/raw p50 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for cls, row in results["search"].items():

        def cell(name: str, row: dict = row) -> str:
            v = row.get(name)
            return f"{fmt(v['cpu_p50'])} / {fmt(v['cpu_p99'])}" if v else "–"

        def ratio(a: str, b: str, row: dict = row) -> str:
            x, y = row.get(a), row.get(b)
            return f"{x['cpu_p50'] / y['cpu_p50']:.2f}×" if x and y and y["cpu_p50"] else "–"

        lines.append(
            f"| {cls} | {cell('catalog')} | {cell('raw SQL')} | {cell('tantivy')} | {cell('tantivy page')} | "
            f"{ratio('catalog', 'tantivy')} | {ratio('catalog', 'tantivy page')} | {ratio('catalog', 'raw SQL')} |"
        )
    lines += [
        "",
        "## Wall time per search, p50 / p99 (ms)",
        "",
        "| class | catalog | raw FTS5 | Tantivy | Tantivy page | samples each |",
        "|---|---|---|---|---|---|",
    ]
    for cls, row in results["search"].items():
        cells = [f"{fmt(row[n]['p50'])} / {fmt(row[n]['p99'])}" if n in row else "–" for n in CONTENDERS]
        counts = sorted({row[n]["n"] for n in CONTENDERS if n in row})
        lines.append(f"| {cls} | " + " | ".join(cells) + f" | {'–'.join(map(str, counts))} |")
    lines += [
        "",
        f"## Top-20 agreement with exact BM25 (mean over the first {AGREEMENT_QUERIES} queries of each class)",
        "",
        "| class | catalog | raw FTS5 | Tantivy | Tantivy page |",
        "|---|---|---|---|---|",
    ]
    for cls, row in results["agreement"].items():
        lines.append(f"| {cls} | " + " | ".join(fmt(row.get(n)) for n in CONTENDERS) + " |")
    lines += [
        "",
        "Queries (first of each class): "
        + "; ".join(f"{cls}: `{q}`" for cls, q in results["queries"].items())
        + ".",
    ]
    errors = [f"{cls}: {e}" for cls, row in results["search"].items() for e in row.get("errors", [])]
    if errors:
        lines += ["", "## Errors", "", *(f"- {e}" for e in errors)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--queries", type=int, default=40, help="distinct queries per class")
    parser.add_argument("--reps", type=int, default=200, help="timed searches per class and contender")
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per class and contender at most")
    parser.add_argument("--classes", default=None, help="comma-separated classes (default: all)")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument(
        "--pin",
        action="store_true",
        help="lock the measured files (the catalog, both Tantivy indexes) in memory for the run (bench/pinning.py)",
    )
    parser.add_argument(
        "--compact",
        action="store_true",
        help="measure a copy of the archive whose full-text indexes were compacted first (`uscm-archive compact`)",
    )
    args = parser.parse_args(argv)
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    out, manifest = generate.ensure(args.segments, args.seed)
    db = out / "data" / "catalog.db"
    compaction = None
    if args.compact:
        db, compaction = compacted_copy(db, out / "compacted")
        print(f"compacted a copy in {compaction['seconds']:.2f} s: {compaction['indexes']}", flush=True)
    classes = queries.build(db, Vocabulary(), per_class=args.queries)
    if args.classes:
        wanted = [c.strip() for c in args.classes.split(",")]
        classes = {c: classes[c] for c in wanted}
    found = contenders(db, out)
    pinned = None
    if args.pin:
        pinned = pin([db.parent, out / "tantivy", out / "tantivy-page"])
        print(f"pinned: {pinned.describe()}", flush=True)
    tantivy_facts = {**found[2].facts, "version": tantivy_version()}
    page_facts = found[3].facts
    print("search (CPU p50/p99 ms):", flush=True)
    table = measure(found, classes, args.reps, args.budget)
    print("top-20 agreement with exact BM25:", flush=True)
    exact = ExactBM25(db)
    agreed = agreement(found, classes, exact)
    exact.close()
    for contender in found:
        contender.close()
    results = {
        "scale": generate.scale_name(args.segments),
        "archive": {k: v for k, v in manifest.items() if k != "speakers"},
        "tantivy": tantivy_facts,
        "tantivy_page": page_facts,
        "queries": {cls: items[0].user for cls, items in classes.items()},
        "search": table,
        "agreement": agreed,
        "machine": describe(load_at_start=load_at_start, code=code_version()),
    }
    if compaction is not None:
        results["compaction"] = compaction
    if pinned is not None:
        results["pinned"] = pinned.describe()
        pinned.close()
    args.results.mkdir(parents=True, exist_ok=True)
    name = f"engines-{results['scale']}"
    if args.compact:
        name += "-compact"
    if args.classes:
        name += "-partial"
    (args.results / f"{name}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    (args.results / f"{name}.md").write_text(markdown(results), encoding="utf-8")
    print(f"wrote {args.results / name}.md")


def compacted_copy(db: Path, folder: Path) -> tuple[Path, dict]:
    """A copy of the catalog ``db`` in ``folder`` (made again each run), its full-text indexes compacted as an
    operator would after a bulk load; returns its path and what the compaction did."""
    import shutil
    import sqlite3

    from catalog import ops_for

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    copy = folder / "catalog.db"
    source = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    target = sqlite3.connect(copy)
    source.backup(target)  # one consistent copy, WAL folded in
    # archives generated before the work-queue migration was numbered 10 lack shared_settings, where the
    # compaction is recorded: give the copy the table (the same statement as the migration's)
    target.execute(
        "CREATE TABLE IF NOT EXISTS shared_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL, "
        "set_by TEXT NOT NULL, set_at TEXT NOT NULL) WITHOUT ROWID"
    )
    target.commit()
    target.close()
    source.close()
    done = ops_for(copy).compact(by="bench.engines --compact")
    return copy, {
        "seconds": round(done.seconds, 2),
        "indexes": {i.name: f"{i.before} → {i.after} b-trees in {i.steps} steps" for i in done.indexes},
    }


def tantivy_version() -> str:
    from importlib.metadata import version

    return version("tantivy")


if __name__ == "__main__":
    main()
