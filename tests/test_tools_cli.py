"""``uscm-archive trends`` and ``search --csv`` over real caption files: the same counts and rows as the site
gives, drafts and retracted sessions in neither, and one clear error for a mistake."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from catalog import Catalog, SearchRequest
from tests.conftest import BACKENDS, fresh_pg
from tests.support.toolsarchive import FORMULA_LINES, build_tools_archive
from uscm_archive.cli import cli

TERMS = ("council", "monetary", "inflation OR employment")


@pytest.fixture(scope="module", params=BACKENDS)
def archive(request, tmp_path_factory):
    """The tools archive on each catalog backend (issue 16)."""
    from tests.conftest import corpus_path

    corpus = corpus_path()
    if not (corpus / "captions").is_dir():
        pytest.skip(f"real-world corpus not found at {corpus}")
    data_dir = tmp_path_factory.mktemp("tools-cli") / "data"
    data_dir.mkdir()
    url = fresh_pg(request) if request.param == "postgresql" else ""
    return build_tools_archive(data_dir, corpus, url)


def run(archive, *args: str):
    return CliRunner().invoke(cli, [*archive.cli_options(), *args])


def total(archive, query: str, **filters) -> int:
    catalog = Catalog.open(archive.catalog_path)
    try:
        return catalog.search(SearchRequest(query=query, limit=1, **filters)).total
    finally:
        catalog.close()


def test_trends_json_counts_are_the_totals_of_their_searches(archive):
    result = run(archive, "trends", *TERMS, "--by", "month", "--json")
    assert result.exit_code == 0, result.output
    trend = json.loads(result.output)
    assert trend["by"] == "month" and [s["term"] for s in trend["series"]] == list(TERMS)
    for series, point in ((s, p) for s in trend["series"] for p in s["points"] if p["count"]):
        period = next(p for p in trend["periods"] if p["label"] == point["period"])
        assert total(archive, series["term"], since=period["since"], until=period["until"]) == point["count"]


def test_trends_as_a_table_and_as_csv(archive):
    table = run(archive, "trends", "monetary", "council", "--event", "council")
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[0].split() == ["period", "monetary", "council"]
    assert lines[-1].split() == ["total", "0", str(total(archive, "council", event="council"))]
    rows = list(csv.DictReader(io.StringIO(run(archive, "trends", "monetary", "--csv").output)))
    assert [r["period"] for r in rows] == ["2019", "2020", "2021"] and rows[1]["count"] == "0"
    for row in rows:
        assert int(row["count"]) == total(archive, "monetary", since=row["since"], until=row["until"])
    assert rows[0]["search_url"] == "/search?q=monetary&since=2019-01-01&until=2019-12-31&correct=0"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("trends", "a", "b", "c", "d", "e", "f"), "error: at most 5 terms at once, got 6"),
        (("trends", "council", "--json", "--csv"), "error: choose one of --json and --csv"),
        (("search", "council", "--json", "--csv"), "error: choose one of --json and --csv"),
        (("trends", "council", "--by", "week"), "Invalid value for '--by'"),
    ],
)
def test_a_mistake_is_one_clear_error(archive, args, message):
    result = run(archive, *args)
    assert result.exit_code != 0 and message in result.output
    assert "Traceback" not in result.output


def test_search_csv_rows_are_the_search_in_order_with_links_and_no_formulas(archive):
    result = run(archive, "search", "the", "--csv", "--limit", "1000")  # more than one page of the search
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert len(rows) == min(total(archive, "the"), 1000) > 100
    assert len({(r["session_id"], r["start"], r["text"]) for r in rows}) == len(rows)
    assert all(r["url"].startswith(f"/sessions/{r['session_id']}?t=") for r in rows)
    few = list(csv.DictReader(io.StringIO(run(archive, "search", "the", "--csv").output)))
    assert few == rows[:20]
    formulas = list(csv.reader(io.StringIO(run(archive, "search", "spreadsheet", "--csv").output)))
    assert {row[6] for row in formulas[1:]} == {"'" + line for line in FORMULA_LINES}


def test_drafts_and_retracted_sessions_are_in_no_trend_or_csv(archive):
    rows = list(csv.DictReader(io.StringIO(run(archive, "search", "tirades", "--csv").output)))
    assert [r["session_id"] for r in rows] == [str(archive.sessions["A Talk on Money"])]
    trend = json.loads(run(archive, "trends", "tirades", "--json").output)
    assert [(p["period"], p["count"]) for p in trend["series"][0]["points"]] == [("2019", 1)]
