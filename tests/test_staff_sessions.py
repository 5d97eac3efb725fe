"""Staff sessions end on the server: a cookie saved before signing out, a password change or an admin's "sign out
everywhere" gets the sign-in page. Sign-in limits slow down guessing from one client without locking the user out
from anywhere else, and they hold across server processes (the counts are in the catalog).
"""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.support.liveserver import running
from tests.support.staffsite import (
    ADMIN,
    EDITOR,
    PASSWORD,
    build_staff_site,
    csrf_of,
    sign_in,
    signed_in_csrf,
)
from web.app import create_app
from web.auth import COOKIE_NAME

pytestmark = pytest.mark.backends

NEW_PASSWORD = "a brand new battery horse"


@pytest.fixture
def site(tmp_path, catalog_url):
    return build_staff_site(tmp_path / "data", catalog_url)


def signed_in_client(app, name: str = ADMIN, password: str = PASSWORD) -> TestClient:
    client = TestClient(app)
    assert sign_in(client, name, password).status_code == 303
    return client


def with_cookie(app, value: str) -> TestClient:
    client = TestClient(app)
    client.cookies.set(COOKIE_NAME, value)
    return client


def lands_on_sign_in(client: TestClient) -> bool:
    response = client.get("/staff", follow_redirects=False)
    if response.status_code != 303 or not response.headers["location"].startswith("/staff/signin"):
        return False
    return "Sign in" in client.get(response.headers["location"]).text


def test_a_cookie_saved_before_signing_out_gets_the_sign_in_page(site):
    app = create_app(site.settings)
    client = signed_in_client(app)
    saved = client.cookies[COOKIE_NAME]
    assert with_cookie(app, saved).get("/staff", follow_redirects=False).status_code == 200
    response = client.post("/staff/signout", data={"csrf": signed_in_csrf(client)}, follow_redirects=False)
    assert response.status_code == 303
    assert lands_on_sign_in(with_cookie(app, saved))  # was: the copy still worked for its 12 hours
    assert lands_on_sign_in(client)


def test_changing_the_password_ends_the_other_browsers_sessions(site):
    app = create_app(site.settings)
    here, elsewhere = signed_in_client(app), signed_in_client(app)
    response = here.post(
        "/staff/account/password",
        data={
            "csrf": signed_in_csrf(here),
            "current": PASSWORD,
            "password": NEW_PASSWORD,
            "again": NEW_PASSWORD,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert (
        here.get("/staff", follow_redirects=False).status_code == 200
    )  # the browser that changed it stays in
    assert lands_on_sign_in(elsewhere)


def test_an_admin_signs_a_user_out_everywhere(site):
    app = create_app(site.settings)
    admin, editor = signed_in_client(app), signed_in_client(app, EDITOR)
    saved = editor.cookies[COOKIE_NAME]
    csrf = csrf_of(admin.get("/staff/users").text)
    response = admin.post(f"/staff/users/{EDITOR}/signout", data={"csrf": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert "Signed out everywhere" in admin.get(response.headers["location"]).text
    assert lands_on_sign_in(editor) and lands_on_sign_in(with_cookie(app, saved))
    assert admin.get("/staff", follow_redirects=False).status_code == 200
    assert sign_in(TestClient(app), EDITOR, PASSWORD).status_code == 303  # signing in again works


# -- sign-in limits, from distinct client addresses over real sockets ----------------------------------------
def client_from(base: str, address: str) -> httpx.Client:
    return httpx.Client(base_url=base, transport=httpx.HTTPTransport(local_address=address), timeout=30)


def try_password(client: httpx.Client, password: str, name: str = ADMIN) -> httpx.Response:
    csrf = csrf_of(client.get("/staff/signin").text)
    return client.post(
        "/staff/signin", data={"csrf": csrf, "name": name, "password": password, "next": "/staff"}
    )


def test_guessing_from_one_client_does_not_stop_the_right_password_from_another(site):
    with running(create_app(site.settings)) as base:
        guesser, owner = client_from(base, "127.0.0.2"), client_from(base, "127.0.0.3")
        for _ in range(5):
            assert try_password(guesser, "wrong password!").status_code == 401
        blocked = try_password(guesser, PASSWORD)  # guessing from that client is stopped, right or wrong
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
        assert "Too many failed sign-ins" in blocked.text
        assert try_password(owner, PASSWORD).status_code == 303  # was: 429 for everyone (a lockout)
        guesser.close()
        owner.close()


def test_sign_in_limits_hold_across_server_processes(site):
    with running(create_app(site.settings)) as first, running(create_app(site.settings)) as second:
        on_first, on_second = client_from(first, "127.0.0.4"), client_from(second, "127.0.0.4")
        for _ in range(5):
            assert try_password(on_first, "wrong password!").status_code == 401
        assert try_password(on_second, PASSWORD).status_code == 429  # the other worker knows
        on_first.close()
        on_second.close()
