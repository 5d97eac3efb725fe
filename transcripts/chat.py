"""Zoom chat exports: the ``.txt`` a webinar's chat is saved as, read into timed messages. Pure: text in, messages out.

Two layouts (docs/FIELD-NOTES in the shared notes):

- newer exports: a header line ``00:12:34 From  Name  to  Everyone:`` then the message on the next line(s),
  usually indented by a tab (some exports put the message after the colon on the header line);
- older exports: one line each, ``00:12:34 From Name : message`` (``From Name to Other(Privately) : ...`` for a
  private message).

The clock is the chat's own, from the recording's start in a recorded webinar; ``offset`` (seconds, may be
negative) moves every message onto the video's clock. Messages sent privately (``to Name(Direct Message)``,
``(Privately)``, anyone but Everyone) are left out and counted: they were never public. A line that is neither a
header nor part of a message is a ``TranscriptError`` naming the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from transcripts.decode import decode_caption_bytes
from transcripts.errors import TranscriptError

MAX_MESSAGES = 20_000
MAX_MESSAGE = 4_000  # characters kept of one message
EVERYONE = ("everyone", "all panelists", "all panelists and attendees", "hosts and panelists")
_CLOCK = r"(?P<clock>\d{1,2}:\d{2}:\d{2})"
# "00:12:34 From  Ann Rivers  to  Everyone:" (message below or after the colon)
_NEW = re.compile(_CLOCK + r"\s+From\s+(?P<sender>.+?)\s+to\s+(?P<to>.+?)\s*:(?:\s(?P<rest>.*))?$")
# "00:12:34 From Ann Rivers : message"
_OLD = re.compile(_CLOCK + r"\s+From\s+(?P<sender>.+?)\s+:\s?(?P<rest>.*)$")


@dataclass(frozen=True)
class ChatMessage:
    start: float  # seconds on the video's clock
    sender: str
    text: str


@dataclass(frozen=True)
class Chat:
    messages: tuple[ChatMessage, ...]
    private_dropped: int = 0  # messages sent to someone rather than to everyone, left out


def parse_chat_bytes(data: bytes, source: str = "chat.txt", offset: float = 0.0) -> Chat:
    text, _warnings = decode_caption_bytes(data, source)
    return parse_chat(text, source, offset)


def parse_chat(text: str, source: str = "chat.txt", offset: float = 0.0) -> Chat:
    """The public messages of a Zoom chat export, in file order, each at ``its clock + offset`` (never below 0)."""
    messages: list[list] = []  # [start, sender, lines, public]
    dropped = 0
    for number, line in enumerate(text.splitlines(), start=1):
        header = _header(line)
        if header is not None:
            clock, sender, to, rest = header
            public = to is None or _is_everyone(to)
            messages.append([max(_seconds(clock, source, number) + offset, 0.0), sender, [], public])
            if rest:
                messages[-1][2].append(rest)
            if len(messages) > MAX_MESSAGES:
                raise TranscriptError(f"more than {MAX_MESSAGES:,} chat messages", source=source, line=number)
        elif line.strip():
            if not messages:
                raise TranscriptError(
                    f"expected a Zoom chat line like '00:12:34 From Name to Everyone:', got {line.strip()[:60]!r}",
                    source=source,
                    line=number,
                )
            messages[-1][2].append(line.strip())
    kept = []
    for start, sender, lines, public in messages:
        body = " ".join(lines).strip()[:MAX_MESSAGE]
        if not public:
            dropped += 1
        elif body:
            kept.append(ChatMessage(round(start, 3), sender, body))
    if not kept and not dropped:
        raise TranscriptError("no chat messages found: is this a Zoom chat export (.txt)?", source=source)
    return Chat(tuple(kept), dropped)


def _header(line: str) -> tuple[str, str, str | None, str] | None:
    stripped = line.strip()
    match = _NEW.match(stripped)
    if match:
        return match["clock"], _name(match["sender"]), match["to"].strip(), (match["rest"] or "").strip()
    match = _OLD.match(stripped)
    if match:
        sender, to = _name(match["sender"]), None
        if " to " in sender:  # "From Ann to Bob(Privately) : ..." in an older export
            sender, to = (part.strip() for part in sender.split(" to ", 1))
        return match["clock"], sender, to, match["rest"].strip()
    return None


def _name(text: str) -> str:
    return " ".join(text.split())[:200]


def _is_everyone(to: str) -> bool:
    to = " ".join(to.split()).lower()
    return to in EVERYONE or (to.startswith("everyone") and "direct" not in to and "private" not in to)


def _seconds(clock: str, source: str, line: int) -> float:
    hours, minutes, seconds = (int(part) for part in clock.split(":"))
    if minutes > 59 or seconds > 59:
        raise TranscriptError(f"{clock!r} is not a time of day (HH:MM:SS)", source=source, line=line)
    return float(hours * 3600 + minutes * 60 + seconds)
