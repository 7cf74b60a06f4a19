"""Rate-limit counters are shared by worker processes: on the embedded default they live in a database
table (Redis in production), so a client cannot get more by landing on another worker."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

WORKER = """
import django, json, sys
django.setup()
from django.core.management import call_command
from django.test import Client
if sys.argv[1] == "migrate":
    call_command("migrate", verbosity=0)
else:
    print(json.dumps([Client().get("/api/v1/provinces/").status_code for _ in range(int(sys.argv[1]))]))
"""


def run_worker(environment: dict, argument: str) -> list[int] | None:
    result = subprocess.run(
        [sys.executable, "-c", WORKER, argument], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1]) if argument != "migrate" else None


def test_two_worker_processes_share_one_anonymous_limit(tmp_path):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "registry.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite3'}",
        "THROTTLE_ANON": "3/min",
    }
    environment.pop("REDIS_URL", None)  # the embedded default: counters in the database cache table
    run_worker(environment, "migrate")

    first_worker = run_worker(environment, "2")
    second_worker = run_worker(environment, "2")

    assert first_worker == [200, 200]
    assert second_worker == [200, 429]
