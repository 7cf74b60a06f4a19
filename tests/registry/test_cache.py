"""The shared cache (registry.cache): results kept for everyone and refreshed in the background once stale;
on Redis, one client per connection pool, not one per call."""

import logging
import os
import secrets
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import redis
from django.core.cache import cache
from django.db import connection

import registry.cache
from registry.cache import RedisCache, refresh_later, shared_result
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


# --- shared results: served while stale, refreshed in the background -----------------------------------------
# (``refresh_later`` above is the real one: tests/conftest.py's ``refreshes`` stands in for it in registry.cache.)


class Computations:
    def __init__(self, *results):
        self.results = list(results)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        result = self.results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result


def test_a_result_not_in_the_cache_is_computed_by_the_request_then_kept(cache_clock, refreshes):
    compute = Computations("first")
    assert shared_result("figures", compute, fresh_seconds=60)[1] == "first"
    cache_clock.now += 59
    assert shared_result("figures", compute, fresh_seconds=60)[1] == "first"
    assert compute.calls == 1
    assert refreshes.waiting == []


def test_a_stale_result_is_served_and_refreshed_once_in_the_background(cache_clock, refreshes):
    compute = Computations("first", "second")
    computed_at, _ = shared_result("figures", compute, fresh_seconds=60)
    cache_clock.now += 61
    for _ in range(3):  # every request finds it stale; the first has it refreshed
        assert shared_result("figures", compute, fresh_seconds=60) == (computed_at, "first")
    assert compute.calls == 1
    assert refreshes.run() == 1
    refreshed_at, result = shared_result("figures", compute, fresh_seconds=60)
    assert (result, compute.calls) == ("second", 2)
    assert refreshed_at > computed_at
    assert refreshes.waiting == []  # fresh again


def test_a_failed_refresh_keeps_the_stale_result_and_the_next_request_tries_again(cache_clock, refreshes):
    compute = Computations("first", RuntimeError("database gone"), "third")
    shared_result("figures", compute, fresh_seconds=60)
    cache_clock.now += 61
    assert shared_result("figures", compute, fresh_seconds=60)[1] == "first"
    with pytest.raises(RuntimeError):  # in the refresh thread, logged (below)
        refreshes.run()
    assert shared_result("figures", compute, fresh_seconds=60)[1] == "first"
    assert refreshes.run() == 1
    assert shared_result("figures", compute, fresh_seconds=60)[1] == "third"


def test_a_refresh_that_finds_the_result_fresh_again_computes_nothing(cache_clock, refreshes):
    """A refresh that waited in its thread longer than the lock, while another process's refreshed it."""
    compute = Computations("first", "second", "third")
    shared_result("figures", compute, fresh_seconds=60)
    cache_clock.now += 61
    shared_result("figures", compute, fresh_seconds=60)  # queues a refresh
    cache.delete("figures:refreshing")  # the lock expires while it waits
    shared_result("figures", compute, fresh_seconds=60)  # queues another
    assert refreshes.run() == 2
    assert compute.calls == 2  # the second found "second" fresh
    assert shared_result("figures", compute, fresh_seconds=60)[1] == "second"


def test_one_refresh_runs_at_a_time_and_a_result_left_stale_is_tried_again(cache_clock, refreshes):
    """Across every process sharing the cache: a refresh that finds another running computes nothing."""
    compute = Computations("first", "second")
    shared_result("figures", compute, fresh_seconds=60)
    cache_clock.now += 61
    cache.add(registry.cache.REFRESH_SLOT, True, 60)  # another process is refreshing something
    shared_result("figures", compute, fresh_seconds=60)
    assert refreshes.run() == 1
    assert compute.calls == 1
    assert cache.get(registry.cache.REFRESH_SLOT) is True  # not this refresh's to free
    cache.delete(registry.cache.REFRESH_SLOT)  # that refresh ends
    assert shared_result("figures", compute, fresh_seconds=60)[1] == "first"  # still stale: tried again
    assert refreshes.run() == 1
    assert shared_result("figures", compute, fresh_seconds=60)[1] == "second"
    assert cache.get(registry.cache.REFRESH_SLOT) is None


def test_a_refresh_that_outlived_the_slot_leaves_the_next_holders_alone(cache_clock, refreshes):
    compute = Computations("first")

    def slow():  # the slot expires while it computes, and another refresh takes it
        cache.delete(registry.cache.REFRESH_SLOT)
        cache.add(registry.cache.REFRESH_SLOT, "another refresh's", 300)
        return "second"

    shared_result("figures", compute, fresh_seconds=60)
    cache_clock.now += 61
    shared_result("figures", slow, fresh_seconds=60)
    assert refreshes.run() == 1
    assert cache.get(registry.cache.REFRESH_SLOT) == "another refresh's"
    assert cache.get("figures:refreshing") is None  # its own lock, freed


def test_a_caller_whose_compute_holds_only_now_is_served_stale_and_refreshes_nothing(cache_clock, refreshes):
    compute = Computations("first", "second")
    shared_result("figures", compute, fresh_seconds=60)
    cache_clock.now += 61
    assert shared_result("figures", compute, fresh_seconds=60, may_refresh_later=False)[1] == "first"
    assert refreshes.waiting == []
    assert cache.get("figures:refreshing") is None
    shared_result("figures", compute, fresh_seconds=60)  # a caller whose compute holds later
    assert refreshes.run() == 1


def test_a_result_nobody_asked_for_in_ten_windows_is_computed_by_the_request_again(cache_clock, refreshes):
    compute = Computations("first", "second")
    shared_result("figures", compute, fresh_seconds=60)
    cache.delete("figures")  # what its timeout (STALE_FACTOR windows) does
    assert shared_result("figures", compute, fresh_seconds=60)[1] == "second"
    assert refreshes.waiting == []


def test_a_refresh_runs_in_its_own_thread_and_a_failure_is_logged(caplog):
    threads = []
    refresh_later(lambda: threads.append(threading.current_thread())).result(timeout=10)
    assert threads[0] is not threading.current_thread()
    assert threads[0].name.startswith("shared-result-refresh")

    def failing():
        raise RuntimeError("database gone")

    with caplog.at_level(logging.ERROR, logger="registry.cache"):
        refresh_later(failing).result(timeout=10)  # the request that asked never sees it
    [record] = caplog.records
    assert "previous one is still served" in record.getMessage()
    assert "database gone" in caplog.text  # with its traceback


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the thread: a connection of its own
def test_a_refresh_closes_its_database_connections():
    from django.db import connections

    used = []

    def reads_the_database():
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
        used.append(connections["default"])  # the refresh thread's own

    refresh_later(reads_the_database).result(timeout=10)
    assert used[0] is not connections["default"]
    assert used[0].connection is None  # closed


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's settings: the suite's PostgreSQL pass")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the thread: a connection of its own
def test_a_refresh_reads_postgresql_without_parallel_workers():
    """So that refreshing an aggregate over the whole registry leaves cores to the requests meanwhile."""
    from django.db import connections

    def parallel_workers() -> str:
        with connections["default"].cursor() as cursor:
            cursor.execute("SHOW max_parallel_workers_per_gather")
            return cursor.fetchone()[0]

    seen = []
    refresh_later(lambda: seen.append(parallel_workers())).result(timeout=10)
    assert seen == ["0"]
    assert parallel_workers() != "0"  # the requests' connections keep PostgreSQL's


def test_stopping_drops_the_refreshes_waiting_and_lets_the_running_one_end():
    started, release = threading.Event(), threading.Event()
    ran = []

    def running():
        started.set()
        release.wait(timeout=10)
        ran.append("running")

    first = refresh_later(running)
    started.wait(timeout=10)
    waiting = refresh_later(lambda: ran.append("waiting"))
    registry.cache.stop_refreshing()
    release.set()
    first.result(timeout=10)
    assert waiting.cancelled()
    assert ran == ["running"]
    later = refresh_later(lambda: ran.append("later"))  # a new thread, if the process goes on
    later.result(timeout=10)
    assert ran == ["running", "later"]


def test_a_gunicorn_worker_that_exits_stops_refreshing(monkeypatch):
    from registry import gunicorn_conf

    stopped = []
    monkeypatch.setattr(registry.cache, "stop_refreshing", lambda: stopped.append(True))
    gunicorn_conf.worker_exit(server=None, worker=None)
    assert stopped == [True]
