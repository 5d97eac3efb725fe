"""Sign in and sign out. Failed attempts are limited per client address and per user name from one address
(``catalog.staff.signins``, shared by every server process): guessing is slowed down, nobody is locked out."""

from __future__ import annotations

import math

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from web.auth import CookieSession, new_csrf_token, spend_verify_time, verify_password
from web.staff.core import (
    StaffRoute,
    StaffUser,
    check_csrf,
    cookie_session,
    form_user,
    page,
    replace_cookie,
    see_other,
    signed_in_cookie,
    signed_in_user,
    staff_for,
)

router = APIRouter(route_class=StaffRoute)


def safe_next(value: str | None) -> str:
    """Only a staff path of this site: never another host (``//evil``) or a public page."""
    if value and value.startswith("/staff") and not value.startswith("//") and "\\" not in value:
        return value
    return "/staff"


@router.get("/staff/signin", include_in_schema=False)
def signin_form(request: Request, next: str | None = None):
    if signed_in_user(request) is not None:
        return see_other(safe_next(next))
    cookie_session(request)
    return page(request, "staff/signin.html", {"next": safe_next(next), "name": ""})


@router.post("/staff/signin", include_in_schema=False)
async def signin(request: Request):
    await check_csrf(request)
    form = await request.form()
    name = str(form.get("name") or "").strip()[:64]
    password = str(form.get("password") or "")
    target = safe_next(str(form.get("next") or ""))
    return await _signin(request, name, password, target)


async def _signin(request: Request, name: str, password: str, target: str):
    client = request.client.host if request.client else "unknown"
    return await run_in_threadpool(_signin_now, request, name, password, target, client)


def _signin_now(request: Request, name: str, password: str, target: str, client: str):
    limits = staff_for(request).signins
    wait = limits.retry_after(name, client)
    if wait > 0:
        minutes = math.ceil(wait / 60)
        message = f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes != 1 else ''}."
        response = page(request, "staff/signin.html", {"next": target, "name": name, "error": message}, 429)
        response.headers["retry-after"] = str(math.ceil(wait))
        return response
    user = _check_password(request, name, password)
    if user is None:
        limits.failed(name, client)
        error = "That user name and password do not match an active staff account."
        return page(request, "staff/signin.html", {"next": target, "name": name, "error": error}, 401)
    limits.succeeded(name, client)
    replace_cookie(request, signed_in_cookie(request, user))
    return see_other(target)


def _check_password(request: Request, name: str, password: str):
    user = staff_for(request).users.by_name(name) if name else None
    if user is None or user.disabled:
        spend_verify_time(password)
        return None
    return user if verify_password(user.password_hash, password) else None


@router.post("/staff/signout", include_in_schema=False)
def signout(request: Request, me: StaffUser = Depends(form_user)):
    """Ends this user's sessions in the catalog, so a copy of the cookie is worth nothing from now on."""
    staff_for(request).session_generations.end_all(me.user.id)
    replace_cookie(request, CookieSession(new_csrf_token()))
    return see_other("/staff/signin")
