"""The staff area (sign-in, cataloging, audit, the staff API). ``router`` is mounted by ``web.app.create_app``.

Pages live under ``/staff`` (cookie sign-in, CSRF token on every form); the JSON API under ``/api/staff``
(per-user bearer tokens). ``web.staff.core`` holds the checks every route shares.
"""

from fastapi import APIRouter

from web.staff import (
    add,
    api,
    api_ingest,
    bulk,
    dashboard,
    events,
    extras,
    items,
    searches,
    segments,
    sessions,
    signin,
    speakers,
    transcription,
    users,
)

router = APIRouter()
for _module in (
    signin,
    dashboard,
    extras,
    add,
    items,
    bulk,
    sessions,
    segments,
    speakers,
    searches,
    events,
    transcription,
    users,
    api,
    api_ingest,
):
    router.include_router(_module.router)
