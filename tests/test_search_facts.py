"""What a search reads once per data version (``catalog/search/facts.py``: hidden sessions, other-language tracks,
unreviewed automatic transcripts) is never stale: a write by this catalog, by another connection or by another
process shows in the very next search."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from catalog import Catalog, SearchRequest, SessionMeta, TrackInput
from transcripts import Segment, Transcript

pytestmark = pytest.mark.search


def transcript(*lines: str) -> Transcript:
    return Transcript(segments=tuple(Segment(10.0 * n, 10.0 * n + 8, t) for n, t in enumerate(lines)))


def in_another_process(path: Path, code: str) -> None:
    script = "from catalog import *\nfrom transcripts import Segment, Transcript\n"
    script += f"catalog = Catalog.open({str(path)!r})\n" + textwrap.dedent(code) + "\ncatalog.close()\n"
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)


def sessions_found(catalog: Catalog, query: str) -> set[int]:
    return {hit.session_id for hit in catalog.search(SearchRequest(query)).hits}


@pytest.fixture
def archive(data_dir: Path):
    catalog = Catalog.open(data_dir / "catalog.db")
    meta = SessionMeta(title="Budget Hearing", date="2024-03-01")
    first = catalog.save_session("a", meta, [TrackInput(transcript("The levee budget was approved."))])
    second = catalog.save_session("b", meta, [TrackInput(transcript("A levee inspection is due."))])
    yield catalog, first, second
    catalog.close()


def test_a_session_retracted_or_published_elsewhere_shows_in_the_next_search(archive, data_dir):
    catalog, first, second = archive
    assert sessions_found(catalog, "levee") == {first, second}
    in_another_process(data_dir / "catalog.db", f"catalog.staff.edits.retract({first}, by='test')")
    assert sessions_found(catalog, "levee") == {second}
    assert catalog.search(SearchRequest("levee")).total == 1
    in_another_process(data_dir / "catalog.db", f"catalog.staff.edits.restore({first}, by='test')")
    assert sessions_found(catalog, "levee") == {first, second}


def test_this_catalogs_own_writes_show_in_its_next_search(archive, data_dir):
    catalog, first, second = archive
    assert sessions_found(catalog, "levee") == {first, second}
    catalog.staff.edits.retract(second, by="test")
    assert sessions_found(catalog, "levee") == {first}
    other = Catalog.open(data_dir / "catalog.db")  # a second connection in this process
    try:
        assert sessions_found(other, "levee") == {first}
        other.staff.edits.restore(second, by="test")
    finally:
        other.close()
    assert sessions_found(catalog, "levee") == {first, second}


def test_a_track_in_another_language_added_elsewhere_is_searched_at_once(archive, data_dir):
    catalog, first, _second = archive
    assert catalog.search(SearchRequest("presupuesto")).total == 0
    in_another_process(
        data_dir / "catalog.db",
        """
        meta = SessionMeta(title="Audiencia", date="2024-03-02")
        tracks = [
            TrackInput(Transcript(segments=(Segment(0.0, 5.0, "The levee hearing."),))),
            TrackInput(Transcript(segments=(Segment(0.0, 5.0, "El presupuesto del dique."),)), language="es"),
        ]
        catalog.save_session("c", meta, tracks)
        """,
    )
    results = catalog.search(SearchRequest("presupuesto"))
    assert results.total == 1 and results.hits[0].language == "es"
