"""Schemathesis generates requests from the API's own OpenAPI schema, in process (ASGI).

* The public operations, on the sample archive: every answer matches the documented shape and none is a server
  error, whatever the parameters (quick: part of every run).
* Every operation, staff ones included, on a real archive: whatever a client sends — values the schema allows and
  values it forbids, anonymous or with an admin's API token — no operation answers with a server error, and every
  JSON error has the project's one shape ``{"error": {"code", "message"}}`` (long: marked ``slow``).
"""

from __future__ import annotations

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.support import webclient
from tests.support.archive_state import fill_archive
from uscm_archive.settings import Settings
from web.app import create_app

sample = webclient.sample  # the module's sample archive, on either backend
EXAMPLES = 30  # per operation; about 8 public operations


def check(case) -> None:
    response = case.call()
    # oEmbed's own spec answers an unsupported format with 501; nothing else may be a 5xx
    allowed = {501} if case.path == "/api/oembed" else set()
    assert response.status_code < 500 or response.status_code in allowed, (
        case.path,
        case.query,
        response.text,
    )
    case.validate_response(response, excluded_checks=[not_a_server_error] if allowed else None)
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}


@pytest.mark.backends  # on SQLite and with the catalog in PostgreSQL (the sample archive of tests/support)
def test_api_answers_every_generated_request_as_documented(sample):
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", create_app(sample.settings))
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith("/api/") or "staff" in operation.path:
            continue

        @settings(
            max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        @given(operation.as_strategy())
        def answers_as_documented(case):
            check(case)

        answers_as_documented()
        checked.append(operation.path)
    assert {"/api/sessions", "/api/search", "/api/oembed"} <= set(checked)


# -- every operation, every caller, valid and invalid values ---------------------------------------------------
POSITIVE_EXAMPLES = 20  # per operation and caller
NEGATIVE_EXAMPLES = 10


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """The app on a small real archive, its schema, and an admin's API token."""
    from catalog import Catalog
    from tests.conftest import corpus_path
    from web.auth import hash_password, new_api_token, token_digest

    data_dir = tmp_path_factory.mktemp("schemathesis") / "data"
    data_dir.mkdir()
    catalog = Catalog.open(data_dir / "catalog.db")
    try:
        if (corpus_path() / "captions").is_dir():
            fill_archive(catalog, data_dir, corpus_path())
        users = catalog.staff.users
        admin = users.add("fuzz-admin", hash_password("a long enough password"), "admin")
        token = new_api_token()
        users.add_token(admin.id, token_digest(token), "schemathesis")
    finally:
        catalog.close()
    app = create_app(Settings(data_dir=data_dir, secret_key="s" * 48))
    return schemathesis.openapi.from_asgi("/api/openapi.json", app), token


def check_response(case, response) -> None:
    where = f"{case.method} {case.formatted_path} {case.query or ''}"
    documented = response.status_code == 501 and case.formatted_path == "/api/oembed"  # oEmbed's own rule
    assert response.status_code < 500 or documented, f"{where}: {response.status_code} {response.text[:300]}"
    if response.status_code >= 400 and response.headers.get("content-type", [""])[0].startswith(
        "application/json"
    ):
        body = response.json()
        assert set(body) == {"error"}, f"{where}: {body}"
        assert isinstance(body["error"].get("code"), str) and isinstance(body["error"].get("message"), str)


def exercise(operation, mode: GenerationMode, examples: int, headers: dict) -> int:
    calls = []

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        response = case.call(headers=headers)
        calls.append(response.status_code)
        check_response(case, response)

    try:
        run()
    except Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE  # an operation with nothing to get wrong
    return len(calls)


@pytest.mark.slow
def test_no_api_operation_answers_with_a_server_error(api):
    schema, token = api
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    started, calls = time.perf_counter(), 0
    for operation in operations:
        for headers in ({}, {"authorization": f"Bearer {token}"}):
            calls += exercise(operation, GenerationMode.POSITIVE, POSITIVE_EXAMPLES, headers)
            calls += exercise(operation, GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES, headers)
    print(f"\n{len(operations)} operations, {calls} calls in {time.perf_counter() - started:.1f} s")
