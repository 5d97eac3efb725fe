"""A catalog carrying objects of its own is refused: ``restore`` of a backup with a planted trigger, ``load`` into
such an archive, and ``check`` names every extra or altered object. Before, a backup with
``after insert on audit begin delete from sessions; end`` was restored, ``check`` said ok, and the next staff
edit deleted every session.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.archive_state import archive_state, fill_archive
from uscm_archive.cli import cli

TRIGGER = "create trigger wipe_sessions after insert on audit begin delete from sessions; end"


def run(data_dir: Path, *args: str):
    return CliRunner().invoke(cli, ["--data", str(data_dir), *args], catch_exceptions=False)


@pytest.fixture
def filled(catalog, data_dir, corpus):
    fill_archive(catalog, data_dir, corpus)
    return data_dir


def plant(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


def test_restore_refuses_a_backup_carrying_a_trigger_and_names_it(filled, tmp_path):
    backup = tmp_path / "tampered.db"
    assert run(filled, "backup", str(backup)).exit_code == 0
    plant(backup, TRIGGER)
    before = archive_state(filled)
    result = run(filled, "restore", str(backup))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "extra trigger 'wipe_sessions' on 'audit'" in result.stderr
    assert archive_state(filled) == before
    assert not list(filled.glob("catalog.db.bak-*"))


@pytest.mark.parametrize(
    ("statements", "says"),
    [
        ((TRIGGER,), "extra trigger 'wipe_sessions' on 'audit'"),
        (("CREATE VIEW everything AS SELECT * FROM users",), "extra view 'everything'"),
        (("CREATE INDEX sneaky ON users(password_hash)",), "extra index 'sneaky'"),
        (
            (
                "DROP TRIGGER sessions_ai",
                "CREATE TRIGGER sessions_ai AFTER INSERT ON sessions BEGIN"
                " INSERT INTO sessions_fts(rowid, title, description, event)"
                " VALUES (new.id, new.title, new.description, new.event); DELETE FROM users; END",
            ),
            "altered trigger 'sessions_ai' on 'sessions'",
        ),
    ],
    ids=["trigger", "view", "index", "altered-trigger"],
)
def test_check_reports_every_extra_or_altered_object(filled, statements, says):
    assert run(filled, "check").exit_code == 0
    plant(filled / "catalog.db", *statements)
    result = run(filled, "check")
    assert result.exit_code == 1
    assert says in result.stderr, result.stderr


def test_load_refuses_an_archive_whose_catalog_carries_a_trigger(filled, tmp_path, data_dir):
    dump = tmp_path / "dump"
    assert run(filled, "dump", str(dump)).exit_code == 0
    target = tmp_path / "target"
    from catalog import Catalog

    Catalog.open(target / "catalog.db").close()
    plant(target / "catalog.db", TRIGGER)
    before = archive_state(target)
    result = run(target, "load", str(dump))
    assert result.exit_code == 1
    assert "extra trigger 'wipe_sessions'" in result.stderr
    assert archive_state(target) == before


def test_a_sound_archive_and_a_backup_of_it_pass(filled, tmp_path):
    backup = tmp_path / "good.db"
    assert run(filled, "backup", str(backup)).exit_code == 0
    assert run(filled, "restore", str(backup)).exit_code == 0
    result = run(filled, "check")
    assert result.exit_code == 0, result.stderr
