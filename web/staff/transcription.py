"""Staff controls for offline transcription: the "Transcribe" button on a session with archived media, its
cancel, and the speaker-name suggestions to accept or reject. The work runs in the background through the
ingest queue (``archive.transcription``); the dashboard's queue shows its percent done."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from archive import ArchiveError, asr, transcription
from archive.asr_model import INSTALL_HINT
from archive.jobs import queue_transcription
from catalog import Catalog, CatalogError, Session
from web.background import nudge
from web.catalogs import catalog_for
from web.staff.core import StaffRoute, StaffUser, form_user, see_other, staff_for

router = APIRouter(route_class=StaffRoute)

NOTICES = {
    "transcribing": "Transcription started: its progress shows here and in the dashboard's queue.",
    "transcribe-cancelled": "Transcription cancelled.",
    "suggestion-accepted": "Speaker set on the lines of that turn.",
    "suggestion-rejected": "Suggestion rejected: it will not be offered again.",
}


def transcription_context(catalog: Catalog, data_dir, session: Session, files=None) -> dict:
    """What the staff session page shows about transcription."""
    job = catalog.queue.find_transcription(session.id)
    progress = next((p for p in catalog.queue.transcriptions() if job and p.item_id == job.id), None)
    return {
        "asr_track": catalog.asr_track(session.id),
        "asr_installed": asr.available(),
        "can_transcribe": _can_transcribe(catalog, data_dir, session, files),
        "asr_job": progress,
        "asr_hint": INSTALL_HINT,
        "suggestions": catalog.staff.suggestions.for_session(session.id),
    }


def _can_transcribe(catalog: Catalog, data_dir, session: Session, files=None) -> bool:
    try:
        transcription.transcribable(catalog, data_dir, session.id, files)
    except ArchiveError:
        return False
    return True


@router.post("/staff/sessions/{session_id}/transcribe", include_in_schema=False)
async def transcribe(request: Request, session_id: int, me: StaffUser = Depends(form_user)):
    settings = request.app.state.settings
    try:
        await run_in_threadpool(_queue, request, settings.data_dir, session_id, me.name)
    except (ArchiveError, CatalogError) as exc:
        from web.staff.sessions import session_page

        return session_page(request, me, session_id, status_code=400, error=str(exc))
    staff_for(request).audit.note(me.name, session_id, "transcript.asr.start")
    return see_other(f"/staff/sessions/{session_id}?notice=transcribing")


def _queue(request: Request, data_dir, session_id: int, by: str) -> None:
    if not asr.available():
        raise asr.AsrUnavailable()
    files = request.app.state.settings.files
    queue_transcription(catalog_for(request), data_dir, session_id, requested_by=by, files=files)
    nudge(request)


@router.post("/staff/sessions/{session_id}/transcribe/cancel", include_in_schema=False)
def cancel(request: Request, session_id: int, me: StaffUser = Depends(form_user)):
    if transcription.cancel(catalog_for(request), session_id):
        staff_for(request).audit.note(me.name, session_id, "transcript.asr.cancel")
    return see_other(f"/staff/sessions/{session_id}?notice=transcribe-cancelled")


@router.post("/staff/suggestions/{suggestion_id}/{verdict}", include_in_schema=False)
def decide(request: Request, suggestion_id: int, verdict: str, me: StaffUser = Depends(form_user)):
    if verdict not in ("accept", "reject"):
        raise CatalogError(f"{verdict!r}: a suggestion is accepted or rejected")
    decided = staff_for(request).suggestions.decide(suggestion_id, verdict == "accept", me.name)
    notice = "suggestion-accepted" if verdict == "accept" else "suggestion-rejected"
    return see_other(f"/staff/sessions/{decided.session_id}?notice={notice}#h-suggestions")
