""" "Cite this moment": one moment of a session as plain text, APA, Chicago and BibTeX, each with the clip link
(``?t=…&end=…``) and the date it was accessed, and the quote with its speaker for copying."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from catalog import Session, StoredSegment
from web.session_view import link_time
from web.timecode import clock

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")  # fmt: skip
_BIBTEX_SPECIAL = re.compile(r"[\\{}&%$#_^~]")
_BIBTEX_ESCAPES = {"\\": r"\textbackslash{}", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}"}


@dataclass(frozen=True)
class CitedMoment:
    """What a citation says: who, what, where and when, and the link to the clip."""

    speaker: str | None
    quote: str | None
    title: str
    event: str | None
    date: str | None  # YYYY-MM-DD
    start: float
    end: float | None
    url: str  # the clip link, absolute
    publisher: str
    accessed: date
    session_id: int


@dataclass(frozen=True)
class Citations:
    plain: str
    apa: str
    chicago: str
    bibtex: str
    quote: str  # “quote” — speaker, for copying
    url: str


def cited_moment(
    session: Session,
    segment: StoredSegment | None,
    start: float,
    end: float | None,
    site: str,
    publisher: str,
    accessed: date,
) -> CitedMoment:
    """The moment at ``start`` (in ``segment``, when there is one) up to ``end`` or the segment's end."""
    stop = end if end is not None else (segment.end if segment else None)
    speaker = segment.speaker if segment and segment.speaker else None
    if speaker is None and len(session.speakers) == 1:
        speaker = session.speakers[0].name
    url = f"{site}/sessions/{session.id}?t={link_time(start)}"
    if stop is not None and stop > start:
        url += f"&end={link_time(stop)}"
    else:
        stop = None
    quote = segment.text.strip() if segment and segment.text.strip() else None
    return CitedMoment(
        speaker,
        quote,
        session.title,
        session.event,
        session.date,
        start,
        stop,
        url,
        publisher,
        accessed,
        session.id,
    )


def citations(moment: CitedMoment) -> Citations:
    return Citations(
        plain(moment), apa(moment), chicago(moment), bibtex(moment), copy_quote(moment), moment.url
    )


def when(moment: CitedMoment) -> str:
    """``0:10–0:20`` (or ``0:10`` without an end)."""
    return clock(moment.start) + (f"\u2013{clock(moment.end)}" if moment.end is not None else "")


def long_date(value: date) -> str:
    return f"{MONTHS[value.month - 1]} {value.day}, {value.year}"


def _session_date(moment: CitedMoment) -> date | None:
    try:
        return date.fromisoformat(moment.date) if moment.date else None
    except ValueError:
        return None


def plain(moment: CitedMoment) -> str:
    """``Speaker, “quote”, Title, Event, 2025-01-20, at 0:10–0:20. URL (accessed 2026-12-02).``"""
    parts = [
        moment.speaker,
        f"\u201c{moment.quote}\u201d" if moment.quote else None,
        moment.title,
        moment.event,
    ]
    parts += [moment.date, f"at {when(moment)}"]
    return ", ".join(p for p in parts if p) + f". {moment.url} (accessed {moment.accessed.isoformat()})."


def apa(moment: CitedMoment) -> str:
    """APA 7 for a video, with the quote as cited in the text before the reference."""
    held = _session_date(moment)
    year = str(held.year) if held else "n.d."
    dated = f"{held.year}, {MONTHS[held.month - 1]} {held.day}" if held else "n.d."
    author = moment.speaker or moment.title
    in_text = (
        f"\u201c{moment.quote}\u201d ({author}, {year}, {clock(moment.start)}). " if moment.quote else ""
    )
    title = f"{moment.title} [Video, {when(moment)}]" if moment.speaker else f"[Video, {when(moment)}]"
    source = f"{moment.event}. " if moment.event else ""
    retrieved = f"Retrieved {long_date(moment.accessed)}, from {moment.url}"
    return f"{in_text}{author}. ({dated}). {title}. {source}{moment.publisher}. {retrieved}"


def chicago(moment: CitedMoment) -> str:
    """Chicago (notes and bibliography), as a note."""
    held = _session_date(moment)
    parts = [moment.speaker, f"\u201c{moment.quote},\u201d" if moment.quote else None]
    head = ", ".join(p for p in parts if p)
    rest = [f"in {moment.title}" if head else moment.title, moment.event, long_date(held) if held else None]
    rest += [f"video, {when(moment)}", moment.publisher, f"accessed {long_date(moment.accessed)}", moment.url]
    body = ", ".join(r for r in rest if r)
    return (f"{head} {body}" if head else body) + "."


def bibtex(moment: CitedMoment) -> str:
    held = _session_date(moment)
    key = f"uscm{moment.session_id}_{int(moment.start)}"
    fields = [
        ("author", "{" + _tex(moment.speaker) + "}" if moment.speaker else None),
        ("title", "{" + _tex(moment.title) + "}"),
        (
            "howpublished",
            _tex(", ".join(p for p in ("Video", moment.event, when(moment).replace("\u2013", "--")) if p)),
        ),
        ("year", str(held.year) if held else None),
        ("date", held.isoformat() if held else None),
        ("note", f"``{_tex(moment.quote)}''" if moment.quote else None),
        ("publisher", _tex(moment.publisher)),
        ("url", moment.url),
        ("urldate", moment.accessed.isoformat()),
    ]
    lines = [f"  {name} = {{{value}}}" for name, value in fields if value]
    return f"@misc{{{key},\n" + ",\n".join(lines) + "\n}"


def copy_quote(moment: CitedMoment) -> str:
    """``“quote” — Speaker, Title (2025-01-20)``: the words with who said them, where and when."""
    said = f"\u201c{moment.quote}\u201d" if moment.quote else moment.title
    who = ", ".join(p for p in (moment.speaker, moment.title if moment.quote else None) if p)
    dated = f" ({moment.date})" if moment.date else ""
    return f"{said} \u2014 {who}{dated}" if who else f"{said}{dated}"


def _tex(text: str | None) -> str:
    """Text safe inside a BibTeX field: TeX's special characters escaped."""
    return _BIBTEX_SPECIAL.sub(lambda m: _BIBTEX_ESCAPES.get(m.group(), "\\" + m.group()), text or "")
