"""The SQL each benchmarked request issues, captured through Django's test client (the same code path,
settings and database as the served app). Reads ``{"name": [path, ...]}`` on stdin; writes
``{"name": [{"path": ..., "status": 200, "queries": [sql, ...]}, ...]}`` on stdout.
Run from the repository root with the benchmark's environment (DATABASE_URL and the rest)."""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def main() -> None:
    endpoints = json.load(sys.stdin)
    client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT="application/json")
    captured = {}
    for name, paths in endpoints.items():
        client.get(paths[0])  # warm up: first-request work (content types, caches) is not the endpoint's
        captured[name] = []
        for path in paths:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path)
            captured[name].append(
                {"path": path, "status": response.status_code, "queries": [query["sql"] for query in queries]}
            )
    json.dump(captured, sys.stdout)


if __name__ == "__main__":
    main()
