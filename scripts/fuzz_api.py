"""Fuzz the live API from its own OpenAPI schema with Schemathesis: ``make fuzz`` (issue 6).

1. A throw-away database: SQLite in a temporary folder, or the PostgreSQL database of ``DATABASE_URL`` (created
   if it does not exist yet, and then dropped afterwards; an existing one must be empty); migrated, with the
   seed data. Any other ``DATABASE_URL`` (the developer's own SQLite file) is ignored, never written to.
2. Callers: a read-only API key, and an enterprise representative of one seeded company with a bearer token.
3. gunicorn (``registry/gunicorn_conf.py``, started by ``registry/gunicorn_process.py``) on a free port of
   127.0.0.1, with rate limits high enough that the fuzzer is never throttled. This script, the server and
   Schemathesis run without the deployment's configuration of the shell (REDIS_URL, DATABASE_REPLICA_URLS,
   REGISTRY_ENV, CORS and SECURE_* settings...): the development defaults, whatever the shell says.
4. ``st run`` three times against ``/api/v1/schema/``: the read operations anonymously, the read operations
   with the API key, and the write operations as the representative (signing in at /api/v1/auth/token/); every
   check, every phase, a fixed seed and number of cases per operation (repeatable), all within a wall-clock
   budget. scripts/fuzz_hooks.py makes the cases Schemathesis calls valid follow the rules a schema cannot
   state (references to existing records, one parameter bounding another).
Exits non-zero if any run fails; the server is stopped and the database dropped whatever happens.
"""

import argparse
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry.gunicorn_process import (  # noqa: E402 (the project root is on the path now)
    ServerDidNotStart,
    clean_environment,
    free_port,
    start_gunicorn,
    stop_gunicorn,
)

PYTHON = sys.executable
SCHEMATHESIS = str(Path(PYTHON).parent / "st")
READ_METHODS = ["GET"]
WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"]
# Far above what the fuzzer sends, so that no run is throttled into 429s (the limits themselves are tested by
# tests/api/test_throttling.py).
UNTHROTTLED = "1000000/min"
# The budget: 50 cases per operation and phase take about 3 minutes on 2 cores (181 s in a CI run); CI allows 8.
MAX_EXAMPLES = 50
BUDGET_SECONDS = 480


STARTED = time.monotonic()


def log(message: str) -> None:
    # Seconds since the start: the wall clock's time zone changes under the script once Django is set up.
    print(f"[fuzz {time.monotonic() - STARTED:5.0f} s] {message}", file=sys.stderr, flush=True)


def fuzz_database_url(given: str, workdir: Path) -> str:
    """The database the fuzz writes to: ``given`` if it is PostgreSQL (``ThrowAwayPostgres`` makes sure it is
    new or empty), otherwise a new SQLite file in ``workdir``: never the developer's own database."""
    if given.startswith(("postgres://", "postgresql://")):
        return given
    if given:
        log(f"DATABASE_URL {given} is not PostgreSQL: ignored, the fuzz writes go to a throw-away SQLite file")
    return f"sqlite:///{workdir / 'registry.sqlite3'}"


class ThrowAwayPostgres:
    """The PostgreSQL database of ``url``: created if it does not exist, and then dropped at the end. An existing
    one must be empty (no tables); it is used and kept."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.name = parts.path.lstrip("/")
        self.admin_url = urlunsplit(parts._replace(path="/postgres"))
        self.created = False

    def __enter__(self):
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.name]).fetchone()
            if not exists:
                admin.execute(f'CREATE DATABASE "{self.name}"')
                self.created = True
        if not self.created:
            with psycopg.connect(urlunsplit(urlsplit(self.admin_url)._replace(path=f"/{self.name}"))) as database:
                tables = database.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0]
            if tables:
                raise SystemExit(f"{self.name} has {tables} tables: the fuzz runs write to it; give a fresh database.")
        log(f"PostgreSQL database {self.name}: {'created' if self.created else 'exists, kept afterwards'}")
        return self

    def __exit__(self, *exc_info):
        if not self.created:
            return
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        log(f"PostgreSQL database {self.name} dropped")


# Verified yearly totals of the represented company, so that the revenue indicators have years to choose from
# (the seed data has no figures). Throw-away values of the fuzz database only.
FIXTURE_REVENUE_USD = {2021: "1200000.00", 2022: "1500000.00", 2023: "1900000.00", 2024: "2600000.00"}


def prepare_database(workdir: Path) -> dict:
    """Migrate, seed, and make the callers; returns their credentials and writes the reference data the
    hooks (scripts/fuzz_hooks.py) draw from. Runs in this process, with the environment already pointing at
    the throw-away database."""
    import secrets
    from decimal import Decimal

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connections

    from accounts.models import ApiKeyScope
    from accounts.services import api_key_issue
    from companies.models import Company, CompanyStatus, Source
    from companies.services import export_revenue_create
    from products.models import Category, Standard

    call_command("migrate", "--noinput", verbosity=0)
    call_command("seed", stdout=io.StringIO())
    users = get_user_model().objects
    active = Company.objects.filter(status=CompanyStatus.ACTIVE).order_by("tax_code")
    company = active.first()
    if company is None:
        sys.exit("The seed data has no active company to represent.")
    password = secrets.token_urlsafe(16)
    representative = users.create_user(username="fuzz-representative", password=password)
    company.representatives.add(representative)
    source = Source.objects.order_by("pk").first()
    for year, amount in FIXTURE_REVENUE_USD.items():
        export_revenue_create(company=company, year=year, amount_usd=Decimal(amount), source=source, verified=True)
    app_owner = users.create_user(username="fuzz-app")
    _, api_key = api_key_issue(owner=app_owner, name="fuzz", scope=ApiKeyScope.READ)
    data = {
        "representative": {"username": representative.username, "tax_code": company.tax_code},
        "companies": list(active.values_list("tax_code", flat=True)),
        "categories": list(Category.objects.order_by("slug").values_list("slug", flat=True)),
        "standards": list(Standard.objects.order_by("code").values_list("code", flat=True)),
        "revenue_years": sorted(FIXTURE_REVENUE_USD),
    }
    (workdir / "fuzz-data.json").write_text(json.dumps(data, indent=1))
    connections.close_all()
    log(f"representative of {company.tax_code} ({company.name}); a read API key")
    return {"api_key": api_key, "username": representative.username, "password": password}


def write_config(path: Path, credentials: dict) -> None:
    """schemathesis.toml of the representative's run: it signs in as the API's clients do (POST
    /api/v1/auth/token/), which also tells Schemathesis that this operation hands out credentials."""
    path.write_text(
        "[auth.dynamic.openapi.BearerToken]\n"
        'path = "/api/v1/auth/token/"\n'
        f"payload = {{ username = {json.dumps(credentials['username'])}, "
        f"password = {json.dumps(credentials['password'])} }}\n"
        'extract_selector = "/token"\n'
    )


def schemathesis_run(
    name: str,
    schema_url: str,
    methods: list[str],
    headers: list[str],
    config: Path | None,
    env: dict,
    args,
    *,
    deadline: float,
) -> bool:
    command = [
        SCHEMATHESIS,
        *(["--config-file", str(config)] if config else []),
        "run",
        schema_url,
        "--checks",
        "all",
        "--max-examples",
        str(args.max_examples),
        "--seed",
        str(args.seed),
        "--workers",
        str(args.workers),
        "--request-timeout",
        "30",
        # "--checks all" includes Schemathesis' limit on a response's time, 10 s unless set. The fuzz checks
        # what the API answers; its speed is the benchmark's (bench/). One PUT answered its 404 after 10.4 s
        # in one CI run of two on a slow 2-core machine (SQLite, two fuzz workers, three server workers), and
        # failed the whole fuzz: the limit is the request timeout's instead.
        "--max-response-time",
        "30",
        "--no-color",
        "--generation-database",
        "none",
        *args.st_args,
        *(option for method in methods for option in ("--include-method", method)),
        *(option for header in headers for option in ("--header", header)),
    ]
    if args.phases:
        command += ["--phases", args.phases]
    if args.report_dir:
        command += ["--report", "junit", "--report-junit-path", str(Path(args.report_dir) / f"{name}.xml")]
    started = time.monotonic()
    timeout = max(1, int(deadline - started))
    log(f"st run: {name} ({', '.join(methods)}), at most {timeout} s")
    try:
        result = subprocess.run(command, cwd=env["REGISTRY_VAR_DIR"], env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        log(f"{name}: FAILED, still running when the budget ran out (--budget {args.budget} s)")
        return False
    log(f"{name}: {'passed' if result.returncode == 0 else 'FAILED'} in {time.monotonic() - started:.0f} s")
    return result.returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--max-examples", type=int, default=MAX_EXAMPLES, help=f"Test cases per operation and phase ({MAX_EXAMPLES})."
    )
    parser.add_argument("--seed", type=int, default=1, help="Schemathesis' random seed, for repeatable runs (1).")
    parser.add_argument("--workers", type=int, default=2, help="Concurrent Schemathesis workers per run (2).")
    parser.add_argument("--server-workers", type=int, default=3, help="gunicorn workers (3).")
    parser.add_argument(
        "--budget",
        type=int,
        default=BUDGET_SECONDS,
        help=f"Wall-clock limit of the whole fuzz, set-up included, in seconds ({BUDGET_SECONDS}): a run still going "
        "then is stopped and counts as failed.",
    )
    parser.add_argument("--phases", default="", help="Schemathesis phases (default: all of them).")
    parser.add_argument(
        "--only", default="", help="Comma-separated runs to do: anonymous, api-key, representative (all)."
    )
    parser.add_argument("--report-dir", default="", help="Write a JUnit report of each run into this folder.")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary folder (server log, database).")
    parser.add_argument("st_args", nargs="*", help="After --: more options for every st run.")
    args = parser.parse_args()
    if args.report_dir:  # st runs in the temporary folder: a relative path is the caller's
        args.report_dir = str(Path(args.report_dir).resolve())
        Path(args.report_dir).mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    workdir = Path(tempfile.mkdtemp(prefix="miv-fuzz-"))
    database_url = fuzz_database_url(os.environ.get("DATABASE_URL", ""), workdir)
    env = clean_environment(
        DATABASE_URL=database_url,
        REGISTRY_VAR_DIR=str(workdir),
        DEBUG="false",
        WEB_CONCURRENCY=str(args.server_workers),
        **{f"THROTTLE_{scope}": UNTHROTTLED for scope in ("ANON", "USER", "API_KEY", "TOKEN")},
    )
    os.environ.clear()  # this process sets Django up too (prepare_database): the same settings as the server
    os.environ.update(env)
    # SIGTERM (a CI runner's cancel) unwinds like Ctrl-C, so that the server is stopped and the database dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    database = ThrowAwayPostgres(database_url) if database_url.startswith("postgres") else None
    server = None
    failed = []
    try:
        if database:
            database.__enter__()
        log(f"database {database_url}: migrate, seed")
        credentials = prepare_database(workdir)
        representative_config = workdir / "schemathesis-representative.toml"
        write_config(representative_config, credentials)
        port = free_port()
        try:
            server = start_gunicorn(
                env, port=port, log_path=workdir / "gunicorn.log", ready_path="/api/v1/schema/?format=json"
            )
        except ServerDidNotStart as error:
            raise SystemExit(str(error)) from error
        schema_url = f"http://127.0.0.1:{port}/api/v1/schema/?format=json"
        log(f"gunicorn ({args.server_workers} workers) on 127.0.0.1:{port}")
        st_env = {
            **env,
            "SCHEMATHESIS_HOOKS": str(ROOT / "scripts" / "fuzz_hooks.py"),
            "FUZZ_DATA": str(workdir / "fuzz-data.json"),
        }
        runs = {
            "anonymous": (READ_METHODS, [], None),
            "api-key": (READ_METHODS, [f"Authorization: Api-Key {credentials['api_key']}"], None),
            "representative": (WRITE_METHODS, [], representative_config),
        }
        chosen = [name for name in args.only.split(",") if name] or list(runs)
        for name in chosen:
            methods, headers, config = runs[name]
            if not schemathesis_run(
                name, schema_url, methods, headers, config, st_env, args, deadline=started + args.budget
            ):
                failed.append(name)
    finally:
        if server is not None:
            stop_gunicorn(server)
            if failed:
                lines = (workdir / "gunicorn.log").read_text(errors="replace").splitlines()
                errors = [line for line in lines if " ERROR " in line or line.startswith("Traceback")]
                if errors:
                    log(
                        "the server logged errors (the last 20; --keep keeps the whole log):\n"
                        + "\n".join(errors[-20:])
                    )
        if database:
            database.__exit__(None, None, None)
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    log(f"{'FAILED: ' + ', '.join(failed) if failed else 'all runs passed'} ({time.monotonic() - started:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
