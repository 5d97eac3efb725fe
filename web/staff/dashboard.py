"""The staff dashboard (recent changes, the ingest queue and its failures), the session list and the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from catalog import STATUSES
from web.catalogs import catalog_for
from web.staff.core import StaffRoute, StaffUser, page, page_user, staff_for

router = APIRouter(route_class=StaffRoute)
PAGE_SIZE = 50


def ingest_queue(request: Request) -> dict:
    """What the ingest queue shows: items waiting or running, failures (to retry), the last few done."""
    catalog = catalog_for(request)
    waiting = catalog.queue.list(states=("pending", "running"), limit=200)
    failed = catalog.queue.list(states=("failed",), limit=200)
    done = staff_for(request).edits.recent_ingests(10)
    progress = {job.item_id: job for job in catalog.queue.transcriptions()}  # percent of audio done
    work = catalog.queue.count_jobs()  # the shared work queue: what workers have still to take or finish
    return {
        "waiting": waiting,
        "failed": failed,
        "done": done,
        "busy": bool(waiting),
        "jobs": progress,
        "work": work,
    }


@router.get("/staff", include_in_schema=False)
def dashboard(request: Request, me: StaffUser = Depends(page_user), notice: str | None = None):
    staff = staff_for(request)
    _, drafts = staff.edits.list_sessions(status="draft", limit=20)
    context = {
        "me": me,
        "section": "dashboard",
        "audit": staff.audit.recent(limit=25),
        "show_session": True,
        "drafts": drafts,
        "queue": ingest_queue(request),
        "notice": {"ingest": "Ingest started: its progress shows in the queue below."}.get(notice or ""),
    }
    return page(request, "staff/dashboard.html", context)


@router.get("/staff/queue", include_in_schema=False)
def queue_fragment(request: Request, me: StaffUser = Depends(page_user)):
    """The queue section alone, for the dashboard's script to refresh while something is running."""
    return page(request, "staff/_queue.html", {"me": me, "queue": ingest_queue(request)})


@router.get("/staff/sessions", include_in_schema=False)
def session_list(
    request: Request,
    me: StaffUser = Depends(page_user),
    status: str | None = None,
    q: str | None = None,
    page_number: int = 1,
):
    status = status if status in STATUSES else None
    page_number = max(1, min(page_number, 100_000))
    total, rows = staff_for(request).edits.list_sessions(
        status=status,
        title=(q or "").strip()[:200] or None,
        limit=PAGE_SIZE,
        offset=(page_number - 1) * PAGE_SIZE,
    )
    context = {
        "me": me,
        "section": "sessions",
        "rows": rows,
        "total": total,
        "status": status,
        "q": q or "",
        "page_number": page_number,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "statuses": STATUSES,
    }
    return page(request, "staff/sessions.html", context)


@router.get("/staff/audit", include_in_schema=False)
def audit_log(request: Request, me: StaffUser = Depends(page_user), page_number: int = 1):
    page_number = max(1, min(page_number, 100_000))
    entries = staff_for(request).audit.recent(limit=PAGE_SIZE + 1, offset=(page_number - 1) * PAGE_SIZE)
    context = {
        "me": me,
        "section": "audit",
        "audit": entries[:PAGE_SIZE],
        "show_session": True,
        "page_number": page_number,
        "more": len(entries) > PAGE_SIZE,
    }
    return page(request, "staff/audit.html", context)
