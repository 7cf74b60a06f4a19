"""Reference lists: provinces, categories, standards, markets."""

from django.core.cache import cache
from django.urls import reverse

from companies.models import Company, CompanyStatus, MarketKind
from companies.services import export_market_create
from tests.helpers import get_json


def test_provinces_are_the_34_units(api_client, db, django_assert_num_queries):
    with django_assert_num_queries(1):
        body = get_json(api_client, "province-list")
    assert len(body) == 34
    assert body[0] == {"code": "01", "name": "Thành phố Hà Nội", "division_type": "thành phố trung ương"}
    codes = [row["code"] for row in body]
    assert codes == sorted(codes)
    assert all(len(code) == 2 and code.isdigit() for code in codes)
    names = {row["code"]: row["name"] for row in body}
    assert names["48"] == "Thành phố Đà Nẵng"
    assert names["79"] == "Thành phố Hồ Chí Minh"


def test_province_detail_is_zero_padded(api_client, db):
    assert get_json(api_client, "province-detail", code="01")["name"] == "Thành phố Hà Nội"


def test_categories_are_the_tree_depth_first_with_parents(api_client, categories):
    body = get_json(api_client, "category-list")
    assert [(row["slug"], row["parent"], row["depth"]) for row in body] == [
        ("software", None, 1),
        ("accounting-software", "software", 2),
        ("telecommunications", None, 1),
        ("5g-equipment", "telecommunications", 2),
    ]
    assert body[1] == {
        "slug": "accounting-software",
        "name": "Phần mềm kế toán",
        "name_en": "Accounting software",
        "parent": "software",
        "depth": 2,
    }


def test_category_detail_names_its_parent(api_client, categories):
    from products.services import category_upsert

    category_upsert(
        slug="cloud-accounting", name="Kế toán đám mây", name_en="Cloud accounting", parent=categories["accounting"]
    )
    body = get_json(api_client, "category-detail", slug="cloud-accounting")
    assert (body["parent"], body["depth"]) == ("accounting-software", 3)
    assert get_json(api_client, "category-detail", slug="software")["parent"] is None


def test_category_list_query_count_with_many_rows(api_client, categories, django_assert_num_queries):
    from products.services import category_upsert

    for index in range(5):
        category_upsert(
            slug=f"sub-{index}", name=f"Nhóm {index}", name_en=f"Group {index}", parent=categories["software"]
        )
    with django_assert_num_queries(1):
        body = get_json(api_client, "category-list")
    assert len(body) == 9
    assert {row["parent"] for row in body if row["slug"].startswith("sub-")} == {"software"}


def test_standards(api_client, standards):
    assert get_json(api_client, "standard-list") == [
        {"code": "3gpp-release-15", "name": "3GPP Release 15", "body": "3GPP", "url": ""},
        {
            "code": "iso-iec-7816",
            "name": "ISO/IEC 7816",
            "body": "ISO/IEC",
            "url": "https://www.iso.org/standard/54089.html",
        },
    ]
    assert get_json(api_client, "standard-detail", code="iso-iec-7816")["body"] == "ISO/IEC"


def test_markets_count_companies_and_products(api_client, registry, make_company, make_product, source):
    # A second company in JP, present in two ways (sales and an office): counted once; one product sold there.
    other = make_company(name="Công ty Rạng Đông", markets=["JP"])
    export_market_create(company=other, country="JP", kind=MarketKind.OFFICE, source=source)
    make_product(other, name="Đèn LED thông minh", markets=["JP"])
    make_product(other, name="Bộ điều khiển", markets=[])
    body = get_json(api_client, "market-list")
    assert body == [
        {"country": "JP", "name": "Japan", "company_count": 2, "product_count": 2},
        {"country": "KH", "name": "Cambodia", "company_count": 1, "product_count": 0},
        {"country": "US", "name": "United States of America", "company_count": 1, "product_count": 1},
    ]


def test_markets_empty_registry(api_client, db):
    assert get_json(api_client, "market-list") == []


def test_markets_are_served_from_the_shared_cache_until_it_expires(
    api_client, registry, make_company, settings, django_assert_num_queries
):
    """Counts over every export market of the registry (seconds at national scale): computed once, then
    served to everyone for INDICATORS_CACHE_SECONDS, as the indicators are."""
    settings.INDICATORS_CACHE_SECONDS = 60
    first = get_json(api_client, "market-list")
    make_company(name="Công ty Mới", markets=["JP"])

    with django_assert_num_queries(0):
        assert get_json(api_client, "market-list") == first  # the new market is not counted yet
    cache.clear()  # the window passes
    japan = {row["country"]: row for row in get_json(api_client, "market-list")}["JP"]
    assert japan["company_count"] == {row["country"]: row for row in first}["JP"]["company_count"] + 1

    settings.INDICATORS_CACHE_SECONDS = 0
    with django_assert_num_queries(1):
        get_json(api_client, "market-list")


def test_the_cached_markets_count_what_each_caller_may_see(client_as, world, settings):
    """A suspended company's market counts for officers and for its own representative only: the public's
    cached counts and the officers' are kept apart, and a representative of a company the public does not
    see gets counts computed for them."""
    settings.INDICATORS_CACHE_SECONDS = 60
    Company.objects.filter(pk=world.own.pk).update(status=CompanyStatus.SUSPENDED)

    def japan(role):
        rows = client_as(role).get(reverse("market-list")).json()
        return {row["country"]: row["company_count"] for row in rows}.get("JP", 0)

    assert japan("officer") == 1  # cached for officers first
    assert japan("anonymous") == 0
    assert japan("other_representative") == 0  # represents an active company: the public's counts
    assert japan("read_key") == japan("representative") == 1  # their own company, and their app
    assert japan("anonymous") == 0
