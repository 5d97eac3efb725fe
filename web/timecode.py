"""Times in URLs and on pages: ``?t=90``, ``?t=1m30s``, ``?t=1:02:03`` in; ``1:02:03`` out."""

from __future__ import annotations

import math
import re

_UNITS = re.compile(r"^(?:([0-9]+(?:\.[0-9]+)?)h)?(?:([0-9]+(?:\.[0-9]+)?)m)?(?:([0-9]+(?:\.[0-9]+)?)s?)?$")
_MAX_SECONDS = 366 * 24 * 3600


def parse_time(value: str | None) -> float | None:
    """Seconds from ``90``, ``90.5``, ``1m30s``, ``1h2m3s``, ``2:03`` or ``1:02:03``; ``None`` if not a time."""
    if value is None:
        return None
    text = value.strip().lower()
    if not text or len(text) > 32:
        return None
    seconds = _from_colons(text) if ":" in text else _from_units(text)
    if seconds is None or not math.isfinite(seconds) or seconds < 0 or seconds > _MAX_SECONDS:
        return None
    return seconds


def _from_colons(text: str) -> float | None:
    parts = text.split(":")
    if len(parts) > 3 or not all(re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", p) for p in parts):
        return None
    if any("." in p for p in parts[:-1]) or any(float(p) >= 60 for p in parts[1:]):
        return None
    total = 0.0
    for part in parts:
        total = total * 60 + float(part)
    return total


def _from_units(text: str) -> float | None:
    match = _UNITS.match(text)
    if not match or not any(match.groups()):
        return None
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def clock(seconds: float | None) -> str:
    """``75`` → ``1:15``; ``3723`` → ``1:02:03`` (whole seconds, rounded down)."""
    total = int(seconds or 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def iso_duration(seconds: float | None) -> str | None:
    """``PT1H2M3S`` for schema.org; ``None`` when unknown."""
    if not seconds:
        return None
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"PT{hours}H{minutes}M{secs}S"
