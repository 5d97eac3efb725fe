"""Command-line start-up: wall time of ``uscm-archive search``, ``sessions``, ``export`` and ``ingest`` on the demo archive.

``python -m bench.cli [--runs 10] [--json]`` loads the bundled demo sessions into a temporary data folder, then
runs each command ``--runs`` times as a fresh process (the installed console script, as a user types it) and
reports the p50 wall time, its ratio to ``python -c pass`` on the same machine, and the p50 CPU time (user +
system), which other work on a shared machine does not inflate. ``ingest`` stores a new one-minute caption file each
run (a staffer's command: start-up, parse, one write transaction). It is a benchmark, not a test:
figures depend on the machine and its load (docs/benchmarks.md states them with the load average).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.timing import percentile

COMMANDS = {
    "search": ["search", "housing"],
    "search --json": ["search", "broadband", "--json"],
    "sessions": ["sessions"],
    "export": ["export", "1", "--format", "srt"],
}


def console_script() -> list[str]:
    """The ``uscm-archive`` next to this interpreter (the installed entry point), else ``-m uscm_archive.cli``."""
    script = Path(sys.executable).with_name("uscm-archive")
    return [str(script)] if script.exists() else [sys.executable, "-m", "uscm_archive.cli"]


def load_demo_archive(data_dir: Path) -> None:
    from uscm_archive.demo import load_demo
    from uscm_archive.settings import from_environment

    load_demo(from_environment(data_dir=str(data_dir)))


INGEST_CUES = 20  # the caption file ``ingest`` stores: 20 cues, 3 seconds each


def caption_files(folder: Path, runs: int) -> list[Path]:
    """``runs`` caption files, each different (a new session each run) and alike in size."""
    made = []
    for run in range(runs):
        cues = [
            f"00:{3 * i // 60:02d}:{3 * i % 60:02d}.000 --> 00:{(3 * i + 3) // 60:02d}:{(3 * i + 3) % 60:02d}.000\n"
            f"Run {run}, line {i}: the housing plan's next step."
            for i in range(INGEST_CUES)
        ]
        path = folder / f"run-{run}.vtt"
        path.write_text("WEBVTT\n\n" + "\n\n".join(cues) + "\n", encoding="utf-8")
        made.append(path)
    return made


def timed_runs(argv: list[str], env: dict, runs: int, each=None) -> tuple[list[float], list[float]]:
    """Wall seconds and CPU seconds (user + system of the child) of each run; ``each(run)``: more arguments."""
    walls, cpus = [], []
    for run in range(runs):
        args = [*argv, *each(run)] if each else argv
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return walls, cpus


def measure(runs: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="uscm-bench-cli-"))
    try:
        data_dir = folder / "data"
        load_demo_archive(data_dir)
        env = {**os.environ, "USCM_ARCHIVE_DATA": str(data_dir)}
        baseline = percentile(timed_runs([sys.executable, "-c", "pass"], env, runs)[0], 50)
        figures = {}
        files = caption_files(folder, runs)
        commands = {**COMMANDS, "ingest": ["ingest", "--title", "Start-up"]}
        for label, args in commands.items():
            each = (lambda run: [str(files[run])]) if label == "ingest" else None
            walls, cpus = timed_runs([*console_script(), *args], env, runs, each)
            p50 = percentile(walls, 50)
            figures[label] = {
                "p50_s": round(p50, 3),
                "ratio_to_python": round(p50 / baseline, 1),
                "cpu_p50_s": round(percentile(cpus, 50), 3),
            }
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        return {
            "runs": runs,
            "python_c_pass_p50_s": round(baseline, 3),
            "load_1min": load,
            "commands": figures,
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    report = measure(max(1, args.runs))
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"python -c pass: p50 {report['python_c_pass_p50_s']:.3f} s  (load {report['load_1min']})")
    for label, figure in report["commands"].items():
        print(
            f"uscm-archive {label:14s} p50 {figure['p50_s']:.3f} s  {figure['ratio_to_python']:5.1f}x python"
            f"  (CPU p50 {figure['cpu_p50_s']:.3f} s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
