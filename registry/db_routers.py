"""Reads from the PostgreSQL streaming replicas (``DATABASE_REPLICAS``), writes and migrations to the primary.

A replica replays the primary's changes a moment after they commit (its lag), so a read there can miss a
write that has just committed. These rules keep a caller from ever missing its own writes, whatever the lag:

* Inside a transaction on the primary every read goes to the primary: it must see the transaction's own
  rows, and the write path takes its row locks and checks ETags there (the services run in ``atomic``, and
  ``RegistryViewSet.dispatch`` wraps each of its unsafe requests in one; other views, such as the token and
  API key views and the admin, are not atomic as a whole, but their unsafe requests read the primary too).
* A request with an unsafe HTTP method reads the primary; so does the rest of any request once it has written
  (any write through the ORM).
* When a request has written and answered below 400, the primary's WAL position after its commit
  (``pg_current_wal_lsn()``) is kept in the shared cache under the caller's key for
  ``DATABASE_REPLICA_STICKY_SECONDS``. The caller's next requests read its replica only once that replica has
  replayed up to that position (one small query on the replica, at the request's first read, and only for a
  caller with such an entry); until then they read the primary. So the caller sees its own writes however
  far the replica lags, and goes back to the replica as soon as it has caught up. Where the position cannot
  be known (a primary that is not PostgreSQL, a transaction still open) the entry pins the caller to the
  primary for its lifetime. The caller is known, before authentication, by the credentials it presents
  (``Authorization`` header or session cookie) or else its address, through an HMAC of them with the
  ``SECRET_KEY``; the entry holds across worker processes and for API clients that keep no cookies.
* Who the caller is and what it may do (users, groups, tokens, API keys, sessions) and the shared cache's
  table are read on the primary alone: a revoked key is refused at once, a token just issued works at once.
* ``reads_from_primary()`` sends a block's reads to the primary (the change feed, whose settle window
  assumes it sees every transaction that committed before it).

A request reads from one database throughout, so its queries never step back in time from one to the next,
and a caller always reads the same replica (chosen by a hash of its key), so its next request does not step
back either, to a replica further behind. Outside a request (management commands, the seed loader) a thread
reads one replica picked at random, and a write sends the rest of its reads to the primary. With no replica
configured the router has no opinion, and Django routes as it always did.
"""

import logging
import random
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import FileResponse
from django.utils.crypto import salted_hmac
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)

# Read on the primary alone, and written without pinning the request: identity, rights and the cache table.
PRIMARY_ONLY_APPS = frozenset({"auth", "authtoken", "accounts", "rest_framework_api_key", "sessions", "django_cache"})
# The sticky entry of a caller whose write's WAL position is unknown: it reads the primary until the entry expires.
UNKNOWN_POSITION = ""


@dataclass
class Routing:
    """Where the reads of one request (or, outside requests, of one thread) go."""

    pinned: bool = False  # to the primary, by an unsafe method or the code
    wrote: bool = False
    caller: str | None = None  # the caller's key, which picks its replica (None: at random)
    # The primary's WAL position after the caller's last write (its sticky entry): the replica must have
    # replayed it to serve this request; UNKNOWN_POSITION: it cannot serve it. None: no entry.
    awaited: str | None = None
    replica: str | None = None  # where the reads go, decided at the first read: a replica, or the primary


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
def routed_as_one_request():
    """The block's reads are routed as one request's are, with a routing of its own: one database throughout
    (a replica picked at random). For work outside requests whose queries must not mix replicas that have
    replayed the primary to different points (a background refresh, ``registry.cache.refresh_later``)."""
    token = _routing.set(Routing())
    try:
        yield
    finally:
        _routing.reset(token)


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


def primary_wal_position() -> str:
    """The primary's current WAL position (``pg_current_wal_lsn()``), which includes every transaction that has
    committed; ``UNKNOWN_POSITION`` when the primary is no PostgreSQL server or a transaction is still open on
    it (its commit would come after the position), or the primary cannot be asked."""
    primary = connections[DEFAULT_DB_ALIAS]
    if primary.vendor != "postgresql" or primary.in_atomic_block:
        return UNKNOWN_POSITION
    try:
        with primary.cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            return cursor.fetchone()[0]
    except DatabaseError as error:  # the write has succeeded: its answer must not become an error
        logger.warning("Cannot ask the primary for its WAL position: %s", error)
        return UNKNOWN_POSITION


def replica_has_replayed(alias: str, position: str) -> bool:
    """Whether the replica ``alias`` has replayed the primary's WAL up to ``position``. A replica that does
    not answer has not: the caller then reads the primary, which is always right."""
    if position == UNKNOWN_POSITION:
        return False
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), %s::pg_lsn) >= 0", [position])
            row = cursor.fetchone()
    except DatabaseError as error:
        logger.warning("Cannot ask replica %s how far it has replayed: %s", alias, error)
        return False
    return bool(row and row[0])  # NULL: a server that is no replica, or has replayed nothing yet


def _replica_for(caller: str | None, aliases: list[str]) -> str:
    """The caller's replica, always the same one for the same caller and replicas; any one without a caller."""
    if caller is None:
        return random.choice(aliases)
    return aliases[int(caller[:16], 16) % len(aliases)]


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
        if routing.replica != DEFAULT_DB_ALIAS and routing.replica not in aliases:
            replica = _replica_for(routing.caller, aliases)
            if routing.awaited is not None and not replica_has_replayed(replica, routing.awaited):
                replica = DEFAULT_DB_ALIAS  # behind the caller's last write: this request reads the primary
            routing.replica = replica
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


def caller_key(request) -> str:
    """Who the caller is, before authentication: an HMAC (keyed with the SECRET_KEY) of the credentials it
    presents, or else of its address. Never the credentials themselves, nor a plain hash of them."""
    presented = request.META.get("HTTP_AUTHORIZATION") or request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    presented = f"credentials {presented}" if presented else f"address {BaseThrottle().get_ident(request)}"
    return salted_hmac("registry.db_routers", presented, algorithm="sha256").hexdigest()


def sticky_cache_key(caller: str) -> str:
    return f"db-routing:last-write:{caller}"


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
    """Gives each request its own routing: its caller's replica, or the primary for an unsafe method or while
    that replica has not replayed the caller's last write; and records that write's position when the request
    writes and succeeds."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replicas():
            return self.get_response(request)
        sticky_seconds = settings.DATABASE_REPLICA_STICKY_SECONDS
        caller = caller_key(request)
        key = sticky_cache_key(caller) if sticky_seconds > 0 else None
        routing = Routing(
            pinned=request.method not in SAFE_METHODS,
            caller=caller,
            awaited=cache.get(key) if key is not None else None,
        )
        token = _routing.set(routing)
        try:
            response = self.get_response(request)
        finally:
            _routing.reset(token)
        if response.streaming and not response.is_async and not isinstance(response, FileResponse):
            response.streaming_content = _within(routing, response.streaming_content)
        # Only a write that succeeded opens (or moves on) the entry: refusals (401, 403, 405, 413, 429...) and
        # requests that wrote nothing cost no cache write. The view's transaction has committed by now.
        if key is not None and routing.wrote and response.status_code < 400:
            cache.set(key, primary_wal_position(), timeout=sticky_seconds)
        return response
