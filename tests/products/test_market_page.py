"""A page of products of one category sold in one market is read from the market index, which holds copies of
the products' names (``ProductQuerySet.in_markets``): the same products in the same order as fetching every
match and sorting it, a product sold in two of its company's markets in the country once, with the other
filters and the visibility rule applied, in a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from companies.models import MarketKind
from companies.services import company_suspend, export_market_create
from products.services import product_update
from tests.helpers import get_json, stale_market_copies

IN_JAPAN = {"category": "accounting-software", "market": "JP"}


@pytest.fixture
def sold_in_japan(make_company, make_product, source):
    """Accounting programs sold in Japan by two active companies (one of them sells one program through two
    markets there, of two kinds) and a suspended one; a 5G product and a program sold elsewhere."""
    hanoi = make_company(name="Công ty Hà Nội", province="01", markets=["JP", "US"], verified=True)
    export_market_create(company=hanoi, country="JP", kind=MarketKind.OFFICE, source=source)
    danang = make_company(name="Công ty Đà Nẵng", province="48", markets=["JP"])
    hidden = make_company(name="Công ty Tạm dừng", province="01", markets=["JP"])
    products = {
        "both kinds": make_product(hanoi, name="Kế toán Bắc", markets=["JP"]),
        "hanoi": make_product(hanoi, name="Hóa đơn A", markets=["JP"]),
        "danang": make_product(danang, name="Kế toán Đà Nẵng", markets=["JP"]),
        "danang 2": make_product(danang, name="An toàn sổ sách", markets=["JP"]),
        "same name": make_product(danang, name="Hóa đơn A", slug="hoa-don-a-2", markets=["JP"]),
        "hidden": make_product(hidden, name="Bảng lương", markets=["JP"]),
        "elsewhere": make_product(hanoi, name="Chỉ ở Mỹ", markets=["US"]),
        "5g": make_product(hanoi, name="Trạm 5G", category="5g", markets=["JP"]),
    }
    product_update(product=products["both kinds"], data={}, export_markets=hanoi.export_markets.filter(country="JP"))
    company_suspend(company=hidden, by=None, reason="Under review.")
    return products


def pages(client, params, page_size) -> tuple[list[tuple[str, int]], int]:
    """Every page's (name, id) in turn, and the count."""
    rows, page = [], 1
    while True:
        body = get_json(client, "product-list", {**params, "page_size": page_size, "page": page})
        rows += [(row["name"], row["id"]) for row in body["results"]]
        if body["next"] is None:
            return rows, body["count"]
        page += 1


@pytest.mark.parametrize("page_size", [1, 2, 100])
@pytest.mark.parametrize("more", [{}, {"province": "48"}, {"verified": "true"}, {"maturity": "commercial"}])
def test_pages_are_those_of_fetching_and_sorting_every_match(api_client, sold_in_japan, page_size, more):
    params = {**IN_JAPAN, **more}
    read_from_index, count = pages(api_client, params, page_size)
    sorted_by_the_database, sorted_count = pages(api_client, {**params, "ordering": "name"}, page_size)

    assert read_from_index == sorted_by_the_database
    assert count == sorted_count == len(read_from_index)
    assert len(set(read_from_index)) == len(read_from_index)


def test_the_page_in_name_order_with_each_product_once(api_client, sold_in_japan):
    ids = {product.pk: key for key, product in sold_in_japan.items()}
    rows, count = pages(api_client, IN_JAPAN, 2)

    assert [ids[product_id] for _name, product_id in rows] == ["danang 2", "hanoi", "same name", "both kinds", "danang"]
    assert count == 5


def test_a_renamed_product_moves(api_client, sold_in_japan):
    product_update(product=sold_in_japan["danang 2"], data={"name": "Sổ sách an toàn"})

    assert stale_market_copies() == []
    names = [name for name, _id in pages(api_client, IN_JAPAN, 2)[0]]
    assert names == ["Hóa đơn A", "Hóa đơn A", "Kế toán Bắc", "Kế toán Đà Nẵng", "Sổ sách an toàn"]


@pytest.mark.parametrize("page_size", [1, 100])
def test_query_count_is_the_same_for_any_page_size(api_client, sold_in_japan, page_size, django_assert_num_queries):
    # the category, the count, the page's keys from the market index, the page's rows, their standards
    with CaptureQueriesContext(connection) as queries, django_assert_num_queries(5):
        body = get_json(api_client, "product-list", {**IN_JAPAN, "page_size": page_size})
    assert len(body["results"]) == min(page_size, 5)
    keys = queries.captured_queries[2]["sql"]
    assert keys.startswith('SELECT DISTINCT "products_product_export_markets"."product_name"')
    assert " ORDER BY 1 ASC, 2 ASC " in keys


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({"category": "software", "market": "JP"}, 5),  # several categories: several ranges of the index
        ({"category": "accounting-software", "market": "JP,US"}, 6),  # several countries: the same
        ({**IN_JAPAN, "certified": "false", "ordering": "-name"}, 5),
    ],
)
def test_other_reads_fetch_and_sort(api_client, sold_in_japan, params, count):
    with CaptureQueriesContext(connection) as queries:
        body = get_json(api_client, "product-list", params)
    assert body["count"] == count
    assert not any(query["sql"].startswith("SELECT DISTINCT") for query in queries.captured_queries)
