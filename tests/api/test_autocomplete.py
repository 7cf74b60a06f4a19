"""``GET /api/v1/autocomplete/?q=``: company and product names for what was typed so far; accent- and
case-insensitive, whole-prefix matches first, then names in which every typed word begins a word; at most
ten of each; only what the caller may see; a fixed, small number of queries; bad input is a 400."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from companies.services import company_suspend
from tests.conftest import DANANG_SOFT, MISA
from tests.helpers import get_json


@pytest.fixture(autouse=True)
def _roomy_time_budget(settings):
    """These tests check which names are suggested, in what order: the later tiers' time budget is raised.
    The production one (12 ms on PostgreSQL) can run out on a 2-core CI machine under load, which then leaves
    a tier's names out (a CI run did: "Phần mềm cho kế hoạch" missing from the third tier, in a 36 ms
    request). The budget is still set, so the reads take the same path; tests/registry/test_suggestion_reads.py
    tests what happens when it runs out."""
    settings.SUGGESTION_MILLISECONDS = 2000


def suggest(client, q, status=200):
    return get_json(client, "autocomplete", {"q": q}, status=status)


def company_names(body):
    return [row["name"] for row in body["companies"]]


def product_names(body):
    return [row["name"] for row in body["products"]]


def test_a_suggestion_has_its_kind_id_name_and_url(api_client, registry):
    body = suggest(api_client, "misa")
    assert body["query"] == "misa"
    assert body["companies"] == [
        {
            "kind": "company",
            "id": MISA,
            "name": "Công ty Cổ phần MISA",
            "url": "http://testserver" + reverse("company-detail", kwargs={"tax_code": MISA}),
        }
    ]
    product = registry["accounting"]
    assert body["products"] == [
        {
            "kind": "product",
            "id": product.pk,
            "name": "Phần mềm kế toán MISA SME",
            "company": MISA,
            "company_name": "Công ty Cổ phần MISA",
            "url": "http://testserver" + reverse("product-detail", kwargs={"pk": product.pk}),
        }
    ]


@pytest.mark.parametrize("typed", ["đà nẵng", "da nang", "DA NĂNG", "Đà", "phan mem da"])
def test_accents_and_case_do_not_matter(api_client, registry, typed):
    assert company_names(suggest(api_client, typed)) == ["Công ty TNHH Phần mềm Đà Nẵng"]


def test_the_last_word_may_be_unfinished(api_client, registry):
    assert product_names(suggest(api_client, "tram g")) == ["Trạm gốc 5G"]
    assert product_names(suggest(api_client, "phan mem ke")) == ["Phần mềm kế toán MISA SME"]


def test_a_word_must_begin_a_word_of_the_name(api_client, registry):
    # "isa" is inside "MISA", at no word start: not a suggestion (the list's search finds it).
    assert suggest(api_client, "isa") == {"query": "isa", "companies": [], "products": []}


def test_names_beginning_with_the_text_come_first(api_client, registry, make_company):
    make_company(name="Phần mềm Việt")  # begins with the text
    make_company(name="Công ty Phần mềm Bắc")  # every word begins a word, later in the name
    make_company(name="Phần cứng và mềm dẻo")  # every word begins a word, not the whole text
    names = company_names(suggest(api_client, "phần mềm"))
    assert names[0] == "Phần mềm Việt"
    # Then in the order of their folded names: "cong ty phan mem bac" < "cong ty tnhh ..." < "phan cung ...".
    assert names[1:] == ["Công ty Phần mềm Bắc", "Công ty TNHH Phần mềm Đà Nẵng", "Phần cứng và mềm dẻo"]


def test_at_most_ten_of_each_kind(api_client, make_companies):
    make_companies(12)  # 12 companies, 24 products, all named "Batch ..."
    body = suggest(api_client, "batch")
    assert len(body["companies"]) == 10
    assert len(body["products"]) == 10
    assert company_names(body) == sorted(company_names(body))


def test_only_what_the_caller_may_see_is_suggested(api_client, registry, make_user, bearer_client):
    officer = make_user("officer", officer=True)
    company_suspend(company=registry["danang"], by=officer, reason="Under investigation.")
    anonymous = suggest(api_client, "tram goc")
    assert anonymous == {"query": "tram goc", "companies": [], "products": []}
    assert company_names(suggest(api_client, "da nang")) == []
    as_officer = suggest(bearer_client(officer), "da nang")
    assert [row["id"] for row in as_officer["companies"]] == [DANANG_SOFT]


def test_it_takes_a_fixed_small_number_of_queries(api_client, make_companies):
    make_companies(12)

    def selects(q) -> int:
        # On PostgreSQL the later tiers also set their time limit (SAVEPOINT, SET LOCAL): not queries.
        with CaptureQueriesContext(connection) as captured:
            suggest(api_client, q)
        return sum(query["sql"].startswith("SELECT") for query in captured)

    assert selects("batch") == 2  # the first tier fills both kinds
    # At most three tiers a kind; on PostgreSQL a later tier is read a second time (through the trigram index)
    # only when reading names in order runs out of its time, which these few rows never do.
    assert selects("company 00") <= 6


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "!?-"}, "q"),
        ({"q": "x" * 101}, "q"),
        ({"q": "misa", "limit": "5"}, "limit"),
    ],
    ids=["missing", "empty", "blank", "no-letter", "too-long", "unknown-parameter"],
)
def test_bad_input_is_a_400_naming_the_parameter(api_client, registry, params, field):
    response = api_client.get(reverse("autocomplete"), params)
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_autocomplete_is_in_the_schema():
    schema = APIClient().get(reverse("schema"), {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/autocomplete/"]["get"]
    assert [(p["name"], p["required"]) for p in operation["parameters"]] == [("q", True)]
    assert set(operation["responses"]) >= {"200", "400"}


def test_typed_words_together_come_before_words_apart(api_client, make_company):
    make_company(name="Phần mềm cho kế hoạch")  # every word begins a word, apart
    make_company(name="Công ty Giải pháp Phần mềm Kế toán")  # the words together, inside the name
    make_company(name="Phần mềm kế toán Bắc")  # begins with them
    assert company_names(suggest(api_client, "phan mem ke")) == [
        "Phần mềm kế toán Bắc",
        "Công ty Giải pháp Phần mềm Kế toán",
        "Phần mềm cho kế hoạch",
    ]
