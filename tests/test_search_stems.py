"""Snippets and term lookups split text in Python and take each word's token from what FTS5's own tokenizer made
of it (``catalog/store/impact.py``: ``token_sequences``, ``stems_of``): the rules that makes exact are checked
here against FTS5 itself."""

from __future__ import annotations

import sqlite3

import pytest
import wordfreq

from catalog import Catalog, SearchRequest, SessionMeta, TrackInput
from catalog.store import impact
from tests.support.traced import open_traced, statements
from transcripts import Segment, Transcript

pytestmark = pytest.mark.search


@pytest.fixture
def conn():
    connection = sqlite3.connect(":memory:")
    yield connection
    connection.close()


def fts5_tokens(conn, texts: dict[int, str]) -> dict[int, list[str]]:
    """What FTS5's tokenizer makes of each text, read straight from a contentless table of the index's kind."""
    conn.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS t USING fts5(text, content='', tokenize='{impact.TOKENIZE}')"
    )
    conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS v USING fts5vocab(t, instance)")
    conn.executemany("INSERT INTO t(rowid, text) VALUES (?, ?)", list(texts.items()))
    found: dict[int, dict[int, str]] = {key: {} for key in texts}
    for doc, term, offset in conn.execute("SELECT doc, term, offset FROM v"):
        found[doc][offset] = term
    conn.execute("INSERT INTO t(t) VALUES ('delete-all')")
    return {key: [at[i] for i in sorted(at)] for key, at in found.items()}


def test_below_u0300_every_character_splits_words_as_fts5_does(conn):
    texts = {cp: f"Ab{chr(cp)}cd {chr(cp)}x" for cp in range(1, 0x300)}
    assert all(max(text) < impact.SPLIT_BELOW for text in texts.values())  # all split in Python
    assert impact.token_sequences(conn, texts) == fts5_tokens(conn, texts)


def test_below_u0300_words_are_runs_of_letters_and_numbers(conn):
    """``query.words_of`` splits such text with one pattern: the same words as the rule of its other texts (a
    letter, a number or a private-use character is part of a word), and as many as FTS5 makes tokens."""
    import unicodedata

    from catalog.search.query import words_of

    def by_rule(text: str) -> list[str]:
        inside = [unicodedata.category(c)[0] in "LN" or unicodedata.category(c) == "Co" for c in text]
        words, word = [], ""
        for char, keep in zip(text, inside, strict=True):
            word = word + char if keep else (words.append(word) or "") if word else ""
        return words + [word] if word else words

    texts = {cp: f"Ab{chr(cp)}cd {chr(cp)}x, 3{chr(cp)}" for cp in range(1, 0x300)}
    tokens = fts5_tokens(conn, texts)
    for cp, text in texts.items():
        assert words_of(text) == by_rule(text), hex(cp)
        assert len(words_of(text)) == len(tokens[cp]), hex(cp)


def test_texts_of_any_script_get_fts5s_tokens(conn):
    texts = dict(
        enumerate(
            [
                "The Mayors' conference: we're housing 1,200 families — “housed”, HOUSING, houses.",
                "Café naïve résumé; Ærø straße 3rd e-mail a_b ¼ ²x",
                "Москва 東京 Tokyo, combining e\u0301 and Ω",
                "re\u0301sume\u0301 de l'e\u0301cole",  # combining accents (U+0301): inside a token for FTS5
                "",
                "... !!! ---",
                "don’t can't won't",
            ]
        )
    )
    assert impact.token_sequences(conn, texts) == fts5_tokens(conn, texts)
    assert impact.terms_of(conn, ["Housing", "don't", "Ærø"]) == {
        "Housing": ("hous",),
        "don't": ("don", "t"),
        "Ærø": ("ærø",),
    }


def test_fts5s_porter_keeps_a_words_first_letter(conn):
    """lists.snippets stems only the words whose first letter a wanted token has: FTS5's porter never changes a
    token's first (folded) letter. Checked over 50,000 English words, lower case and capitalised."""
    words = [w for w in wordfreq.top_n_list("en", 50_000) if w.isascii() and w.isalpha()]
    words += [w.capitalize() for w in words[:5_000]] + ["ies", "eed", "ied", "ying", "eying", "yyy", "sses"]
    tokens = fts5_tokens(conn, dict(enumerate(words)))
    wrong = [
        (w, tokens[i]) for i, w in enumerate(words) if len(tokens[i]) != 1 or tokens[i][0][0] != w[0].lower()
    ]
    assert wrong == []


def test_snippets_mark_every_form_of_the_word_whatever_its_case(catalog: Catalog):
    lines = (
        "Housing first: HOUSING matters, the houses and a housed family.",
        "Every house here.",
        "Les écoles et l'École normale.",
    )
    segments = tuple(Segment(10.0 * n, 10.0 * n + 8, text) for n, text in enumerate(lines))
    catalog.save_session(
        "forms", SessionMeta(title="Forms", date="2024-05-01"), [TrackInput(Transcript(segments=segments))]
    )
    marked = {hit.text: hit.marked for hit in catalog.search(SearchRequest("housing")).hits}
    assert marked[lines[0]] == (
        "\x02Housing\x03 first: \x02HOUSING\x03 matters, the \x02houses\x03 and a \x02housed\x03 family."
    )
    assert marked[lines[1]] == "Every \x02house\x03 here."
    (hit,) = catalog.search(SearchRequest("ecoles")).hits
    assert hit.marked == "Les \x02écoles\x03 et l'\x02École\x03 normale."
    (hit,) = catalog.search(SearchRequest('"housing matters"')).hits
    assert hit.marked == "Housing first: \x02HOUSING matters\x03, the houses and a housed family."
    marked = {hit.text: hit.marked for hit in catalog.search(SearchRequest("hou*")).hits}
    assert marked[lines[1]] == "Every \x02house\x03 here."


def test_a_word_whose_lower_case_is_known_takes_its_token_without_asking_fts5(conn):
    """unicode61 folds ASCII letters as ``str.lower`` does, so ``Housing`` and ``HOUSING`` are ``housing``'s token:
    once the lower-case words are learned, texts of any case are tokenized without FTS5, and alike."""
    words = [w for w in wordfreq.top_n_list("en", 3_000) if w.isascii() and w.isalpha()]
    impact._STEMS.clear()
    impact.learn(conn, words)
    texts = {i: f"{w.capitalize()} {w.upper()} {w}" for i, w in enumerate(words)}
    asked: list[str] = []
    conn.set_trace_callback(asked.append)
    found = impact.token_sequences(conn, texts)
    conn.set_trace_callback(None)
    assert [s for s in asked if "impact_scratch" in s] == []
    assert found == fts5_tokens(conn, texts)


def test_once_the_typo_vocabulary_is_read_a_search_tokenizes_nothing(data_dir, monkeypatch):
    """The vocabulary is every word of the archive (read once per process: a server reads it before its first
    request); the tokens of all of them are learned with it, so searches of the archive's words and the snippets of
    their hits ask FTS5's tokenizer nothing."""
    catalog, opened = open_traced(data_dir / "catalog.db", monkeypatch)
    lines = (
        "Parks budgets grew while the council debated housing vouchers.",
        "Vouchers for housing, the mayor said, beat new parks.",
        "Transit riders asked about the budget and parks.",
    )
    segments = tuple(Segment(10.0 * n, 10.0 * n + 8, text) for n, text in enumerate(lines))
    try:
        catalog.save_session(
            "vocab",
            SessionMeta(title="Vocabulary", date="2024-05-02"),
            [TrackInput(Transcript(segments=segments))],
        )
        impact._STEMS.clear()
        catalog.search(SearchRequest("qzxjvkwq"))  # no archive word: corrected, so the vocabulary is read
        with statements(opened) as asked:
            results = [
                catalog.search(SearchRequest(q)) for q in ("vouchers", '"housing vouchers"', "parks budget")
            ]
    finally:
        catalog.close()
    assert [len(r.hits) for r in results] == [2, 1, 2]
    assert [s for s in asked if "impact_scratch" in s] == []


@pytest.mark.parametrize(
    "words, prefix, match",
    [
        (["housing"], None, '"housing"'),
        (["houses", "the"], None, '"houses" AND "the"'),
        (["école"], None, '"école"'),
        ([], "hou", '"hou"*'),
        ([], "x", '"x"*'),
    ],
    ids=["one word", "two words", "a word above ASCII", "a prefix", "a one-letter prefix"],
)
def test_snippets_made_from_text_are_fts5s_snippets(conn, words, prefix, match):
    """``lists.snippets`` of words or a prefix, over texts of every shape (punctuation, underscores, digits, Latin-1
    and other letters, capitals, 1 to 40 words, around the 32-token limit), are exactly FTS5's ``snippet()`` of
    the same text, and every text of up to 32 tokens that FTS5 matches gets one (as in a search, only texts that
    match are given)."""
    import random

    from catalog.search import lists, paths

    rng = random.Random(12)
    vocabulary = ["Housing", "house", "HOUSES", "housed", "hous", "ahouse", "the", "The", "a", "x", "X1", "3rd",
                  "1,200", "don't", "école", "École", "écoles", "Ärger", "naïve", "µ", "½", "x_y", "_x", "hou"]  # fmt: skip
    between = [" ", " ", " ", ", ", ". ", "_", "-", " — ", "\n", "'", " (", ") ", "…"]
    texts = {}
    for n in range(1, 1200):
        size = rng.choice([1, 2, 5, 12, 30, 31, 32, 33, 34, 40])
        pieces = [rng.choice(vocabulary) + rng.choice(between) for _ in range(size)]
        texts[n] = ("" if rng.random() < 0.8 else rng.choice(between)) + "".join(pieces).rstrip()
    for n, size in enumerate([31, 32, 33, 34], start=2000):  # the fewest characters 31 to 34 tokens take
        texts[n], texts[n + 10] = " ".join(["x"] * size), "x," * size
    conn.execute(f"CREATE VIRTUAL TABLE s USING fts5(text, tokenize='{impact.TOKENIZE}')")
    conn.executemany("INSERT INTO s(rowid, text) VALUES (?, ?)", list(texts.items()))
    expected = dict(
        conn.execute(
            f"SELECT rowid, {paths.SNIPPET.replace('segments_fts', 's')} FROM s WHERE s MATCH ?", (match,)
        ).fetchall()
    )
    assert len(expected) > 200  # (the texts do hold the words)
    terms = frozenset(t for word in words for t in impact.terms_of(conn, [word])[word])
    stem = impact.terms_of(conn, [prefix])[prefix][0] if prefix else None
    made = lists.snippets(conn, terms, stem, {sid: texts[sid] for sid in expected}, paths.SNIPPET_TOKENS)
    assert {sid: made[sid] for sid in made if made[sid] != expected.get(sid)} == {}
    short = {sid for sid in expected if len(impact.token_sequences(conn, {0: texts[sid]})[0]) <= 32}
    assert short - set(made) == set()
