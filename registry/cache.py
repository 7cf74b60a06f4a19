"""The shared cache's Redis backend (settings.CACHES when REDIS_URL is set): Django's, with one Redis client
per connection pool instead of a new one for every cache call."""

from django.core.cache.backends import redis


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
