"""Everything staff do to the catalog: session edits, segment corrections, speakers and topics, users and
tokens, sign-in limits and session generations, and the audit log every edit writes in its own transaction.

``Catalog.staff`` is a ``Staff`` on the catalog's connection.
"""

from __future__ import annotations

import sqlite_utils

from catalog.staff.audit import AuditEntry, AuditLog
from catalog.staff.edits import EDITABLE_FIELDS, ChapterInput, StaffEdits, StaffSessionRow
from catalog.staff.events import EventSummary, StaffEvents
from catalog.staff.extras import StaffExtras
from catalog.staff.searches import SavedSearch, StaffSearches
from catalog.staff.segments import KEEP, SegmentVersion, StaffSegment, StaffSegments
from catalog.staff.sessions import SessionGenerations
from catalog.staff.signin_limits import SigninLimits
from catalog.staff.signing_key import SigningKey
from catalog.staff.speakers import SpeakerSummary, StaffSpeakers
from catalog.staff.suggestions import Offer, SpeakerSuggestions, Suggestion
from catalog.staff.users import ROLES, ApiToken, StaffUsers, User

__all__ = [
    "EDITABLE_FIELDS",
    "KEEP",
    "ROLES",
    "ApiToken",
    "AuditEntry",
    "ChapterInput",
    "EventSummary",
    "Offer",
    "SavedSearch",
    "SegmentVersion",
    "SpeakerSummary",
    "Staff",
    "StaffSegment",
    "StaffSessionRow",
    "Suggestion",
    "User",
]


class Staff:
    """The staff parts, sharing one catalog connection: ``users``, ``signins`` (failed sign-ins and their
    delays), ``session_generations`` (server-side sign-out), ``edits``, ``segments``, ``speakers``, ``events``,
    ``suggestions`` (speaker names offered by transcription), ``audit``, ``searches`` (saved searches for e-mail
    digests), ``extras`` (a webinar's chat, links and slides), ``signing_key`` (the fingerprint every node's
    signing key must match)."""

    def __init__(self, db: sqlite_utils.Database):
        self.users = StaffUsers(db)
        self.signins = SigninLimits(db)
        self.session_generations = SessionGenerations(db)
        self.edits = StaffEdits(db)
        self.segments = StaffSegments(db)
        self.speakers = StaffSpeakers(db)
        self.events = StaffEvents(db)
        self.suggestions = SpeakerSuggestions(db)
        self.audit = AuditLog(db)
        self.searches = StaffSearches(db)
        self.extras = StaffExtras(db)
        self.signing_key = SigningKey(db)
