"""Server-side control of staff sign-ins: a session generation per user.

A staff cookie carries the generation its user had when it was signed in; it is valid only while that is still
the user's generation. Signing out, changing the password and an admin's "sign out everywhere" move the
generation on, so every cookie signed in before stops working at once, however long it has left to run.
"""

from __future__ import annotations

import sqlite_utils

from catalog.store.db import transaction


class SessionGenerations:
    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    def current(self, user_id: int) -> int:
        row = self.db.conn.execute(
            "SELECT generation FROM session_generations WHERE user_id = ?", (user_id,)
        ).fetchone()
        return row[0] if row else 0

    def end_all(self, user_id: int) -> int:
        """End every session of the user; the new generation (for a cookie signed in from now on)."""
        with transaction(self.db) as conn:
            conn.execute(
                "INSERT INTO session_generations (user_id, generation) VALUES (?, 1)"
                " ON CONFLICT (user_id) DO UPDATE SET generation = session_generations.generation + 1",
                (user_id,),
            )
            return conn.execute(
                "SELECT generation FROM session_generations WHERE user_id = ?", (user_id,)
            ).fetchone()[0]
