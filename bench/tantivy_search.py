"""Tantivy (the Lucene-class engine, Rust, ``tantivy`` on PyPI) as a search contender on the same segments.

The only module that imports ``tantivy`` (tests/test_layering.py). One index per generated archive, under
``bench/work/<scale>/tantivy/`` (git-ignored), built once from the catalog file itself and rebuilt when that file
changes (its segment count and highest segment id are kept beside the index). One document per segment:

- ``text``: the segment's text, tokenizer ``en_stem`` (lower case, English Snowball stemmer), with positions, so
  phrases work; what the catalog's ``segments_fts`` indexes with its porter tokenizer;
- ``window``: the segment's cross-cut window (``segment_windows``: its text followed by the head of the next
  segments), tokenizer ``default`` (lower case, no stemming, as ``segment_windows_fts``), with positions;
- ``id`` (stored, fast) and ``speaker_id`` (indexed, fast);
- in the page's index only (``TantivyPage``, its own folder ``tantivy-page/``, so that the bare search reads its
  ids from a document store as small as before): stored text and window, the session's title and date, the
  speaker's name, the start and end times: what a results page built on Tantivy alone shows without another store.

Each query class runs as Tantivy's own query, top 20 by its BM25 (k1 1.2, b 0.75), the count included (Tantivy
counts every match, as the catalog does): a word or an OR is a term or boolean query (``parse_query``), a quoted
phrase a phrase query, a prefix its terms from Tantivy's term dictionary (``terms_with_prefix``, timed with the
search) OR-ed, the speaker filter the word AND the speaker's id (a constant score, so the order is the word's), a
cross-cut phrase a phrase query over ``window``, a typo the word itself (as raw SQL is given it: Tantivy has no
correction of its own; its fuzzy query scores every expansion alike).

Two contenders share the index: ``TantivySearch`` ("tantivy") returns the top 20 ids and the count, the bare search;
``TantivyPage`` ("tantivy page") does what ``Catalog.search`` does for a results page: the same search, then each
hit's stored fields (text, session title and date, speaker, times) and a snippet with the matched words marked
(Tantivy's ``SnippetGenerator`` over the field searched, HTML-escaped, at most 200 characters).
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


SNIPPET_CHARS = 200


def schema(page: bool) -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("text", stored=page, tokenizer_name="en_stem", index_option="position")
    builder.add_text_field("window", stored=page, tokenizer_name="default", index_option="position")
    builder.add_integer_field("id", stored=True, indexed=True, fast=True)
    builder.add_integer_field("speaker_id", stored=False, indexed=True, fast=True)
    if not page:
        return builder.build()
    builder.add_integer_field("session_id", stored=True)
    builder.add_text_field("title", stored=True, index_option="basic")
    builder.add_text_field("date", stored=True, tokenizer_name="raw")
    builder.add_text_field("speaker", stored=True, tokenizer_name="raw")
    builder.add_float_field("start", stored=True)
    builder.add_float_field("end", stored=True)
    return builder.build()


def stamp(db_path: Path) -> dict:
    """What identifies the segments indexed (opening the catalog may touch the file, so not its mtime)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        count, top = conn.execute("SELECT count(*), max(id) FROM segments").fetchone()
    finally:
        conn.close()
    return {"segments": count, "max_id": top}


def ensure_index(db_path: Path, folder: Path, page: bool = False) -> tuple[tantivy.Index, dict]:
    """The index of the catalog at ``db_path`` in ``folder``, built if absent or older than the catalog file;
    returns it with its build facts (seconds, documents, bytes). ``page``: the page's index (stored fields)."""
    marker = folder / "built.json"
    if marker.exists():
        facts = json.loads(marker.read_text())
        if facts.get("stamp") == stamp(db_path):
            return tantivy.Index.open(str(folder)), facts
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    facts = build(db_path, folder, page)
    marker.write_text(json.dumps(facts, indent=2))
    return tantivy.Index.open(str(folder)), facts


def build(db_path: Path, folder: Path, page: bool) -> dict:
    started = time.perf_counter()
    index = tantivy.Index(schema(page), path=str(folder))
    writer = index.writer(heap_size=WRITER_HEAP, num_threads=2)
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    count = 0
    try:
        rows = conn.execute(
            "SELECT s.id, coalesce(s.speaker_id, 0), s.text, w.text, s.session_id, se.title, "
            "coalesce(se.date, ''), coalesce(sp.name, ''), s.start, s.end FROM segments s "
            "JOIN segment_windows w ON w.id = s.id JOIN sessions se ON se.id = s.session_id "
            "LEFT JOIN speakers sp ON sp.id = s.speaker_id ORDER BY s.id"
        )
        for segment_id, speaker_id, text, window, session_id, title, date, speaker, start, end in rows:
            fields = {"id": segment_id, "speaker_id": speaker_id, "text": text, "window": window}
            if page:
                fields.update(
                    session_id=session_id,
                    title=title,
                    date=date,
                    speaker=speaker,
                    start=float(start),
                    end=float(end),
                )
            writer.add_document(tantivy.Document(**fields))
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

    page = False  # the index of stored fields (``TantivyPage``)

    def __init__(self, db_path: Path, folder: Path):
        self.index, self.facts = ensure_index(db_path, folder, self.page)
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


class TantivyPage(TantivySearch):
    """The same search, and the page: each hit's stored fields and a marked snippet (see the module's text)."""

    name = "tantivy page"
    page = True

    def __init__(self, db_path: Path, folder: Path):
        super().__init__(db_path, folder)
        self.hits: list[dict] = []  # the page of the last search

    def __call__(self, query: Query) -> list[int]:
        parsed = self.query(query)
        found = self.searcher.search(parsed, 20)
        self.total = found.count
        field = "window" if query.cls == "cross-cut phrase" else "text"
        snippets = tantivy.SnippetGenerator.create(self.searcher, parsed, self.schema, field)
        snippets.set_max_num_chars(SNIPPET_CHARS)
        page = []
        for score, address in found.hits:
            doc = self.searcher.doc(address)
            page.append(
                {
                    "id": doc["id"][0],
                    "session_id": doc["session_id"][0],
                    "title": doc["title"][0],
                    "date": doc["date"][0],
                    "speaker": doc["speaker"][0],
                    "start": doc["start"][0],
                    "end": doc["end"][0],
                    "text": doc["text"][0],
                    "snippet": snippets.snippet_from_doc(doc).to_html(),
                    "score": score,
                }
            )
        self.hits = page
        return [hit["id"] for hit in page]
