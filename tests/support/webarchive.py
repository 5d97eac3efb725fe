"""A small archive for web tests, saved through the real catalog into a temporary data folder.

It holds hostile text everywhere a user or a file can put it (titles, descriptions, speaker names, topics,
transcript lines), a session with archived media (a real, silent WAV file that browsers play and seek) and its
raw caption file, a YouTube-hosted session, a linked one, a draft and a retracted one.
"""

from __future__ import annotations

import hashlib
import wave
from dataclasses import dataclass, field
from pathlib import Path

from catalog import Catalog, MediaInput, SessionMeta, SpeakerCredit, TrackInput
from transcripts import Chapter, Mark, Segment, Transcript, parse_file
from uscm_archive.settings import Settings

XSS = '<script>alert("x")</script>'
XSS_IMG = '<img src=x onerror="alert(1)">'
DRAFT_WORD = "zanzibarian"
RETRACTED_WORD = "quuxcellent"

MAIN_LINES = (
    ("Mayor Ada Quill", "Good morning and welcome to the housing session."),
    ("Mayor Ada Quill", "We need more affordable housing in every city."),
    (f"Chief {XSS}", f"Our budget line reads {XSS} and that is a test."),
    (f"Chief {XSS}", "Transit and housing go together & always have."),
    ("Mayor Ada Quill", "The broadband plan reaches rural neighborhoods next year."),
    ("Mayor Ada Quill", 'She said "unbalanced quotes and C++ budgets" twice.'),
    (None, "Applause."),
    ("Mayor Ada Quill", "Thank you all for coming to Riverbend."),
)
STEP = 10.0


@dataclass(frozen=True)
class SampleArchive:
    data_dir: Path
    main: int
    youtube: int
    linked: int
    draft: int
    retracted: int
    media_bytes: bytes = field(repr=False)
    catalog_url: str = ""  # the PostgreSQL catalog's URL; empty: data_dir's catalog.db

    @property
    def settings(self) -> Settings:
        return Settings(data_dir=self.data_dir, catalog_url=self.catalog_url)


def write_silent_wav(path: Path, seconds: float, rate: int = 8000) -> bytes:
    """A silent mono 8-bit WAV of ``seconds``: a real media file that Chromium plays and seeks, made with no
    encoder (there is no ffmpeg here). Returns its bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(rate)
        out.writeframes(b"\x80" * int(seconds * rate))
    return path.read_bytes()


def media_input(data_dir: Path, relative: str, data: bytes, mime: str = "audio/wav") -> MediaInput:
    return MediaInput(path=relative, size=len(data), sha256=hashlib.sha256(data).hexdigest(), mime=mime)


def lines_transcript(lines, step: float = STEP) -> Transcript:
    segments = tuple(
        Segment(i * step, (i + 1) * step, text, speaker, (Mark(0, i * step),))
        for i, (speaker, text) in enumerate(lines)
    )
    return Transcript(segments=segments, language="en")


def save_main(catalog: Catalog, data_dir: Path) -> tuple[int, bytes]:
    media = write_silent_wav(data_dir / "media" / "sample" / "recording.wav", len(MAIN_LINES) * STEP + 5)
    caption = data_dir / "captions" / "sample" / "en.upload.vtt"
    caption.parent.mkdir(parents=True, exist_ok=True)
    caption.write_text(
        "WEBVTT\n\n00:00.000 --> 00:10.000\nGood morning and welcome to the housing session.\n"
    )
    meta = SessionMeta(
        title=f'Housing {XSS} & "Quotes" Plenary',
        date="2025-01-20",
        event="93rd Winter Meeting",
        description=f"Mayors discuss housing. {XSS_IMG}",
        duration=len(MAIN_LINES) * STEP,
        speakers=(
            SpeakerCredit("Mayor Ada Quill", "Mayor of Riverbend"),
            SpeakerCredit(f"Chief {XSS}", None),
        ),
        topics=("Housing", f"Public {XSS_IMG} Safety"),
    )
    track = TrackInput(
        lines_transcript(MAIN_LINES), raw_path="captions/sample/en.upload.vtt", source="upload"
    )
    chapters = (Chapter(0.0, "Welcome"), Chapter(40.0, f"Broadband {XSS}"))
    media_in = media_input(data_dir, "media/sample/recording.wav", media)
    return catalog.save_session("sample:main", meta, [track], chapters, media_in), media


def build_sample_archive(data_dir: Path, catalog_target: Path | str | None = None) -> SampleArchive:
    """The sample in ``data_dir``, its catalog the folder's catalog.db or ``catalog_target`` (a PostgreSQL URL)."""
    catalog = Catalog.open(catalog_target or data_dir / "catalog.db")
    try:
        main, media = save_main(catalog, data_dir)
        youtube = catalog.save_session(
            "sample:youtube",
            SessionMeta(
                title="Annual Meeting Transit Panel",
                date="2024-06-21",
                event="92nd Annual Meeting",
                video_url="https://www.youtube.com/watch?v=AbCdEfGhIjK",
                speakers=(SpeakerCredit("Mayor Ada Quill", "Mayor of Riverbend"),),
                topics=("Transit",),
            ),
            [TrackInput(lines_transcript([("Mayor Ada Quill", "Transit ridership grew in Riverbend.")]))],
        )
        linked = catalog.save_session(
            "sample:linked",
            SessionMeta(
                title="Press Call on Water", date="2023-03-02", video_url="https://video.example.org/w/5"
            ),
        )
        draft = catalog.save_session(
            "sample:draft",
            SessionMeta(title="Unreleased Draft Session", date="2025-02-01", status="draft"),
            [TrackInput(lines_transcript([(None, f"The {DRAFT_WORD} budget is secret.")]))],
        )
        retracted = catalog.save_session(
            "sample:retracted",
            SessionMeta(title="Withdrawn Session", date="2025-02-02"),
            [TrackInput(lines_transcript([(None, f"A {RETRACTED_WORD} remark was withdrawn.")]))],
        )
        catalog.set_status(retracted, "retracted")
    finally:
        catalog.close()
    return SampleArchive(data_dir, main, youtube, linked, draft, retracted, media, str(catalog_target or ""))


def save_corpus_session(data_dir: Path, caption: Path, title: str, media_seconds: float | None = None) -> int:
    """A real caption file from the corpus as a session (with a silent recording as long as it, if asked)."""
    transcript = parse_file(caption)
    media = None
    if media_seconds:
        data = write_silent_wav(data_dir / "media" / "corpus" / "recording.wav", media_seconds)
        media = media_input(data_dir, "media/corpus/recording.wav", data)
    catalog = Catalog.open(data_dir / "catalog.db")
    try:
        meta = SessionMeta(title=title, date="2024-01-18", event="Corpus", duration=transcript.duration)
        return catalog.save_session(f"corpus:{caption.name}", meta, [TrackInput(transcript)], (), media)
    finally:
        catalog.close()
