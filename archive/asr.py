"""Speech to timed text, offline, on the CPU: the one module that imports ``faster_whisper``.

faster-whisper runs Whisper through CTranslate2 (int8 on the CPU, voice-activity filter on) and decodes the
media with PyAV, so no ffmpeg program is needed. Each recognised segment becomes a ``transcripts.Segment`` with
one mark per word (its start time) and that word's probability. ``progress`` hears the percent of the audio
done; returning ``False`` from ``keep_going`` stops between segments (cancellation).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from archive.asr_model import AsrUnavailable, ModelChoice, choose_model
from archive.errors import ArchiveError
from transcripts import Mark, Segment


class Cancelled(ArchiveError):
    """The transcription was cancelled before it finished."""


@dataclass(frozen=True)
class RecognisedSegment:
    segment: Segment
    confidence: tuple[tuple[int, int, float], ...]  # (char offset, char end, probability) per word


@dataclass(frozen=True)
class Recognition:
    segments: tuple[RecognisedSegment, ...]
    duration: float
    model: ModelChoice


def available() -> bool:
    """Whether faster-whisper can be imported (the ``asr`` extra is installed)."""
    try:
        import faster_whisper  # noqa: F401
    except ImportError:
        return False
    return True


def recognise(
    media: Path,
    *,
    model_folder: Path | None = None,
    language: str = "en",
    threads: int | None = None,
    progress: Callable[[float], None] | None = None,
    keep_going: Callable[[], bool] | None = None,
) -> Recognition:
    """Transcribe the audio of ``media`` (any container PyAV reads: wav, mp3, mp4, webm, ...)."""
    try:
        from faster_whisper import WhisperModel
    except ImportError as exc:
        raise AsrUnavailable() from exc
    choice = choose_model(model_folder)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # belt and braces: a folder path never reaches a hub anyway
    try:
        model = WhisperModel(
            str(choice.folder), device="cpu", compute_type="int8", cpu_threads=threads or _threads()
        )
        pieces, info = model.transcribe(
            str(media),
            language=language,
            vad_filter=True,
            word_timestamps=True,
            condition_on_previous_text=False,
        )
        segments = []
        for piece in pieces:
            if keep_going is not None and not keep_going():
                raise Cancelled(f"{media.name}: transcription cancelled")
            recognised = _segment(piece)
            if recognised is not None:
                segments.append(recognised)
            if progress is not None and info.duration:
                progress(min(100.0, 100.0 * piece.end / info.duration))
    except (ArchiveError, KeyboardInterrupt):
        raise
    except Exception as exc:  # noqa: BLE001 - PyAV and CTranslate2 raise many kinds: name the file, once
        raise ArchiveError(f"{media.name}: cannot transcribe: {type(exc).__name__}: {exc}") from exc
    if progress is not None:
        progress(100.0)
    return Recognition(tuple(segments), float(info.duration), choice)


def _segment(piece) -> RecognisedSegment | None:
    text, marks, confidence = "", [], []
    for word in piece.words or ():
        token = word.word.strip()
        if not token:
            continue
        if text:
            text += " "
        marks.append(Mark(len(text), round(float(word.start), 3)))
        confidence.append((len(text), len(text) + len(token), round(float(word.probability), 3)))
        text += token
    if not text:
        return None
    start = marks[0].time if marks else float(piece.start)
    segment = Segment(start=start, end=max(start, round(float(piece.end), 3)), text=text, marks=tuple(marks))
    return RecognisedSegment(segment, tuple(confidence))


def _threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))
