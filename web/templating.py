"""The Jinja2 environment (autoescaped) and ``render``: every page goes through here.

Staff pages use the same environment: ``render(request, "staff/x.html", {...})`` and ``{% extends "base.html" %}``.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from web.timecode import clock

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


def make_templates(settings) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined
        if getattr(settings, "strict_templates", False)
        else jinja2.Undefined,
    )
    env.globals["site_name"] = settings.site_name
    env.filters["clock"] = clock
    env.filters["seconds"] = lambda value: int(value or 0)
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
    env: jinja2.Environment = request.app.state.templates
    page = env.get_template(name).render({"request": request, "site": site_url(request), **(context or {})})
    return HTMLResponse(page, status_code=status_code, media_type=media_type)
