"""The Jinja2 environment (autoescaped) and ``render``: every page goes through here.

Staff pages use the same environment: ``render(request, "staff/x.html", {...})`` and ``{% extends "base.html" %}``.
"""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from web.audit_text import audit_lines
from web.share import SITE_DESCRIPTION
from web.timecode import clock

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
# Control characters are invisible on a page and make an XML feed or sitemap unreadable: never output them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def printable(value):
    """Every ``{{ value }}`` without control characters (keeping already-safe markup safe)."""
    if isinstance(value, str) and _CONTROL.search(value):
        cleaned = _CONTROL.sub(" ", value)
        return Markup(cleaned) if isinstance(value, Markup) else cleaned
    return value


def make_templates(settings, static_url=None) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=printable,
        undefined=jinja2.Undefined,
    )
    env.globals["site_name"] = settings.site_name
    env.globals["static_url"] = static_url or (lambda name: f"/static/{name}")
    env.globals["default_description"] = SITE_DESCRIPTION
    env.globals["share"] = None  # a page's web.share.Share; else base.html describes the page by its title
    env.globals["description"] = None
    env.filters["clock"] = clock
    env.filters["seconds"] = lambda value: int(value or 0)
    env.filters["audit_lines"] = audit_lines
    return env


def site_url(request: Request) -> str:
    """The site's absolute base URL: ``settings.base_url`` when set, else the one the request came to."""
    configured = request.app.state.settings.base_url
    return (configured or str(request.base_url)).rstrip("/")


def render(
    request: Request,
    name: str,
    context: dict | None = None,
    *,
    status_code: int = 200,
    media_type: str = "text/html",
) -> HTMLResponse:
    """The page ``name`` rendered; text types get ``charset=utf-8`` (Starlette adds it only to ``text/*``)."""
    env: jinja2.Environment = request.app.state.templates
    page = env.get_template(name).render({"request": request, "site": site_url(request), **(context or {})})
    if "charset" not in media_type:
        media_type += "; charset=utf-8"
    return HTMLResponse(page, status_code=status_code, media_type=media_type)
