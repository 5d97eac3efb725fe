"""Make the demo's recordings: each demo caption cue spoken by espeak-ng, placed at the cue's start, as Ogg Opus.

Run ``python -m uscm_archive.demo_audio`` (needs the ``espeak-ng`` program and the ``media-tools`` extra:
``pip install -e '.[media-tools]'``, i.e. soundfile and numpy). It rewrites ``uscm_archive/demo/*.opus``; the
files are committed, so ``serve --demo`` needs none of this.

How the times line up: the transcript is the timing source. Every cue of a demo caption file (a mark of its
parsed segments) is synthesized on its own, with one espeak-ng voice per speaker, and written into a silent
track at the cue's start time. When the speech would run past the next cue's start, it is synthesized again
faster (words per minute raised in proportion, up to ``MAX_RATE``), so each line is heard inside its own cue and
clicking a line plays that line. The track is as long as the last cue's end plus a second.
"""

from __future__ import annotations

import io
import math
import shutil
import subprocess
import sys
from pathlib import Path

from transcripts import parse_file
from uscm_archive.demo import DEMO_DIR, demo_sessions

RATE = 16_000  # Hz: Opus takes 8, 12, 16, 24 or 48 kHz; speech needs no more
WORDS_PER_MINUTE = 165
MAX_RATE = 320
VOICES = ("en-us+m3", "en-us+f3", "en-us+m7", "en-us+f4")
FIT = 0.95  # of the time until the next cue


def cues_of(caption: Path) -> list[tuple[float, float, str, str | None]]:
    """``(start, until, text, speaker)`` per original cue: the marks of the parsed segments."""
    segments = parse_file(caption).segments
    cues = []
    for segment in segments:
        marks = [*segment.marks, None]
        for mark, following in zip(marks, marks[1:], strict=False):
            stop = len(segment.text) if following is None else following.offset
            until = segment.end if following is None else following.time
            cues.append((mark.time, until, segment.text[mark.offset : stop].strip(), segment.speaker))
    return [
        (start, min(until, cues[i + 1][0]) if i + 1 < len(cues) else until, text, speaker)
        for i, (start, until, text, speaker) in enumerate(cues)
    ]


def speak(text: str, voice: str, words_per_minute: int):
    """espeak-ng's speech for ``text`` as float samples at ``RATE``."""
    import numpy as np
    import soundfile

    wav = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(words_per_minute), "--stdout", text],
        check=True,
        capture_output=True,
    ).stdout
    samples, rate = soundfile.read(io.BytesIO(wav), dtype="float32")
    positions = np.arange(0, len(samples) * RATE / rate) * rate / RATE
    return np.interp(positions, np.arange(len(samples)), samples).astype("float32")


def fitted(text: str, voice: str, seconds: float):
    """The line spoken fast enough to end within ``seconds`` (or as fast as ``MAX_RATE`` allows)."""
    speed = WORDS_PER_MINUTE
    samples = speak(text, voice, speed)
    while len(samples) / RATE > seconds * FIT and speed < MAX_RATE:
        speed = min(MAX_RATE, math.ceil(speed * len(samples) / RATE / (seconds * FIT)) + 5)
        samples = speak(text, voice, speed)
    return samples


def recording(caption: Path):
    import numpy as np

    cues = cues_of(caption)
    voices: dict[str | None, str] = {}
    track = np.zeros(int((cues[-1][1] + 1.0) * RATE), dtype="float32")
    for start, until, text, speaker in cues:
        voice = voices.setdefault(speaker, VOICES[len(voices) % len(VOICES)])
        samples = fitted(text, voice, until - start)
        at = int(start * RATE)
        end = min(len(track), at + len(samples))
        track[at:end] = samples[: end - at]
    return track


def main() -> int:
    try:
        import numpy  # noqa: F401
        import soundfile
    except ImportError:
        print("error: soundfile and numpy are missing: pip install -e '.[media-tools]'", file=sys.stderr)
        return 1
    if shutil.which("espeak-ng") is None:
        print("error: the espeak-ng program is missing: apt-get install espeak-ng", file=sys.stderr)
        return 1
    for entry in demo_sessions():
        caption = DEMO_DIR / entry["file"]
        target = DEMO_DIR / entry["media"]
        soundfile.write(
            target, recording(caption), RATE, format="OGG", subtype="OPUS", compression_level=0.95
        )
        print(f"{target.name}: {target.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
