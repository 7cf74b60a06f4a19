"""Nothing lost, on PostgreSQL: several writer processes (tests/api/concurrent_writer.py), released together,
edit one company, its products and its revenue figures through gunicorn with several worker processes
(registry/gunicorn_conf.py), each request on its own connection, as production serves them. Each writer reads
a record for its ETag and PATCHes it with If-Match (retrying a refused edit after reading again), creates and
deletes products of the company and adds revenue figures to it, all citing one new source.

A write either is applied (2xx) or is refused: 412 because its If-Match was stale, or 409 for a clash with a
record another writer made first; never a 5xx or any other answer. The applied writes
form one chain per record: each moved the record's version (its ETag) by one from the version it read, and
the company's version moved once per applied write to it or to its parts. The audit log has exactly one event
per applied write, in the chain's order, each with the old values the previous write left and the new values
its request sent; replaying the applied writes in that order gives the final state the API answers. Refused
writes leave no trace. Races are not deterministic, so the test asserts these invariants, and that some writes
were refused (the writers did race), not how many.
"""

import multiprocessing
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.authtoken.models import Token

from companies.models import ChangeEvent, Ownership, Province, Source
from companies.services import company_create, export_revenue_create
from products.models import Maturity
from products.services import product_create
from registry.gunicorn_process import ServerDidNotStart, clean_environment, free_port, start_gunicorn, stop_gunicorn
from tests.api.concurrent_writer import run_writer
from tests.conftest import valid_tax_codes
from tests.server_processes import create_cache_table, database_url

WRITERS = 6
OPERATIONS = 24  # per writer; with the reads and the retries of refused edits, about 500 requests in all
SERVER_WORKERS = 4
APPLIED = {200, 201, 204}
REFUSED = {409, 412}
COMPANY_FIELDS = ["name", "name_en", "short_name", "address", "description_vi", "description_en", "size_band",
                  "founded_year"]  # fmt: skip
PRODUCT_FIELDS = ["name", "description_vi", "description_en", "maturity", "launch_year"]
SOURCE_TITLE = "Báo cáo xuất khẩu chung của các bên ghi đồng thời"

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="Needs PostgreSQL: gunicorn's worker processes and the writers share a real server database. "
        "CI's second pass (.ci/run, DATABASE_URL=postgres://...) runs it; tests/api/test_concurrency.py covers "
        "concurrent writes on SQLite.",
    ),
    # The server processes read what the test wrote, so it is committed; the migrations' data is put back after.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def server(transactional_db, tmp_path):
    """gunicorn serving the test database; torn down before the database is emptied. Yields (port, log)."""
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    environment = clean_environment(  # rate-limit counters in the test database, not in a Redis others share
        DATABASE_URL=database_url(connection.settings_dict),
        DATABASE_CONN_MAX_AGE="0",  # nothing left connected when the test database is dropped
        WEB_CONCURRENCY=str(SERVER_WORKERS),
        THROTTLE_USER="1000000/min",
        THROTTLE_ANON="1000000/min",
    )
    create_cache_table()
    try:
        process = start_gunicorn(environment, port=port, log_path=log_path, ready_path="/api/v1/provinces/")
    except ServerDidNotStart as error:
        pytest.fail(str(error))
    try:
        yield port, log_path
    finally:
        stop_gunicorn(process)


def version(etag: str) -> int:
    return int(etag.strip('"'))


def run_writers(jobs: list[dict]) -> list[dict]:
    """Start one process per job, release them together, and return every request they made."""
    context = multiprocessing.get_context("spawn")  # no copy of this process's database connection
    barrier = context.Barrier(len(jobs))
    results = context.Queue()
    processes = [context.Process(target=run_writer, args=(job, barrier, results)) for job in jobs]
    for process in processes:
        process.start()
    try:
        outcomes = dict(results.get(timeout=150) for _ in processes)
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
    failed = {index: outcome for index, outcome in outcomes.items() if isinstance(outcome, str)}
    assert not failed, failed
    return [record for index in sorted(outcomes) for record in outcomes[index]]


def describe(records: list[dict], server_log: Path) -> str:
    """The unexpected answers, and the server's errors (tracebacks of 500s), for the failure message."""
    lines = [f"{r['status']} {r['method']} {r['path']} {r['body']} -> {str(r['data'])[:300]}" for r in records[:10]]
    quiet = (" INFO ", "Precondition Failed", "[INFO]")
    errors = [line for line in server_log.read_text().splitlines() if not any(word in line for word in quiet)][-80:]
    return "\n".join([f"{len(records)} unexpected answers:", *lines, "server log:", *errors])


def audit_log(client, since: int) -> list[dict]:
    """Every change after ``since``, as an officer reads it (old and new values, who)."""
    events = []
    while True:
        page = client.get(reverse("change-list"), {"since": since, "limit": 1000}).json()
        events += page["results"]
        since = page["next_since"]
        if not page["has_more"]:
            return events


def check_chain(name: str, initial: dict, writes: list[dict], events: list[dict], final: dict, fields: list[str]):
    """The applied PATCHes of one record form a chain, which the log records in the same order, and replaying
    it from the initial state gives the final state."""
    for write in writes:
        assert version(write["etag"]) == version(write["if_match"]) + 1, (name, write)
    chain = sorted(writes, key=lambda write: version(write["etag"]))
    assert len({version(write["etag"]) for write in chain}) == len(chain), f"{name}: two writes made one version"
    assert [event["change"] for event in events] == ["update"] * len(chain), (name, events)
    state = {field: initial[field] for field in fields}
    for step, (write, event) in enumerate(zip(chain, events, strict=True)):
        expected_changes = {
            field: [state[field], value] for field, value in write["body"].items() if state[field] != value
        }
        assert event["changes"] == expected_changes, (name, step, write, event)
        assert event["actor"] == f"writer{write['writer']}", (name, step, write, event)
        state.update(write["body"])
    assert {field: final[field] for field in fields} == state, name


def test_concurrent_writer_processes_lose_nothing(server, settings, source, categories, make_user, bearer_client):
    port, server_log = server
    settings.CHANGE_FEED_SETTLE_SECONDS = 0  # this process reads the log right after the last commit
    tax_code = next(valid_tax_codes("08"))
    company = company_create(
        tax_code=tax_code,
        name="Công ty Đồng Thời",
        province=Province.objects.get(code="01"),
        ownership=Ownership.PRIVATE,
    )
    writers = [make_user(f"writer{index}", represents=[company]) for index in range(WRITERS)]
    shared_products = [
        product_create(
            company=company, name=f"Sản phẩm chung {n}", category=categories["software"], maturity=Maturity.PILOT
        )
        for n in range(2)
    ]
    shared_revenue = export_revenue_create(company=company, year=2020, amount_usd=Decimal("1000.00"), source=source)
    reader = bearer_client(writers[0])
    officer = bearer_client(make_user("officer", officer=True))
    company_url = reverse("company-detail", kwargs={"tax_code": tax_code})
    product_urls = {product.pk: reverse("product-detail", kwargs={"pk": product.pk}) for product in shared_products}
    revenue_url = reverse("export-revenue-detail", kwargs={"pk": shared_revenue.pk})
    initial = {
        "company": reader.get(company_url),
        **{product_id: reader.get(url) for product_id, url in product_urls.items()},
        "revenue": reader.get(revenue_url),
    }
    log_start = ChangeEvent.objects.order_by("-id").values_list("id", flat=True).first()

    records = run_writers(
        [
            {
                "index": index,
                "seed": index,
                "port": port,
                "token": Token.objects.get_or_create(user=writer)[0].key,
                "tax_code": tax_code,
                "products": list(product_urls),
                "revenue": shared_revenue.pk,
                "category": "accounting-software",
                "source_title": SOURCE_TITLE,
                "operations": OPERATIONS,
            }
            for index, writer in enumerate(writers)
        ]
    )

    # Every answer is one of the expected ones.
    writes = [record for record in records if record["kind"] != "read"]
    unexpected = [
        record
        for record in records
        if record["status"] not in ({200} if record["kind"] == "read" else APPLIED | REFUSED)
    ]
    assert not unexpected, describe(unexpected, server_log)
    applied = [write for write in writes if write["status"] in APPLIED]
    refused = [write for write in writes if write["status"] in REFUSED]
    assert refused, "no write was refused: the writers did not race, so this run tested nothing"
    # Only edits of the shared records can be refused: a writer's own products change by its hand alone.
    assert all(write["kind"].endswith("_patch") for write in refused), refused

    def applied_of(kind: str, path: str | None = None) -> list[dict]:
        return [write for write in applied if write["kind"] == kind and path in (None, write["path"])]

    events = audit_log(officer, log_start)
    assert len(events) == len(applied), "not exactly one change event per applied write"
    by_record: dict[tuple, list[dict]] = {}
    for event in events:
        by_record.setdefault((event["object_type"], event["object_id"]), []).append(event)

    # The company: its chain of profile edits, and one version step per applied write to it or its parts.
    final_company = reader.get(company_url)
    check_chain(
        "company",
        initial["company"].json(),
        applied_of("company_patch", company_url),
        by_record.pop(("company", company.pk), []),
        final_company.json(),
        COMPANY_FIELDS,
    )
    assert version(final_company["ETag"]) == version(initial["company"]["ETag"]) + len(applied)

    # The shared products and the shared revenue figure: a chain each.
    for product_id, url in product_urls.items():
        final_product = reader.get(url)
        writes_to_it = applied_of("product_patch", url)
        check_chain(
            f"product {product_id}",
            initial[product_id].json(),
            writes_to_it,
            by_record.pop(("product", product_id), []),
            final_product.json(),
            PRODUCT_FIELDS,
        )
        assert version(final_product["ETag"]) == version(initial[product_id]["ETag"]) + len(writes_to_it)
    final_revenue = reader.get(revenue_url)
    check_chain(
        "revenue",
        initial["revenue"].json(),
        applied_of("revenue_patch", revenue_url),
        by_record.pop(("export_revenue", shared_revenue.pk), []),
        final_revenue.json(),
        ["amount_usd"],
    )

    # Products created and deleted: each logged once per write, and the list is exactly what remains.
    created = {write["data"]["id"]: write for write in applied_of("product_create")}
    deleted = {int(write["path"].rstrip("/").rsplit("/", 1)[1]) for write in applied_of("product_delete")}
    assert deleted <= set(created)
    for product_id in created:
        actions = [event["change"] for event in by_record.pop(("product", product_id), [])]
        assert actions == (["create", "delete"] if product_id in deleted else ["create"]), (product_id, actions)
        assert reader.get(reverse("product-detail", kwargs={"pk": product_id})).status_code == (
            404 if product_id in deleted else 200
        )
    listed = reader.get(reverse("product-list"), {"company": tax_code, "page_size": 100}).json()["results"]
    expected_names = {product_id: write["body"]["name"] for product_id, write in created.items()}
    expected_names |= {product_id: reader.get(url).json()["name"] for product_id, url in product_urls.items()}
    assert {product["id"]: product["name"] for product in listed} == {
        product_id: name for product_id, name in expected_names.items() if product_id not in deleted
    }

    # Revenue figures added: each logged once, all present with what was sent, citing one source.
    revenue_created = {write["data"]["id"]: write["body"] for write in applied_of("revenue_create")}
    for revenue_id in revenue_created:
        assert [event["change"] for event in by_record.pop(("export_revenue", revenue_id), [])] == ["create"]
    figures = {(row["year"], row["country"]): row["amount_usd"] for row in final_company.json()["export_revenue"]}
    assert figures == {
        (2020, None): final_revenue.json()["amount_usd"],
        **{(body["year"], body["country"]): body["amount_usd"] for body in revenue_created.values()},
    }
    assert Source.objects.filter(title=SOURCE_TITLE).count() == 1
    assert by_record == {}, "change events of no applied write"
