"""One error shape per edge: ``{"error": {"code", "message"}}`` under ``/api``, a friendly page elsewhere."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from catalog import CatalogError, Conflict, NotFound
from web.catalogs import CatalogUnavailable


def catalog_status(exc: CatalogError) -> int:
    """The HTTP status of a catalog refusal, the same on every page, form and API route."""
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Conflict):
        return 409
    return 400


log = logging.getLogger("uscm_archive.web")

CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    416: "range_not_satisfiable",
    422: "invalid_parameter",
    500: "internal_error",
    503: "unavailable",
}
TITLES = {
    404: "Page not found",
    405: "Not allowed",
    416: "Range not satisfiable",
    500: "Something went wrong",
    503: "The archive is unavailable",
}


class ApiError(HTTPException):
    """An HTTP error with our own machine-readable ``code``."""

    def __init__(self, status_code: int, code: str, message: str, headers: dict | None = None):
        super().__init__(status_code, message, headers=headers)
        self.code = code


def wants_json(request: Request) -> bool:
    return request.url.path == "/api" or request.url.path.startswith("/api/")


def error_response(
    request: Request, status: int, message: str, code: str | None = None, headers=None
) -> Response:
    code = code or CODES.get(status, "error")
    if wants_json(request):
        body = {"error": {"code": code, "message": message}}
        return JSONResponse(body, status_code=status, headers=headers)
    from web.templating import render

    title = TITLES.get(status, "That did not work")
    response = render(
        request, "error.html", {"status": status, "title": title, "message": message}, status_code=status
    )
    if headers:
        response.headers.update(headers)
    return response


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("query", "path", "body"))
        parts.append(f"{where}: {error.get('msg', 'invalid')}" if where else error.get("msg", "invalid"))
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        code = getattr(exc, "code", None)
        message = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "error")
        if exc.status_code == 404 and not isinstance(exc, ApiError):
            message = "There is nothing at this address. It may have moved, or it was never published."
        return error_response(request, exc.status_code, message, code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        return error_response(request, 422, _validation_message(exc))

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound):
        return error_response(request, 404, str(exc))

    @app.exception_handler(Conflict)
    async def conflict(request: Request, exc: Conflict):
        return error_response(request, 409, str(exc))

    @app.exception_handler(CatalogError)
    async def catalog_error(request: Request, exc: CatalogError):
        return error_response(request, catalog_status(exc), str(exc))

    @app.exception_handler(OverflowError)
    async def out_of_range(request: Request, exc: OverflowError):
        # an id or number beyond what SQLite stores (2**63), e.g. /api/staff/sessions/99999999999999999999
        return error_response(request, 400, "a number in this request is too large", "out_of_range")

    @app.exception_handler(UnicodeEncodeError)
    async def not_unicode(request: Request, exc: UnicodeEncodeError):
        # JSON may spell a lone surrogate ("\ud800"), which is no text: SQLite cannot store it, nor a page show it
        message = "the request holds text that is not valid Unicode (a lone surrogate such as \\ud800)"
        return error_response(request, 422, message, "invalid_text")

    @app.exception_handler(CatalogUnavailable)
    async def unavailable(request: Request, exc: CatalogUnavailable):
        log.error("catalog unavailable: %s", exc)
        return error_response(request, 503, "The archive cannot be read right now. Please try again later.")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s", request.url.path)
        return error_response(request, 500, "The archive could not answer this request. Please try again.")
