"""The staff JSON API under ``/api/staff``: the same edits as the staff pages, for scripts.

Authentication is a per-user token (``Authorization: Bearer <token>``, made on the account page or with
``uscm-archive user token``); roles apply as in the browser. Errors: ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from catalog import KEEP, ChapterInput
from web.auth import hash_password
from web.catalogs import catalog_for
from web.staff.core import API_PREFIX, StaffRefusal, StaffRoute, StaffUser, api_admin, api_user, staff_for

router = APIRouter(prefix=API_PREFIX, route_class=StaffRoute, tags=["staff"])


class MetadataChanges(BaseModel):
    title: str | None = None
    date: str | None = None
    event: str | None = None
    description: str | None = None
    source_url: str | None = None
    video_url: str | None = None
    thumbnail_url: str | None = None
    language: str | None = None
    tags: list[str] | None = None


class Credit(BaseModel):
    name: str = Field(max_length=200)
    role: str | None = Field(default=None, max_length=200)


class Credits(BaseModel):
    speakers: list[Credit] = Field(max_length=500)


class Topics(BaseModel):
    topics: list[str] = Field(max_length=500)


class ChapterBody(BaseModel):
    start: float = Field(ge=0, le=366 * 24 * 3600)
    end: float | None = Field(default=None, ge=0, le=366 * 24 * 3600)
    title: str = Field(max_length=300)


class Chapters(BaseModel):
    chapters: list[ChapterBody] = Field(max_length=500)


class Reviewed(BaseModel):
    reviewed: bool = True


class Correction(BaseModel):
    text: str = Field(max_length=5000)
    speaker: str | None = Field(default=None, max_length=200)
    keep_speaker: bool = Field(default=False, description="Leave the speaker as it is (ignore `speaker`).")
    expected_text: str | None = Field(
        default=None, description="The text you started from: refuse if it changed."
    )


class SpeakerName(BaseModel):
    name: str = Field(max_length=200)


class EventName(BaseModel):
    name: str = Field(max_length=200)


class EventMerge(BaseModel):
    source: str = Field(max_length=200, description="the event merged away (name or slug)")
    target: str = Field(max_length=200, description="the event that keeps its name (name or slug)")


class Merge(BaseModel):
    source: int
    target: int


class NewUser(BaseModel):
    name: str = Field(max_length=64)
    password: str = Field(max_length=1024)
    role: str = "editor"


def _session_json(request: Request, session_id: int) -> dict:
    session = catalog_for(request).get_session(session_id, include_drafts=True)
    if session is None:
        raise StaffRefusal(404, f"no session {session_id}", "not_found")
    data = asdict(session)
    data["reviewed"] = staff_for(request).edits.is_reviewed(session_id)
    return data


@router.get("/me")
def me(user: StaffUser = Depends(api_user)) -> dict:
    return {"name": user.name, "role": user.user.role}


@router.get("/sessions")
def list_sessions(
    request: Request,
    user: StaffUser = Depends(api_user),
    status: str | None = Query(None, pattern="^(draft|published|retracted)$"),
    q: str | None = Query(None, max_length=200),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=10_000_000),
) -> dict:
    total, rows = staff_for(request).edits.list_sessions(status=status, title=q, limit=limit, offset=offset)
    return {"total": total, "sessions": [asdict(r) for r in rows]}


@router.get("/sessions/{session_id}")
def get_session(request: Request, session_id: int, user: StaffUser = Depends(api_user)) -> dict:
    return _session_json(request, session_id)


@router.patch("/sessions/{session_id}")
def edit_metadata(
    request: Request, session_id: int, body: MetadataChanges, user: StaffUser = Depends(api_user)
):
    changes = body.model_dump(exclude_unset=True)
    changed = staff_for(request).edits.update_metadata(session_id, changes, user.name)
    return {"changed": changed, "session": _session_json(request, session_id)}


@router.put("/sessions/{session_id}/speakers")
def set_speakers(request: Request, session_id: int, body: Credits, user: StaffUser = Depends(api_user)):
    credits = [(c.name, c.role) for c in body.speakers]
    staff_for(request).edits.set_speakers(session_id, credits, user.name)
    return _session_json(request, session_id)


@router.put("/sessions/{session_id}/topics")
def set_topics(request: Request, session_id: int, body: Topics, user: StaffUser = Depends(api_user)):
    staff_for(request).edits.set_topics(session_id, body.topics, user.name)
    return _session_json(request, session_id)


@router.put("/sessions/{session_id}/chapters")
def set_chapters(request: Request, session_id: int, body: Chapters, user: StaffUser = Depends(api_user)):
    chapters = [ChapterInput(c.start, c.title, c.end) for c in body.chapters]
    staff_for(request).edits.set_chapters(session_id, chapters, user.name)
    return {"chapters": [asdict(c) for c in catalog_for(request).chapters(session_id)]}


@router.post("/sessions/{session_id}/reviewed")
def set_reviewed(request: Request, session_id: int, body: Reviewed, user: StaffUser = Depends(api_user)):
    staff_for(request).edits.set_reviewed(session_id, body.reviewed, user.name)
    return _session_json(request, session_id)


@router.post("/sessions/{session_id}/publish")
def publish(request: Request, session_id: int, user: StaffUser = Depends(api_user)):
    staff_for(request).edits.publish(session_id, user.name)
    return _session_json(request, session_id)


@router.post("/sessions/{session_id}/retract")
def retract(request: Request, session_id: int, user: StaffUser = Depends(api_user)):
    staff_for(request).edits.retract(session_id, user.name)
    return _session_json(request, session_id)


@router.post("/sessions/{session_id}/restore")
def restore(request: Request, session_id: int, user: StaffUser = Depends(api_admin)):
    staff_for(request).edits.restore(session_id, user.name)
    return _session_json(request, session_id)


@router.get("/segments/{segment_id}")
def get_segment(request: Request, segment_id: int, user: StaffUser = Depends(api_user)) -> dict:
    staff = staff_for(request)
    return {
        **asdict(staff.segments.segment(segment_id)),
        "versions": [asdict(v) for v in staff.segments.versions(segment_id)],
    }


@router.patch("/segments/{segment_id}")
def correct_segment(request: Request, segment_id: int, body: Correction, user: StaffUser = Depends(api_user)):

    speaker = KEEP if body.keep_speaker else body.speaker
    staff = staff_for(request)
    changed = staff.segments.correct(
        segment_id, body.text, user.name, speaker=speaker, expected_text=body.expected_text
    )
    return {"changed": changed, **get_segment(request, segment_id, user)}


@router.get("/speakers")
def list_speakers(request: Request, user: StaffUser = Depends(api_user)) -> dict:
    return {"speakers": [asdict(s) for s in staff_for(request).speakers.list()]}


@router.post("/speakers", status_code=201)
def create_speaker(request: Request, body: SpeakerName, user: StaffUser = Depends(api_user)) -> dict:
    return asdict(staff_for(request).speakers.create(body.name, user.name))


@router.patch("/speakers/{speaker_id}")
def rename_speaker(request: Request, speaker_id: int, body: SpeakerName, user: StaffUser = Depends(api_user)):
    return asdict(staff_for(request).speakers.rename(speaker_id, body.name, user.name))


@router.post("/speakers/merge")
def merge_speakers(request: Request, body: Merge, user: StaffUser = Depends(api_user)) -> dict:
    return asdict(staff_for(request).speakers.merge(body.source, body.target, user.name))


@router.get("/events")
def list_events(request: Request, user: StaffUser = Depends(api_user)) -> dict:
    return {"events": [asdict(e) for e in staff_for(request).events.list()]}


@router.patch("/events/{event}")
def rename_event(request: Request, event: str, body: EventName, user: StaffUser = Depends(api_user)) -> dict:
    """Rename the event ``event`` (its name or slug); its old page redirects to the new name."""
    return asdict(staff_for(request).events.rename(event, body.name, user.name))


@router.post("/events/merge")
def merge_events(request: Request, body: EventMerge, user: StaffUser = Depends(api_user)) -> dict:
    """Fold the event ``source`` into ``target`` (names or slugs); the source's page redirects to the target."""
    return asdict(staff_for(request).events.merge(body.source, body.target, user.name))


@router.get("/audit")
def audit(
    request: Request,
    user: StaffUser = Depends(api_user),
    session_id: int | None = None,
    limit: int = Query(50, ge=1, le=500),
) -> dict:
    log = staff_for(request).audit
    entries = log.for_session(session_id, limit) if session_id is not None else log.recent(limit)
    return {"entries": [asdict(e) for e in entries]}


@router.get("/users")
def list_users(request: Request, user: StaffUser = Depends(api_admin)) -> dict:
    users = staff_for(request).users.list()
    return {"users": [{"name": u.name, "role": u.role, "disabled": u.disabled} for u in users]}


@router.post("/users", status_code=201)
def add_user(request: Request, body: NewUser, user: StaffUser = Depends(api_admin)) -> dict:
    from web.auth import PasswordError

    try:
        hashed = hash_password(body.password)
    except PasswordError as exc:
        raise StaffRefusal(400, str(exc), "bad_request") from exc
    added = staff_for(request).users.add(body.name, hashed, body.role, by=user.name)
    return {"name": added.name, "role": added.role}
