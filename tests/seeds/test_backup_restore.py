"""``manage.py backup`` and ``manage.py restore`` reproduce the registry exactly, on the database the suite
runs on (PostgreSQL: pg_dump and pg_restore into a new database on the same server; SQLite: the online backup
API into a new file): every table's rows (the change log, users, tokens, API keys and the cache table
included), the schema, the sequences (a new row gets a new id, never a deleted row's), and the API's answers.

The commands run as a deployment runs them: ``manage.py`` in a process of its own, with ``DATABASE_URL``
naming the database; the API answers come from a Django process whose ``DATABASE_URL`` names the original or
the restored database."""

import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from products.models import Category
from tests.conftest import valid_tax_codes
from tests.server_processes import create_cache_table, database_url

ROOT = Path(__file__).resolve().parents[2]

# The restore happens in other processes, which read what the test committed.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# A Django process reading the API from the database of its DATABASE_URL; optionally it then writes.
READER = """
import json, sys
import django
django.setup()
from django.test import Client

job = json.load(sys.stdin)
answers = {}
for caller, token in job["callers"].items():
    client = Client(**({"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}))
    for path in job["paths"]:
        response = client.get(path, HTTP_ACCEPT="application/json")
        answers[f"{caller} {path}"] = [response.status_code, response.get("ETag"), response.json()]
written = None
if job.get("write"):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {job['write']['token']}")
    response = client.post(job["write"]["path"], json.dumps(job["write"]["body"]), content_type="application/json")
    written = [response.status_code, response.json()]
print(json.dumps({"answers": answers, "written": written}))
"""


def environment(url: str) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "registry.settings",
        "DATABASE_URL": url,
        "DATABASE_CONN_MAX_AGE": "0",
        "INDICATORS_CACHE_SECONDS": "0",  # computed from the database each time, not served from a cache
        "CHANGE_FEED_SETTLE_SECONDS": "0",
        "THROTTLE_ANON": "100000/min",
        "THROTTLE_USER": "100000/min",
    }
    env.pop("REDIS_URL", None)  # the cache (rate limits) in the database, the one under test
    return env


def manage(url: str, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=environment(url),
        capture_output=True,
        text=True,
        timeout=180,
    )


def read_api(url: str, job: dict) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", READER],
        cwd=ROOT,
        env=environment(url),
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def without_computed_at(value):
    """The indicators say when they were computed, which differs from one computation to the next."""
    if isinstance(value, dict):
        return {key: without_computed_at(item) for key, item in value.items() if key != "computed_at"}
    if isinstance(value, list):
        return [without_computed_at(item) for item in value]
    return value


def database_contents(url: str) -> dict:
    """Every table's rows (sorted), the schema and where each sequence stands, read past Django."""
    if url.startswith("sqlite:"):
        database = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            schema = sorted(database.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall())
            tables = [name for kind, name, _, _ in schema if kind == "table"]
            rows = {table: sorted(map(repr, database.execute(f'SELECT * FROM "{table}"'))) for table in tables}
        finally:
            database.close()
        return {"schema": schema, "rows": rows}  # sqlite_sequence (the AUTOINCREMENT counters) is a table here
    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as database:
        tables = [row[0] for row in database.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        return {
            "rows": {table: sorted(map(repr, database.execute(f'SELECT * FROM "{table}"'))) for table in tables},
            "indexes": sorted(
                database.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
            ),
            "sequences": sorted(
                database.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")
            ),
            "extensions": sorted(database.execute("SELECT extname, extversion FROM pg_extension")),
        }


@pytest.fixture
def new_database(tmp_path):
    """Makes ``DATABASE_URL``s of new, empty databases (``new_database("restored")``): on PostgreSQL on the
    same server (dropped after), on SQLite new files."""
    settings_dict = connection.settings_dict
    server = database_url(settings_dict, "postgres").replace("postgres://", "postgresql://", 1)
    made = []

    def make(suffix: str) -> str:
        if connection.vendor == "sqlite":
            return database_url(settings_dict, str(tmp_path / f"{suffix}.sqlite3"))
        name = f"{settings_dict['NAME']}_{suffix}"
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return database_url(settings_dict, name)

    try:
        yield make
    finally:
        if made:
            with psycopg.connect(server, autocommit=True) as admin:
                for name in made:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def empty_database(new_database):
    """``DATABASE_URL`` of a new, empty database."""
    return new_database("restored")


def fill_registry(make_user, bearer_client) -> dict:
    """The seed data, then writes through the API that leave history: a registration, an edit, products
    added and one deleted (the newest row of its table), a figure verified, an API key issued and used."""
    call_command("seed", verbosity=0, stdout=io.StringIO())
    create_cache_table()
    rep, officer = make_user("rep"), make_user("officer", officer=True)
    as_rep, as_officer = bearer_client(rep), bearer_client(officer)
    tax_code = next(valid_tax_codes("06"))
    category = Category.objects.order_by("path").last().slug

    def ok(response, status):
        assert response.status_code == status, response.content[:500]
        return response

    def post(url_name: str, body: dict) -> dict:
        return ok(as_rep.post(reverse(url_name), body, format="json"), 201).json()

    post("company-list", {"tax_code": tax_code, "name": "Công ty Sao Lưu", "province": "01", "ownership": "private"})
    company_url = reverse("company-detail", kwargs={"tax_code": tax_code})
    edit = {"short_name": "Sao Lưu", "description_vi": "Phần mềm sao lưu dữ liệu."}
    ok(as_rep.patch(company_url, edit, format="json", HTTP_IF_MATCH=as_rep.get(company_url)["ETag"]), 200)
    products = [
        post("product-list", {"company": tax_code, "name": name, "category": category, "maturity": "commercial"})["id"]
        for name in ("Phần mềm Sao Lưu", "Phần mềm Khôi Phục")
    ]
    ok(as_rep.delete(reverse("product-detail", kwargs={"pk": products[1]})), 204)
    figure = {"company": tax_code, "year": 2024, "country": "JP", "amount_usd": "125000.00",
              "source": {"title": "Báo cáo tài chính 2024"}}  # fmt: skip
    revenue = post("export-revenue-list", figure)["id"]
    ok(as_officer.post(reverse("export-revenue-verify", kwargs={"pk": revenue})), 200)
    ok(as_officer.post(reverse("company-verify", kwargs={"tax_code": tax_code})), 200)
    key = post("api-key-list", {"name": "Ứng dụng", "scope": "read"})["key"]
    ok(as_rep.get(reverse("company-list"), HTTP_AUTHORIZATION=f"Api-Key {key}"), 200)  # its last use is recorded
    return {
        "tax_code": tax_code,
        "category": category,
        "deleted_product": products[1],
        "callers": {"anonymous": None, "representative": as_rep.token, "officer": as_officer.token},
        "paths": [
            reverse("company-list") + "?page_size=100",
            company_url,
            reverse("company-detail", kwargs={"tax_code": "0101243150"}),  # MISA, of the seed data
            reverse("product-list") + "?page_size=100",
            reverse("product-detail", kwargs={"pk": products[0]}),
            reverse("product-detail", kwargs={"pk": products[1]}),  # 404 in both
            reverse("export-revenue-list"),
            reverse("change-list") + "?limit=1000",
            reverse("api-key-list"),
            reverse("indicators"),
            reverse("indicators-markets"),
            reverse("market-list"),
        ],
    }


@pytest.fixture
def bearer_client_with_token(bearer_client):
    """``bearer_client`` whose client also says its token (``client.token``), for the other processes."""
    from rest_framework.authtoken.models import Token

    def make(user):
        client = bearer_client(user)
        client.token = Token.objects.get(user=user).key
        return client

    return make


def test_backup_and_restore_reproduce_the_registry(tmp_path, make_user, bearer_client_with_token, empty_database):
    registry = fill_registry(make_user, bearer_client_with_token)
    original = database_url(connection.settings_dict)
    backup_file = tmp_path / "registry.backup"

    backed_up = manage(original, "backup", "--output", str(backup_file))
    assert backed_up.returncode == 0, backed_up.stderr
    assert backup_file.is_file() and "Backed up" in backed_up.stdout
    restored = manage(empty_database, "restore", str(backup_file))
    assert restored.returncode == 0, restored.stderr
    assert "Restored" in restored.stdout

    # The same rows in every table (and schema, sequences), read before any request could add a row.
    contents = database_contents(original)
    assert "registry_cache" in contents["rows"]
    assert all(contents["rows"][table] for table in ["companies_changeevent", "accounts_apikey", "authtoken_token"])
    assert database_contents(empty_database) == contents

    # The same answers, ETags included, from the restored database; and a new row gets a new id.
    job = {"callers": registry["callers"], "paths": registry["paths"]}
    answers_before = read_api(original, job)["answers"]
    new_product = {
        "company": registry["tax_code"],
        "name": "Mới",
        "category": registry["category"],
        "maturity": "pilot",
    }
    write = {"token": registry["callers"]["representative"], "path": reverse("product-list"), "body": new_product}
    after = read_api(empty_database, {**job, "write": write})
    assert without_computed_at(after["answers"]) == without_computed_at(answers_before)
    assert answers_before[f"officer {registry['paths'][1]}"][1]  # the company's ETag was compared
    assert answers_before[f"officer {reverse('change-list')}?limit=1000"][2]["results"]  # and the history
    status, product = after["written"]
    assert status == 201, product
    assert product["id"] > registry["deleted_product"]

    # A restore into a database that has tables is refused; --force replaces what it holds by the backup.
    refused = manage(empty_database, "restore", str(backup_file))
    assert refused.returncode != 0
    assert "not empty" in refused.stderr
    forced = manage(empty_database, "restore", "--force", str(backup_file))
    assert forced.returncode == 0, forced.stderr
    assert database_contents(empty_database) == contents


def test_a_backup_of_another_engine_or_no_backup_is_refused(tmp_path, empty_database):
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("not a backup")
    other_engine = tmp_path / "other.backup"
    other_engine.write_bytes(b"SQLite format 3\x00" if connection.vendor == "postgresql" else b"PGDMP\x01\x0e")

    for path, message in [(not_a_backup, "is not a backup"), (other_engine, "is a backup of a")]:
        result = manage(empty_database, "restore", str(path))
        assert result.returncode != 0
        assert message in result.stderr
    assert not any(database_contents(empty_database)["rows"].values())


def test_a_forced_restore_leaves_exactly_the_backup(tmp_path, new_database):
    """A backup of an older schema (here without authtoken's migrations) restored with --force over a database
    at the newest: the tables of the newer migrations go with the rest, so that ``migrate`` applies them again
    (they survived ``pg_restore --clean``, which drops only what the backup holds, and made ``migrate`` fail)."""
    older, newer = new_database("older"), new_database("newer")
    for url, arguments in [(older, ["migrate"]), (older, ["migrate", "authtoken", "zero"]), (newer, ["migrate"])]:
        migrated = manage(url, *arguments, "--noinput")
        assert migrated.returncode == 0, migrated.stderr
    backup_file = tmp_path / "older.backup"
    assert manage(older, "backup", "--output", str(backup_file)).returncode == 0
    older_contents = database_contents(older)
    assert "authtoken_token" not in older_contents["rows"]
    assert "authtoken_token" in database_contents(newer)["rows"]

    forced = manage(newer, "restore", "--force", str(backup_file))
    assert forced.returncode == 0, forced.stderr
    assert database_contents(newer) == older_contents  # exactly the backup's tables (and pg_trgm), nothing else

    migrated = manage(newer, "migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr
    assert "authtoken_token" in database_contents(newer)["rows"]


def test_a_backup_does_not_overwrite_a_file_unless_forced(tmp_path):
    existing = tmp_path / "registry.backup"
    existing.write_text("an earlier backup")
    with pytest.raises(CommandError, match="exists"):
        call_command("backup", "--output", str(existing), stdout=io.StringIO())
    assert existing.read_text() == "an earlier backup"

    call_command("backup", "--output", str(existing), "--force", stdout=io.StringIO())
    assert existing.read_bytes().startswith(b"PGDMP" if connection.vendor == "postgresql" else b"SQLite format 3")


@pytest.mark.parametrize("command", [["backup"], ["restore", "registry.backup"]])
def test_an_unknown_database_alias_is_a_command_error(command):
    with pytest.raises(CommandError, match="There is no database 'elsewhere'"):
        call_command(*command, "--database", "elsewhere", stdout=io.StringIO())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL: the schema is replaced in one transaction")
def test_a_forced_restore_that_fails_changes_nothing(tmp_path, new_database):
    target = new_database("target")
    assert manage(target, "migrate", "--noinput").returncode == 0
    backup_file = tmp_path / "registry.backup"
    assert manage(target, "backup", "--output", str(backup_file)).returncode == 0
    before = database_contents(target)
    truncated = tmp_path / "truncated.backup"
    truncated.write_bytes(backup_file.read_bytes()[: backup_file.stat().st_size // 2])

    failed = manage(target, "restore", "--force", str(truncated))
    assert failed.returncode != 0
    assert "nothing was changed" in failed.stderr
    assert database_contents(target) == before
