"""The typo vocabulary one process read is where the next one starts (``catalog/search/vocabulary_file.py``): a
command-line search of a misspelt word or a new server worker does not walk the whole index again, and still
corrects to every word the archive holds, new ones included. A file that does not belong to this catalog file, or
that is broken, is not used."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from catalog import Catalog, SearchRequest, SessionMeta, TrackInput
from catalog.search import typos, vocabulary_file
from tests.support.traced import open_traced, statements
from transcripts import Segment, Transcript

pytestmark = pytest.mark.search

LINES = (
    "The federal government must be a partner in public housing.",
    "Our infrastructure bill will achieve a lot for transit.",
)


def save(catalog: Catalog, key: str, *lines: str) -> int:
    segments = tuple(Segment(10.0 * n, 10.0 * n + 8, text) for n, text in enumerate(lines))
    return catalog.save_session(key, SessionMeta(title=key.title(), date="2024-05-01"), [TrackInput(Transcript(segments=segments))])  # fmt: skip


def corrected_in_a_new_process(path: Path, typed: str) -> tuple[str | None, bool]:
    """(what a fresh process read ``typed`` as, whether it walked the index for its vocabulary)."""
    script = textwrap.dedent(
        f"""
        import json
        from catalog import Catalog, SearchRequest
        catalog = Catalog.open({str(path)!r})
        seen = []
        catalog.db.conn.set_trace_callback(seen.append)
        found = catalog.search(SearchRequest({typed!r}))
        print(json.dumps([found.corrected_query, any(s.startswith("SELECT term, doc FROM segment_words") for s in seen)]))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], check=True, timeout=60, capture_output=True, text=True
    )
    import json

    meant, walked = json.loads(done.stdout.strip().splitlines()[-1])
    return meant, walked


@pytest.fixture
def archive(data_dir: Path):
    catalog = Catalog.open(data_dir / "catalog.db")
    save(catalog, "forum", *LINES)
    yield catalog
    catalog.close()


def test_the_next_process_starts_from_the_first_ones_reading(archive, data_dir):
    path = data_dir / "catalog.db"
    assert not vocabulary_file.file_of(path).exists()
    assert corrected_in_a_new_process(path, "goverment") == ("government", True)  # read, and written down
    assert vocabulary_file.file_of(path).stat().st_mode & 0o777 == 0o600
    assert corrected_in_a_new_process(path, "infarstructre") == ("infrastructure", False)  # from the file


def test_words_said_after_the_file_was_written_are_corrected_to(archive, data_dir):
    path = data_dir / "catalog.db"
    assert corrected_in_a_new_process(path, "goverment") == ("government", True)
    save(archive, "later", "The stormwater ordinance passed unanimously.")
    assert corrected_in_a_new_process(path, "stormwatre") == ("stormwater", False)  # grown from the new lines
    assert corrected_in_a_new_process(path, "goverment") == ("government", False)


def test_a_copy_of_the_catalog_does_not_use_the_originals_file(archive, data_dir, tmp_path):
    path = data_dir / "catalog.db"
    assert corrected_in_a_new_process(path, "goverment") == ("government", True)
    archive.close()
    copy = tmp_path / "copy" / "catalog.db"
    copy.parent.mkdir()
    shutil.copy(path, copy)
    shutil.copy(vocabulary_file.file_of(path), vocabulary_file.file_of(copy))  # (the file came along)
    assert corrected_in_a_new_process(copy, "goverment") == ("government", True)  # another file: read afresh


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b'{"format": 1}', b"[1, 2]", b'{"format": 99}', "\u00e9\u00e9".encode("latin-1")],
    ids=["empty", "not JSON", "fields missing", "a list", "another format", "not UTF-8"],
)
def test_a_broken_file_is_read_past_and_replaced(archive, data_dir, body):
    path = data_dir / "catalog.db"
    vocabulary_file.file_of(path).write_bytes(body)
    assert corrected_in_a_new_process(path, "goverment") == ("government", True)
    assert vocabulary_file.load(path) is not None  # written again, whole
    assert corrected_in_a_new_process(path, "goverment") == ("government", False)


def test_a_file_whose_words_have_the_wrong_shape_is_not_used(archive, data_dir):
    path = data_dir / "catalog.db"
    assert corrected_in_a_new_process(path, "goverment") == ("government", True)
    version, vocabulary = vocabulary_file.load(path)
    vocabulary_file.save(path, version, typos.Vocabulary({10: ["short"]}, frozenset(), used={}))
    assert vocabulary_file.load(path) is None  # a word filed under a length it does not have
    assert corrected_in_a_new_process(path, "goverment") == ("government", True)


def test_in_this_process_the_file_is_read_once_and_searches_ask_nothing_more(archive, data_dir, monkeypatch):
    path = data_dir / "catalog.db"
    assert corrected_in_a_new_process(path, "goverment") == ("government", True)
    typos._cache.clear()  # (as a process that has not read it yet)
    catalog, opened = open_traced(path, monkeypatch)
    try:
        with statements(opened) as seen:
            first = catalog.search(SearchRequest("pulbic housing"))
            second = catalog.search(SearchRequest("goverment"))
    finally:
        catalog.close()
    assert (first.corrected_query, second.corrected_query) == ("public housing", "government")
    assert not [s for s in seen if s.startswith("SELECT term, doc FROM segment_words")]  # (the whole walk)
