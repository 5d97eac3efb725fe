"""Speakers as sources credit them ("Mayor Tim Keller of Albuquerque", "Toni L. Griffin, Founder and Director,
Just City Lab (moderator)") split into a ``SpeakerCredit(name, role)``: the name a person is found by, and the
role they had in that session."""

from __future__ import annotations

import re

from catalog import SpeakerCredit

TITLES = (
    "Former Mayor",
    "Deputy Mayor",
    "Mayor",
    "Speaker of the House",
    "Vice President",
    "President",
    "Lieutenant Governor",
    "Governor",
    "U.S. Senator",
    "State Senator",
    "Senator",
    "U.S. Representative",
    "State Representative",
    "Representative",
    "Congressman",
    "Congresswoman",
    "Deputy Secretary",
    "Assistant Secretary",
    "Under Secretary",
    "Secretary",
    "Commissioner",
    "Council President",
    "Council Member",
    "Councilmember",
    "Councilwoman",
    "Councilman",
    "Alderman",
    "Alderwoman",
    "Supervisor",
    "County Executive",
    "Chairman",
    "Chairwoman",
    "Chairperson",
    "Vice Chair",
    "Chair",
    "Police Chief",
    "Fire Chief",
    "Chief",
    "Deputy Director",
    "Executive Director",
    "Director",
    "Administrator",
    "Attorney General",
    "Ambassador",
    "Superintendent",
    "Sheriff",
    "Treasurer",
    "Comptroller",
    "Judge",
)
HONORIFICS = ("Dr.", "Mr.", "Mrs.", "Ms.", "Hon.", "The Honorable")
NAME_SUFFIXES = ("Jr.", "Sr.", "II", "III", "IV")
DROPPED_SUFFIXES = ("Esq.", "Esq", "PhD", "Ph.D.", "MD", "M.D.")

# Longest first, so that "Lieutenant Governor" is not read as "Lieutenant" + "Governor" and "Chief" of
# "Police Chief" is not cut off.
_BY_LENGTH = sorted(TITLES, key=len, reverse=True)
_TITLE = re.compile(rf"^(?P<title>{'|'.join(re.escape(t) for t in _BY_LENGTH)})\s+(?P<rest>.+)$")
_OF_PLACE = re.compile(r"^(?P<name>.+?)\s+of\s+(?P<place>.+)$")
_NOTE = re.compile(r"^(?P<name>[^()]+?)\s*\((?P<note>[^()]+)\)$")


def split_credit(text: str) -> SpeakerCredit | None:
    """``"Mayor Tim Keller of Albuquerque"`` -> ``SpeakerCredit("Tim Keller", "Mayor of Albuquerque")``.

    ``None`` for an empty credit. Honorifics (Dr., Ms.) and degrees (Esq., PhD) are left out of the name so that
    one person credited two ways is one speaker; Jr./Sr./II stay part of it.
    """
    text = " ".join(text.split())
    if not text:
        return None
    head, _, rest = text.partition(",")
    parts = [p.strip() for p in rest.split(",")] if rest else []
    while parts and parts[0] in NAME_SUFFIXES + DROPPED_SUFFIXES:
        suffix = parts.pop(0)
        if suffix in NAME_SUFFIXES:
            head = f"{head} {suffix}"
    name, head_role = _split_head(head.strip())
    role = ", ".join(p for p in [head_role, *parts] if p)
    return SpeakerCredit(name=name, role=role or None)


def _split_head(head: str) -> tuple[str, str | None]:
    """The part before the first comma: an optional title, the name, an optional "of <place>" or "(note)"."""
    for honorific in HONORIFICS:
        if head.startswith(honorific + " "):
            head = head[len(honorific) + 1 :].strip()
    titled = _TITLE.match(head)
    if titled:
        title, rest = titled["title"], titled["rest"]
        placed = _OF_PLACE.match(rest)
        if placed:
            return placed["name"], f"{title} of {placed['place']}"
        name, note = _split_note(rest)
        return name, f"{title} ({note})" if note else title
    name, note = _split_note(head)
    return name, note


def _split_note(text: str) -> tuple[str, str | None]:
    noted = _NOTE.match(text)
    if noted and noted["note"][:1].islower():
        return noted["name"].strip(), noted["note"].strip()
    return text, None
