"""Ingest costs: one 3-hour caption file end to end against webvtt-py's parse alone, and the bulk ingest rate.

The 3-hour file is written the way a captioner delivers one: ~3,000 short cues of about nine words that cut
sentences in the middle, a ``<v Speaker>`` voice span on each cue, so that parsing, merging cues into sentences
and speaker handling all do their real work.
"""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path

from bench.synth import Vocabulary, people, speech
from bench.timing import summarize

THREE_HOURS = 3 * 3600.0


def clock(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def write_caption_file(path: Path, vocabulary: Vocabulary, seed: int = 3) -> int:
    """A 3-hour WebVTT file of captioner-style cues; returns the number of cues."""
    rng = random.Random(seed)
    cast = tuple(people(rng, 6))
    blocks = ["WEBVTT", ""]
    cues = 0
    for segment in speech(rng, cast, ("housing", "economy"), vocabulary, THREE_HOURS):
        edges = [*segment.marks, (len(segment.text), segment.end)]
        for (offset, start), (next_offset, end) in zip(edges, edges[1:], strict=False):
            text = segment.text[offset:next_offset].strip()
            cues += 1
            blocks += [str(cues), f"{clock(start)} --> {clock(end)}", f"<v {segment.speaker}>{text}", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(blocks), encoding="utf-8")
    return cues


def webvtt_parse(path: Path) -> int:
    import webvtt

    return len(webvtt.read(str(path)).captions)


def ingest_one(catalog, path: Path, key: str) -> int:
    """Parse, clean, store and index one caption file as a new session; returns its segment count."""
    from catalog import SessionMeta, TrackInput
    from transcripts import parse_file

    transcript = parse_file(path, language="en")
    meta = SessionMeta(title=f"Benchmark ingest {key}", date="2025-01-15", event="Benchmark")
    catalog.save_session(key, meta, [TrackInput(transcript=transcript, language="en", source="upload")])
    return len(transcript.segments)


def single_file(work: Path, db_path: Path, vocabulary: Vocabulary, reps: int = 7) -> dict:
    """The 3-hour file: webvtt-py parse alone, our parse alone, and parse+store+index into an empty catalog
    and into a copy of the full archive (index insertion grows with the index)."""
    from catalog import Catalog
    from transcripts import parse_file

    caption = work / "three-hours.vtt"
    cues = write_caption_file(caption, vocabulary)
    result = {"cues": cues, "bytes": caption.stat().st_size}
    result["webvtt_parse"] = summarize(repeat(lambda: webvtt_parse(caption), reps))
    result["parse_file"] = summarize(repeat(lambda: parse_file(caption, language="en"), reps))
    result["segments"] = len(parse_file(caption, language="en").segments)
    for label, source in (("ingest_empty_catalog", None), ("ingest_full_archive", db_path)):
        target = work / f"ingest-{label}.db"
        copy_catalog(source, target)
        catalog = Catalog.open(target)
        try:
            keys = (f"ingest:{n}" for n in range(reps + 1))
            result[label] = summarize(repeat(lambda c=catalog, k=keys: ingest_one(c, caption, next(k)), reps))
        finally:
            catalog.close()
            remove_catalog(target)
    return result


def bulk(work: Path, captions: Path, sessions: int = 40) -> dict:
    """Ingest ``sessions`` caption files from the generated archive into a fresh catalog, one after another."""
    from catalog import Catalog

    files = sorted(captions.glob("*/en.manual.vtt"), key=lambda p: int(p.parent.name))[:sessions]
    target = work / "ingest-bulk.db"
    remove_catalog(target)
    catalog = Catalog.open(target)
    try:
        t0 = time.perf_counter()
        segments = sum(ingest_one(catalog, path, f"bulk:{path.parent.name}") for path in files)
        elapsed = time.perf_counter() - t0
    finally:
        catalog.close()
        remove_catalog(target)
    return {
        "sessions": len(files),
        "segments": segments,
        "seconds": round(elapsed, 2),
        "sessions_per_s": round(len(files) / elapsed, 2),
        "segments_per_s": round(segments / elapsed),
    }


def repeat(call, reps: int) -> list[float]:
    call()  # warm: imports, page cache
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def copy_catalog(source: Path | None, target: Path) -> None:
    """A consistent copy of the catalog (SQLite's online backup), or nothing for an empty catalog."""
    remove_catalog(target)
    if source is None:
        return
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def remove_catalog(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
