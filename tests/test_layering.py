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
    "rapidfuzz": {"catalog"},
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


def test_every_domain_package_is_checked():
    assert {p for p, _ in modules()} == set(MAY_IMPORT)
