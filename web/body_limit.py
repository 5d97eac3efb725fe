"""A size limit on every request body, enforced before routing, parsing or authentication.

A body announced (``Content-Length``) over the limit of its address is answered ``413`` from its headers alone;
a body sent without a length (chunked) is counted while it streams in and refused as soon as it passes the limit,
so no route ever holds more than its limit in memory. The JSON API takes at most ``JSON_BODY_LIMIT``; the staff
forms that carry files keep their own caps (caption and media limits from the settings).

Starlette's ``RequestBodyLimitMiddleware`` checks a too-large ``Content-Length`` only once the route reads the
body (after routing and dependencies) and answers in plain text; this one refuses from the headers, in the
archive's error shape (``{"error": {"code", "message"}}`` under ``/api``, a page elsewhere).
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.errors import ApiError, error_response

JSON_BODY_LIMIT = 1024**2  # any request but the upload forms: JSON API bodies, sign-in and edit forms
FORM_ALLOWANCE = 1024**2  # the form fields beside the files of an upload form
CAPTION_FORMS = frozenset({"/staff/sessions/new/upload", "/staff/bulk"})  # a caption or catalog file
MEDIA_FORMS = frozenset({"/staff/sessions/new/upload"})  # also a recording
CHAT_FILE_LIMIT = 5 * 1024**2  # a webinar's Zoom chat export (web/staff/extras.py)
CHAT_FORM = re.compile(r"/staff/sessions/[0-9]{1,19}/chat")


class BodyTooLarge(ApiError):
    def __init__(self, limit: int):
        message = f"This request is larger than {_megabytes(limit)} MB, the limit for this address."
        super().__init__(413, "too_large", message, headers={"connection": "close"})


def _megabytes(limit: int) -> str:
    return f"{limit / 1024**2:g}"


def body_limit(settings, path: str) -> int:
    """How many body bytes a request to ``path`` may carry."""
    if CHAT_FORM.fullmatch(path):
        return CHAT_FILE_LIMIT + FORM_ALLOWANCE
    if path not in CAPTION_FORMS:
        return JSON_BODY_LIMIT
    limit = settings.max_caption_bytes + FORM_ALLOWANCE
    if path in MEDIA_FORMS:
        limit += settings.max_upload_bytes
    return limit


def _announced_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimit:
    """Pure ASGI middleware (no buffering): refuses an over-limit body by its length, or while it streams."""

    def __init__(self, app: ASGIApp, settings):
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(self.settings, scope["path"])
        announced = _announced_length(scope)
        if announced is not None and announced > limit:
            await self._refuse(scope, receive, send, BodyTooLarge(limit))
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except (
            BodyTooLarge
        ) as refusal:  # raised while streaming, and not turned into a response on the way up
            if started:
                raise
            await self._refuse(scope, receive, send, refusal)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, refusal: BodyTooLarge) -> None:
        request = Request(scope, receive)
        response = error_response(request, 413, refusal.detail, refusal.code, headers=refusal.headers)
        await response(scope, receive, send)
