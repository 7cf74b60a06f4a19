"""The shared cache: results computed for everyone and kept a while (``shared_result``), and its Redis
backend (settings.CACHES when REDIS_URL is set): Django's, with one Redis client per connection pool instead
of a new one for every cache call."""

import datetime
import time
from collections.abc import Callable

from django.core.cache import cache
from django.core.cache.backends import redis
from django.utils import timezone

STALE_FACTOR = 10  # a cached result is kept this many windows, to be served while it is recomputed
REFRESH_LOCK_SECONDS = 60  # if the request recomputing a result dies, another one takes over after this


def shared_result[T](key: str, compute: Callable[[], T], *, fresh_seconds: int) -> tuple[datetime.datetime, T]:
    """``(computed_at, compute())``, kept in the shared cache under ``key``: for figures that are the same
    for every caller and read every row (the indicators, the export-markets summary).

    A result is fresh for ``fresh_seconds`` (0: nothing is cached). After that, the first request recomputes
    it while the others keep getting the previous result, rather than all computing the same figures at once
    (at 100,000 companies a cold indicator summary reads the big tables for seconds); a result is therefore at
    most the window plus one computation old. One that nobody asked for in ``STALE_FACTOR`` windows is
    dropped.
    """
    if fresh_seconds <= 0:
        return timezone.now(), compute()
    entry = cache.get(key)
    if entry is not None:
        fresh_until, computed_at, result = entry
        if time.time() < fresh_until or not cache.add(f"{key}:refreshing", True, timeout=REFRESH_LOCK_SECONDS):
            return computed_at, result
    try:
        computed_at, result = timezone.now(), compute()
        cache.set(key, (time.time() + fresh_seconds, computed_at, result), timeout=fresh_seconds * STALE_FACTOR)
    finally:
        if entry is not None:
            cache.delete(f"{key}:refreshing")
    return computed_at, result


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
