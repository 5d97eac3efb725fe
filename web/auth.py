"""Staff authentication: argon2 password hashes, signed session cookies, CSRF tokens, API tokens.

Nothing here touches the database: the catalog stores hashes (``catalog.staff.users``), session generations
(``catalog.staff.session_generations``) and failed sign-ins (``catalog.staff.signins``); this module makes and checks
cookies and hashes. A session cookie is an itsdangerous-signed ``{"uid", "pw", "gen", "csrf"}``: ``pw`` is a
fingerprint of the user's password hash and ``gen`` the user's session generation when signing in, so changing a
password, signing out, "sign out everywhere" (or removing the user) ends every session signed in before.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE_NAME = "uscm_staff"
SESSION_MAX_AGE = 12 * 3600  # seconds a sign-in lasts
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
TOKEN_PREFIX = "uscm_"

_hasher = PasswordHasher()


class PasswordError(ValueError):
    """A password that cannot be accepted (too short, too long)."""


# -- passwords ---------------------------------------------------------------------------------------------
def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters long")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordError(f"the password must be at most {MAX_PASSWORD_LENGTH} characters long")


def hash_password(password: str) -> str:
    check_password_rules(password)
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    if not password or len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


_DUMMY_HASH = _hasher.hash("not a real password, used to spend the same time on unknown users")


def spend_verify_time(password: str) -> None:
    """Verify against a dummy hash, so that an unknown user name takes as long as a wrong password."""
    verify_password(_DUMMY_HASH, password or "x")


def password_fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


# -- API tokens --------------------------------------------------------------------------------------------
def new_api_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the catalog stores for a token: its sha256 (the token itself is shown once)."""
    return hashlib.sha256(token.encode()).hexdigest()


# -- session cookies and CSRF ------------------------------------------------------------------------------
@dataclass(frozen=True)
class CookieSession:
    """What a staff cookie carries: the signed-in user (``None`` before sign-in) and the CSRF token."""

    csrf: str
    user_id: int | None = None
    fingerprint: str | None = None
    # the user's session generation at sign-in (catalog.staff.session_generations)
    generation: int | None = None


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


class CookieSigner:
    """Signs and reads staff cookies with the site's secret key; a tampered or expired cookie reads as ``None``."""

    def __init__(self, secret_key: str, max_age: int = SESSION_MAX_AGE):
        if not secret_key:
            raise ValueError("a secret key is needed to sign staff sessions")
        self._serializer = URLSafeTimedSerializer(secret_key, salt="uscm-archive.staff-session")
        self.max_age = max_age

    def dumps(self, session: CookieSession) -> str:
        return self._serializer.dumps(
            {
                "csrf": session.csrf,
                "uid": session.user_id,
                "pw": session.fingerprint,
                "gen": session.generation,
            }
        )

    def loads(self, value: str | None) -> CookieSession | None:
        if not value:
            return None
        try:
            data = self._serializer.loads(value, max_age=self.max_age)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
            return None
        uid, generation = data.get("uid"), data.get("gen")
        return CookieSession(
            csrf=data["csrf"],
            user_id=uid if isinstance(uid, int) else None,
            fingerprint=data.get("pw"),
            generation=generation if isinstance(generation, int) else None,
        )
