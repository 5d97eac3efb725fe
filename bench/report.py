"""Results as a markdown table and JSON under ``bench/results/``, the ratios printed, the issue's targets checked."""

from __future__ import annotations

import json
from pathlib import Path

from bench import tools

CONTENDERS = ("catalog", "api", "raw SQL", "tantivy", "datasette", "ripgrep")
RATIOS = (
    ("catalog", "raw SQL"),
    ("catalog", "tantivy"),
    ("catalog", "datasette"),
    ("catalog", "ripgrep"),
    ("api", "datasette"),
)


def fmt(value, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}" if value < 100 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def stat(search: dict, cls: str, contender: str, key: str):
    entry = search.get(cls, {}).get(contender)
    return entry.get(key) if isinstance(entry, dict) else None


def ratio(search: dict, cls: str, ours: str, other: str, key: str = "p50"):
    a, b = stat(search, cls, ours, key), stat(search, cls, other, key)
    return round(a / b, 2) if a is not None and b else None


def search_table(search: dict, key: str, with_ratios: bool) -> list[str]:
    head = ["query class", *CONTENDERS]
    if with_ratios:
        head += [f"{a}/{b}" for a, b in RATIOS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for cls in search:
        cells = [cls] + [fmt(stat(search, cls, c, key), 2) for c in CONTENDERS]
        if with_ratios:
            cells += [fmt(ratio(search, cls, a, b, key), 2) for a, b in RATIOS]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def cpu_table(search: dict) -> list[str]:
    names = ("catalog", "raw SQL", "tantivy")
    head = ["query class", *(f"{n} p50 / p99" for n in names), "catalog/raw SQL", "catalog/tantivy"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for cls in search:
        cells = [
            f"{fmt(stat(search, cls, n, 'cpu_p50'), 2)} / {fmt(stat(search, cls, n, 'cpu_p99'), 2)}"
            for n in names
        ]
        cells += [fmt(ratio(search, cls, "catalog", other, "cpu_p50"), 2) for other in ("raw SQL", "tantivy")]
        lines.append(f"| {cls} | " + " | ".join(cells) + " |")
    return lines


def targets(results: dict) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met) for each of the issue's targets that this run measured."""
    search, checks = results.get("search", {}), []
    for cls in search:
        r = ratio(search, cls, "catalog", "raw SQL")
        checks.append(
            (f"catalog p50 ≤ 1.3× raw FTS5 ({cls})", f"{fmt(r, 2)}×", None if r is None else r <= 1.3)
        )
        p99, cpu99 = stat(search, cls, "catalog", "p99"), stat(search, cls, "catalog", "cpu_p99")
        measured = f"{fmt(p99, 2)} ms (CPU time {fmt(cpu99, 2)} ms)"
        checks.append((f"catalog p99 ≤ 50 ms ({cls})", measured, None if p99 is None else p99 <= 50))
        for other in ("datasette", "ripgrep"):
            r = ratio(search, cls, "catalog", other)
            checks.append(
                (f"catalog p50 < {other} p50 ({cls})", f"{fmt(r, 2)}×", None if r is None else r < 1)
            )
    for cls in search:  # issue 12: Lucene-class speed and exact relevance
        r = ratio(search, cls, "catalog", "tantivy", "cpu_p50")
        checks.append(
            (f"catalog CPU p50 ≤ 2× Tantivy's ({cls})", f"{fmt(r, 2)}×", None if r is None else r <= 2)
        )
        cpu99 = stat(search, cls, "catalog", "cpu_p99")
        checks.append(
            (
                f"catalog CPU p99 ≤ 25 ms ({cls})",
                f"{fmt(cpu99, 2)} ms",
                None if cpu99 is None else cpu99 <= 25,
            )
        )
        share = (results.get("agreement", {}).get(cls) or {}).get("catalog")
        if isinstance(share, float | int):
            checks.append(
                (f"catalog top-20 agreement with exact BM25 ≥ 0.95 ({cls})", f"{share:.2f}", share >= 0.95)
            )
    phrase = stat(search, "3-word phrase", "catalog", "p50")
    for cls in ("cross-cut phrase", "typo"):
        p50 = stat(search, cls, "catalog", "p50")
        if p50 is not None and phrase:
            checks.append(
                (
                    f"catalog p50 ≤ 2× the 3-word phrase p50 ({cls})",
                    f"{fmt(p50 / phrase, 2)}×",
                    p50 <= 2 * phrase,
                )
            )
    ingest = results.get("ingest", {}).get("single", {})
    full = (ingest.get("ingest_full_archive") or {}).get("p50")
    parse = (ingest.get("webvtt_parse") or {}).get("p50")
    if full is not None:
        checks.append(("3-hour caption file ingests in ≤ 500 ms", f"{fmt(full)} ms", full <= 500))
        if parse:
            checks.append(("… and ≤ 3× webvtt-py's parse", f"{fmt(full / parse, 2)}×", full / parse <= 3))
    checks += tools.targets(results.get("tools"))
    page = (results.get("page", {}).get("in_process") or {}).get("p50")
    if page is not None:
        checks.append(("3-hour session page ≤ 50 ms on the server", f"{fmt(page)} ms", page <= 50))
    for run in results.get("load", []):
        if run.get("clients") == 32 and "req_per_s" in run:
            mix = {"repeated": "repeated mix", "distinct": "distinct requests"}.get(
                run.get("mix", "repeated")
            )
            checks.append(
                (
                    f"/api/search ≥ 300 req/s at 32 clients, {mix}",
                    f"{fmt(run['req_per_s'])}",
                    run["req_per_s"] >= 300,
                )
            )
            checks.append(
                (f"/api/search p99 ≤ 100 ms at 32 clients, {mix}", f"{fmt(run['p99'])} ms", run["p99"] <= 100)
            )
    return checks


def markdown(results: dict) -> str:
    m, a = results["machine"], results["archive"]
    out = [
        f"# Benchmark: {a['segments']:,} segments ({results['scale']})",
        "",
        f"Archive: {a['sessions']:,} sessions, {a['segments']:,} segments, catalog {a['db_bytes'] / 1e6:,.0f} MB, "
        f"seed {a['seed']}. Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB RAM, {m['os']}; "
        f"Python {m['python']}, SQLite {m['sqlite']}, {m.get('datasette', '')}, {m.get('ripgrep', '')}. "
        f"Code {m.get('code', '?')}, measured {m['when']}; load average at the start {m.get('load_at_start', '?')}, at the end "
        f"{m.get('load_average', '?')} (1, 5, 15 min; other work on the machine shows here).",
        "",
        *index_section(results.get("index")),
        "## Search latency, p50 (ms)",
        "",
        *search_table(results.get("search", {}), "p50", True),
        "",
        "## In-process CPU time, p50 (ms)",
        "",
        "The same searches as CPU time of the measuring process: blind to other load on the machine.",
        "",
        *cpu_table(results.get("search", {})),
        "",
        "## Search latency, p95 (ms)",
        "",
        *search_table(results.get("search", {}), "p95", False),
        "",
        "## Search latency, p99 (ms)",
        "",
        *search_table(results.get("search", {}), "p99", False),
        "",
        *sample_note(results),
        *ingest_section(results.get("ingest", {})),
        *page_section(results.get("page", {})),
        *tools.section(results.get("tools")),
        *load_section(results.get("load", []), results.get("server")),
        "## Targets",
        "",
        "| target | measured | met |",
        "|---|---|---|",
        *(
            f"| {t} | {v} | {'–' if ok is None else ('yes' if ok else '**no**')} |"
            for t, v, ok in targets(results)
        ),
        "",
        *errors_section(results.get("errors", [])),
    ]
    return "\n".join(out) + "\n"


def index_section(index: dict | None) -> list[str]:
    """What each full-text index costs: the segments' own, and the windows over segment cuts (which also give
    the typo vocabulary)."""
    if not index:
        return []
    lines = ["## Index size", "", "| part | MB |", "|---|---|"]
    lines += [f"| {name} | {fmt(size / 1e6, 1)} |" for name, size in index.items()]
    return [*lines, ""]


def sample_note(results: dict) -> list[str]:
    counts = {
        c: sorted({stat(results["search"], cls, c, "n") or 0 for cls in results["search"]})
        for c in CONTENDERS
    }
    agreement = results.get("agreement", {})
    lines = ["Samples per cell: " + "; ".join(f"{c} {v[0]}–{v[-1]}" for c, v in counts.items() if v) + "."]
    if agreement:
        lines.append(
            "Top-20 agreement with the exact BM25 ranking (bench/exact.py; docs/benchmarks.md defines it): "
            + "; ".join(
                f"{cls} " + ", ".join(f"{n} {v:.2f}" for n, v in row.items())
                for cls, row in agreement.items()
                if isinstance(row, dict)
            )
            + "."
        )
    return [*lines, ""]


def ingest_section(ingest: dict) -> list[str]:
    single, bulk = ingest.get("single"), ingest.get("bulk")
    lines = ["## Ingest", ""]
    if single:
        lines += [
            f"One 3-hour caption file: {single['cues']:,} cues, {single['bytes'] / 1e3:,.0f} kB → "
            f"{single['segments']:,} segments.",
            "",
            "| step | p50 ms | p95 ms | CPU p50 ms | n |",
            "|---|---|---|---|---|",
        ]
        for key in ("webvtt_parse", "parse_file", "ingest_empty_catalog", "ingest_full_archive"):
            if key in single:
                s = single[key]
                cells = [
                    key.replace("_", " "),
                    fmt(s["p50"]),
                    fmt(s["p95"]),
                    fmt(s.get("cpu_p50")),
                    str(s["n"]),
                ]
                lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    if bulk:
        lines += [
            f"Bulk ingest of {bulk['sessions']} generated sessions ({bulk['segments']:,} segments) into a fresh "
            f"catalog: {bulk['sessions_per_s']} sessions/s, {bulk['segments_per_s']:,} segments/s.",
            "",
        ]
    gen = ingest.get("generator")
    if gen:
        lines += [
            f"Generator, `Catalog.save_session` alone over the whole archive: {gen['sessions_per_s']} sessions/s, "
            f"{gen['segments_per_s']:,} segments/s.",
            "",
        ]
    return lines


def page_section(page: dict) -> list[str]:
    if not page:
        return []
    ip, http = page.get("in_process") or {}, page.get("http") or {}
    lines = [f"## Session page (3-hour session, {page.get('segments', '?'):,} segments)", ""]
    lines += ["| measure | p50 ms | p95 ms | p99 ms | CPU p50 ms |", "|---|---|---|---|---|"]
    for label, s in (("server, in-process", ip), ("over HTTP (uvicorn)", http)):
        if s:
            cells = [label, fmt(s["p50"]), fmt(s["p95"]), fmt(s["p99"]), fmt(s.get("cpu_p50"))]
            lines.append("| " + " | ".join(cells) + " |")
    if http.get("html_bytes"):
        lines += [
            "",
            f"Weight: {http['html_bytes']:,} bytes of HTML, {http['gzip_bytes']:,} gzipped; served as "
            f"{http['served_encoding']} ({http['served_bytes']:,} bytes on the wire).",
        ]
    return [*lines, ""]


MIXES = {
    "repeated": "repeated mix (the run's queries over and over: answered from the cache after the first time)",
    "distinct": "distinct requests (each sent once: the cache cannot help)",
}


def load_section(load: list[dict], server: str | None = None) -> list[str]:
    if not load:
        return []
    lines = ["## /api/search under concurrent clients (load from a second process)", ""]
    if server:
        lines += [f"Server: `{server}`.", ""]
    lines += [
        "| clients | requests sent | req/s | p50 ms | p95 ms | p99 ms | requests | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in load:
        lines.append(
            f"| {r['clients']} | {r.get('mix', 'repeated')} | {fmt(r['req_per_s'])} | {fmt(r['p50'])} | "
            f"{fmt(r['p95'])} | {fmt(r['p99'])} | {r['requests']:,} | {r['errors']} |"
        )
    lines += ["", *(f"- {name}: {meaning}" for name, meaning in MIXES.items())]
    return [*lines, ""]


def errors_section(errors: list[str]) -> list[str]:
    if not errors:
        return []
    return ["## Parts that failed in this run", "", *(f"- {e}" for e in errors), ""]


def write(results: dict, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{results['scale']}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    path = folder / f"{results['scale']}.md"
    path.write_text(markdown(results), encoding="utf-8")
    return path


def print_ratios(results: dict) -> None:
    search = results.get("search", {})
    print("\np50 ratios (lower is better for ours):")
    print(f"  {'class':<16}" + "".join(f"{a + '/' + b:>20}" for a, b in RATIOS))
    for cls in search:
        cells = "".join(f"{fmt(ratio(search, cls, a, b), 2):>20}" for a, b in RATIOS)
        print(f"  {cls:<16}{cells}")
    print("\ntargets:")
    for target, measured, ok in targets(results):
        print(f"  [{'--' if ok is None else ('ok' if ok else 'NO')}] {target}: {measured}")
