"""Who is speaking, as the words themselves tell: suggestions for staff, never applied on their own.

Three things people say at meetings name a speaker:

- "I'm Mayor Garcia" / "my name is ..." names the speaker of the turn it is in;
- "Thank you, Mayor Schieve" names the speaker of the turn before it;
- "The chair recognizes Mayor ..." / "... the mayor of Columbus" names the speaker of the next turn.

Turns are runs of lines without a pause of ``PAUSE`` seconds or more; a thanks or a recognition ends one. A
name heard is matched to the session's credited speakers by surname (or, for "the mayor of X", by the place in
a credit's role), so that "Mayor Schieve" suggests the credited "Hillary Schieve".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

PAUSE = 1.5
_TITLE = (
    r"(?i:mayor|council\s*member|councilmember|councilwoman|councilman|senator|governor|secretary|commissioner"
    r"|chair(?:man|woman)?|president|director|administrator|representative)"
)
_NAME = r"[A-Z][\w'.-]+(?:\s+[A-Z][\w'.-]+){0,2}"  # capitalised words: the case matters here
SELF = re.compile(rf"\b(?i:i'm|i am|my name is|this is)\s+(?:{_TITLE}\s+)?({_NAME})")
THANKS = re.compile(
    rf"^\W*(?i:thank you(?: very much)?),?\s+(?:(?i:madam|mister|mr\.?)\s+)?({_TITLE}\s+{_NAME})"
)
RECOGNISE = re.compile(
    rf"\b(?i:chair|i)\s+(?i:now\s+)?(?i:recogni[sz]es?)\s+(?:(?i:the)\s+)?"
    rf"(?:{_TITLE}\s+(?i:of)\s+(?P<place>[A-Z][\w.-]+(?:\s+[A-Z][\w.-]+)?)|(?P<name>(?:{_TITLE}\s+)?{_NAME}))"
)


@dataclass(frozen=True)
class Line:
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Credit:
    name: str
    role: str | None = None


@dataclass(frozen=True)
class SpeakerHint:
    start: float
    end: float
    name: str
    reason: str


def suggest_speakers(lines: Sequence[Line], credits: Sequence[Credit] = ()) -> list[SpeakerHint]:
    """Suggestions, in time order, one per (turn, name)."""
    turns = split_turns(lines)
    hints: dict[tuple[int, str], SpeakerHint] = {}
    for number, turn in enumerate(turns):
        for line in turn:
            for target, name, reason in _heard(line.text, number):
                if not 0 <= target < len(turns):
                    continue
                resolved = resolve(name, credits)
                if resolved:
                    span = turns[target]
                    hints.setdefault(
                        (target, resolved.lower()), SpeakerHint(span[0].start, span[-1].end, resolved, reason)
                    )
    if not hints and len(credits) == 1 and lines:  # one credited speaker and nobody else named: likely them
        only = credits[0].name
        hints[(0, only.lower())] = SpeakerHint(
            lines[0].start, lines[-1].end, only, "the only speaker credited"
        )
    return sorted(hints.values(), key=lambda h: (h.start, h.name))


def split_turns(lines: Sequence[Line]) -> list[list[Line]]:
    """Runs of lines: a pause of ``PAUSE`` s, a thanks or a recognition starts a new one."""
    turns: list[list[Line]] = []
    for line in lines:
        starts_new = (
            not turns
            or line.start - turns[-1][-1].end >= PAUSE
            or THANKS.search(line.text) is not None
            or RECOGNISE.search(turns[-1][-1].text) is not None
        )
        if starts_new:
            turns.append([line])
        else:
            turns[-1].append(line)
    return turns


def resolve(heard: str, credits: Sequence[Credit]) -> str | None:
    """The credited speaker ``heard`` names (by surname, or "of PLACE" by role); else the name as heard when it
    has a title and a name; else None."""
    heard = " ".join(heard.split()).strip(" ,.")
    place = re.match(r"(?i)place:(.+)", heard)
    if place:
        wanted = place.group(1).lower()
        for credit in credits:
            if credit.role and wanted in credit.role.lower():
                return credit.name
        return None
    surname = heard.split()[-1].lower() if heard else ""
    for credit in credits:
        if credit.name.split()[-1].lower() == surname:
            return credit.name
    return heard if len(heard.split()) >= 2 else None


def _heard(text: str, turn: int) -> list[tuple[int, str, str]]:
    found = []
    for match in SELF.finditer(text):
        found.append((turn, _titled(match.group(0), match.group(1)), match.group(0).strip()))
    match = THANKS.search(text)
    if match:
        found.append((turn - 1, match.group(1), match.group(0).strip(" ,")))
    for match in RECOGNISE.finditer(text):
        name = f"place:{match.group('place')}" if match.group("place") else match.group("name")
        found.append((turn + 1, name, match.group(0).strip()))
    return found


def _titled(said: str, name: str) -> str:
    title = re.search(rf"(?i)\b{_TITLE}\b", said)
    return f"{title.group(0).title()} {name}" if title else name
