"""What an uploaded media file is, judged from its first bytes (never from its name or the browser's claim)."""

from __future__ import annotations

import re

MEDIA_TYPES = "MP4, M4A, MOV, WebM, MKV, Ogg, WAV, MP3 or FLAC"


def media_kind(head: bytes) -> tuple[str, str] | None:
    """``(extension, MIME type)`` of an audio or video file from its first bytes, else ``None``."""
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand.startswith(b"M4A"):
            return "m4a", "audio/mp4"
        if brand == b"qt  ":
            return "mov", "video/quicktime"
        return "mp4", "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return ("webm", "video/webm") if b"webm" in head[:64] else ("mkv", "video/x-matroska")
    if head.startswith(b"OggS"):
        return "ogg", "audio/ogg"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav", "audio/wav"
    if head.startswith(b"fLaC"):
        return "flac", "audio/flac"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3", "audio/mpeg"
    return None


def media_name(given: str | None, ext: str) -> str:
    """A safe file name: the upload's stem (letters, digits, dot, dash, underscore) and the extension its bytes show."""
    stem = re.sub(r"\.[A-Za-z0-9]{1,8}$", "", (given or "").replace("\\", "/").rsplit("/", 1)[-1])
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip(".-_")[:100] or "recording"
    return f"{stem}.{ext}"
