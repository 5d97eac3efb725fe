"""The searchers' tools at archive scale: "related moments" (``Catalog.related`` of a random segment) and
"5-term trend" (``Catalog.trend`` of five terms per year: a rare word, a common word, a 3-word phrase, a prefix and
an OR, drawn from the archive like the search classes). In-process, wall and CPU time per call.

    python -m bench.tools --segments 100000      # this part alone; bench.run includes it

Target (issue 14): related moments p50 and p99 ≤ 20 ms at 1M segments.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
from pathlib import Path

from bench import generate, queries
from bench.synth import Vocabulary
from bench.timing import interleaved, summarize

CLASSES = ("related moments", "5-term trend")
RELATED_TARGET_MS = 20.0


def related_inputs(db_path: Path, count: int, seed: int = 13) -> list[int]:
    """Random segment ids of published sessions (each one a moment a reader opens)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        top = conn.execute("SELECT max(id) FROM segments").fetchone()[0] or 0
        rng = random.Random(seed)
        picked = []
        for segment_id in rng.sample(range(1, top + 1), min(count * 2, top)):
            row = conn.execute(
                "SELECT 1 FROM segments s JOIN sessions se ON se.id = s.session_id "
                "WHERE s.id = ? AND se.status = 'published'",
                (segment_id,),
            ).fetchone()
            if row:
                picked.append(segment_id)
        return picked[:count]
    finally:
        conn.close()


def trend_inputs(
    classes: dict[str, list[queries.Query]], count: int, seed: int = 17
) -> list[tuple[str, ...]]:
    """Five terms each, one from each of five search classes (the search syntax a reader would use)."""
    rng = random.Random(seed)
    pools = [
        classes[c] for c in ("rare word", "common word", "3-word phrase", "prefix", "OR") if classes.get(c)
    ]
    return [tuple(rng.choice(pool).user for pool in pools) for _ in range(count)]


def measure(db_path: Path, vocabulary: Vocabulary, *, per_class: int, reps: int, budget: float) -> dict:
    from catalog import Catalog, TrendRequest

    classes = queries.build(db_path, vocabulary, per_class=per_class)
    inputs = {
        "related moments": related_inputs(db_path, per_class * 5),
        "5-term trend": trend_inputs(classes, per_class),
    }
    catalog = Catalog.open(db_path)
    calls = {
        "related moments": lambda segment_id: catalog.related(segment_id),
        "5-term trend": lambda terms: catalog.trend(TrendRequest(terms)),
    }
    table: dict = {}
    try:
        for cls in CLASSES:
            wall, cpu = interleaved({"catalog": calls[cls]}, inputs[cls], reps=reps, budget_s=budget)
            table[cls] = {**summarize(wall["catalog"]), "cpu_p50": summarize(cpu["catalog"])["p50"]}
            table[cls]["cpu_p99"] = summarize(cpu["catalog"])["p99"]
            table[cls]["example"] = str(inputs[cls][0]) if inputs[cls] else None
            print(f"  {cls:<16} p50 {table[cls]['p50']:.2f} ms  p99 {table[cls]['p99']:.2f} ms", flush=True)
    finally:
        catalog.close()
    return table


def section(tools: dict | None) -> list[str]:
    """The markdown section of ``bench/results/<scale>.md``."""
    if not tools:
        return []
    lines = ["## Searchers' tools (in-process `Catalog`)", ""]
    lines += [
        "| class | n | p50 ms | p95 ms | p99 ms | CPU p50 ms | CPU p99 ms | example |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for cls, s in tools.items():
        cells = [
            cls,
            s["n"],
            s["p50"],
            s["p95"],
            s["p99"],
            s["cpu_p50"],
            s["cpu_p99"],
            f"`{s.get('example')}`",
        ]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return [*lines, ""]


def targets(tools: dict | None) -> list[tuple[str, str, bool | None]]:
    related = (tools or {}).get("related moments")
    if not related:
        return []
    return [
        (
            f"related moments p{p} ≤ {RELATED_TARGET_MS:g} ms",
            f"{related[f'p{p}']:.2f} ms (CPU {related[f'cpu_p{p}']:.2f} ms)",
            related[f"p{p}"] <= RELATED_TARGET_MS,
        )
        for p in (50, 99)
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--queries", type=int, default=40, help="distinct inputs per class (segments: 5×)")
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--budget", type=float, default=20.0)
    args = parser.parse_args(argv)
    out, _ = generate.ensure(args.segments, args.seed)
    db = out / "data" / "catalog.db"
    found = measure(db, Vocabulary(), per_class=args.queries, reps=args.reps, budget=args.budget)
    print(json.dumps(found, indent=2))
    for target, measured, met in targets(found):
        print(f"{'met' if met else 'NOT met'}: {target}: {measured}")


if __name__ == "__main__":
    main()
