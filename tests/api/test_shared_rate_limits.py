"""Rate-limit counters are shared by worker processes, so a client cannot get more by landing on another
worker: on the embedded default they live in a database table, in production in Redis (REDIS_URL), where
several app servers share them too. Each case runs two real worker processes one after the other."""

import ipaddress
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import require_redis

ROOT = Path(__file__).resolve().parents[2]
# A database of its own on the local Redis (CI runs one); keys expire with the limit's minute.
REDIS_URL = "redis://127.0.0.1:6379/13"

WORKER = """
import django, json, sys
django.setup()
from django.core.management import call_command
from django.test import Client
if sys.argv[1] == "migrate":
    call_command("migrate", verbosity=0)
else:
    client = Client(REMOTE_ADDR=sys.argv[2])
    print(json.dumps([client.get("/api/v1/").status_code for _ in range(int(sys.argv[1]))]))
"""


def run_worker(environment: dict, *arguments: str) -> list[int] | None:
    result = subprocess.run(
        [sys.executable, "-c", WORKER, *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1]) if arguments[0] != "migrate" else None


@pytest.fixture(params=["database", "redis"])
def worker_environment(request, tmp_path) -> dict:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "registry.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite3'}",
        "THROTTLE_ANON": "3/min",
    }
    environment.pop("REDIS_URL", None)
    if request.param == "database":  # the embedded default: counters in the cache table the migrations make
        run_worker(environment, "migrate")
    else:
        require_redis(REDIS_URL)
        environment["REDIS_URL"] = REDIS_URL
    return environment


def test_two_worker_processes_share_one_anonymous_limit(worker_environment):
    # An address no other run uses, so that runs sharing the Redis database never count each other's requests.
    client_address = str(ipaddress.IPv6Address("2001:db8::") + secrets.randbits(64))

    first_worker = run_worker(worker_environment, "2", client_address)
    second_worker = run_worker(worker_environment, "2", client_address)

    assert first_worker == [200, 200]
    assert second_worker == [200, 429]
