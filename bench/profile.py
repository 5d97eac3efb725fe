"""Where ``Catalog.search`` spends its time, per query class: cProfile over the same queries the run uses.

    python -m bench.profile --segments 1000000 [--class "common word"] [--reps 100]

Prints, per class, the catalog's functions by cumulative time per search (SQLite's time shows up under the
function that executed the statement), next to raw SQL's time for the same queries.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time

from bench import generate, queries
from bench.search import CatalogSearch, RawSearch
from bench.synth import Vocabulary


def profile_class(catalog: CatalogSearch, raw: RawSearch, items: list, reps: int, top: int) -> str:
    for q in items[:5]:
        catalog(q), raw(q)
    t0 = time.process_time()
    for i in range(reps):
        raw(items[i % len(items)])
    raw_ms = (time.process_time() - t0) * 1000 / reps
    profiler = cProfile.Profile(time.process_time)  # CPU time: blind to other load on the machine
    t0 = time.process_time()
    profiler.enable()
    for i in range(reps):
        catalog(items[i % len(items)])
    profiler.disable()
    ours_ms = (time.process_time() - t0) * 1000 / reps
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(r"catalog/|sqlite3", top)
    header = f"catalog {ours_ms:.2f} ms CPU per search (profiled), raw SQL {raw_ms:.2f} ms, {reps} searches\n"
    return header + per_search(out.getvalue(), reps)


def per_search(report: str, reps: int) -> str:
    """pstats lines with the cumulative time turned into milliseconds per search."""
    lines = []
    for line in report.splitlines():
        parts = line.split(None, 5)
        try:
            numeric = len(parts) == 6 and parts[0].split("/")[0].isdigit()
            cumulative = float(parts[3]) * 1000 / reps if numeric else None
        except ValueError:
            cumulative = None
        if cumulative is not None:
            lines.append(f"  {cumulative:8.3f} ms  calls {parts[0]:>8}  {parts[5]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--segments", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--class", dest="cls", action="append", help="query class (repeatable; default all)")
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--top", type=int, default=14)
    args = parser.parse_args(argv)
    out, _ = generate.ensure(args.segments, args.seed)
    db = out / "data" / "catalog.db"
    classes = queries.build(db, Vocabulary())
    catalog, raw = CatalogSearch(db), RawSearch(db)
    try:
        for cls in args.cls or list(classes):
            if cls not in classes:
                parser.error(f"no query class {cls!r}; choose from {', '.join(classes)}")
            reps = args.reps if cls != "the" else max(5, args.reps // 10)
            print(f"\n== {cls} ==\n{profile_class(catalog, raw, classes[cls], reps, args.top)}", flush=True)
    finally:
        catalog.close()
        raw.close()


if __name__ == "__main__":
    main()
