"""The fingerprint of the key that signs staff sessions, kept in the catalog so that every node can tell whether
it signs with the same key as the others (a node with another key would sign out everyone its requests reach).

Only a fingerprint is stored (an HMAC of a fixed text under the key): the key itself never enters the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from catalog.errors import Conflict
from catalog.store.db import transaction, utcnow

SETTING = "signing-key-fingerprint"


@dataclass(frozen=True)
class KeyRecord:
    fingerprint: str
    set_by: str
    set_at: str


class SigningKey:
    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    def recorded(self) -> KeyRecord | None:
        row = self.db.conn.execute(
            "SELECT value, set_by, set_at FROM shared_settings WHERE name = ?", (SETTING,)
        ).fetchone()
        return KeyRecord(*row) if row else None

    def check(self, fingerprint: str, node: str, *, replace: bool = False) -> KeyRecord:
        """Record ``fingerprint`` if none is (or ``replace``); ``Conflict`` when another one is recorded."""
        with transaction(self.db) as conn:
            row = conn.execute(
                "SELECT value, set_by, set_at FROM shared_settings WHERE name = ?", (SETTING,)
            ).fetchone()
            if row is not None and row[0] == fingerprint:
                return KeyRecord(*row)
            if row is not None and not replace:
                raise Conflict(
                    f"this node signs staff sessions with another key than the archive's other nodes (the "
                    f"archive's key was recorded by {row[1]} at {row[2]}): give every node the same "
                    "USCM_ARCHIVE_SECRET_KEY, or start with --new-secret-key to make this node's key the "
                    "archive's (every staff member is signed out)",
                    field="secret_key",
                )
            now = utcnow()
            conn.execute(
                "INSERT INTO shared_settings (name, value, set_by, set_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value, set_by = excluded.set_by, "
                "set_at = excluded.set_at",
                (SETTING, fingerprint, node, now),
            )
            return KeyRecord(fingerprint, node, now)
