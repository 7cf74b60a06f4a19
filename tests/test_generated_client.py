"""A client generated from the OpenAPI schema (openapi-python-client) works against the running service:
the schema describes what the API really answers, closely enough for a typed client to parse it."""

import importlib
import json
import sys

import pytest
from django.core.management import call_command
from openapi_python_client import generate
from openapi_python_client.config import Config, ConfigFile, MetaType

# serialized_rollback: the data of migrations (provinces) is restored even when another transactional test
# (tests/api/test_concurrency.py) ran first and flushed the database.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def generated_client(tmp_path, monkeypatch):
    schema_path = tmp_path / "openapi.json"
    call_command("spectacular", "--format", "openapi-json", "--file", str(schema_path))
    config = Config.from_sources(
        ConfigFile(post_hooks=[]),
        MetaType.NONE,
        schema_path,
        "utf-8",
        overwrite=True,
        output_path=tmp_path / "registry_client",
    )
    errors = generate(config=config)
    assert not [error for error in errors if error.level.name == "ERROR"], errors
    monkeypatch.syspath_prepend(str(tmp_path))
    yield lambda name: importlib.import_module(f"registry_client.{name}")
    for module in [name for name in sys.modules if name.startswith("registry_client")]:
        del sys.modules[module]


def test_generated_client_reads_the_seeded_registry(generated_client, live_server):
    call_command("seed")
    client = generated_client("client").Client(base_url=live_server.url, raise_on_unexpected_status=True)
    companies_list = generated_client("api.companies.companies_list")
    companies_retrieve = generated_client("api.companies.companies_retrieve")
    products_list = generated_client("api.products.products_list")
    markets_list = generated_client("api.markets.markets_list")
    provinces_list = generated_client("api.provinces.provinces_list")

    page = companies_list.sync(client=client, search="phan mem ke toan")
    assert [company.tax_code for company in page.results] == ["0101243150"]

    viettel = companies_retrieve.sync(client=client, tax_code="0100109106")
    assert viettel.name_en == "Viettel Group"
    assert "LA" in viettel.markets
    assert all(market.source.key for market in viettel.export_markets)

    products = products_list.sync(client=client, page_size=100)
    assert products.count == len(products.results) > 0
    assert {market.country for market in markets_list.sync(client=client)} >= {"LA", "KH", "JP"}
    assert len(provinces_list.sync(client=client)) == 34


def test_generated_client_sees_documented_400(generated_client, live_server):
    client = generated_client("client").Client(base_url=live_server.url)
    companies_list = generated_client("api.companies.companies_list")

    response = companies_list.sync_detailed(client=client, founded_from=2020, founded_to=2000)

    assert response.status_code == 400
    assert "founded_to" in json.loads(response.content)


def test_generated_client_asks_for_facets_suggestions_and_a_comparison(generated_client, live_server):
    call_command("seed")
    client = generated_client("client").Client(base_url=live_server.url, raise_on_unexpected_status=True)
    companies_list = generated_client("api.companies.companies_list")
    facet_names = generated_client("models.companies_list_facets_item").CompaniesListFacetsItem

    page = companies_list.sync(client=client, facets=[facet_names.PROVINCE, facet_names.MARKET], page_size=1)
    provinces = {count.value: count.count for count in page.facets.province}
    assert provinces["01"] == page.count - sum(count for code, count in provinces.items() if code != "01")
    assert {count.value for count in page.facets.market} >= {"LA", "JP"}

    suggestions = generated_client("api.autocomplete.autocomplete").sync(client=client, q="viettel")
    assert [company.id for company in suggestions.companies] == ["0100109106"]

    comparison = generated_client("api.companies.companies_compare").sync(
        client=client, tax_codes="0100109106,0101243150"
    )
    assert [company.tax_code for company in comparison.companies] == ["0100109106", "0101243150"]
