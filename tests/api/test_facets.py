"""``?facets=`` on the company and product lists: counts per value over every result matching the other
parameters, computed in a fixed number of queries; each value narrows the list by the filter of the same
name to exactly its count; what the caller may not see is not counted; bad requests are 400.

The shared cache of the counts is off here (``FACETS_CACHE_SECONDS = 0``) except in the tests of it, at the
end: the others count what the database holds when they ask."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from companies.models import Company, CompanyStatus
from companies.services import company_suspend
from tests.conftest import MISA
from tests.helpers import get_json

COMPANY_FACETS = ["category", "province", "market", "verified", "maturity"]
PRODUCT_FACETS = [*COMPANY_FACETS, "certified"]
LISTS = [("company-list", COMPANY_FACETS), ("product-list", PRODUCT_FACETS)]


@pytest.fixture(autouse=True)
def _facets_counted_on_every_request(settings):
    settings.FACETS_CACHE_SECONDS = 0


def facets(client, url_name, names, **params):
    body = get_json(client, url_name, {"facets": ",".join(names), **params})
    assert sorted(body["facets"]) == sorted(names)
    return {name: {row["value"]: row["count"] for row in rows} for name, rows in body["facets"].items()}


def _queries(client, url_name, params) -> int:
    with CaptureQueriesContext(connection) as captured:
        get_json(client, url_name, params)
    return len(captured)


def test_company_facets_count_companies_per_value(api_client, registry):
    counts = facets(api_client, "company-list", COMPANY_FACETS)
    assert counts == {
        # A parent category counts the companies with a product in it or in a subcategory, once each.
        "category": {"software": 1, "accounting-software": 1, "telecommunications": 1, "5g-equipment": 1},
        "province": {"01": 1, "48": 1, "79": 1},
        "market": {"JP": 1, "KH": 1, "US": 1},
        "verified": {"true": 1, "false": 2},
        "maturity": {"exported": 1, "pilot": 1},
    }


def test_product_facets_count_products_per_value(api_client, registry):
    counts = facets(api_client, "product-list", PRODUCT_FACETS)
    assert counts == {
        "category": {"software": 1, "accounting-software": 1, "telecommunications": 1, "5g-equipment": 1},
        "province": {"01": 1, "48": 1},
        "market": {"JP": 1, "US": 1},
        "verified": {"true": 1, "false": 1},
        "maturity": {"exported": 1, "pilot": 1},
        "certified": {"true": 1, "false": 1},
    }


def test_a_facet_lists_values_most_frequent_first_with_labels(api_client, registry, make_company):
    make_company(name="Công ty Hai", province="79")
    body = get_json(api_client, "company-list", {"facets": "province,verified"})
    assert body["facets"]["province"][0] == {"value": "79", "label": "Thành phố Hồ Chí Minh", "count": 2}
    assert [row["count"] for row in body["facets"]["province"]] == [2, 1, 1]
    assert body["facets"]["verified"] == [
        {"value": "false", "label": "Not verified", "count": 3},
        {"value": "true", "label": "Verified", "count": 1},
    ]
    markets = get_json(api_client, "company-list", {"facets": "market"})["facets"]["market"]
    assert {"value": "JP", "label": "Japan", "count": 1} in markets


def test_facets_count_the_filtered_results_not_the_page(api_client, registry):
    body = get_json(api_client, "company-list", {"facets": "province,market", "province": "01", "page_size": 1})
    assert body["count"] == 1
    assert body["facets"] == {
        "province": [{"value": "01", "label": "Thành phố Hà Nội", "count": 1}],
        "market": [  # ties in the order of their labels
            {"value": "KH", "label": "Cambodia", "count": 1},
            {"value": "JP", "label": "Japan", "count": 1},
        ],
    }
    everything = get_json(api_client, "company-list", {"facets": "province", "page_size": 1})
    assert len(everything["results"]) == 1
    assert sum(row["count"] for row in everything["facets"]["province"]) == 3
    searched = facets(api_client, "product-list", ["maturity"], search="tram goc")
    assert searched == {"maturity": {"pilot": 1}}


@pytest.mark.parametrize(("url_name", "names"), LISTS, ids=["companies", "products"])
def test_every_facet_value_narrows_the_list_to_its_count(api_client, registry, make_companies, url_name, names):
    make_companies(3)
    counts = facets(api_client, url_name, names)
    assert all(counts.values())
    for name, values in counts.items():
        for value, count in values.items():
            narrowed = get_json(api_client, url_name, {name: value, "page_size": 1})
            assert narrowed["count"] == count, (name, value)


@pytest.mark.parametrize(("url_name", "names"), LISTS, ids=["companies", "products"])
def test_facets_take_a_fixed_number_of_queries(api_client, registry, make_companies, url_name, names):
    plain = _queries(api_client, url_name, {})
    # One GROUP BY per facet; the category tree's also reads the categories.
    with_facets = _queries(api_client, url_name, {"facets": ",".join(names)})
    assert with_facets == plain + len(names) + 1
    make_companies(5)
    assert _queries(api_client, url_name, {"facets": ",".join(names)}) == with_facets


def test_facets_do_not_count_what_the_caller_may_not_see(api_client, registry, make_user, bearer_client):
    officer = make_user("officer", officer=True)
    company_suspend(company=registry["danang"], by=officer, reason="Under investigation.")
    assert facets(api_client, "company-list", ["province"]) == {"province": {"01": 1, "79": 1}}
    assert facets(api_client, "product-list", ["market"]) == {"market": {"JP": 1}}
    officer_counts = facets(bearer_client(officer), "company-list", ["province"])
    assert officer_counts == {"province": {"01": 1, "48": 1, "79": 1}}


def test_a_page_without_facets_has_no_facets_key(api_client, registry):
    assert "facets" not in get_json(api_client, "company-list")


@pytest.mark.parametrize("url_name", ["company-list", "product-list"])
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("province,bogus", "Unknown facet: bogus."),
        ("", "Name at least one facet."),
        (" , ", "Name at least one facet."),
    ],
)
def test_an_unknown_or_empty_facet_is_a_400_listing_the_valid_ones(api_client, registry, url_name, value, message):
    body = get_json(api_client, url_name, {"facets": value}, status=400)
    assert list(body) == ["facets"]
    assert body["facets"][0].startswith(message)
    assert "Valid facets: category, province, market, verified, maturity" in body["facets"][0]


def test_facets_are_refused_on_exports_and_detail_urls(api_client, registry):
    body = get_json(api_client, "company-list", {"facets": "province", "format": "csv"}, status=400)
    assert body == {"facets": ["Facets are counted on JSON pages, not in exports."]}
    url = reverse("company-detail", kwargs={"tax_code": MISA})
    assert api_client.get(url, {"facets": "province"}).status_code == 400


def test_repeated_facets_are_counted_once(api_client, registry):
    body = get_json(api_client, "company-list", {"facets": "province,province"})
    assert list(body["facets"]) == ["province"]


def test_facets_are_in_the_schema(api_client):
    schema = APIClient().get(reverse("schema"), {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/companies/"]["get"]
    parameter = next(p for p in operation["parameters"] if p["name"] == "facets")
    assert parameter["schema"]["items"]["enum"] == COMPANY_FACETS
    assert parameter["explode"] is True  # repeated, as generated clients send arrays; commas work too
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    facets_schema = schema["components"]["schemas"][page]["properties"]["facets"]
    assert sorted(facets_schema["properties"]) == sorted(COMPANY_FACETS)
    item = facets_schema["properties"]["province"]["items"]
    assert item["required"] == ["value", "label", "count"]


def test_facets_follow_filters_on_annotations_and_search(api_client, registry):
    # min_export_revenue filters on the latest-revenue annotation; search ranks by another: neither may
    # change how the facets group.
    params = {
        "facets": "province,verified",
        "min_export_revenue": "200000",
        "search": "cong ty",
        "ordering": "-export_revenue",
    }
    body = get_json(api_client, "company-list", params)
    assert body["count"] == 1
    assert body["facets"]["province"] == [{"value": "01", "label": "Thành phố Hà Nội", "count": 1}]
    assert body["facets"]["verified"] == [{"value": "true", "label": "Verified", "count": 1}]


def test_facet_counts_are_served_from_the_shared_cache_until_it_expires(api_client, registry, make_company, settings):
    """Counts that read every matching row (seconds over the whole registry at national scale): counted once
    for a set of filters, then served for FACETS_CACHE_SECONDS; the page beside them is read each time."""
    settings.FACETS_CACHE_SECONDS = 60
    params = {"facets": "province,market"}
    plain = _queries(api_client, "company-list", {})
    first = get_json(api_client, "company-list", params)
    make_company(name="Công ty Mới", province="79", markets=["JP"])

    assert _queries(api_client, "company-list", params) == plain  # no facet counted
    cached = get_json(api_client, "company-list", params)
    assert cached["count"] == first["count"] + 1  # the page is read now
    assert cached["facets"] == first["facets"]  # the counts are the earlier ones

    cache.clear()  # the window passes
    counts = facets(api_client, "company-list", ["province", "market"])
    assert counts["province"]["79"] == 2
    assert counts["market"]["JP"] == 2


def test_stale_facet_counts_are_served_while_they_are_counted_again_in_the_background(
    api_client, registry, make_company, settings, refreshes, cache_clock
):
    """Past FACETS_CACHE_SECONDS the previous counts are still served, at once, while the first request that
    found them stale has them counted again in the background."""
    settings.FACETS_CACHE_SECONDS = 60
    params = {"facets": "province,market"}
    plain = _queries(api_client, "company-list", {})
    first = get_json(api_client, "company-list", params)
    make_company(name="Công ty Mới", province="79", markets=["JP"])
    cache_clock.now += 61

    assert _queries(api_client, "company-list", params) == plain  # nothing counted by the request
    assert get_json(api_client, "company-list", params)["facets"] == first["facets"]
    assert refreshes.run() == 2  # each facet once
    counts = facets(api_client, "company-list", ["province", "market"])
    assert counts["province"]["79"] == 2
    assert counts["market"]["JP"] == 2


def test_a_representatives_request_serves_stale_counts_but_leaves_their_refresh_to_others(
    client_as, world, settings, refreshes, cache_clock
):
    """A representative of an active company shares the public's counts, but their rows are filtered by what
    they represent, which may no longer match the public's when a refresh would run."""
    settings.FACETS_CACHE_SECONDS = 60
    counted = facets(client_as("anonymous"), "company-list", ["market"])
    cache_clock.now += 61
    assert facets(client_as("representative"), "company-list", ["market"]) == counted
    assert refreshes.waiting == []
    assert facets(client_as("anonymous"), "company-list", ["market"]) == counted
    assert refreshes.run() == 1


def test_cached_facet_counts_are_kept_per_set_of_filters(api_client, registry, settings):
    """Each set of filters has its own counts; the page, its size and order, the fields and the other facets
    asked for do not change which rows match, and share them."""
    settings.FACETS_CACHE_SECONDS = 60
    assert facets(api_client, "company-list", ["province"], province="01") == {"province": {"01": 1}}
    assert facets(api_client, "company-list", ["province"], province="79") == {"province": {"79": 1}}
    assert facets(api_client, "company-list", ["province"]) == {"province": {"01": 1, "48": 1, "79": 1}}
    assert facets(api_client, "product-list", ["province"]) == {"province": {"01": 1, "48": 1}}

    same_rows = {"province": "01", "page_size": 1, "ordering": "-name", "fields": "tax_code", "facets": "market"}
    plain = _queries(api_client, "company-list", {key: same_rows[key] for key in ("province", "page_size")})
    get_json(api_client, "company-list", same_rows)
    same_rows.update(page_size=2, ordering="name", fields="name", facets="province,market")
    assert _queries(api_client, "company-list", same_rows) == plain


def test_cached_facet_counts_count_what_each_caller_may_see(client_as, world, settings):
    """A suspended company counts for officers and for its own representative only: the public's cached
    counts and the officers' are kept apart, and a representative of a company the public does not see
    gets counts made for them, whoever asked first."""
    settings.FACETS_CACHE_SECONDS = 60
    Company.objects.filter(pk=world.own.pk).update(status=CompanyStatus.SUSPENDED)

    def japan(role, url_name="company-list"):
        return facets(client_as(role), url_name, ["market"])["market"].get("JP", 0)

    assert japan("officer") == 1  # counted for officers first
    assert japan("anonymous") == 0
    assert japan("other_representative") == 0  # represents an active company: the public's counts
    assert japan("read_key") == japan("representative") == 1  # their own company, and their app
    assert japan("anonymous") == 0
    assert japan("anonymous", "product-list") == 0
    assert japan("representative", "product-list") == japan("officer", "product-list") == 1
