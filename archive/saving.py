"""The last step of every ingest: store a fetched session in the catalog and place its files.

``save_fetched`` is the only place where the archive writes sessions. Order: stage every file (disk errors
happen here, before the catalog changes), save the session with its transcript and file paths in one catalog
transaction (a new session's paths name its id through ``SESSION_ID``, filled in by the catalog), then move
the files into the session's folders. A crash at any point leaves no session without its transcript; a crash
between the save and the move leaves the raw file staged, and running the ingest again puts it in place.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

from archive import storage
from archive.options import IngestedSession
from catalog import SESSION_ID, Catalog, DataFolder, FileStore, MediaInput, SessionMeta, TrackInput
from transcripts import Chapter, Transcript

INGEST_WARNINGS = "ingest_warnings"  # the key in a session's ``extra``


@dataclass(frozen=True)
class FetchedTrack:
    """A parsed caption track and its raw bytes (or ``kept_path``, an already placed raw file)."""

    transcript: Transcript
    language: str
    source: str  # manual | auto | upload
    ext: str  # vtt | srt
    raw: bytes | None = None
    kept_path: str | None = None  # relative to the data folder

    @property
    def file_name(self) -> str:
        return storage.caption_name(self.language, self.source, self.ext)


@dataclass(frozen=True)
class FetchedMedia:
    staged: storage.StagedFile | None  # None: already archived at ``kept_path``
    size: int
    sha256: str
    mime: str | None = None
    kept_path: str | None = None


@dataclass(frozen=True)
class FetchedSession:
    source_key: str
    meta: SessionMeta
    tracks: tuple[FetchedTrack, ...] = ()
    chapters: tuple[Chapter, ...] = ()
    media: FetchedMedia | None = None
    warnings: tuple[str, ...] = ()


def save_fetched(
    catalog: Catalog,
    data_dir: Path,
    fetched: FetchedSession,
    by: str | None = None,
    files: FileStore | None = None,
) -> IngestedSession:
    """Insert or update the session for ``fetched.source_key``; returns what was stored. ``by`` is who asked
    (the audit log's "who"); ``files`` is where the session's files go (default: the data folder)."""
    files = storage.files_for(data_dir, files)
    staged = [(track, _stage(files, track)) for track in fetched.tracks]
    existing = catalog.find_session_id(fetched.source_key)
    warnings = tuple(
        dict.fromkeys(fetched.warnings + tuple(w for t in fetched.tracks for w in t.transcript.warnings))
    )
    try:
        meta = _with_warnings(_keep_status(catalog, existing, fetched.meta), warnings)
        # One transaction: a new session's file paths name its id through SESSION_ID, filled in by the catalog.
        tracks = [_track_input(existing or SESSION_ID, track, staged_file) for track, staged_file in staged]
        media = _media_input(existing or SESSION_ID, fetched.media)
        session_id = catalog.save_session(fetched.source_key, meta, tracks, fetched.chapters, media, by=by)
    except BaseException:
        _discard(staged, fetched.media)
        raise
    _move_files(session_id, staged, fetched.media)
    _record_captions(catalog, session_id, staged)
    kept = {t.raw_path.replace(SESSION_ID, str(session_id)) for t in tracks if t.raw_path}
    storage.prune(files, DataFolder.session_relpath("captions", session_id), kept)
    return IngestedSession(
        session_id=session_id,
        source_key=fetched.source_key,
        title=meta.title,
        created=existing is None,
        tracks=tuple((t.language, t.source) for t in tracks if t.transcript.segments),
        warnings=warnings,
        words=stored_words(catalog, session_id),
    )


def stored_words(catalog: Catalog, session_id: int) -> int:
    """How many words the session's stored transcript holds (what the ingest and the staff preview report)."""
    return catalog.word_count(session_id)


def words_in(segments) -> int:
    return sum(len(segment.text.split()) for segment in segments)


def _with_warnings(meta: SessionMeta, warnings: tuple[str, ...]) -> SessionMeta:
    """The warnings of this ingest kept in the session's ``extra`` (for the staff preview), at most 100."""
    extra = {key: value for key, value in (meta.extra or {}).items() if key != INGEST_WARNINGS}
    if warnings:
        extra[INGEST_WARNINGS] = list(warnings[:100])
    return replace(meta, extra=extra)


def _keep_status(catalog: Catalog, session_id: int | None, meta: SessionMeta) -> SessionMeta:
    """A session already in the archive keeps its status: a draft stays a draft, and fetching a published
    session again (a staffer pasting its URL, a sync) never hides it. ``draft`` applies to new sessions only;
    withdrawing a published session is the staff area's retract."""
    if session_id is None:
        return meta
    current = catalog.get_session(session_id, include_drafts=True)
    return replace(meta, status=current.status) if current else meta


def _stage(files: FileStore, track: FetchedTrack) -> storage.StagedFile | None:
    if track.raw is None:
        return None
    return storage.stage_bytes(files, track.raw, track.file_name)


def _track_input(
    session_id: int | str, track: FetchedTrack, staged_file: storage.StagedFile | None
) -> TrackInput:
    raw_path = track.kept_path
    if staged_file is not None:
        raw_path = storage.caption_relpath(session_id, track.language, track.source, track.ext)
    return TrackInput(track.transcript, language=track.language, source=track.source, raw_path=raw_path)


def _media_input(session_id: int | str, media: FetchedMedia | None) -> MediaInput | None:
    if media is None:
        return None
    path = media.kept_path
    if media.staged is not None:
        path = storage.media_relpath(session_id, media.staged.name)
    return MediaInput(path=path, size=media.size, sha256=media.sha256, mime=media.mime)


def _move_files(
    session_id: int,
    staged: list[tuple[FetchedTrack, storage.StagedFile | None]],
    media: FetchedMedia | None,
) -> None:
    for track, staged_file in staged:
        if staged_file is not None:
            relpath = storage.caption_relpath(session_id, track.language, track.source, track.ext)
            storage.place(staged_file, relpath)
    if media is not None and media.staged is not None:
        storage.place(media.staged, storage.media_relpath(session_id, media.staged.name))


def _record_captions(
    catalog: Catalog, session_id: int, staged: list[tuple[FetchedTrack, storage.StagedFile | None]]
) -> None:
    """Note each placed caption file's size and sha256, for ``check`` to verify the file against later."""
    catalog.ops.record_files(
        (
            storage.caption_relpath(session_id, track.language, track.source, track.ext),
            len(track.raw),
            hashlib.sha256(track.raw).hexdigest(),
        )
        for track, staged_file in staged
        if staged_file is not None and track.raw is not None
    )


def _discard(
    staged: list[tuple[FetchedTrack, storage.StagedFile | None]], media: FetchedMedia | None
) -> None:
    for _, staged_file in staged:
        if staged_file is not None:
            staged_file.discard()
    if media is not None and media.staged is not None:
        media.staged.discard()
