"""Accounts in the browser: admins manage users; everyone manages their own password and API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request

from catalog import CatalogError
from web.auth import PasswordError, hash_password, new_api_token, token_digest, verify_password
from web.errors import catalog_status
from web.staff.core import (
    StaffRoute,
    StaffUser,
    admin_form_user,
    admin_page_user,
    form_user,
    page,
    page_user,
    replace_cookie,
    see_other,
    signed_in_cookie,
    staff_for,
)

router = APIRouter(route_class=StaffRoute)

NOTICES = {
    "added": "User added.",
    "changed": "User changed.",
    "removed": "User removed.",
    "password": "Password changed.",
    "revoked": "Token revoked.",
    "signedout": "Signed out everywhere: every browser signed in as this user must sign in again.",
}


# -- admin: users ------------------------------------------------------------------------------------------
def users_page(request: Request, me: StaffUser, status_code: int = 200, **extra):
    context = {
        "me": me,
        "section": "users",
        "users": staff_for(request).users.list(),
        "field_errors": {},
        **extra,
    }
    return page(request, "staff/users.html", context, status_code)


@router.get("/staff/users", include_in_schema=False)
def list_users(request: Request, me: StaffUser = Depends(admin_page_user), notice: str | None = None):
    return users_page(request, me, notice=NOTICES.get(notice or ""))


@router.post("/staff/users", include_in_schema=False)
def add_user(
    request: Request,
    me: StaffUser = Depends(admin_form_user),
    name: str = Form(""),
    password: str = Form(""),
    role: str = Form("editor"),
):
    try:
        staff_for(request).users.add(name, hash_password(password), role, by=me.name)
    except PasswordError as exc:
        return users_page(request, me, 400, field_errors={"password": str(exc)}, new_name=name)
    except CatalogError as exc:
        return users_page(request, me, catalog_status(exc), field_errors={"name": str(exc)}, new_name=name)
    return see_other("/staff/users?notice=added")


@router.post("/staff/users/{name}/role", include_in_schema=False)
def change_role(request: Request, name: str, me: StaffUser = Depends(admin_form_user), role: str = Form("")):
    return _user_change(request, me, lambda users: users.set_role(name, role, by=me.name))


@router.post("/staff/users/{name}/disabled", include_in_schema=False)
def set_disabled(
    request: Request, name: str, me: StaffUser = Depends(admin_form_user), disabled: str = Form("1")
):
    return _user_change(request, me, lambda users: users.set_disabled(name, disabled == "1", by=me.name))


@router.post("/staff/users/{name}/password", include_in_schema=False)
def reset_password(
    request: Request, name: str, me: StaffUser = Depends(admin_form_user), password: str = Form("")
):
    try:
        hashed = hash_password(password)
    except PasswordError as exc:
        return users_page(request, me, 400, error=f"{name}: {exc}")
    return _user_change(
        request, me, lambda users: _set_password(request, users, name, hashed, me.name), "password"
    )


def _set_password(request: Request, users, name: str, hashed: str, by: str) -> None:
    users.set_password(name, hashed, by=by)
    staff_for(request).session_generations.end_all(users.require(name).id)


@router.post("/staff/users/{name}/signout", include_in_schema=False)
def sign_out_everywhere(request: Request, name: str, me: StaffUser = Depends(admin_form_user)):
    """End every session of the user ``name`` (a lost laptop, a shared computer)."""
    sessions = staff_for(request).session_generations
    return _user_change(request, me, lambda users: sessions.end_all(users.require(name).id), "signedout")


@router.post("/staff/users/{name}/remove", include_in_schema=False)
def remove_user(request: Request, name: str, me: StaffUser = Depends(admin_form_user)):
    return _user_change(request, me, lambda users: users.remove(name, by=me.name), "removed")


def _user_change(request: Request, me: StaffUser, change, notice: str = "changed"):
    try:
        change(staff_for(request).users)
    except CatalogError as exc:
        return users_page(request, me, catalog_status(exc), error=str(exc))
    return see_other(f"/staff/users?notice={notice}")


# -- everyone: own account ---------------------------------------------------------------------------------
def account_page(request: Request, me: StaffUser, status_code: int = 200, **extra):
    tokens = staff_for(request).users.tokens(me.user.id)
    context = {"me": me, "section": "account", "tokens": tokens, "field_errors": {}, **extra}
    return page(request, "staff/account.html", context, status_code)


@router.get("/staff/account", include_in_schema=False)
def account(request: Request, me: StaffUser = Depends(page_user), notice: str | None = None):
    return account_page(request, me, notice=NOTICES.get(notice or ""))


@router.post("/staff/account/password", include_in_schema=False)
def change_own_password(
    request: Request,
    me: StaffUser = Depends(form_user),
    current: str = Form(""),
    password: str = Form(""),
    again: str = Form(""),
):
    if not verify_password(me.user.password_hash, current):
        return account_page(request, me, 400, field_errors={"current": "This is not your current password."})
    if password != again:
        return account_page(request, me, 400, field_errors={"again": "The two new passwords differ."})
    try:
        hashed = hash_password(password)
    except PasswordError as exc:
        return account_page(request, me, 400, field_errors={"password": str(exc)})
    staff = staff_for(request)
    staff.users.set_password(me.name, hashed, by=me.name)
    staff.session_generations.end_all(me.user.id)  # every other browser signed in as me must sign in again
    replace_cookie(request, signed_in_cookie(request, staff.users.require(me.name)))
    return see_other("/staff/account?notice=password")


@router.post("/staff/account/tokens", include_in_schema=False)
def create_token(request: Request, me: StaffUser = Depends(form_user), label: str = Form("")):
    token = new_api_token()
    staff_for(request).users.add_token(me.user.id, token_digest(token), label, by=me.name)
    return account_page(request, me, new_token=token)


@router.post("/staff/account/tokens/{token_id}/revoke", include_in_schema=False)
def revoke_token(request: Request, token_id: int, me: StaffUser = Depends(form_user)):
    staff_for(request).users.revoke_token(me.user.id, token_id, by=me.name)
    return see_other("/staff/account?notice=revoked")
