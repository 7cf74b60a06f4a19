"""Every write to a company's parts locks the company's row before anything else, so that writers of one
company queue in one order. A product's write also updates its company (version, search text) while a
company's rename rewrites its products: locked the other way round, the two deadlocked on PostgreSQL and one
of them answered 500 (found by tests/api/test_concurrent_writers.py). The order is read from the SQL each
service issues, so this holds without relying on a race."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from companies.models import MarketKind
from companies.services import (
    company_set_contact_persons,
    export_market_create,
    export_market_delete,
    export_market_update,
    export_revenue_create,
    export_revenue_delete,
    export_revenue_update,
    export_revenue_verify,
)
from products.models import Maturity
from products.services import product_create, product_delete, product_update

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has no row locks (a writer holds the whole database, BEGIN IMMEDIATE); the PostgreSQL pass "
    "of CI runs this.",
)

# Statements that take row locks: writes, and reads FOR UPDATE / FOR NO KEY UPDATE.
LOCKING = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b|\bFOR (NO KEY )?UPDATE\b", re.IGNORECASE)
COMPANY_LOCK = re.compile(r'^\s*SELECT\b.* FROM "companies_company" .*\bFOR (NO KEY )?UPDATE\b', re.IGNORECASE)

WRITES = {
    "product_create": lambda world, source, categories: product_create(
        company=world.own, name="Sản phẩm mới", category=categories["software"], maturity=Maturity.PILOT
    ),
    "product_update": lambda world, source, categories: product_update(product=world.product, data={"name": "Tên mới"}),
    "product_delete": lambda world, source, categories: product_delete(product=world.product),
    "export_market_create": lambda world, source, categories: export_market_create(
        company=world.own, country="US", kind=MarketKind.EXPORT_SALES, source=source
    ),
    "export_market_update": lambda world, source, categories: export_market_update(
        market=world.market, data={"note": "Văn phòng Tokyo"}
    ),
    "export_market_delete": lambda world, source, categories: export_market_delete(market=world.market),
    "export_revenue_create": lambda world, source, categories: export_revenue_create(
        company=world.own, year=datetime.date.today().year - 1, amount_usd=Decimal(5), source=source, country="US"
    ),
    "export_revenue_update": lambda world, source, categories: export_revenue_update(
        revenue=world.revenue, data={"amount_usd": Decimal(7)}
    ),
    "export_revenue_verify": lambda world, source, categories: export_revenue_verify(
        revenue=world.revenue, by=world.officer
    ),
    "export_revenue_delete": lambda world, source, categories: export_revenue_delete(revenue=world.revenue),
    "company_set_contact_persons": lambda world, source, categories: company_set_contact_persons(
        company=world.own, contact_persons=[{"name": "Nguyễn Văn An"}]
    ),
}


@pytest.mark.parametrize("write", WRITES)
def test_a_write_to_a_company_s_part_locks_the_company_first(world, source, categories, write):
    with CaptureQueriesContext(connection) as queries:
        WRITES[write](world, source, categories)

    locking = [query["sql"] for query in queries.captured_queries if LOCKING.search(query["sql"])]
    assert locking, "the write took no lock at all"
    assert COMPANY_LOCK.search(locking[0]), f"first lock or write of {write}: {locking[0]}"
    assert f"= {world.own.pk}" in locking[0] or f"IN ({world.own.pk})" in locking[0], locking[0]
