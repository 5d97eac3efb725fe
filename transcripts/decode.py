"""Bytes to text: byte-order marks, UTF-8, UTF-16, and a readable fallback for everything else."""

from __future__ import annotations

import codecs
import re

from transcripts.errors import TranscriptError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Control characters that never occur in caption text; many of them mean the bytes are not text at all.
_JUNK = {chr(c) for c in range(32) if chr(c) not in "\t\n\r\f"} | {"\x7f"}
# The few a text file may hold are dropped, with stray byte-order marks and zero-width spaces inside the text
# (left by joining files), which would otherwise hide a tag from the markup cleaner: `</\ufeffc>`.
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\ufeff\u200b]")


def decode_caption_bytes(data: bytes, source: str) -> tuple[str, tuple[str, ...]]:
    """Decode a caption file: return its text with LF line ends, and any warnings about the encoding.

    UTF-8 (with or without BOM) and UTF-16/32 with BOM are read as such; UTF-16 without a BOM is recognised
    by its NUL bytes. Other bytes are read as cp1252 (latin-1 where cp1252 has holes) with a warning.
    Raises ``TranscriptError`` for an empty file, a file holding only a BOM or whitespace, or binary data.
    """
    if not data:
        raise TranscriptError("the file is empty", source=source)
    text, warnings = _decode(data, source)
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        what = "only a byte-order mark" if data.startswith(tuple(b for b, _ in _BOMS)) else "only whitespace"
        raise TranscriptError(f"the file is empty (it holds {what})", source=source)
    _refuse_binary(text, source)
    return _CONTROL.sub("", _normalise_line_ends(text)), warnings


def _decode(data: bytes, source: str) -> tuple[str, tuple[str, ...]]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _strict(data[len(bom) :], encoding, source), ()
    utf16 = _utf16_without_bom(data)
    if utf16:
        return _strict(data, utf16, source), ()
    try:
        return data.decode("utf-8"), ()
    except UnicodeDecodeError as exc:
        text = _single_byte(data)
        line = data.count(b"\n", 0, exc.start) + 1
        warning = (
            f"{source}: not valid UTF-8 (first bad byte on line {line}); read as Windows-1252 — "
            "check accented letters and quotes"
        )
        return text, (warning,)


def _strict(data: bytes, encoding: str, source: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise TranscriptError(
            f"the file says it is {encoding.upper()} but byte {exc.start} is not valid {encoding.upper()}",
            source=source,
        ) from exc


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text of mostly ASCII has a NUL in every other byte; say which half."""
    sample = data[:2000]
    if len(sample) < 8 or len(sample) % 2:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_nuls > 0.4 * half and even_nuls < 0.05 * half:
        return "utf-16-le"
    if even_nuls > 0.4 * half and odd_nuls < 0.05 * half:
        return "utf-16-be"
    return None


def _single_byte(data: bytes) -> str:
    """Windows-1252, the usual encoding of captions that are not UTF-8; its five unused bytes become U+FFFD."""
    return data.decode("cp1252", errors="replace")


def _refuse_binary(text: str, source: str) -> None:
    sample = text[:4096]
    junk = sum(1 for char in sample if char in _JUNK)
    if "\x00" in sample or junk > max(2, len(sample) // 100):
        raise TranscriptError("this is binary data, not a caption file (WebVTT or SRT text)", source=source)


def _normalise_line_ends(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")
