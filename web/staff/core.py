"""What every staff route shares: who is signed in, the CSRF check, roles, cookies, and the staff route class.

Pages sign in with a signed cookie and carry a CSRF token in every form; the JSON API under ``/api/staff``
takes only ``Authorization: Bearer <token>`` (never the cookie), so a cross-site request cannot ride on it.
Refusals: anonymous page → 303 to the sign-in page; anonymous API → 401 JSON; bad CSRF → 403; wrong role → 403.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute

from catalog import CatalogError, Staff, User
from web.auth import (
    COOKIE_NAME,
    CookieSession,
    CookieSigner,
    csrf_matches,
    new_csrf_token,
    password_fingerprint,
    token_digest,
)
from web.body_limit import MEDIA_FORMS  # forms that may carry a media file
from web.catalogs import catalog_for
from web.errors import catalog_status
from web.templating import render

API_PREFIX = "/api/staff"


class StaffRefusal(Exception):
    """Stop a staff request: ``status`` 303 (sign in first), 401, 403 or 413, with a message for the user."""

    def __init__(self, status: int, message: str, code: str = "forbidden", location: str | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.location = status, message, code, location


@dataclass(frozen=True)
class StaffUser:
    """The signed-in staffer and the CSRF token their forms carry."""

    user: User
    csrf: str

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def is_admin(self) -> bool:
        return self.user.is_admin


def staff_for(request: Request) -> Staff:
    """The calling thread's catalog, as staff see it. Call it inside the (sync) route body."""
    return catalog_for(request).staff


# -- cookies -----------------------------------------------------------------------------------------------
_SETUP_LOCK = threading.Lock()  # the first requests may arrive together: make the key once


def signer(request: Request) -> CookieSigner:
    state = request.app.state
    if getattr(state, "staff_signer", None) is None:
        with _SETUP_LOCK:
            if getattr(state, "staff_signer", None) is None:
                state.staff_signer = CookieSigner(state.settings.secret_key or state.fallback_key)
    return state.staff_signer


def cookie_session(request: Request) -> CookieSession:
    """The request's staff cookie, or a fresh anonymous one (sent back with the response)."""
    current = getattr(request.state, "staff_cookie", None)
    if current is not None:
        return current
    current = signer(request).loads(request.cookies.get(COOKIE_NAME))
    if current is None:
        current = CookieSession(csrf=new_csrf_token())
        request.state.staff_cookie_changed = True
    request.state.staff_cookie = current
    return current


def replace_cookie(request: Request, session: CookieSession) -> None:
    request.state.staff_cookie = session
    request.state.staff_cookie_changed = True


def write_cookie(request: Request, response: Response) -> None:
    if not getattr(request.state, "staff_cookie_changed", False):
        return
    secure = request.url.scheme == "https" or request.app.state.settings.base_url.startswith("https://")
    response.set_cookie(
        COOKIE_NAME,
        signer(request).dumps(request.state.staff_cookie),
        max_age=signer(request).max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure,
    )


# -- who is asking -----------------------------------------------------------------------------------------
def signed_in_user(request: Request) -> StaffUser | None:
    session = cookie_session(request)
    if session.user_id is None:
        return None
    staff = staff_for(request)
    user = staff.users.get(session.user_id)
    if user is None or user.disabled or password_fingerprint(user.password_hash) != session.fingerprint:
        return None
    if session.generation != staff.session_generations.current(user.id):
        return None  # signed out, password changed, or signed out everywhere since this cookie was made
    return StaffUser(user, session.csrf)


def signed_in_cookie(request: Request, user: User) -> CookieSession:
    """A fresh cookie session for ``user``, under their current session generation."""
    generation = staff_for(request).session_generations.current(user.id)
    return CookieSession(new_csrf_token(), user.id, password_fingerprint(user.password_hash), generation)


def page_user(request: Request) -> StaffUser:
    """Dependency for staff pages: the signed-in staffer, or a redirect to the sign-in page."""
    staff_user = signed_in_user(request)
    if staff_user is None:
        target = request.url.path if request.method == "GET" else "/staff"
        location = "/staff/signin?next=" + quote(target, safe="/")
        raise StaffRefusal(303, "Please sign in first.", "sign_in_required", location)
    return staff_user


async def form_user(request: Request, staff_user: StaffUser = Depends(page_user)) -> StaffUser:
    """Dependency for staff form posts: signed in, and the form's CSRF token matches the cookie's."""
    await check_csrf(request)
    return staff_user


async def check_csrf(request: Request) -> None:
    settings = request.app.state.settings
    limit = settings.max_caption_bytes + 1024**2  # what a form with a caption file needs at most
    if request.url.path in MEDIA_FORMS:
        limit += settings.max_upload_bytes
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise StaffRefusal(
            411, "The form was sent without its length; please send it again.", "length_required"
        )
    if int(length) > limit:
        raise StaffRefusal(413, f"This upload is larger than {limit // 1024**2} MB.", "too_large")
    form = await request.form()
    given = form.get("csrf")
    if not isinstance(given, str) or not csrf_matches(cookie_session(request).csrf, given):
        raise StaffRefusal(
            403,
            "This form has expired or did not come from this site. Go back, reload the page and try again.",
        )


def admin_form_user(staff_user: StaffUser = Depends(form_user)) -> StaffUser:
    require_admin(staff_user)
    return staff_user


def admin_page_user(staff_user: StaffUser = Depends(page_user)) -> StaffUser:
    require_admin(staff_user)
    return staff_user


def require_admin(staff_user: StaffUser) -> None:
    if not staff_user.is_admin:
        raise StaffRefusal(403, "Only an admin can do this.")


def api_user(request: Request) -> StaffUser:
    """Dependency for the staff API: the user of a valid bearer token, else 401."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    user = None
    if scheme.lower() == "bearer" and token.strip():
        user = staff_for(request).users.user_for_token(token_digest(token.strip()))
    if user is None:
        raise StaffRefusal(
            401, "Send a valid staff API token: Authorization: Bearer <token>.", "unauthorized"
        )
    return StaffUser(user, "")


def api_admin(staff_user: StaffUser = Depends(api_user)) -> StaffUser:
    require_admin(staff_user)
    return staff_user


# -- responses ---------------------------------------------------------------------------------------------
def page(request: Request, name: str, context: dict, status_code: int = 200) -> Response:
    """Render a staff template with what every staff page needs (the staffer, the CSRF token, the nav)."""
    staff_user = context.get("me")
    csrf = staff_user.csrf if staff_user else cookie_session(request).csrf
    defaults = {"nav": "staff", "csrf": csrf, "me": None, "notice": None, "error": None, "field_errors": {}}
    return render(request, name, {**defaults, **context}, status_code=status_code)


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def refusal_response(request: Request, refusal: StaffRefusal) -> Response:
    if request.url.path.startswith(API_PREFIX):
        headers = {"WWW-Authenticate": "Bearer"} if refusal.status == 401 else None
        body = {"error": {"code": refusal.code, "message": refusal.message}}
        return JSONResponse(body, status_code=refusal.status, headers=headers)
    if refusal.location:
        return see_other(refusal.location)
    titles = {
        400: "That did not work",
        403: "Not allowed",
        404: "Not found",
        409: "Changed meanwhile",
        411: "Length required",
        413: "Too large",
        401: "Sign in first",
    }
    context = {"status": refusal.status, "title": titles.get(refusal.status, "Not allowed")}
    return render(request, "error.html", {**context, "message": refusal.message}, status_code=refusal.status)


def catalog_refusal(exc: CatalogError) -> StaffRefusal:
    status = catalog_status(exc)
    return StaffRefusal(status, str(exc), {404: "not_found", 409: "conflict"}.get(status, "bad_request"))


class StaffRoute(APIRoute):
    """Turns ``StaffRefusal`` into a redirect or an error, and sends back the staff cookie when it changed."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def staff_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except StaffRefusal as refusal:
                response = refusal_response(request, refusal)
            except CatalogError as exc:
                response = refusal_response(request, catalog_refusal(exc))
            if not request.url.path.startswith(API_PREFIX):
                response.headers.setdefault("cache-control", "no-store")
                write_cookie(request, response)
            return response

        return staff_handler
