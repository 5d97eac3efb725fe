"""Any user input → a valid FTS5 query. Pure: no SQL is run here.

The syntax a searcher may use: ``"exact phrase"``, ``word*`` (prefix), ``a OR b``, ``-word`` / ``-"a phrase"``
(exclude). Every other character is plain text: each term is quoted (inner quotes doubled) and terms are joined
with an explicit ``AND``, so no input can reach FTS5 as operator syntax.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

_SURROGATES_AND_NUL = re.compile(r"[\ud800-\udfff\x00]")
_BARE = re.compile(r'[^\s"]+')
# A character FTS5's unicode61 tokenizer keeps in a token (letters, numbers, private use); all else separates.
_TOKEN_CATEGORIES = ("L", "N", "Co")

EMPTY_MESSAGE = "Type a word or phrase to search."
ONLY_EXCLUDED_MESSAGE = "Add a word to look for: a search cannot be made of excluded words alone."


@dataclass(frozen=True)
class Term:
    """One quoted FTS5 string: a word, a phrase, or a prefix (``word*``)."""

    text: str
    prefix: bool = False

    def fts(self) -> str:
        return '"' + self.text.replace('"', '""') + '"' + ("*" if self.prefix else "")

    def words(self) -> list[str]:
        return words_of(self.text)


@dataclass(frozen=True)
class Query:
    """A parsed search: all ``groups`` must match (any term of a group will do), no ``excluded`` term may."""

    groups: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = ()
    message: str | None = field(default=None)

    @property
    def fts(self) -> str | None:
        """The FTS5 MATCH expression, or ``None`` when there is nothing to look for."""
        if not self.groups:
            return None
        positive = " AND ".join("(" + " OR ".join(t.fts() for t in group) + ")" for group in self.groups)
        return "".join([f"({positive})", *(f" NOT {t.fts()}" for t in self.excluded)])


def is_token_char(char: str) -> bool:
    return _token_char(char)


_BELOW = "\u0300"  # below it, the letters and numbers of ``_RUN`` are exactly ``_token_char``'s (tested)
_RUN = re.compile(r"[^\W_]+")


@cache
def _token_char(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] in "LN" or category == "Co"


def words_of(text: str) -> list[str]:
    """The runs of token characters in ``text``: what FTS5 would index, before stemming."""
    if not text or max(text) < _BELOW:  # (one C call: below U+0300 the pattern's and ``_token_char``'s agree)
        return _RUN.findall(text)
    words, current = [], []
    for char in text:
        if _token_char(char):
            current.append(char)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


def _term(text: str, prefix: bool = False) -> Term | None:
    words = words_of(text)
    return Term(" ".join(words), prefix) if words else None


def _tokens(text: str) -> list[tuple[str, object]]:
    """Split input into ("term", Term), ("not", Term) and ("or", None) tokens; nothing is ever an error."""
    tokens: list[tuple[str, object]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        negate = text[i] == "-" and i + 1 < n and not text[i + 1].isspace()
        start = i + 1 if negate else i
        if text[start] == '"':
            end = text.find('"', start + 1)
            end = n if end == -1 else end
            inner, i = text[start + 1 : end], end + 1
            prefix = i < n and text[i] == "*"
            i += 1 if prefix else 0
            term = _term(inner, prefix)
        else:
            match = _BARE.match(text, start)
            word, i = match.group(), match.end()
            if not negate and word == "OR":
                tokens.append(("or", None))
                continue
            prefix = word.endswith("*")
            term = _term(word.rstrip("*"), prefix)
        if term is not None:
            tokens.append(("not" if negate else "term", term))
    return tokens


def parse(text: str) -> Query:
    """Parse raw user input. Never raises; an unusable input gives a ``Query`` with a ``message``."""
    text = _SURROGATES_AND_NUL.sub(" ", text or "")
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    tokens = _tokens(text)
    for index, (kind, value) in enumerate(tokens):
        if kind == "not":
            excluded.append(value)
        elif kind == "term":
            joined = (
                index > 0 and tokens[index - 1][0] == "or" and index > 1 and tokens[index - 2][0] == "term"
            )
            if joined and groups:
                groups[-1].append(value)
            else:
                groups.append([value])
        elif not _between_terms(tokens, index):
            groups.append([Term("OR")])
    if not groups:
        message = ONLY_EXCLUDED_MESSAGE if excluded else EMPTY_MESSAGE
        return Query(excluded=tuple(excluded), message=message)
    return Query(tuple(tuple(g) for g in groups), tuple(excluded))


def _between_terms(tokens: list[tuple[str, object]], index: int) -> bool:
    before = index > 0 and tokens[index - 1][0] == "term"
    after = index + 1 < len(tokens) and tokens[index + 1][0] == "term"
    return before and after


def literal_pattern(term: Term) -> str:
    """A regex matching ``term`` literally: its words in order, any punctuation or space between, any case."""
    words = [re.escape(word) for word in term.words()]
    body = r"[\W_]+".join(words)
    tail = r"[^\W_]*" if term.prefix else r"(?![^\W_])"
    return r"(?<![^\W_])" + body + tail


def literal_matcher(query: Query):
    """A function ``text -> offset or None``: where the first literal match of a required term begins, if the
    text holds every group literally; ``None`` otherwise."""
    patterns = [
        re.compile("|".join(literal_pattern(t) for t in group), re.IGNORECASE) for group in query.groups
    ]

    def first_offset(text: str) -> int | None:
        offsets = []
        for pattern in patterns:
            found = pattern.search(text)
            if found is None:
                return None
            offsets.append(found.start())
        return min(offsets)

    return first_offset
