"""Capped counts of the paginated lists (``count``, ``count_capped``, the 400 past the counted window, the 404
past the end of an uncapped result), their description in the OpenAPI schema, and the number of SQL queries
of the lists (whatever the page size) and of a company's page (by viewer)."""

from urllib.parse import parse_qsl, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from companies.models import Company, CompanyStatus
from companies.services import company_set_contact_persons
from tests.helpers import assert_selects, get_json, product_names, tax_codes

CHANGE_FEED = "/api/v1/changes/"


@pytest.fixture
def count_limit(monkeypatch):
    """``count_limit(3)``: the lists count at most 3 results for the rest of the test."""

    def set_limit(limit: int) -> int:
        monkeypatch.setattr("api.pagination.COUNT_LIMIT", limit)
        return limit

    return set_limit


@pytest.fixture
def five_companies(make_company):
    """Five active companies, named so that the default order (by name) is their creation order."""
    return [make_company(name=f"Công ty {index}") for index in range(5)]


def page_params(link: str | None) -> dict[str, str] | None:
    """The query parameters of a ``next``/``previous`` link, or None for no link."""
    if link is None:
        return None
    parts = urlsplit(link)
    assert parts.path in {reverse("company-list"), reverse("product-list")}, link
    return dict(parse_qsl(parts.query))


def assert_page_past_the_counted_window_is_refused(client, url_name: str, params: dict) -> str:
    body = get_json(client, url_name, params, status=400)
    assert list(body) == ["page"]
    [message] = body["page"]
    assert CHANGE_FEED in message
    return message


# --- capped counts: companies -------------------------------------------------------------------------


def test_count_stops_at_the_limit_and_says_it_is_capped(api_client, five_companies, count_limit):
    count_limit(3)
    body = get_json(api_client, "company-list")
    assert body["count"] == 3
    assert body["count_capped"] is True
    # Only the counted window can be paged through: the first page (default size 20) stops at it too.
    assert [row["tax_code"] for row in body["results"]] == [company.tax_code for company in five_companies[:3]]


def test_pages_inside_the_capped_window_link_to_each_other(api_client, five_companies, count_limit):
    count_limit(3)
    codes = [company.tax_code for company in five_companies]

    first = get_json(api_client, "company-list", {"page_size": 2})
    assert (first["count"], first["count_capped"]) == (3, True)
    assert [row["tax_code"] for row in first["results"]] == codes[:2]
    assert first["previous"] is None
    assert page_params(first["next"]) == {"page": "2", "page_size": "2"}

    response = api_client.get(first["next"])
    assert response.status_code == 200
    second = response.json()
    assert (second["count"], second["count_capped"]) == (3, True)
    # The last page of the window holds what is left of the 3 counted results, and links no further.
    assert [row["tax_code"] for row in second["results"]] == codes[2:3]
    assert second["next"] is None
    assert page_params(second["previous"]) == {"page_size": "2"}


def test_page_past_the_capped_window_is_a_400_pointing_to_the_change_feed(api_client, five_companies, count_limit):
    count_limit(3)
    message = assert_page_past_the_counted_window_is_refused(api_client, "company-list", {"page_size": 2, "page": 3})
    assert "first 3 results" in message
    # Still refused far past the window, and with the default page size.
    assert_page_past_the_counted_window_is_refused(api_client, "company-list", {"page_size": 2, "page": 50})
    assert_page_past_the_counted_window_is_refused(api_client, "company-list", {"page": 2})


def test_filters_apply_before_the_count_is_capped(api_client, five_companies, make_company, count_limit):
    count_limit(3)
    make_company(name="Công ty Đà Nẵng", province="48")
    body = get_json(api_client, "company-list", {"province": "48"})
    assert (body["count"], body["count_capped"]) == (1, False)
    assert [row["name"] for row in body["results"]] == ["Công ty Đà Nẵng"]


def test_count_under_the_limit_is_exact_and_not_capped(api_client, five_companies, count_limit):
    count_limit(10)
    body = get_json(api_client, "company-list", {"page_size": 2})
    assert (body["count"], body["count_capped"]) == (5, False)
    assert page_params(body["next"]) == {"page": "2", "page_size": "2"}


@pytest.mark.parametrize(("limit", "capped"), [(5, False), (4, True)])
def test_count_is_capped_only_when_more_results_than_the_limit_match(
    api_client, five_companies, count_limit, limit, capped
):
    count_limit(limit)
    body = get_json(api_client, "company-list")
    assert (body["count"], body["count_capped"]) == (min(5, limit), capped)


def test_last_page_of_an_uncapped_result_is_served(api_client, five_companies, count_limit):
    count_limit(10)
    body = get_json(api_client, "company-list", {"page_size": 2, "page": 3})
    assert [row["tax_code"] for row in body["results"]] == [five_companies[4].tax_code]
    assert (body["count"], body["count_capped"], body["next"]) == (5, False, None)


def test_page_past_the_end_of_an_uncapped_result_is_still_a_404(
    api_client, five_companies, count_limit, django_assert_num_queries
):
    count_limit(10)
    with django_assert_num_queries(1):  # one capped count: the 404 reuses the one that refused the page
        body = get_json(api_client, "company-list", {"page_size": 2, "page": 4}, status=404)
    assert list(body) == ["detail"]
    assert body["detail"].startswith("Page 4 does not exist")
    assert CHANGE_FEED not in body["detail"]


def test_without_a_patched_limit_small_results_are_not_capped(api_client, five_companies):
    body = get_json(api_client, "company-list")
    assert (body["count"], body["count_capped"]) == (5, False)
    assert tax_codes(api_client, {"page_size": 2, "page": 3}) == [five_companies[4].tax_code]


# --- capped counts: products --------------------------------------------------------------------------


def test_product_count_is_capped(api_client, make_companies, count_limit):
    make_companies(3)  # 6 products
    count_limit(4)
    body = get_json(api_client, "product-list")
    assert (body["count"], body["count_capped"]) == (4, True)


def test_product_pages_inside_the_capped_window(api_client, make_companies, count_limit):
    make_companies(3)
    count_limit(4)
    first = get_json(api_client, "product-list", {"page_size": 2})
    assert [row["name"] for row in first["results"]] == ["Batch product 000-0", "Batch product 000-1"]
    assert first["previous"] is None
    assert page_params(first["next"]) == {"page": "2", "page_size": "2"}

    second = api_client.get(first["next"]).json()
    assert (second["count"], second["count_capped"]) == (4, True)
    assert [row["name"] for row in second["results"]] == ["Batch product 001-0", "Batch product 001-1"]
    assert second["next"] is None
    assert page_params(second["previous"]) == {"page_size": "2"}


def test_product_page_past_the_capped_window_is_a_400_pointing_to_the_change_feed(
    api_client, make_companies, count_limit
):
    make_companies(3)
    count_limit(4)
    message = assert_page_past_the_counted_window_is_refused(api_client, "product-list", {"page_size": 2, "page": 3})
    assert "first 4 results" in message


def test_product_count_under_the_limit_is_exact_and_a_page_past_the_end_is_404(api_client, make_companies, count_limit):
    make_companies(3)
    count_limit(10)
    body = get_json(api_client, "product-list", {"page_size": 4})
    assert (body["count"], body["count_capped"]) == (6, False)
    assert product_names(api_client, {"page_size": 4, "page": 2}) == ["Batch product 002-0", "Batch product 002-1"]
    body = get_json(api_client, "product-list", {"page_size": 4, "page": 3}, status=404)
    assert body["detail"].startswith("Page 3 does not exist")


# --- the schema ---------------------------------------------------------------------------------------


@pytest.fixture
def openapi(client, db):
    response = client.get(reverse("schema"), {"format": "json"})
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize(
    "path", ["/api/v1/companies/", "/api/v1/products/", "/api/v1/export-markets/", "/api/v1/export-revenues/"]
)
def test_schema_documents_count_capped_in_paginated_lists(openapi, path):
    reference = openapi["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert reference.startswith("#/components/schemas/")
    page = openapi["components"]["schemas"][reference.rsplit("/", 1)[1]]
    assert page["properties"]["count_capped"]["type"] == "boolean"
    assert page["properties"]["count_capped"].get("description")
    assert {"count", "results", "count_capped"} <= set(page["required"])
    # ``count`` says it stops at the limit.
    assert "count_capped" in page["properties"]["count"]["description"]


# --- list query counts whatever the page size ---------------------------------------------------------

BATCH = 6  # make_companies(6): 6 companies, 12 products, 12 export markets, 12 revenue figures


@pytest.mark.parametrize("page_size", [1, 100])
def test_product_list_query_count_is_the_same_for_any_page_size(
    api_client, make_companies, page_size, django_assert_num_queries
):
    make_companies(BATCH)
    # count, page (company, category and sources joined, market countries as a subquery), standards
    with django_assert_num_queries(3):
        body = get_json(api_client, "product-list", {"page_size": page_size})
    assert (body["count"], body["count_capped"]) == (2 * BATCH, False)
    assert len(body["results"]) == min(page_size, 2 * BATCH)
    assert all(len(row["standards"]) == 2 for row in body["results"])


@pytest.mark.parametrize("page_size", [1, 100])
def test_filtered_product_list_query_count_is_the_same_for_any_page_size(api_client, make_companies, page_size):
    make_companies(BATCH)
    # the category lookup (validating the slug), its subtree's ids (with a market filter: see in_markets),
    # count, the page's keys (one rank of search results), its rows (with their market countries), standards
    with assert_selects(6):
        body = get_json(
            api_client,
            "product-list",
            {"category": "software", "market": "JP,US", "search": "batch", "page_size": page_size},
        )
    # The accounting product of each company: "software" includes "accounting software", not "5G equipment".
    assert body["count"] == BATCH
    assert len(body["results"]) == min(page_size, BATCH)
    assert all(row["category"]["slug"] == "accounting-software" for row in body["results"])
    assert all(row["markets"] == ["JP"] for row in body["results"])


@pytest.mark.parametrize("page_size", [1, 100])
def test_export_market_list_query_count_is_the_same_for_any_page_size(
    api_client, make_companies, page_size, django_assert_num_queries
):
    make_companies(BATCH)
    # count, page (company and source joined), the markets' products
    with django_assert_num_queries(3):
        body = get_json(api_client, "export-market-list", {"page_size": page_size})
    assert (body["count"], body["count_capped"]) == (2 * BATCH, False)
    assert len(body["results"]) == min(page_size, 2 * BATCH)
    first = body["results"][0]
    assert first["company"]["tax_code"]
    assert len(first["products"]) == 2  # JP: both products of the company are sold there


@pytest.mark.parametrize("page_size", [1, 100])
def test_export_revenue_list_query_count_is_the_same_for_any_page_size(
    api_client, make_companies, page_size, django_assert_num_queries
):
    make_companies(BATCH)
    # count, page (company and source joined)
    with django_assert_num_queries(2):
        body = get_json(api_client, "export-revenue-list", {"page_size": page_size})
    assert (body["count"], body["count_capped"]) == (2 * BATCH, False)
    assert len(body["results"]) == min(page_size, 2 * BATCH)
    assert all(row["company"]["tax_code"] and row["source"]["key"] for row in body["results"])


@pytest.mark.parametrize("page_size", [1, 100])
def test_filtered_company_list_query_count_is_the_same_for_any_page_size(api_client, make_companies, page_size):
    make_companies(BATCH)
    # the category lookup (validating the slug), count, the page's keys (one rank of search results), its
    # rows (latest revenue and market countries as subqueries)
    with assert_selects(4):
        body = get_json(
            api_client,
            "company-list",
            {"search": "batch", "market": "JP,US", "category": "software", "page_size": page_size},
        )
    assert (body["count"], body["count_capped"]) == (BATCH, False)
    assert len(body["results"]) == min(page_size, BATCH)
    assert all(row["markets"] == ["JP", "US"] for row in body["results"])


# --- company detail query counts by viewer ------------------------------------------------------------


def sql_of(queries) -> list[str]:
    return [query["sql"] for query in queries]


def reads_contact_persons(sql: str) -> bool:
    return '"companies_contactperson"' in sql


def is_authentication(sql: str) -> bool:
    return any(table in sql for table in ('"authtoken_token"', '"auth_permission"'))


@pytest.fixture
def own_with_contact(world):
    company_set_contact_persons(company=world.own, contact_persons=[{"name": "Trần Thị B", "role": "Giám đốc"}])
    return world.own


def test_anonymous_company_detail_is_five_queries_and_never_reads_contact_persons(
    client_as, own_with_contact, django_assert_num_queries
):
    client = client_as("anonymous")
    url = reverse("company-detail", kwargs={"tax_code": own_with_contact.tax_code})
    # company (province, source, latest revenue), products, export markets, their products, revenue
    with django_assert_num_queries(5) as captured:
        response = client.get(url)
    assert response.status_code == 200
    body = response.json()
    assert "contact_persons" not in body
    assert not any(reads_contact_persons(sql) for sql in sql_of(captured.captured_queries))


def test_officer_company_detail_reads_contact_persons_in_one_more_query(
    client_as, own_with_contact, django_assert_num_queries
):
    client = client_as("officer")  # its token is created here, not in the counted request
    url = reverse("company-detail", kwargs={"tax_code": own_with_contact.tax_code})
    # 3 to authenticate (the token with its user, the user's and the groups' permissions), the anonymous
    # viewer's 5, and the contact persons
    with django_assert_num_queries(9) as captured:
        response = client.get(url)
    assert response.status_code == 200
    body = response.json()
    assert [person["name"] for person in body["contact_persons"]] == ["Trần Thị B"]

    queries = sql_of(captured.captured_queries)
    assert sum(map(reads_contact_persons, queries)) == 1
    assert sum(map(is_authentication, queries)) == 3
    assert len([sql for sql in queries if not is_authentication(sql)]) == 5 + 1


def test_officer_and_anonymous_read_the_same_company_apart_from_sensitive_fields(client_as, own_with_contact):
    url = reverse("company-detail", kwargs={"tax_code": own_with_contact.tax_code})
    anonymous = client_as("anonymous").get(url).json()
    officer = client_as("officer").get(url).json()
    assert set(officer) - set(anonymous) == {"contact_persons", "verification_note"}
    assert {key: officer[key] for key in anonymous} == anonymous


def test_app_with_an_api_key_never_reads_contact_persons(client_as, own_with_contact):
    # A representative's read key sees the public view: the contact persons are not even queried.
    client = client_as("read_key")
    url = reverse("company-detail", kwargs={"tax_code": own_with_contact.tax_code})
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    assert "contact_persons" not in response.json()
    assert not any(reads_contact_persons(sql) for sql in sql_of(captured.captured_queries))


# --- a capped count is remembered ---------------------------------------------------------------------------


def counts_read(captured) -> int:
    return sum(query["sql"].startswith("SELECT COUNT(*)") for query in captured)


def test_a_capped_count_is_remembered_and_not_read_again(api_client, five_companies, make_company, count_limit):
    count_limit(3)
    with CaptureQueriesContext(connection) as first:
        get_json(api_client, "company-list", {"page_size": 2})
    # Another page, page size and order of the same rows: still more than 3, not counted again.
    with CaptureQueriesContext(connection) as later:
        body = get_json(api_client, "company-list", {"page_size": 1, "page": 3, "ordering": "-name"})
    assert (counts_read(first), counts_read(later)) == (1, 0)
    assert (body["count"], body["count_capped"]) == (3, True)
    assert [row["tax_code"] for row in body["results"]] == [five_companies[2].tax_code]
    # Other filters are other rows, counted apart.
    make_company(name="Công ty Đà Nẵng", province="48")
    with CaptureQueriesContext(connection) as filtered:
        body = get_json(api_client, "company-list", {"province": "48"})
    assert counts_read(filtered) == 1
    assert (body["count"], body["count_capped"]) == (1, False)


def test_a_product_list_remembers_its_capped_count_too(api_client, make_companies, count_limit):
    make_companies(3)
    count_limit(2)
    for expected_counts in (1, 0):
        with CaptureQueriesContext(connection) as captured:
            body = get_json(api_client, "product-list", {"page_size": 1})
        assert counts_read(captured) == expected_counts
        assert (body["count"], body["count_capped"]) == (2, True)


def test_a_count_under_the_limit_is_read_on_every_request(api_client, five_companies, make_company, count_limit):
    count_limit(10)
    assert get_json(api_client, "company-list")["count"] == 5
    make_company(name="Công ty mới")
    with CaptureQueriesContext(connection) as captured:
        body = get_json(api_client, "company-list")
    assert counts_read(captured) == 1
    assert (body["count"], body["count_capped"]) == (6, False)


def test_a_remembered_capped_count_is_kept_apart_for_what_the_caller_sees(world, client_as, count_limit):
    count_limit(1)
    Company.objects.filter(pk=world.other.pk).update(status=CompanyStatus.SUSPENDED)
    officer = get_json(client_as("officer"), "company-list")
    assert (officer["count"], officer["count_capped"]) == (1, True)  # both companies
    public = get_json(client_as("anonymous"), "company-list")
    assert (public["count"], public["count_capped"]) == (1, False)  # the active one
    # A representative of the suspended company sees it: their count is theirs alone, never kept.
    other_rep = client_as("other_representative")
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            body = get_json(other_rep, "company-list")
        assert counts_read(captured) == 1
        assert (body["count"], body["count_capped"]) == (1, True)


def test_with_no_time_to_keep_them_capped_counts_are_read_on_every_request(
    api_client, five_companies, count_limit, settings
):
    settings.CAPPED_COUNT_CACHE_SECONDS = 0
    count_limit(3)
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            body = get_json(api_client, "company-list")
        assert counts_read(captured) == 1
        assert (body["count"], body["count_capped"]) == (3, True)


# --- deep pages: annotations computed for the page's rows only ---------------------------------------------


@pytest.fixture
def deep_page_offset(monkeypatch):
    """``deep_page_offset(n)``: pages from the n-th row on are read by key first (``registry.querysets``)."""

    def set_offset(offset: int) -> int:
        monkeypatch.setattr("registry.querysets.DEEP_PAGE_OFFSET", offset)
        return offset

    return set_offset


@pytest.mark.parametrize(
    ("url_name", "params"),
    [
        ("company-list", {}),
        ("company-list", {"ordering": "-export_revenue"}),
        ("company-list", {"ordering": "founded_year,-name", "market": "US"}),
        ("company-list", {"search": "batch", "ordering": "name"}),
        ("product-list", {}),
        ("product-list", {"category": "5g-equipment", "market": "JP"}),
        ("product-list", {"category": "software", "ordering": "-name"}),
    ],
)
def test_a_deep_page_answers_what_the_plain_read_answers(
    api_client, make_companies, deep_page_offset, url_name, params
):
    make_companies(7)
    for page in (1, 2, 3, 4, 5):
        answers = []
        for offset in (10**6, 1):  # read plainly, then by key first
            deep_page_offset(offset)
            response = api_client.get(reverse(url_name), {**params, "page_size": 2, "page": page})
            answers.append((response.status_code, response.json()))
        assert answers[0] == answers[1]
        assert answers[0][0] in (200, 404)


def test_a_deep_page_computes_its_subqueries_for_its_own_rows_in_one_query(
    api_client, make_companies, deep_page_offset
):
    make_companies(5)
    deep_page_offset(2)

    def page_queries(page: int) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            get_json(api_client, "company-list", {"page_size": 2, "page": page})
        return [query["sql"] for query in captured if query["sql"].startswith("SELECT")]

    (_, first_page), (_, deep_page) = page_queries(1), page_queries(2)
    assert first_page.endswith("LIMIT 2")
    # The rows with the keys of the page, their market countries (and revenue, province) selected with them; the
    # keys, in a subquery that selects no annotation.
    rows, keys = deep_page.split(" IN (SELECT ")
    assert "companies_exportmarket" in rows and "companies_exportmarket" not in keys
    assert "LIMIT 2 OFFSET 2)" in keys
