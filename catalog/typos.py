"""Typo tolerance: a query word the archive does not hold is read as the archive's nearest word.

The rule searchers know from Meilisearch: a word of 5 letters or more may be one edit away (an adjacent
transposition counts as one), 9 or more two edits. A word the archive holds (any form of it, as search matches
it) is never changed. The vocabulary is every word of the transcripts (``segment_words``, fts5vocab over the
unstemmed windows of catalog/crosscut.py) plus the words of speakers', topics' and sessions' names; it is read
once per process and read again when the archive's words may have changed (``_version``). The edit distances
are rapidfuzz's (optimal string alignment).
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from catalog.query import Query, words_of

ONE_EDIT, TWO_EDITS = 5, 9  # word lengths from which one, then two edits are allowed
ENABLED = True  # switched off only to show that the quote test needs it


@dataclass(frozen=True)
class Vocabulary:
    by_length: dict[int, list[str]]  # words of each length, most frequent first
    names: frozenset[str]


_cache: dict[str, tuple[tuple, Vocabulary]] = {}


def folded(word: str) -> str:
    """Lower case without diacritics: the form the full-text index keeps."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def corrected_text(conn: sqlite3.Connection, text: str, query: Query, *, in_phrases: bool) -> str | None:
    """``text`` with each misspelt word replaced by the archive's word, or ``None`` when nothing changes.
    Bare words are looked at; the words of quoted phrases only when ``in_phrases``."""
    if not ENABLED:
        return None
    changes: dict[str, str] = {}
    for group in query.groups:
        for term in group:
            if term.prefix or (" " in term.text and not in_phrases):
                continue
            for word in term.words():
                fix = correction(conn, word)
                if fix is not None:
                    changes[word] = fix
    if not changes:
        return None
    pattern = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, changes)) + r")(?!\w)")
    return pattern.sub(lambda m: changes[m.group(1)], text)


def correction(conn: sqlite3.Connection, word: str) -> str | None:
    """The archive word this one is a typo of, or ``None`` (too short, held by the archive, or nothing near)."""
    if len(word) < ONE_EDIT or not word.isalpha():
        return None
    form = folded(word)
    vocabulary = vocabulary_of(conn)
    if form in vocabulary.names or _in_archive(conn, form):
        return None
    edits = 2 if len(form) >= TWO_EDITS else 1
    best: tuple[int, int, str] | None = None
    for length in range(len(form) - edits, len(form) + edits + 1):
        words = vocabulary.by_length.get(length)
        if not words:
            continue
        found = process.extractOne(form, words, scorer=OSA.distance, score_cutoff=edits)
        if found is not None and (best is None or (found[1], found[2]) < best[:2]):
            best = (found[1], found[2], found[0])
    return best[2] if best else None


def _in_archive(conn: sqlite3.Connection, form: str) -> bool:
    """Any form of the word is in a transcript (stemmed, as search matches: ``shelters`` finds "shelter")."""
    if conn.execute("SELECT 1 FROM segment_words WHERE term = ?", (form,)).fetchone():
        return True
    quoted = '"' + form.replace('"', '""') + '"'
    return (
        conn.execute("SELECT 1 FROM segments_fts WHERE segments_fts MATCH ? LIMIT 1", (quoted,)).fetchone()
        is not None
    )


def vocabulary_of(conn: sqlite3.Connection) -> Vocabulary:
    path = conn.execute("PRAGMA database_list").fetchone()[2] or f"memory:{id(conn)}"
    version = _version(conn)
    cached = _cache.get(path)
    if cached is not None and cached[0] == version:
        return cached[1]
    vocabulary = _read(conn)
    _cache[path] = (version, vocabulary)
    return vocabulary


def _version(conn: sqlite3.Connection) -> tuple:
    """Changes whenever the archive's words may have: segments added or corrected, sessions or names changed."""
    return conn.execute(
        "SELECT (SELECT max(id) FROM segments), (SELECT count(*) FROM segments), "
        "(SELECT max(id) FROM segment_versions), (SELECT max(updated_at) FROM sessions), "
        "(SELECT count(*) FROM sessions), (SELECT max(id) FROM speakers), (SELECT max(id) FROM topics)"
    ).fetchone()


def _read(conn: sqlite3.Connection) -> Vocabulary:
    by_length: dict[int, list[tuple[int, str]]] = {}
    for term, count in conn.execute("SELECT term, doc FROM segment_words"):
        if len(term) >= ONE_EDIT - 2 and term.isalpha():
            by_length.setdefault(len(term), []).append((-count, term))
    names: set[str] = set()
    for (text,) in conn.execute(
        "SELECT name FROM speakers UNION ALL SELECT name FROM topics "
        "UNION ALL SELECT coalesce(title, '') || ' ' || coalesce(event, '') FROM sessions"
    ):
        names.update(folded(w) for w in words_of(text or ""))
    for name in names:
        if name.isalpha():
            by_length.setdefault(len(name), []).append((0, name))
    ordered = {n: list(dict.fromkeys(t for _, t in sorted(words))) for n, words in by_length.items()}
    return Vocabulary(ordered, frozenset(names))
