"""Bulk metadata import from a JSON Lines file: one session per line.

Fields: ``title`` (required), ``date`` (YYYY-MM-DD or null), ``event``, ``description``, ``speakers`` (credits
like "Mayor Tim Keller of Albuquerque", or ``{"name", "role"}`` objects), ``topics``, ``source_url``,
``video_url``, ``language``, ``draft`` (a JSON boolean: ``"yes"``, ``"true"`` or ``1`` are errors), ``transcript``
(a caption file, relative to the JSONL file), ``key`` (optional stable id). Any other field is kept in the
session's ``extra``. Types are strict (text fields are JSON strings) and every field has one length limit
(``catalog/store/field_limits.py``, the same as the staff forms and API); a line breaking either is refused
naming the field. ``drafts=True`` (the staff "add as drafts" box) makes every new session a draft, whatever its line says.

Source key: ``catalog:<key>`` when a line has ``key``, else ``catalog:<title slug>:<date or "undated">``: the
same line imported again updates its session. Every line is checked before anything is written; a bad line
stops the import (or is skipped with ``skip_bad``), and ``dry_run`` reports what would change.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from archive.checks import check_date, check_language, check_web_url
from archive.credits import split_credit
from archive.errors import ArchiveError
from archive.files import read_caption_file
from archive.options import IngestOptions
from archive.saving import FetchedSession, FetchedTrack, save_fetched
from archive.storage import files_for
from catalog import (
    Catalog,
    CatalogError,
    FileStore,
    FileStoreError,
    SessionMeta,
    SpeakerCredit,
    check_items,
    check_length,
)
from transcripts import TranscriptError

KNOWN = {"title", "date", "event", "description", "speakers", "topics", "source_url", "video_url", "language"}
KNOWN |= {"draft", "transcript", "key"}
COMPARED = ("title", "date", "event", "description", "source_url", "video_url")


@dataclass(frozen=True)
class LineOutcome:
    line: int
    title: str
    action: str  # "create" | "update" | "unchanged"
    session_id: int | None = None
    changes: tuple[str, ...] = ()


@dataclass
class ImportReport:
    path: str
    outcomes: list[LineOutcome] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, message)
    imported: bool = False  # False: nothing was written (dry run, or bad lines without skip_bad)

    def count(self, action: str) -> int:
        return sum(1 for o in self.outcomes if o.action == action)


def import_catalog(
    catalog: Catalog,
    data_dir: Path,
    path: Path,
    *,
    skip_bad: bool = False,
    dry_run: bool = False,
    drafts: bool = False,
    by: str | None = None,
    text: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    files: FileStore | None = None,
) -> ImportReport:
    """Import every line of ``path`` (see the module doc). Bad lines are reported with their line number.

    ``by`` (a staff name, ``cli:<login>``) is who the audit log names for each session saved. ``text``: the
    file's content already read (standard input), ``path`` then only names it and its folder is where
    transcripts are found. ``progress(done, total)`` is called after each session saved."""
    path = Path(path)
    files = files_for(data_dir, files)
    report = ImportReport(str(path))
    sessions = _read_all(path, report, drafts, text)
    if report.errors and (not skip_bad or not sessions):
        return report
    for number, fetched in sessions:
        report.outcomes.append(_plan(catalog, files, number, fetched))
    if dry_run:
        return report
    for index, (_, fetched) in enumerate(sessions):
        # An unchanged line writes nothing: its segments, versions and files stay exactly as they are.
        if report.outcomes[index].action != "unchanged":
            stored = save_fetched(catalog, data_dir, fetched, by, files)
            report.outcomes[index] = replace_id(report.outcomes[index], stored.session_id)
        if progress is not None:
            progress(index + 1, len(sessions))
    report.imported = True
    return report


def replace_id(outcome: LineOutcome, session_id: int) -> LineOutcome:
    return LineOutcome(outcome.line, outcome.title, outcome.action, session_id, outcome.changes)


def _read_all(
    path: Path, report: ImportReport, drafts: bool = False, text: str | None = None
) -> list[tuple[int, FetchedSession]]:
    try:
        text = path.read_text(encoding="utf-8-sig") if text is None else text.removeprefix("\ufeff")
    except FileNotFoundError:
        raise ArchiveError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ArchiveError(f"{path}: cannot read it as UTF-8 text: {exc}") from exc
    sessions: list[tuple[int, FetchedSession]] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            fetched = session_from_line(line, path.parent, drafts)
            if fetched.source_key in seen:
                raise ArchiveError(f"the same session (title and date) as line {seen[fetched.source_key]}")
        except (ArchiveError, TranscriptError) as exc:
            report.errors.append((number, str(exc)))
            continue
        seen[fetched.source_key] = number
        sessions.append((number, fetched))
    if not sessions and not report.errors:
        raise ArchiveError(f"{path}: no sessions in the file")
    return sessions


def session_from_line(line: str, folder: Path, drafts: bool = False) -> FetchedSession:
    row = parse_line(line)
    try:
        return _session(row, folder, drafts)
    except CatalogError as exc:  # a field over its length limit
        raise ArchiveError(str(exc)) from None


def parse_line(line: str) -> dict:
    """One catalog line as a JSON object of valid Unicode text, or ``ArchiveError`` saying what is wrong."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ArchiveError(f"not valid JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:
        raise ArchiveError("not a catalog line: its JSON is nested too deeply") from None
    if not isinstance(row, dict):
        raise ArchiveError("not a JSON object")
    _check_unicode(row, "the line")
    return row


def _check_unicode(value, where: str) -> None:
    """Refuse lone surrogates (``"\\ud800"`` in JSON): they are not text and no file or database can hold them."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ArchiveError(
                f"{where}: holds {value[exc.start]!r}, a lone surrogate, which is not valid Unicode text"
            ) from None
    elif isinstance(value, dict):
        for key, inner in value.items():
            _check_unicode(key, where)
            _check_unicode(inner, key if where == "the line" else where)
    elif isinstance(value, list):
        for inner in value:
            _check_unicode(inner, where)


def _session(row: dict, folder: Path, drafts: bool) -> FetchedSession:
    title = _text(row, "title")
    if not title:
        raise ArchiveError("a session needs a title")
    language = _text(row, "language")
    meta = SessionMeta(
        title=title,
        date=check_date(_text(row, "date")),
        event=_text(row, "event"),
        description=_text(row, "description"),
        source_url=check_web_url(_text(row, "source_url"), "source_url"),
        video_url=check_web_url(_text(row, "video_url"), "video_url"),
        language=check_language(language) if language else None,
        speakers=_speakers(row.get("speakers")),
        topics=tuple(_strings(row.get("topics"), "topics", "topic")),
        status="draft" if drafts or _draft(row) else "published",
        extra=_extra(row),
    )
    tracks = _transcript(row, folder, language)
    key = _text(row, "key") or f"{_slug(title)}:{meta.date or 'undated'}"
    return FetchedSession(f"catalog:{key}", meta, tracks)


def _transcript(row: dict, folder: Path, language: str | None) -> tuple[FetchedTrack, ...]:
    relative = _text(row, "transcript")
    if not relative:
        return ()
    options = IngestOptions(languages=(language,) if language else ())
    file = read_caption_file(folder / relative, options)
    if file.is_chapters:
        raise ArchiveError(f"{relative}: a chapters track, not a transcript")
    lang = language or file.transcript.language or "en"
    return (FetchedTrack(file.transcript, lang, "upload", file.transcript.format, raw=file.data),)


def _plan(catalog: Catalog, files: FileStore, number: int, fetched: FetchedSession) -> LineOutcome:
    session_id = catalog.find_session_id(fetched.source_key)
    if session_id is None:
        return LineOutcome(number, fetched.meta.title, "create")
    current = catalog.get_session(session_id, include_drafts=True)
    # An event renamed or merged away is saved under its new name: no change to report for it.
    event = fetched.meta.event and (catalog.event_redirect(fetched.meta.event) or fetched.meta.event)
    given = {f: event if f == "event" else getattr(fetched.meta, f) for f in COMPARED}
    changes = tuple(f for f in COMPARED if getattr(current, f) != given[f])
    if any(_track_changed(files, current, track) for track in fetched.tracks):
        changes += ("transcript",)
    if not {(c.name, c.role) for c in fetched.meta.speakers} <= {(s.name, s.role) for s in current.speakers}:
        changes += ("speakers",)
    if {t.casefold() for t in fetched.meta.topics} != {t.name.casefold() for t in current.topics}:
        changes += ("topics",)
    return LineOutcome(number, fetched.meta.title, "update" if changes else "unchanged", session_id, changes)


def _draft(row: dict) -> bool:
    value = row.get("draft")
    if value is None or isinstance(value, bool):
        return bool(value)
    raise ArchiveError(f"draft must be true or false (a JSON boolean), not {json.dumps(value)[:40]}")


def _extra(row: dict) -> dict:
    extra = {k: v for k, v in row.items() if k not in KNOWN}
    check_length("extra", json.dumps(extra, ensure_ascii=False))
    return extra


def _track_changed(files: FileStore, current, track: FetchedTrack) -> bool:
    """Whether ``track`` differs from the stored track of its language: its raw caption file, byte for byte."""
    stored = next((t for t in current.tracks if t.language == track.language), None)
    if stored is None or stored.source != track.source or not stored.raw_path or track.raw is None:
        return True
    try:
        return files.read_bytes(stored.raw_path) != track.raw
    except FileStoreError:
        return True  # its raw file is missing: import it again, which puts the file back


def _text(row: dict, name: str) -> str | None:
    value = row.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ArchiveError(f"{name} must be text (a JSON string), not {_json_type(value)}")
    return check_length(name, value.strip()) or None


def _json_type(value) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "an object"}
    return names.get(type(value), type(value).__name__)


def _strings(value, name: str, item: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ArchiveError(f"{name} must be a list of text")
    return [check_length(item, v.strip()) for v in check_items(name, value) if v.strip()]


def _speakers(value) -> tuple[SpeakerCredit, ...]:
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        credits = []
        for entry in check_items("speakers", value):
            if (
                not isinstance(entry, dict)
                or not isinstance(entry.get("name"), str)
                or not entry["name"].strip()
            ):
                raise ArchiveError('speakers given as objects need a "name"')
            role = entry.get("role")
            if role is not None and not isinstance(role, str):
                raise ArchiveError(f"a speaker's role must be text (a JSON string), not {_json_type(role)}")
            credits.append(
                SpeakerCredit(
                    check_length("speaker", entry["name"].strip()), check_length("role", role or None)
                )
            )
        return tuple(credits)
    return tuple(c for c in map(split_credit, _strings(value, "speakers", "speaker")) if c)


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "untitled"
