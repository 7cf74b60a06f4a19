"""The read-path benchmark (issue 5): ``make bench``, or ``python bench/run.py --sizes 10000,100000``.

For each size N it:
1. creates a throw-away PostgreSQL database, migrates it, loads the seeds and N demo companies
   (``manage.py generate_demo_data``, whose load rate it reports);
2. serves the app with gunicorn (``registry/gunicorn_conf.py``) on 127.0.0.1;
3. drives a fixed query mix from a separate process (``bench/load.py``): first one client (latency:
   p50, p95, p99), then several at once (requests per second);
4. runs the very SQL each request issued (captured by ``bench/capture_sql.py``) directly with psycopg,
   so that each endpoint shows API time / raw SQL time side by side;
5. EXPLAINs every statement and reports any sequential scan of a big table;
then drops the database. It writes ``bench/results/latest.json`` and ``latest.md`` (with the plans in
``explain-N.txt``), and with ``--readme`` puts the table into README.md. Bounded: a fixed number of requests
per endpoint and a time limit per phase; traffic only to 127.0.0.1.
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
GROWTH_ENDPOINTS = ["company list (filtered)", "company search", "company detail", "autocomplete"]
README_START, README_END = "<!-- bench:start -->", "<!-- bench:end -->"


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
    markets = ["JP", "US", "KR", "LA", "KH", "SG", "DE", "TH"]

    def paths(make) -> list[str]:
        return [make() for _ in range(samples)]

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
    }


def capture_sql(env: dict, endpoints: dict[str, list[str]]) -> dict:
    result = subprocess.run(
        [PYTHON, "bench/capture_sql.py"], cwd=ROOT, env=env, input=json.dumps(endpoints), capture_output=True, text=True
    )
    if result.returncode:
        sys.exit(f"capturing the SQL failed:\n{result.stderr[-3000:]}")
    captured = json.loads(result.stdout)
    for name, requests in captured.items():
        failed = [request for request in requests if request["status"] != 200]
        if failed:
            sys.exit(f"{name}: {failed[0]['path']} answered {failed[0]['status']}")
    return captured


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


def drive(port: int, endpoints: dict, *, concurrency: int, requests: int, max_seconds: float, warmup: int) -> dict:
    job = {
        "port": port,
        "warmup": warmup,
        "concurrency": concurrency,
        "requests": requests,
        "max_seconds": max_seconds,
        "endpoints": endpoints,
    }
    result = subprocess.run(
        [PYTHON, "bench/load.py"], cwd=ROOT, input=json.dumps(job), capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def time_raw_sql(url: str, captured: list[dict], requests: int, max_seconds: float) -> list[float]:
    """Per request, the time to run its statements one after another and fetch every row, as psycopg sees it."""
    timings = []
    deadline = time.monotonic() + max_seconds
    with psycopg.connect(url, autocommit=True) as db:
        for request in captured:  # warm-up round
            for sql in request["queries"]:
                db.execute(sql).fetchall()
        for index in range(requests):
            if time.monotonic() > deadline:
                break
            statements = captured[index % len(captured)]["queries"]
            started = time.perf_counter()
            for sql in statements:
                cursor = db.execute(sql)
                if cursor.description is not None:
                    cursor.fetchall()
            timings.append(time.perf_counter() - started)
    return timings


def explain(url: str, statements: list[str]) -> tuple[list[str], str]:
    """Sequential scans that read a large part of a big table (``FULL_SCAN_SHARE`` of its rows or more)
    in these statements' plans, and the plans as text. A sequential scan that a LIMIT stops early (the
    first thousand matches of a frequent word, say) reads little and is not reported."""
    seq_scans, text = [], []
    with psycopg.connect(url, autocommit=True) as db:
        table_rows = dict(db.execute("SELECT relname, greatest(reltuples, 1) FROM pg_class WHERE relkind = 'r'"))
        for sql in statements:
            if not sql.lstrip().upper().startswith("SELECT"):
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


def bench_size(args, companies: int) -> dict:
    name = f"miv_bench_{companies}"
    url = database_url(args.admin_url, name)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "false",
        "SECRET_KEY": "benchmark-only",
        "ALLOWED_HOSTS": "127.0.0.1",
        # A benchmark measures the app, not the rate limits (which still run: 429s would be counted as errors).
        "THROTTLE_ANON": "100000000/min",
    }
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    load_report = prepare_database(args.admin_url, name, companies, env)
    endpoints = query_mix(url, args.samples)
    captured = capture_sql(env, endpoints)
    port = free_port()
    server = start_server(env, port, args.workers)
    try:
        log(f"N={companies:,}: latency, 1 client, {args.requests} requests per endpoint")
        latency = drive(
            port,
            endpoints,
            concurrency=1,
            requests=args.requests,
            max_seconds=args.max_seconds,
            warmup=2 * args.workers,
        )
        log(f"N={companies:,}: throughput, {args.concurrency} clients")
        throughput = drive(
            port,
            endpoints,
            concurrency=args.concurrency,
            requests=args.requests * 2,
            max_seconds=args.max_seconds,
            warmup=0,
        )
    finally:
        stop_server(server)
    rows, plans = {}, [f"# EXPLAIN (ANALYZE, BUFFERS) at N = {companies:,}\n"]
    for endpoint, requests in captured.items():
        raw = time_raw_sql(url, requests, args.requests, args.max_seconds)
        seq_scans, plan_text = explain(url, requests[0]["queries"])
        plans.append(f"## {endpoint}: {requests[0]['path']}\n\n{plan_text}")
        api = latency[endpoint]["latencies"]
        rows[endpoint] = {
            "example": requests[0]["path"],
            "queries": statistics.median(len(request["queries"]) for request in requests),
            "requests": len(api),
            "errors": latency[endpoint]["errors"] | throughput[endpoint]["errors"],
            "p50_ms": percentile(api, 0.50) * 1000,
            "p95_ms": percentile(api, 0.95) * 1000,
            "p99_ms": percentile(api, 0.99) * 1000,
            "rps": len(throughput[endpoint]["latencies"]) / throughput[endpoint]["seconds"],
            "sql_p50_ms": percentile(raw, 0.50) * 1000,
            "api_to_sql": percentile(api, 0.50) / percentile(raw, 0.50),
            "seq_scans": sorted(set(seq_scans)),
        }
    if not args.keep:
        drop_database(args.admin_url, name)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"explain-{companies}.txt").write_text("\n".join(plans))
    return {"companies": companies, "load": load_report, "endpoints": rows}


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


def markdown(report: dict) -> str:
    m = report["machine"]
    lines = [
        f"Run {report['date']} on {m['cpu']}, {m['cores']} cores, {m['memory']}; PostgreSQL {m['postgresql']}, "
        f"Python {m['python']}, gunicorn with {m['gunicorn_workers']} sync workers, cache: {m['cache']}. "
        f"Latency: one client, {report['requests']} requests per endpoint; throughput: {report['concurrency']} "
        "clients. SQL: the same statements the request issued, run directly with psycopg (median per request). "
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
        for endpoint, row in size["endpoints"].items():
            flag = "" if row["api_to_sql"] <= MAX_API_TO_SQL else " ✗"
            errors = f" ({sum(row['errors'].values())} errors)" if row["errors"] else ""
            lines.append(
                f"| {endpoint}{errors} | {row['queries']:g} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} | "
                f"{row['p99_ms']:.1f} | {row['rps']:.0f} | {row['sql_p50_ms']:.2f} | {row['api_to_sql']:.2f}{flag} | "
                f"{', '.join(row['seq_scans']) or 'none'} |"
            )
        lines.append("")
    if len(report["sizes"]) > 1:
        small, large = report["sizes"][0], report["sizes"][-1]
        lines += [
            f"**p99 growth from N = {small['companies']:,} to N = {large['companies']:,}** "
            f"(target: at most {MAX_P99_GROWTH}×)",
            "",
            "| endpoint | p99 ms, small | p99 ms, large | growth |",
            "|---|--:|--:|--:|",
        ]
        for endpoint in small["endpoints"]:
            before, after = small["endpoints"][endpoint]["p99_ms"], large["endpoints"][endpoint]["p99_ms"]
            flag = " ✗" if endpoint in GROWTH_ENDPOINTS and after / before > MAX_P99_GROWTH else ""
            lines.append(f"| {endpoint} | {before:.1f} | {after:.1f} | {after / before:.2f}×{flag} |")
        lines.append("")
    lines.append("Autocomplete, facets and indicators are not built yet (issue 4); they join the mix when they are.")
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
    parser.add_argument("--requests", type=int, default=300, help="Requests per endpoint, one client (default 300).")
    parser.add_argument("--concurrency", type=int, default=4, help="Clients in the throughput phase (default 4).")
    parser.add_argument("--samples", type=int, default=50, help="Different paths per endpoint (default 50).")
    parser.add_argument("--max-seconds", type=float, default=30, help="Time limit per endpoint and phase (default 30).")
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers (default 2 per core + 1)."
    )
    parser.add_argument("--keep", action="store_true", help="Keep the benchmark databases.")
    parser.add_argument("--readme", action="store_true", help="Put the table into README.md.")
    args = parser.parse_args()
    args.redis_url = "redis://127.0.0.1:6379/15" if redis_reachable() else ""
    if not args.redis_url:
        log("no Redis on 127.0.0.1:6379: the rate limits use the database cache table")
    sizes = [int(size) for size in args.sizes.split(",")]
    report = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine(args),
        "requests": args.requests,
        "concurrency": args.concurrency,
        "sizes": [bench_size(args, companies) for companies in sizes],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(report)
    (RESULTS / "latest.md").write_text(table)
    if args.readme:
        update_readme(table)
    print(table)


if __name__ == "__main__":
    main()
