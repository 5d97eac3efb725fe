"""Marking a query's words in transcript text on the session page (``?q=``): escaped text, ``<mark>`` only."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_TOKEN = re.compile(r'"([^"]*)"?|(\S+)')
_OPERATORS = {"AND", "OR", "NOT", "NEAR"}
_MAX_TERMS = 20


def query_terms(query: str | None) -> list[str]:
    """The words and phrases of a search query worth marking: operators and ``-excluded`` words left out.

    ``word*`` stays a prefix (returned with its ``*``); punctuation inside words is kept as typed.
    """
    terms: list[str] = []
    for phrase, word in _TOKEN.findall(query or ""):
        if phrase:
            term = " ".join(phrase.split())
        elif word in _OPERATORS or word.startswith("-"):
            continue
        else:
            term = word.strip("\"'()[]{},.;:!?")
            if term.endswith("*"):
                term = term.rstrip("*") + "*" if term.rstrip("*") else ""
        if term and term not in terms:
            terms.append(term)
    return terms[:_MAX_TERMS]


def terms_pattern(terms: list[str]) -> re.Pattern | None:
    """One case-insensitive pattern matching any term at word starts (a ``*`` term matches the word's rest)."""
    parts = []
    for term in sorted(terms, key=len, reverse=True):
        prefix = term.endswith("*")
        words = [re.escape(w) for w in term.rstrip("*").split()]
        if not words:
            continue
        body = r"\s+".join(words)
        before = r"(?<!\w)" if re.match(r"\w", term) else ""
        after = r"\w*" if prefix else (r"(?!\w)" if re.search(r"\w$", term.rstrip("*")) else "")
        parts.append(before + body + after)
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def highlight(text: str, pattern: re.Pattern | None) -> tuple[Markup, int]:
    """``text`` escaped, with each match of ``pattern`` wrapped in ``<mark>``; and the number of matches."""
    if pattern is None:
        return Markup(escape(text)), 0
    pieces: list[str] = []
    last = count = 0
    for match in pattern.finditer(text):
        if match.end() == match.start():
            continue
        pieces.append(str(escape(text[last : match.start()])))
        pieces.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
        count += 1
    pieces.append(str(escape(text[last:])))
    return Markup("".join(pieces)), count
