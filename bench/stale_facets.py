"""How long a request waits for facet counts it finds stale: ``make bench-stale-facets
DATABASE_URL=postgres://.../miv_bench_100000`` (any database with demo data).

With ``FACETS_CACHE_SECONDS=1``, it asks ten company-list paths with all five facets once each, so that their
counts are kept (unfiltered, by five provinces, by four categories), then, in each of three rounds, waits until
they are stale and times one request of each (Django's test client, in one process). Between rounds it waits
three seconds more, for a refresh in the background to end. It prints the median and the slowest request.

It calls only what every version of the code has: run it on the code before a change and after. Before 0872efa
the request that found the counts stale counted them again itself; since, it is served them at once.
"""

import logging
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")
os.environ["FACETS_CACHE_SECONDS"] = "1"
os.environ.setdefault("THROTTLE_ANON", "1000000/second")  # the rate limit never refuses

import django  # noqa: E402

django.setup()
logging.disable(logging.INFO)  # no access-log line per request

from django.test import Client  # noqa: E402

ROUNDS = 3
FACETS = "facets=category,province,market,verified,maturity"
PATHS = [
    f"/api/v1/companies/?{FACETS}",
    *(f"/api/v1/companies/?{FACETS}&province={code}" for code in ["01", "79", "48", "31", "92"]),
    *(
        f"/api/v1/companies/?{FACETS}&category={slug}"
        for slug in ["accounting-software", "cybersecurity", "it-services", "e-invoicing"]
    ),
]


def main() -> None:
    client = Client()
    for path in PATHS:  # counted and kept
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    milliseconds = []
    for _ in range(ROUNDS):
        time.sleep(1.5)  # past FACETS_CACHE_SECONDS
        for path in PATHS:
            started = time.perf_counter()
            client.get(path)
            milliseconds.append((time.perf_counter() - started) * 1000)
        time.sleep(3)
    print(
        f"{len(milliseconds)} requests finding their facet counts stale: median "
        f"{statistics.median(milliseconds):.1f} ms, slowest {max(milliseconds):.1f} ms"
    )


if __name__ == "__main__":
    main()
