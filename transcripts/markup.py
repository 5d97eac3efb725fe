"""Cue text to plain text: tags, ASS overrides and character references out, readable words in."""

from __future__ import annotations

import html
import re
from functools import lru_cache

# An opening or closing tag whose name starts with a letter: <b>, </i>, <c.colorE5E5E5>, <font color="red">,
# <invalid_tag par=5>. "2<3,5>1" and a lone "<" are text and stay.
_TAG = re.compile(r"</?\s*[A-Za-z][^<>\s]*(?:\s[^<>]*)?>")
INLINE_TIME = re.compile(r"<((?:\d+:)?\d{1,2}:\d{1,2}\.\d{1,3})>")
# ASS/SSA override blocks: {\an8}, {\i1}, and the {Y:...} form some SRT writers use.
_ASS_BLOCK = re.compile(r"\{\\[^{}]*\}|\{[A-Za-z]:[^{}]*\}")
_ASS_BREAK = re.compile(r"\\[Nnh]")
# Formatting characters that carry no words: zero-width space, direction marks and embeddings, BOM; and control
# characters (a stray byte, or "&#1;"), which no reader can see and which break XML feeds.
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1f\x7f\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SPACES = re.compile(r"\s+")
_SPECIAL = re.compile("[<&{\\\\\x00-\x08\x0e-\x1f\x7f\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


@lru_cache(
    maxsize=8192
)  # (a parse strips each cue's text and lines several times: speakers, rolling, counts)
def strip_markup(text: str) -> str:
    """Plain, single-spaced text of one cue line (or several): markup removed, entities decoded."""
    if not _SPECIAL.search(text):
        return " ".join(text.split())
    if "{" in text:
        text = _ASS_BLOCK.sub("", text)
    if "\\" in text:
        text = _ASS_BREAK.sub(" ", text)
    if "<" in text:
        # invisible characters first: "</\u200ec>" is a tag once its direction mark is gone
        text = _without_tags(_INVISIBLE.sub("", text))
    if "&" in text:
        text = html.unescape(text)
    text = _INVISIBLE.sub("", text)
    return _SPACES.sub(" ", text).strip()


def strip_tags(text: str) -> str:
    """Remove tags and ASS blocks from a whole cue, including a tag broken across two lines."""
    if "{" in text:
        text = _ASS_BLOCK.sub("", text)
    if "<" in text:
        text = _without_tags(text)
    return text


def _without_tags(text: str) -> str:
    """Tags out, again while removing one joins the pieces of another (``<<b>b>``), a few rounds at most."""
    for _ in range(8):
        stripped = INLINE_TIME.sub("", _TAG.sub("", text))
        if stripped == text:
            break
        text = stripped
    return text


def parse_time(stamp: str) -> float:
    """Seconds of an inline ``[hh:]mm:ss.mmm`` timestamp (already matched by ``INLINE_TIME``)."""
    if len(stamp) == 12 and stamp[2] == ":" and stamp[5] == ":" and stamp[8] == ".":  # hh:mm:ss.mmm
        millis = int(stamp[0:2]) * 3_600_000 + int(stamp[3:5]) * 60_000 + int(stamp[6:8]) * 1000
        return (millis + int(stamp[9:12])) / 1000
    *head, seconds = stamp.split(":")
    hours, minutes = (int(head[0]), int(head[1])) if len(head) == 2 else (0, int(head[0]))
    whole, _, fraction = seconds.partition(".")
    return (hours * 3_600_000 + minutes * 60_000 + int(whole) * 1000 + int(fraction.ljust(3, "0"))) / 1000
