"""The ingest pipeline: one function that the command line and the web staff area both call.

``ingest(catalog, data_dir, sources, options)`` takes caption files, ``.info.json`` files and URLs. Local files
are all read and parsed first: one bad file raises (naming it) before anything is written. URLs are fetched
item by item; a URL that fails is reported in the result (and kept as a failed item to retry), never stopping
the others.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from archive.checks import check_date, check_language, check_web_url, is_url
from archive.errors import ArchiveError
from archive.files import parse_caption_bytes, read_caption_file, sessions_from_files
from archive.infojson import is_info_json, read_info_json
from archive.media_files import is_media_file, read_media_file
from archive.options import IngestedSession, IngestOptions, IngestResult, Progress, ProgressEvent
from archive.saving import FetchedMedia, FetchedSession, save_fetched
from catalog import Catalog


def ingest(
    catalog: Catalog,
    data_dir: Path,
    sources: list[str],
    options: IngestOptions | None = None,
    progress: Progress | None = None,
) -> IngestResult:
    """Ingest every source (caption file, .info.json or URL); returns the sessions stored and the failures."""
    options = check_options(options or IngestOptions())
    if not sources:
        raise ArchiveError("nothing to ingest: give caption files, .info.json files or URLs")
    urls = [s for s in sources if is_url(s)]
    paths = [Path(s) for s in sources if not is_url(s)]
    local = read_local([p for p in paths if not is_media_file(p)], options)
    local += [read_media_file(p, data_dir, options) for p in paths if is_media_file(p)]
    result = IngestResult()
    for number, fetched in enumerate(local):
        if len(local) > 1:
            _report(progress, ProgressEvent(number, len(local), fetched.meta.title))
        result.sessions.append(save_fetched(catalog, data_dir, fetched, options.by, options.files))
    if urls:
        from archive import remote  # (yt-dlp: loaded only when there is a URL to fetch)

        for url in urls:
            result.extend(remote.ingest_url(catalog, data_dir, url, options, progress))
    return result


def ingest_caption_bytes(
    catalog: Catalog,
    data_dir: Path,
    data: bytes,
    filename: str,
    options: IngestOptions | None = None,
    *,
    max_bytes: int | None = None,
    media: FetchedMedia | None = None,
) -> IngestedSession:
    """An uploaded caption file (its bytes and file name) into a session, as ``ingest`` does for a path.

    ``media``: an uploaded media file already staged (``archive.uploads.stage_media_upload``), archived with the
    session; it is discarded if the session cannot be saved."""
    try:
        options = check_options(options or IngestOptions())
        if max_bytes is not None and len(data) > max_bytes:
            raise ArchiveError(f"{filename}: the file is larger than {max_bytes // 1024**2} MB")
        file = parse_caption_bytes(data, filename, options)
        fetched = sessions_from_files([file], options)[0]
    except BaseException:
        if media is not None and media.staged is not None:
            media.staged.discard()
        raise
    return save_fetched(
        catalog, data_dir, replace(fetched, media=media) if media else fetched, options.by, options.files
    )


def read_local(paths: list[Path], options: IngestOptions) -> list[FetchedSession]:
    """Read and validate every local file; raises on the first bad one, having written nothing."""
    sessions: list[FetchedSession] = []
    caption_files = []
    for path in paths:
        if is_info_json(path):
            sessions.extend(read_info_json(path, options))
        else:
            caption_files.append(read_caption_file(path, options))
    return sessions + sessions_from_files(caption_files, options)


def check_options(options: IngestOptions) -> IngestOptions:
    """Options with their values checked (dates, URLs, language codes) and blank text dropped."""
    for language in options.languages:
        check_language(language)
    return replace(
        options,
        title=_text(options.title),
        date=check_date(options.date),
        event=_text(options.event),
        description=_text(options.description),
        video_url=check_web_url(options.video_url, "video URL"),
    )


def _text(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def _report(progress: Progress | None, event: ProgressEvent) -> None:
    if progress is not None:
        progress(event)
