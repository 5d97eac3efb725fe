"""Keeping the full-text indexes compact (``uscm-archive compact``, the idle worker's compaction): real SQLite files
(and a real PostgreSQL), the bench's own queries, answers compared before and after."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.webarchive import build_sample_archive, lines_transcript

from archive.worker import Worker, WorkerOptions
from bench import queries
from bench.generate import generate
from bench.synth import Vocabulary
from catalog import Catalog, SearchRequest, SessionMeta, TrackInput
from uscm_archive.cli import cli as uscm_cli

WORDS = [
    "harbor",
    "dredging",
    "contract",
    "signed",
    "council",
    "budget",
    "transit",
    "housing",
    "water",
    "broadband",
]


def run(data_dir: Path, *args: str):
    return CliRunner().invoke(uscm_cli, ["--data", str(data_dir), *args])


def add_sessions(catalog: Catalog, count: int, start: int = 0) -> None:
    """``count`` small sessions, each saved in its own transaction (each leaves its own b-tree in an index)."""
    for n in range(start, start + count):
        lines = [
            (None, f"{WORDS[(n + k) % len(WORDS)]} {WORDS[(n * 3 + k) % len(WORDS)]} line {k} of session {n}")
            for k in range(5)
        ]
        catalog.save_session(
            f"test:compact:{n}",
            SessionMeta(title=f"Session {n}", date="2024-01-02"),
            [TrackInput(lines_transcript(lines))],
        )


def btrees(catalog: Catalog) -> dict[str, int]:
    return {shape.name: shape.btrees for shape in catalog.ops.index_shapes()}


def answers(catalog: Catalog, classes: dict) -> list:
    """Every bench query's first page and the next: total, corrected query, and each hit as a user sees it."""
    seen = []
    for items in classes.values():
        for q in items:
            for offset in (0, 20):
                found = catalog.search(SearchRequest(q.user, speaker=q.speaker, offset=offset))
                seen.append(
                    (
                        q.cls,
                        q.user,
                        offset,
                        found.total,
                        found.corrected_query,
                        [(h.segment_id, h.start, h.marked) for h in found.hits],
                    )
                )
    return seen


@pytest.fixture(scope="module")
def bench_archive(tmp_path_factory) -> Path:
    """A small generated archive (the bench's generator), then 40 more sessions saved one by one: a fragmented
    index, as a live archive's is. Returns its data folder; each test works on its own copy."""
    folder = tmp_path_factory.mktemp("compact") / "gen"
    generate(folder, 6_000, seed=3)
    data = folder / "data"
    catalog = Catalog.open(data / "catalog.db")
    try:
        add_sessions(catalog, 40)
    finally:
        catalog.close()
    return data


def copy_of(data: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    target.mkdir()
    assert run(data, "backup", str(target / "catalog.db")).exit_code == 0
    return target


def test_compact_merges_every_index_into_one_btree_and_search_answers_the_same(bench_archive, tmp_path):
    data = copy_of(bench_archive, tmp_path)
    classes = queries.build(data / "catalog.db", Vocabulary(), per_class=4)
    catalog = Catalog.open(data / "catalog.db")
    try:
        before = btrees(catalog)
        assert before["segments_fts"] > 2 and before["segment_windows_fts"] > 2
        assert {
            "segments_fts",
            "sessions_fts",
            "segment_windows_fts",
            "track_segments_fts",
            "chat_fts",
        } <= set(before)
        expected = answers(catalog, classes)
        result = run(data, "compact", "--json", "--pages", "50")
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["complete"] is True
        assert {i["name"]: i["before"] for i in report["indexes"]} == before
        assert all(i["after"] <= 1 for i in report["indexes"])
        assert max(i["steps"] for i in report["indexes"]) > 1  # in short steps, not one long transaction
        assert btrees(catalog) == {name: min(n, 1) for name, n in before.items()}
        assert answers(catalog, classes) == expected
        assert catalog.ops.check() == []
        last = catalog.ops.last_compaction()
        assert last["by"].startswith("cli:") and last["indexes"] == before
        # once compact, a second run has nothing to merge
        again = json.loads(run(data, "compact", "--json").stdout)
        assert all(i["steps"] == 0 for i in again["indexes"])
        # an ingest after it adds one b-tree (its segments go in as one statement, not one statement each), and
        # search sees it
        add_sessions(catalog, 1, start=500)
        assert btrees(catalog)["segments_fts"] == 2
        assert catalog.search(SearchRequest('"line 3 of session 500"')).total == 1
    finally:
        catalog.close()


def test_compact_needs_a_catalog_and_a_page_count_of_one_or_more(tmp_path):
    result = run(tmp_path, "compact")
    assert result.exit_code == 1 and "no catalog here" in result.output
    assert not (tmp_path / "catalog.db").exists()
    result = run(tmp_path, "compact", "--pages", "0")
    assert result.exit_code == 2 and "--pages" in result.output


def test_the_idle_worker_compacts_once_an_index_took_enough_writes_and_not_before(tmp_path):
    data = tmp_path / "data"
    catalog = Catalog.open(data / "catalog.db")
    try:
        add_sessions(catalog, 3)
        few = btrees(catalog)
        assert few["segments_fts"] == 3  # one per ingest
        idle = Worker(data / "catalog.db", data, options=WorkerOptions(until_idle=True, compact_at=12))
        assert idle.run() == 0 and idle.compactions == 0
        assert btrees(catalog) == few  # below the threshold: untouched
        assert catalog.ops.last_compaction() is None
        n = 3
        while max(btrees(catalog).values()) < 12:
            add_sessions(catalog, 1, start=n)
            n += 1
            assert n < 300
        many = btrees(catalog)
        idle = Worker(data / "catalog.db", data, options=WorkerOptions(until_idle=True, compact_at=12))
        assert idle.run() == 0 and idle.compactions == 1
        # the indexes that were due are one b-tree each; the others are left as they were
        assert btrees(catalog) == {name: 1 if count >= 12 else count for name, count in many.items()}
        last = catalog.ops.last_compaction()
        assert ":worker:" in last["by"] and last["complete"] is True
        assert last["indexes"] == {name: count for name, count in many.items() if count >= 12}
        assert catalog.search(SearchRequest('"line 4 of session 1"')).total == 1
        # compact_at=0: never, however fragmented
        add_sessions(catalog, 8, start=n)
        fragmented = btrees(catalog)
        off = Worker(data / "catalog.db", data, options=WorkerOptions(until_idle=True, compact_at=0))
        assert off.run() == 0 and off.compactions == 0 and btrees(catalog) == fragmented
    finally:
        catalog.close()


def test_searches_answer_while_a_compaction_runs(bench_archive, tmp_path):
    data = copy_of(bench_archive, tmp_path)
    reader = Catalog.open(data / "catalog.db")
    request = SearchRequest("housing")
    expected = reader.search(request)
    steps, running, answered = [], threading.Event(), []

    def step_taken() -> bool:  # called between steps: each search below falls between or inside them
        steps.append(time.perf_counter())
        running.set()
        return False

    def compact() -> None:
        writer = Catalog.open(data / "catalog.db")
        try:
            writer.ops.compact(by="test", pages=5, pause=0.01, should_stop=step_taken)
        finally:
            writer.close()

    thread = threading.Thread(target=compact)
    thread.start()
    try:
        assert running.wait(30)
        while thread.is_alive():
            began = time.perf_counter()
            found = reader.search(request)
            answered.append((began, time.perf_counter(), found.total, [h.segment_id for h in found.hits]))
    finally:
        thread.join(60)
    during = [a for a in answered if a[1] < steps[-1]]
    assert len(steps) > 20 and len(during) >= 3  # many steps, and searches answered between first and last
    assert all(a[2:] == (expected.total, [h.segment_id for h in expected.hits]) for a in answered)
    assert max(end - began for began, end, *_ in during) < 2.0  # never waited for the whole compaction
    assert all(count <= 1 for count in btrees(reader).values())
    reader.close()


def test_compact_on_postgresql_cleans_the_gin_indexes_and_is_never_due(pg_url, data_dir, monkeypatch):
    """(The SQLite side is the tests above.)"""
    monkeypatch.setenv("USCM_ARCHIVE_CATALOG", pg_url)
    build_sample_archive(data_dir, pg_url)
    catalog = Catalog.open(pg_url)
    try:
        before = catalog.search(SearchRequest("housing"))
        result = run(data_dir, "compact", "--json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["backend"] == "postgresql" and report["complete"] is True
        assert any(i["name"].endswith("_search") for i in report["indexes"])
        after = catalog.search(SearchRequest("housing"))
        assert (after.total, [h.segment_id for h in after.hits]) == (
            before.total,
            [h.segment_id for h in before.hits],
        )
        assert catalog.ops.compact_if_due(by="test", btrees=1) is None  # autovacuum's: never due here
        assert catalog.ops.last_compaction()["by"].startswith("cli:")
    finally:
        catalog.close()


@pytest.mark.backends
def test_a_long_session_goes_in_as_few_statements_and_every_segment_is_found(catalog):
    lines = [(None, f"word{k} said at the meeting") for k in range(4_500)]
    session = catalog.save_session(
        "test:long", SessionMeta(title="Long", date="2024-01-02"), [TrackInput(lines_transcript(lines))]
    )
    if catalog.ops.index_shapes():  # SQLite: the segments went in as one statement, so one b-tree
        assert btrees(catalog)["segments_fts"] == 1
    assert catalog.get_session(session).segment_count == 4_500
    for k in (0, 3_999, 4_000, 4_499):
        found = catalog.search(SearchRequest(f"word{k}"))
        assert found.total == 1 and found.hits[0].text == f"word{k} said at the meeting"
        assert found.hits[0].start == pytest.approx(lines_transcript(lines).segments[k].start)
