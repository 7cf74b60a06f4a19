"""Where a request's time goes, in one process: ``make bench-in-process DATABASE_URL=postgres://.../miv_bench_100000``
(a database ``bench/run.py --keep`` left, or any with demo data).

For each endpoint of the benchmark's query mix (``bench/run.py``), or those named on the command line, it
sends the paths through Django's test client (no HTTP, no gunicorn) and reports the median time of a request,
the median time spent inside the database driver (Django's ``execute_wrapper``), what is left (Python: query
building, filters, serializers, rendering, middleware), the p50/p99 over the paths, and the slowest paths.
For the autocomplete it also reports how many suggestions a request answers on average (what the time
budget, ``SUGGESTION_MILLISECONDS``, leaves out). The figures in the commit messages and the README that
say "in one process" come from here. Medians and the split are what it is for: its p99 also catches the
background work of a freshly loaded database (autovacuum), which the benchmark's warm-up absorbs.

With ``--fastest-of N`` it also sends each different path N more times and lists the fastest time of each,
slowest first, with their sum: the before/after figures of a change (run it on the code before and after,
alternately, a few rounds), or how each path grows from one database size to the next.

With ``--path PATH`` (repeatable) it times those paths instead of the mix, each ``--samples`` times: a path
the mix does not have (a deep page, say).

With ``--profile`` it runs each endpoint's paths once more under cProfile and splits the time by stage
(``profile_stages``: django-filter, reading the object or the page with its count, the serializers, JSON
rendering; the rest is Django, DRF and the middleware around the view), says how much of all of it was
inside the database driver, and counts the Python function calls a request makes. cProfile slows Python
down more than the driver's wait, so these are shares of the profiled time, not milliseconds of an
unprofiled request. The calls are the steadiest before/after figure of a change that cuts Python work:
unlike milliseconds, they do not move with the machine's speed or load.
"""

import argparse
import cProfile
import logging
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")

import django  # noqa: E402
from run import UNREFUSED_ANONYMOUS_RATE, query_mix  # noqa: E402

# As in bench/run.py: the rate limit still runs, but never refuses (a 429 would be timed instead).
os.environ.setdefault("THROTTLE_ANON", UNREFUSED_ANONYMOUS_RATE)

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from registry.wsgi import settle_long_lived_objects  # noqa: E402

# Aggregates over the whole registry: seconds a request, left out unless named.
SLOW_ENDPOINTS = {"company list + facets", "product list + facets"}


class DatabaseTime:
    """Seconds spent executing statements, as an ``execute_wrapper``."""

    def __init__(self):
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def measure(client: Client, paths: list[str]) -> dict:
    for path in paths[:5]:  # warm-up: first-request work is not the endpoint's
        client.get(path)
    database = DatabaseTime()
    timings = []
    with connection.execute_wrapper(database):
        for path in paths:
            database.seconds = 0.0
            started = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - started, database.seconds, path, response))
            if response.status_code != 200:
                sys.exit(f"{path} answered {response.status_code}")
    totals = sorted(total for total, _, _, _ in timings)
    return {
        "total": statistics.median(totals),
        "database": statistics.median(seconds for _, seconds, _, _ in timings),
        "p99": totals[min(len(totals) - 1, int(0.99 * len(totals)))],
        "slowest": sorted(((total, path) for total, _, path, _ in timings), reverse=True),
        "responses": [response for _, _, _, response in timings],
    }


def fastest_of(client: Client, paths: list[str], repeats: int) -> list[tuple[float, str]]:
    """Each different path's fastest of ``repeats`` requests (after one not timed), slowest first: what
    a change did, through this machine's noise (a median moved by a quarter between runs here)."""
    fastest = []
    for path in dict.fromkeys(paths):
        client.get(path)
        timings = []
        for _ in range(repeats):
            started = time.perf_counter()
            response = client.get(path)
            timings.append(time.perf_counter() - started)
            if response.status_code != 200:
                sys.exit(f"{path} answered {response.status_code}")
        fastest.append((min(timings), path))
    return sorted(fastest, reverse=True)


def profile_stages() -> list[tuple[str, object]]:
    """The stages of a request, each by the function that runs it: the time spent inside it, callees
    included. The rest is Django, DRF and the middleware around the view. They do not nest here: DRF's
    ``get_object`` calls ``filter_queryset``, but this project's filters apply to lists only
    (``api.filtering``), so a detail's filtering costs nothing."""
    from rest_framework import generics, renderers, serializers

    return [
        ("filters (django-filter, its form)", generics.GenericAPIView.filter_queryset),
        ("the object (ORM, driver)", generics.GenericAPIView.get_object),
        ("count and page rows (ORM, driver)", generics.GenericAPIView.paginate_queryset),
        ("serializers", serializers.BaseSerializer.data.fget),
        ("JSON", renderers.JSONRenderer.render),
    ]


def profile_split(client: Client, paths: list[str]) -> tuple[list[tuple[str, float]], float]:
    """Shares of the profiled time of ``paths``: in each of ``profile_stages()`` (callees included), around
    the view, and, of all of it, in the database driver (wherever it was called from); and the Python
    function calls a request made, on average."""
    profiler = cProfile.Profile()
    profiler.enable()
    for path in paths:
        client.get(path)
    profiler.disable()
    stats = pstats.Stats(profiler)
    functions = stats.stats  # (file, first line, name) -> (calls, primitive calls, self, cumulative, callers)
    total = stats.total_tt or 1.0
    shares = []
    for stage, function in profile_stages():
        code = function.__code__
        cumulative = functions.get((code.co_filename, code.co_firstlineno, code.co_name), (0, 0, 0, 0.0))[3]
        shares.append((stage, cumulative / total))
    driver = sum(timing[2] for (filename, _line, _name), timing in functions.items() if "/psycopg/" in filename)
    around = 1.0 - sum(share for _stage, share in shares)
    shares += [("around the view (Django, DRF, middleware)", around), ("of all: database driver", driver / total)]
    return shares, stats.total_calls / len(paths)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("endpoints", nargs="*", help="Endpoints of the mix, by name (default: all but the slow).")
    parser.add_argument("--samples", type=int, default=100, help="Different paths per endpoint (default 100).")
    parser.add_argument("--slowest", type=int, default=3, help="Slowest paths to list per endpoint (default 3).")
    parser.add_argument("--profile", action="store_true", help="Also split each endpoint's time under cProfile.")
    parser.add_argument(
        "--fastest-of",
        type=int,
        default=0,
        metavar="N",
        help="Also send each different path N more times and sum the fastest of each (before/after a change).",
    )
    parser.add_argument(
        "--path",
        action="append",
        default=[],
        help="Time this path instead of the mix, --samples times (repeatable): a path the mix does not have.",
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql" or "DATABASE_URL" not in os.environ:
        sys.exit("Set DATABASE_URL to a PostgreSQL database with demo data (bench/run.py --keep leaves one).")
    logging.disable(logging.INFO)  # one access-log line per request would be measured too
    if args.path:
        mix = {path: [path] * args.samples for path in args.path}
    else:
        mix = query_mix(os.environ["DATABASE_URL"], args.samples)
    unknown = set(args.endpoints) - set(mix)
    if unknown:
        sys.exit(f"Unknown endpoints: {', '.join(sorted(unknown))}. Known: {', '.join(mix)}.")
    settle_long_lived_objects()  # as the served app does (registry/wsgi.py)
    client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT="application/json")
    print(f"{'endpoint':34} {'median ms':>9} {'database':>8} {'python':>7} {'p99 ms':>7}")
    for name, paths in mix.items():
        if (args.endpoints and name not in args.endpoints) or (not args.endpoints and name in SLOW_ENDPOINTS):
            continue
        result = measure(client, paths)
        total, database = result["total"] * 1000, result["database"] * 1000
        print(f"{name:34} {total:9.1f} {database:8.1f} {total - database:7.1f} {result['p99'] * 1000:7.1f}")
        for seconds, path in result["slowest"][: args.slowest]:
            print(f"    {seconds * 1000:7.1f} ms  {path}")
        if name == "autocomplete":
            answered = [len(r.json()["companies"]) + len(r.json()["products"]) for r in result["responses"]]
            print(f"    {statistics.mean(answered):.1f} suggestions a request on average")
        if args.fastest_of:
            fastest = fastest_of(client, paths, args.fastest_of)
            print(
                f"    fastest of {args.fastest_of}, {len(fastest)} different paths: "
                f"{sum(seconds for seconds, _ in fastest) * 1000:.0f} ms in all, slowest first:"
            )
            for seconds, path in fastest:
                print(f"      {seconds * 1000:7.1f} ms  {path}")
        if args.profile:
            shares, calls = profile_split(client, paths)
            print("    profiled: " + ", ".join(f"{part} {share:.0%}" for part, share in shares if share >= 0.005))
            print(f"    {calls:,.0f} Python function calls a request")


if __name__ == "__main__":
    main()
