"""The SQL each benchmarked request issues, captured through Django's test client (the same code path,
settings and database as the served app). Reads ``{"name": [path, ...]}`` on stdin, or
``{"endpoints": {"name": [path, ...]}, "max_seconds": 30}``: then an endpoint's paths are captured in turn
only until ``max_seconds`` have passed (at least one each), so that a slow endpoint is captured for fewer
paths; the endpoints named in its ``"cached"`` list (what their answers need kept per path in the shared
cache: the facets, a capped count) have each path asked once before it is captured, so that what is captured is what the timed
requests, which repeat the paths, mostly meet. Writes ``{"name": [{"path": ..., "status": 200, "seconds":
0.01, "queries": [sql, ...]}, ...]}`` on stdout (a non-200 answer stops that endpoint's capture: its last
entry is the failure).
Run from the repository root with the benchmark's environment (DATABASE_URL and the rest)."""

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def main() -> None:
    job = json.load(sys.stdin)
    if "endpoints" in job:
        endpoints, max_seconds, cached = job["endpoints"], job.get("max_seconds"), set(job.get("cached", ()))
    else:
        endpoints, max_seconds, cached = job, None, set()
    # A server error is answered as the served app answers it (a 500), not raised here.
    client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT="application/json", raise_request_exception=False)
    captured = {}
    for name, paths in endpoints.items():
        client.get(paths[0])  # warm up: first-request work (content types, caches) is not the endpoint's
        captured[name] = []
        deadline = time.monotonic() + max_seconds if max_seconds else None
        for path in paths:
            if deadline is not None and captured[name] and time.monotonic() > deadline:
                break
            if name in cached:
                client.get(path)
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path)
            captured[name].append(
                {
                    "path": path,
                    "status": response.status_code,
                    "seconds": time.perf_counter() - started,
                    "queries": [query["sql"] for query in queries],
                }
            )
            if response.status_code != 200:
                break
    json.dump(captured, sys.stdout)


if __name__ == "__main__":
    main()
