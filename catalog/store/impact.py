"""Impact lists: every term with its document frequency and the segments where it weighs most (issue 12).

bm25 as FTS5 computes it (``fts5_aux.c``), for a query of terms ``t`` over a segment ``d`` of ``dl`` tokens::

    score(d) = sum over t of idf(t) * weight(tf(t, d), dl, avgdl)
    idf(t) = log((N - df(t) + 0.5) / (df(t) + 0.5)), or 1e-6 where that is not positive
    weight(tf, dl, avgdl) = tf * (K1 + 1) / (tf + K1 * (1 - B + B * dl / avgdl)),   K1 = 1.2, B = 0.75

(FTS5 reports ``-score``: lower is better.) ``N`` and ``avgdl`` are FTS5's own totals (``averages``). Each term
keeps, in ``impact_postings``, every segment whose ``weight`` at the reference length ``impact_meta.avgdl`` reaches
the term's ``theta``, with its ``tf`` and ``dl``; and its ``df`` in ``impact_terms``. A term said in few segments has
``theta`` 0: its list is complete, every segment holding it (a rare word is then ranked from its few rows, without
FTS5 scoring its matches); a list past ``2 * LIST_SIZE`` segments is cut back to about ``LIST_SIZE`` by raising
``theta``. Any segment not listed has a weight below ``theta`` at that length, which bounds what
it can score at today's length (``unlisted_bound``): that bound is what lets a search stop early, exactly.

Kept current in the write's own transaction: triggers on ``segments`` note every inserted, deleted or re-worded
segment in ``impact_pending`` (the old text of what left), and ``flush`` (called by ``db.transaction`` before it
commits) tokenizes those texts with FTS5's own tokenizer (a temporary contentless FTS5 table read through
``fts5vocab``), moves each tracked term's ``df`` and adds or removes its listed segments. A list that grew past
``2 * LIST_SIZE`` is cut back (raising ``theta`` keeps the rule true). ``rebuild`` (migration 11) fills the lists
from the index itself; ``complete`` (migration 16) lists the terms a catalog before it left without one. Session status (drafts, retracted) is applied by the search, not here.
"""

from __future__ import annotations

import math
import re
import sqlite3
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable

K1, B = 1.2, 0.75
MIN_DF = 1_000  # a prefix said in this many segments gets a list (``prefix_lists``); every term has one
# The lists' reference length (``impact_meta.avgdl``) follows the archive's mean segment length while the archive is
# small: a write that moves the mean more than ``DRIFT`` away from it rebuilds the lists at the new mean, up to
# ``REBUILD_ROWS`` segments (a rebuild reads the whole index: 7.3 s at 100k segments). Any reference keeps the
# lists exact; one far from today's mean makes them decide fewer searches (an archive begun empty had the lists of
# its migration at 1.0 token, and at 1M segments a common word then fell back to newest first).
DRIFT = 0.2
REBUILD_ROWS = 20_000
LIST_SIZE = 500  # segments a list is built with (it may grow to twice this before it is cut back)
TOKENIZE = "porter unicode61 remove_diacritics 2"  # segments_fts's tokenizer (schema.py)
_CHUNK = 500
_SCRATCH = threading.Lock()  # threads sharing a connection take turns with its scratch table


def weight(tf: int, dl: int, avgdl: float) -> float:
    return tf * (K1 + 1) / (tf + K1 * (1 - B + B * dl / avgdl))


def idf(rows: int, df: int) -> float:
    value = math.log((rows - df + 0.5) / (df + 0.5)) if rows else 0.0
    return value if value > 0 else 1e-6


def largest_unlisted_tf(theta: float, dl: int, avgdl: float) -> int:
    """The largest term count a segment of ``dl`` tokens can have and still weigh less than ``theta`` at
    ``avgdl`` (0: every segment of that length holding the term is listed)."""
    if theta <= 0:
        return 0
    k = K1 * (1 - B + B * dl / avgdl)
    room = K1 + 1 - theta
    if room <= 0:
        return dl
    limit = theta * k / room  # weight(tf) < theta  <=>  tf < limit
    tf = math.ceil(limit) - 1
    while tf >= 1 and weight(tf, dl, avgdl) >= theta:  # float edges
        tf -= 1
    while tf + 1 <= dl and weight(tf + 1, dl, avgdl) < theta:
        tf += 1
    return min(max(tf, 0), dl)


def averages(conn: sqlite3.Connection, table: str = "segments_fts") -> tuple[int, int]:
    """(rows in the index, tokens in them): FTS5's own totals, which its bm25 uses (of ``segments_fts``, or of
    another FTS5 table of the schema named by ``table``)."""
    row = conn.execute(f"SELECT block FROM {table}_data WHERE id = 1").fetchone()
    if row is None or not row[0]:
        return 0, 0
    values = _varints(row[0])
    return values[0], (values[1] if len(values) > 1 else 0)


def first_varint(blob: bytes | None) -> int:
    """The first of FTS5's varints in ``blob`` (a docsize row: the segment's length in tokens)."""
    if not blob:
        return 0
    if blob[0] < 0x80:
        return blob[0]
    return _varints(blob)[0]


def _varints(blob: bytes) -> list[int]:
    """SQLite-style varints (FTS5's ``sqlite3Fts5GetVarint``): big-endian 7 bits a byte, the 9th byte whole."""
    out, i = [], 0
    while i < len(blob):
        value = 0
        for n in range(9):
            byte = blob[i]
            i += 1
            if n == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        out.append(value)
    return out


# -- tokenizing with FTS5's own tokenizer ---------------------------------------------------------------------
def _scratch(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.impact_scratch USING fts5(text, content='', "
        f"tokenize='{TOKENIZE}')"
    )
    conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.impact_scratch_words "
        "USING fts5vocab(temp, impact_scratch, instance)"
    )


def tokenize(conn: sqlite3.Connection, texts: Iterable[tuple[int, str]]) -> dict[int, Counter]:
    """``key -> Counter(term -> count)`` for each (key, text), tokenized exactly as ``segments_fts`` does."""
    items = [(key, text or "") for key, text in texts]
    counts: dict[int, Counter] = {key: Counter() for key, _ in items}
    with _SCRATCH:
        _scratch(conn)
        conn.executemany("INSERT INTO temp.impact_scratch(rowid, text) VALUES (?, ?)", items)
        pairs = Counter(conn.execute("SELECT doc, term FROM temp.impact_scratch_words").fetchall())
        conn.execute("INSERT INTO temp.impact_scratch(impact_scratch) VALUES ('delete-all')")
    for (doc, term), n in pairs.items():
        counts[doc][term] = n
    return counts


def terms_of(conn: sqlite3.Connection, words: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Each word's tokens as ``segments_fts`` indexes them (stemmed, folded), each once, in term order."""
    words = list(dict.fromkeys(words))
    sequences = token_sequences(conn, dict(enumerate(words)))
    return {word: tuple(sorted(set(sequences.get(i, ())))) for i, word in enumerate(words)}


def df_of(conn: sqlite3.Connection, term: str) -> int | None:
    """The number of segments holding ``term`` (an indexed token), as the lists keep it; ``None`` without lists.
    Exact when nothing is pending (``ready``)."""
    try:
        row = conn.execute("SELECT df FROM impact_terms WHERE term = ?", (term,)).fetchone()
    except sqlite3.OperationalError:  # a catalog older than migration 11
        return None
    return row[0] if row is not None else 0


# -- keeping the lists current ----------------------------------------------------------------------------------
def ready(conn: sqlite3.Connection) -> bool:
    """Lists exist and hold every committed change (nothing pending). Only a SQLite catalog has them."""
    if not isinstance(conn, sqlite3.Connection):
        return False
    try:
        return conn.execute("SELECT 1 FROM impact_pending LIMIT 1").fetchone() is None
    except sqlite3.OperationalError:  # a catalog older than migration 11 (being migrated)
        return False


def flush(conn: sqlite3.Connection, sequences: dict[int, list[str]] | None = None) -> None:
    """Fold the pending changes into the lists (inside the caller's write transaction). A catalog on another
    backend (PostgreSQL) has no lists: nothing to do. ``sequences``: the changed texts' tokens when the caller
    already has them (``pairs.flush``, keyed alike: a removed text by its ``seq``, an added segment by minus its
    id), so they are not tokenized twice."""
    if not isinstance(conn, sqlite3.Connection):
        return
    try:
        pending = conn.execute(
            "SELECT seq, segment_id, added, text FROM impact_pending ORDER BY seq"
        ).fetchall()
    except sqlite3.OperationalError:  # no impact tables yet (before migration 11)
        return
    if not pending:
        return
    meta = conn.execute("SELECT avgdl, max_dl FROM impact_meta WHERE id = 1").fetchone()
    if meta is None:  # (cannot happen after migration 11; an empty list is safe: searches fall back)
        conn.execute("DELETE FROM impact_pending")
        return
    avgdl, max_dl = meta
    removed, added = _net_changes(pending)
    if sequences is None:
        texts = [(seq, text) for seq, _sid, text in removed]
        for chunk in _chunks(added, _CHUNK):
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(f"SELECT id, text FROM segments WHERE id IN ({marks})", chunk).fetchall()
            texts += [(-sid, text) for sid, text in rows]  # added segments are keyed by minus their id
        counts = tokenize(conn, texts)
    else:  # (an added segment no longer in segments is not in them: it was deleted again)
        keys = [seq for seq, _sid, _text in removed] + [-sid for sid in added if -sid in sequences]
        counts = {key: Counter(sequences.get(key, ())) for key in keys}
    terms = _terms(conn, {term for c in counts.values() for term in c})
    sizes = {term: entry[3] for term, entry in terms.items()}
    dfs = {term: entry[2] for term, entry in terms.items()}
    if removed:
        # a listed segment is listed under terms of its old text: those (term, segment) pairs, by primary key
        sid_of = {seq: sid for seq, sid, _text in removed}
        pairs = [
            (terms[term][0], sid_of[key])
            for key, found in counts.items()
            if key > 0
            for term in found
            if terms[term][1] is not None
        ]
        by_id = {entry[0]: entry for entry in terms.values()}
        for term_id, n in drop_listed(conn, "impact_postings", "term_id", pairs):
            by_id[term_id][3] -= n
    new_postings = []
    for key, found in counts.items():
        dl = sum(found.values())
        sign = 1 if key < 0 else -1
        max_dl = max(max_dl, dl) if sign > 0 else max_dl
        for term, tf in found.items():
            entry = terms[term]
            entry[2] += sign
            if sign > 0 and entry[1] is not None and weight(tf, dl, avgdl) >= entry[1]:
                new_postings.append((entry[0], -key, tf, dl))
                entry[3] += 1
    new_postings.sort()  # (in key order: each insert lands next to the one before, ~10-20% faster than not)
    conn.executemany(
        "INSERT OR REPLACE INTO impact_postings (term_id, segment_id, tf, dl) VALUES (?, ?, ?, ?)",
        new_postings,
    )
    # (by primary key, one statement each: ``UPDATE ... FROM`` a temporary table of them scans every term, twice
    # as slow for a 3-hour session's ~4,500 terms at 1M segments)
    conn.executemany(
        "UPDATE impact_terms SET df = ?, size = ? WHERE id = ?", [(e[2], e[3], e[0]) for e in terms.values()]
    )
    conn.execute("UPDATE impact_meta SET max_dl = ? WHERE id = 1", (max_dl,))
    from catalog.store import prefix_lists

    prefix_lists.flush(
        conn,
        [(sid, counts[seq]) for seq, sid, _text in removed],
        [(-key, found) for key, found in counts.items() if key < 0],
        {term: (dfs[term], entry[2]) for term, entry in terms.items() if entry[2] > dfs[term]},
        avgdl,
    )
    for term, (term_id, theta, df, size) in terms.items():
        if theta is None and df >= MIN_DF:
            _build_list(conn, term_id, term, avgdl)  # newly frequent: its list, from the index
        elif theta is not None and size > 2 * LIST_SIZE and size // LIST_SIZE != sizes[term] // LIST_SIZE:
            _cut(
                conn, term_id, avgdl
            )  # tried each time a list grows past another LIST_SIZE (ties may hold it)
    conn.execute("DELETE FROM impact_pending")
    _follow_length(conn, avgdl, counts)


def drop_listed(
    conn: sqlite3.Connection, table: str, key: str, pairs: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Delete these (``key``, segment id) pairs from the list table ``table`` (``impact_postings`` by term,
    ``impact_prefix_postings`` by prefix), by its primary key, in a few statements whatever their number; return
    (key, rows deleted) for each key that had any."""
    if not pairs:
        return []
    scratch = f"{table}_gone"
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {scratch} ({key} INTEGER, segment_id INTEGER)")
    conn.executemany(f"INSERT INTO temp.{scratch} VALUES (?, ?)", pairs)
    listed = f"({key}, segment_id) IN (SELECT {key}, segment_id FROM temp.{scratch})"
    counts = conn.execute(f"SELECT {key}, count(*) FROM {table} WHERE {listed} GROUP BY {key}").fetchall()
    conn.execute(f"DELETE FROM {table} WHERE {listed}")
    conn.execute(f"DELETE FROM temp.{scratch}")
    return counts


def complete(conn: sqlite3.Connection) -> int:
    """Give every term without a list its list (migration 16: before it, a term said in fewer than ``MIN_DF``
    segments had none, and a search ranked it with FTS5's bm25 over all its matches); how many. Inside the
    caller's transaction. At 1M segments: 28,624 terms, 2.2M more listed segments (+17 MB), ~11 s."""
    meta = conn.execute("SELECT avgdl FROM impact_meta WHERE id = 1").fetchone()
    if meta is None:
        return 0
    rows = conn.execute("SELECT id, term FROM impact_terms WHERE theta IS NULL AND df > 0").fetchall()
    for term_id, term in rows:
        _build_list(conn, term_id, term, meta[0])
    conn.execute("UPDATE impact_terms SET theta = 0, size = 0 WHERE theta IS NULL")  # (said nowhere now)
    return len(rows)


def drift(conn: sqlite3.Connection) -> tuple[float, float] | None:
    """(the lists' reference segment length, the archive's mean now) in tokens, when they are more than ``DRIFT``
    apart; ``None`` when they are not, or there is nothing to compare. Lists that far off stay exact, but rank fewer
    searches (those fall back to FTS5's full pass); ``refit`` rebuilds them."""
    try:
        meta = conn.execute("SELECT avgdl FROM impact_meta WHERE id = 1").fetchone()
    except sqlite3.OperationalError:  # (no lists: another backend, or a catalog being migrated)
        return None
    rows, tokens = averages(conn)
    if not rows or not tokens:
        return None
    mean, reference = tokens / rows, (meta[0] if meta is not None else 0.0)
    if reference > 0 and abs(mean / reference - 1) <= DRIFT:
        return None
    return float(reference), mean


def refit(conn: sqlite3.Connection) -> bool:
    """Rebuild the lists when their reference length is more than ``DRIFT`` from the archive's mean, whatever its
    size (migration 15: an archive begun empty before the lists followed it has them at 1.0 token); whether it
    did. Inside the caller's transaction."""
    if drift(conn) is None:
        return False
    rebuild(conn)
    return True


def _follow_length(conn: sqlite3.Connection, reference: float, counts: dict[int, Counter]) -> None:
    """Rebuild the lists at today's mean segment length when it left their reference by more than ``DRIFT`` and
    the archive is small enough to rebuild inside this write (``REBUILD_ROWS``); FTS5's totals as last committed,
    moved by this write's changes (added texts are keyed below 0, removed ones above)."""
    rows, tokens = averages(conn)
    for key, found in counts.items():
        sign = 1 if key < 0 else -1
        rows += sign
        tokens += sign * sum(found.values())
    if rows <= 0 or rows > REBUILD_ROWS or tokens <= 0:
        return
    if reference > 0 and abs(tokens / rows / reference - 1) <= DRIFT:
        return
    rebuild(conn, totals=(rows, tokens))


def _net_changes(pending: list[tuple]) -> tuple[list[tuple[int, int, str]], list[int]]:
    """(removed: (seq, segment id, old text), added: segment ids) once changes that undo each other are
    dropped: a text added and removed again in the batch counts for nothing."""
    first_add: dict[int, int] = {}
    last_remove: dict[int, int] = {}
    for seq, sid, was_added, _text in pending:
        if was_added:
            first_add.setdefault(sid, seq)
        else:
            last_remove[sid] = seq
    removed, added = [], []
    for seq, sid, was_added, text in pending:
        if was_added:
            if last_remove.get(sid, -1) > seq:  # removed (or re-worded) later in the batch
                continue
            added.append(sid)
        else:
            if first_add.get(sid, seq + 1) < seq:  # what it removes was added in this batch
                continue
            removed.append((seq, sid, text))
    return removed, list(dict.fromkeys(added))


def _terms(conn: sqlite3.Connection, seen: set[str]) -> dict[str, list]:
    """``term -> [id, theta, df, size]`` for each of ``seen``; a term new to the archive is added (df 0)."""
    found: dict[str, list] = {}
    for chunk in _chunks(sorted(seen), _CHUNK):
        marks = ",".join("?" * len(chunk))
        for term_id, term, theta, df, size in conn.execute(
            f"SELECT id, term, theta, df, size FROM impact_terms WHERE term IN ({marks})", chunk
        ):
            found[term] = [term_id, theta, df, size]
    new = [term for term in seen if term not in found]
    for term in new:  # a new term's list is complete (theta 0): every segment holding it is listed
        term_id = conn.execute(
            "INSERT INTO impact_terms (term, df, theta, size) VALUES (?, 0, 0.0, 0)", (term,)
        ).lastrowid
        found[term] = [term_id, 0.0, 0, 0]
    return found


def _build_list(conn: sqlite3.Connection, term_id: int, term: str, avgdl: float) -> None:
    """A term's list (and exact df) from the index as it stands, replacing what it had."""
    vocab(conn)
    tfs: dict[int, int] = defaultdict(int)
    for (doc,) in conn.execute("SELECT doc FROM temp.impact_instances WHERE term = ?", (term,)):
        tfs[doc] += 1
    lengths: dict[int, int] = {}
    docs = list(tfs)
    for chunk in _chunks(docs, _CHUNK):
        marks = ",".join("?" * len(chunk))
        for rowid, size in conn.execute(
            f"SELECT id, sz FROM segments_fts_docsize WHERE id IN ({marks})", chunk
        ):
            lengths[rowid] = _varints(size)[0] if size else 0
    _store_list(conn, term_id, tfs, lengths, avgdl)


def _store_list(
    conn: sqlite3.Connection, term_id: int, tfs: dict[int, int], lengths: dict[int, int], avgdl: float
) -> int:
    classes: Counter = Counter((tf, lengths.get(doc, tf)) for doc, tf in tfs.items())
    weights = {key: weight(key[0], key[1], avgdl) for key in classes}
    theta = _theta(classes, avgdl)
    kept = [
        (term_id, doc, tf, lengths.get(doc, tf))
        for doc, tf in tfs.items()
        if weights[(tf, lengths.get(doc, tf))] >= theta
    ]
    conn.execute("DELETE FROM impact_postings WHERE term_id = ?", (term_id,))
    conn.executemany("INSERT INTO impact_postings (term_id, segment_id, tf, dl) VALUES (?, ?, ?, ?)", kept)
    conn.execute(
        "UPDATE impact_terms SET df = ?, theta = ?, size = ? WHERE id = ?",
        (len(tfs), theta, len(kept), term_id),
    )
    return len(kept)


def vocab(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.impact_instances USING fts5vocab(main, segments_fts, instance)"
    )


def _cut(conn: sqlite3.Connection, term_id: int, avgdl: float) -> None:
    """Cut a list back to about ``LIST_SIZE`` segments by raising its ``theta``."""
    rows = conn.execute(
        "SELECT segment_id, tf, dl FROM impact_postings WHERE term_id = ?", (term_id,)
    ).fetchall()
    theta = _theta(Counter((tf, dl) for _sid, tf, dl in rows), avgdl)
    gone = [(term_id, sid) for sid, tf, dl in rows if weight(tf, dl, avgdl) < theta]
    conn.executemany("DELETE FROM impact_postings WHERE term_id = ? AND segment_id = ?", gone)
    conn.execute(
        "UPDATE impact_terms SET theta = ?, size = size - ? WHERE id = ?", (theta, len(gone), term_id)
    )


def _theta(classes: Counter, avgdl: float) -> float:
    """The weight of the ``LIST_SIZE``-th best segment (ties included); 0 when all of them fit."""
    if sum(classes.values()) <= LIST_SIZE:
        return 0.0
    taken = 0
    for w, n in sorted(((weight(tf, dl, avgdl), n) for (tf, dl), n in classes.items()), reverse=True):
        taken += n
        if taken >= LIST_SIZE:
            return w
    return 0.0


# -- building them from the index ---------------------------------------------------------------------------------
def rebuild(conn: sqlite3.Connection, totals: tuple[int, int] | None = None) -> dict:
    """Fill the tables from ``segments_fts`` (inside the caller's transaction); what was built. ``totals``: the
    index's (rows, tokens) when the caller knows them better than FTS5's committed record (a write under way)."""
    for table in ("impact_postings", "impact_terms", "impact_pending", "impact_meta"):
        conn.execute(f"DELETE FROM {table}")
    rows, tokens = averages(conn) if totals is None else totals
    avgdl = tokens / rows if rows else 1.0
    lengths = _lengths(conn)
    conn.execute(
        "INSERT INTO impact_meta (id, avgdl, max_dl) VALUES (1, ?, ?)",
        (avgdl, max(lengths.values(), default=0)),
    )
    conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.impact_rows USING fts5vocab(main, segments_fts, row)"
    )
    vocab(conn)
    every = conn.execute("SELECT term, doc FROM temp.impact_rows").fetchall()
    conn.executemany("INSERT INTO impact_terms (term, df, theta, size) VALUES (?, ?, NULL, 0)", every)
    postings = frequent = 0
    for term, df in every:  # every term's list: complete up to LIST_SIZE segments, then cut (``_theta``)
        frequent += df >= MIN_DF
        tfs: dict[int, int] = defaultdict(int)
        for (doc,) in conn.execute("SELECT doc FROM temp.impact_instances WHERE term = ?", (term,)):
            tfs[doc] += 1
        term_id = conn.execute("SELECT id FROM impact_terms WHERE term = ?", (term,)).fetchone()[0]
        postings += _store_list(conn, term_id, tfs, lengths, avgdl)
    conn.execute("DROP TABLE temp.impact_rows")
    from catalog.store import prefix_lists

    built = prefix_lists.rebuild(conn)  # (nothing before migration 13: that migration builds them)
    return {"terms": len(every), "lists": frequent, "postings": postings, "avgdl": avgdl, **built}


def _lengths(conn: sqlite3.Connection) -> dict[int, int]:
    """Each indexed segment's length in tokens (FTS5's ``docsize``, one varint per column)."""
    return {
        rowid: _varints(size)[0] if size else 0
        for rowid, size in conn.execute("SELECT id, sz FROM segments_fts_docsize")
    }


def _chunks(values: list, size: int) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def token_sequences(conn: sqlite3.Connection, texts: dict[int, str]) -> dict[int, list[str]]:
    """Each text's tokens in order, as ``segments_fts`` indexes them. A text of characters below ``SPLIT_BELOW``
    is split here (``WORD``) and its words' tokens come from ``stems_of``; any other text is tokenized by FTS5."""
    words: dict[int, list[str]] = {}
    slow: dict[int, str] = {}
    for key, text in texts.items():
        if not text or max(text) < SPLIT_BELOW:
            words[key] = WORD.findall(text or "")
        else:
            slow[key] = text
    found = stems_of(conn, words)
    slow.update((key, texts[key]) for key in words if key not in found)
    if slow:
        found.update(_fts_sequences(conn, slow))
    return found


# Below U+0300 unicode61's token characters are exactly the letters and digits (categories L*, N*), as ``WORD``
# finds them: ``tests/test_search_stems.py`` checks every such character against FTS5. So a text of such
# characters is split here, alike, and each word is one token, the same whatever surrounds it.
SPLIT_BELOW = "\u0300"
WORD = re.compile(r"[^\W_]+")
_STEMS: dict[str, str] = {}  # word -> FTS5's token of it (learned from FTS5's own tokenizer)
_ODD: set[str] = set()  # words FTS5 does not make exactly one token of (none are known: kept to be safe)
_STEMS_MAX = 400_000


def stems_of(conn: sqlite3.Connection, words: dict[int, list[str]]) -> dict[int, list[str]]:
    """Each key's words (split by ``WORD`` from a text below ``SPLIT_BELOW``) as FTS5's tokens: from what its
    tokenizer made of each word, asked once per process for the words not seen yet (one pass for all of them).
    A key holding a word that is not exactly one token is left out."""
    found: dict[int, list[str]] = {}
    pending = []
    get = _STEMS.__getitem__
    for key, these in words.items():
        try:
            found[key] = list(map(get, these))
        except KeyError:
            pending.append(key)
    if pending:
        unknown = {w for key in pending for w in words[key] if w not in _STEMS and w not in _ODD}
        for word in [w for w in unknown if w.isascii()]:
            lower = _STEMS.get(word.lower())  # (unicode61 folds ASCII letters as str.lower does: one token)
            if lower is not None:
                _STEMS[word] = lower
                unknown.discard(word)
        if unknown:
            _learn(conn, unknown)
        for key in pending:  # (a key whose word another thread's clearing took away is left out too)
            stems = [_STEMS.get(w) for w in words[key]]
            if None not in stems:
                found[key] = stems  # type: ignore[assignment]
    return found


def known_terms(word: str) -> tuple[str, ...] | None:
    """``terms_of`` one word from what this process has learned alone (no statement); ``None`` if not known."""
    if not word or max(word) >= SPLIT_BELOW:
        return None
    stems = [_STEMS.get(w) for w in WORD.findall(word)]
    return None if None in stems else tuple(sorted(set(stems)))  # type: ignore[arg-type]


def learn(conn: sqlite3.Connection, words: Iterable[str]) -> None:
    """Learn the tokens of these words (of letters and digits below ``SPLIT_BELOW``) not known yet, in one pass: the
    typo vocabulary teaches every word of the archive once per process (``search/typos.py``), so that a search
    finds its words' and its hits' tokens here instead of asking FTS5's tokenizer (~26 µs a word not known)."""
    unknown = {w for w in words if w and w not in _STEMS and w not in _ODD and max(w) < SPLIT_BELOW}
    unknown = {w for w in unknown if WORD.fullmatch(w)}
    if unknown and len(unknown) + len(_STEMS) <= _STEMS_MAX:
        _learn(conn, unknown)


def _learn(conn: sqlite3.Connection, words: set[str]) -> None:
    """Learn these words' tokens: all of them as one text (a run of letters and digits is one token, so the
    text's tokens are the words' in order: twice as fast as a text a word); one text a word if not."""
    ordered = sorted(words)
    together = _fts_sequences(conn, {0: " ".join(ordered)}).get(0, [])
    if len(together) == len(ordered):
        sequences = {i: [token] for i, token in enumerate(together)}
    else:
        sequences = _fts_sequences(conn, dict(enumerate(ordered)))
    if len(_STEMS) + len(ordered) > _STEMS_MAX:
        _STEMS.clear()
    for i, word in enumerate(ordered):
        seq = sequences.get(i, [])
        if len(seq) == 1:
            _STEMS[word] = seq[0]
        else:
            _ODD.add(word)


def _fts_sequences(conn: sqlite3.Connection, texts: dict[int, str]) -> dict[int, list[str]]:
    """Each text's tokens in order, from FTS5's tokenizer (a temporary contentless table read by fts5vocab)."""
    found: dict[int, dict[int, str]] = {key: {} for key in texts}
    with _SCRATCH:
        _scratch(conn)
        conn.executemany("INSERT INTO temp.impact_scratch(rowid, text) VALUES (?, ?)", list(texts.items()))
        rows = conn.execute("SELECT doc, term, offset FROM temp.impact_scratch_words").fetchall()
        conn.execute("INSERT INTO temp.impact_scratch(impact_scratch) VALUES ('delete-all')")
    for doc, term, offset in rows:
        found[doc][offset] = term
    return {key: [at[i] for i in sorted(at)] for key, at in found.items()}


def term_offsets(
    conn: sqlite3.Connection, text: str, terms: Iterable[str]
) -> tuple[int, list[tuple[str, int]]]:
    """(tokens in ``text``, [(term, token offset)] of each of ``terms`` in it), tokenized as ``segments_fts``
    does: one scratch row, so texts joined by spaces are tokenized at the cost of one."""
    wanted = sorted(set(terms))
    marks = ",".join("?" * len(wanted))
    with _SCRATCH:
        _scratch(conn)
        conn.execute("INSERT INTO temp.impact_scratch(rowid, text) VALUES (1, ?)", (text,))
        size = conn.execute("SELECT sz FROM temp.impact_scratch_docsize WHERE id = 1").fetchone()
        found = conn.execute(
            f"SELECT term, offset FROM temp.impact_scratch_words WHERE term IN ({marks})", wanted
        ).fetchall()
        conn.execute("INSERT INTO temp.impact_scratch(impact_scratch) VALUES ('delete-all')")
    return first_varint(size[0] if size else None), found
