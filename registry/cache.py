"""The shared cache: results computed for everyone and kept a while (``shared_result``), refreshed in the
background once they are stale (``refresh_later``), and its Redis backend (settings.CACHES when REDIS_URL is
set): Django's, with one Redis client per connection pool instead of a new one for every cache call."""

import contextvars
import datetime
import functools
import logging
import os
import secrets
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from django.core.cache import cache
from django.core.cache.backends import redis
from django.db import connections
from django.db.backends.signals import connection_created
from django.utils import timezone

from registry.db_routers import routed_as_one_request

logger = logging.getLogger(__name__)

STALE_FACTOR = 10  # a cached result is kept this many windows, to be served while it is recomputed
REFRESH_LOCK_SECONDS = 60  # if the refresh of a result dies with its process, another one takes over after this
# One refresh at a time for every process that shares the cache: the results are aggregates over the whole
# registry, and the requests answered meanwhile need the machine's other cores (see refresh_later). Held at
# most REFRESH_SLOT_SECONDS, should its holder die: longer than any refresh (at 1,000,000 companies the
# indicators take 26.5 s with parallel workers). A refresh that outlives it frees it only if it is still its own.
REFRESH_SLOT = "shared-result:refresh-slot"
REFRESH_SLOT_SECONDS = 300


def shared_result[T](
    key: str, compute: Callable[[], T], *, fresh_seconds: int, may_refresh_later: bool = True
) -> tuple[datetime.datetime, T]:
    """``(computed_at, compute())``, kept in the shared cache under ``key``: for figures that are the same
    for every caller and read every row (the indicators, the export-markets summary, facet counts).

    A result is fresh for ``fresh_seconds`` (0: nothing is cached). After that it is still served, to every
    request, while one of them has it computed again in the background (``refresh_later``): no request waits
    for figures that read the whole registry (at 100,000 companies a cold indicator summary reads the big
    tables for seconds, and the facets of an unfiltered list for one), and they are computed once, not by
    every request that finds them stale. A result is therefore at most the window plus one computation old,
    or while other refreshes hold the slot (``REFRESH_SLOT``), up to ``STALE_FACTOR`` windows.
    Only a result that is not in the cache at all, never asked for or not in ``STALE_FACTOR`` windows
    (then dropped), is computed by the request that asks for it.

    ``may_refresh_later=False``: ``compute`` is right only now, for this request (it reads through what this
    caller may see, which may change before a refresh runs): a stale result is served, and left for a request
    whose ``compute`` holds later to refresh.
    """
    if fresh_seconds <= 0:
        return timezone.now(), compute()
    entry = cache.get(key)
    if entry is None:
        computed_at, result = timezone.now(), compute()
        _keep(key, computed_at, result, fresh_seconds)
        return computed_at, result
    fresh_until, computed_at, result = entry
    if time.time() >= fresh_until and may_refresh_later:
        lock = _Lock(f"{key}:refreshing", timeout=REFRESH_LOCK_SECONDS)
        if lock.take():
            refresh_later(functools.partial(_refresh, key, compute, fresh_seconds, lock))
    return computed_at, result


class _Lock:
    """A lock in the shared cache that expires, freed only by its holder: one that outlived it and another
    took it leaves it alone."""

    def __init__(self, key: str, *, timeout: int):
        self.key, self.timeout, self.token = key, timeout, secrets.token_hex(8)

    def take(self) -> bool:
        return cache.add(self.key, self.token, timeout=self.timeout)

    def free(self) -> None:
        if cache.get(self.key) == self.token:
            cache.delete(self.key)


def _keep(key: str, computed_at: datetime.datetime, result, fresh_seconds: int) -> None:
    cache.set(key, (time.time() + fresh_seconds, computed_at, result), timeout=fresh_seconds * STALE_FACTOR)


def _refresh(key: str, compute: Callable, fresh_seconds: int, lock: _Lock) -> None:
    try:
        slot = _Lock(REFRESH_SLOT, timeout=REFRESH_SLOT_SECONDS)
        if not slot.take():
            return  # another refresh is running: the next request that finds this one stale tries again
        try:
            entry = cache.get(key)
            # Fresh already: this job waited behind others longer than the lock, and another process's ran.
            if entry is None or time.time() >= entry[0]:
                _keep(key, timezone.now(), compute(), fresh_seconds)
        finally:
            slot.free()
    finally:
        lock.free()  # a failed refresh is tried again by the next request


_refresher: tuple[int, ThreadPoolExecutor] | None = None  # (the process it was started in, the executor)


def refresh_later(job: Callable[[], None]) -> Future:
    """Run ``job`` in this process's refresh thread, one job at a time, after those already waiting: the
    request that asked goes on at once. A job that fails is logged (``registry.cache``, with its traceback);
    its database connections are closed when it ends. Started on first use in each process, so that each
    gunicorn worker has its own (a thread does not survive the fork).

    A refresh leaves the machine to the requests it answers meanwhile: on PostgreSQL its queries get no
    parallel workers (``BACKGROUND_QUERY_SETTINGS``; the aggregates over the whole registry otherwise start two,
    and took both cores of a 2-core server), and one refresh runs at a time for every process sharing the
    cache (``REFRESH_SLOT``; five workers' refreshes at once had the same effect). A request that computes
    such a result itself, which someone waits for, still gets the parallel workers."""
    global _refresher
    if _refresher is None or _refresher[0] != os.getpid():
        _refresher = (os.getpid(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="shared-result-refresh"))
    return _refresher[1].submit(_run_refresh, job)


def stop_refreshing() -> None:
    """Cancel the refreshes waiting in this process's thread, so that the process exits once the one running
    has ended (gunicorn's ``worker_exit``): Python runs every job still waiting before it exits. Their results
    are refreshed by the next requests that find them stale, once their locks expire."""
    global _refresher
    if _refresher is not None and _refresher[0] == os.getpid():
        _refresher[1].shutdown(wait=False, cancel_futures=True)
    _refresher = None


# Run-time parameters of the connections a refresh opens (its own: they are closed after each job).
BACKGROUND_QUERY_SETTINGS = {"max_parallel_workers_per_gather": "0"}
_refreshing = contextvars.ContextVar("refreshing", default=False)


def _run_refresh(job: Callable[[], None]) -> None:
    token = _refreshing.set(True)
    try:
        with routed_as_one_request():  # one replica throughout, where there are replicas
            job()
    except Exception:
        logger.exception("Refreshing a shared result failed; the previous one is still served")
    finally:
        connections.close_all()  # this thread's own
        _refreshing.reset(token)


def _set_background_query_settings(sender, connection, **kwargs) -> None:
    if _refreshing.get() and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for name, value in BACKGROUND_QUERY_SETTINGS.items():
                cursor.execute("SELECT set_config(%s, %s, false)", [name, value])


connection_created.connect(_set_background_query_settings, dispatch_uid="registry.cache.background")


class RedisCacheClient(redis.RedisCacheClient):
    """Django makes a ``redis.Redis`` for every call, and redis-py fills each new one's table of response
    callbacks: every request paid it twice for its rate limit (read the client's recent requests, write them
    back), a cached indicators page seven times. A client holds no connection of its own (its pool does) and
    may be shared by threads, so one per pool serves every call."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}  # connection pool -> its client

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
