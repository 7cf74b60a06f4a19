"""Every invalid query is a 400 with a JSON body naming the parameter; nothing under /api/ answers HTML."""

import pytest
from django.urls import reverse

from tests.helpers import get_json

COMPANY_400 = [
    ({"province": "99"}, "province"),
    ({"province": "1"}, "province"),  # codes are zero-padded
    ({"market": "XX"}, "market"),
    ({"market": "VN"}, "market"),  # the home country is not a market
    ({"market": "JP,XX"}, "market"),
    ({"market": "JPN"}, "market"),
    ({"category": "nope"}, "category"),
    ({"ownership": "bogus"}, "ownership"),
    ({"founded_from": "abc"}, "founded_from"),
    ({"founded_to": "1800"}, "founded_to"),
    ({"min_export_revenue": "-5"}, "min_export_revenue"),
    ({"min_export_revenue": "lots"}, "min_export_revenue"),
    ({"verified": "maybe"}, "verified"),
    ({"ordering": "bogus"}, "ordering"),
    ({"ordering": "tax_code"}, "ordering"),
    ({"founded_from": "2020", "founded_to": "2000"}, "founded_to"),
    ({"page_size": "0"}, "page_size"),
    ({"page_size": "1000"}, "page_size"),
    ({"page_size": "-1"}, "page_size"),
    ({"page_size": "ten"}, "page_size"),
    ({"page": "abc"}, "page"),
    ({"page": "0"}, "page"),
    ({"provnce": "01"}, "provnce"),
    ({"search": "x" * 201}, "search"),
]

PRODUCT_400 = [
    ({"category": "nope"}, "category"),
    ({"company": "0100684378"}, "company"),  # valid code, not in the registry
    ({"market": "VN"}, "market"),
    ({"standard": "nope"}, "standard"),
    ({"certified": "maybe"}, "certified"),
    ({"maturity": "bogus"}, "maturity"),
    ({"ordering": "founded_year"}, "ordering"),
    ({"page_size": "101"}, "page_size"),
    ({"sort": "name"}, "sort"),
    ({"search": "x" * 201}, "search"),
]


def assert_400_naming(client, url_name, params, parameter):
    body = get_json(client, url_name, params, status=400)
    assert list(body) == [parameter]
    messages = body[parameter]
    assert isinstance(messages, list) and messages and all(isinstance(m, str) and m for m in messages)
    return messages


@pytest.mark.parametrize(("params", "parameter"), COMPANY_400, ids=lambda value: str(value)[:40])
def test_company_list_rejects(api_client, db, params, parameter):
    assert_400_naming(api_client, "company-list", params, parameter)


@pytest.mark.parametrize(("params", "parameter"), PRODUCT_400, ids=lambda value: str(value)[:40])
def test_product_list_rejects(api_client, db, params, parameter):
    assert_400_naming(api_client, "product-list", params, parameter)


def test_province_error_lists_the_valid_codes(api_client, db):
    (message,) = assert_400_naming(api_client, "company-list", {"province": "99"}, "province")
    assert "“99”" in message
    assert "01" in message and "79" in message


def test_home_country_error_explains_why(api_client, db):
    (message,) = assert_400_naming(api_client, "company-list", {"market": "vn"}, "market")
    assert "home country" in message


def test_unknown_parameter_error_lists_the_valid_ones(api_client, db):
    (message,) = assert_400_naming(api_client, "company-list", {"provnce": "01"}, "provnce")
    assert "province" in message and "page_size" in message


def test_several_invalid_parameters_are_all_named(api_client, db):
    body = get_json(api_client, "company-list", {"province": "99", "verified": "maybe"}, status=400)
    assert set(body) == {"province", "verified"}


def test_format_parameter_is_allowed(api_client, registry):
    assert get_json(api_client, "company-list", {"format": "json"})["count"] == 3


def test_superscript_digit_page_size_is_a_400(api_client, db):
    # str.isdigit() is true for "²", which int() cannot parse: this must not be a 500.
    assert_400_naming(api_client, "company-list", {"page_size": "²"}, "page_size")


def test_superscript_digit_page_is_a_400(api_client, db):
    assert_400_naming(api_client, "company-list", {"page": "²"}, "page")


# --- pagination ---------------------------------------------------------------------------------------


def test_page_size_bounds_are_accepted(api_client, registry):
    assert len(get_json(api_client, "company-list", {"page_size": "1"})["results"]) == 1
    assert len(get_json(api_client, "company-list", {"page_size": "100"})["results"]) == 3


def test_pages_link_to_each_other(api_client, registry):
    first = get_json(api_client, "company-list", {"page_size": 2})
    assert first["count"] == 3 and first["previous"] is None
    assert "page=2" in first["next"] and "page_size=2" in first["next"]
    second = api_client.get(first["next"]).json()
    assert second["next"] is None
    assert len(second["results"]) == 1


def test_page_past_the_end_is_404_naming_the_page(api_client, registry):
    body = get_json(api_client, "company-list", {"page": "9"}, status=404)
    assert list(body) == ["detail"]  # the documented error shape
    assert body["detail"].startswith("Page 9 does not exist")


def test_default_page_size_is_20(api_client, make_company):
    for index in range(21):
        make_company(name=f"Công ty {index:02d}")
    body = get_json(api_client, "company-list")
    assert body["count"] == 21
    assert len(body["results"]) == 20


# --- JSON everywhere under /api/ ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nope/",
        "/api/v1/nope",
        "/api/nope/",
        "/api/v2/companies/",
        "/api/v1/provinces/1/",
        "/api/v1/companies/abc/",
    ],
)
def test_unknown_urls_under_api_are_404_json(api_client, db, path):
    response = api_client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


@pytest.mark.parametrize(
    ("url_name", "kwargs"),
    [
        ("category-detail", {"slug": "nope"}),
        ("standard-detail", {"code": "nope"}),
        ("province-detail", {"code": "99"}),
    ],
)
def test_unknown_objects_are_404_json(api_client, db, url_name, kwargs):
    body = get_json(api_client, url_name, status=404, **kwargs)
    assert set(body) == {"detail"}


def test_outside_api_errors_are_not_rewritten(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_root_serves_the_public_page(client, db):
    # The public page (web/, tested in tests/web/) links to the docs; it is HTML, never rewritten to JSON.
    response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert 'href="/api/docs/"' in response.text


def test_docs_page_is_served(client, db):
    response = client.get(reverse("swagger-ui"))
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_400_body_names_the_parameter_when_html_is_preferred(api_client, db):
    # A browser's Accept header selects the browsable API; the error must still be the JSON naming the
    # parameter, not a generic {"detail": "Bad Request"}.
    response = api_client.get(reverse("company-list"), {"province": "99"}, HTTP_ACCEPT=BROWSER_ACCEPT)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()) == ["province"]


def test_404_under_api_is_json_even_when_html_is_preferred(api_client, db):
    response = api_client.get(reverse("company-detail", kwargs={"tax_code": "0100684378"}), HTTP_ACCEPT=BROWSER_ACCEPT)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_browsable_api_still_renders_successful_pages(api_client, registry):
    response = api_client.get(reverse("company-list"), {"format": "api"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "Công ty Cổ phần MISA" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"ordering": ","}, "ordering"),
        ({"ordering": "name,"}, "ordering"),
        ({"market": ","}, "market"),
        ({"market": "JP,"}, "market"),
        ({"market": " "}, "market"),
    ],
)
def test_empty_items_of_a_list_are_a_400(api_client, registry, params, parameter):
    assert_400_naming(api_client, "company-list", params, parameter)


def test_a_repeated_parameter_is_a_400_not_last_one_wins(api_client, registry):
    response = api_client.get(reverse("company-list") + "?province=01&province=48")
    assert response.status_code == 400
    assert list(response.json()) == ["province"]


def test_too_many_query_parameters_is_a_400_json(api_client, db):
    query = "&".join(f"p{index}=1" for index in range(1100))
    response = api_client.get(reverse("company-list") + "?" + query)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


def test_api_without_trailing_slash_is_json(api_client, db):
    response = api_client.get("/api")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_invalid_values_say_what_is_valid(api_client, registry):
    (ordering,) = assert_400_naming(api_client, "company-list", {"ordering": "size"}, "ordering")
    assert "founded_year" in ordering and "-export_revenue" in ordering
    (year,) = assert_400_naming(api_client, "company-list", {"founded_from": "abc"}, "founded_from")
    assert "1900" in year and "2100" in year
