"""Prefix lists: impact lists (``impact.py``) for prefixes of the index's terms, so that ``gove*`` is ranked by
bm25 without scoring every match (issue 12).

FTS5 scores a prefix as one phrase: its count in a segment is the sum of the counts of the terms starting with it,
its df the segments holding any of them. A prefix gets a list when it is *a branch* of the terms (the longest
common prefix of the terms that start with it, and more than one term does) and those terms' dfs summed reach
``impact.MIN_DF``: it keeps its exact ``df`` and every segment whose weight (``impact.weight`` of the prefix's
count and the segment's length at ``impact_meta.avgdl``) reaches its ``theta``, like a term's list. A prefix
whose terms are one term is ranked from that term's own list; a prefix without a list by the scan in
``search/lists.py``. A query ``stem*`` is answered from the list of any listed prefix ``p`` with
``stem <= p <= lcp`` (``lcp`` the common prefix of the terms starting with ``stem``): its terms are ``stem``'s.

Kept current by ``impact.flush`` in the write's own transaction (``flush`` here, given the same tokenized texts):
each listed prefix's df moves and its listed segments come and go; a list past ``2 * LIST_SIZE`` is cut back; a
prefix that becomes a frequent branch gets its list from the index (checked when one of its terms' df passes a
multiple of ``WALK_STEP``). ``rebuild`` (migration 13, and whenever the
impact lists are rebuilt) makes them all from the index.
"""

from __future__ import annotations

import os
import sqlite3
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from itertools import chain
from operator import mul

from catalog.store import impact

_END = "\U0010ffff"
WALK_STEP = 8  # a term's df passing a multiple of this has the branches above it checked for a new list


def present(conn: sqlite3.Connection) -> bool:
    try:
        conn.execute("SELECT 1 FROM impact_prefixes LIMIT 1")
    except sqlite3.OperationalError:  # before migration 13
        return False
    return True


def branch_of(conn: sqlite3.Connection, stem: str) -> tuple[str, str] | None:
    """(first, last) of the indexed terms starting with ``stem`` (df > 0), or ``None`` when none does."""
    first = conn.execute(
        "SELECT term FROM impact_terms WHERE term >= ? AND term < ? AND df > 0 ORDER BY term LIMIT 1",
        (stem, stem + _END),
    ).fetchone()
    if first is None:
        return None
    last = conn.execute(
        "SELECT term FROM impact_terms WHERE term >= ? AND term < ? AND df > 0 ORDER BY term DESC LIMIT 1",
        (stem, stem + _END),
    ).fetchone()
    return first[0], last[0]


def listed(conn: sqlite3.Connection, stem: str, first: str, last: str) -> tuple[int, int, float] | None:
    """(id, df, theta) of a listed prefix standing for exactly the terms that start with ``stem``."""
    common = os.path.commonprefix([first, last])
    names = [common[:i] for i in range(len(stem), len(common) + 1)]
    marks = ",".join("?" * len(names))
    row = conn.execute(
        f"SELECT id, df, theta FROM impact_prefixes WHERE prefix IN ({marks}) ORDER BY length(prefix) LIMIT 1",
        names,
    ).fetchone()
    return None if row is None else (row[0], row[1], row[2])


# -- building them from the index ---------------------------------------------------------------------------------
def _branches(terms: list[tuple[str, int]]) -> list[tuple[str, int, int]]:
    """(prefix, first, end) over ``terms`` (sorted, df > 0): each frequent branch and the slice of its terms."""
    sums: dict[str, int] = Counter()
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for i, (term, df) in enumerate(terms):
        for n in range(1, len(term) + 1):
            p = term[:n]
            sums[p] += df
            first.setdefault(p, i)
            last[p] = i
    found = []
    for p, total in sums.items():
        a, b = first[p], last[p]
        if total >= impact.MIN_DF and a != b and os.path.commonprefix([terms[a][0], terms[b][0]]) == p:
            found.append((p, a, b + 1))
    return found


def rebuild(conn: sqlite3.Connection) -> dict:
    """Fill the prefix lists from ``segments_fts`` (inside the caller's transaction); what was built."""
    if not present(conn):
        return {}
    conn.execute("DELETE FROM impact_prefix_postings")
    conn.execute("DELETE FROM impact_prefixes")
    meta = conn.execute("SELECT avgdl FROM impact_meta WHERE id = 1").fetchone()
    if meta is None:
        return {"prefixes": 0, "postings": 0}
    avgdl = meta[0]
    terms = conn.execute("SELECT term, df FROM impact_terms WHERE df > 0 ORDER BY term").fetchall()
    branches = _branches(terms)
    if not branches:
        return {"prefixes": 0, "postings": 0}
    found = _instances(conn)
    lengths = impact._lengths(conn)
    postings = 0
    for prefix, _a, _b in branches:
        postings += _store(conn, prefix, _segments_of(prefix, *found), lengths, avgdl)
    return {"prefixes": len(branches), "postings": postings}


def _instances(conn: sqlite3.Connection) -> tuple[list[str], list[int], array]:
    """Every instance's segment in term order (fts5vocab's), the index's terms, and where each one's run starts."""
    impact.vocab(conn)
    names: list[str] = []
    starts: list[int] = []
    docs = array("q")
    for term, doc in conn.execute("SELECT term, doc FROM temp.impact_instances"):
        if not names or names[-1] != term:
            names.append(term)
            starts.append(len(docs))
        docs.append(doc)
    starts.append(len(docs))
    return names, starts, docs


def _segments_of(prefix: str, names: list[str], starts: list[int], docs: array) -> Counter:
    """segment id -> the prefix's count in it (its terms' counts summed), for every segment holding it."""
    a, b = bisect_left(names, prefix), bisect_left(names, prefix + _END)
    return Counter(docs[starts[a] : starts[b]])


def problems(conn: sqlite3.Connection) -> list[str]:
    """Each prefix list whose df or segments differ from what the index says (``check``), one line each."""
    if not present(conn):
        return []
    stored = conn.execute(
        "SELECT id, prefix, df, theta, size FROM impact_prefixes ORDER BY prefix"
    ).fetchall()
    meta = conn.execute("SELECT avgdl FROM impact_meta WHERE id = 1").fetchone()
    if not stored or meta is None:
        return []
    avgdl, found, lengths = meta[0], _instances(conn), impact._lengths(conn)
    wrong = []
    for prefix_id, prefix, df, theta, size in stored:
        tfs = _segments_of(prefix, *found)
        listed = {
            sid: (tf, dl)
            for sid, tf, dl in conn.execute(
                "SELECT segment_id, tf, dl FROM impact_prefix_postings WHERE prefix_id = ?", (prefix_id,)
            )
        }
        wanted = {}
        for doc, tf in tfs.items():
            dl = lengths.get(doc, tf)
            if impact.weight(tf, dl, avgdl) >= theta:
                wanted[doc] = (tf, dl)
        if df != len(tfs) or listed != wanted or size != len(listed):
            differ = len(listed.items() ^ wanted.items())
            wrong.append(
                f"prefix list {prefix!r}: df {df} (the index says {len(tfs)}), {size} segments listed, "
                f"{differ} differing from the index"
            )
    return wrong[:20]


def _store(conn: sqlite3.Connection, prefix: str, tfs: Counter, lengths: dict[int, int], avgdl: float) -> int:
    dls = [lengths.get(doc, tf) for doc, tf in tfs.items()]  # (as the term lists: at least its count)
    classes = Counter(zip(tfs.values(), dls, strict=True))
    theta = impact._theta(classes, avgdl)
    good = {key for key in classes if impact.weight(key[0], key[1], avgdl) >= theta}
    prefix_id = conn.execute(
        "INSERT INTO impact_prefixes (prefix, df, theta, size) VALUES (?, ?, ?, 0)", (prefix, len(tfs), theta)
    ).lastrowid
    kept = [
        (prefix_id, doc, tf, dl) for (doc, tf), dl in zip(tfs.items(), dls, strict=True) if (tf, dl) in good
    ]
    conn.executemany(
        "INSERT INTO impact_prefix_postings (prefix_id, segment_id, tf, dl) VALUES (?, ?, ?, ?)", kept
    )
    conn.execute("UPDATE impact_prefixes SET size = ? WHERE id = ?", (len(kept), prefix_id))
    return len(kept)


def _build_one(conn: sqlite3.Connection, prefix: str, avgdl: float) -> None:
    """One prefix's list from the index as it stands (a prefix that just became a frequent branch)."""
    impact.vocab(conn)
    tfs: Counter = Counter(
        doc
        for (doc,) in conn.execute(
            "SELECT doc FROM temp.impact_instances WHERE term >= ? AND term < ?", (prefix, prefix + _END)
        )
    )
    lengths = {}
    docs = list(tfs)
    for start in range(0, len(docs), 500):
        chunk = docs[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for rowid, size in conn.execute(
            f"SELECT id, sz FROM segments_fts_docsize WHERE id IN ({marks})", chunk
        ):
            lengths[rowid] = impact.first_varint(size)
    _store(conn, prefix, tfs, lengths, avgdl)


# -- keeping them current -----------------------------------------------------------------------------------------
def flush(
    conn: sqlite3.Connection,
    removed: list[tuple[int, Counter]],
    added: list[tuple[int, Counter]],
    grown: dict[str, tuple[int, int]],
    avgdl: float,
) -> None:
    """Fold one write's changes in: ``removed`` (segment id, its old text's term counts), ``added`` (segment id,
    its new text's), ``grown`` the terms whose df rose (df before, after): a branch above one that passed a
    multiple of ``WALK_STEP`` is checked for a list (checking above every grown term costs more than the rest of
    the flush; a frequent branch waits at most that many of each of its terms' segments)."""
    if not present(conn):
        return
    rows = conn.execute("SELECT prefix, id, df, theta, size FROM impact_prefixes").fetchall()
    prefixes = {p: [pid, df, theta, size] for p, pid, df, theta, size in rows}
    by_id = {entry[0]: entry for entry in prefixes.values()}
    was = {pid: (df, size) for _p, pid, df, _theta, size in rows}
    # term -> the ids of the listed prefixes it starts with, for every term of the write
    above: dict[str, tuple[int, ...]] = {}
    longest, entry_of = max(map(len, prefixes), default=0), prefixes.get
    for term in {term for _sid, counts in chain(removed, added) for term in counts}:
        ids = []
        for n in range(1, min(len(term), longest) + 1):
            entry = entry_of(term[:n])
            if entry is not None:
                ids.append(entry[0])
        above[term] = tuple(ids)
    ids_above = above.__getitem__

    # a segment is listed under a prefix when its weight reaches the prefix's theta; once is enough when its
    # length's weight for one does (the weight grows with the count): with the prefixes sorted by theta, those
    # are the ones ranked below where that weight falls (``cut``, one bisection per length)
    ordered = sorted((entry[2], pid) for pid, entry in by_id.items())
    thetas = [theta for theta, _pid in ordered]
    rank = {pid: i for i, (_theta, pid) in enumerate(ordered)}
    cut_at: dict[int, int] = {}
    gone, new, lost, held = [], [], [], []
    for sid, counts in removed:
        here = set(chain.from_iterable(map(ids_above, counts)))
        lost += here
        gone += [(pid, sid) for pid in here]
    for sid, counts in added:
        here = Counter(chain.from_iterable(map(mul, map(ids_above, counts), counts.values())))
        held += here
        dl = sum(counts.values())
        cut = cut_at.get(dl)
        if cut is None:
            cut = cut_at[dl] = bisect_right(thetas, impact.weight(1, dl, avgdl))
        for pid, tf in here.items():
            if rank[pid] < cut or (tf > 1 and impact.weight(tf, dl, avgdl) >= by_id[pid][2]):
                new.append((pid, sid, tf, dl))
    moved_df = Counter(held)
    moved_df.subtract(lost)
    for pid, n in moved_df.items():
        by_id[pid][1] += n
    for pid, _sid, _tf, _dl in new:
        by_id[pid][3] += 1
    # (a write that removes segments: their listed pairs, by primary key, in a few statements)
    for pid, n in impact.drop_listed(conn, "impact_prefix_postings", "prefix_id", gone):
        by_id[pid][3] -= n
    new.sort()  # (in key order, as ``impact.flush``'s)
    conn.executemany(
        "INSERT INTO impact_prefix_postings (prefix_id, segment_id, tf, dl) VALUES (?, ?, ?, ?)", new
    )
    moved = [(e[1], e[3], pid) for pid, e in by_id.items() if (e[1], e[3]) != was[pid]]
    conn.executemany("UPDATE impact_prefixes SET df = ?, size = ? WHERE id = ?", moved)
    for _df, size, pid in moved:
        if size > 2 * impact.LIST_SIZE and size // impact.LIST_SIZE != was[pid][1] // impact.LIST_SIZE:
            _cut(conn, pid, avgdl)  # tried each time a list grows past another LIST_SIZE
    stepped = {term for term, (was_df, df) in grown.items() if was_df // WALK_STEP != df // WALK_STEP}
    if stepped:
        _new_branches(conn, stepped, prefixes, avgdl)


def _cut(conn: sqlite3.Connection, prefix_id: int, avgdl: float) -> None:
    rows = conn.execute(
        "SELECT segment_id, tf, dl FROM impact_prefix_postings WHERE prefix_id = ?", (prefix_id,)
    ).fetchall()
    theta = impact._theta(Counter((tf, dl) for _sid, tf, dl in rows), avgdl)
    gone = [(prefix_id, sid) for sid, tf, dl in rows if impact.weight(tf, dl, avgdl) < theta]
    conn.executemany("DELETE FROM impact_prefix_postings WHERE prefix_id = ? AND segment_id = ?", gone)
    conn.execute(
        "UPDATE impact_prefixes SET theta = ?, size = size - ? WHERE id = ?", (theta, len(gone), prefix_id)
    )


def _new_branches(conn: sqlite3.Connection, grown: set[str], prefixes: dict, avgdl: float) -> None:
    """Lists for the prefixes above ``grown`` terms that are now frequent branches and have none. A deeper prefix
    sums fewer terms: each term's path is walked down from its shallowest unlisted prefix only while the sum
    reaches ``MIN_DF``, jumping to where its terms branch."""
    known: dict[str, tuple] = {}
    sql = "SELECT sum(df), min(term), max(term) FROM impact_terms WHERE term >= ? AND term < ? AND df > 0"
    have = set(prefixes)
    for term in sorted(grown):
        n = 1
        while n <= len(term):
            p = term[:n]
            if p in have:
                n += 1
                continue
            if p not in known:
                known[p] = conn.execute(sql, (p, p + _END)).fetchone()
            total, first, last = known[p]
            if not total or total < impact.MIN_DF or first == last:
                break
            common = os.path.commonprefix([first, last])
            if common == p:
                _build_one(conn, p, avgdl)
                have.add(p)
                n += 1
            else:  # the terms under ``p`` all start with ``common`` (``term`` among them)
                n = len(common)
