"""Caption and transcript files in, timed segments out. Pure: no network, no database.

Public API (everything else is private to the package):

- ``parse_file(path, language=None) -> Transcript``
- ``parse_bytes(data, name, language=None) -> Transcript``
- ``to_vtt / to_srt / to_txt / to_json(segments, ...) -> str``
- ``subtitles_vtt / subtitles_srt(segments) -> str`` and ``subtitle_cues``: short cues for players (the registry's
  VTT and SRT writers)
- the format registry: ``CAPTION_FORMATS``, ``EXPORT_FORMATS``, ``caption_format``, ``export_format``,
  ``format_of_name``, ``sniff_format(bytes)``, ``CAPTION_EXTENSIONS``, ``CAPTION_NAMES``
- Zoom chat exports: ``parse_chat(text, source, offset) -> Chat`` of ``ChatMessage`` (``transcripts/chat.py``)
- models ``Transcript``, ``Segment``, ``Mark``, ``Chapter``; errors ``TranscriptError``, ``NotCaptionsError``
"""

from transcripts.chat import Chat, ChatMessage, parse_chat, parse_chat_bytes
from transcripts.errors import NotCaptionsError, TranscriptError
from transcripts.export import to_json, to_srt, to_txt, to_vtt
from transcripts.formats import (
    CAPTION_EXTENSIONS,
    CAPTION_FORMATS,
    CAPTION_NAMES,
    EXPORT_FORMATS,
    CaptionFormat,
    ExportFormat,
    caption_format,
    export_format,
    format_of_name,
    sniff_format,
)
from transcripts.models import Chapter, Mark, Segment, Transcript
from transcripts.parse import MAX_CAPTION_BYTES, parse_bytes, parse_file
from transcripts.subtitles import SubtitleCue, subtitle_cues, subtitles_srt, subtitles_vtt

__all__ = [
    "Chat",
    "ChatMessage",
    "parse_chat",
    "parse_chat_bytes",
    "CAPTION_EXTENSIONS",
    "CAPTION_FORMATS",
    "CAPTION_NAMES",
    "EXPORT_FORMATS",
    "CaptionFormat",
    "ExportFormat",
    "caption_format",
    "export_format",
    "format_of_name",
    "sniff_format",
    "MAX_CAPTION_BYTES",
    "Chapter",
    "Mark",
    "NotCaptionsError",
    "Segment",
    "SubtitleCue",
    "Transcript",
    "TranscriptError",
    "parse_bytes",
    "parse_file",
    "subtitle_cues",
    "subtitles_srt",
    "subtitles_vtt",
    "to_json",
    "to_srt",
    "to_txt",
    "to_vtt",
]
