"""Who may do what in the staff area, checked over the app's actual routes (new routes are covered automatically).

Every staff route refuses anonymous users (pages: 303 to the sign-in page; API: 401 JSON) and every staff form
refuses a missing or wrong CSRF token (403), leaving the archive exactly as it was. Editors cannot manage users.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.support.staffsite import (
    ADMIN,
    EDITOR,
    PASSWORD,
    build_staff_site,
    catalog_dump,
    csrf_of,
    sign_in,
    signed_in_csrf,
)
from uscm_archive.settings import Settings
from web.app import create_app
from web.auth import COOKIE_NAME

pytestmark = pytest.mark.backends


@pytest.fixture(scope="module")
def site(tmp_path_factory, module_catalog_url):
    data_dir = tmp_path_factory.mktemp("staff-access") / "data"
    return build_staff_site(data_dir, module_catalog_url)


@pytest.fixture(scope="module")
def app(site):
    return create_app(site.settings)


@pytest.fixture(scope="module")
def admin(app):
    """One signed-in admin browser for the module (argon2 makes each sign-in cost a few hundred ms)."""
    with TestClient(app) as client:
        assert sign_in(client).status_code == 303
        yield client


def walk_routes(routes, prefix: str = ""):
    """Every APIRoute with its full path, also inside included routers (newer FastAPI keeps them nested)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):
            inner = prefix + getattr(getattr(route, "include_context", None), "prefix", "")
            yield from walk_routes(route.original_router.routes, inner)


def staff_routes(app) -> list[tuple[str, str]]:
    found = []
    for path, route in walk_routes(app.routes):
        if path.startswith("/staff") or path.startswith("/api/staff"):
            found.extend((method, path) for method in sorted(route.methods) if method != "HEAD")
    return sorted(set(found))


def concrete(path: str, site) -> str:
    values = {
        "session_id": site.draft,
        "segment_id": 1,
        "speaker_id": 1,
        "token_id": 1,
        "name": EDITOR,
        "item_id": 1,
    }
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), 1)), path)


def is_api(path: str) -> bool:
    return path.startswith("/api/staff")


PUBLIC_BY_DESIGN = {("GET", "/staff/signin"), ("POST", "/staff/signin")}


def all_routes() -> list[tuple[str, str]]:
    """The staff routes of an app built as the server builds it (listing them touches no file)."""
    settings = Settings(data_dir=Path("/nonexistent-staff-route-listing"), secret_key="x" * 40)
    return staff_routes(create_app(settings))


def route_id(value) -> str:
    return str(value)


ROUTES = all_routes()
FORM_ROUTES = [(m, p) for m, p in ROUTES if m == "POST" and not is_api(p)]


def test_the_staff_area_has_the_routes_the_issue_asks_for():
    paths = {p for _, p in ROUTES}
    for expected in [
        "/staff",
        "/staff/signin",
        "/staff/signout",
        "/staff/sessions/new/upload",
        "/staff/users",
    ]:
        assert expected in paths
    assert any(p.startswith("/api/staff/") for p in paths)
    assert len(FORM_ROUTES) >= 15


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if r not in PUBLIC_BY_DESIGN], ids=route_id)
def test_anonymous_users_are_refused_and_nothing_changes(site, app, method, path):
    before = catalog_dump(site.catalog_path)
    with TestClient(app) as client:
        data = (
            {"csrf": csrf_of(client.get("/staff/signin").text)}
            if method == "POST" and not is_api(path)
            else None
        )
        response = client.request(method, concrete(path, site), data=data, follow_redirects=False)
    if is_api(path):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"
    else:
        assert response.status_code == 303
        assert response.headers["location"].startswith("/staff/signin?next=")
    assert catalog_dump(site.catalog_path) == before


@pytest.mark.parametrize(("method", "path"), FORM_ROUTES, ids=route_id)
@pytest.mark.parametrize("token", ["missing", "wrong"])
def test_forms_refuse_a_missing_or_wrong_csrf_token(site, admin, method, path, token):
    before = catalog_dump(site.catalog_path)
    data = {"name": ADMIN, "password": PASSWORD, "title": "x", "text": "x", "url": "https://example.org/v"}
    if token == "wrong":
        data["csrf"] = "forged-" + "A" * 36
    response = admin.post(concrete(path, site), data=data, follow_redirects=False)
    assert response.status_code == 403, response.text[:300]
    assert "did not come from this site" in response.text
    assert catalog_dump(site.catalog_path) == before
    assert admin.get("/staff", follow_redirects=False).status_code == 200  # still signed in


def test_a_csrf_token_from_another_visitor_is_refused(site, app):
    with TestClient(app) as victim, TestClient(app) as attacker:
        assert sign_in(victim).status_code == 303
        attackers_token = csrf_of(attacker.get("/staff/signin").text)
        response = victim.post(f"/staff/sessions/{site.draft}/publish", data={"csrf": attackers_token})
        assert response.status_code == 403


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if is_api(r[1])], ids=route_id)
def test_the_api_ignores_the_sign_in_cookie(site, admin, method, path):
    """A signed-in browser carries no power into /api/staff: only a bearer token does (so no CSRF there)."""
    before = catalog_dump(site.catalog_path)
    response = admin.request(method, concrete(path, site), json={})
    assert response.status_code == 401
    assert catalog_dump(site.catalog_path) == before


def test_an_editor_cannot_manage_users(site, app):
    with TestClient(app) as client:
        assert sign_in(client, EDITOR).status_code == 303
        csrf = signed_in_csrf(client)
        assert "/staff/users" not in client.get("/staff").text  # not offered in the menu
        before = catalog_dump(site.catalog_path)
        assert client.get("/staff/users").status_code == 403
        attempts = [
            ("/staff/users", {"name": "mallory", "password": PASSWORD, "role": "admin"}),
            (f"/staff/users/{EDITOR}/role", {"role": "admin"}),
            (f"/staff/users/{ADMIN}/disabled", {"disabled": "1"}),
            (f"/staff/users/{ADMIN}/password", {"password": "taken over now"}),
            (f"/staff/users/{ADMIN}/remove", {}),
        ]
        for path, data in attempts:
            response = client.post(path, data={"csrf": csrf, **data})
            assert response.status_code == 403, path
            assert "Only an admin" in response.text
        assert catalog_dump(site.catalog_path) == before


def test_pages_sign_in_and_out(site, app):
    with TestClient(app) as client:
        response = sign_in(client)
        assert response.status_code == 303 and response.headers["location"] == "/staff"
        assert client.get("/staff", follow_redirects=False).status_code == 200
        client.post("/staff/signout", data={"csrf": signed_in_csrf(client)})
        assert client.get("/staff", follow_redirects=False).status_code == 303


def test_sign_in_redirects_only_within_the_staff_area(site, app):
    with TestClient(app) as client:
        csrf = csrf_of(client.get("/staff/signin").text)
        for target, expected in [
            ("/staff/speakers", "/staff/speakers"),
            ("//evil.example", "/staff"),
            ("/", "/staff"),
        ]:
            client.cookies.clear()
            csrf = csrf_of(client.get("/staff/signin").text)
            data = {"csrf": csrf, "name": ADMIN, "password": PASSWORD, "next": target}
            response = client.post("/staff/signin", data=data, follow_redirects=False)
            assert response.headers["location"] == expected


def test_wrong_passwords_are_refused_and_rate_limited_per_user(tmp_path):
    site = build_staff_site(tmp_path / "data")
    with TestClient(create_app(site.settings)) as client:
        for _ in range(5):
            response = sign_in(client, ADMIN, "wrong password!")
            assert response.status_code == 401
            assert "do not match an active staff account" in response.text
        blocked = sign_in(client, ADMIN, PASSWORD)
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
        assert "Too many failed sign-ins" in blocked.text
        assert sign_in(client, EDITOR, PASSWORD).status_code == 303  # another user is not locked out


def test_the_session_cookie_is_signed_httponly_and_samesite(site, app):
    with TestClient(app) as client:
        response = sign_in(client)
        cookie = response.headers["set-cookie"]
        assert cookie.startswith(COOKIE_NAME + "=")
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
        assert "Secure" not in cookie  # plain http in this test
        value = client.cookies[COOKIE_NAME]
        tampered = value[:-3] + ("xyz" if not value.endswith("xyz") else "abc")
        # replace the cookie the site set (same domain): a second one beside it would be sent too, and the
        # site reads the last of two same-named cookies, which httpx's sorted jar makes the untampered one
        domain = next(c.domain for c in client.cookies.jar if c.name == COOKIE_NAME)
        client.cookies.set(COOKIE_NAME, tampered, domain=domain)
        assert [c.value for c in client.cookies.jar if c.name == COOKIE_NAME] == [tampered]
        assert client.get("/staff", follow_redirects=False).status_code == 303  # tampered: signed out


def test_the_cookie_is_secure_over_https(site):
    app = create_app(site.settings)
    with TestClient(app, base_url="https://archive.test") as client:
        response = sign_in(client)
        assert "Secure" in response.headers["set-cookie"]


def test_a_password_change_signs_out_other_browsers(tmp_path):
    site = build_staff_site(tmp_path / "data")
    app = create_app(site.settings)
    with TestClient(app) as laptop, TestClient(app) as phone:
        assert sign_in(laptop, EDITOR).status_code == 303 and sign_in(phone, EDITOR).status_code == 303
        data = {
            "csrf": signed_in_csrf(laptop),
            "current": PASSWORD,
            "password": "a new pass phrase",
            "again": "a new pass phrase",
        }
        assert laptop.post("/staff/account/password", data=data, follow_redirects=False).status_code == 303
        assert laptop.get("/staff", follow_redirects=False).status_code == 200  # this browser stays in
        assert phone.get("/staff", follow_redirects=False).status_code == 303  # the other is signed out


def test_a_disabled_user_is_signed_out_and_cannot_sign_in(tmp_path):
    site = build_staff_site(tmp_path / "data")
    app = create_app(site.settings)
    with TestClient(app) as admin, TestClient(app) as editor:
        assert sign_in(admin).status_code == 303 and sign_in(editor, EDITOR).status_code == 303
        admin.post(f"/staff/users/{EDITOR}/disabled", data={"csrf": signed_in_csrf(admin), "disabled": "1"})
        assert editor.get("/staff", follow_redirects=False).status_code == 303
        assert sign_in(editor, EDITOR).status_code == 401
