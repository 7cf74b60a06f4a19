"""/api/v1/companies/: body shape, lookup by enterprise code, one test per filter, ordering, query counts."""

from decimal import Decimal

import pytest
from django.urls import reverse

from companies.models import MarketKind
from companies.services import export_market_create
from tests.conftest import DANANG_SOFT, GIAI_PHAP_SO, MISA
from tests.helpers import assert_selects, get_json, tax_codes

COMPANY_FIELDS = {
    "tax_code",
    "name",
    "name_en",
    "short_name",
    "slug",
    "province",
    "founded_year",
    "ownership",
    "size_band",
    "website",
    "status",
    "verified",
    "verification",
    "markets",
    "latest_export_revenue",
}


# --- body ---------------------------------------------------------------------------------------------


def test_list_row_shape(api_client, registry):
    body = get_json(api_client, "company-list")
    assert body["count"] == 3
    misa = next(row for row in body["results"] if row["tax_code"] == MISA)
    assert set(misa) == COMPANY_FIELDS
    assert misa["name"] == "Công ty Cổ phần MISA"
    assert misa["name_en"] == "MISA Joint Stock Company"
    assert misa["province"] == {"code": "01", "name": "Thành phố Hà Nội"}
    assert misa["verified"] is True
    assert misa["markets"] == ["JP", "KH"]
    # The total of the latest year, not the larger per-country row nor the older year.
    assert misa["latest_export_revenue"] == {"year": 2024, "amount_usd": "900000.00"}


def test_company_without_markets_or_revenue(api_client, registry):
    row = get_json(api_client, "company-detail", tax_code=GIAI_PHAP_SO)
    assert row["verified"] is False
    assert row["markets"] == []
    assert row["latest_export_revenue"] is None
    assert row["founded_year"] is None


def test_markets_are_distinct_country_codes(api_client, registry, source):
    # A company can be present in one country in several ways (sales and an office): one code.
    export_market_create(company=registry["misa"], country="JP", kind=MarketKind.OFFICE, source=source)
    row = get_json(api_client, "company-detail", tax_code=MISA)
    assert row["markets"] == ["JP", "KH"]
    assert [market["kind"] for market in row["export_markets"]] == ["export_sales", "office", "export_sales"]
    # The list reads them the same way (in its page's query): sorted, once each; none is an empty list.
    rows = {row["tax_code"]: row for row in get_json(api_client, "company-list")["results"]}
    assert rows[MISA]["markets"] == ["JP", "KH"]
    assert rows[GIAI_PHAP_SO]["markets"] == []


def test_default_order_is_by_name(api_client, registry):
    assert tax_codes(api_client) == [MISA, GIAI_PHAP_SO, DANANG_SOFT]


def test_detail_body(api_client, registry):
    body = get_json(api_client, "company-detail", tax_code=MISA)
    assert COMPANY_FIELDS < set(body)
    assert body["description_vi"] == "Nhà cung cấp giải pháp quản trị doanh nghiệp."
    assert body["verified_at"] is not None
    product = registry["accounting"]
    assert body["products"] == [
        {
            "id": product.pk,
            "name": "Phần mềm kế toán MISA SME",
            "slug": "phan-mem-ke-toan-misa-sme",
            "category": {"slug": "accounting-software", "name": "Phần mềm kế toán", "name_en": "Accounting software"},
            "maturity": "exported",
            "certified": True,
        }
    ]
    markets = {market["country"]: market for market in body["export_markets"]}
    assert set(markets) == {"JP", "KH"}
    assert markets["JP"]["country_name"] == "Japan"
    assert markets["JP"]["products"] == [product.pk]
    assert markets["KH"]["products"] == []
    assert markets["JP"]["source"]["key"] == "test-registry-report"
    assert [(row["year"], row["country"], row["amount_usd"]) for row in body["export_revenue"]] == [
        (2024, None, "900000.00"),
        (2024, "JP", "10000000.00"),
        (2023, None, "500000.00"),
    ]


def test_detail_query_count_does_not_grow_with_related_rows(
    api_client, make_companies, make_product, django_assert_num_queries
):
    small, large = make_companies(2)
    for extra in range(4):
        make_product(large, name=f"Extra product {extra}", category="5g", markets=["JP", "US"])
    # company (with province and source), products (with categories), export markets, their products,
    # export revenue; contact persons are not even read for an anonymous viewer
    for company, product_count in [(small, 2), (large, 6)]:
        with django_assert_num_queries(5):
            body = get_json(api_client, "company-detail", tax_code=company.tax_code)
        assert len(body["products"]) == product_count


# --- lookup -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("written", ["0100 109 106", "01.00.109.106", "0100-109-106"])
def test_detail_accepts_the_code_with_separators(api_client, registry, written):
    url = reverse("company-detail", kwargs={"tax_code": written})
    response = api_client.get(url)
    assert response.status_code == 200
    assert response.json()["tax_code"] == DANANG_SOFT


def test_detail_of_a_branch(api_client, registry, make_company):
    make_company(tax_code="0100109106-001", name="Chi nhánh Phần mềm Đà Nẵng tại Huế", province="46")
    for written in ["0100109106-001", "0100109106001"]:
        body = get_json(api_client, "company-detail", tax_code=written)
        assert body["tax_code"] == "0100109106-001"
    # The head office is still found by its own code.
    assert get_json(api_client, "company-detail", tax_code=DANANG_SOFT)["name"] == "Công ty TNHH Phần mềm Đà Nẵng"


def test_unknown_valid_code_is_404_json(api_client, registry):
    body = get_json(api_client, "company-detail", status=404, tax_code="0100684378")
    assert body == {"detail": "No Company matches the given query."}


@pytest.mark.parametrize("invalid", ["0100109107", "0000000000", "123"])
def test_invalid_code_is_404_json(api_client, registry, invalid):
    body = get_json(api_client, "company-detail", status=404, tax_code=invalid)
    assert body == {"detail": "No company has this enterprise code (it is not a valid one)."}


def test_code_with_letters_is_404_json(api_client, registry):
    response = api_client.get("/api/v1/companies/abc/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


# --- filters ------------------------------------------------------------------------------------------


def test_filter_search(api_client, registry):
    assert tax_codes(api_client, {"search": "misa"}) == [MISA]


def test_filter_province(api_client, registry):
    assert tax_codes(api_client, {"province": "48"}) == [DANANG_SOFT]


@pytest.mark.parametrize(
    ("slug", "expected"),
    [
        ("software", [MISA]),  # the parent: MISA's product is in its child "accounting-software"
        ("accounting-software", [MISA]),
        ("telecommunications", [DANANG_SOFT]),
        ("5g-equipment", [DANANG_SOFT]),
    ],
)
def test_filter_category_includes_descendants(api_client, registry, slug, expected):
    assert tax_codes(api_client, {"category": slug}) == expected


def test_filter_category_excludes_companies_with_products_elsewhere(api_client, registry, categories):
    from products.services import category_upsert

    category_upsert(slug="erp", name="Phần mềm ERP", name_en="ERP software", parent=categories["software"])
    assert tax_codes(api_client, {"category": "erp"}) == []


@pytest.mark.parametrize(
    ("market", "expected"),
    [
        ("JP", [MISA]),
        ("US", [DANANG_SOFT]),
        ("jp", [MISA]),
        ("KH,US", [MISA, DANANG_SOFT]),
        ("kh, us", [MISA, DANANG_SOFT]),
        ("JP,KH", [MISA]),  # any of them, each company once
        ("FR", []),
    ],
)
def test_filter_market(api_client, registry, market, expected):
    assert tax_codes(api_client, {"market": market}) == expected


@pytest.mark.parametrize(("value", "expected"), [("true", [MISA]), ("false", [GIAI_PHAP_SO, DANANG_SOFT])])
def test_filter_verified(api_client, registry, value, expected):
    assert tax_codes(api_client, {"verified": value}) == expected


def test_filter_ownership(api_client, registry):
    assert tax_codes(api_client, {"ownership": "private"}) == [GIAI_PHAP_SO]
    assert tax_codes(api_client, {"ownership": "limited_liability"}) == [DANANG_SOFT]


def test_filter_founded_from(api_client, registry):
    # Inclusive; a company whose founding year is unknown is not "founded from" any year.
    assert tax_codes(api_client, {"founded_from": 2010}) == [DANANG_SOFT]
    assert tax_codes(api_client, {"founded_from": 2011}) == []


def test_filter_founded_to(api_client, registry):
    assert tax_codes(api_client, {"founded_to": 1994}) == [MISA]
    assert tax_codes(api_client, {"founded_to": 1993}) == []


def test_filter_founded_range(api_client, registry):
    assert tax_codes(api_client, {"founded_from": 1990, "founded_to": 2010}) == [MISA, DANANG_SOFT]


def test_filter_min_export_revenue_uses_the_latest_total(api_client, registry, make_company):
    declining = make_company(name="Công ty Suy giảm", revenue={2022: 5_000_000, 2024: 10})
    # Inclusive bound on MISA's 2024 total (900k); its 10M JP row is per-country and does not count.
    assert tax_codes(api_client, {"min_export_revenue": "900000"}) == [MISA]
    assert tax_codes(api_client, {"min_export_revenue": "900000.01"}) == []
    # The declining company's older 5M does not count either: its latest year has 10 USD.
    assert tax_codes(api_client, {"min_export_revenue": "1000000"}) == []
    assert declining.tax_code in tax_codes(api_client, {"min_export_revenue": "10"})
    assert tax_codes(api_client, {"min_export_revenue": "0"}) == [MISA, declining.tax_code, DANANG_SOFT]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("name", [MISA, GIAI_PHAP_SO, DANANG_SOFT]),
        ("-name", [DANANG_SOFT, GIAI_PHAP_SO, MISA]),
        ("founded_year", [MISA, DANANG_SOFT, GIAI_PHAP_SO]),  # unknown year last
        ("-founded_year", [DANANG_SOFT, MISA, GIAI_PHAP_SO]),  # unknown year still last
        ("export_revenue", [DANANG_SOFT, MISA, GIAI_PHAP_SO]),
        ("-export_revenue", [MISA, DANANG_SOFT, GIAI_PHAP_SO]),  # no revenue last
    ],
)
def test_ordering(api_client, registry, ordering, expected):
    assert tax_codes(api_client, {"ordering": ordering}) == expected


def test_ordering_ties_are_broken_so_pages_never_overlap(api_client, make_company):
    for index in range(5):
        make_company(name=f"Công ty {index}", founded_year=2000)
    seen = []
    for page in (1, 2, 3):
        seen += tax_codes(api_client, {"ordering": "founded_year", "page_size": 2, "page": page})
    assert len(seen) == len(set(seen)) == 5


# --- query counts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("page_size", [1, 100])
def test_list_query_count_is_the_same_for_any_page_size(
    api_client, make_companies, page_size, django_assert_num_queries
):
    make_companies(6)
    # count, page (province joined, latest revenue and market countries as subqueries)
    with django_assert_num_queries(2):
        body = get_json(api_client, "company-list", {"page_size": page_size, "ordering": "-export_revenue"})
    assert len(body["results"]) == min(page_size, 6)
    assert all(row["markets"] == ["JP", "US"] for row in body["results"])
    assert body["results"][0]["latest_export_revenue"] == {"year": 2024, "amount_usd": "2005.00"}


def test_filtered_list_query_count(api_client, make_companies):
    make_companies(4)
    # the category lookup (validating the slug), count, the page's keys (one rank of search results), its
    # rows (with their market countries)
    with assert_selects(4):
        body = get_json(
            api_client,
            "company-list",
            {"search": "batch", "market": "JP,US", "category": "software", "verified": "true", "page_size": 100},
        )
    assert body["count"] == 2
    assert Decimal(body["results"][0]["latest_export_revenue"]["amount_usd"]) == Decimal("2000")
