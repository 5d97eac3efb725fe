"""Search on PostgreSQL beside SQLite on the same archive: top-20 agreement and wall times per query class.

    python -m bench.pg_agreement --sqlite bench/work/1M/data/catalog.db --postgresql postgresql://…/db [--per 10]

Both catalogs must hold the same sessions with the same ids (a copy of the one into the other). Each query of
``bench/queries.py`` (``--per`` a class, seed 7) is searched once on each to warm them, then twice more on each,
alternating; the table says, per class: the mean (and least) share of the top 20 both return
(|A ∩ B| / max(|A|, |B|)), how many queries report the same total, and the wall-time p50 / p99 of each (the
PostgreSQL server's work is in its own process, so wall time is the figure to compare).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from bench import queries
from bench.synth import Vocabulary
from catalog import Catalog, SearchRequest


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def compare(sqlite_path: Path, url: str, per: int) -> list[str]:
    lite, pg = Catalog.open(sqlite_path), Catalog.open(url)
    lines = [
        "| class | queries | top-20 agreement, mean (min) | totals equal | SQLite wall p50 / p99 | "
        "PostgreSQL wall p50 / p99 |",
        "|---|---|---|---|---|---|",
    ]
    try:
        for cls, drawn in queries.build(sqlite_path, Vocabulary(), per_class=per).items():
            agree, same, times = [], 0, {"sqlite": [], "postgresql": []}
            for query in drawn:
                request = SearchRequest(query.user, limit=20, speaker=query.speaker)
                lite.search(request), pg.search(request)
                for _ in range(2):
                    for name, catalog in (("sqlite", lite), ("postgresql", pg)):
                        started = time.perf_counter()
                        catalog.search(request)
                        times[name].append(time.perf_counter() - started)
                a, b = lite.search(request), pg.search(request)
                ids_a, ids_b = [h.segment_id for h in a.hits], [h.segment_id for h in b.hits]
                if ids_a or ids_b:
                    agree.append(len(set(ids_a) & set(ids_b)) / max(len(ids_a), len(ids_b)))
                same += a.total == b.total
            walls = [
                f"{percentile(times[n], 50) * 1000:.1f} / {percentile(times[n], 99) * 1000:.1f} ms"
                for n in ("sqlite", "postgresql")
            ]
            mean = f"{statistics.mean(agree):.3f} ({min(agree):.2f})" if agree else "—"
            lines.append(f"| {cls} | {len(drawn)} | {mean} | {same}/{len(drawn)} | {walls[0]} | {walls[1]} |")
            print(lines[-1], flush=True)
    finally:
        lite.close()
        pg.close()
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sqlite", type=Path, required=True)
    parser.add_argument("--postgresql", required=True, help="the PostgreSQL catalog's URL")
    parser.add_argument("--per", type=int, default=10, help="queries per class")
    args = parser.parse_args(argv)
    compare(args.sqlite, args.postgresql, args.per)


if __name__ == "__main__":
    main()
