"""Back-to-back CPU comparison of ``Catalog.search`` between two checkouts of the code on one archive.

Run the queries' step with the checkout whose ``bench.queries`` defines the classes, then the ``run`` step once per
side and round, alternating sides, each time with that side's checkout first on ``PYTHONPATH``::

    python -m bench.compare queries bench/work/1M/data/catalog.db queries.json
    PYTHONPATH=/path/to/before python -m bench.compare run before.db queries.json 8 > before-r1.json
    PYTHONPATH=/path/to/after  python -m bench.compare run after.db  queries.json 8 > after-r1.json

Give each side its own copy of the catalog file (a side may migrate it). ``run`` prints, per class, the p50 and p99
of the search call's CPU time (``time.thread_time``) over ``reps`` passes of the class's queries, as JSON.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path


def build_queries(db: str, out: str) -> None:
    from bench import queries
    from bench.synth import Vocabulary

    classes = queries.build(Path(db), Vocabulary(), per_class=40)
    data = {cls: [{"q": q.user, "speaker": q.speaker} for q in items] for cls, items in classes.items()}
    Path(out).write_text(json.dumps(data))


def run(db: str, queries_file: str, reps: int) -> dict:
    from catalog import Catalog, SearchRequest

    catalog = Catalog.open(db)
    classes = json.loads(Path(queries_file).read_text())
    out = {}
    for cls, items in classes.items():
        requests = [SearchRequest(query=i["q"], limit=20, speaker=i["speaker"]) for i in items]
        for request in requests:  # warm the caches once
            catalog.search(request)
        samples = []
        for _ in range(reps):
            for request in requests:
                started = time.thread_time()
                catalog.search(request)
                samples.append((time.thread_time() - started) * 1000)
        samples.sort()
        out[cls] = {
            "p50": statistics.median(samples),
            "p99": samples[max(0, int(len(samples) * 0.99) - 1)],
            "n": len(samples),
        }
    catalog.close()
    return out


def main(argv: list[str]) -> None:
    if argv[:1] == ["queries"] and len(argv) == 3:
        build_queries(argv[1], argv[2])
    elif argv[:1] == ["run"] and len(argv) == 4:
        print(json.dumps(run(argv[1], argv[2], int(argv[3]))))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
