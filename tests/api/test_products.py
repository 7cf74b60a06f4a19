"""/api/v1/products/: body shape, one test per filter, ordering, query counts."""

import pytest
from django.urls import reverse

from companies.models import MarketKind
from companies.services import export_market_create
from products.services import product_update
from tests.conftest import DANANG_SOFT, MISA
from tests.helpers import get_json, product_names

ACCOUNTING = "Phần mềm kế toán MISA SME"
BASE_STATION = "Trạm gốc 5G"


def test_list_row_shape(api_client, registry):
    body = get_json(api_client, "product-list")
    assert body["count"] == 2
    row = next(row for row in body["results"] if row["name"] == ACCOUNTING)
    assert row["id"] == registry["accounting"].pk
    assert row["company"] == {"tax_code": MISA, "name": "Công ty Cổ phần MISA"}
    assert row["category"] == {
        "slug": "accounting-software",
        "name": "Phần mềm kế toán",
        "name_en": "Accounting software",
    }
    assert row["standards"] == [{"code": "iso-iec-7816", "name": "ISO/IEC 7816"}]
    assert row["certified"] is True
    assert row["certified_on"] == "2021-03-15"
    assert row["certification_source"]["key"] == "test-registry-report"
    assert row["markets"] == ["JP"]  # KH is a market of the company, not of this product
    assert row["maturity"] == "exported"
    assert row["launch_year"] == 2005


def test_uncertified_product(api_client, registry):
    row = get_json(api_client, "product-detail", pk=registry["base_station"].pk)
    assert row["certified"] is False
    assert row["certified_on"] is None
    assert row["certification_source"] is None


def test_markets_are_distinct_country_codes(api_client, registry, source, make_product):
    # Sold through the maker's sales and its office in Japan: one code; sold nowhere: an empty list.
    misa = registry["misa"]
    export_market_create(company=misa, country="JP", kind=MarketKind.OFFICE, source=source)
    product_update(product=registry["accounting"], data={}, export_markets=misa.export_markets.all())
    make_product(misa, name="MISA unsold", markets=[])

    rows = {row["name"]: row for row in get_json(api_client, "product-list", {"company": MISA})["results"]}
    assert rows[ACCOUNTING]["markets"] == ["JP", "KH"]
    assert rows["MISA unsold"]["markets"] == []
    assert get_json(api_client, "product-detail", pk=registry["accounting"].pk)["markets"] == ["JP", "KH"]


def test_unknown_product_is_404_json(api_client, registry):
    body = get_json(api_client, "product-detail", status=404, pk=999_999)
    assert set(body) == {"detail"}


def test_non_numeric_product_id_is_404_json(api_client, registry):
    response = api_client.get("/api/v1/products/phan-mem/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


# --- filters ------------------------------------------------------------------------------------------


def test_filter_search(api_client, registry):
    assert product_names(api_client, {"search": "tram goc"}) == [BASE_STATION]


@pytest.mark.parametrize(
    ("slug", "expected"),
    [
        ("software", [ACCOUNTING]),  # parent category: includes the product in its child
        ("accounting-software", [ACCOUNTING]),
        ("telecommunications", [BASE_STATION]),
        ("5g-equipment", [BASE_STATION]),
    ],
)
def test_filter_category(api_client, registry, slug, expected):
    assert product_names(api_client, {"category": slug}) == expected


def test_filter_category_includes_grandchildren(api_client, registry, make_product, categories):
    from products.services import category_upsert, product_update

    cloud = category_upsert(
        slug="cloud-accounting", name="Kế toán đám mây", name_en="Cloud accounting", parent=categories["accounting"]
    )
    product = make_product(registry["misa"], name="MISA Cloud", category="accounting")
    product_update(product=product, data={"category": cloud})
    assert product_names(api_client, {"category": "cloud-accounting"}) == ["MISA Cloud"]
    assert product_names(api_client, {"category": "software"}) == ["MISA Cloud", ACCOUNTING]
    assert product_names(api_client, {"category": "telecommunications"}) == [BASE_STATION]


def test_filter_company(api_client, registry):
    assert product_names(api_client, {"company": MISA}) == [ACCOUNTING]
    assert product_names(api_client, {"company": DANANG_SOFT}) == [BASE_STATION]


def test_filter_company_accepts_the_code_with_spaces_and_dots(api_client, registry):
    spaced = f"{MISA[:4]} {MISA[4:7]}.{MISA[7:]}"
    assert product_names(api_client, {"company": spaced}) == [ACCOUNTING]


@pytest.mark.parametrize(
    ("market", "expected"),
    [("JP", [ACCOUNTING]), ("us", [BASE_STATION]), ("JP,US", [ACCOUNTING, BASE_STATION]), ("KH", [])],
)
def test_filter_market(api_client, registry, market, expected):
    # KH is a market of MISA but none of its products is sold there.
    assert product_names(api_client, {"market": market}) == expected


def test_filter_standard(api_client, registry):
    assert product_names(api_client, {"standard": "3gpp-release-15"}) == [BASE_STATION]
    assert product_names(api_client, {"standard": "iso-iec-7816"}) == [ACCOUNTING]


@pytest.mark.parametrize(("value", "expected"), [("true", [ACCOUNTING]), ("false", [BASE_STATION])])
def test_filter_certified(api_client, registry, value, expected):
    assert product_names(api_client, {"certified": value}) == expected


def test_filter_maturity(api_client, registry):
    assert product_names(api_client, {"maturity": "pilot"}) == [BASE_STATION]
    assert product_names(api_client, {"maturity": "research"}) == []


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("name", [ACCOUNTING, BASE_STATION]),
        ("-name", [BASE_STATION, ACCOUNTING]),
        ("launch_year", [ACCOUNTING, BASE_STATION]),
        ("-launch_year", [BASE_STATION, ACCOUNTING]),
    ],
)
def test_ordering(api_client, registry, ordering, expected):
    assert product_names(api_client, {"ordering": ordering}) == expected


def test_ordering_puts_unknown_launch_year_last(api_client, registry, make_product):
    make_product(registry["misa"], name="AMIS", category="accounting")  # no launch year
    assert product_names(api_client, {"ordering": "-launch_year"})[-1] == "AMIS"
    assert product_names(api_client, {"ordering": "launch_year"})[-1] == "AMIS"


def test_filters_combine(api_client, registry):
    assert product_names(api_client, {"category": "software", "market": "JP,US", "certified": "true"}) == [ACCOUNTING]
    assert product_names(api_client, {"category": "software", "market": "US"}) == []


# --- query counts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("page_size", [1, 100])
def test_list_query_count_is_the_same_for_any_page_size(
    api_client, make_companies, page_size, django_assert_num_queries
):
    make_companies(4)  # 8 products, each with two standards, a source, markets
    # count, page (company, category and sources joined, market countries as a subquery), standards
    with django_assert_num_queries(3):
        body = get_json(api_client, "product-list", {"page_size": page_size})
    assert body["count"] == 8
    assert len(body["results"]) == min(page_size, 8)
    first = body["results"][0]
    assert first["name"] == "Batch product 000-0"
    assert len(first["standards"]) == 2
    assert first["markets"] == ["JP"]
    assert first["certification_source"]["key"] == "test-registry-report"


def test_detail_query_count(api_client, make_companies, django_assert_num_queries):
    company = make_companies(1)[0]
    product = company.products.get(name="Batch product 000-1")
    # product (company, category, sources joined, market countries as a subquery), standards
    with django_assert_num_queries(2):
        response = api_client.get(reverse("product-detail", kwargs={"pk": product.pk}))
    assert response.json()["markets"] == ["JP", "US"]
