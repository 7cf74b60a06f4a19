"""Reads from the PostgreSQL streaming replicas (``DATABASE_REPLICAS``), writes and migrations to the primary.

A replica replays the primary's changes a moment after they commit (its lag), so a read there can miss a
write that has just committed. These rules keep a caller from ever missing its own writes:

* Inside a transaction on the primary every read goes to the primary: it must see the transaction's own
  rows, and the write path takes its row locks and checks ETags there (the services run in ``atomic``; so
  does every API request with an unsafe method).
* Once a request has written (any write through the ORM) or uses an unsafe HTTP method, the rest of its
  reads go to the primary; so do the reads of the same caller's requests for the next
  ``DATABASE_REPLICA_STICKY_SECONDS``, which could otherwise reach a replica before it has replayed the
  write. The caller is known, before authentication, by the credentials it presents (``Authorization``
  header or session cookie) or else its address, and the window is kept in the shared cache, so it holds
  across worker processes and for API clients that keep no cookies.
* Who the caller is and what it may do (users, groups, tokens, API keys, sessions) and the shared cache's
  table are read on the primary alone: a revoked key is refused at once, a token just issued works at once.
* ``reads_from_primary()`` sends a block's reads to the primary (the change feed, whose settle window
  assumes it sees every transaction that committed before it).

A request reads from one replica throughout, so its queries never step back in time from one to the next.
Outside a request (management commands, the seed loader) a write sends the rest of the thread's reads to
the primary. With no replica configured the router has no opinion, and Django routes as it always did.
"""

import hashlib
import random
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import FileResponse
from rest_framework.throttling import BaseThrottle

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

# Read on the primary alone, and written without pinning the request: identity, rights and the cache table.
PRIMARY_ONLY_APPS = frozenset({"auth", "authtoken", "accounts", "rest_framework_api_key", "sessions", "django_cache"})


@dataclass
class Routing:
    """Where the reads of one request (or, outside requests, of one thread) go."""

    pinned: bool = False  # to the primary, by an unsafe method, a recent write of the caller or the code
    wrote: bool = False
    replica: str | None = None  # chosen at the first read


_routing: ContextVar[Routing | None] = ContextVar("db_routing", default=None)


def _scope() -> Routing:
    routing = _routing.get()
    if routing is None:
        routing = Routing()
        _routing.set(routing)
    return routing


def replicas() -> list[str]:
    return settings.DATABASE_REPLICAS


@contextmanager
def reads_from_primary():
    """The block's reads go to the primary, whatever the request did before."""
    routing = _scope()
    was_pinned = routing.pinned
    routing.pinned = True
    try:
        yield
    finally:
        routing.pinned = was_pinned


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        aliases = replicas()
        if not aliases:
            return None
        if model._meta.app_label in PRIMARY_ONLY_APPS or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        for alias in aliases:
            # A transaction opened on a replica (registry.search.time_limited sets a timeout in one) keeps the
            # reads that it wraps there.
            if connections[alias].in_atomic_block:
                return alias
        routing = _routing.get()
        if routing is None:
            return random.choice(aliases)
        if routing.pinned or routing.wrote:
            return DEFAULT_DB_ALIAS
        if routing.replica not in aliases:
            routing.replica = random.choice(aliases)
        return routing.replica

    def db_for_write(self, model, **hints):
        if not replicas():
            return None
        if model._meta.app_label not in PRIMARY_ONLY_APPS:
            _scope().wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # A replica holds the primary's rows, so an object read from one relates to any other.
        return True

    def allow_migrate(self, db, app_label, **hints):
        if db in replicas():
            return False  # a replica replays the primary's schema; it cannot be written
        return None


def _sticky_cache_key(request) -> str:
    presented = request.META.get("HTTP_AUTHORIZATION") or request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    caller = f"credentials {presented}" if presented else f"address {BaseThrottle().get_ident(request)}"
    return "db-routing:wrote-recently:" + hashlib.sha256(caller.encode()).hexdigest()


def _within(routing: Routing, chunks) -> Iterator:
    """``chunks``, each produced under the request's routing: a streamed response (a CSV export) runs its
    queries after the middleware has returned."""
    chunks = iter(chunks)
    while True:
        token = _routing.set(routing)
        try:
            chunk = next(chunks)
        except StopIteration:
            return
        finally:
            _routing.reset(token)
        yield chunk


class ReplicaRoutingMiddleware:
    """Gives each request its own routing, pinned to the primary for an unsafe method or within the caller's
    sticky window after a write, and opens that window when the request writes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replicas():
            return self.get_response(request)
        sticky_seconds = settings.DATABASE_REPLICA_STICKY_SECONDS
        unsafe = request.method not in SAFE_METHODS
        key = _sticky_cache_key(request) if sticky_seconds > 0 else None
        routing = Routing(pinned=unsafe or (key is not None and cache.get(key) is not None))
        token = _routing.set(routing)
        try:
            response = self.get_response(request)
        finally:
            _routing.reset(token)
        if response.streaming and not response.is_async and not isinstance(response, FileResponse):
            response.streaming_content = _within(routing, response.streaming_content)
        if key is not None and (unsafe or routing.wrote):
            cache.set(key, True, timeout=sticky_seconds)
        return response
