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
    RateLimiter,
    SignInLimits,
    csrf_matches,
    hash_password,
    token_digest,
    verify_password,
)

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


def test_rate_limiter_blocks_after_limit_and_forgets_after_window():
    now = [1000.0]
    limiter = RateLimiter(3, 60, clock=lambda: now[0])
    for _ in range(3):
        assert limiter.retry_after("k") == 0
        limiter.fail("k")
    assert limiter.retry_after("k") == pytest.approx(60)
    assert limiter.retry_after("other") == 0
    now[0] += 61
    assert limiter.retry_after("k") == 0


def test_rate_limiter_forgets_old_keys_instead_of_growing_forever(monkeypatch):
    import web.auth

    monkeypatch.setattr(web.auth, "MAX_TRACKED_KEYS", 10)
    now = [0.0]
    limiter = RateLimiter(3, 60, clock=lambda: now[0])
    for number in range(10):
        limiter.fail(f"old-{number}")
    now[0] += 61
    limiter.fail("new-1")
    limiter.fail("new-2")
    assert len(limiter._failures) == 2


def test_sign_in_limits_per_user_and_per_client():
    now = [0.0]
    limits = SignInLimits(per_user=2, per_client=3, window=100, clock=lambda: now[0])
    limits.failed("Ann", "10.0.0.1")
    limits.failed("ann", "10.0.0.2")
    assert limits.retry_after("ANN", "10.0.0.9") > 0  # the user, from any client
    assert limits.retry_after("bob", "10.0.0.9") == 0
    limits.failed("bob", "10.0.0.9")
    limits.failed("carl", "10.0.0.9")
    limits.failed("dora", "10.0.0.9")
    assert limits.retry_after("erin", "10.0.0.9") > 0  # the client, for any user
    limits.succeeded("ann")
    assert limits.retry_after("ann", "10.0.0.1") == 0


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
