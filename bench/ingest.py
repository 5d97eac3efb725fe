"""Ingest costs: one 3-hour caption file end to end against webvtt-py's parse alone, and the bulk ingest rate.

The 3-hour file is written the way a captioner delivers one: ~3,000 short cues of about nine words that cut
sentences in the middle, a ``<v Speaker>`` voice span on each cue, so that parsing, merging cues into sentences
and speaker handling all do their real work.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import time
from pathlib import Path

from bench.synth import Vocabulary, people, speech
from bench.timing import interleaved, summarize

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


class Pipeline:
    """The archive's own ingest pipeline (``archive.pipeline.ingest``: read, parse, clean, store, index, keep the
    raw file) into the catalog of ``data_dir``. Each call ingests a new copy of the file (a NOTE line makes its
    bytes, hence its source key, unique), so every call creates a session rather than updating one."""

    def __init__(self, data_dir: Path, caption: Path):
        from catalog import Catalog

        self.data_dir, self.body = data_dir, caption.read_text(encoding="utf-8")
        self.catalog = Catalog.open(data_dir / "catalog.db")
        self.count = 0

    def copy(self) -> Path:
        self.count += 1
        path = self.data_dir / "incoming" / f"session-{self.count}.vtt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            self.body.replace("WEBVTT\n", f"WEBVTT\n\nNOTE copy {self.count}\n", 1), encoding="utf-8"
        )
        return path

    def __call__(self, path: Path) -> int:
        from archive.options import IngestOptions
        from archive.pipeline import ingest

        options = IngestOptions(title=f"Benchmark ingest {path.stem}", date="2025-01-15", event="Benchmark")
        result = ingest(self.catalog, self.data_dir, [str(path)], options)
        return len(result.sessions)

    def close(self) -> None:
        self.catalog.close()


def single_file(work: Path, db_path: Path, vocabulary: Vocabulary, reps: int = 15) -> dict:
    """The 3-hour file: webvtt-py's parse alone, ``transcripts.parse_file`` alone, and the whole pipeline into
    an empty catalog and into a copy of the full archive (index insertion grows with the index). The four take
    turns, so that a change of load on the machine hits them alike."""
    from transcripts import parse_file

    caption = work / "three-hours.vtt"
    cues = write_caption_file(caption, vocabulary)
    result = {"cues": cues, "bytes": caption.stat().st_size}
    result["segments"] = len(parse_file(caption, language="en").segments)
    empty, full = work / "ingest-empty", work / "ingest-full"
    prepare(empty, None)
    prepare(full, db_path)
    pipelines = {
        "ingest_empty_catalog": Pipeline(empty, caption),
        "ingest_full_archive": Pipeline(full, caption),
    }
    copies = {name: [p.copy() for _ in range(reps + 2)] for name, p in pipelines.items()}
    steps = {
        "webvtt_parse": lambda _: webvtt_parse(caption),
        "parse_file": lambda _: parse_file(caption, language="en"),
        **{name: (lambda _, n=name: pipelines[n](copies[n].pop())) for name in pipelines},
    }
    try:
        samples, cpu = interleaved(
            steps, [None], reps=reps, budget_s=120, min_reps=reps, warmup=1, on_error=fail
        )
    finally:
        for pipeline in pipelines.values():
            pipeline.close()
        shutil.rmtree(empty)
        shutil.rmtree(full)
    result.update(
        {name: {**summarize(s), "cpu_p50": summarize(cpu[name])["p50"]} for name, s in samples.items()}
    )
    return result


def bulk(work: Path, captions: Path, sessions: int = 40) -> dict:
    """Ingest ``sessions`` caption files of the generated archive into a fresh catalog in one pipeline call."""
    from archive.options import IngestOptions
    from archive.pipeline import ingest
    from catalog import Catalog
    from transcripts import parse_file

    files = sorted(captions.glob("*/en.manual.vtt"), key=lambda p: int(p.parent.name))[:sessions]
    target = work / "ingest-bulk"
    prepare(target, None)
    catalog = Catalog.open(target / "catalog.db")
    try:
        t0 = time.perf_counter()
        result = ingest(catalog, target, [str(p) for p in files], IngestOptions(event="Benchmark"))
        elapsed = time.perf_counter() - t0
    finally:
        catalog.close()
        shutil.rmtree(target)
    segments = sum(len(parse_file(p, language="en").segments) for p in files)
    return {
        "sessions": len(result.sessions),
        "segments": segments,
        "seconds": round(elapsed, 2),
        "sessions_per_s": round(len(result.sessions) / elapsed, 2),
        "segments_per_s": round(segments / elapsed),
    }


def fail(step: str, exc: Exception) -> None:
    raise RuntimeError(f"{step}: {type(exc).__name__}: {exc}") from exc


def prepare(data_dir: Path, source: Path | None) -> None:
    """A fresh data folder holding an empty catalog, or a consistent copy of ``source`` (SQLite's backup)."""
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    if source is None:
        return
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(data_dir / "catalog.db")
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
