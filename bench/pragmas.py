"""The catalog with and without extra SQLite settings on its connection, taking turns in one process.

    python -m bench.pragmas --segments 1000000 --pragma "PRAGMA mmap_size = 1073741824" [--reps 60] [--classes …]

Two ``Catalog``s open the same archive; the second runs the given statements on its connection after opening
(what ``catalog/store/db.py``'s ``connect`` would run). Both search the bench's queries of each class in turn
(``bench.timing.interleaved``: who goes first rotates), so the OS page cache and the machine's load are shared;
prints CPU p50/p99 per class and the ratio with/without. For choosing connection settings by measurement.
"""

from __future__ import annotations

import argparse

from bench import generate, queries, search
from bench.synth import Vocabulary
from bench.timing import interleaved, summarize


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--pragma", action="append", required=True, help="a statement run on the second connection"
    )
    parser.add_argument("--reps", type=int, default=60)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--classes", default=None, help="comma-separated classes (default: all)")
    args = parser.parse_args(argv)
    out, _manifest = generate.ensure(args.segments, args.seed)
    db = out / "data" / "catalog.db"
    classes = queries.build(db, Vocabulary(), per_class=args.queries)
    if args.classes:
        classes = {c.strip(): classes[c.strip()] for c in args.classes.split(",")}
    plain, tuned = search.CatalogSearch(db), search.CatalogSearch(db)
    for statement in args.pragma:
        tuned.catalog.db.conn.execute(statement)
    print(f"with: {'; '.join(args.pragma)}  (CPU p50/p99 ms, without → with)", flush=True)
    try:
        for cls, items in classes.items():
            _wall, cpu = interleaved({"without": plain, "with": tuned}, items, reps=args.reps, budget_s=30)
            a, b = summarize(cpu["without"]), summarize(cpu["with"])
            print(
                f"{cls:18s} {a['p50']:.3f}/{a['p99']:.2f} → {b['p50']:.3f}/{b['p99']:.2f}  "
                f"{b['p50'] / a['p50']:.2f}×",
                flush=True,
            )
    finally:
        plain.close()
        tuned.close()


if __name__ == "__main__":
    main()
