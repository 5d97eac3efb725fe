"""Bulk catalog upload: a JSON Lines or CSV file, a dry-run report first, then the import on confirmation."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from archive import ArchiveError, import_catalog
from catalog import CatalogError
from transcripts import TranscriptError
from web.catalogs import catalog_for
from web.staff.bulk_files import BulkFileError, keep_upload, kept_upload, to_jsonl
from web.staff.core import StaffRoute, StaffUser, form_user, page, page_user, staff_for

router = APIRouter(route_class=StaffRoute)


def bulk_page(request: Request, me: StaffUser, status_code: int = 200, **extra):
    context = {"me": me, "section": "bulk", "field_errors": {}, "report": None, **extra}
    return page(request, "staff/bulk.html", context, status_code)


@router.get("/staff/bulk", include_in_schema=False)
def bulk_form(request: Request, me: StaffUser = Depends(page_user)):
    return bulk_page(request, me)


@router.post("/staff/bulk", include_in_schema=False)
async def bulk_dry_run(request: Request, me: StaffUser = Depends(form_user)):
    """Check the file and report what importing it would change; nothing is written to the catalog yet."""
    form = await request.form()
    upload = form.get("catalog")
    drafts = form.get("drafts") == "1"
    if not isinstance(upload, UploadFile) or not upload.filename:
        return bulk_page(request, me, 400, field_errors={"catalog": "Choose a JSON Lines or CSV file."})
    try:
        text = to_jsonl(await upload.read())
    except BulkFileError as exc:
        return bulk_page(request, me, 400, field_errors={"catalog": str(exc)})
    token = keep_upload(request.app.state.settings.data_dir, text)
    return await run_in_threadpool(_report, request, me, token, drafts, skip_bad=False, dry_run=True)


@router.post("/staff/bulk/confirm", include_in_schema=False)
async def bulk_import(request: Request, me: StaffUser = Depends(form_user)):
    form = await request.form()
    token, drafts, skip_bad = (
        str(form.get("token") or ""),
        form.get("drafts") == "1",
        form.get("skip_bad") == "1",
    )
    return await run_in_threadpool(_report, request, me, token, drafts, skip_bad=skip_bad, dry_run=False)


def _report(request: Request, me: StaffUser, token: str, drafts: bool, *, skip_bad: bool, dry_run: bool):
    settings = request.app.state.settings
    catalog = catalog_for(request)
    try:
        path = kept_upload(settings.data_dir, token)
        # "add as drafts" wins over whatever a line says of draft (new sessions; existing ones keep their status)
        report = import_catalog(
            catalog, settings.data_dir, path, skip_bad=True, dry_run=True, drafts=drafts, files=settings.files
        )
        if not dry_run:
            report = import_catalog(
                catalog,
                settings.data_dir,
                path,
                skip_bad=skip_bad,
                drafts=drafts,
                by=me.name,
                files=settings.files,
            )
    except (BulkFileError, ArchiveError, CatalogError, TranscriptError) as exc:
        return bulk_page(request, me, 400, field_errors={"catalog": str(exc)})
    if report.imported:
        path.unlink(missing_ok=True)
        _audit(request, me, report)
    context = {"report": report, "token": token, "drafts": drafts, "dry_run": dry_run}
    return bulk_page(request, me, 200 if dry_run or report.imported else 400, **context)


def _audit(request: Request, me: StaffUser, report) -> None:
    # Each session saved wrote its own entry (session.create / session.update, by me); this is the batch's.
    audit = staff_for(request).audit
    counts = {action: report.count(action) for action in ("create", "update", "unchanged")}
    audit.note(me.name, None, "bulk.import", **counts, skipped=len(report.errors))
