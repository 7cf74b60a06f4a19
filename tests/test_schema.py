"""The OpenAPI schema: valid without warnings, and every filter documented on its list operation."""

import json

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse

from companies.filters import CompanyFilterSet
from products.filters import ProductFilterSet


@pytest.fixture(scope="module")
def schema(tmp_path_factory, django_db_blocker):
    path = tmp_path_factory.mktemp("schema") / "openapi.yaml"
    with django_db_blocker.unblock():
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def test_schema_validates_without_warnings(schema):
    # call_command raises (CommandError / SystemExit) on a warning or an invalid schema.
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["version"] == "1.0.0"


def list_parameters(schema, path: str) -> dict[str, dict]:
    return {parameter["name"]: parameter for parameter in schema["paths"][path]["get"]["parameters"]}


@pytest.mark.parametrize(
    ("path", "filterset"),
    [("/api/v1/companies/", CompanyFilterSet), ("/api/v1/products/", ProductFilterSet)],
)
def test_every_filter_is_a_documented_parameter(schema, path, filterset):
    parameters = list_parameters(schema, path)
    assert set(filterset.base_filters) <= set(parameters)
    for name in filterset.base_filters:
        assert parameters[name]["in"] == "query"
        assert parameters[name].get("description"), f"{name} has no description"
    for name in ("page", "page_size"):
        assert parameters[name].get("description")


def test_page_size_bounds_are_in_the_schema(schema):
    page_size = list_parameters(schema, "/api/v1/companies/")["page_size"]
    assert (page_size["schema"]["minimum"], page_size["schema"]["maximum"]) == (1, 100)


def test_list_operations_document_the_400(schema):
    for path in ("/api/v1/companies/", "/api/v1/products/"):
        assert "400" in schema["paths"][path]["get"]["responses"]


def test_schema_endpoint_serves_json(client, db):
    response = client.get(reverse("schema"), {"format": "json"})
    assert response.status_code == 200
    assert "json" in response["Content-Type"]
    body = json.loads(response.content)
    assert body["openapi"].startswith("3.")
    assert "/api/v1/companies/{tax_code}/" in body["paths"]


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_documentation_pages_load_nothing_from_other_hosts(client, db, path):
    import re

    response = client.get(path)
    assert response.status_code == 200
    page = response.content.decode()
    assert re.findall(r"(?:src|href)=[\"']?(https?:)?//", page) == []
    assert "/static/drf_spectacular_sidecar/" in page
