"""What every search asks of the archive that changes only when its data does, read once per data version.

A search needs to know which sessions are hidden (drafts, retracted), whether the archive holds an automatic
transcript nobody has reviewed (the ASR tier of ``search/paths.py``) and whether any session has a track in another
language (``search/languages.py``). Each is a statement (the ASR one a scan of every track: 44 µs at 1M segments);
here they are read once and kept, per catalog file, under the catalog's data version (``store/version.py``: a token
that moves with every commit by any connection of any process). A search reads the token (a few µs: two ``stat``
calls and the WAL index header) and uses what was read under the same token; a new token reads them again.

``kept`` does the same for values a search computes from the data alone under a key it names (a speaker filter's
speaker ids, the sessions the filters allow, each session's segment id range: ``search/engine.py``,
``search/paths.py``), so a filtered search after the first makes no planning statement.

Never stale: the token is read before the data it stands for, so what is kept is at least as new as its token.
Inside a transaction (a snapshot that may be older than the file, or this connection's own writes not yet
committed) nothing is kept or used: the facts are read from the connection itself. An in-memory catalog has no
file, so no token: read each time. Entries are whole frozen values swapped in one assignment, safe across threads.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from catalog.store import cuts, impact, pairs
from catalog.store.version import file_version

ENABLED = True  # switched off only to show what the tests need (every search then reads the facts anew)


@dataclass(frozen=True)
class Facts:
    hidden: tuple[int, ...]  # sessions only staff may see (draft, retracted)
    unreviewed_asr: bool  # some automatic transcript's lines still carry the recogniser's confidence
    other_tracks: bool  # some session has a caption track in another language
    lists_ready: bool  # the impact lists hold every committed change (``store/impact.py``: ``ready``)
    pairs_present: bool = False  # the phrase index exists (``store/pairs.py``: ``present``)
    cuts_ready: bool = (
        False  # the pairs around cuts hold every committed change (``store/cuts.py``: ``ready``)
    )


_kept: dict[str, tuple[str, Facts]] = {}  # catalog file -> (data version token, its facts)
_memos: dict[str, tuple[str, dict]] = {}  # catalog file -> (data version token, {key: value}) for ``kept``
MEMO_SIZE = 4_096  # values kept per catalog file and data version (past it, the memo starts afresh)
_held = threading.local()  # (connection, version, facts) of the search this thread is running, if any


@contextmanager
def held(conn: sqlite3.Connection) -> Iterator[None]:
    """One search's facts: read (or looked up) once on entry, then what ``of`` and ``version`` give this
    connection until the search ends."""
    before = getattr(_held, "value", None)
    found = _version(conn)
    _held.value = (conn, found, _facts(conn, found))
    try:
        yield
    finally:
        _held.value = before


def of(conn: sqlite3.Connection) -> Facts:
    """The facts of the data this connection sees now (or sees in the search it is running)."""
    now = getattr(_held, "value", None)
    if now is not None and now[0] is conn:
        return now[2]
    return _facts(conn, _version(conn))


def version(conn: sqlite3.Connection) -> tuple[str, str] | None:
    """(catalog file, data version token) while what the connection sees is the file's committed data (not
    inside a transaction); ``None`` otherwise, or for a catalog with no file."""
    now = getattr(_held, "value", None)
    if now is not None and now[0] is conn:
        return now[1]
    return _version(conn)


def kept(conn: sqlite3.Connection, key: Hashable, compute: Callable[[], object]):
    """``compute()`` (what the archive's data alone decides, e.g. a speaker's ids or the sessions a filter allows),
    kept under the data version ``version`` gives this connection: computed again once the data moves, and each
    time inside a transaction, for a catalog with no file or on PostgreSQL. ``key`` must name everything the value depends on
    besides the data. A ``compute`` that raises keeps nothing."""
    found = version(conn) if isinstance(conn, sqlite3.Connection) else None  # (PostgreSQL: read each time)
    if found is None:
        return compute()
    path, token = found
    memo = _memos.get(path)
    if memo is None or memo[0] != token or len(memo[1]) >= MEMO_SIZE:
        memo = (token, {})
        _memos[path] = memo  # (one assignment: another thread sees the old memo or this one, whole)
    values = memo[1]
    try:
        return values[key]
    except KeyError:
        value = compute()
        values[key] = value
        return value


def _facts(conn: sqlite3.Connection, found: tuple[str, str] | None) -> Facts:
    if found is None:
        return _read(conn)
    path, token = found
    kept = _kept.get(path)
    if kept is not None and kept[0] == token:
        return kept[1]
    facts = _read(conn)
    _kept[path] = (token, facts)
    return facts


def _version(conn: sqlite3.Connection) -> tuple[str, str] | None:
    if not ENABLED or conn.in_transaction:
        return None
    path = conn.execute("PRAGMA database_list").fetchone()[2]
    if not path:
        return None
    return path, file_version(path).token


def _read(conn: sqlite3.Connection) -> Facts:
    hidden = conn.execute("SELECT id FROM sessions WHERE status IN ('draft', 'retracted')").fetchall()
    asr = conn.execute("SELECT 1 FROM tracks WHERE source = 'asr' AND reviewed = 0 LIMIT 1").fetchone()
    other = conn.execute("SELECT 1 FROM track_segments LIMIT 1").fetchone()
    return Facts(
        tuple(r[0] for r in hidden),
        asr is not None,
        other is not None,
        impact.ready(conn),
        pairs.present(conn),
        cuts.ready(conn),
    )
