"""The shared cache on Redis (registry.cache): one client per connection pool, not one per call."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import redis

from registry.cache import RedisCache
from tests.api.test_shared_rate_limits import REDIS_URL
from tests.helpers import require_redis

ROOT = Path(__file__).resolve().parents[2]


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


def test_deployments_with_their_own_key_prefix_do_not_share_entries(tmp_path):
    """CACHE_KEY_PREFIX: servers sharing one Redis (the benchmark's sizes, served at once) each read only
    what servers with the same prefix wrote. Settings are read once per process: one process each."""
    require_redis(REDIS_URL)
    run_id = secrets.token_hex(4)
    script = (
        "import django; django.setup(); from django.core.cache import cache; "
        "print(cache.get('what-search-learned')); cache.set('what-search-learned', 'written here', 30)"
    )

    def read_then_write(prefix: str) -> str:
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "registry.settings",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'registry.sqlite3'}",
            "REDIS_URL": REDIS_URL,
            "CACHE_KEY_PREFIX": f"{prefix}-{run_id}",
        }
        result = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert read_then_write("ten-thousand") == "None"
    assert read_then_write("hundred-thousand") == "None"  # not the other prefix's entry
    assert read_then_write("ten-thousand") == "written here"
