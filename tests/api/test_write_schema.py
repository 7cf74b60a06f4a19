"""The OpenAPI schema documents the write path: every new endpoint, its security schemes, its error
responses, the conditional-request headers, and which fields are sensitive or read-only."""


import pytest

WRITES = {"post", "put", "patch", "delete"}
# Each writable resource: its list path and its detail path.
RESOURCES = {
    "companies": ("/api/v1/companies/", "/api/v1/companies/{tax_code}/"),
    "products": ("/api/v1/products/", "/api/v1/products/{id}/"),
    "export-markets": ("/api/v1/export-markets/", "/api/v1/export-markets/{id}/"),
    "export-revenues": ("/api/v1/export-revenues/", "/api/v1/export-revenues/{id}/"),
}
DECISIONS = [f"/api/v1/companies/{{tax_code}}/{decision}/" for decision in ("verify", "reject", "suspend", "reinstate")]


def operation(schema, path: str, method: str) -> dict:
    assert path in schema["paths"], f"{path} is not documented"
    assert method in schema["paths"][path], f"{method.upper()} {path} is not documented"
    return schema["paths"][path][method]


def component(schema, ref_holder: dict) -> dict:
    name = ref_holder["$ref"].rsplit("/", 1)[1]
    return schema["components"]["schemas"][name]


def request_schema(schema, op: dict) -> dict:
    return component(schema, op["requestBody"]["content"]["application/json"]["schema"])


def write_operations():
    for resource, (list_path, detail_path) in RESOURCES.items():
        yield pytest.param(list_path, "post", id=f"{resource}-create")
        for method in ("put", "patch", "delete"):
            yield pytest.param(detail_path, method, id=f"{resource}-{method}")
    for path in DECISIONS:
        yield pytest.param(path, "post", id=path.rstrip("/").rsplit("/", 1)[1])
    yield pytest.param("/api/v1/api-keys/", "post", id="api-keys-create")
    yield pytest.param("/api/v1/api-keys/{prefix}/", "delete", id="api-keys-revoke")


def test_security_schemes(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["ApiKey"]["type"] == "apiKey"
    assert (schemes["ApiKey"]["in"], schemes["ApiKey"]["name"]) == ("header", "Authorization")
    assert "Api-Key" in schemes["ApiKey"]["description"]
    assert (schemes["BearerToken"]["type"], schemes["BearerToken"]["scheme"]) == ("http", "bearer")


@pytest.mark.parametrize(("path", "method"), list(write_operations()))
def test_write_operations_document_their_errors_and_security(schema, path, method):
    op = operation(schema, path, method)
    responses = set(op["responses"])
    assert {"400", "401", "403"} <= responses, responses
    if "{" in path:
        assert "404" in responses
    if path in (detail for _, detail in RESOURCES.values()):
        assert "412" in responses
        assert "If-Match" in [
            parameter["name"] for parameter in op.get("parameters", []) if parameter["in"] == "header"
        ]
    for status in ("400", "401", "403", "404", "412"):
        if status in op["responses"]:
            assert op["responses"][status].get("description"), f"{status} has no description"
    schemes = {name for requirement in op.get("security", []) for name in requirement}
    assert "BearerToken" in schemes
    if not path.startswith("/api/v1/api-keys/") and path not in DECISIONS:
        assert "ApiKey" in schemes  # a write-scope key writes its owner's companies
    assert {} not in op.get("security", []), "a write must not be documented as open to anonymous callers"


@pytest.mark.parametrize("resource", RESOURCES)
def test_detail_reads_document_conditional_get(schema, resource):
    op = operation(schema, RESOURCES[resource][1], "get")
    assert "304" in op["responses"]
    assert "If-None-Match" in [parameter["name"] for parameter in op.get("parameters", [])]


def test_creates_answer_201(schema):
    for list_path, _ in RESOURCES.values():
        assert "201" in operation(schema, list_path, "post")["responses"]
    assert "204" in operation(schema, "/api/v1/companies/{tax_code}/", "delete")["responses"]


def test_token_endpoint(schema):
    op = operation(schema, "/api/v1/auth/token/", "post")
    assert {"200", "400"} <= set(op["responses"])
    token = component(schema, op["responses"]["200"]["content"]["application/json"]["schema"])
    assert "token" in token["properties"]


def test_issued_key_is_documented_once(schema):
    issued = component(
        schema,
        operation(schema, "/api/v1/api-keys/", "post")["responses"]["201"]["content"]["application/json"]["schema"],
    )
    assert "key" in issued["properties"]
    listed = operation(schema, "/api/v1/api-keys/", "get")["responses"]["200"]["content"]["application/json"]["schema"]
    assert "key" not in component(schema, listed["items"])["properties"]


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/companies/", "post"),
        ("/api/v1/companies/{tax_code}/", "patch"),
        ("/api/v1/products/", "post"),
        ("/api/v1/export-markets/", "post"),
        ("/api/v1/export-revenues/", "post"),
        ("/api/v1/export-revenues/{id}/", "patch"),
    ],
)
def test_officer_only_fields_are_not_in_request_bodies(schema, path, method):
    properties = set(request_schema(schema, operation(schema, path, method))["properties"])
    assert not properties & {"verification", "verified", "verified_at", "verified_by", "status", "version", "id"}


def test_reject_and_suspend_document_the_reason(schema):
    for decision in ("reject", "suspend"):
        body = request_schema(schema, operation(schema, f"/api/v1/companies/{{tax_code}}/{decision}/", "post"))
        assert "reason" in body.get("required", [])


def test_sensitive_fields_are_documented_as_such(schema):
    answered = operation(schema, "/api/v1/companies/{tax_code}/", "get")["responses"]["200"]["content"][
        "application/json"
    ]["schema"]
    # The whole company, or (with ?fields=) the fields asked for.
    whole, selected = answered["anyOf"]
    assert component(schema, selected)["properties"] == component(schema, whole)["properties"]
    detail = component(schema, whole)
    for name in ("contact_persons", "verification_note"):
        assert name in detail["properties"]
        assert name not in detail.get("required", []), f"{name} is not always present"
        assert "representatives" in detail["properties"][name]["description"]
        assert "officers" in detail["properties"][name]["description"]
    assert "unverified" in detail["properties"]["export_revenue"]["description"].lower()
