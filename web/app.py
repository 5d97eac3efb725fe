"""``create_app(settings)``: the public pages, the ``/api`` routes, static files and the staff area in one app."""

from __future__ import annotations

import secrets
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from web import api, api_tools, feeds, files, open_data, public, tools
from web.background import start_worker
from web.body_limit import BodyLimit
from web.catalogs import CatalogPool
from web.compression import GzipText
from web.errors import install_error_handlers
from web.http_cache import HeadAsGet, Validators
from web.openapi import declare_bearer_scheme
from web.replicas import ReadRouting, RoutedSearchCache, start_replicas
from web.search_cache import SearchCache
from web.security import PlayerSources, SecurityHeaders
from web.settings import SiteSettings
from web.static_assets import FingerprintedStatic, build_id
from web.templating import make_templates
from web.worker_start import prepare_process

STATIC_DIR = Path(__file__).resolve().parent / "static"
# What shapes a response besides the data: part of every ETag (web/static_assets.build_id).
BUILD_SOURCES = tuple(
    Path(__file__).resolve().parents[1] / name for name in ("web", "catalog", "transcripts")
)


def create_app(settings: SiteSettings) -> FastAPI:
    """The whole site for the archive in ``settings.data_dir``. Nothing is read at import time.

    ``settings.secret_key`` signs staff sessions: the composition root gives the one kept in the data folder. A site
    built without one (a test, a one-off app) signs with a random key that lives as long as the process.
    """
    pool = CatalogPool(settings.catalog_path)
    search_cache = SearchCache(
        settings.catalog_path
    )  # identical /api/search requests, until the file changes
    replicas = tuple(getattr(settings, "catalog_replicas", ()) or ())
    if replicas:  # one cache per catalog target, each following its own data version
        search_cache = RoutedSearchCache(search_cache, replicas)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await prepare_process(
            settings.catalog_path
        )  # before the first request: threads, the catalog's caches
        app.state.worker = start_worker(settings)  # the in-process worker (none with ``serve --no-worker``)
        app.state.replicas = start_replicas(
            settings
        )  # read replicas, probed for lag (none unless configured)
        try:
            yield
        finally:
            if app.state.replicas is not None:
                app.state.replicas.stop()
            if app.state.worker is not None:
                app.state.worker.stop()
            pool.close_all()
            search_cache.close()

    app = FastAPI(
        title=settings.site_name,
        summary="Sessions, transcripts and quote search of the U.S. Conference of Mayors archive.",
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.worker = None
    app.state.replicas = None
    app.state.fallback_key = secrets.token_urlsafe(48)
    app.state.catalogs = pool
    app.state.search_cache = search_cache
    static = FingerprintedStatic(STATIC_DIR)
    app.state.templates = make_templates(settings, static.url)
    app.state.players = PlayerSources.from_settings(settings)
    app.add_middleware(HeadAsGet)  # innermost: a HEAD runs as GET where only GET is declared
    app.add_middleware(Validators, catalog_path=settings.catalog_path, build=build_id(*BUILD_SOURCES))
    app.add_middleware(ReadRouting, state=app.state)  # outside the validators: they key on the chosen catalog
    app.add_middleware(
        BodyLimit, settings=settings
    )  # before routing and parsing; refusals get the security headers
    app.add_middleware(SecurityHeaders, players=app.state.players)
    app.add_middleware(GzipText)  # outermost: compresses what the rest sends, headers included
    install_error_handlers(app)
    app.mount("/static", static, name="static")
    app.include_router(api.router)
    app.include_router(api_tools.router)
    app.include_router(files.router)
    app.include_router(feeds.router)
    app.include_router(public.router)
    app.include_router(tools.router)
    app.include_router(open_data.router)
    _include_staff(app)
    declare_bearer_scheme(app)
    return app


def _include_staff(app: FastAPI) -> None:
    from web.staff import router as staff_router

    app.include_router(staff_router)
