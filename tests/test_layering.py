"""The package table in docs/architecture.md, enforced: who may import whom, and who alone imports which library."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

OURS = {"transcripts", "catalog", "archive", "web", "uscm_archive"}
MAY_IMPORT = {
    "transcripts": set(),
    "catalog": {"transcripts"},
    "archive": {"transcripts", "catalog"},
    "web": {"catalog", "archive", "transcripts"},
    "uscm_archive": OURS,
}
OWNER_OF = {
    "webvtt": {"transcripts"},
    "yt_dlp": {"archive"},
    "sqlite_utils": {"catalog"},
    "sqlite3": {"catalog"},
    "fastapi": {"web"},
    "starlette": {"web"},
    "jinja2": {"web"},
    "uvicorn": {"uscm_archive"},
    "click": {"uscm_archive"},
    "faster_whisper": {"archive"},  # archive/asr.py alone
    "ctranslate2": {"archive"},
    "av": {"archive"},
    "rapidfuzz": {"catalog"},
    "psycopg": {"catalog"},  # catalog/store/pg.py alone (test_psycopg_has_one_module)
    "psycopg_pool": {"catalog"},
    "anyio": {"web"},  # web/worker_start.py: the thread pool's size
    "tantivy": {"bench"},  # bench/tantivy_search.py alone: a contender, never a dependency of the archive
    "boto3": {"archive"},  # archive/object_store.py alone (tests/test_media_store.py)
    "botocore": {"archive"},
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def modules():
    for package in sorted(MAY_IMPORT):
        for path in sorted((ROOT / package).rglob("*.py")):
            yield package, path


@pytest.mark.parametrize(("package", "path"), list(modules()), ids=lambda v: str(v).split("/main/")[-1])
def test_package_imports_follow_the_table(package: str, path: Path):
    imported = imports_of(path)
    ours = (imported & OURS) - {package}
    assert ours <= MAY_IMPORT[package], (
        f"{path.relative_to(ROOT)} imports {sorted(ours - MAY_IMPORT[package])}"
    )
    for library, owners in OWNER_OF.items():
        if library in imported:
            assert package in owners, f"{path.relative_to(ROOT)} imports {library}, owned by {sorted(owners)}"


def test_psycopg_has_one_module():
    """PostgreSQL is reached through one module: every other part of the catalog speaks to its connection."""
    users = sorted(
        str(path.relative_to(ROOT)) for _, path in modules() if imports_of(path) & {"psycopg", "psycopg_pool"}
    )
    assert users == ["catalog/store/pg.py"]


def test_every_domain_package_is_checked():
    assert {p for p, _ in modules()} == set(MAY_IMPORT)


# -- the catalog's one entry -------------------------------------------------------------------------------------
# Outside ``catalog/`` code reaches the catalog through ``from catalog import ...`` and the ``Catalog`` object only:
# never a ``catalog.<sub>`` module, never its connection (``.db``, ``.conn``). Tests of the catalog's own rules
# may import the few internals named here (a unit under test, a threshold the test must exceed).
OUTSIDE_CATALOG = ("transcripts", "archive", "web", "uscm_archive", "bench", "tests")
WHITE_BOX = {
    "catalog.search": {
        "crosscut",
        "either",
        "lists",
        "paths",
        "prefixes",
        "typos",
        "vocabulary_file",
    },  # test_search_crosscut.py lowers COMMON_WORD; test_search_impact.py
    # watches paths._from_lists and switches paths.LISTS off; test_search_either.py watches either's two entries;
    # test_search_prefix_lists.py lowers lists.PREFIX_SCAN_LIMIT and paths.PREFIX_RANK_LIMIT and switches
    # prefixes.USE off; test_search_vocabulary_file.py reads and writes the vocabulary's file and empties
    # typos' per-process cache (a process that has not read it yet)
    "catalog.search.paths": {"RANK_LIMIT"},
    # tests/test_search_pg.py: the PostgreSQL tsquery compiler's rules
    "catalog.search.pg_query": {"Phrase", "Stats", "compile_query", "idf"},
    "catalog.search.query": {"parse", "words_of"},  # test_search_stems.py: words_of against its rule
    "catalog.staff.segments": {"remap_marks"},
    "catalog.staff.signin_limits": {"BASE_DELAY", "PER_CLIENT", "PER_USER_AND_CLIENT", "WINDOW"},
    "catalog.store": {
        "impact",
        "prefix_lists",
    },  # tests/test_search_impact.py lowers MIN_DF/LIST_SIZE, checks
    # weight(); tests/test_search_prefix_lists.py lowers prefix_lists.WALK_STEP
    "catalog.store.schema": {"MIGRATIONS"},
    # tests/test_pg_dialect.py: the statement translation, unit by unit, and the two migration lists' lengths
    "catalog.store.pg": {"Schema", "translate"},
    "catalog.store.schema_pg": {"MIGRATIONS"},
}
CONNECTION_ATTRIBUTES = {"db", "conn"}


def outside_files():
    for package in OUTSIDE_CATALOG:
        for path in sorted((ROOT / package).rglob("*.py")):
            if ".venv" not in path.parts and "work" not in path.relative_to(ROOT).parts[:2]:
                yield path


def catalog_imports(path: Path) -> list[tuple[str, set[str]]]:
    """Every ``catalog...`` module ``path`` imports, with the names it takes from it."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(a.name, set()) for a in node.names if a.name.split(".")[0] == "catalog"]
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module or "").split(".")[0] == "catalog"
        ):
            found.append((node.module, {a.name for a in node.names}))
    return found


def test_outside_code_imports_only_the_catalog_package_itself():
    offences = []
    for path in outside_files():
        in_tests = path.relative_to(ROOT).parts[0] == "tests"
        for module, names in catalog_imports(path):
            if module == "catalog" or (in_tests and names <= WHITE_BOX.get(module, set())):
                continue
            offences.append(f"{path.relative_to(ROOT)}: imports {module} {sorted(names)}")
    assert offences == []


def test_outside_code_never_touches_the_catalog_connection():
    offences = []
    for path in outside_files():
        if path.relative_to(ROOT).parts[0] == "bench":
            continue  # the benchmark has plain-SQLite contenders of its own (and ``.db`` paths), not the catalog's
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Attribute) and node.attr in CONNECTION_ATTRIBUTES:
                offences.append(f"{path.relative_to(ROOT)}:{node.lineno}: .{node.attr}")
    assert offences == []


def test_catalog_all_is_exactly_what_outside_code_uses():
    """Like httpx's exported-members test: nothing public that nobody uses, nothing used that is not public."""
    import catalog

    used = set()
    for path in outside_files():
        for module, names in catalog_imports(path):
            if module == "catalog":
                used |= names
    assert sorted(catalog.__all__) == sorted(used)
    assert all(hasattr(catalog, name) for name in catalog.__all__)
