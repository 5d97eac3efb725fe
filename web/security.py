"""Security headers on every response: a Content-Security-Policy without inline script, and friends."""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.settings import SiteSettings

YOUTUBE_SCRIPTS = "https://www.youtube.com https://s.ytimg.com"
YOUTUBE_FRAMES = "https://www.youtube-nocookie.com https://www.youtube.com"
VIMEO_ORIGIN = "https://player.vimeo.com"


@dataclass(frozen=True)
class PlayerSources:
    """Where players may come from beyond our own origin: allowed direct-media hosts and Vimeo's player."""

    media_hosts: tuple[str, ...] = ()
    vimeo_origin: str = VIMEO_ORIGIN

    @classmethod
    def from_settings(cls, settings: SiteSettings) -> PlayerSources:
        hosts = tuple(host for host in settings.media_hosts if is_origin(host))
        vimeo = settings.vimeo_origin
        return cls(hosts, vimeo if is_origin(vimeo) else VIMEO_ORIGIN)


def is_origin(value: str) -> bool:
    """Only a bare ``scheme://host[:port]`` may enter the policy (never a keyword, wildcard or path)."""
    return bool(re.fullmatch(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?/?", value or ""))


def content_security_policy(frame_ancestors: str = "'self'", players: PlayerSources | None = None) -> str:
    players = players or PlayerSources()
    media = " ".join(host.rstrip("/") for host in players.media_hosts)
    vimeo = players.vimeo_origin.rstrip("/")
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {YOUTUBE_SCRIPTS} {vimeo}",
            "style-src 'self'",
            "img-src 'self' https: data:",
            f"media-src 'self' {media}".rstrip(),
            f"frame-src {YOUTUBE_FRAMES} {vimeo}",
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

    def __init__(self, app: ASGIApp, players: PlayerSources | None = None):
        self.app = app
        self.policies = {
            embeddable: content_security_policy("*" if embeddable else "'self'", players)
            for embeddable in (True, False)
        }

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
                wanted["content-security-policy"] = self.policies[bool(embeddable)]
                if not embeddable:
                    wanted["x-frame-options"] = "SAMEORIGIN"
                for name, value in wanted.items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
