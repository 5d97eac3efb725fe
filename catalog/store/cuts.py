"""The pairs that span each segment cut (issue 12, schema migration 14), so that a phrase's possible crossings
(``catalog/search/crosscut.py``) are found from its pairs instead of a walk of the cross-cut windows.

A phrase said over a cut, starting in segment ``s``, holds two consecutive tokens around the cut: ``s``'s last
token and the first token said after it. ``impact_cuts`` keeps that pair (``a_b``, tokens as ``segments_fts``
indexes them: stemmed, folded, ``impact.token_sequences``) for each segment that has a token and, among the next
``HEAD_SEGMENTS`` segments of its session (by position, as its window's head reads them), one that has a token:
the first such segment's first token. A phrase of tokens ``t1 … tn`` can only cross the cut of a segment whose
pair is one of its ``t(k)_t(k+1)``; the stemmed tokens being a superset of the windows' unstemmed ones, no
crossing is missed, and each candidate is then checked against its window as before.

Kept current in each write transaction, like the impact lists: triggers on ``segments`` record the (session,
position) of every insert, delete, re-worded or moved segment in ``impact_cuts_pending``; ``flush`` (called by
``db.transaction`` with the other lists) recomputes the pairs of the segments whose next ones may have changed
(the changed one and the ``HEAD_SEGMENTS`` before it) and clears the record. ``rebuild`` (the migration) fills it.
``impact_`` names: copies and backups leave it out and rebuild it. Only a SQLite catalog has it.
"""

from __future__ import annotations

import sqlite3

from catalog.store import impact
from catalog.store.schema import HEAD_SEGMENTS

TABLE = "impact_cuts"
PENDING = "impact_cuts_pending"
CONTEXT = 3  # tokens kept on each side of a cut: most phrases' candidates are told apart without the text


def present(conn: sqlite3.Connection) -> bool:
    if not isinstance(conn, sqlite3.Connection):
        return False
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (TABLE,)).fetchone() is not None


def ready(conn: sqlite3.Connection) -> bool:
    """The table exists and holds every committed change (nothing pending)."""
    if not isinstance(conn, sqlite3.Connection):
        return False
    try:
        return conn.execute(f"SELECT 1 FROM {PENDING} LIMIT 1").fetchone() is None
    except sqlite3.OperationalError:  # before migration 14
        return False


def candidates(conn: sqlite3.Connection, wanted: list[str]) -> tuple[list[int], list[int]]:
    """The segments whose cut a phrase of tokens ``wanted`` crosses, in id order: (those where the tokens kept
    around the cut hold it whole, those where they hold all of it they can and the texts must tell)."""
    n = len(wanted)
    if n < 2:
        return [], []
    # each cut the phrase may cross (after its k-th token) asks the row's pair and, in C, that the tokens kept
    # around the cut read as the phrase does there (a necessary condition; checked in full below)
    asks, params = [], []
    for k in range(1, n):
        asks.append("(pair = ? AND instr(' ' || context || ' ', ?) > 0)")
        params += [wanted[k - 1] + "_" + wanted[k], f" {' '.join(wanted[max(k - CONTEXT, 0) : k])}|"]
        params[-1] += " ".join(wanted[k : k + CONTEXT]) + " "
    rows = conn.execute(
        f"SELECT segment_id, context FROM {TABLE} WHERE {' OR '.join(asks)}", params
    ).fetchall()
    sure, maybe = set(), set()
    for sid, context in rows:
        before, _, after = context.partition("|")
        tail, head = before.split(" "), after.split(" ")
        for k in range(1, n):
            # the phrase's first k tokens end the segment, the rest follow the cut
            if k > len(tail) < CONTEXT or n - k > len(head) < CONTEXT:
                continue  # the segment (or what follows within its window) has fewer tokens
            if tail[-k:] == wanted[max(k - len(tail), 0) : k] and head[: n - k] == wanted[k : k + len(head)]:
                (sure if k <= len(tail) and n - k <= len(head) else maybe).add(sid)
    return sorted(sure), sorted(maybe - sure)


def crossing(conn: sqlite3.Connection, wanted: list[str], ids: list[int]) -> list[int]:
    """Those of ``ids`` where the phrase of tokens ``wanted`` starts in the segment's own tokens and runs past its
    cut, in the tokens of its window (``segment_windows``: its text and the head of the next ones), stemmed as
    ``segments_fts`` does: a superset of the windows' own (unstemmed) matches."""
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = conn.execute(
        f"SELECT s.id, s.text, w.text FROM segments s JOIN segment_windows w ON w.id = s.id WHERE s.id IN ({marks})",
        ids,
    ).fetchall()
    texts = {}
    for sid, own, window in rows:
        texts[sid] = own or ""
        texts[-sid] = window or ""
    sequences = impact.token_sequences(conn, texts)
    n, found = len(wanted), []
    for sid, _own, _window in rows:
        size, tokens = len(sequences.get(sid, [])), sequences.get(-sid, [])
        if any(tokens[size - k : size - k + n] == wanted for k in range(1, min(n, size + 1))):
            found.append(sid)
    return sorted(found)


def flush(conn: sqlite3.Connection, sequences: dict[int, list[str]] | None = None) -> None:
    """Fold the recorded changes into the pairs (inside the caller's write transaction). Nothing to do on
    PostgreSQL or before migration 14. ``sequences``: tokens the caller has of segments' texts as they stand,
    keyed by minus the segment's id (``pairs.flush``'s); the other texts are tokenized here."""
    if not isinstance(conn, sqlite3.Connection):
        return
    try:
        pending = conn.execute(f"SELECT DISTINCT segment_id, session_id, position FROM {PENDING}").fetchall()
    except sqlite3.OperationalError:  # before migration 14
        return
    if not pending:
        return
    touched = sorted({sid for sid, _session, _position in pending})
    for start in range(0, len(touched), 500):
        chunk = touched[start : start + 500]
        conn.execute(f"DELETE FROM {TABLE} WHERE segment_id IN ({','.join('?' * len(chunk))})", chunk)
    by_session: dict[int, set[int]] = {}
    for _sid, session, position in pending:
        by_session.setdefault(session, set()).add(position)
    for session, positions in by_session.items():
        _renew(conn, session, sorted(positions), sequences or {})
    conn.execute(f"DELETE FROM {PENDING}")


def _renew(conn: sqlite3.Connection, session: int, positions: list[int], known: dict[int, list[str]]) -> None:
    """Recompute the pairs of the segments of a session whose next ones may have changed: each at a changed
    position and the ``HEAD_SEGMENTS`` before it."""
    if len(positions) > 64:  # an ingest: the whole session
        segments = conn.execute(
            "SELECT id, position, text FROM segments WHERE session_id = ? ORDER BY position", (session,)
        ).fetchall()
        _write(conn, segments, {sid for sid, _p, _t in segments}, known=known)
        return
    affected: set[int] = set()
    for position in positions:
        rows = conn.execute(
            "SELECT id FROM segments WHERE session_id = ? AND position <= ? ORDER BY position DESC LIMIT ?",
            (session, position, HEAD_SEGMENTS + 1),
        ).fetchall()
        affected.update(r[0] for r in rows)
    if not affected:
        return
    marks = ",".join("?" * len(affected))
    low = conn.execute(
        f"SELECT min(position) FROM segments WHERE id IN ({marks})", sorted(affected)
    ).fetchone()[0]
    high = max(positions)
    segments = conn.execute(
        "SELECT id, position, text FROM segments WHERE session_id = ? AND position >= ? "
        "ORDER BY position LIMIT ?",
        (session, low, _count_between(conn, session, low, high) + HEAD_SEGMENTS),
    ).fetchall()
    _write(conn, segments, affected, known=known)


def _count_between(conn: sqlite3.Connection, session: int, low: int, high: int) -> int:
    return conn.execute(
        "SELECT count(*) FROM segments WHERE session_id = ? AND position BETWEEN ? AND ?",
        (session, low, high),
    ).fetchone()[0]


def _write(
    conn: sqlite3.Connection,
    segments: list[tuple[int, int, str]],
    which: set[int],
    table: str = TABLE,
    known: dict[int, list[str]] | None = None,
) -> None:
    """Write the pairs of those segments of ``segments`` (one session's, in position order, each followed by the
    ``HEAD_SEGMENTS`` after it when there are) that are in ``which``; their old rows were taken out. ``known``:
    tokens already made of some of these texts, keyed by minus the segment's id."""
    known = known or {}
    sequences = {sid: known[-sid] for sid, _position, _text in segments if -sid in known}
    rest = {sid: text or "" for sid, _position, text in segments if sid not in sequences}
    if rest:
        sequences.update(impact.token_sequences(conn, rest))
    tokens = [sequences.get(sid, []) for sid, _position, _text in segments]
    rows = []
    for index, (sid, _position, _text) in enumerate(segments):
        if sid not in which or not tokens[index]:
            continue
        head: list[str] = []
        for following in tokens[index + 1 : index + 1 + HEAD_SEGMENTS]:
            head += following[: CONTEXT - len(head)]
            if len(head) == CONTEXT:
                break
        if head:
            tail = tokens[index][-CONTEXT:]
            rows.append((sid, tail[-1] + "_" + head[0], " ".join(tail) + "|" + " ".join(head)))
    ids = sorted(which)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        conn.execute(f"DELETE FROM {table} WHERE segment_id IN ({','.join('?' * len(chunk))})", chunk)
    rows.sort(key=lambda row: (row[1], row[0]))  # (in the table's key order, as ``impact.flush``'s)
    conn.executemany(f"INSERT INTO {table} (segment_id, pair, context) VALUES (?, ?, ?)", rows)


def rebuild(conn: sqlite3.Connection) -> int:
    """Fill the table from the segments (inside the caller's transaction); the rows written."""
    conn.execute(f"DELETE FROM {TABLE}")
    conn.execute(f"DELETE FROM {PENDING}")
    sessions = [r[0] for r in conn.execute("SELECT DISTINCT session_id FROM segments ORDER BY session_id")]
    for session in sessions:
        segments = conn.execute(
            "SELECT id, position, text FROM segments WHERE session_id = ? ORDER BY position", (session,)
        ).fetchall()
        _write(conn, segments, {sid for sid, _p, _t in segments})
    return conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]


def problems(conn: sqlite3.Connection) -> list[str]:
    """How the cut pairs differ from the segments' text now (for ``check``): built again in a private table and
    compared row by row; empty when they are true (or absent: before 14)."""
    if not present(conn):
        return []
    conn.execute("DROP TABLE IF EXISTS temp.check_cuts")
    conn.execute(
        "CREATE TEMP TABLE check_cuts (segment_id INTEGER PRIMARY KEY, pair TEXT NOT NULL, context TEXT NOT NULL)"
    )
    try:
        for (session,) in conn.execute("SELECT DISTINCT session_id FROM segments").fetchall():
            segments = conn.execute(
                "SELECT id, position, text FROM segments WHERE session_id = ? ORDER BY position", (session,)
            ).fetchall()
            _write(conn, segments, {sid for sid, _p, _t in segments}, "temp.check_cuts")
        stale, missing = conn.execute(
            f"SELECT (SELECT count(*) FROM (SELECT segment_id, pair, context FROM main.{TABLE} "
            "EXCEPT SELECT segment_id, pair, context FROM temp.check_cuts)), "
            "(SELECT count(*) FROM (SELECT segment_id, pair, context FROM temp.check_cuts "
            f"EXCEPT SELECT segment_id, pair, context FROM main.{TABLE}))"
        ).fetchone()
    finally:
        conn.execute("DROP TABLE IF EXISTS temp.check_cuts")
    if (stale, missing) == (0, 0):
        return []
    return [
        f"{TABLE}: the pairs around segment cuts differ from segments ({stale} stale, {missing} missing rows)"
    ]
