"""Reading the archive from the command line: ``search``, ``sessions``, ``export``."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import click

import transcripts
from catalog import CatalogError, NotFound, SearchRequest, SearchResults, Session
from uscm_archive.commands.common import open_catalog, with_settings
from uscm_archive.commands.output import STDIO, Output, reporting
from web.bulk import search_csv
from web.published import KINDS, chat_hit_dict, published, search_dict, search_kinds

_TAGS = re.compile(r"</?mark>")


def clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def plain(snippet: str) -> str:
    return html.unescape(_TAGS.sub("", snippet))


def results_json(results: SearchResults | None, chat=None, query: str = "") -> dict:
    return search_dict(published(results) if results is not None else None, chat, query)


def chat_text(chat) -> list[str]:
    if chat is None or not chat.hits:
        return []
    lines = ["", f"{chat.total} chat message{'s' if chat.total != 1 else ''} match:"]
    for hit in chat.hits:
        shown = chat_hit_dict(hit)
        lines += ["", f"{hit.session_title} ({hit.session_date or 'undated'}) [chat]"]
        lines += [f"  [{clock(hit.start)}] {hit.sender}: {plain(shown['snippet'])}", f"  {shown['url']}"]
    return lines


def results_text(results: SearchResults | None, chat=None) -> str:
    if results is None:
        return "\n".join(chat_text(chat)).strip() or f"No chat messages match {chat.query!r}."
    return "\n".join([speech_text(results), *chat_text(chat)])


def speech_text(results: SearchResults) -> str:
    if results.message:
        return results.message
    if not results.hits:
        return f"No results for {results.query!r} ({results.total} in all)."
    order = "newest first" if results.ordered_by == "date" else "best first"
    first = results.offset + 1
    lines = [
        f"Showing results for {results.corrected_query!r}; search instead for {results.query!r} with --no-correct"
    ]
    lines = lines if results.corrected_query else []
    lines += [
        f"{results.total} results for {results.query!r}, {order} ({first}-{results.offset + len(results.hits)}):"
    ]
    for hit in published(results).hits:
        lines += ["", f"{hit.session_title} ({hit.session_date or 'undated'})"]
        speaker = f"{hit.speaker}: " if hit.speaker else ""
        language = f"({hit.language}) " if hit.other_track else ""  # the primary track's language goes unsaid
        lines += [f"  [{clock(hit.start)}] {language}{speaker}{plain(hit.snippet)}", f"  {hit.url}"]
    return "\n".join(lines)


def _non_negative(ctx, param, value):
    if value is not None and value < 0:
        raise CatalogError(f"--{param.name} must not be negative, got {value}")
    return value


@click.command()
@with_settings
@click.argument("query")
@click.option(
    "--csv",
    "as_csv",
    is_flag=True,
    help="Print CSV, one moment a row with its link, up to --limit rows (at most 10000).",
)
@click.option(
    "--limit", type=int, default=20, show_default=True, callback=_non_negative, help="Results per page."
)
@click.option(
    "--offset", type=int, default=0, show_default=True, callback=_non_negative, help="Results to skip."
)
@click.option("--session", "session_id", type=int, default=None, help="Only inside this session (its id).")
@click.option("--speaker", default=None, help="Only words of this speaker (name or slug).")
@click.option("--topic", default=None, help="Only sessions on this topic (name or slug).")
@click.option("--event", default=None, help="Only sessions of this event (name or slug).")
@click.option("--since", default=None, metavar="YYYY-MM-DD", help="Only sessions on or after this date.")
@click.option("--until", default=None, metavar="YYYY-MM-DD", help="Only sessions on or before this date.")
@click.option(
    "--lang",
    default=None,
    metavar="CODE",
    help="Only caption tracks in this language, e.g. es [default: every].",
)
@click.option("--exact", is_flag=True, help="Match the literal words (no other word forms).")
@click.option("--no-correct", is_flag=True, help="Search misspelt words as typed, never corrected.")
@click.option(
    "--kind",
    type=click.Choice(KINDS),
    default="all",
    show_default=True,
    help="What to search: spoken words (speech), webinar chat messages (chat) or both (--csv: spoken words).",
)
@reporting("query, total, chat_total and results (the shape of /api/search).")
def search(settings, query: str, as_csv: bool, no_correct: bool, kind: str, out: Output, **options) -> None:
    """Find the moments where QUERY was said (or written in a webinar's chat): "a phrase", word*, a OR b, -word."""
    if out.as_json and as_csv:
        raise CatalogError("choose one of --json and --csv")
    request = SearchRequest(query=query, correct=not no_correct, **options)
    with open_catalog(settings) as catalog:
        if as_csv:
            click.echo(search_csv(catalog, request, rows=request.limit), nl=False)
            return
        results, chat = search_kinds(catalog, request, kind)
    if out.as_json:
        click.echo(json.dumps(results_json(results, chat, query), ensure_ascii=False))
    out.data(results_text(results, chat))


def session_json(session: Session) -> dict:
    return {
        "id": session.id,
        "title": session.title,
        "date": session.date,
        "event": session.event,
        "status": session.status,
        "segments": session.segment_count,
        "speakers": [speaker.name for speaker in session.speakers],
        "topics": [topic.name for topic in session.topics],
        "video_url": session.video_url,
        "url": f"/sessions/{session.id}",
    }


@click.command()
@with_settings
@click.option("--drafts", is_flag=True, help="Include drafts and retracted sessions.")
@reporting(
    'a list of {"id", "title", "date", "event", "status", "segments", "speakers", "topics", '
    '"video_url", "url"}.'
)
def sessions(settings, drafts: bool, out: Output) -> None:
    """List the sessions in the archive, newest first."""
    found: list[Session] = []
    with open_catalog(settings) as catalog:
        total, page = catalog.list_sessions(include_drafts=drafts, limit=1000)
        found += page
        while len(found) < total and page:
            _, page = catalog.list_sessions(include_drafts=drafts, limit=1000, offset=len(found))
            found += page
    out.emit([session_json(s) for s in found])
    for s in found:
        status = "" if s.status == "published" else f" [{s.status}]"
        out.data(f"{s.id:>5}  {s.date or 'undated':<10}  {s.title}{status}  ({s.segment_count} segments)")
    out.summary(f"{total} sessions")


def export_text(catalog, session_id: int, fmt: str) -> str:
    session = catalog.get_session(session_id, include_drafts=True)
    if session is None:
        raise NotFound(f"no session with id {session_id}")
    segments = catalog.segments(session_id)
    return transcripts.export_format(fmt).write(segments, title=session.title, meta=session_json(session))


@click.command()
@with_settings
@click.argument("session_id", type=int)
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.name for f in transcripts.EXPORT_FORMATS]),
    default="vtt",
    show_default=True,
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    default=None,
    help="Write to FILE (`-`: standard output, the default).",
)
@reporting(None)
def export(settings, session_id: int, fmt: str, output: str | None, out: Output) -> None:
    """Export a session's transcript as WebVTT, SRT, plain text or JSON (`--format json`)."""
    with open_catalog(settings) as catalog:
        text = export_text(catalog, session_id, fmt)
    if output in (None, STDIO):
        click.echo(text, nl=not text.endswith("\n"))
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CatalogError(f"cannot write {output}: {exc.strerror or exc}") from exc
    out.note(f"wrote {output}")


def register(cli: click.Group) -> None:
    for command in (search, sessions, export):
        cli.add_command(command)
