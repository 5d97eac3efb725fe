"""The query classes, drawn (seeded) from the generated archive itself so that every query has hits.

Each ``Query`` says the same search four ways: as a user types it (the catalog and ``/api/search``), as an FTS5
expression (raw SQL and Datasette's ``_searchmode=raw``), and as ripgrep arguments over the caption files.
"""

from __future__ import annotations

import random
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bench.synth import Vocabulary

CLASSES = (
    "rare word",
    "common word",
    "3-word phrase",
    "cross-cut phrase",
    "typo",
    "prefix",
    "OR",
    "speaker filter",
    "the",
)
PLAIN = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class Query:
    cls: str
    user: str  # what a user types in the search box
    fts: str  # the FTS5 MATCH expression the engine runs
    rg: tuple[str, ...]  # ripgrep arguments (pattern and flags), before the folder
    speaker: str | None = None  # speaker name for the filter class
    speaker_id: int | None = None


def build(
    db_path: Path, vocabulary: Vocabulary, per_class: int = 40, seed: int = 7
) -> dict[str, list[Query]]:
    rng = random.Random(seed)
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        texts = random_texts(conn, rng, per_class * 4)
        cuts = random_cuts(conn, rng, per_class * 4)
        speakers = conn.execute("SELECT id, name FROM speakers ORDER BY id").fetchall()
    finally:
        conn.close()
    rank = {w: i for i, w in enumerate(vocabulary.words)}
    common = [w for w in vocabulary.by_rank(100, 500) if len(w) >= 4 and PLAIN.fullmatch(w)]
    middle = [w for w in vocabulary.by_rank(1000, 5000) if PLAIN.fullmatch(w)]
    stems = [w for w in vocabulary.by_rank(500, 3000) if len(w) >= 6 and PLAIN.fullmatch(w)]
    classes = {
        "rare word": [word_query("rare word", rarest(t, rank)) for t in texts if rarest(t, rank)],
        "common word": [
            word_query("common word", w) for w in rng.sample(common, min(per_class, len(common)))
        ],
        "3-word phrase": [q for t in texts if (q := phrase_query(t, rng))],
        "cross-cut phrase": [q for before, after in cuts if (q := cross_cut_query(before, after, rng))],
        "typo": [q for t in texts if (q := typo_query(t, rank, rng))],
        "prefix": [prefix_query(w[:4]) for w in rng.sample(stems, min(per_class, len(stems)))],
        "OR": [or_query(*rng.sample(middle, 2)) for _ in range(per_class)],
        "speaker filter": [filter_query(rng.choice(common), *rng.choice(speakers)) for _ in range(per_class)],
        "the": [word_query("the", "the")],
    }
    return {name: dedupe(found)[:per_class] for name, found in classes.items()}


def distinct_requests(
    db_path: Path, vocabulary: Vocabulary, per_class: int, seen: set[tuple], seed: int = 11
) -> list[tuple[Query, int]]:
    """(query, offset) pairs, none repeated and none in ``seen`` (``(user, speaker, offset)`` keys), for a load
    that no cache can help: each class as many times as ``build`` gives it weight (``the`` 1 in 40), drawn with
    another seed; a class whose pool of words is small (common words, prefixes, ``the``) also asks for the next
    pages (offset 20, 40, ...), as a reader paging through results does. Each class is spread evenly."""
    classes = build(db_path, vocabulary, per_class=per_class, seed=seed)
    by_class = []
    for name, items in classes.items():
        wanted = per_class if name != "the" else max(1, per_class // 40)
        pairs = [(q, 20 * page) for page in range(wanted) for q in items]
        fresh = [(q, o) for q, o in pairs if (q.user, q.speaker, o) not in seen]
        by_class.append(fresh[:wanted])
    spread = [(i / len(c), n, pair) for n, c in enumerate(by_class) for i, pair in enumerate(c)]
    return [pair for *_, pair in sorted(spread, key=lambda t: t[:2])]  # each class evenly over the list


def random_texts(conn: sqlite3.Connection, rng: random.Random, count: int) -> list[str]:
    top = conn.execute("SELECT max(id) FROM segments").fetchone()[0] or 0
    texts = []
    for segment_id in rng.sample(range(1, top + 1), min(count, top)):
        row = conn.execute("SELECT text FROM segments WHERE id = ?", (segment_id,)).fetchone()
        if row:
            texts.append(row[0])
    return texts


def random_cuts(conn: sqlite3.Connection, rng: random.Random, count: int) -> list[tuple[str, str]]:
    """(text, next text) of random consecutive segments of one session: a stored segment cut."""
    top = conn.execute("SELECT max(id) FROM segments").fetchone()[0] or 0
    cuts = []
    for segment_id in rng.sample(range(1, top + 1), min(count, top)):
        row = conn.execute(
            "SELECT s.text, n.text FROM segments s JOIN segments n "
            "ON n.session_id = s.session_id AND n.position = s.position + 1 WHERE s.id = ?",
            (segment_id,),
        ).fetchone()
        if row:
            cuts.append(row)
    return cuts


def cross_cut_query(before: str, after: str, rng: random.Random) -> Query | None:
    """A 3- or 4-word phrase that starts at the end of one segment and ends in the next (a quote said over a
    cut): the catalog finds it through its segment windows; raw FTS5 over segments cannot."""
    size = rng.choice((3, 4))
    split = rng.randint(1, size - 1)
    tail = [t.strip(".,?!;:").lower() for t in before.split(" ")][-split:]
    head = [t.strip(".,?!;:").lower() for t in after.split(" ")][: size - split]
    words = tail + head
    if len(words) != size or not all(PLAIN.fullmatch(w) for w in words):
        return None
    phrase = " ".join(words)
    return Query("cross-cut phrase", f'"{phrase}"', f'"{phrase}"', ("-i", "-F", phrase))


def typo_query(text: str, rank: dict[str, int], rng: random.Random) -> Query | None:
    """A word of 6+ letters of a real segment with two inner letters swapped (one edit) so that it is no
    word of the archive: the catalog reads it as the word; raw FTS5 and ripgrep are given the word itself."""
    words = [w for w in PLAIN.findall(text.lower()) if len(w) >= 6 and rank.get(w, 0) >= 500]
    for word in rng.sample(words, len(words)):
        i = rng.randrange(1, len(word) - 2)
        wrong = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        if wrong != word and wrong not in rank:
            return Query("typo", wrong, f'"{word}"', ("-i", "-w", "-F", word))
    return None


def rarest(text: str, rank: dict[str, int]) -> str | None:
    words = [w for w in PLAIN.findall(text.lower()) if rank.get(w, 0) >= 10_000]
    return max(words, key=rank.get) if words else None


def word_query(cls: str, word: str) -> Query:
    return Query(cls, word, f'"{word}"', ("-i", "-w", "-F", word))


def phrase_query(text: str, rng: random.Random) -> Query | None:
    """Three consecutive words of a real segment with nothing but spaces between them (a remembered quote)."""
    tokens = text.split(" ")
    runs = [i for i in range(len(tokens) - 2) if all(PLAIN.fullmatch(t.lower()) for t in tokens[i : i + 3])]
    if not runs:
        return None
    start = rng.choice(runs)
    words = " ".join(t.lower() for t in tokens[start : start + 3])
    return Query("3-word phrase", f'"{words}"', f'"{words}"', ("-i", "-F", words))


def prefix_query(stem: str) -> Query:
    return Query("prefix", f"{stem}*", f'"{stem}"*', ("-i", "-w", f"{stem}[a-z]*"))


def or_query(first: str, second: str) -> Query:
    return Query(
        "OR", f"{first} OR {second}", f'"{first}" OR "{second}"', ("-i", "-w", "-e", first, "-e", second)
    )


def filter_query(word: str, speaker_id: int, speaker: str) -> Query:
    pattern = f"<v {rg_escape(speaker)}>.*\\b{word}\\b"
    return Query("speaker filter", word, f'"{word}"', ("-i", pattern), speaker=speaker, speaker_id=speaker_id)


def rg_escape(text: str) -> str:
    """``text`` as a literal inside a ripgrep (Rust regex) pattern: Rust refuses Python's escaped spaces."""
    return "".join("\\" + c if c in r".^$*+?()[]{}|\\" else c for c in text)


def dedupe(queries: list[Query]) -> list[Query]:
    seen: dict[str, Query] = {}
    for query in queries:
        seen.setdefault(query.user + "|" + (query.speaker or ""), query)
    return list(seen.values())
