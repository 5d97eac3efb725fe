"""Tantivy (the Lucene-class engine, Rust, ``tantivy`` on PyPI) as a search contender on the same segments.

The only module that imports ``tantivy`` (tests/test_layering.py). One index per generated archive, under
``bench/work/<scale>/tantivy/`` (git-ignored), built once from the catalog file itself and rebuilt when that file
changes (its segment count and highest segment id are kept beside the index). One document per segment:

- ``text``: the segment's text, tokenizer ``en_stem`` (lower case, English Snowball stemmer), with positions, so
  phrases work; what the catalog's ``segments_fts`` indexes with its porter tokenizer;
- ``window``: the segment's cross-cut window (``segment_windows``: its text followed by the head of the next
  segments), tokenizer ``default`` (lower case, no stemming, as ``segment_windows_fts``), with positions;
- ``id`` (stored, fast) and ``speaker_id`` (indexed, fast).

Each query class runs as Tantivy's own query, top 20 by its BM25 (k1 1.2, b 0.75), the count included (Tantivy
counts every match, as the catalog does): a word or an OR is a term or boolean query (``parse_query``), a quoted
phrase a phrase query, a prefix its terms from Tantivy's term dictionary (``terms_with_prefix``, timed with the
search) OR-ed, the speaker filter the word AND the speaker's id (a constant score, so the order is the word's), a
cross-cut phrase a phrase query over ``window``, a typo the word itself (as raw SQL is given it: Tantivy has no
correction of its own; its fuzzy query scores every expansion alike).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from pathlib import Path

import tantivy

from bench.queries import Query

WRITER_HEAP = 400_000_000  # bytes of indexing buffer for the build
BATCH = 50_000


def schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("text", stored=False, tokenizer_name="en_stem", index_option="position")
    builder.add_text_field("window", stored=False, tokenizer_name="default", index_option="position")
    builder.add_integer_field("id", stored=True, indexed=True, fast=True)
    builder.add_integer_field("speaker_id", stored=False, indexed=True, fast=True)
    return builder.build()


def stamp(db_path: Path) -> dict:
    """What identifies the segments indexed (opening the catalog may touch the file, so not its mtime)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        count, top = conn.execute("SELECT count(*), max(id) FROM segments").fetchone()
    finally:
        conn.close()
    return {"segments": count, "max_id": top}


def ensure_index(db_path: Path, folder: Path) -> tuple[tantivy.Index, dict]:
    """The index of the catalog at ``db_path`` in ``folder``, built if absent or older than the catalog file;
    returns it with its build facts (seconds, documents, bytes)."""
    marker = folder / "built.json"
    if marker.exists():
        facts = json.loads(marker.read_text())
        if facts.get("stamp") == stamp(db_path):
            return tantivy.Index.open(str(folder)), facts
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    facts = build(db_path, folder)
    marker.write_text(json.dumps(facts, indent=2))
    return tantivy.Index.open(str(folder)), facts


def build(db_path: Path, folder: Path) -> dict:
    started = time.perf_counter()
    index = tantivy.Index(schema(), path=str(folder))
    writer = index.writer(heap_size=WRITER_HEAP, num_threads=2)
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    count = 0
    try:
        rows = conn.execute(
            "SELECT s.id, coalesce(s.speaker_id, 0), s.text, w.text FROM segments s "
            "JOIN segment_windows w ON w.id = s.id ORDER BY s.id"
        )
        for segment_id, speaker_id, text, window in rows:
            writer.add_document(
                tantivy.Document(id=segment_id, speaker_id=speaker_id, text=text, window=window)
            )
            count += 1
            if count % 200_000 == 0:
                print(f"  tantivy: {count:,} documents", flush=True)
    finally:
        conn.close()
    writer.commit()
    writer.wait_merging_threads()
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return {
        "stamp": stamp(db_path),
        "documents": count,
        "seconds": round(time.perf_counter() - started, 1),
        "bytes": size,
    }


class TantivySearch:
    name = "tantivy"

    def __init__(self, db_path: Path, folder: Path):
        self.index, self.facts = ensure_index(db_path, folder)
        self.index.reload()
        self.searcher = self.index.searcher()
        self.schema = self.index.schema
        self.total = 0  # matches counted by the last search

    def query(self, query: Query) -> tantivy.Query:
        if query.cls == "prefix":
            stem = query.fts.strip('"*').lower()
            terms = self.searcher.terms_with_prefix("text", stem)
            parts = [
                (tantivy.Occur.Should, tantivy.Query.term_query(self.schema, "text", t)) for t, _ in terms
            ]
            return tantivy.Query.boolean_query(parts) if parts else tantivy.Query.empty_query()
        field = "window" if query.cls == "cross-cut phrase" else "text"
        parsed = self.index.parse_query(query.fts, [field])
        if query.speaker_id is None:
            return parsed
        speaker = tantivy.Query.term_query(self.schema, "speaker_id", query.speaker_id)
        return tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, parsed),
                (tantivy.Occur.Must, tantivy.Query.const_score_query(speaker, 0.0)),
            ]
        )

    def __call__(self, query: Query) -> list[int]:
        found = self.searcher.search(self.query(query), 20)
        self.total = found.count
        return [self.searcher.doc(address)["id"][0] for _, address in found.hits]

    def close(self) -> None:
        pass
