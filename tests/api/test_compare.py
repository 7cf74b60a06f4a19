"""GET /api/v1/companies/compare/?tax_codes=A,B: 2 to 10 companies side by side, in the order asked, in a fixed
number of queries; every bad query a 400 naming ``tax_codes``; hidden companies reported like unknown ones."""

import datetime
from decimal import Decimal
from itertools import islice

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from companies.models import MarketKind
from companies.services import company_suspend, export_market_create, export_revenue_create
from tests.conftest import DANANG_SOFT, GIAI_PHAP_SO, MISA, valid_tax_codes

COMPARE = "/api/v1/companies/compare/"
# The companies, then one grouped query each for products, standards, markets and revenue figures.
COMPARE_QUERIES = 5
UNKNOWN = "0100684378"  # a valid enterprise code that no company in the tests has

COMPANY_FIELDS = {
    "tax_code",
    "name",
    "name_en",
    "short_name",
    "url",
    "province",
    "founded_year",
    "ownership",
    "size_band",
    "website",
    "status",
    "verified",
    "verification",
    "verified_at",
    "products",
    "certifications",
    "markets",
    "export_revenue",
}


def compare(client, *codes, status: int = 200, **params):
    response = client.get(COMPARE, {"tax_codes": ",".join(codes), **params})
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def compared_codes(body) -> list[str]:
    return [company["tax_code"] for company in body["companies"]]


def tax_codes_errors(client, params) -> list[str]:
    """The messages of a 400 whose body names only ``tax_codes``."""
    response = client.get(COMPARE, params)
    assert response.status_code == 400, response.content[:500]
    body = response.json()
    assert list(body) == ["tax_codes"], body
    return body["tax_codes"]


# --- answers -----------------------------------------------------------------------------------------------


def test_two_companies_side_by_side(api_client, registry):
    body = compare(api_client, MISA, GIAI_PHAP_SO)

    assert set(body) == {"companies", "years"}
    assert body["years"] == [2024, 2023]
    misa, giai_phap = body["companies"]
    assert set(misa) == COMPANY_FIELDS
    assert misa["tax_code"] == MISA
    assert misa["name"] == "Công ty Cổ phần MISA"
    assert misa["url"] == f"http://testserver/api/v1/companies/{MISA}/"
    assert misa["province"] == {"code": "01", "name": "Thành phố Hà Nội"}
    assert (misa["verified"], misa["verification"], misa["status"]) == (True, "verified", "active")
    assert misa["verified_at"] is not None
    assert misa["products"] == {
        "total": 1,
        "by_maturity": {"research": 0, "pilot": 0, "commercial": 0, "exported": 1},
        "by_category": [
            {
                "category": {
                    "slug": "accounting-software",
                    "name": "Phần mềm kế toán",
                    "name_en": "Accounting software",
                },
                "products": 1,
                "certified": 1,
            }
        ],
    }
    assert misa["certifications"] == {
        "make_in_vietnam": {"products": 1, "first_certified_on": "2021-03-15", "latest_certified_on": "2021-03-15"},
        "standards": [{"standard": {"code": "iso-iec-7816", "name": "ISO/IEC 7816"}, "products": 1}],
    }
    assert misa["markets"] == [
        {"country": "JP", "country_name": "Japan", "kinds": ["export_sales"], "since_year": None, "products": 1},
        {"country": "KH", "country_name": "Cambodia", "kinds": ["export_sales"], "since_year": None, "products": 0},
    ]
    # Per year: the total over all markets, and the per-country figures beside it (not added to it).
    assert list(misa["export_revenue"][0]["countries"][0]) == ["country", "country_name", "amount_usd", "verified"]
    assert misa["export_revenue"] == [
        {
            "year": 2024,
            "total": {"amount_usd": "900000.00", "verified": True},
            "countries": [{"country": "JP", "country_name": "Japan", "amount_usd": "10000000.00", "verified": True}],
        },
        {"year": 2023, "total": {"amount_usd": "500000.00", "verified": True}, "countries": []},
    ]

    # A company with nothing yet: the same shape, empty.
    assert (giai_phap["verified"], giai_phap["verification"], giai_phap["verified_at"]) == (False, "unverified", None)
    assert giai_phap["products"] == {
        "total": 0,
        "by_maturity": {"research": 0, "pilot": 0, "commercial": 0, "exported": 0},
        "by_category": [],
    }
    assert giai_phap["certifications"] == {
        "make_in_vietnam": {"products": 0, "first_certified_on": None, "latest_certified_on": None},
        "standards": [],
    }
    assert (giai_phap["markets"], giai_phap["export_revenue"]) == ([], [])


def test_the_order_asked_is_kept(api_client, registry):
    assert compared_codes(compare(api_client, GIAI_PHAP_SO, MISA, DANANG_SOFT)) == [GIAI_PHAP_SO, MISA, DANANG_SOFT]
    assert compared_codes(compare(api_client, DANANG_SOFT, GIAI_PHAP_SO)) == [DANANG_SOFT, GIAI_PHAP_SO]


def test_codes_are_written_as_anywhere_in_the_api(api_client, registry):
    body = compare(api_client, " 0101 243 150", "0100.109.106 ")
    assert compared_codes(body) == [MISA, DANANG_SOFT]


def test_a_branch_code(api_client, make_company):
    head = make_company(name="Công ty mẹ", tax_code=MISA)
    branch = make_company(name="Chi nhánh Đà Nẵng", tax_code=f"{MISA}-001")
    assert compared_codes(compare(api_client, branch.tax_code, head.tax_code)) == [f"{MISA}-001", MISA]


def test_ten_companies(api_client, make_companies):
    companies = make_companies(10)
    codes = [company.tax_code for company in reversed(companies)]
    body = compare(api_client, *codes)
    assert compared_codes(body) == codes
    for row in body["companies"]:
        assert row["products"]["total"] == 2
        assert [category["category"]["slug"] for category in row["products"]["by_category"]] == [
            "accounting-software",  # Software › Accounting software
            "5g-equipment",  # Telecommunications › 5G equipment: the tree's order
        ]
        assert row["certifications"]["make_in_vietnam"]["products"] == 1
        assert [standard["products"] for standard in row["certifications"]["standards"]] == [2, 2]
        assert [(market["country"], market["products"]) for market in row["markets"]] == [("JP", 2), ("US", 1)]
        assert [year["year"] for year in row["export_revenue"]] == [2024, 2023]
    assert body["years"] == [2024, 2023]


def test_a_market_of_several_kinds_is_one_country(api_client, registry, source):
    misa = registry["misa"]
    export_market_create(company=misa, country="JP", kind=MarketKind.OFFICE, since_year=2012, source=source)
    export_market_create(company=misa, country="JP", kind=MarketKind.PARTNERSHIP, since_year=2008, source=source)
    body = compare(api_client, MISA, DANANG_SOFT)
    japan = body["companies"][0]["markets"][0]
    assert japan == {
        "country": "JP",
        "country_name": "Japan",
        "kinds": ["export_sales", "office", "partnership"],
        "since_year": 2008,
        "products": 1,  # the product sold there counts once
    }


def test_certification_dates_span_the_company_s_products(api_client, registry, make_product):
    misa = registry["misa"]
    make_product(misa, name="Hoá đơn điện tử", category="accounting", certified_on=datetime.date(2023, 6, 1))
    make_product(misa, name="Trạm 5G thử nghiệm", category="5g", maturity="research")
    row = compare(api_client, MISA, DANANG_SOFT)["companies"][0]
    assert row["certifications"]["make_in_vietnam"] == {
        "products": 2,
        "first_certified_on": "2021-03-15",
        "latest_certified_on": "2023-06-01",
    }
    assert row["products"]["total"] == 3
    assert row["products"]["by_maturity"] == {"research": 1, "pilot": 0, "commercial": 1, "exported": 1}
    assert [(c["category"]["slug"], c["products"], c["certified"]) for c in row["products"]["by_category"]] == [
        ("accounting-software", 2, 2),
        ("5g-equipment", 1, 0),
    ]


@pytest.mark.parametrize("count", [2, 10])
def test_query_count_does_not_grow_with_the_companies(api_client, make_companies, django_assert_num_queries, count):
    codes = [company.tax_code for company in make_companies(count)]
    with django_assert_num_queries(COMPARE_QUERIES):
        body = compare(api_client, *codes)
    assert len(body["companies"]) == count


def test_query_count_for_a_representative_does_not_grow_either(make_companies, make_user, bearer_client):
    companies = make_companies(10)
    client = bearer_client(make_user("rep", represents=companies))
    counts = []
    for count in (2, 10):
        with CaptureQueriesContext(connection) as queries:
            compare(client, *[company.tax_code for company in companies[:count]])
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_answers_vary_with_the_caller(api_client, registry):
    response = api_client.get(COMPARE, {"tax_codes": f"{MISA},{DANANG_SOFT}"})
    vary = {header.strip() for header in response["Vary"].split(",")}
    assert {"Authorization", "Cookie"} <= vary


# --- who sees what -----------------------------------------------------------------------------------------


@pytest.fixture
def unverified_figure(world, source):
    """An unverified 2024 total of ``world.own``: only its representatives and officers read it."""
    return export_revenue_create(company=world.own, year=2024, amount_usd=Decimal(5000), source=source)


@pytest.mark.parametrize(
    ("role", "sees_unverified"),
    [
        ("anonymous", False),
        ("representative", True),
        ("other_representative", False),
        ("officer", True),
        ("read_key", False),  # an app acting for the representative reads the public view
    ],
)
def test_unverified_revenue_only_for_who_may_read_it(world, client_as, unverified_figure, role, sees_unverified):
    own = compare(client_as(role), world.own.tax_code, world.other.tax_code)["companies"][0]
    years = {year["year"]: year["total"] for year in own["export_revenue"]}
    if sees_unverified:
        assert years == {
            2024: {"amount_usd": "5000.00", "verified": False},
            2023: {"amount_usd": "1000.00", "verified": True},
        }
    else:
        assert years == {2023: {"amount_usd": "1000.00", "verified": True}}


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        ("anonymous", False),
        ("representative", True),
        ("other_representative", False),
        ("officer", True),
        ("read_key", True),  # an app sees the companies its key's owner may see
        ("stranger_write_key", False),
    ],
)
def test_a_suspended_company_is_compared_only_by_who_may_see_it(world, client_as, role, visible):
    company_suspend(company=world.own, by=world.officer, reason="Ngừng hoạt động")
    client = client_as(role)
    if visible:
        body = compare(client, world.own.tax_code, world.other.tax_code)
        assert body["companies"][0]["status"] == "suspended"
    else:
        hidden = tax_codes_errors(client, {"tax_codes": f"{world.own.tax_code},{world.other.tax_code}"})
        unknown = tax_codes_errors(client, {"tax_codes": f"{UNKNOWN},{world.other.tax_code}"})
        # Word for word what a code of no company gets: the answer does not tell that it exists.
        assert hidden == [message.replace(UNKNOWN, world.own.tax_code) for message in unknown]


# --- bad queries -------------------------------------------------------------------------------------------


def test_unknown_codes_are_listed(api_client, registry):
    other_unknown = next(code for code in valid_tax_codes("03") if code != GIAI_PHAP_SO)
    messages = tax_codes_errors(api_client, {"tax_codes": f"{MISA},{UNKNOWN},{other_unknown}"})
    assert messages == [
        f"No company in the registry has the enterprise code “{UNKNOWN}”.",
        f"No company in the registry has the enterprise code “{other_unknown}”.",
    ]


@pytest.mark.parametrize(
    ("tax_codes", "expected"),
    [
        (MISA, "Give 2 to 10 enterprise codes, separated by commas (1 given)."),
        (",".join(islice(valid_tax_codes("05"), 11)), "Give 2 to 10 enterprise codes, separated by commas (11 given)."),
        (f"{MISA},{MISA}", f"“{MISA}” is given more than once: compare distinct companies."),
        (f"{MISA},0101.243.150", f"“{MISA}” is given more than once: compare distinct companies."),
        (f"{MISA},", "An empty enterprise code: remove the extra comma."),
        (f"{MISA},,{DANANG_SOFT}", "An empty enterprise code: remove the extra comma."),
        (f"{MISA},abc", "“abc”: An enterprise code has 10 digits, or 13 for a branch (NNNNNNNNNN-NNN)."),
        (f"{MISA},0101243151", "“0101243151”: The check digit (10th digit) of this enterprise code is wrong."),
        (
            f"{MISA},01012431x0",
            "“01012431x0”: An enterprise code contains only digits (spaces, dots and one dash are ignored).",
        ),
        ("", "This field may not be blank."),
    ],
    ids=[
        "one",
        "eleven",
        "duplicate",
        "duplicate-written-differently",
        "trailing-comma",
        "empty-item",
        "short",
        "check-digit",
        "letters",
        "blank",
    ],
)
def test_bad_tax_codes_are_a_400(api_client, registry, tax_codes, expected):
    assert expected in tax_codes_errors(api_client, {"tax_codes": tax_codes})


def test_tax_codes_is_required(api_client, registry):
    assert tax_codes_errors(api_client, {}) == ["This field is required."]


def test_an_unknown_parameter_is_a_400(api_client, registry):
    response = api_client.get(COMPARE, {"tax_codes": f"{MISA},{DANANG_SOFT}", "page": "2"})
    assert response.status_code == 400
    [message] = response.json()["page"]
    assert message == "Unknown query parameter. Valid parameters: format, tax_codes."


def test_a_repeated_parameter_is_a_400(api_client, registry):
    response = api_client.get(f"{COMPARE}?tax_codes={MISA}&tax_codes={DANANG_SOFT}")
    assert response.status_code == 400
    assert list(response.json()) == ["tax_codes"]


def test_format_json_is_accepted(api_client, registry):
    assert len(compare(api_client, MISA, DANANG_SOFT, format="json")["companies"]) == 2


def test_only_get(api_client, registry, world, bearer_client):
    assert bearer_client(world.officer).post(f"{COMPARE}?tax_codes={MISA},{DANANG_SOFT}").status_code == 405


# --- routing and schema ------------------------------------------------------------------------------------


def test_the_route_does_not_clash_with_a_company_s_page(api_client, registry):
    assert reverse("company-compare") == COMPARE
    match = resolve(COMPARE)
    assert match.url_name == "company-compare"
    # The action's accepted parameters reach the view instance (DRF passes @action kwargs to as_view()).
    assert match.func.initkwargs["query_parameters"] == {"tax_codes"}
    assert resolve(f"/api/v1/companies/{MISA}/").url_name == "company-detail"
    assert api_client.get(f"/api/v1/companies/{MISA}/").json()["tax_code"] == MISA


def test_the_schema_documents_the_operation(db):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/companies/compare/"]["get"]
    [parameter] = operation["parameters"]
    assert (parameter["name"], parameter["in"], parameter["required"]) == ("tax_codes", "query", True)
    assert parameter["examples"]
    assert set(operation["responses"]) == {"200", "400", "401", "406", "429"}
    components = schema["components"]["schemas"]
    for name in ("Comparison", "ComparedCompany", "ComparedYearRevenue", "ComparedMarketPresence"):
        properties = components[name]["properties"]
        assert all(field.get("readOnly") for field in properties.values()), name
        assert set(components[name]["required"]) == set(properties), name
