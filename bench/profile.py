"""Where the time goes: ``Catalog.search`` per query class (cProfile, CPU time), or the whole server under load.

    python -m bench.profile --segments 1000000 [--class "common word"] [--reps 100]
    python -m bench.profile --segments 1000000 --server [--clients 32]

The first prints, per class, the catalog's functions by cumulative CPU time per search (SQLite's time shows up
under the function that executed the statement), next to raw SQL's time for the same queries. The second serves
the archive as ``bench.run`` does, loads ``/api/search`` with the run's query mix from a second process, and
samples the server with py-spy (installed on first use into ``bench/work/venv-tools``): the share of samples
spent in each function, inclusive and self. The load is the run's distinct mix (each request once), so that the
profile shows the search, not the cache.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import io
import pstats
import subprocess
import sys
import time
from pathlib import Path

from bench import generate, queries, servers
from bench.search import CatalogSearch, RawSearch
from bench.synth import Vocabulary

TOOLS = Path(__file__).resolve().parent / "work" / "venv-tools"


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


def py_spy() -> Path:
    binary = TOOLS / "bin" / "py-spy"
    if not binary.exists():
        print(f"installing py-spy into {TOOLS} (once)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(TOOLS)], check=True)
        subprocess.run([str(TOOLS / "bin" / "python"), "-m", "pip", "install", "-q", "py-spy"], check=True)
    return binary


def profile_server(data: Path, classes: dict, clients: int, seconds: float = 10.0, top: int = 30) -> str:
    """The server under the distinct mix (each request once, so the search runs, not the cache)."""
    from bench.run import request_path

    work = data.parent / "run"
    work.mkdir(exist_ok=True)
    paths_file, samples_file = work / "profile-paths.txt", work / "profile-samples.txt"
    seen = {(q.user, q.speaker, 0) for items in classes.values() for q in items}
    distinct = queries.distinct_requests(data / "catalog.db", Vocabulary(), 2000, seen)
    paths_file.write_text("\n".join(request_path(q, offset) for q, offset in distinct) + "\n")
    with servers.app_server(data, work / "profile-app.log") as app:
        load_command = [sys.executable, "-m", "bench.load", app.url, "--clients", str(clients), "--once"]
        load_command += ["--seconds", str(seconds + 4), "--paths", str(paths_file)]
        load = subprocess.Popen(load_command, stdout=subprocess.PIPE, text=True)
        time.sleep(2)
        record = [str(py_spy()), "record", "--pid", str(app.pid), "--subprocesses", "-d", str(int(seconds))]
        record += ["-r", "200"]  # every worker process of ``serve --workers``, sampled together
        subprocess.run([*record, "-f", "raw", "-o", str(samples_file), "--nonblocking"], capture_output=True)
        outcome = load.communicate(timeout=seconds + 120)[0].strip()
    return f"load: {outcome}\n" + shares(samples_file.read_text(), top)


def shares(raw: str, top: int) -> str:
    """py-spy's collapsed stacks as the share of samples per function, inclusive and self."""
    inclusive: collections.Counter = collections.Counter()
    own: collections.Counter = collections.Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames, n = stack.split(";"), int(count)
        total += n
        for frame in set(frames):
            inclusive[frame] += n
        own[frames[-1]] += n
    if not total:
        return "no samples"
    lines = [f"{total} samples; inclusive:"]
    lines += [f"  {100 * n / total:5.1f}%  {f}" for f, n in inclusive.most_common(top)]
    lines += ["self:"] + [f"  {100 * n / total:5.1f}%  {f}" for f, n in own.most_common(top // 2)]
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
    parser.add_argument("--server", action="store_true", help="profile the server under load instead")
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args(argv)
    out, _ = generate.ensure(args.segments, args.seed)
    db = out / "data" / "catalog.db"
    classes = queries.build(db, Vocabulary())
    if args.server:
        print(profile_server(out / "data", classes, args.clients, top=max(args.top, 30)))
        return
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
