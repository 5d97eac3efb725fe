"""Generate a synthetic archive at a chosen scale, through the archive's own ``Catalog.save_session``.

    python -m bench.generate --segments 100000 [--seed 1] [--out bench/work/100k]

Writes ``<out>/data/catalog.db`` (the catalog, as the site serves it), the same transcripts as WebVTT files under
``<out>/data/captions/<session id>/en.manual.vtt`` (where the archive keeps raw caption files), and
``<out>/manifest.json`` (what was generated and how long each step took).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import time
from pathlib import Path

from bench.synth import SessionPlan, Vocabulary, archive_plan

WORK = Path(__file__).resolve().parent / "work"


def scale_name(segments: int) -> str:
    for unit, size in (("M", 1_000_000), ("k", 1_000)):
        if segments >= size and segments % size == 0:
            return f"{segments // size}{unit}"
    return str(segments)


def default_out(segments: int) -> Path:
    return WORK / scale_name(segments)


def generate(out: Path, segments: int, seed: int = 1) -> dict:
    """Build the archive under ``out`` (which must not hold one yet); return the manifest."""
    from catalog import Catalog

    data = out / "data"
    if data.exists():
        raise SystemExit(f"error: {data} already exists; remove it or use --force")
    vocabulary = Vocabulary()
    catalog = Catalog.open(data / "catalog.db")
    clock = {"plan": 0.0, "convert": 0.0, "save_session": 0.0, "vtt": 0.0}
    summary = {"sessions": 0, "segments": 0, "longest": None, "speakers": {}}
    started = time.perf_counter()
    try:
        plans = archive_plan(segments, seed, vocabulary)
        while True:
            t0 = time.perf_counter()
            plan = next(plans, None)
            clock["plan"] += time.perf_counter() - t0
            if plan is None:
                break
            store(catalog, data, plan, clock)
            note(summary, plan)
            if summary["sessions"] % 50 == 0:
                print(f"  {summary['segments']:>9,} segments, {summary['sessions']} sessions", flush=True)
    finally:
        catalog.close()
    total = time.perf_counter() - started
    manifest = {
        "segments": summary["segments"],
        "sessions": summary["sessions"],
        "seed": seed,
        "longest_session": summary["longest"],
        "speakers": summary["speakers"],
        "seconds": {**{k: round(v, 2) for k, v in clock.items()}, "total": round(total, 2)},
        "save_session_rate": {
            "sessions_per_s": round(summary["sessions"] / clock["save_session"], 2),
            "segments_per_s": round(summary["segments"] / clock["save_session"]),
        },
        "db_bytes": (data / "catalog.db").stat().st_size,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return manifest


def store(catalog, data: Path, plan: SessionPlan, clock: dict) -> None:
    """One session through ``save_session``, then its captions as a .vtt file where the archive keeps them."""
    from catalog import TrackInput
    from transcripts import to_vtt

    number = int(plan.key.split(":")[1])
    raw_path = f"captions/{number}/en.manual.vtt"
    t0 = time.perf_counter()
    transcript, meta = to_models(plan)
    track = TrackInput(transcript=transcript, language="en", source="manual", raw_path=raw_path)
    t1 = time.perf_counter()
    session_id = catalog.save_session(plan.key, meta, [track])
    t2 = time.perf_counter()
    if session_id != number:
        raise SystemExit(f"error: expected session id {number}, got {session_id}: start from an empty folder")
    path = data / raw_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_vtt(transcript.segments), encoding="utf-8")
    t3 = time.perf_counter()
    clock["convert"] += t1 - t0
    clock["save_session"] += t2 - t1
    clock["vtt"] += t3 - t2


def to_models(plan: SessionPlan):
    """The plan as the project's own dataclasses: a ``Transcript`` and a ``SessionMeta``."""
    from catalog import SessionMeta, SpeakerCredit
    from transcripts import Mark, Segment, Transcript

    segments = tuple(
        Segment(s.start, s.end, s.text, s.speaker, tuple(Mark(o, t) for o, t in s.marks))
        for s in plan.segments
    )
    meta = SessionMeta(
        title=plan.title,
        date=plan.date,
        event=plan.event,
        description=plan.description,
        source_url=f"https://bench.invalid/{plan.key.replace(':', '/')}",
        video_url=plan.video_url,
        duration=plan.duration,
        language="en",
        channel="Synthetic Mayors Channel",
        speakers=tuple(SpeakerCredit(name, role) for name, role in plan.speakers),
        topics=plan.topics,
    )
    return Transcript(segments=segments, language="en"), meta


def note(summary: dict, plan: SessionPlan) -> None:
    number = int(plan.key.split(":")[1])
    summary["sessions"] += 1
    summary["segments"] += len(plan.segments)
    longest = summary["longest"]
    if longest is None or plan.duration > longest["duration"]:
        summary["longest"] = {"id": number, "duration": plan.duration, "segments": len(plan.segments)}
    for segment in plan.segments:
        summary["speakers"][segment.speaker] = summary["speakers"].get(segment.speaker, 0) + 1


def index_bytes(db_path: Path) -> dict[str, int]:
    """Bytes of the catalog file, of the segments' full-text index and of the cross-cut windows (SQLite's
    dbstat: every page of each table, content included)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = dict(
            conn.execute(
                "SELECT CASE WHEN name LIKE 'segments_fts%' THEN 'segments_fts' "
                "WHEN name LIKE 'segment_windows_fts%' THEN 'segment_windows_fts' ELSE 'other' END, sum(pgsize) "
                "FROM dbstat GROUP BY 1"
            ).fetchall()
        )
    finally:
        conn.close()
    return {
        "catalog file": db_path.stat().st_size,
        "segments_fts (words in segments)": rows.get("segments_fts", 0),
        "segment_windows_fts (across cuts, vocabulary)": rows.get("segment_windows_fts", 0),
    }


def ensure(segments: int, seed: int = 1, out: Path | None = None) -> tuple[Path, dict]:
    """The archive for this scale, generated if absent (a half-made one is made again)."""
    out = out or default_out(segments)
    manifest_path = out / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if manifest["segments"] == segments and manifest["seed"] == seed:
            return out, manifest
    discard(out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"generating {segments:,} segments into {out}", flush=True)
    return out, generate(out, segments, seed)


def discard(out: Path) -> None:
    """Remove a previous (or half-made) generated archive; refuse to touch a folder that is not one."""
    if not out.exists():
        return
    if not ((out / "data").exists() or (out / "manifest.json").exists()) and any(out.iterdir()):
        raise SystemExit(f"error: {out} is not a generated archive; choose an empty or new --out folder")
    shutil.rmtree(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--force", action="store_true", help="replace an existing archive at --out")
    args = parser.parse_args(argv)
    if args.segments < 1:
        parser.error("--segments must be at least 1")
    out = args.out or default_out(args.segments)
    if args.force:
        discard(out)
    out, manifest = ensure(args.segments, args.seed, out)
    print(json.dumps({k: v for k, v in manifest.items() if k != "speakers"}, indent=2))


if __name__ == "__main__":
    main()
