"""The search page's logic: any query string and filters in, hits grouped by session out. Never an error."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from catalog import Catalog, CatalogError, SearchRequest, parse_date
from web.paging import Page, page_number
from web.published import KINDS, PublishedHit, chat_hit_dict, published, search_kinds
from web.session_view import moment_url

PER_PAGE = 20
SESSION_MATCHES = 5
MAX_QUERY = 500
FILTERS = ("event", "speaker", "topic", "since", "until", "lang")
TREND_FILTERS = ("event", "speaker", "topic")  # a trend spans every period


@dataclass
class HitGroup:
    """The hits of one session on a results page."""

    session_id: int
    title: str
    date: str | None
    hits: list[tuple[PublishedHit, str]] = field(default_factory=list)  # (hit, link to the moment)


def valid_date(text: str) -> bool:
    return parse_date(text) is not None


def read_filters(params: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The filters as given (trimmed), minus dates that are not dates; notes say what was left out."""
    filters, notes = {}, []
    for name in FILTERS:
        value = (params.get(name) or "").strip()[:200]
        if not value:
            continue
        if name in ("since", "until") and not valid_date(value):
            label = "From" if name == "since" else "To"
            notes.append(f"{label} date “{value}” is not a date like 2024-01-31, so it was left out.")
            continue
        filters[name] = value
    return filters, notes


def group_hits(hits: tuple[PublishedHit, ...], query: str) -> list[HitGroup]:
    """A page's hits by session (sessions in the order of their best hit), each session's hits in time order."""
    groups: dict[int, HitGroup] = {}
    for hit in hits:
        group = groups.setdefault(
            hit.session_id, HitGroup(hit.session_id, hit.session_title, hit.session_date)
        )
        lang = hit.language if hit.other_track else None
        group.hits.append((hit, moment_url(hit.session_id, hit.start, query, lang)))
    for group in groups.values():
        group.hits.sort(key=lambda pair: pair[0].start)
    return list(groups.values())


def run_search(
    catalog: Catalog,
    query: str,
    filters: dict[str, str],
    number: int,
    exact: bool = False,
    correct: bool = True,
    kind: str = "all",
):
    """(spoken results or None, chat hits as published dicts with their total, a problem to show or None)."""
    offset = (number - 1) * PER_PAGE
    request = SearchRequest(
        query=query, limit=PER_PAGE, offset=offset, exact=exact, correct=correct, **filters
    )
    try:
        speech, chat = search_kinds(catalog, request, kind)
    except CatalogError as exc:
        return None, None, str(exc)
    chat_shown = None
    if chat is not None:
        chat_shown = {
            "total": chat.total,
            "hits": [(h, chat_hit_dict(h), chat_moment(h, query)) for h in chat.hits],
        }
    return (published(speech) if speech is not None else None), chat_shown, None


def chat_moment(hit, query: str) -> str:
    return moment_url(hit.session_id, hit.start, query)


def matching_sessions(catalog: Catalog, query: str, number: int) -> list:
    """Sessions whose title, description or event match, listed after the moments on an unfiltered first
    page, so that a session with no transcript yet is still found by what it is about."""
    if number != 1:
        return []
    try:
        return catalog.search_sessions(query, limit=SESSION_MATCHES)
    except CatalogError:
        return []


def search_context(catalog: Catalog, params: Mapping[str, str]) -> dict:
    query = (params.get("q") or "")[:MAX_QUERY]
    filters, notes = read_filters(params)
    number = page_number(params.get("page"))
    exact = params.get("exact") == "1"
    correct = params.get("correct") != "0"
    kind = params.get("kind") if params.get("kind") in KINDS else "all"
    results, chat, problem, sessions = (None, None, None, [])
    if query.strip():
        results, chat, problem = run_search(catalog, query, filters, number, exact, correct, kind)
        sessions = [] if filters or kind == "chat" else matching_sessions(catalog, query, number)
    if problem:
        notes.append(problem)
    total = results.total if results else (chat["total"] if chat and kind == "chat" else 0)
    kept = {
        "q": query,
        **filters,
        "exact": "1" if exact else "",
        "correct": "" if correct else "0",
        "kind": "" if kind == "all" else kind,
    }
    pager = Page(number, PER_PAGE, total, "/search", kept)
    return {
        "original_url": "/search?" + urlencode({**kept, "correct": "0"}),
        "query": query,
        "exact": exact,
        "filters": filters,
        "notes": notes,
        "results": results,
        "kind": kind,
        "chat": chat,
        "sessions": sessions,
        "groups": group_hits(results.hits, results.corrected_query or query) if results else [],
        "pager": pager,
        "facets": catalog.facets(),
        "feed_url": feed_url(query, filters, exact) if query.strip() else None,
        "trend_query": {"q": query, **{k: v for k, v in filters.items() if k in TREND_FILTERS}},
        "csv_query": {"q": query, **filters, **({"exact": "1"} if exact else {})},
        "languages": catalog.track_languages(),
    }


def feed_url(query: str, filters: dict[str, str], exact: bool) -> str:
    """The search's Atom feed of new moments (``/search.atom``), with the same query and filters."""
    return "/search.atom?" + urlencode({"q": query, **filters, **({"exact": "1"} if exact else {})})
