"""What fuzzing the API from its own OpenAPI schema (``make fuzz``, scripts/fuzz_api.py) found, kept fixed: a
5xx, statuses other than the right one, and answers or inputs the schema described wrongly. Each answer here is
also checked against the schema's own description of it."""

import re

import pytest
from django.urls import reverse

from tests.helpers import registry_changes, registry_state

SOURCE = {"title": "Báo cáo thường niên 2024"}


def _resolved(schema: dict, node):
    """``node`` with every $ref replaced by its component, and OpenAPI's ``nullable`` spelled as JSON Schema."""
    if isinstance(node, list):
        return [_resolved(schema, item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _resolved(schema, schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]])
    resolved = {key: _resolved(schema, value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        resolved = {"anyOf": [resolved, {"type": "null"}]}
    return resolved


def assert_documented(schema: dict, path: str, method: str, response) -> None:
    """The response's status is documented for the operation, and its JSON body matches what is documented."""
    from jsonschema import Draft202012Validator

    documented = schema["paths"][path][method]["responses"]
    assert str(response.status_code) in documented, (response.status_code, sorted(documented))
    content = documented[str(response.status_code)].get("content", {}).get("application/json")
    if content is not None:
        Draft202012Validator(_resolved(schema, content["schema"])).validate(response.json())


def detail(world, basename: str) -> tuple[str, str]:
    if basename == "company":
        return reverse("company-detail", kwargs={"tax_code": world.own.tax_code}), "/api/v1/companies/{tax_code}/"
    record = {"product": world.product, "export-market": world.market, "export-revenue": world.revenue}[basename]
    path = {"product": "products", "export-market": "export-markets", "export-revenue": "export-revenues"}[basename]
    return reverse(f"{basename}-detail", kwargs={"pk": record.pk}), f"/api/v1/{path}/{{id}}/"


# --- 5xx --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("basename", ["company", "product", "export-market", "export-revenue"])
def test_a_patch_with_a_nested_object_lacking_a_required_field_is_a_400_not_a_500(
    world, bearer_client, schema, basename
):
    """A PATCH is partial, but the source it cites is given whole: ``"source": {}`` was a 500."""
    url, path = detail(world, basename)
    before = registry_state()

    response = bearer_client(world.rep).patch(url, {"source": {}}, format="json")

    assert response.status_code == 400
    assert response.json() == {"source": {"title": ["This field is required."]}}
    assert registry_changes(before) == {}
    assert_documented(schema, path, "patch", response)


def test_a_patch_of_contact_persons_needs_each_person_s_name(world, bearer_client):
    url, _ = detail(world, "company")
    response = bearer_client(world.rep).patch(url, {"contact_persons": [{"role": "CEO"}]}, format="json")
    assert response.status_code == 400
    assert response.json() == {"contact_persons": {"0": {"name": ["This field is required."]}}}


# --- statuses ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("TRACE", "/api/v1/companies/?provnce=01", "GET, POST, HEAD, OPTIONS"),
        ("TRACE", "/api/v1/companies/?format=csv", "GET, POST, HEAD, OPTIONS"),
        ("POST", "/api/v1/markets/?format=xlsx", "GET, HEAD, OPTIONS"),
        ("DELETE", "/api/v1/autocomplete/?q=viet&limit=5", "GET, HEAD, OPTIONS"),
    ],
)
def test_a_method_the_url_does_not_take_is_a_405_whatever_the_query_string(db, api_client, method, url, allowed):
    """It was a 400 (unknown query parameter) or a 404 (no renderer for ?format=) before the method was looked at."""
    response = api_client.generic(method, url)
    assert response.status_code == 405
    assert response["Allow"] == allowed
    assert response.json() == {"detail": f'Method "{method}" not allowed.'}


@pytest.mark.parametrize("since", ["0.5", "-1", "1e3"])
def test_the_change_feed_cursor_is_a_whole_number(db, api_client, schema, since):
    """``since=0.5`` was taken (a decimal filter) although the schema says integer."""
    response = api_client.get(reverse("change-list"), {"since": since})
    assert response.status_code == 400
    assert "since" in response.json()
    assert_documented(schema, "/api/v1/changes/", "get", response)


def test_registering_a_registered_enterprise_code_is_a_409(world, bearer_client, schema):
    body = {"tax_code": world.other.tax_code, "name": "Công ty Trùng Mã", "province": "01", "ownership": "private"}
    before = registry_state()
    response = bearer_client(world.rep).post(reverse("company-list"), body, format="json")
    assert response.status_code == 409
    assert list(response.json()) == ["tax_code"]
    assert registry_changes(before) == {}
    assert_documented(schema, "/api/v1/companies/", "post", response)


# --- answers as documented --------------------------------------------------------------------------------


def test_a_body_that_is_not_json_is_a_documented_400(world, bearer_client, schema):
    """Its body is {"detail": ...}, which the 400's schema (field -> messages) did not allow."""
    response = bearer_client(world.rep).generic(
        "POST", reverse("export-market-list"), "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"detail"}
    assert_documented(schema, "/api/v1/export-markets/", "post", response)


def test_nested_field_errors_are_documented(world, bearer_client, schema):
    """{"contact_persons": {"0": {"name": [...]}}} did not match the 400's schema either."""
    body = {
        "tax_code": "0101248141",
        "name": "Công ty Mới",
        "province": "01",
        "ownership": "private",
        "contact_persons": [{"role": "CEO"}],
        "source": {"title": ""},
    }
    response = bearer_client(world.rep).post(reverse("company-list"), body, format="json")
    assert response.status_code == 400
    assert_documented(schema, "/api/v1/companies/", "post", response)


@pytest.mark.parametrize(
    ("url_name", "path", "kwargs"),
    [
        ("company-list", "/api/v1/companies/", {}),
        ("product-list", "/api/v1/products/", {}),
        ("company-detail", "/api/v1/companies/{tax_code}/", "own"),
    ],
)
def test_an_answer_with_chosen_fields_matches_the_schema(world, api_client, schema, url_name, path, kwargs):
    """With ``?fields=``, the other fields are absent, which the schema (every field required) did not allow."""
    url = reverse(url_name, kwargs={"tax_code": world.own.tax_code} if kwargs else None)
    response = api_client.get(url, {"fields": "name,markets"})
    assert response.status_code == 200
    assert_documented(schema, path, "get", response)


@pytest.mark.parametrize(
    ("path", "method", "anonymous"),
    [
        ("/api/v1/companies/", "get", True),
        ("/api/v1/companies/{tax_code}/", "get", True),
        ("/api/v1/changes/", "get", True),
        ("/api/v1/indicators/", "get", True),
        ("/api/v1/companies/", "post", False),
        ("/api/v1/companies/{tax_code}/", "patch", False),
        ("/api/v1/api-keys/", "get", False),
    ],
)
def test_the_schema_says_which_operations_anyone_may_call(schema, path, method, anonymous):
    """Reads listed only the credential schemes, as if they needed one."""
    security = schema["paths"][path][method]["security"]
    assert ({} in security) is anonymous
    assert {"BearerToken": []} in security


def test_every_operation_documents_the_errors_any_request_can_get(schema):
    for path, item in schema["paths"].items():
        for method, op in item.items():
            responses = set(op["responses"])
            assert {"406", "429"} <= responses, (method, path, responses)
            if path != "/api/v1/auth/token/":
                assert "401" in responses, (method, path)
            if op.get("parameters") or op.get("requestBody"):
                assert "400" in responses, (method, path)
            if op.get("requestBody"):
                assert {"409", "413", "415"} <= responses, (method, path)
                assert list(op["requestBody"]["content"]) == ["application/json"], (method, path)


def test_request_bodies_refuse_unknown_fields_in_the_schema_too(schema):
    for name, component in schema["components"]["schemas"].items():
        if name.endswith("InputRequest"):
            assert component["additionalProperties"] is False, name


# --- inputs as documented ---------------------------------------------------------------------------------


def _property(schema, component: str, name: str) -> dict:
    return schema["components"]["schemas"][component]["properties"][name]


@pytest.mark.parametrize(
    ("name", "accepted"),
    [("Công ty Mới", True), ("   ", False), ("\u200b", False), ("Tên\x07", False), ("Tên\u202e", False)],
)
def test_a_one_line_text_is_refused_by_the_schema_as_by_the_api(world, bearer_client, schema, name, accepted):
    """Blank after trimming, or with a control or direction character: the schema said any string."""
    pattern = _property(schema, "CompanyInputRequest", "name")["pattern"]
    body = {"tax_code": "0101248141", "name": name, "province": "01", "ownership": "private"}
    response = bearer_client(world.rep).post(reverse("company-list"), body, format="json")
    assert (response.status_code == 201) is accepted, response.content
    assert bool(re.search(pattern, name)) is accepted


@pytest.mark.parametrize(("text", "accepted"), [("viet", True), ("Đà", True), ("五", True), ("!?-", False)])
def test_the_autocomplete_text_pattern_is_the_api_s_rule(db, api_client, schema, text, accepted):
    pattern = schema["paths"]["/api/v1/autocomplete/"]["get"]["parameters"][0]["schema"]["pattern"]
    response = api_client.get(reverse("autocomplete"), {"q": text})
    assert (response.status_code == 200) is accepted
    assert bool(re.search(pattern, text)) is accepted


@pytest.mark.parametrize(
    ("amount", "accepted"),
    [("1250000.50", True), ("1000000000000", True), ("", False), ("-1", False), ("1000000000000.01", False)],
)
def test_an_amount_is_refused_by_the_schema_as_by_the_api(world, bearer_client, schema, amount, accepted):
    """The schema's pattern (drf-spectacular's) let "", "-1" and amounts over the plausible maximum through."""
    pattern = _property(schema, "ExportRevenueInputRequest", "amount_usd")["pattern"]
    body = {"company": world.own.tax_code, "year": 2020, "amount_usd": amount, "source": SOURCE}
    response = bearer_client(world.rep).post(reverse("export-revenue-list"), body, format="json")
    assert (response.status_code == 201) is accepted, response.content
    assert bool(re.search(pattern, amount)) is accepted


@pytest.mark.parametrize(("phone", "accepted"), [("0901 234 567", True), ("86-07 ", False), ("12345", False)])
def test_a_contact_phone_is_refused_by_the_schema_as_by_the_api(world, bearer_client, schema, phone, accepted):
    """ "86-07 " matched the pattern, then was trimmed below its 6 characters and refused."""
    pattern = _property(schema, "ContactPersonInputRequest", "phone")["oneOf"][0]["pattern"]
    url, _ = detail(world, "company")
    response = bearer_client(world.rep).patch(url, {"contact_persons": [{"name": "An", "phone": phone}]}, format="json")
    assert (response.status_code == 200) is accepted, response.content
    assert bool(re.search(pattern, phone)) is accepted


def test_a_year_of_figures_is_at_most_this_year_in_the_schema(schema):
    import datetime

    this_year = datetime.date.today().year
    assert _property(schema, "ExportRevenueInputRequest", "year")["maximum"] == this_year
    assert _property(schema, "CompanyInputRequest", "founded_year")["maximum"] == this_year
    revenue = {each["name"]: each for each in schema["paths"]["/api/v1/indicators/revenue/"]["get"]["parameters"]}
    assert revenue["to_year"]["schema"]["maximum"] == this_year


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"source": {"title": 0}}, "source"),
        ({"amount_usd": 2500}, "amount_usd"),
        ({"year": "2024"}, "year"),
        ({"country": 0}, "country"),
    ],
)
def test_a_value_of_another_json_type_than_documented_is_a_400(world, bearer_client, schema, change, field):
    """DRF took 0 for the string "0", 2500 for "2500" and "2024" for 2024, all of which the schema refuses."""
    body = {"company": world.own.tax_code, "year": 2020, "amount_usd": "2500.00", "source": SOURCE, **change}
    before = registry_state()
    response = bearer_client(world.rep).post(reverse("export-revenue-list"), body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert registry_changes(before) == {}
    assert_documented(schema, "/api/v1/export-revenues/", "post", response)
