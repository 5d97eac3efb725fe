"""Staff accounts: password hashes, signed cookies, CSRF, sign-in limits, and the ``user`` commands."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from catalog import Catalog, CatalogError, Conflict
from tests.support.dbfile import scalar
from uscm_archive.cli import cli
from web.auth import (
    CookieSession,
    CookieSigner,
    PasswordError,
    csrf_matches,
    hash_password,
    token_digest,
    verify_password,
)

pytestmark = pytest.mark.backends

PASSWORD = "correct horse battery"


# -- web.auth ----------------------------------------------------------------------------------------------
def test_password_hash_is_argon2_and_verifies_only_the_right_password():
    hashed = hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$") and PASSWORD not in hashed
    assert verify_password(hashed, PASSWORD)
    assert not verify_password(hashed, PASSWORD + "x")
    assert not verify_password(hashed, "")
    assert not verify_password("not a hash", PASSWORD)


@pytest.mark.parametrize("password", ["short", "x" * 1025])
def test_password_rules_refuse_short_and_huge_passwords(password):
    with pytest.raises(PasswordError):
        hash_password(password)


def test_signed_cookie_round_trips_and_tampering_is_refused():
    signer = CookieSigner("k" * 40)
    value = signer.dumps(CookieSession("tok", 7, "fp"))
    assert signer.loads(value) == CookieSession("tok", 7, "fp")
    tampered = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    assert signer.loads(tampered) is None
    assert CookieSigner("other key " * 4).loads(value) is None
    assert signer.loads("garbage") is None and signer.loads(None) is None


def test_signed_cookie_expires(monkeypatch):
    signer = CookieSigner("k" * 40, max_age=60)
    value = signer.dumps(CookieSession("tok", 1, "fp"))
    import itsdangerous.timed

    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + 120)
    assert signer.loads(value) is None


def test_csrf_comparison():
    assert csrf_matches("abc", "abc")
    assert not csrf_matches("abc", "abd")
    assert not csrf_matches("abc", None) and not csrf_matches(None, None) and not csrf_matches("", "")


# Before: an in-memory limiter per process, 5 failures per user name from anywhere locked the account (the right
# password got 429 too, so anyone could lock out an admin). Now: counts per client and per user from one client,
# in the catalog (shared by every server process), with growing delays.
def test_sign_in_limits_count_per_client_and_per_user_from_one_client(catalog: Catalog):
    from catalog.staff.signin_limits import BASE_DELAY, PER_CLIENT, PER_USER_AND_CLIENT, WINDOW

    limits, now = catalog.staff.signins, 1_000_000.0
    for _ in range(PER_USER_AND_CLIENT.free):
        assert limits.retry_after("Ann", "10.0.0.1", now) == 0
        limits.failed("Ann", "10.0.0.1", now)
    assert limits.retry_after("ANN", "10.0.0.1", now) == pytest.approx(BASE_DELAY)  # the guesser waits
    assert limits.retry_after("ann", "10.0.0.2", now) == 0  # the user from elsewhere does not
    limits.failed("ann", "10.0.0.1", now + BASE_DELAY)
    assert limits.retry_after("ann", "10.0.0.1", now + BASE_DELAY) == pytest.approx(2 * BASE_DELAY)  # growing
    for number in range(PER_CLIENT.free):
        limits.failed(f"user{number}", "10.0.0.9", now)
    assert limits.retry_after("erin", "10.0.0.9", now) > 0  # one client guessing many names
    assert limits.retry_after("erin", "10.0.0.8", now) == 0
    assert limits.retry_after("ann", "10.0.0.1", now + WINDOW + 60) == 0  # forgotten after the window
    limits.succeeded("ann", "10.0.0.1")
    assert limits.retry_after("ann", "10.0.0.1", now + BASE_DELAY) == 0


def test_failed_sign_ins_are_shared_by_every_connection_to_the_catalog(catalog: Catalog, tmp_path):
    limits = catalog.staff.signins
    for _ in range(5):
        limits.failed("ann", "10.0.0.1")
    other = Catalog.open(catalog.path)
    try:
        assert other.staff.signins.retry_after("ann", "10.0.0.1") > 0  # another worker process sees it
    finally:
        other.close()


# -- accounts in the catalog --------------------------------------------------------------------------------
def test_user_names_are_unique_case_insensitively_and_checked(catalog: Catalog):
    users, hashed = catalog.staff.users, hash_password(PASSWORD)
    users.add("ann", hashed, "admin")
    with pytest.raises(Conflict):
        users.add("ANN", hashed)
    for bad in ["", " ", "a b", "<script>", "x" * 65]:
        with pytest.raises(CatalogError):
            users.add(bad, hashed)
    with pytest.raises(CatalogError, match="unknown role"):
        users.add("bob", hashed, "root")
    assert [u.name for u in users.list()] == ["ann"]


def test_the_last_admin_cannot_be_removed_or_demoted(catalog: Catalog):
    users = catalog.staff.users
    users.add("ann", hash_password(PASSWORD), "admin")
    users.add("bob", hash_password(PASSWORD), "editor")
    for change in (lambda: users.remove("ann"), lambda: users.set_role("ann", "editor")):
        with pytest.raises(Conflict, match="only active admin"):
            change()
    users.set_role("bob", "admin")
    users.remove("ann")
    assert [(u.name, u.role) for u in users.list()] == [("bob", "admin")]


def test_api_tokens_are_stored_hashed_and_revocable(catalog: Catalog):
    users = catalog.staff.users
    ann = users.add("ann", hash_password(PASSWORD))
    token = users.add_token(ann.id, token_digest("uscm_secret"), "script")
    stored = scalar(catalog.path, "SELECT token_hash FROM api_tokens")
    assert stored == token_digest("uscm_secret") and "uscm_secret" not in stored
    assert users.user_for_token(token_digest("uscm_secret")).name == "ann"
    assert users.user_for_token(token_digest("uscm_other")) is None
    users.revoke_token(ann.id, token.id)
    assert users.user_for_token(token_digest("uscm_secret")) is None


# -- the user commands ---------------------------------------------------------------------------------------
def run(data_dir, *args, input=None):
    return CliRunner().invoke(cli, ["--data", str(data_dir), "user", *args], input=input)


def test_user_add_reads_password_from_stdin_and_stores_only_a_hash(data_dir):
    result = run(data_dir, "add", "ann", "--admin", input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "added admin ann" in result.output
    row = sqlite3.connect(data_dir / "catalog.db").execute("SELECT role, password_hash FROM users").fetchone()
    assert row[0] == "admin" and row[1].startswith("$argon2") and PASSWORD not in row[1]
    assert verify_password(row[1], PASSWORD)


def test_user_commands_list_passwd_remove(data_dir):
    assert run(data_dir, "add", "ann", "--admin", input=PASSWORD + "\n").exit_code == 0
    assert run(data_dir, "add", "bob", input=PASSWORD + "\n").exit_code == 0
    listed = json.loads(run(data_dir, "list", "--json").output)
    assert [(u["name"], u["role"]) for u in listed] == [("ann", "admin"), ("bob", "editor")]
    assert run(data_dir, "passwd", "bob", input="a brand new password\n").exit_code == 0
    hashed = sqlite3.connect(data_dir / "catalog.db").execute(
        "SELECT password_hash FROM users WHERE name='bob'"
    )
    assert verify_password(hashed.fetchone()[0], "a brand new password")
    assert run(data_dir, "remove", "bob").exit_code == 0
    assert "bob" not in run(data_dir, "list").output


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("add", "ann"), "short\n", "at least 10 characters"),
        (("add", "ann"), "", "no password given"),
        (("add", "a b"), PASSWORD + "\n", "invalid user name"),
        (("passwd", "nobody"), PASSWORD + "\n", "no user named 'nobody'"),
        (("remove", "nobody"), None, "no user named 'nobody'"),
        (("add", "root"), PASSWORD + "\n", "already exists"),
    ],
)
def test_user_commands_refuse_bad_input_with_one_clear_line(data_dir, args, stdin, message):
    assert run(data_dir, "add", "root", "--admin", input=PASSWORD + "\n").exit_code == 0
    before = sqlite3.connect(data_dir / "catalog.db").execute("SELECT * FROM users").fetchall()
    result = run(data_dir, *args, input=stdin)
    assert result.exit_code == 1
    assert "error: " in result.output and message in result.output and "Traceback" not in result.output
    after = sqlite3.connect(data_dir / "catalog.db").execute("SELECT * FROM users").fetchall()
    assert after == before


def test_user_token_prints_a_token_that_authenticates(data_dir):
    assert run(data_dir, "add", "ann", input=PASSWORD + "\n").exit_code == 0
    token = run(data_dir, "token", "ann", "--label", "weekly script").output.strip()
    assert token.startswith("uscm_")
    catalog = Catalog.open(data_dir / "catalog.db")
    try:
        assert catalog.staff.users.user_for_token(token_digest(token)).name == "ann"
    finally:
        catalog.close()
