"""The shared cache on Redis (registry.cache): one client per connection pool, not one per call."""

import secrets

import redis

from registry.cache import RedisCache
from tests.api.test_shared_rate_limits import REDIS_URL
from tests.helpers import require_redis


def test_one_client_serves_every_call(monkeypatch):
    require_redis(REDIS_URL)
    clients_made = []
    make_client = redis.Redis.__init__

    def counted(self, *args, **kwargs):
        clients_made.append(self)
        make_client(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counted)
    cache = RedisCache(REDIS_URL, {"KEY_PREFIX": f"test-cache-{secrets.token_hex(4)}"})

    cache.set("history", [1.5, 2.5], 30)
    assert cache.get("history") == [1.5, 2.5]
    cache.set("counter", 1, 30)
    assert cache.incr("counter") == 2
    cache.delete_many(["history", "counter"])

    assert len(clients_made) == 1  # one server: one pool, one client for reads and writes (Django's: 6)
