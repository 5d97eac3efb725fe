"""Related moments as pages and the API show them: each a published hit with its link to the second it is said."""

from __future__ import annotations

from dataclasses import dataclass

from catalog import Catalog, NotFound
from web.published import PublishedHit, published_hit
from web.session_view import moment_url

LIMIT = 5


@dataclass(frozen=True)
class RelatedView:
    source: PublishedHit  # the moment they are related to
    source_link: str
    terms: tuple[str, ...]
    moments: tuple[tuple[PublishedHit, str], ...]  # (hit, link to its moment)


def related_view(catalog: Catalog, segment_id: int | None, limit: int = LIMIT) -> RelatedView | None:
    """The moments elsewhere about what ``segment_id`` says; ``None`` without a (public) segment."""
    if segment_id is None:
        return None
    try:
        found = catalog.related(segment_id, limit=limit)
    except NotFound:
        return None
    hits = tuple((published_hit(h), moment_url(h.session_id, h.start)) for h in found.hits)
    source = published_hit(found.source)
    return RelatedView(source, moment_url(source.session_id, source.start), found.terms, hits)


def related_dict(view: RelatedView, segment_id: int) -> dict:
    """The published JSON shape of related moments (``/api/segments/{id}/related``)."""
    return {
        "segment_id": segment_id,
        "terms": list(view.terms),
        "results": [
            {
                "session_id": hit.session_id,
                "session_title": hit.session_title,
                "session_date": hit.session_date,
                "segment_id": hit.segment_id,
                "start": float(hit.start),
                "end": float(hit.end),
                "speaker": hit.speaker,
                "text": hit.text,
                "snippet": hit.snippet,
                "url": link,
            }
            for hit, link in view.moments
        ],
    }
