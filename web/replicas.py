"""Public reads from PostgreSQL read replicas; writes, staff pages and a writer's next reads from the primary.

With ``--catalog-replica`` (``settings.catalog_replicas``) the app keeps a ``catalog.Replicas`` (probing the
standbys' lag in a thread of its own) and ``ReadRouting`` picks the catalog of each request:

- the primary for every request that may write (any method but GET and HEAD), for the staff area (``/staff``,
  ``/api/staff``), for ``/healthz``, and for a request with an ``Authorization`` header (the staff API);
- otherwise a standby in use (``Replicas.choose``), one that has replayed the reader's own last write when the
  request carries the ``uscm_written`` cookie: read-your-writes. A request that wrote on the primary gets that
  cookie (the primary's WAL position right after it, for ``WRITTEN_SECONDS``), so its author's next pages show the
  write even when a standby has not replayed it yet: they come from the primary until one has;
- a read a standby fails (an exception or a 5xx before any of the answer is sent, or an error answer while the
  standby's connection is gone or it does not answer a probe made then) is answered again by the primary, and the
  standby is taken out of use if a probe finds it gone (one log line): a reader never sees it.

``RoutedSearchCache`` keeps the search cache per catalog target, each following its own data version, so an answer
computed on a lagging standby is never served as the primary's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from http.cookies import SimpleCookie
from typing import TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from catalog import CatalogError, Replicas
from web.catalogs import current_target, used_replicas
from web.search_cache import SearchCache

log = logging.getLogger("uscm_archive.web")

T = TypeVar("T")

COOKIE = "uscm_written"
WRITTEN_SECONDS = (
    600  # a writer's reads need their write for this long (far past any lag a standby is used at)
)
PRIMARY_PREFIXES = ("/staff", "/api/staff", "/healthz")
READS = ("GET", "HEAD")


def start_replicas(settings) -> Replicas | None:
    """The app's ``Replicas`` (probing already), or None when no replica is configured."""
    urls = tuple(getattr(settings, "catalog_replicas", ()) or ())
    if not urls:
        return None
    return Replicas(settings.catalog_path, urls, max_lag=settings.replica_max_lag).start()


def primary_only(scope: Scope) -> bool:
    path = scope.get("path", "")
    if any(path == p or path.startswith(p + "/") for p in PRIMARY_PREFIXES):
        return True
    return any(name == b"authorization" for name, _ in scope.get("headers", ()))


def written_position(scope: Scope) -> int | None:
    """The WAL position of the reader's last write (its cookie), or None."""
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            cookie = SimpleCookie()
            try:
                cookie.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed Cookie header is the client's; ignore it
                continue
            if COOKIE in cookie:
                return Replicas.parse_position(cookie[COOKIE].value)
    return None


class ReadRouting:
    def __init__(self, app: ASGIApp, state) -> None:
        self.app = app
        self.state = state  # the app's state: ``replicas`` appears once the app has started

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        replicas: Replicas | None = getattr(self.state, "replicas", None)
        if scope["type"] != "http" or replicas is None:
            await self.app(scope, receive, send)
            return
        if scope["method"] not in READS:
            await self.app(scope, receive, _RememberWrite(send, scope, replicas).send)
            return
        target = None if primary_only(scope) else replicas.choose(written_position(scope))
        if target is None:
            await self.app(scope, receive, send)
            return
        attempt = _Attempt(send)
        token, used = current_target.set(target), used_replicas.set([])
        try:
            await self.app(scope, receive, attempt.send)
        except Exception as exc:
            if attempt.started:
                raise
            attempt.failure = f"{type(exc).__name__}: {exc}"
        finally:
            catalogs = used_replicas.get() or []
            current_target.reset(token)
            used_replicas.reset(used)
        # an error answer (e.g. 400): the standby's doing when its connection is gone or it does not answer now
        held_error = attempt.failure is None and attempt.held
        if held_error and (
            any(c.connection_lost() for c in catalogs)
            or not await run_in_threadpool(replicas.answers, target)
        ):
            attempt.failure = "the replica did not answer"
        if attempt.failure is None:
            await attempt.flush()
            return
        await run_in_threadpool(_check, replicas, target, attempt.failure)
        await self.app(scope, receive, send)  # the primary answers instead


def _check(replicas: Replicas, target: str, failure: str) -> None:
    """After a read the standby failed: take it out of use if it does not answer a probe now."""
    try:
        replicas.probe()
    except Exception:  # noqa: BLE001 - the probe logs its own trouble; the read goes to the primary anyway
        replicas.mark_down(target, failure)
    log.info("a read failed on a replica (%s); answered from the primary", failure)


class _Attempt:
    """Passes a success through as it comes; holds back an error answer (4xx, kept until the route is done, so
    that one caused by the standby's lost connection is not sent) and drops a 5xx (the primary answers instead)."""

    def __init__(self, send: Send):
        self.downstream = send
        self.started = False
        self.failure: str | None = None
        self.held: list[Message] = []

    async def send(self, message: Message) -> None:
        if self.failure is not None:
            return
        if message["type"] == "http.response.start":
            if message["status"] >= 500:
                self.failure = f"HTTP {message['status']}"
                return
            if message["status"] >= 400:
                self.held.append(message)
                return
            self.started = True
        if self.held:
            self.held.append(message)
            return
        await self.downstream(message)

    async def flush(self) -> None:
        held, self.held = self.held, []
        for message in held:
            await self.downstream(message)


class _RememberWrite:
    """Adds the ``uscm_written`` cookie (the primary's WAL position now) to the answer of a request that may have
    written."""

    def __init__(self, send: Send, scope: Scope, replicas: Replicas):
        self.downstream, self.scope, self.replicas = send, scope, replicas

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] < 500:
            try:
                position = await run_in_threadpool(self.replicas.primary_position)
            except CatalogError as exc:
                log.warning("no read-your-writes cookie: %s", exc)
            else:
                secure = "; Secure" if self.scope.get("scheme") == "https" else ""
                cookie = (
                    f"{COOKIE}={Replicas.format_position(position)}; Max-Age={WRITTEN_SECONDS}; Path=/; "
                    f"HttpOnly; SameSite=Lax{secure}"
                )
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (b"set-cookie", cookie.encode())],
                }
        await self.downstream(message)


class RoutedSearchCache:
    """``SearchCache.get`` on the cache of this request's catalog target (the primary's, or a standby's)."""

    def __init__(self, primary: SearchCache, replicas: tuple[str, ...]):
        self.primary = primary
        self.caches = {url: SearchCache(url, primary.size, replica=True) for url in replicas}

    def get(self, key: Hashable, compute: Callable[[], T], *, fresh: bool = False) -> T:
        target = current_target.get()
        cache = self.caches.get(target, self.primary) if target else self.primary
        return cache.get(key, compute, fresh=fresh)

    def clear(self) -> None:
        for cache in (self.primary, *self.caches.values()):
            cache.clear()

    def close(self) -> None:
        for cache in (self.primary, *self.caches.values()):
            cache.close()

    def __len__(self) -> int:
        return sum(len(c) for c in (self.primary, *self.caches.values()))
