"""Peak memory and time of the CSV and XLSX exports (api/exports.py): ``make bench-exports``, or
``python bench/export_memory.py --companies 100000``.

1. Creates a throw-away PostgreSQL database ``miv_bench_exports_N``, migrates it, loads the seeds and N demo
   companies with their products (``bench/run.py``'s helpers: ``manage.py generate_demo_data``).
2. For each export (the companies, and with ``--products`` the products, as CSV and XLSX) and, for
   comparison, the JSON page of 100 rows, starts a fresh Python process that serves the request through Django's test client (the whole stack:
   middleware, negotiation, filters, serializers) with ``DEBUG`` off, after one warm-up request, and reads
   the streamed body to a scratch file, counting its bytes. It does so twice: once timed, measuring the
   growth of the process's peak resident size (``ru_maxrss``), and once under ``tracemalloc`` for the peak
   of the Python heap (slower: its time is not reported). Then it counts the rows of the file it received.
3. Writes ``bench/results/exports.json`` and ``exports.md``, and drops the database (``--keep`` keeps it;
   ``--reuse`` reuses a kept one instead of loading it again).

Bounded: one request per measurement, each process stopped after ``--max-seconds``; traffic only to the local
database. A streamed export's peaks stay close to the JSON page's; run two sizes to see whether they grow
with N.
"""

import argparse
import csv
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path
from types import SimpleNamespace

import psycopg
from run import (
    PYTHON,
    RESULTS,
    ROOT,
    UNREFUSED_ANONYMOUS_RATE,
    database_url,
    drop_database,
    log,
    machine,
    prepare_database,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The demo data has a few products per company: the product exports of a large N can pass the default
# EXPORT_MAX_ROWS, which the benchmark raises so that it measures them whole.
EXPORT_MAX_ROWS = 2_000_000
MEASUREMENTS = {
    # resource: [(name, path, kind)]
    "companies": [
        ("companies, JSON page of 100", "/api/v1/companies/?page_size=100", "json"),
        ("companies, CSV", "/api/v1/companies/?format=csv", "csv"),
        ("companies, XLSX", "/api/v1/companies/?format=xlsx", "xlsx"),
    ],
    "products": [
        ("products, JSON page of 100", "/api/v1/products/?page_size=100", "json"),
        ("products, CSV", "/api/v1/products/?format=csv", "csv"),
        ("products, XLSX", "/api/v1/products/?format=xlsx", "xlsx"),
    ],
}
MIB = 1024 * 1024


# --- the measuring process --------------------------------------------------------------------------------


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def fetch(client, path: str, output: Path) -> dict:
    """GET ``path`` and write the body to ``output`` as it streams in; its status, size and timings."""
    started = time.perf_counter()
    response = client.get(path)
    first_byte = None
    size = 0
    with output.open("wb") as file:
        for chunk in response.streaming_content if response.streaming else [response.content]:
            if first_byte is None:
                first_byte = time.perf_counter() - started
            size += len(chunk)
            file.write(chunk)
    seconds = time.perf_counter() - started
    return {"status": response.status_code, "bytes": size, "seconds": seconds, "first_byte_seconds": first_byte}


def count_rows(path: Path, kind: str) -> int:
    """Data rows of a received body, read back without holding it whole."""
    if kind == "json":
        return len(json.loads(path.read_bytes())["results"])
    if kind == "csv":
        with path.open(encoding="utf-8-sig", newline="") as file:
            return sum(1 for _row in csv.reader(file)) - 1
    rows, tail = 0, b""
    with zipfile.ZipFile(path) as workbook, workbook.open("xl/worksheets/sheet1.xml") as sheet:
        while chunk := sheet.read(1 << 20):
            block = tail + chunk
            rows += block.count(b"<row ")
            tail = block[-4:]
    return rows - 1


def measure(job: dict) -> dict:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")
    import django

    django.setup()
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    with tempfile.TemporaryDirectory(prefix="miv-bench-export-") as scratch:
        output = Path(scratch) / "body"
        # Warm-up: imports, URL resolution, the first connection, the format's first use (an export that
        # matches nothing); not the cost of the request measured.
        list_path = job["path"].split("?")[0]
        warmups = [f"{list_path}?page_size=1"]
        if job["kind"] != "json":
            warmups.append(f"{list_path}?format={job['kind']}&search=zzzzqqqq")
        for path in warmups:
            warmup = fetch(client, path, output)
            assert warmup["status"] == 200, (path, warmup)
        gc.collect()
        rss_before = peak_rss_bytes()
        timed = fetch(client, job["path"], output)
        rss_growth = peak_rss_bytes() - rss_before
        gc.collect()
        tracemalloc.start()
        traced = fetch(client, job["path"], output)
        _current, heap_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rows = count_rows(output, job["kind"]) if traced["status"] == 200 else None
    return {
        **timed,
        "rows": rows,
        "rss_growth_bytes": rss_growth,
        "heap_peak_bytes": heap_peak,
        "traced_bytes": traced["bytes"],
    }


# --- the driver -------------------------------------------------------------------------------------------------


def run_measurement(env: dict, path: str, kind: str, max_seconds: float) -> dict:
    job = json.dumps({"path": path, "kind": kind})
    try:
        result = subprocess.run(
            [PYTHON, __file__, "--measure"],
            cwd=ROOT,
            env=env,
            input=job,
            capture_output=True,
            text=True,
            timeout=max_seconds,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"stopped after {max_seconds:.0f} s"}
    if result.returncode:
        return {"error": result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "failed"}
    return json.loads(result.stdout)


def database_exists(admin_url: str, name: str) -> bool:
    with psycopg.connect(admin_url, autocommit=True) as admin:
        return admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def visible_counts(url: str) -> dict[str, int]:
    """What an anonymous caller's exports should hold: active companies and their products."""
    with psycopg.connect(url) as db:
        companies = db.execute("SELECT count(*) FROM companies_company WHERE status = 'active'").fetchone()[0]
        products = db.execute(
            "SELECT count(*) FROM products_product p JOIN companies_company c ON c.id = p.company_id"
            " WHERE c.status = 'active'"
        ).fetchone()[0]
    return {"companies": companies, "products": products}


def markdown(report: dict) -> str:
    m = report["machine"]
    lines = [
        f"Run {report['date']} on {m['cpu']}, {m['cores']} cores, {m['memory']}; PostgreSQL {m['postgresql']}, "
        f"Python {m['python']}. N = {report['companies']:,} demo companies ({report['load']}); an anonymous "
        f"caller sees {report['visible']['companies']:,} companies and {report['visible']['products']:,} "
        "products. Each row: one request through Django's test client in a fresh process, after a warm-up "
        "request. Time: the whole body read (first byte: when its first chunk arrived). RSS growth: the "
        "process's peak resident size after the request minus before it. Python heap peak: tracemalloc's "
        "peak during a second, identical request.",
        "",
        "| request | rows | size | time s | first byte s | RSS growth MiB | Python heap peak MiB |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for name, row in report["measurements"].items():
        if "error" in row:
            lines.append(f"| {name} | {row['error']} | | | | | |")
            continue
        lines.append(
            f"| {name} | {row['rows']:,} | {row['bytes'] / MIB:.1f} MiB | {row['seconds']:.1f} | "
            f"{row['first_byte_seconds']:.2f} | {row['rss_growth_bytes'] / MIB:.1f} | "
            f"{row['heap_peak_bytes'] / MIB:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--companies", type=int, default=100_000, help="Demo companies to load (default 100000).")
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("BENCH_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="A PostgreSQL database to connect to for creating and dropping the benchmark database.",
    )
    parser.add_argument(
        "--max-seconds", type=float, default=600, help="Time limit of each measuring process (default 600)."
    )
    parser.add_argument(
        "--products",
        action="store_true",
        help="Also export the products (about four per company: slow at 100,000 companies).",
    )
    parser.add_argument("--keep", action="store_true", help="Keep the benchmark database.")
    parser.add_argument("--reuse", action="store_true", help="Reuse a kept benchmark database of this size.")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # the measuring process
    args = parser.parse_args()
    if args.measure:
        json.dump(measure(json.load(sys.stdin)), sys.stdout)
        return

    name = f"miv_bench_exports_{args.companies}"
    url = database_url(args.admin_url, name)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "false",  # with DEBUG on, Django keeps every query's SQL: memory would grow with the rows
        "SECRET_KEY": "benchmark-only",
        "ALLOWED_HOSTS": "127.0.0.1",
        "THROTTLE_ANON": UNREFUSED_ANONYMOUS_RATE,
        "EXPORT_MAX_ROWS": str(EXPORT_MAX_ROWS),
    }
    env.pop("REDIS_URL", None)
    if args.reuse and database_exists(args.admin_url, name):
        log(f"{name}: reusing the kept database")
        load = "reused"
    else:
        load = prepare_database(args.admin_url, name, args.companies, env)
    try:
        measurements = {}
        resources = ["companies", "products"] if args.products else ["companies"]
        for label, path, kind in [measurement for resource in resources for measurement in MEASUREMENTS[resource]]:
            log(f"N={args.companies:,}: {label}")
            measurements[label] = run_measurement(env, path, kind, args.max_seconds)
            log(f"  {measurements[label]}")
        visible = visible_counts(url)
    finally:
        if not args.keep:
            drop_database(args.admin_url, name)
    report = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine(SimpleNamespace(admin_url=args.admin_url, workers=0, redis_url="")),
        "companies": args.companies,
        "load": load,
        "visible": visible,
        "export_max_rows": EXPORT_MAX_ROWS,
        "measurements": measurements,
    }
    for label, row in measurements.items():
        expected = visible["products" if label.startswith("products") else "companies"]
        if "error" not in row and not label.endswith("100") and row["rows"] != expected:
            log(f"{label}: {row['rows']:,} rows, expected {expected:,}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "exports.json").write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(report)
    (RESULTS / "exports.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
