"""How costs grow with the archive: compares every ``bench/results/<scale>.json`` and writes ``scaling.md``.

    python -m bench.scaling        (bench.run also calls it after each run)

Growth is the ratio of a figure at the largest scale to the same figure at the smallest one; with 10× the
segments, a growth of 1.0 means the cost did not grow at all and 10.0 means it grew linearly.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.report import CONTENDERS, fmt

RESULTS = Path(__file__).resolve().parent / "results"


def load_all(folder: Path) -> list[dict]:
    runs = []
    for path in folder.glob("*.json"):
        data = json.loads(path.read_text())
        if "archive" in data and "search" in data:
            runs.append(data)
    return sorted(runs, key=lambda r: r["archive"]["segments"])


def growth(small, large) -> str:
    if small in (None, 0) or large is None:
        return "–"
    return f"{large / small:.2f}×"


def figure(run: dict, *path):
    value = run
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def load_at(run: dict, clients: int, key: str, mix: str = "repeated"):
    return next(
        (
            r.get(key)
            for r in run.get("load", [])
            if r.get("clients") == clients and r.get("mix", "repeated") == mix
        ),
        None,
    )


def rows(runs: list[dict]) -> list[tuple[str, list]]:
    out = []
    for cls in runs[-1].get("search", {}):
        for contender in CONTENDERS:
            for key in ("p50", "p99"):
                out.append(
                    (
                        f"search {cls}, {contender} {key} (ms)",
                        [figure(r, "search", cls, contender, key) for r in runs],
                    )
                )
    singles = ("webvtt_parse", "parse_file", "ingest_empty_catalog", "ingest_full_archive")
    for step in singles:
        out.append(
            (
                f"3-hour file: {step.replace('_', ' ')} p50 (ms)",
                [figure(r, "ingest", "single", step, "p50") for r in runs],
            )
        )
    out.append(("bulk ingest (segments/s)", [figure(r, "ingest", "bulk", "segments_per_s") for r in runs]))
    out.append(
        (
            "save_session over the archive (segments/s)",
            [figure(r, "ingest", "generator", "segments_per_s") for r in runs],
        )
    )
    out.append(("session page in-process p50 (ms)", [figure(r, "page", "in_process", "p50") for r in runs]))
    out.append(("/api/search req/s at 32 clients", [load_at(r, 32, "req_per_s") for r in runs]))
    out.append(("/api/search p99 at 32 clients (ms)", [load_at(r, 32, "p99") for r in runs]))
    out.append(
        (
            "/api/search req/s, 32 clients, distinct requests",
            [load_at(r, 32, "req_per_s", "distinct") for r in runs],
        )
    )
    out.append(
        (
            "/api/search p99, 32 clients, distinct requests (ms)",
            [load_at(r, 32, "p99", "distinct") for r in runs],
        )
    )
    out.append(("catalog file (MB)", [round(r["archive"]["db_bytes"] / 1e6) for r in runs]))
    return out


def markdown(runs: list[dict]) -> str:
    scales = [f"{r['scale']} ({r['archive']['segments']:,})" for r in runs]
    head = ["figure", *scales, f"growth {runs[0]['scale']} → {runs[-1]['scale']}"]
    lines = [
        "# Scaling: how costs grow with the archive",
        "",
        f"Segments grow {runs[-1]['archive']['segments'] / runs[0]['archive']['segments']:.0f}× from the "
        f"smallest to the largest run. Each column comes from `bench/results/<scale>.json`; see docs/benchmarks.md.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for label, values in rows(runs):
        if all(v is None for v in values):
            continue
        lines.append(
            "| " + " | ".join([label, *(fmt(v, 2) for v in values), growth(values[0], values[-1])]) + " |"
        )
    return "\n".join(lines) + "\n"


def write(folder: Path = RESULTS) -> Path | None:
    runs = load_all(folder)
    if len(runs) < 2:
        return None
    path = folder / "scaling.md"
    path.write_text(markdown(runs), encoding="utf-8")
    return path


def main() -> None:
    path = write()
    print(
        f"wrote {path}" if path else "need results at two scales first (python -m bench.run --segments ...)"
    )


if __name__ == "__main__":
    main()
