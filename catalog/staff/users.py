"""Staff accounts and API tokens: every SQL statement about users and tokens.

Passwords and tokens arrive already hashed (``web.auth`` hashes them); this module only stores and finds them.
Roles: ``editor`` (catalog work) and ``admin`` (also manages users).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlite_utils

from catalog.errors import CatalogError, Conflict, NotFound
from catalog.staff.audit import record
from catalog.store.db import transaction, utcnow

ROLES = ("editor", "admin")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    disabled: bool
    created_at: str
    password_hash: str = field(default="", repr=False)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class ApiToken:
    id: int
    user_id: int
    label: str | None
    created_at: str
    last_used_at: str | None
    revoked: bool


def check_user_name(name: str) -> str:
    name = (name or "").strip()
    if not _NAME.match(name):
        raise CatalogError(
            f"invalid user name {name[:70]!r}: use 1 to 64 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit"
        )
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise CatalogError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    return role


def _user(row) -> User:
    return User(
        id=row[0], name=row[1], role=row[2], disabled=bool(row[3]), created_at=row[4], password_hash=row[5]
    )


_USER_COLUMNS = "id, name, role, disabled, created_at, password_hash"


class StaffUsers:
    """Users and their API tokens, on a catalog's connection."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    # -- users ---------------------------------------------------------------------------------------------
    # Each write records its audit entry (who: ``by``, a staff name or ``cli:<login>``) in its transaction.
    def add(self, name: str, password_hash: str, role: str = "editor", *, by: str | None = None) -> User:
        name, role = check_user_name(name), check_role(role)
        with transaction(self.db) as conn:
            if conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                raise Conflict(f"a user named {name!r} already exists")
            cursor = conn.execute(
                "INSERT INTO users (name, password_hash, role, created_at) VALUES (?, ?, ?, ?)",
                (name, password_hash, role, utcnow()),
            )
            record(conn, by, None, "user.add", user=name, role=role)
        return self.get(cursor.lastrowid)

    def get(self, user_id: int) -> User | None:
        row = self.db.conn.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE id = ?", (user_id,)).fetchone()
        return _user(row) if row else None

    def by_name(self, name: str) -> User | None:
        row = self.db.conn.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE name = ?", (name,)).fetchone()
        return _user(row) if row else None

    def require(self, name: str) -> User:
        user = self.by_name(name)
        if user is None:
            raise NotFound(f"no user named {name!r}")
        return user

    def list(self) -> list[User]:
        rows = self.db.conn.execute(
            f"SELECT {_USER_COLUMNS} FROM users ORDER BY name COLLATE NOCASE"
        ).fetchall()
        return [_user(row) for row in rows]

    def set_password(self, name: str, password_hash: str, *, by: str | None = None) -> None:
        with transaction(self.db) as conn:
            self._require_in(conn, name)
            conn.execute("UPDATE users SET password_hash = ? WHERE name = ?", (password_hash, name))
            record(conn, by, None, "user.password", user=name)

    def set_role(self, name: str, role: str, *, by: str | None = None) -> None:
        role = check_role(role)
        with transaction(self.db) as conn:
            user = self._require_in(conn, name)
            if user.is_admin and role != "admin":
                self._keep_an_admin(conn, user)
            conn.execute("UPDATE users SET role = ? WHERE id = ?", (role, user.id))
            record(conn, by, None, "user.role", user=name, changes={"role": [user.role, role]})

    def set_disabled(self, name: str, disabled: bool, *, by: str | None = None) -> None:
        with transaction(self.db) as conn:
            user = self._require_in(conn, name)
            if disabled and user.is_admin:
                self._keep_an_admin(conn, user)
            conn.execute("UPDATE users SET disabled = ? WHERE id = ?", (int(disabled), user.id))
            record(conn, by, None, "user.disable" if disabled else "user.enable", user=name)

    def remove(self, name: str, *, by: str | None = None) -> None:
        """Remove the account and its tokens. Its audit entries keep the name."""
        with transaction(self.db) as conn:
            user = self._require_in(conn, name)
            if user.is_admin:
                self._keep_an_admin(conn, user)
            conn.execute("DELETE FROM users WHERE id = ?", (user.id,))
            record(conn, by, None, "user.remove", user=name)

    def _require_in(self, conn, name: str) -> User:
        row = conn.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise NotFound(f"no user named {name!r}")
        return _user(row)

    def _keep_an_admin(self, conn, user: User) -> None:
        others = conn.execute(
            "SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0 AND id != ?", (user.id,)
        ).fetchone()[0]
        if others == 0:
            raise Conflict(f"{user.name!r} is the only active admin: make another admin first")

    # -- API tokens ----------------------------------------------------------------------------------------
    def add_token(
        self, user_id: int, token_hash: str, label: str | None = None, *, by: str | None = None
    ) -> ApiToken:
        label = (label or "").strip()[:100] or None
        with transaction(self.db) as conn:
            owner = conn.execute("SELECT name FROM users WHERE id = ?", (user_id,)).fetchone()
            if not owner:
                raise NotFound(f"no user with id {user_id}")
            cursor = conn.execute(
                "INSERT INTO api_tokens (user_id, token_hash, label, created_at) VALUES (?, ?, ?, ?)",
                (user_id, token_hash, label, utcnow()),
            )
            record(conn, by, None, "token.add", user=owner[0], label=label)
        return self._token(cursor.lastrowid)

    def tokens(self, user_id: int) -> list[ApiToken]:
        rows = self.db.conn.execute(
            "SELECT id, user_id, label, created_at, last_used_at, revoked FROM api_tokens "
            "WHERE user_id = ? ORDER BY id DESC",
            (user_id,),
        ).fetchall()
        return [ApiToken(r[0], r[1], r[2], r[3], r[4], bool(r[5])) for r in rows]

    def revoke_token(self, user_id: int, token_id: int, *, by: str | None = None) -> None:
        with transaction(self.db) as conn:
            cursor = conn.execute(
                "UPDATE api_tokens SET revoked = 1 WHERE id = ? AND user_id = ?", (token_id, user_id)
            )
            if cursor.rowcount == 0:
                raise NotFound(f"no token {token_id} of this user")
            record(conn, by, None, "token.revoke", token=token_id)

    def user_for_token(self, token_hash: str) -> User | None:
        """The active user holding an unrevoked token with this hash (and note when it was used)."""
        row = self.db.conn.execute(
            f"SELECT t.id, {', '.join('u.' + c.strip() for c in _USER_COLUMNS.split(','))} "
            "FROM api_tokens t JOIN users u ON u.id = t.user_id "
            "WHERE t.token_hash = ? AND t.revoked = 0 AND u.disabled = 0",
            (token_hash,),
        ).fetchone()
        if row is None:
            return None
        with transaction(self.db) as conn:
            conn.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", (utcnow(), row[0]))
        return _user(row[1:])

    def _token(self, token_id: int) -> ApiToken:
        row = self.db.conn.execute(
            "SELECT id, user_id, label, created_at, last_used_at, revoked FROM api_tokens WHERE id = ?",
            (token_id,),
        ).fetchone()
        return ApiToken(row[0], row[1], row[2], row[3], row[4], bool(row[5]))
