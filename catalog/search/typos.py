"""Typo tolerance: a query word the archive does not hold is read as the archive's nearest words.

The rule searchers know from Meilisearch: a word of 5 letters or more may be one edit away (an adjacent
transposition counts as one), 9 or more two edits. A word the archive holds (any form of it, as search matches
it) is never changed. The vocabulary is every word of the transcripts (``segment_words``, fts5vocab over the
unstemmed windows of catalog/search/crosscut.py) plus the words of speakers', topics' and sessions' names; it is read
once per process and file, then grown with the words of new and corrected segments (``vocabulary_of``); a
process after the first starts from the reading the first left in the data folder (``search/vocabulary_file.py``:
0.8–1.2 s at 1M segments saved for every command-line search of a misspelt word and every server worker's start).
The edit distances are rapidfuzz's (optimal string alignment).
"""

from __future__ import annotations

import os
import re
import sqlite3
import unicodedata
from dataclasses import dataclass, field, replace
from itertools import islice, product

from catalog.search import facts
from catalog.search import vocabulary_file as stored
from catalog.search.pg_query import on_postgres
from catalog.search.query import Query, Term, words_of
from catalog.store import impact

ONE_EDIT, TWO_EDITS = 5, 9  # word lengths from which one, then two edits are allowed
ENABLED = True  # switched off only to show that the quote test needs it


@dataclass(frozen=True)
class Vocabulary:
    by_length: dict[int, list[str]]  # words of each length, most frequent first
    names: frozenset[str]
    by_start: dict[tuple[int, str], list[str]] = field(
        default_factory=dict, compare=False
    )  # (length, first letter)
    used: dict[str, int] = field(default_factory=dict, compare=False)  # word -> segments saying it, when read

    def __post_init__(self) -> None:
        for length, words in self.by_length.items():
            for word in words:
                self.by_start.setdefault((length, word[0]), []).append(word)


def folded(word: str) -> str:
    """Lower case without diacritics: the form the full-text index keeps."""
    if word.isascii():  # (no diacritic to take off, and NFKD leaves ASCII as it is)
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


MAX_CHOICES = 4  # archive words tried for one misspelt word (all equally near: the hits decide)
MAX_VARIANTS = 8  # spellings of one phrase tried
MAX_WORDS = 8  # words of one query looked up (a pasted paragraph of unknown words costs no more than this)


@dataclass(frozen=True)
class Correction:
    """A query whose misspelt words are widened to the archive words nearest them (any of them may match)."""

    query: Query
    choices: dict[str, tuple[str, ...]]  # typed word -> archive words, nearest and most used first

    def text(self, typed: str, shown: str) -> str:
        """``typed`` with each misspelt word replaced by the choice that ``shown`` (the best hit) holds."""
        held = {folded(w) for w in words_of(shown)}
        chosen = {w: next((c for c in cs if c in held), cs[0]) for w, cs in self.choices.items()}
        if all(_RUN.fullmatch(w) for w in chosen):  # (words of word characters: each is a whole run of them)
            return _RUN.sub(lambda m: chosen.get(m.group(0), m.group(0)), typed)
        pattern = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, chosen)) + r")(?!\w)")
        return pattern.sub(lambda m: chosen[m.group(1)], typed)


_RUN = re.compile(r"\w+")


def corrected(conn: sqlite3.Connection, query: Query, *, in_phrases: bool) -> Correction | None:
    """``query`` with its misspelt words widened, or ``None`` when none is misspelt. Bare words are looked at;
    the words of quoted phrases only when ``in_phrases``. A query of one bare word is read as the most used of
    its nearest words, unless ``in_phrases`` (the second try, when that finds nothing): then as any of them."""
    if not ENABLED:
        return None
    choices: dict[str, tuple[str, ...]] = {}
    looked = 0
    for group in query.groups:
        for term in group:
            if term.prefix or (" " in term.text and not in_phrases):
                continue
            for word in term.words():
                if len(word) >= ONE_EDIT and looked < MAX_WORDS and word not in choices:
                    looked += 1
                    found = nearest(conn, word)
                    if found:
                        choices[word] = found
    if not choices:
        return None
    lone = [t for group in query.groups for t in group]
    if not in_phrases and len(lone) == 1 and not lone[0].prefix and len(lone[0].words()) == 1:
        # one word alone, no other word to tell its meaning: the most used of the nearest words (a search for
        # all of them would rank the rarest first, bm25's idf being highest there). ``in_phrases`` (asked when
        # this finds nothing) tries them all.
        choices = {word: found[:1] for word, found in choices.items()}
    groups = tuple(tuple(t for term in group for t in _variants(term, choices)) for group in query.groups)
    return Correction(replace(query, groups=groups), choices)


def _variants(term: Term, choices: dict[str, tuple[str, ...]]) -> list[Term]:
    words = term.words()
    if not any(w in choices for w in words) or (term.prefix and len(words) == 1):
        return [term]
    spellings = product(*[choices.get(w, (w,)) for w in words])
    return [replace(term, text=" ".join(s)) for s in islice(spellings, MAX_VARIANTS)]


def nearest(conn: sqlite3.Connection, word: str) -> tuple[str, ...]:
    """The archive words this one may be a typo of, nearest and most used first; none when the word is short,
    held by the archive, or has nothing near enough."""
    if len(word) < ONE_EDIT or not word.isalpha():
        return ()
    form = folded(word)
    if _in_archive(conn, form):  # first: the vocabulary is read only for a word the transcripts do not hold
        return ()
    vocabulary = vocabulary_of(conn)
    if form in vocabulary.names:
        return ()
    edits = 2 if len(form) >= TWO_EDITS else 1
    lengths = range(len(form) - edits, len(form) + edits + 1)
    # most typos keep the first letter: those words first (a twentieth of the work), then all of them
    found = _near(form, [vocabulary.by_start.get((n, form[0]), []) for n in lengths], edits)
    if not found or found[0][0] > 1:
        found = _near(form, [vocabulary.by_length.get(n, []) for n in lengths], edits)
    best = [choice for distance, _, choice in found if distance == found[0][0]] if found else []
    # most used first, across lengths too (each length's list is in that order, the lists are not together): by
    # the vocabulary's count of the word itself (not of its stem, which ``denis`` shares with ``denies``)
    best.sort(key=lambda choice: -vocabulary.used.get(choice, 0))
    return tuple(best[:MAX_CHOICES])


def _near(form: str, lists: list[list[str]], edits: int) -> list[tuple[int, int, str]]:
    from rapidfuzz import process  # loaded only when a word is missing from the archive
    from rapidfuzz.distance import OSA

    found = []
    for words in lists:
        for choice, distance, index in process.extract(
            form, words, scorer=OSA.distance, score_cutoff=edits, limit=MAX_CHOICES
        ):
            found.append((distance, index, choice))
    return sorted(found)


def _in_archive(conn: sqlite3.Connection, form: str) -> bool:
    """Any form of the word is in a transcript (stemmed, as search matches: ``shelters`` finds "shelter"), or in
    a track of another language (``track_words``: a Spanish word is not "corrected" to an English one). The
    full-text match goes first: it stops at the first segment, where a vocabulary row counts all of them (1.2 ms
    for ``people`` at 1M segments)."""
    if on_postgres(conn):
        from catalog.search.pg_search import in_archive

        return in_archive(conn, form)
    said = _df(conn, form)
    if said:
        return True
    # one statement for what is left to ask (a misspelt word is in none of them: all are asked), in this order
    quoted = '"' + form.replace('"', '""') + '"'
    held = "EXISTS (SELECT 1 FROM segment_words WHERE term = ?) OR EXISTS (SELECT 1 FROM track_words WHERE term = ?)"
    if said is None:
        sql = f"SELECT EXISTS (SELECT 1 FROM segments_fts WHERE segments_fts MATCH ?) OR {held}"
        return bool(conn.execute(sql, (quoted, form, form)).fetchone()[0])
    return bool(conn.execute(f"SELECT {held}", (form, form)).fetchone()[0])


def _df(conn: sqlite3.Connection, form: str) -> int | None:
    """How many segments hold the word (as search matches it), from the impact lists' ``df`` of its one token
    (no full-text statement); ``None`` when they cannot say (no lists, changes pending, not one token, a token
    this process has not learned: a misspelt word is not worth learning)."""
    if not facts.of(conn).lists_ready:
        return None
    terms = impact.known_terms(form)
    return impact.df_of(conn, terms[0]) if terms is not None and len(terms) == 1 else None


def vocabulary_of(conn: sqlite3.Connection) -> Vocabulary:
    """The archive's words, read once per process and file, then kept current: any write (here or by another
    process) makes it look whether words came in (new segments, corrections, names) and add them. On PostgreSQL
    the words are ``search_words`` (``search/pg_schema.py``) and the catalog's data version says when to look."""
    if on_postgres(conn):
        from catalog.search.pg_search import vocabulary_key

        path, written = vocabulary_key(conn)
    elif (key := facts.version(conn)) is not None:
        path, written = key  # the catalog's data version: moves with every commit, here or elsewhere
    else:  # inside a transaction (its own writes count), or no file
        path = conn.execute("PRAGMA database_list").fetchone()[2] or f"memory:{id(conn)}"
        written = (conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes)
    cached = _cache.get(path)
    if cached is not None and cached.written == written:
        return cached.vocabulary
    version = _version(conn)
    kept = None
    on_file = not on_postgres(conn) and os.path.isfile(path)  # (not an in-memory catalog)
    if cached is None and on_file:
        # another process's reading of this file's words (``search/vocabulary_file.py``)
        kept = stored.load(path)
        if kept is not None:
            cached = _Cached(None, kept[0], kept[1])
            impact.learn(conn, (w for words in kept[1].by_length.values() for w in words))
    if cached is None or version[0] < cached.version[0]:
        cached = _Cached(written, version, _read(conn))
        if on_file and not conn.in_transaction:  # (what others may start from: committed words only)
            stored.save(path, version, cached.vocabulary)
    elif version != cached.version:
        grown = _grown(conn, cached)
        far_behind = kept is not None and version[0] - kept[0][0] > stored.GROWN_SEGMENTS
        if far_behind and not conn.in_transaction:  # (the next process starts here, not that far back)
            stored.save(path, version, grown)
        cached = _Cached(written, version, grown)
    else:
        cached = replace(cached, written=written)
    _cache[path] = cached
    return cached.vocabulary


@dataclass(frozen=True)
class _Cached:
    # when last looked at: the data version's token, or (PRAGMA data_version, this connection's total changes)
    written: object
    version: tuple  # _version() then
    vocabulary: Vocabulary


_cache: dict[str, _Cached] = {}


def _version(conn: sqlite3.Connection) -> tuple:
    """Grows whenever words may have come in: segments added, segments corrected, names added or changed
    (each an index seek, or a look at the few sessions)."""
    return conn.execute(
        "SELECT (SELECT coalesce(max(id), 0) FROM segments), (SELECT coalesce(max(id), 0) FROM segment_versions), "
        "(SELECT max(updated_at) FROM sessions), (SELECT max(id) FROM speakers), (SELECT max(id) FROM topics)"
    ).fetchone()


def _grown(conn: sqlite3.Connection, cached: _Cached) -> Vocabulary:
    """The cached vocabulary plus the words of segments added or corrected since, and the names as they are
    now. (Words whose last segment went stay until the process restarts: a word no hit holds any more.)"""
    last_segment, last_version = cached.version[0], cached.version[1]
    texts = conn.execute(
        "SELECT text FROM segments WHERE id > ? UNION ALL SELECT s.text FROM segments s "
        "WHERE s.id IN (SELECT segment_id FROM segment_versions WHERE id > ?)",
        (last_segment, last_version),
    )
    by_length = {n: list(words) for n, words in cached.vocabulary.by_length.items()}
    known = {w for words in by_length.values() for w in words}
    names = _names(conn)
    for word in [folded(w) for (text,) in texts for w in words_of(text)] + sorted(names):
        if word not in known and word.isalpha() and len(word) >= ONE_EDIT - 2:
            known.add(word)
            by_length.setdefault(len(word), []).append(word)
    return Vocabulary(by_length, frozenset(names), used=cached.vocabulary.used)


def _read(conn: sqlite3.Connection) -> Vocabulary:
    by_length: dict[int, list[tuple[int, str]]] = {}
    used: dict[str, int] = {}
    words = (
        "SELECT term, docs FROM search_words WHERE docs > 0"
        if on_postgres(conn)
        else "SELECT term, doc FROM segment_words"
    )
    every = conn.execute(words).fetchall()
    for term, count in every:
        if len(term) >= ONE_EDIT - 2 and term.isalpha():
            by_length.setdefault(len(term), []).append((-count, term))
            used[term] = count
    if not on_postgres(conn):  # every word's token too, once (``impact.learn``: 0.1 s for 48,000 words at 1M)
        impact.learn(conn, (term for term, _count in every))
    names = _names(conn)
    for name in names:
        if name.isalpha():
            by_length.setdefault(len(name), []).append((0, name))
    ordered = {n: list(dict.fromkeys(t for _, t in sorted(words))) for n, words in by_length.items()}
    return Vocabulary(ordered, frozenset(names), used=used)


def _names(conn: sqlite3.Connection) -> set[str]:
    """The words of speakers', topics' and sessions' names and events."""
    names: set[str] = set()
    for (text,) in conn.execute(
        "SELECT name FROM speakers UNION ALL SELECT name FROM topics "
        "UNION ALL SELECT coalesce(title, '') || ' ' || coalesce(event, '') FROM sessions"
    ):
        names.update(folded(w) for w in words_of(text or ""))
    return names
