"""The OpenAPI document at ``/api/openapi.json``, with the staff API's bearer-token scheme declared."""

from __future__ import annotations

from fastapi import FastAPI

STAFF_PREFIX = "/api/staff"
BEARER = {
    "type": "http",
    "scheme": "bearer",
    "description": "A staff API token (`uscm-archive user token NAME`, or the account page): "
    "`Authorization: Bearer <token>`.",
}


def declare_bearer_scheme(app: FastAPI) -> None:
    """Make ``app.openapi()`` declare ``bearerAuth`` and require it on every ``/api/staff`` operation."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        schema.setdefault("components", {}).setdefault("securitySchemes", {})["bearerAuth"] = BEARER
        for path, operations in schema.get("paths", {}).items():
            if path.startswith(STAFF_PREFIX):
                for operation in operations.values():
                    operation["security"] = [{"bearerAuth": []}]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi
