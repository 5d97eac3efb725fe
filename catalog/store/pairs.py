"""The phrase index (issue 12, schema migration 12): each segment's adjacent token pairs, as tokens of a second
FTS5 table, so that a phrase is a lookup of its pairs rather than a walk of its words' position lists.

``segment_pairs`` is contentless FTS5 (``content=''``; its row lengths are kept so that it can be scanned): row ``id`` of a segment holds, in order,
one token ``a_b`` for each two tokens ``a``, ``b`` that follow each other in its text as ``segments_fts`` indexes it
(stemmed, folded: FTS5's own tokenizer, ``impact.token_sequences``). The phrase ``a b c`` is then the two-token
phrase ``"a_b b_c"`` of this table, which matches exactly the rows where ``segments_fts``'s phrase matches (the same
tokens at consecutive positions), and each pair's document frequency is far below its words' (``of_the`` against
``of`` and ``the``). A token of ``segments_fts`` never holds ``_`` (unicode61 separates on it), so a pair token
reads back one way. A segment of fewer than two tokens has no row.

Kept current in each write transaction with the impact lists, from the same record of changed segments
(``impact_pending``: triggers on ``segments``): ``flush`` (called by ``db.transaction`` before ``impact.flush``
consumes the record) takes the pairs of every removed text out (a contentless table is told the old tokens) and
puts every added segment's in. ``rebuild`` (the migration) fills it from the segments already there. Only a SQLite
catalog has it; ``catalog/search/lists.py`` (``phrase_page``) reads it when it is current (``ready``).
"""

from __future__ import annotations

import sqlite3
from itertools import pairwise

from catalog.store import impact

TABLE = "segment_pairs"
TOKENIZE = "unicode61 remove_diacritics 0 tokenchars '_'"  # (the table: schema.py ``MIGRATION_PHRASE_PAIRS``)
_CHUNK = 2_000


def pair_text(tokens: list[str]) -> str:
    """The row text of a segment whose tokens are ``tokens``: its pairs, in order ('' for fewer than two)."""
    return " ".join(a + "_" + b for a, b in pairwise(tokens))


def phrase_match(tokens: list[str]) -> str | None:
    """The MATCH expression over ``segment_pairs`` of a phrase of these tokens (two or more)."""
    if len(tokens) < 2 or any("_" in t or '"' in t for t in tokens):
        return None
    return '"' + pair_text(tokens) + '"'


def present(conn: sqlite3.Connection) -> bool:
    if not isinstance(conn, sqlite3.Connection):
        return False
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (TABLE,)).fetchone()
    return row is not None


def flush(conn: sqlite3.Connection) -> dict[int, list[str]] | None:
    """Fold the pending changes of segments into the pairs (inside the caller's write transaction, before
    ``impact.flush`` clears the record). Nothing to do on PostgreSQL or before migration 12. Gives the changed
    texts' tokens, keyed as ``impact.flush`` keys them, for it to count (``None``: it tokenizes them itself)."""
    if not isinstance(conn, sqlite3.Connection):
        return None
    try:
        pending = conn.execute(
            "SELECT seq, segment_id, added, text FROM impact_pending ORDER BY seq"
        ).fetchall()
    except sqlite3.OperationalError:  # before migration 11
        return None
    if not pending or not present(conn):
        return None
    removed, added = impact._net_changes(pending)
    texts = {seq: text or "" for seq, _sid, text in removed}
    for start in range(0, len(added), 500):
        chunk = added[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(f"SELECT id, text FROM segments WHERE id IN ({marks})", chunk).fetchall()
        texts.update((-sid, text or "") for sid, text in rows)  # added segments keyed by minus their id
    sequences = impact.token_sequences(conn, texts) if texts else {}
    gone = [(sid, pair_text(sequences.get(seq, []))) for seq, sid, _text in removed]
    conn.executemany(
        f"INSERT INTO {TABLE}({TABLE}, rowid, pairs) VALUES ('delete', ?, ?)", [g for g in gone if g[1]]
    )
    new = [(-key, pair_text(seq)) for key, seq in sequences.items() if key < 0]
    conn.executemany(f"INSERT INTO {TABLE}(rowid, pairs) VALUES (?, ?)", [n for n in new if n[1]])
    return sequences


def rebuild(conn: sqlite3.Connection) -> int:
    """Fill the table from the segments (inside the caller's transaction); the rows written."""
    conn.execute(f"INSERT INTO {TABLE}({TABLE}) VALUES ('delete-all')")
    return _fill(conn, f"main.{TABLE}")


def problems(conn: sqlite3.Connection) -> list[str]:
    """How the phrase index differs from the pairs of the segments' text now (for ``check``): built again
    privately and compared entry by entry (term, row, offset); empty when it is true (or absent: before 12)."""
    if not present(conn):
        return []
    for name in ("check_pairs_stored", "check_pairs_fresh", "check_pairs"):
        conn.execute(f"DROP TABLE IF EXISTS temp.{name}")
    conn.execute(
        f"CREATE VIRTUAL TABLE temp.check_pairs USING fts5(pairs, content='', tokenize=\"{TOKENIZE}\")"
    )
    try:
        _fill(conn, "temp.check_pairs")
        conn.execute(f"CREATE VIRTUAL TABLE temp.check_pairs_stored USING fts5vocab(main, {TABLE}, instance)")
        conn.execute(
            "CREATE VIRTUAL TABLE temp.check_pairs_fresh USING fts5vocab(temp, check_pairs, instance)"
        )
        stale, missing = conn.execute(
            "SELECT (SELECT count(*) FROM (SELECT doc, offset, term FROM temp.check_pairs_stored"
            " EXCEPT SELECT doc, offset, term FROM temp.check_pairs_fresh)),"
            " (SELECT count(*) FROM (SELECT doc, offset, term FROM temp.check_pairs_fresh"
            " EXCEPT SELECT doc, offset, term FROM temp.check_pairs_stored))"
        ).fetchone()
    finally:
        for name in ("check_pairs_stored", "check_pairs_fresh", "check_pairs"):
            conn.execute(f"DROP TABLE IF EXISTS temp.{name}")
    if (stale, missing) == (0, 0):
        return []
    return [f"{TABLE}: the phrase index differs from segments ({stale} stale, {missing} missing entries)"]


def _fill(conn: sqlite3.Connection, table: str) -> int:
    written, last = 0, 0
    while True:
        rows = conn.execute(
            "SELECT id, text FROM segments WHERE id > ? ORDER BY id LIMIT ?", (last, _CHUNK)
        ).fetchall()
        if not rows:
            return written
        last = rows[-1][0]
        sequences = impact.token_sequences(conn, {sid: text or "" for sid, text in rows})
        new = [(sid, text) for sid, seq in sequences.items() if (text := pair_text(seq))]
        conn.executemany(f"INSERT INTO {table}(rowid, pairs) VALUES (?, ?)", new)
        written += len(new)
