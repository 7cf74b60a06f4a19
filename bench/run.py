"""The read-path benchmark (issue 5): ``make bench``, or ``python bench/run.py --sizes 10000,100000``.

1. For each size N, it creates a throw-away PostgreSQL database, migrates it, loads the seeds and N demo
   companies (``manage.py generate_demo_data``, whose load rate it reports), and captures the SQL each
   request of a fixed query mix issues (``bench/capture_sql.py``).
2. It serves every size at once, each with its own gunicorn (``registry/gunicorn_conf.py``) on 127.0.0.1 and
   its own keys in the shared cache, and drives the mix from a separate process (``bench/load.py``): first
   one client (latency: p50, p95, p99), then several at once (requests per second). Endpoint by endpoint,
   the sizes take turns, a tenth of the requests at a time (``interleaved_steps``), so that the machine's
   speed drifting meets every size alike and the growth from one size to the next is the data's.
3. For each size, on a server with the shared cache off, a few cold computations of the indicator summary,
   the markets and the lists' facets; then it runs the very SQL each request issued directly with psycopg,
   so that each endpoint shows API time / raw SQL time side by side, and EXPLAINs every statement,
   reporting any sequential scan of a big table.
Then it drops the databases. It writes ``bench/results/latest.json`` and ``latest.md`` (with the plans in
``explain-N.txt``), and with ``--readme`` puts the table into README.md; with ``--add``, the sizes it runs
join those of the last run (``--sizes 1000000 --add`` after the default run: those take turns only with
each other). Bounded: a fixed number of requests per endpoint and a time limit per endpoint, size and phase
(and for capturing an endpoint's SQL: a slow endpoint gets fewer paths and requests, which the output says);
traffic only to 127.0.0.1. An endpoint that answers other than 200 while its SQL is captured is left out of
the run and listed as failed.
"""

import argparse
import json
import os
import platform
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

import psycopg

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
BIG_TABLES = {
    "companies_company",
    "products_product",
    "companies_exportmarket",
    "companies_exportrevenue",
    "products_product_export_markets",
    "products_product_standards",
}
SEARCH_TERMS = [
    "phan mem", "vien thong", "an ninh mang", "ke toan", "hoa don dien tu", "thang long", "tri tue nhan tao",
    "chu ky so", "du lieu", "cang bien", "dinh danh", "viet tien", "ngan hang", "5g", "camera ai", "logistics",
]  # fmt: skip
RANDOM_PAGE_COST = 1.1
# A sequential scan reading this share of a big table's rows or more is reported.
FULL_SCAN_SHARE = 0.1
# The targets of issue 5.
MAX_API_TO_SQL = 2.0
MAX_P99_GROWTH = 1.5
TARGET_GROWTH_SIZES = [10_000, 100_000]
# The lists, searches, detail (compare reads several) and autocomplete; not the aggregates over the whole
# registry (markets, facets, indicators), which read every row.
GROWTH_ENDPOINTS = [
    "company list (filtered)",
    "company list (by market)",
    "company search",
    "company detail",
    "product list (category, market)",
    "product search",
    "autocomplete",
    "company compare",
    "company list as fields",
]
# The rounds in which each endpoint's requests alternate between the sizes (interleaved_steps).
INTERLEAVE_ROUNDS = 10
README_START, README_END = "<!-- bench:start -->", "<!-- bench:end -->"
# An endpoint whose captured requests take this long (median) is slow: warmed up less (prepare_size).
SLOW_SECONDS = 0.5
# The figures that the shared cache keeps, with INDICATORS_CACHE_SECONDS=0 and FACETS_CACHE_SECONDS=0, so that
# each request computes them: the cold figures (the "indicators", "markets" and facets rows of the mix are
# mostly served from the cache). The facets: every facet of each list, unfiltered, its heaviest and most asked
# for. A small sample: each takes seconds at 100,000.
COLD_PATHS = {
    "indicators (cold: cache off)": "/api/v1/indicators/",
    "markets (cold: cache off)": "/api/v1/markets/",
    "company list + facets (cold: cache off)": "/api/v1/companies/?facets=category,province,market,verified,maturity",
    "product list + facets (cold: cache off)": (
        "/api/v1/products/?facets=category,province,market,verified,maturity,certified"
    ),
}
COLD_REQUESTS = 10
# Endpoints of the mix whose paths meet what the shared cache keeps per set of filters: the facet counts
# (FACETS_CACHE_SECONDS), and that the filters match more than the count's limit of 1,000 results, so that the
# page is not counted (CAPPED_COUNT_CACHE_SECONDS): the company and product lists. Their SQL is captured as
# the timed requests, which repeat the paths, mostly meet it.
CACHED_PER_PATH = (
    "company list (filtered)",
    "company list (by market)",
    "company search",
    "product list (category, market)",
    "product search",
    "company list + facets",
    "product list + facets",
    "company list as fields",
)
COLD_SAMPLES = 3
# A benchmark measures the app, not the rate limits, which still run but never refuse (429s would be counted
# as errors). DRF's throttle keeps the time of every request in its window, and reads and writes the whole list
# in the cache for each request: with a window of a minute, at the benchmark's pace, that was 3,600-18,000
# times (0.35-1 ms a request, against 0.17 ms for the 120 of the default anonymous limit); a window of a
# second holds about as many as production's.
UNREFUSED_ANONYMOUS_RATE = "100000000/s"
# The API root, which runs no SQL: what any request costs before its own work (query_mix).
FLOOR_ENDPOINT = "API root (no SQL)"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_reachable(host: str = "127.0.0.1", port: int = 6379) -> bool:
    try:
        socket.create_connection((host, port), timeout=0.5).close()
        return True
    except OSError:
        return False


def database_url(admin_url: str, name: str) -> str:
    return re.sub(r"/[^/]*$", f"/{name}", admin_url)


def manage(env: dict, *args: str) -> str:
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def prepare_database(admin_url: str, name: str, companies: int, env: dict) -> str:
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
        # The planner's default assumes spinning disks; on SSDs (this machine, any cloud database) a random
        # read costs about as much as a sequential one. The README recommends the same for production.
        admin.execute(f'ALTER DATABASE "{name}" SET random_page_cost = {RANDOM_PAGE_COST}')
    log(f"{name}: migrate, seed, generate {companies:,} companies")
    manage(env, "migrate", "--noinput")
    manage(env, "seed")
    report = manage(env, "generate_demo_data", "--companies", str(companies), "--seed", "1").strip().splitlines()
    log(report[-1])
    return report[-1]


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def typed_prefix(rng: random.Random, phrase: str) -> str:
    """What a user has typed so far of ``phrase`` (a name or a search term) in a search box: 1-3 letters of a
    word ("v", "vi", "phan"), a whole word ("viet", "fpt"), or a word and 1-3 letters of the next ("phan m",
    "ha n", "cong ty"); starting at the first word, or at a later one (the distinctive part of a name).
    Digits-only words (the demo short names' numbers) are not typed."""
    words = [word for word in re.split(r"[\s,.()-]+", phrase) if word and not word.isdigit()]
    if not words:
        return phrase[:3] or "v"
    start = 0 if len(words) == 1 or rng.random() < 0.5 else rng.randrange(len(words))
    word, following = words[start], words[start + 1 :]
    shape = rng.random()
    if shape < 0.45:
        return word[: rng.randint(1, 3)]
    if shape < 0.6 or not following:
        return word
    return f"{word} {following[0][: rng.randint(1, 3)]}"


def query_mix(url: str, samples: int) -> dict[str, list[str]]:
    """The endpoints and, for each, ``samples`` paths with realistic, varied parameters from the data."""
    rng = random.Random(1)
    with psycopg.connect(url) as db:
        tax_codes = [
            row[0] for row in db.execute("SELECT tax_code FROM companies_company WHERE status = 'active' ORDER BY id")
        ]
        provinces = [row[0] for row in db.execute("SELECT code FROM companies_province ORDER BY code")]
        categories = [
            row[0]
            for row in db.execute(
                "SELECT c.slug FROM products_category c JOIN products_product p ON p.category_id = c.id"
                " GROUP BY c.slug ORDER BY count(*) DESC LIMIT 12"
            )
        ]
        # Names users type into the autocomplete: the demo companies' legal and short names ("Công ty Cổ phần
        # Phần mềm Ánh Dương", "Ánh Dương 12"), the seeded firms' names in every form ("FPT", "Viettel Group";
        # typed more often than their share of the rows), and products' names (every 97th: a sample, in a
        # fixed order).
        company_names = [
            row for row in db.execute("SELECT name, name_en, short_name FROM companies_company ORDER BY id")
        ]
        product_names = [
            row[0] for row in db.execute("SELECT name FROM products_product WHERE id % 97 = 0 ORDER BY id")
        ]
    seeded_names = [row for row in company_names if not re.search(r"\d$", row[2] or "")] or company_names
    markets = ["JP", "US", "KR", "LA", "KH", "SG", "DE", "TH"]

    def paths(make) -> list[str]:
        return [make() for _ in range(samples)]

    def typed() -> str:
        source = rng.random()
        if source < 0.2:
            phrase = " ".join(rng.choice(SEARCH_TERMS).split())
        elif source < 0.35:
            phrase = rng.choice([name for name in rng.choice(seeded_names) if name])
        elif source < 0.8:  # a demo company's Vietnamese legal or short name
            phrase = rng.choice([name for name in rng.choice(company_names)[::2] if name])
        else:
            phrase = rng.choice(product_names)
        prefix = typed_prefix(rng, phrase)
        return prefix.lower() if rng.random() < 0.7 else prefix  # as typed: mostly lower case, some accents

    def company_facets() -> str:
        params = {"facets": "category,province,market,verified,maturity"}
        draw = rng.random()
        if draw < 0.25:
            params["province"] = rng.choice(provinces)
        elif draw < 0.5:
            params["category"] = rng.choice(categories)
        return f"{api}/companies/?" + urlencode(params)

    api = "/api/v1"
    return {
        "company list (filtered)": paths(
            lambda: f"{api}/companies/?" + urlencode({"province": rng.choice(provinces), "verified": "true"})
        ),
        "company list (by market)": paths(
            lambda: f"{api}/companies/?" + urlencode({"market": rng.choice(markets), "ownership": "joint_stock"})
        ),
        "company search": paths(lambda: f"{api}/companies/?" + urlencode({"search": rng.choice(SEARCH_TERMS)})),
        "company detail": paths(lambda: f"{api}/companies/{rng.choice(tax_codes)}/"),
        "product list (category, market)": paths(
            lambda: f"{api}/products/?" + urlencode({"category": rng.choice(categories), "market": rng.choice(markets)})
        ),
        "product search": paths(lambda: f"{api}/products/?" + urlencode({"search": rng.choice(SEARCH_TERMS)})),
        "markets": [f"{api}/markets/"] * samples,
        "autocomplete": paths(lambda: f"{api}/autocomplete/?" + urlencode({"q": typed()})),
        # Half unfiltered, a quarter by province, a quarter by category.
        "company list + facets": paths(company_facets),
        "product list + facets": paths(
            lambda: (
                f"{api}/products/?"
                + urlencode(
                    {"facets": "category,province,market,maturity,certified", "category": rng.choice(categories)}
                )
            )
        ),
        "company compare": paths(
            lambda: (
                f"{api}/companies/compare/?"
                + urlencode({"tax_codes": ",".join(rng.sample(tax_codes, rng.randint(2, 10)))}, safe=",")
            )
        ),
        # Served from the shared cache (INDICATORS_CACHE_SECONDS); the cold computation is measured apart
        # (COLD_PATHS).
        "indicators": [f"{api}/indicators/"] * samples,
        # No SQL at all: what any request costs before its own work (HTTP, gunicorn, Django's middleware,
        # DRF's authentication, rate limit and rendering), against which the API / SQL of the light endpoints
        # can be read.
        FLOOR_ENDPOINT: [f"{api}/"] * samples,
        "company list as fields": paths(
            lambda: (
                f"{api}/companies/?"
                + urlencode(
                    {"fields": "tax_code,name,province", "page_size": 100, "page": rng.randint(1, 10)}, safe=","
                )
            )
        ),
    }


def capture_sql(
    env: dict, endpoints: dict[str, list[str]], max_seconds: float, cached: tuple[str, ...] = ()
) -> tuple[dict, dict[str, str]]:
    """The captured requests of each endpoint (fewer paths than given for a slow one: ``max_seconds`` each;
    each path of an endpoint in ``cached`` asked once first, ``bench/capture_sql.py``), and the endpoints that
    failed (name: what failed), which are left out of the rest of the run."""
    result = subprocess.run(
        [PYTHON, "bench/capture_sql.py"],
        cwd=ROOT,
        env=env,
        input=json.dumps({"endpoints": endpoints, "max_seconds": max_seconds, "cached": cached}),
        capture_output=True,
        text=True,
    )
    if result.returncode:
        sys.exit(f"capturing the SQL failed:\n{result.stderr[-3000:]}")
    captured, failed = json.loads(result.stdout), {}
    for name, requests in list(captured.items()):
        failures = [request for request in requests if request["status"] != 200]
        if failures:
            failed[name] = f"{failures[0]['path']} answered {failures[0]['status']}"
            log(f"{name}: {failed[name]}; left out of the run")
            del captured[name]
    return captured, failed


def start_server(env: dict, port: int, workers: int) -> subprocess.Popen:
    server_env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers)}
    server = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "-c", "python:registry.gunicorn_conf", "registry.wsgi"],
        cwd=ROOT,
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/provinces/", timeout=5) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    stop_server(server)
    sys.exit("gunicorn did not answer within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


def drive(steps: list[dict]) -> dict:
    """Run ``steps`` in ``bench/load.py`` (its own process); the latencies and errors of each step's key."""
    result = subprocess.run(
        [PYTHON, "bench/load.py"],
        cwd=ROOT,
        input=json.dumps({"steps": steps}),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def interleaved_steps(
    sizes: list[dict], ports: dict[int, int], *, concurrency: int, requests: int, max_seconds: float, warm_up: bool
) -> list[dict]:
    """The load generator's steps for one phase: endpoint by endpoint, ``requests`` for each size, sent in
    ``INTERLEAVE_ROUNDS`` rounds that alternate the sizes (and which goes first), so that a drift in the
    machine's speed (this benchmark measured a request with no SQL at 1.9 times the time of another, minutes
    apart, with nothing else changed) weighs on every size alike instead of on whichever ran in the slow
    minutes. Each round goes on through the paths where the last one stopped; ``max_seconds`` bounds an
    endpoint's phase at each size, split over its rounds. With ``warm_up``, each size's first round of an
    endpoint is preceded by its warm-up requests (not recorded)."""
    steps = []
    endpoints = dict.fromkeys(endpoint for size in sizes for endpoint in size["mix"])
    for endpoint in endpoints:
        present = [size for size in sizes if endpoint in size["mix"]]
        rounds = max(1, min(INTERLEAVE_ROUNDS, requests))
        sent = 0
        for round_index in range(rounds):
            count = requests // rounds + (1 if round_index < requests % rounds else 0)
            for size in present if round_index % 2 == 0 else present[::-1]:
                paths = size["mix"][endpoint]["paths"]
                start = sent % len(paths)
                steps.append(
                    {
                        "key": f"{size['companies']} {endpoint}",
                        "port": ports[size["companies"]],
                        "paths": paths[start:] + paths[:start],
                        "concurrency": concurrency,
                        "requests": count,
                        "warmup": size["mix"][endpoint]["warmup"] if warm_up and round_index == 0 else 0,
                        "max_seconds": max_seconds / rounds,
                        "warmup_max_seconds": max_seconds,
                    }
                )
            sent += count
    return steps


def time_raw_sql(url: str, captured: list[dict], requests: int, max_seconds: float) -> list[float]:
    """Per request, the time to run its statements one after another and fetch every row, as psycopg sees it.
    A warm-up round over the captured requests first (at most half of ``max_seconds``), then at most
    ``requests`` timed ones within ``max_seconds`` (at least one)."""
    timings = []
    with psycopg.connect(url, autocommit=True) as db:
        deadline = time.monotonic() + max_seconds / 2
        for request in captured:  # warm-up round
            if time.monotonic() > deadline:
                break
            for sql in request["queries"]:
                run_statement(db, sql)
        deadline = time.monotonic() + max_seconds
        for index in range(requests):
            if timings and time.monotonic() > deadline:
                break
            statements = captured[index % len(captured)]["queries"]
            started = time.perf_counter()
            for sql in statements:
                run_statement(db, sql)
            timings.append(time.perf_counter() - started)
    return timings


def run_statement(db: psycopg.Connection, sql: str) -> None:
    """Run one captured statement and fetch its rows. The statements include the transaction and ``SET LOCAL
    statement_timeout`` around a time-limited read (registry/search.py). A read cancelled by it here was
    cancelled in the request too, which then rolled back (the next captured statement), or, near its limit,
    finished there in time: then the rest of its transaction is skipped here until its COMMIT."""
    try:
        cursor = db.execute(sql)
    except (psycopg.errors.QueryCanceled, psycopg.errors.InFailedSqlTransaction):
        return
    if cursor.description is not None:
        cursor.fetchall()


def explain(url: str, statements: list[str]) -> tuple[list[str], str]:
    """Sequential scans that read a large part of a big table (``FULL_SCAN_SHARE`` of its rows or more)
    in these statements' plans, and the plans as text. A sequential scan that a LIMIT stops early (the
    first thousand matches of a frequent word, say) reads little and is not reported."""
    seq_scans, text = [], []
    with psycopg.connect(url, autocommit=True) as db:
        table_rows = dict(db.execute("SELECT relname, greatest(reltuples, 1) FROM pg_class WHERE relkind = 'r'"))
        for sql in statements:
            # A union of SELECTs (the category facet's) starts with a parenthesis.
            if not sql.lstrip().upper().startswith(("SELECT", "(SELECT", "WITH")):
                continue
            plan = db.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}").fetchone()[0][0]["Plan"]
            stack = [plan]
            while stack:
                node = stack.pop()
                table = node.get("Relation Name")
                if node["Node Type"] == "Seq Scan" and table in BIG_TABLES:
                    read = (node["Actual Rows"] + node.get("Rows Removed by Filter", 0)) * node["Actual Loops"]
                    if read >= FULL_SCAN_SHARE * table_rows[table]:
                        seq_scans.append(f"{table} ({read:,.0f} rows)")
                stack.extend(node.get("Plans", []))
            lines = [row[0] for row in db.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")]
            text.append(f"{sql}\n\n" + "\n".join(lines) + "\n")
    return seq_scans, "\n".join(text)


def largest_scans(seq_scans: list[str]) -> dict[str, int]:
    """Per table, the largest of its sequential scans (``explain``'s "table (1,234 rows)")."""
    largest: dict[str, int] = {}
    for scan in seq_scans:
        table, rows = scan.split(" (", 1)
        largest[table] = max(largest.get(table, 0), int(rows.split()[0].replace(",", "")))
    return largest


def endpoint_row(url: str, args, requests: list[dict], latency: dict, throughput: dict | None) -> tuple[dict, str]:
    """One endpoint's figures (``throughput`` None: not measured) and its plans as text."""
    raw = time_raw_sql(url, requests, args.requests, args.max_seconds)
    # The plans of the first request and, when another was much slower, of the slowest one (a facet count
    # over every company, say, rather than over one province's).
    explained = [requests[0]]
    slowest = max(requests, key=lambda request: request.get("seconds", 0))
    if slowest["path"] != requests[0]["path"] and slowest.get("seconds", 0) > 2 * requests[0].get("seconds", 0):
        explained.append(slowest)
    seq_scans, plan_text = [], []
    for request in explained:
        scans, text = explain(url, request["queries"])
        seq_scans += scans
        plan_text.append(f"### {request['path']}\n\n{text}")
    api = latency["latencies"]
    queries = statistics.median(len(request["queries"]) for request in requests)
    sql_p50 = percentile(raw, 0.50) if queries else None  # no statement: served from the cache
    errors = Counter(latency["errors"])
    if throughput is not None:
        errors.update(throughput["errors"])
    row = {
        "example": requests[0]["path"],
        "samples": len(requests),
        "capture_p50_ms": statistics.median(request.get("seconds", 0) for request in requests) * 1000,
        "queries": queries,
        "requests": len(api),
        "throughput_requests": len(throughput["latencies"]) if throughput is not None else None,
        "errors": dict(errors),
        "p50_ms": percentile(api, 0.50) * 1000,
        "p95_ms": percentile(api, 0.95) * 1000,
        "p99_ms": percentile(api, 0.99) * 1000,
        "max_ms": max(api, default=float("nan")) * 1000,
        "rps": len(throughput["latencies"]) / throughput["seconds"] if throughput is not None else None,
        "sql_p50_ms": sql_p50 * 1000 if sql_p50 is not None else None,
        "api_to_sql": percentile(api, 0.50) / sql_p50 if sql_p50 else None,
        "seq_scans": [f"{table} ({read:,} rows)" for table, read in sorted(largest_scans(seq_scans).items())],
    }
    return row, "\n".join(plan_text)


def prepare_size(args, companies: int) -> dict:
    """A size's database, loaded, and what the load generator will send it: its paths, whose SQL is captured."""
    name = f"miv_bench_{companies}"
    url = database_url(args.admin_url, name)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "false",
        "SECRET_KEY": "benchmark-only",
        "ALLOWED_HOSTS": "127.0.0.1",
        "THROTTLE_ANON": UNREFUSED_ANONYMOUS_RATE,
        # Each size's servers keep their own entries in the shared cache (what a search learned, counts kept),
        # apart from the other sizes' and from earlier runs'.
        "CACHE_KEY_PREFIX": f"bench-{args.run_id}-{companies}",
    }
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    # The cold indicators, markets and facets: nothing cached, every request computes them (as the first one
    # after a deploy, and one request a minute after that, does).
    cold_env = {**env, "INDICATORS_CACHE_SECONDS": "0", "FACETS_CACHE_SECONDS": "0"}
    load_report = prepare_database(args.admin_url, name, companies, env)
    endpoints = query_mix(url, args.samples)
    log(f"N={companies:,}: capturing the SQL of {len(endpoints)} endpoints")
    captured, failed = capture_sql(env, endpoints, args.max_seconds, CACHED_PER_PATH)
    cold_mix = {endpoint: [path] * COLD_SAMPLES for endpoint, path in COLD_PATHS.items()}
    cold, cold_failed = capture_sql(cold_env, cold_mix, args.max_seconds)
    failed.update(cold_failed)
    # What the load generator sends: the captured paths (fewer for a slow endpoint); a slow endpoint is
    # warmed up with one request per worker rather than two.
    mix = {}
    for endpoint, requests in captured.items():
        slow = statistics.median(request["seconds"] for request in requests) >= SLOW_SECONDS
        mix[endpoint] = {
            "paths": [request["path"] for request in requests],
            "warmup": args.workers if slow else 2 * args.workers,
        }
    return {
        "companies": companies,
        "database": name,
        "url": url,
        "env": env,
        "cold_env": cold_env,
        "load": load_report,
        "captured": captured,
        "cold": cold,
        "failed": failed,
        "mix": mix,
    }


def measure_sizes(args, sizes: list[dict]) -> dict[int, tuple[dict, dict]]:
    """Per size, the latency phase's and the throughput phase's results by endpoint: each size served by its
    own gunicorn, all at once, and the sizes alternated (``interleaved_steps``)."""
    ports, servers = {}, []
    try:
        for size in sizes:
            ports[size["companies"]] = free_port()
            servers.append(start_server(size["env"], ports[size["companies"]], args.workers))
        names = ", ".join(f"{size['companies']:,}" for size in sizes)
        log(f"N={names}: latency, 1 client, {args.requests} requests per endpoint and size")
        latency = drive(
            interleaved_steps(
                sizes, ports, concurrency=1, requests=args.requests, max_seconds=args.max_seconds, warm_up=True
            )
        )
        log(f"N={names}: throughput, {args.concurrency} clients")
        throughput = drive(
            interleaved_steps(
                sizes,
                ports,
                concurrency=args.concurrency,
                requests=args.requests * 2,
                max_seconds=args.max_seconds,
                warm_up=False,  # warm since the latency phase
            )
        )
    finally:
        for server in servers:
            stop_server(server)
    return {
        size["companies"]: (
            {endpoint: latency[f"{size['companies']} {endpoint}"] for endpoint in size["mix"]},
            {endpoint: throughput[f"{size['companies']} {endpoint}"] for endpoint in size["mix"]},
        )
        for size in sizes
    }


def finish_size(args, size: dict, latency: dict, throughput: dict) -> dict:
    """The cold computations, each endpoint's raw SQL and plans, and the size's results."""
    companies, url, cold = size["companies"], size["url"], size["cold"]
    cold_latency = {}
    if cold:
        # One worker, one client: the worker is warm (start_server's probe), the figures never are.
        port = free_port()
        server = start_server(size["cold_env"], port, 1)
        try:
            log(f"N={companies:,}: {', '.join(cold)}, 1 client, {COLD_REQUESTS} requests each")
            cold_latency = drive(
                [
                    {
                        "key": endpoint,
                        "port": port,
                        "paths": [COLD_PATHS[endpoint]],
                        "concurrency": 1,
                        "requests": COLD_REQUESTS,
                        "warmup": 0,
                        "max_seconds": args.max_seconds * 2,
                    }
                    for endpoint in cold
                ]
            )
        finally:
            stop_server(server)
    rows, plans = {}, [f"# EXPLAIN (ANALYZE, BUFFERS) at N = {companies:,}\n"]
    log(f"N={companies:,}: raw SQL and EXPLAIN")
    for endpoint, requests in size["captured"].items():
        rows[endpoint], plan_text = endpoint_row(url, args, requests, latency[endpoint], throughput[endpoint])
        plans.append(f"## {endpoint}\n\n{plan_text}")
    for endpoint, requests in cold.items():
        rows[endpoint], plan_text = endpoint_row(url, args, requests, cold_latency[endpoint], None)
        plans.append(f"## {endpoint}\n\n{plan_text}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"explain-{companies}.txt").write_text("\n".join(plans))
    return {"companies": companies, "load": size["load"], "endpoints": rows, "failed": size["failed"]}


def machine(args) -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    with psycopg.connect(args.admin_url) as db:
        server = db.execute("SHOW server_version").fetchone()[0]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "python": platform.python_version(),
        "postgresql": server,
        "gunicorn_workers": args.workers,
        "cache": "Redis" if args.redis_url else "database table",
    }


def _number(value, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def markdown(report: dict) -> str:
    m = report["machine"]
    lines = [
        f"Run {report['date']} on {m['cpu']}, {m['cores']} cores, {m['memory']}; PostgreSQL {m['postgresql']}, "
        f"Python {m['python']}, gunicorn with {m['gunicorn_workers']} sync workers, cache: {m['cache']}. "
        f"Latency: one client, {report['requests']} requests per endpoint and size; throughput: "
        f"{report['concurrency']} clients; the sizes of a run in turn, a tenth of an endpoint's requests at a time. "
        "Queries: the statements a request issued (median), BEGIN, SET LOCAL and COMMIT around a "
        "time-limited read included. SQL: those statements run directly with psycopg (median per request). "
        f"Seq scans: those reading {FULL_SCAN_SHARE:.0%} of a big table or more (plans in bench/results/explain-N.txt).",
        "",
    ]
    for size in report["sizes"]:
        lines += [
            f"**N = {size['companies']:,} companies** (load: {size['load']})",
            "",
            "| endpoint | queries | p50 ms | p95 ms | p99 ms | req/s | SQL p50 ms | API / SQL | seq scans |",
            "|---|--:|--:|--:|--:|--:|--:|--:|---|",
        ]
        fewer = []
        for endpoint, row in size["endpoints"].items():
            ratio = row["api_to_sql"]
            flag = " ✗" if ratio is not None and ratio > MAX_API_TO_SQL else ""
            errors = f" ({sum(row['errors'].values())} errors)" if row["errors"] else ""
            lines.append(
                f"| {endpoint}{errors} | {row['queries']:g} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} | "
                f"{row['p99_ms']:.1f} | {_number(row['rps'], '.0f')} | {_number(row['sql_p50_ms'], '.2f')} | "
                f"{_number(ratio, '.2f')}{flag} | {', '.join(row['seq_scans']) or 'none'} |"
            )
            if endpoint not in COLD_PATHS and (
                row.get("samples", report["samples"]) < report["samples"] or row["requests"] < report["requests"]
            ):
                fewer.append(
                    f"{endpoint}: {row['requests']} requests with 1 client, "
                    f"{row.get('throughput_requests', '?')} with {report['concurrency']}, "
                    f"{row.get('samples', report['samples'])} different paths"
                    f" ({row.get('capture_p50_ms', float('nan')) / 1000:.2f} s each, unloaded)"
                )
        lines.append("")
        if fewer:
            lines += [
                f"Fewer measurements, where an endpoint is slow (the limits: {report['max_seconds']:g} s per endpoint "
                f"and phase, {report['max_seconds']:g} s to capture its SQL): " + "; ".join(fewer) + ".",
                "",
            ]
        for endpoint, failure in size.get("failed", {}).items():
            lines += [f"**Failed, left out: {endpoint}** ({failure}).", ""]
    sizes = report["sizes"]
    if len(sizes) > 1:
        # Each size against the one before it; the target is for 10,000 to 100,000 (or the first two sizes).
        steps = list(zip(sizes, sizes[1:], strict=False))
        target = next((step for step in steps if [size["companies"] for size in step] == TARGET_GROWTH_SIZES), steps[0])
        small, large = target
        lines += [
            f"**p99 growth** (target: at most {MAX_P99_GROWTH}× from N = {small['companies']:,} to "
            f"N = {large['companies']:,}, for the lists, searches, detail and autocomplete)",
            "",
            "| endpoint | "
            + " | ".join(f"p99 ms, N = {size['companies']:,}" for size in sizes)
            + " | "
            + " | ".join(f"growth to {after['companies']:,}" for _before, after in steps)
            + " |",
            "|---|" + "--:|" * (len(sizes) + len(steps)),
        ]
        for endpoint in sizes[0]["endpoints"]:
            p99 = [size["endpoints"].get(endpoint, {}).get("p99_ms") for size in sizes]
            growths = []
            for step, (before, after) in zip(steps, zip(p99, p99[1:], strict=False), strict=True):
                if before is None or after is None:
                    growths.append("—")
                    continue
                flag = (
                    " ✗" if step is target and endpoint in GROWTH_ENDPOINTS and after / before > MAX_P99_GROWTH else ""
                )
                growths.append(f"{after / before:.2f}×{flag}")
            shown = [_number(value, ".1f") for value in p99]
            lines.append(f"| {endpoint} | {' | '.join(shown)} | {' | '.join(growths)} |")
        lines.append("")
    lines.append(
        "Autocomplete, facets (`?facets=`), compare, field selection (`?fields=`) and the indicators (issue 4) are "
        "in the mix. `indicators` (the summary) and `markets` are served from the shared cache (fresh for "
        "INDICATORS_CACHE_SECONDS, 60 s; then still served while the first request that found them stale has "
        "them computed again in the background), and so are the facet counts of a set of filters "
        "(FACETS_CACHE_SECONDS, 60 s; the page beside them is read each time) and, where the filters match more than 1,000 results, that they do "
        "(CAPPED_COUNT_CACHE_SECONDS, 60 s: the page is then not counted). The lists' paths repeat: a path's "
        "first request counts (the facets: its first ever, then in the background; the capped count: its first "
        "in each window), and their queries and SQL are those of a request that finds the "
        "counts kept. The `(cold: cache off)` rows are the computation (the facets: each list's every facet, "
        "unfiltered), with INDICATORS_CACHE_SECONDS=0 and FACETS_CACHE_SECONDS=0 on one "
        f"worker, {COLD_REQUESTS} requests each: what the first request of each after a deploy costs, and each refresh "
        "in the background (req/s: not measured). "
        f"`{FLOOR_ENDPOINT}` is `/api/v1/`, a list of links: a request with no SQL, through the same server, "
        "middleware, authentication, rate limit and JSON rendering as the others."
    )
    return "\n".join(lines) + "\n"


def update_readme(table: str) -> None:
    readme = ROOT / "README.md"
    text = readme.read_text()
    start, end = text.index(README_START) + len(README_START), text.index(README_END)
    readme.write_text(text[:start] + "\n" + table + text[end:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--sizes", default="10000,100000", help="Comma-separated company counts (default 10000,100000)."
    )
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("BENCH_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="A PostgreSQL database to connect to for creating and dropping the benchmark databases.",
    )
    # A p99 is the 10th slowest of 1,000 requests. Of 300 it was the 3rd slowest, which moved by a quarter
    # between two runs on one machine (company search at 100,000 companies: 60.5, then 75.4 ms, with only an
    # index it does not use added between them), enough to turn a growth of 1.19x into 1.57x.
    parser.add_argument("--requests", type=int, default=1000, help="Requests per endpoint, one client (default 1000).")
    parser.add_argument("--concurrency", type=int, default=4, help="Clients in the throughput phase (default 4).")
    parser.add_argument("--samples", type=int, default=50, help="Different paths per endpoint (default 50).")
    parser.add_argument("--max-seconds", type=float, default=30, help="Time limit per endpoint and phase (default 30).")
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers (default 2 per core + 1)."
    )
    parser.add_argument(
        "--add",
        action="store_true",
        help="Add these sizes to the last run (bench/results/latest.json, replacing a size run again) instead "
        "of starting a new one; its machine and settings must be the same.",
    )
    parser.add_argument("--keep", action="store_true", help="Keep the benchmark databases.")
    parser.add_argument("--readme", action="store_true", help="Put the table into README.md.")
    args = parser.parse_args()
    args.run_id = f"{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}"
    args.redis_url = "redis://127.0.0.1:6379/15" if redis_reachable() else ""
    if not args.redis_url:
        log("no Redis on 127.0.0.1:6379: the rate limits use the database cache table")
    sizes = [int(size) for size in args.sizes.split(",")]
    report = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine(args),
        "requests": args.requests,
        "concurrency": args.concurrency,
        "samples": args.samples,
        "max_seconds": args.max_seconds,
    }
    earlier = []
    if args.add:
        last = json.loads((RESULTS / "latest.json").read_text())
        differ = [name for name, value in report.items() if name != "date" and last.get(name) != value]
        if differ:
            sys.exit(f"--add: the last run differs in {', '.join(differ)}: run every size again instead")
        earlier = [size for size in last["sizes"] if size["companies"] not in sizes]
    prepared = []
    try:
        for companies in sizes:
            prepared.append(prepare_size(args, companies))
        measured = measure_sizes(args, prepared)
        ran = [finish_size(args, size, *measured[size["companies"]]) for size in prepared]
    finally:
        if not args.keep:  # after a failure, too
            for size in prepared:
                drop_database(args.admin_url, size["database"])
    report["sizes"] = sorted([*earlier, *ran], key=lambda size: size["companies"])
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(report)
    (RESULTS / "latest.md").write_text(table)
    if args.readme:
        update_readme(table)
    print(table)


if __name__ == "__main__":
    main()
