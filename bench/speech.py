"""A known passage as speech: espeak-ng reads it sentence by sentence, the pieces are joined into one WAV, and
each sentence's start time is known from the lengths before it. Used by tests/test_asr.py and bench/asr.py."""

from __future__ import annotations

import re
import subprocess
import wave
from pathlib import Path

PASSAGE = (
    "Good morning and welcome to the winter meeting of the nation's mayors.",
    "Today we will talk about housing, public safety, and the future of our downtown streets.",
    "Thank you, Mayor Schieve, for hosting us in Reno this year.",
    "Our cities have added thousands of new homes, but rents are still rising faster than wages.",
    "The chair recognizes the mayor of Columbus for a report on transit.",
    "Buses now arrive every few minutes on the busiest routes, and ridership has grown for three straight years.",
    "We also opened two new libraries and repaired many miles of sidewalk.",
    "Water systems need steady investment, because old pipes break in the coldest weeks of the year.",
    "I'm Mayor Garcia, and I want to thank the federal partners who helped us replace lead service lines.",
    "Every child deserves clean water at school and at home.",
    "Finally, let us remember that small businesses are the heart of every neighborhood.",
    "When a bakery or a hardware store closes, the whole block feels it.",
    "We ask Congress to keep the community grants that help these owners stay open.",
    "Thank you all for coming, and please join us after lunch for the workshop on climate resilience.",
)
# US English voice, 140 words a minute, 30 ms between words: about 95 s for the passage.
ESPEAK = ("espeak-ng", "-v", "en-us", "-s", "140", "-g", "3")


def synthesise(folder: Path, name: str = "passage.wav", repeat: int = 1) -> tuple[Path, list[float], float]:
    """The passage (``repeat`` times over) as one WAV in ``folder``: its path, each sentence's start, its length."""
    starts, frames, params, rate = [], [], None, 0
    pieces = []
    for number, sentence in enumerate(PASSAGE):
        part = folder / f"part{number}.wav"
        subprocess.run([*ESPEAK, "-w", str(part), sentence], check=True)
        with wave.open(str(part)) as piece:
            params = params or piece.getparams()
            pieces.append(piece.readframes(piece.getnframes()))
    rate = params.framerate * params.sampwidth * params.nchannels
    for _ in range(repeat):
        for chunk in pieces:
            starts.append(sum(len(f) for f in frames) / rate)
            frames.append(chunk)
    out = folder / name
    with wave.open(str(out), "wb") as whole:
        whole.setparams(params)
        for chunk in frames:
            whole.writeframes(chunk)
    return out, starts, sum(len(f) for f in frames) / rate


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def word_accuracy(reference: str, heard: str) -> float:
    """1 - word error rate: the word-level edit distance over the number of words said."""
    ref, hyp = words(reference), words(heard)
    row = list(range(len(hyp) + 1))
    for i in range(1, len(ref) + 1):
        diagonal, row[0] = row[0], i
        for j in range(1, len(hyp) + 1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (ref[i - 1] != hyp[j - 1]))
    return 1 - row[len(hyp)] / len(ref)
