"""Security headers on every response: a Content-Security-Policy without inline script, and friends."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

YOUTUBE_SCRIPTS = "https://www.youtube.com https://s.ytimg.com"
YOUTUBE_FRAMES = "https://www.youtube-nocookie.com https://www.youtube.com"


def content_security_policy(frame_ancestors: str = "'self'") -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {YOUTUBE_SCRIPTS}",
            "style-src 'self'",
            "img-src 'self' https: data:",
            "media-src 'self'",
            f"frame-src {YOUTUBE_FRAMES}",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        ]
    )


HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
EMBEDDABLE = "embeddable"  # a route sets request.state.embeddable = True to allow framing (oEmbed players)


class SecurityHeaders:
    """Pure ASGI middleware (no buffering, so file streaming and Range responses pass through untouched)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                embeddable = scope.get("state", {}).get(EMBEDDABLE, False)
                wanted = dict(HEADERS)
                wanted["content-security-policy"] = content_security_policy("*" if embeddable else "'self'")
                if not embeddable:
                    wanted["x-frame-options"] = "SAMEORIGIN"
                for name, value in wanted.items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
