"""``?fields=``: companies and products answered with only the named top-level fields, in lists, on
detail URLs and in exports; unknown names are a 400 listing the valid ones."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from tests.conftest import DANANG_SOFT, GIAI_PHAP_SO, MISA
from tests.helpers import get_json


def test_a_company_list_answers_only_the_named_fields(api_client, registry):
    body = get_json(api_client, "company-list", {"fields": "tax_code,name,markets"})
    assert body["count"] == 3
    for row in body["results"]:
        assert list(row) == ["tax_code", "name", "markets"]
    misa = next(row for row in body["results"] if row["tax_code"] == MISA)
    assert misa == {"tax_code": MISA, "name": "Công ty Cổ phần MISA", "markets": ["JP", "KH"]}


def test_the_order_of_the_response_is_the_schema_order_whatever_the_order_asked(api_client, registry):
    body = get_json(api_client, "company-list", {"fields": "markets, name ,tax_code"})
    assert list(body["results"][0]) == ["tax_code", "name", "markets"]


def test_a_company_detail_answers_only_the_named_fields(api_client, registry):
    body = get_json(api_client, "company-detail", {"fields": "tax_code,products"}, tax_code=MISA)
    assert list(body) == ["tax_code", "products"]
    assert [product["name"] for product in body["products"]] == ["Phần mềm kế toán MISA SME"]
    # Naming a field the caller may not read does not reveal it.
    hidden = get_json(api_client, "company-detail", {"fields": "tax_code,contact_persons"}, tax_code=MISA)
    assert hidden == {"tax_code": MISA}


def test_product_list_and_detail_answer_only_the_named_fields(api_client, registry):
    body = get_json(api_client, "product-list", {"fields": "id,name,company"})
    assert all(list(row) == ["id", "name", "company"] for row in body["results"])
    product = registry["accounting"]
    detail = get_json(api_client, "product-detail", {"fields": "name,certified"}, pk=product.pk)
    assert detail == {"name": "Phần mềm kế toán MISA SME", "certified": True}


def selects_of(client, url_name: str, params: dict, **url_kwargs) -> list[str]:
    """The SELECT statements of one request that read the registry (not the rate limit's cache)."""
    with CaptureQueriesContext(connection) as captured:
        get_json(client, url_name, params, **url_kwargs)
    return [
        each["sql"] for each in captured if each["sql"].startswith("SELECT") and "registry_cache" not in each["sql"]
    ]


def test_what_only_the_fields_left_out_need_is_not_read(api_client, registry):
    # The whole list row: the page joins the provinces, and its market countries and latest export revenue
    # are correlated subqueries.
    (count, page) = selects_of(api_client, "company-list", {})
    assert all(table in page for table in ("companies_province", "companies_exportmarket", "companies_exportrevenue"))
    (count, page) = selects_of(api_client, "company-list", {"fields": "tax_code,name"})
    assert not any(
        table in page for table in ("companies_province", "companies_exportmarket", "companies_exportrevenue")
    )
    (count, page) = selects_of(api_client, "company-list", {"fields": "tax_code,markets"})
    assert "companies_exportmarket" in page
    assert not any(table in page for table in ("companies_province", "companies_exportrevenue"))
    (count, page) = selects_of(api_client, "company-list", {"fields": "name,latest_export_revenue"})
    assert "companies_exportrevenue" in page
    assert not any(table in page for table in ("companies_province", "companies_exportmarket"))


def test_a_company_page_reads_only_the_related_rows_of_the_fields_asked_for(api_client, registry):
    # The whole page: the company, its products, markets, the markets' products and its revenue figures.
    assert len(selects_of(api_client, "company-detail", {}, tax_code=MISA)) == 5
    assert len(selects_of(api_client, "company-detail", {"fields": "tax_code,name,markets"}, tax_code=MISA)) == 1
    products_only = selects_of(api_client, "company-detail", {"fields": "tax_code,products"}, tax_code=MISA)
    assert len(products_only) == 2
    assert "products_category" in products_only[1]
    assert len(selects_of(api_client, "company-detail", {"fields": "export_markets"}, tax_code=MISA)) == 3


def test_a_product_list_reads_only_the_related_rows_of_the_fields_asked_for(api_client, registry):
    # The whole row: company, category and sources joined, the standards prefetched.
    (count, page, standards) = selects_of(api_client, "product-list", {})
    assert "products_standard" in standards
    (count, page) = selects_of(api_client, "product-list", {"fields": "id,name"})
    assert not any(table in page for table in ("products_category", "companies_source", "products_standard"))
    (count, page) = selects_of(api_client, "product-list", {"fields": "id,category"})
    assert "products_category" in page


def test_a_field_left_out_still_filters_and_orders(api_client, registry):
    body = get_json(api_client, "company-list", {"fields": "tax_code", "ordering": "-export_revenue"})
    assert [row["tax_code"] for row in body["results"]] == [MISA, DANANG_SOFT, GIAI_PHAP_SO]
    body = get_json(api_client, "company-list", {"fields": "tax_code", "min_export_revenue": "500000"})
    assert [row["tax_code"] for row in body["results"]] == [MISA]
    body = get_json(api_client, "company-list", {"fields": "tax_code", "market": "US"})
    assert [row["tax_code"] for row in body["results"]] == [DANANG_SOFT]


def test_fields_choose_the_columns_of_an_export(api_client, registry):
    response = api_client.get(reverse("company-list"), {"fields": "tax_code,name", "format": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows[0]) == 2
    assert len(rows) == 4
    assert [MISA, "Công ty Cổ phần MISA"] in rows


@pytest.mark.parametrize(
    ("value", "message"),
    [("tax_code,bogus", "Unknown field: bogus."), ("", "Name at least one field."), (",", "Name at least one field.")],
)
def test_an_unknown_or_empty_field_list_is_a_400_listing_the_valid_ones(api_client, registry, value, message):
    body = get_json(api_client, "company-list", {"fields": value}, status=400)
    assert list(body) == ["fields"]
    assert body["fields"][0].startswith(message)
    assert "Valid fields: tax_code, name, name_en," in body["fields"][0]


def test_detail_fields_are_checked_against_the_detail_shape(api_client, registry):
    # products is a field of the company page, not of the list rows.
    assert get_json(api_client, "company-detail", {"fields": "products"}, tax_code=MISA)
    body = get_json(api_client, "company-list", {"fields": "products"}, status=400)
    assert body["fields"][0].startswith("Unknown field: products.")


def test_fields_is_not_a_parameter_of_other_resources(api_client, registry):
    assert get_json(api_client, "category-list", {"fields": "slug"}, status=400)["fields"][0].startswith(
        "Unknown query parameter."
    )


def test_writes_answer_every_field_whatever_the_query_string(world, bearer_client):
    client = bearer_client(world.rep)
    url = reverse("company-detail", kwargs={"tax_code": world.own.tax_code})
    response = client.patch(f"{url}?fields=name", {"name_en": "Home Software"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["fields"]


def test_fields_are_in_the_schema():
    schema = APIClient().get(reverse("schema"), {"format": "json"}).json()
    for path, shape in [("/api/v1/companies/", "Company"), ("/api/v1/companies/{tax_code}/", "CompanyDetail")]:
        parameter = next(p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == "fields")
        assert parameter["schema"]["items"]["enum"] == list(schema["components"]["schemas"][shape]["properties"])


def test_fields_may_be_repeated_as_generated_clients_send_arrays(api_client, registry):
    body = get_json(api_client, "company-list", {"fields": ["tax_code", "name,markets"]})
    assert all(list(row) == ["tax_code", "name", "markets"] for row in body["results"])
    # Other parameters still take one value.
    assert list(get_json(api_client, "company-list", {"province": ["01", "79"]}, status=400)) == ["province"]
