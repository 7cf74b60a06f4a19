"""Hostile and broken requests (issue 6, "Hardening"): each is answered with a clear 4xx JSON error, and a
refused write writes nothing (``nothing_written``: the row count of every table, the change feed's
included, and every row a write could touch are the same afterwards).

The statuses, the same everywhere:

* 400: the body or a query parameter is wrong: malformed JSON, a value that breaks a rule. The body names each
  wrong field or parameter with what is wrong (``{"tax_code": ["..."]}``); a body that cannot be parsed at all
  gets ``{"detail": "JSON parse error - ..."}``.
* 404: the URL names nothing: an unknown or malformed code or id in the path, a page past the last one.
* 409: a valid body that clashes with a record that exists (an enterprise code already registered, however it
  is written; a market or a year's figure already listed), with the same field-by-field body as a 400
  (``api.exceptions.Conflict``).
* 413: the body is larger than ``REQUEST_BODY_MAX_BYTES``; it is refused before it is read.
* 415: the body is not declared as JSON.

What is stored of the text that is accepted: HTML and script are text, stored as written and escaped wherever
they are shown; Unicode is stored NFC, with invisible characters dropped from one-line fields; control
characters, direction overrides and words mixing Latin with Cyrillic or Greek look-alikes are refused
(``registry.plain_text`` says why).
"""

import csv
import datetime
import io
import json
import re
import subprocess
import sys
import unicodedata
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import openpyxl
import pytest
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse

from companies.models import ChangeEvent, Company, ExportRevenue, Source
from products.models import Product
from tests.conftest import valid_tax_codes
from tests.helpers import registry_changes, registry_state

NEW_TAX_CODE = next(valid_tax_codes("06"))  # a valid code no fixture draws (they draw "09...")
SOURCE = {"title": "Báo cáo thường niên 2024", "url": "https://example.vn/bao-cao-2024"}
NEXT_YEAR = datetime.date.today().year + 1
RESOURCES = ["company", "product", "export-market", "export-revenue"]
FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


def create_body(world, basename: str) -> dict:
    """A body each create accepts (test_the_valid_bodies_are_accepted): the cases below break one thing."""
    return {
        "company": {
            "tax_code": NEW_TAX_CODE,
            "name": "Công ty Khởi nghiệp Mới",
            "province": "79",
            "ownership": "private",
        },
        "product": {"company": world.own.tax_code, "name": "Sản phẩm mới", "category": "software", "maturity": "pilot"},
        "export-market": {"company": world.own.tax_code, "country": "KR", "kind": "office", "source": SOURCE},
        "export-revenue": {"company": world.own.tax_code, "year": 2024, "amount_usd": "2500.00", "source": SOURCE},
    }[basename]


def list_url(basename: str) -> str:
    return reverse(f"{basename}-list")


def detail_url(world, basename: str) -> str:
    if basename == "company":
        return reverse("company-detail", kwargs={"tax_code": world.own.tax_code})
    record = {"product": world.product, "export-market": world.market, "export-revenue": world.revenue}[basename]
    return reverse(f"{basename}-detail", kwargs={"pk": record.pk})


def write_urls(world):
    """(resource, method, url) of every write that takes a body: each resource's create, replace and change."""
    for basename in RESOURCES:
        yield basename, "post", list_url(basename)
        yield basename, "put", detail_url(world, basename)
        yield basename, "patch", detail_url(world, basename)


# --- helpers -------------------------------------------------------------------------------------------------


def row_counts() -> dict[str, int]:
    """How many rows each table of the registry's apps has: companies (with the change feed), products and
    accounts (API keys), their many-to-many tables included."""
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in {"companies", "products", "accounts"}
    }


@contextmanager
def nothing_written():
    """Asserts that the block leaves every count (the change feed's included) and every row a write could
    touch as they were."""
    counts, rows, last_change = row_counts(), registry_state(), ChangeEvent.objects.order_by("-id").first()
    yield
    assert row_counts() == counts
    assert registry_changes(rows) == {}
    assert ChangeEvent.objects.order_by("-id").first() == last_change


@contextmanager
def rolled_back():
    """One case of a loop, in a savepoint rolled back afterwards: each case starts from the fixtures' rows."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def messages_of(errors) -> list[str]:
    """Every message of an error body, nested ones included."""
    if isinstance(errors, dict):
        return [message for value in errors.values() for message in messages_of(value)]
    if isinstance(errors, list):
        return [message for value in errors for message in messages_of(value)]
    return [str(errors)]


def names_of(errors) -> set[str]:
    """The field and parameter names of an error body, nested ones included ({"source": {"title": [...]}})."""
    if isinstance(errors, dict):
        return set(errors) | {name for value in errors.values() for name in names_of(value)}
    if isinstance(errors, list):
        return {name for value in errors for name in names_of(value)}
    return set()


def refused(response, status: int, *, name: str | None = None, says: str = "") -> dict:
    """Checks a refusal: the status, a JSON body, naming ``name`` (a field or parameter) when given, with a
    message containing ``says`` (case-insensitive). Returns the body."""
    assert response.status_code == status, (response.status_code, response.content[:400])
    assert response["Content-Type"] == "application/json", response["Content-Type"]
    body = json.loads(response.content)
    assert body and all(message.strip() for message in messages_of(body)), body
    if name is not None:
        assert name in names_of(body), body
    if says:
        assert any(says.lower() in message.lower() for message in messages_of(body)), body
    return body


@pytest.fixture
def rep(world, bearer_client):
    """The representative of ``world.own``, signed in with a bearer token: allowed every write below."""
    return bearer_client(world.rep)


def send(client, method: str, url: str, body: dict):
    """``body`` as JSON with non-ASCII characters escaped, so that a lone surrogate ("\\ud800") can be sent."""
    return client.generic(method.upper(), url, json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("basename", RESOURCES)
def test_the_valid_bodies_are_accepted(world, rep, basename):
    """The control: the bodies the cases below break are accepted as they are."""
    response = rep.post(list_url(basename), create_body(world, basename), format="json")
    assert response.status_code == 201, response.content


# --- malformed JSON ------------------------------------------------------------------------------------------

MALFORMED_JSON = {
    "truncated": (b'{"name": "C\xc3\xb4ng ty"', "JSON parse error"),
    "trailing-garbage": (b'{"name": "x"} and more', "Extra data"),
    "two-documents": (b"{}{}", "Extra data"),
    "single-quotes": (b"{'name': 'x'}", "JSON parse error"),
    "comment": (b'{"name": "x" /* note */}', "JSON parse error"),
    "nan": (b'{"amount_usd": NaN}', "NaN"),
    "infinity": (b'{"amount_usd": Infinity}', "Infinity"),
    "minus-infinity": (b'{"amount_usd": -Infinity}', "Infinity"),
    # Which one counts? Parsers disagree (first or last), so a body that says two things is refused.
    "repeated-key": (b'{"name": "A", "name": "B"}', "more than once in one object: name"),
    "repeated-nested-key": (b'{"source": {"title": "A", "title": "B"}}', "more than once in one object: title"),
    "deeply-nested-arrays": (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    "deeply-nested-objects": (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "nested too deeply"),
    "not-utf-8": (b'{"name": "C\xf4ng ty"}', "utf-8"),  # Latin-1
}


@pytest.mark.parametrize("case", MALFORMED_JSON)
def test_malformed_json_is_a_400_naming_the_problem(world, rep, case):
    raw, says = MALFORMED_JSON[case]
    with nothing_written():
        for _basename, method, url in write_urls(world):
            response = rep.generic(method.upper(), url, raw, content_type="application/json")
            body = refused(response, 400, says=says)
            assert list(body) == ["detail"] and body["detail"].startswith("JSON parse error"), (method, url, body)


NOT_AN_OBJECT = {
    "array": (b'[{"name": "x"}]', "Expected a dictionary, but got list"),
    "string": (b'"x"', "Expected a dictionary, but got str"),
    "number": (b"42", "Expected a dictionary, but got int"),
    "boolean": (b"true", "Expected a dictionary, but got bool"),
    "null": (b"null", "No data provided"),
}


@pytest.mark.parametrize("case", NOT_AN_OBJECT)
def test_a_json_body_that_is_not_an_object_is_a_400(world, rep, case):
    raw, says = NOT_AN_OBJECT[case]
    with nothing_written():
        for _basename, method, url in write_urls(world):
            refused(rep.generic(method.upper(), url, raw, content_type="application/json"), 400, says=says)


def test_an_empty_body_is_a_400_naming_the_required_fields(world, rep):
    with nothing_written():
        body = refused(rep.generic("POST", list_url("company"), b"", content_type="application/json"), 400)
    assert {"tax_code", "name", "province", "ownership"} <= set(body)


# --- content type -----------------------------------------------------------------------------------------------

NOT_JSON = {
    "form": ("application/x-www-form-urlencoded", b"name=x&province=79"),
    "multipart": (
        "multipart/form-data; boundary=B0undary",
        b'--B0undary\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--B0undary--\r\n',
    ),
    "text": ("text/plain", b'{"name": "x"}'),  # JSON, not declared as JSON
    "xml": ("application/xml", b"<company><name>x</name></company>"),
    "text-xml": ("text/xml", b"<company><name>x</name></company>"),
    "html": ("text/html", b"<b>x</b>"),
    "look-alike": ("application/jsonp", b'{"name": "x"}'),
    "none": ("", b'{"name": "x"}'),
}


@pytest.mark.parametrize("case", NOT_JSON)
def test_a_body_that_is_not_json_is_a_415(world, rep, case):
    content_type, raw = NOT_JSON[case]
    with nothing_written():
        for _basename, method, url in write_urls(world):
            response = rep.generic(method.upper(), url, raw, content_type=content_type)
            refused(response, 415, says="Unsupported media type")


def test_json_with_a_charset_is_json(world, rep):
    body = json.dumps(create_body(world, "company")).encode()
    response = rep.generic("POST", list_url("company"), body, content_type="application/json; charset=utf-8")
    assert response.status_code == 201, response.content


def test_the_token_endpoint_refuses_what_the_others_refuse(db, api_client):
    url = reverse("auth-token")
    refused(api_client.generic("POST", url, b"username=a&password=b", content_type="text/plain"), 415)
    body = b'{"username": "a", "username": "b", "password": "c"}'
    refused(api_client.generic("POST", url, body, content_type="application/json"), 400, says="more than once")


# --- body size --------------------------------------------------------------------------------------------------


def test_the_body_limit_is_the_documented_setting():
    """REQUEST_BODY_MAX_BYTES (1 MiB unless set) is Django's DATA_UPLOAD_MAX_MEMORY_SIZE."""
    script = (
        "from django.conf import settings; print(settings.REQUEST_BODY_MAX_BYTES, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)"
    )
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "registry.settings", "REGISTRY_VAR_DIR": "/tmp"}
    root = Path(__file__).resolve().parents[2]
    default = subprocess.run([sys.executable, "-c", script], env=env, cwd=root, capture_output=True, text=True)
    assert default.stdout.split() == ["1048576", "1048576"], default.stderr
    env["REQUEST_BODY_MAX_BYTES"] = "4096"
    chosen = subprocess.run([sys.executable, "-c", script], env=env, cwd=root, capture_output=True, text=True)
    assert chosen.stdout.split() == ["4096", "4096"], chosen.stderr


def test_a_body_over_the_limit_is_a_413_on_every_write(world, rep):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    with nothing_written():
        for basename, method, url in write_urls(world):
            raw = json.dumps({**create_body(world, basename), "description_vi": "x" * limit}).encode()
            refused(
                rep.generic(method.upper(), url, raw, content_type="application/json"), 413, says=f"{limit:,} bytes"
            )


def test_the_limit_follows_the_setting(world, rep, settings):
    settings.REQUEST_BODY_MAX_BYTES = settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    body = {**create_body(world, "company"), "description_vi": "x" * 5000}
    with nothing_written():
        refused(rep.post(list_url("company"), body, format="json"), 413, says="limit of 4,096 bytes")
    # Under the limit, the same text is judged by its field's rule.
    body["description_vi"] = "x" * 3000
    assert rep.post(list_url("company"), body, format="json").status_code == 201


def test_a_body_under_the_limit_is_still_held_to_the_field_lengths(world, rep):
    body = {**create_body(world, "company"), "description_vi": "x" * 20_001}
    with nothing_written():
        refused(rep.post(list_url("company"), body, format="json"), 400, name="description_vi", says="20000")


class EndlessBody(io.RawIOBase):
    """A request body that never ends and counts what is read of it (a client streaming forever)."""

    def __init__(self):
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        buffer[:] = b"x" * len(buffer)
        self.bytes_read += len(buffer)
        return len(buffer)


def post_company_from(client, stream, **headers):
    """A company POST whose body the server reads from ``stream``, with these request headers."""
    return client.generic(
        "POST", list_url("company"), b"", content_type="application/json", **headers, **{"wsgi.input": stream}
    )


def test_a_declared_length_over_the_limit_is_refused_without_reading_the_body(world, rep):
    stream = EndlessBody()
    with nothing_written():
        response = post_company_from(rep, stream, CONTENT_LENGTH=str(50 * settings.DATA_UPLOAD_MAX_MEMORY_SIZE))
        refused(response, 413, says="limit")
    assert stream.bytes_read == 0


def test_a_chunked_body_is_not_read_into_memory(world, rep):
    """No Content-Length: under WSGI, Django reads no body at all, so an endless chunked one costs nothing;
    the request is answered as one without a body."""
    stream = EndlessBody()
    with nothing_written():
        response = post_company_from(rep, stream, HTTP_TRANSFER_ENCODING="chunked")
        refused(response, 400, name="tax_code", says="required")
    assert stream.bytes_read == 0


def test_the_limit_also_guards_the_views_that_are_not_drf_s(db, client):
    """The browsable API's sign-in form reads its body for the CSRF check, before any view: still a 413."""
    response = client.generic(
        "POST",
        "/api/auth/login/",
        b"",
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
        **{"wsgi.input": EndlessBody()},
    )
    refused(response, 413, says="limit")


def test_the_schema_documents_413_and_415_where_a_body_is_read(db, api_client):
    schema = api_client.get(reverse("schema"), {"format": "json"}).json()
    operations = [
        schema["paths"][path][method]
        for path, operations in schema["paths"].items()
        for method in ("post", "put", "patch")
        if method in operations and "requestBody" in operations[method]
    ]
    assert len(operations) >= 3 * len(RESOURCES)
    for operation in operations:
        assert {"413", "415"} <= set(operation["responses"]), operation["operationId"]
    limit = schema["paths"]["/api/v1/companies/"]["post"]["responses"]["413"]["description"]
    assert f"{settings.REQUEST_BODY_MAX_BYTES:,} bytes" in limit


def test_a_body_found_too_large_only_when_read_is_a_413():
    """Under ASGI a chunked body has no Content-Length: Django learns its size when the view reads it and
    raises RequestDataTooBig, which the API's exception handler answers with 413 (not Django's 400)."""
    from django.core.exceptions import RequestDataTooBig

    from api.exceptions import exception_handler

    response = exception_handler(RequestDataTooBig("too big"), {})
    assert response.status_code == 413
    assert f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes" in response.data["detail"]


# --- over-long strings ------------------------------------------------------------------------------------------

OVER_LONG = {
    "company": {
        "name": "x" * 301,
        "name_en": "x" * 301,
        "short_name": "x" * 101,
        "address": "x" * 501,
        "website": "https://example.vn/" + "x" * 300,
        "description_vi": "x" * 20_001,
        "description_en": "x" * 20_001,
        "tax_code": "0" * 21,
        "contact_persons": [{"name": "x" * 201}],
        "source": {"title": "x" * 301},
    },
    "product": {"name": "x" * 301, "description_vi": "x" * 20_001, "category": "x" * 10_000},
    "export-market": {"note": "x" * 501, "source": {"title": "T", "publisher": "x" * 201}, "country": "x" * 10_000},
    "export-revenue": {"source": {"title": "T", "url": "https://example.vn/" + "x" * 500}, "amount_usd": "9" * 10_000},
}


@pytest.mark.parametrize("basename", OVER_LONG)
def test_over_long_strings_are_a_400_naming_the_field(world, rep, basename):
    answers = {}
    for field, value in OVER_LONG[basename].items():
        with rolled_back(), nothing_written():
            response = rep.post(list_url(basename), {**create_body(world, basename), field: value}, format="json")
            body = refused(response, 400)
            answers[field] = field in names_of(body)
    assert answers == dict.fromkeys(OVER_LONG[basename], True)


def test_an_officer_s_over_long_reason_is_a_400(world, bearer_client):
    url = reverse("company-reject", kwargs={"tax_code": world.own.tax_code})
    with nothing_written():
        refused(bearer_client(world.officer).post(url, {"reason": "x" * 1001}, format="json"), 400, name="reason")


# --- enterprise codes ---------------------------------------------------------------------------------------------

BAD_TAX_CODES = {
    "check-digit": ("0101243151", "check digit"),
    "letters": ("01012431AB", "only digits"),
    "letter-o-for-zero": ("O101243150", "only digits"),
    "nine-digits": ("010124315", "10 digits"),
    "eleven-digits": ("01012431500", "10 digits"),
    "twelve-digits": ("010124315000", "10 digits"),
    "branch-000": ("0101243150-000", "cannot be 000"),
    "zero-sequence": ("0100000000", "cannot all be 0"),
    "empty": ("", "blank"),
    "only-separators": (" . - ", "10 digits"),
    "only-invisible": ("\u200b\u200b", "10 digits"),
    "nul": ("0101243150\x00", "Null characters"),
    "sql": ("0101' OR 1=1", "only digits"),
    "json-number": (101243150, "string"),  # the leading 0 would be lost: codes are strings
}


@pytest.mark.parametrize("method", ["post", "patch"])
def test_invalid_enterprise_codes_are_a_400_saying_what_is_wrong(world, rep, method):
    url = list_url("company") if method == "post" else detail_url(world, "company")
    answers = {}
    for case, (tax_code, says) in BAD_TAX_CODES.items():
        with rolled_back(), nothing_written():
            body = (
                {**create_body(world, "company"), "tax_code": tax_code} if method == "post" else {"tax_code": tax_code}
            )
            response = send(rep, method, url, body)
            refused(response, 400, name="tax_code", says=says)
            answers[case] = True
    assert answers == dict.fromkeys(BAD_TAX_CODES, True)


@pytest.mark.parametrize("basename", ["product", "export-market", "export-revenue"])
def test_an_invalid_enterprise_code_naming_the_company_is_a_400(world, rep, basename):
    for tax_code in ["0101243151", "01012431AB", "010124315", "01012431500", "x\x00", "a" * 10_000]:
        with rolled_back(), nothing_written():
            body = {**create_body(world, basename), "company": tax_code}
            refused(rep.post(list_url(basename), body, format="json"), 400, name="company", says="no company")


def test_written_forms_of_a_code_are_the_same_code(world, rep):
    """Spaces, dots, dashes, full-width digits and invisible characters (copied with the code from a web
    page) do not make another code: the company is stored under the canonical one."""
    code = NEW_TAX_CODE
    for written in [
        f"{code[:4]} {code[4:7]}.{code[7:]}",
        "\u200b" + code + "\ufeff",
        code.translate(FULL_WIDTH_DIGITS),
    ]:
        with rolled_back():
            response = rep.post(
                list_url("company"), {**create_body(world, "company"), "tax_code": written}, format="json"
            )
            assert response.status_code == 201, (written, response.content)
            assert response.json()["tax_code"] == code
            assert Company.objects.filter(tax_code=code).count() == 1


# --- duplicates: 409 ---------------------------------------------------------------------------------------------

DUPLICATE_CODES = {
    "as-stored": lambda code: code,
    "with-separators": lambda code: f"{code[:4]}.{code[4:7]} {code[7:]}",
    "zero-width-space": lambda code: f"{code[:5]}\u200b{code[5:]}",
    "byte-order-mark": lambda code: f"\ufeff{code}",
    "full-width-digits": lambda code: code.translate(FULL_WIDTH_DIGITS),
}


@pytest.mark.parametrize("method", ["post", "patch"])
def test_a_duplicate_enterprise_code_is_a_409_however_it_is_written(world, rep, method):
    """Registering another company's code, or changing one's own to it: 409 naming ``tax_code``, however
    the code is written (what makes two codes the same is their digits)."""
    url = list_url("company") if method == "post" else detail_url(world, "company")
    answers = {}
    for case, written in DUPLICATE_CODES.items():
        with rolled_back(), nothing_written():
            tax_code = written(world.other.tax_code)
            body = (
                {**create_body(world, "company"), "tax_code": tax_code} if method == "post" else {"tax_code": tax_code}
            )
            refused(send(rep, method, url, body), 409, name="tax_code", says="already")
            answers[case] = True
    assert answers == dict.fromkeys(DUPLICATE_CODES, True)


def test_duplicate_markets_and_figures_are_a_409(world, rep):
    with nothing_written():
        body = {**create_body(world, "export-market"), "country": "JP", "kind": "export_sales"}
        refused(rep.post(list_url("export-market"), body, format="json"), 409, says="already exists")
        body = {**create_body(world, "export-revenue"), "year": 2023}
        refused(rep.post(list_url("export-revenue"), body, format="json"), 409, says="already exists")


def test_a_source_cited_in_another_unicode_form_is_the_same_source(world, rep):
    """Sources are found again by their title: the same title decomposed (NFD) or with a zero-width space
    is the source already cited, not a second one."""
    title = "Báo cáo xuất khẩu phần mềm 2024"
    forms = [title, unicodedata.normalize("NFD", title), title.replace("xuất", "xu\u200bất")]
    for index, written in enumerate(forms):
        body = {**create_body(world, "export-revenue"), "year": 2015 + index, "source": {"title": written}}
        assert rep.post(list_url("export-revenue"), body, format="json").status_code == 201
    assert list(Source.objects.filter(title__startswith="Báo cáo xuất").values_list("title", flat=True)) == [title]


# --- unknown references, years and amounts ----------------------------------------------------------------------------

BROKEN_RULES = {
    "company": {
        "unknown-province": ({"province": "99"}, "province"),
        "unpadded-province": ({"province": "1"}, "province"),
        "province-as-name": ({"province": "Hà Nội"}, "province"),
        "unknown-ownership": ({"ownership": "cooperative"}, "ownership"),
        "founded-next-year": ({"founded_year": NEXT_YEAR}, "founded_year"),
        "founded-2100": ({"founded_year": 2100}, "founded_year"),
        "founded-far-future": ({"founded_year": 10**30}, "founded_year"),
        "founded-1899": ({"founded_year": 1899}, "founded_year"),
        "founded-fraction": ({"founded_year": 1999.5}, "founded_year"),
        "founded-boolean": ({"founded_year": True}, "founded_year"),
        "name-a-list": ({"name": ["Công ty"]}, "name"),
        "name-an-object": ({"name": {"vi": "Công ty"}}, "name"),
        "javascript-website": ({"website": "javascript:alert(1)"}, "website"),
    },
    "product": {
        "unknown-category": ({"category": "no-such-category"}, "category"),
        "sql-category": ({"category": "software' OR '1'='1"}, "category"),
        "unknown-standard": ({"standards": ["no-such-standard"]}, "standards"),
        "unknown-market": ({"markets": ["XX"]}, "markets"),
        "home-market": ({"markets": ["VN"]}, "markets"),
        "unknown-maturity": ({"maturity": "vapourware"}, "maturity"),
        "launched-next-year": ({"launch_year": NEXT_YEAR}, "launch_year"),
    },
    "export-market": {
        "unknown-country": ({"country": "XX"}, "country"),
        "home-country": ({"country": "VN"}, "country"),
        "lower-case-country": ({"country": "jp"}, "country"),
        "alpha-3-country": ({"country": "JPN"}, "country"),
        "country-name": ({"country": "Japan"}, "country"),
        "unknown-kind": ({"kind": "embassy"}, "kind"),
        "since-next-year": ({"since_year": NEXT_YEAR}, "since_year"),
    },
    "export-revenue": {
        "negative": ({"amount_usd": "-1.00"}, "amount_usd"),
        "negative-cent": ({"amount_usd": "-0.01"}, "amount_usd"),
        "negative-number": ({"amount_usd": -5}, "amount_usd"),
        "over-a-trillion": ({"amount_usd": "1000000000000.01"}, "amount_usd"),
        "ten-trillion": ({"amount_usd": "1e13"}, "amount_usd"),
        # 16 digits: it fit the column, but SQLite could not read it back (a 500).
        "largest-the-column-holds": ({"amount_usd": "99999999999999.99"}, "amount_usd"),
        "more-than-the-column-holds": ({"amount_usd": "1e20"}, "amount_usd"),
        "nan": ({"amount_usd": "NaN"}, "amount_usd"),
        "infinity": ({"amount_usd": "Infinity"}, "amount_usd"),
        "fractions-of-a-cent": ({"amount_usd": "0.001"}, "amount_usd"),
        "words": ({"amount_usd": "one million"}, "amount_usd"),
        "boolean": ({"amount_usd": True}, "amount_usd"),
        "next-year": ({"year": NEXT_YEAR}, "year"),
        "year-far-future": ({"year": 99_999}, "year"),
        "unknown-country": ({"country": "XX"}, "country"),
        "home-country": ({"country": "VN"}, "country"),
    },
}


@pytest.mark.parametrize("basename", BROKEN_RULES)
def test_broken_rules_are_a_400_naming_the_field(world, rep, basename):
    answers = {}
    for case, (change, field) in BROKEN_RULES[basename].items():
        with rolled_back(), nothing_written():
            response = rep.post(list_url(basename), {**create_body(world, basename), **change}, format="json")
            assert response.status_code == 400, (case, response.status_code, response.content[:300])
            answers[case] = field in names_of(refused(response, 400))
    assert answers == dict.fromkeys(BROKEN_RULES[basename], True)


def test_an_absurd_revenue_says_why(world, rep):
    body = {**create_body(world, "export-revenue"), "amount_usd": "5000000000000"}
    with nothing_written():
        refused(rep.post(list_url("export-revenue"), body, format="json"), 400, name="amount_usd", says="plausible")
        refused(rep.patch(detail_url(world, "export-revenue"), {"amount_usd": "5000000000000"}, format="json"), 400)


def test_a_trillion_is_still_plausible(world, rep):
    body = {**create_body(world, "export-revenue"), "amount_usd": "1000000000000.00"}
    response = rep.post(list_url("export-revenue"), body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["amount_usd"] == "1000000000000.00"
    assert ExportRevenue.objects.get(pk=response.json()["id"]).amount_usd == Decimal("1000000000000")


# --- text: what is refused, what is stored ---------------------------------------------------------------------------

# One-line text fields of each resource (body, field), and one multi-line field where there is one.
ONE_LINE_FIELDS = [
    ("company", "name"),
    ("company", "name_en"),
    ("company", "short_name"),
    ("company", "address"),
    ("product", "name"),
    ("export-market", "note"),
]
REFUSED_TEXT = {
    "nul": ("Công\x00ty", "Null characters"),
    "lone-surrogate": ("Công\ud800ty", "surrogate"),
    "bell": ("Công\x07ty", "control character U+0007"),
    "escape-sequence": ("Công \x1b[31mty", "control character U+001B"),
    "delete": ("Công\x7fty", "control character U+007F"),
    "c1-control": ("Công\x85ty", "U+0085"),
    "line-feed": ("Công\nty", "line break or tab"),
    "tab": ("Công\tty", "line break or tab"),
    "right-to-left-override": ("Công ty \u202eABC", "direction control U+202E"),
    "isolate": ("Công ty \u2067ABC\u2069", "direction control U+2067"),
    # Cyrillic І (U+0406) in MISA, Cyrillic е (U+0435) in Viettel, Greek Τ (U+03A4) in FPT.
    "cyrillic-look-alike": ("Công ty M\u0406SA", "Latin and Cyrillic"),
    "cyrillic-e": ("Công ty Vietti\u0435l", "Latin and Cyrillic"),
    "greek-look-alike": ("Công ty FP\u03a4 Software", "Latin and Greek"),
}


@pytest.mark.parametrize(("basename", "field"), ONE_LINE_FIELDS, ids=lambda value: str(value))
def test_text_that_cannot_be_stored_is_a_400_naming_the_field(world, rep, basename, field):
    answers = {}
    for case, (text, says) in REFUSED_TEXT.items():
        with rolled_back(), nothing_written():
            response = send(rep, "post", list_url(basename), {**create_body(world, basename), field: text})
            refused(response, 400, name=field, says=says)
            answers[case] = True
    assert answers == dict.fromkeys(REFUSED_TEXT, True)


def test_the_same_rules_hold_for_changes_nested_objects_and_officers_notes(world, rep, bearer_client):
    with nothing_written():
        refused(rep.patch(detail_url(world, "company"), {"name": "Công ty M\u0406SA"}, format="json"), 400, name="name")
        refused(rep.patch(detail_url(world, "product"), {"name": "A\x07"}, format="json"), 400, name="name")
        body = {**create_body(world, "export-market"), "source": {"title": "Báo cáo\x1b"}}
        errors = refused(rep.post(list_url("export-market"), body, format="json"), 400, says="U+001B")
        assert list(errors) == ["source"] and list(errors["source"]) == ["title"]
        body = {**create_body(world, "company"), "contact_persons": [{"name": "Nguyễn\u202eVăn A"}]}
        refused(rep.post(list_url("company"), body, format="json"), 400, name="name", says="direction")
        url = reverse("company-reject", kwargs={"tax_code": world.own.tax_code})
        refused(bearer_client(world.officer).post(url, {"reason": "Sai\x00"}, format="json"), 400, name="reason")


@pytest.mark.parametrize("field", ["description_vi", "description_en"])
def test_control_characters_in_descriptions_are_refused_but_lines_and_tabs_kept(world, rep, field):
    with nothing_written():
        for text, says in [("a\x1b[2Jb", "U+001B"), ("a\x00b", "Null characters"), ("a\x08b", "U+0008")]:
            body = {**create_body(world, "company"), field: text}
            refused(rep.post(list_url("company"), body, format="json"), 400, name=field, says=says)
    text = "Dòng một\nDòng hai\r\n\tthụt lề"
    response = rep.post(list_url("company"), {**create_body(world, "company"), field: text}, format="json")
    assert response.status_code == 201, response.content
    assert getattr(Company.objects.get(tax_code=NEW_TAX_CODE), field) == text


def test_decomposed_vietnamese_is_stored_composed_and_found_either_way(world, rep, api_client):
    """NFD input (as some PDFs and macOS give) is stored NFC: one name is one string; search finds it
    written in either form."""
    name = "Công ty Phần mềm Đồng Nai"
    body = {**create_body(world, "company"), "name": unicodedata.normalize("NFD", name)}
    body["description_vi"] = unicodedata.normalize("NFD", "Giải pháp kế toán")
    assert unicodedata.normalize("NFD", name) != name

    response = rep.post(list_url("company"), body, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["name"] == name
    stored = Company.objects.get(tax_code=NEW_TAX_CODE)
    assert (stored.name, stored.description_vi) == (name, "Giải pháp kế toán")
    for query in [name, unicodedata.normalize("NFD", name), "dong nai", unicodedata.normalize("NFD", "Đồng Nai")]:
        results = api_client.get(list_url("company"), {"search": query}).json()["results"]
        assert [row["tax_code"] for row in results] == [NEW_TAX_CODE], query


def test_nfd_names_are_not_cut_short_by_the_length_rule(world, rep):
    """The length rule counts the characters stored: a 300-letter name written decomposed is accepted."""
    name = "Ế" * 300
    body = {**create_body(world, "company"), "name": unicodedata.normalize("NFD", name)}
    assert len(body["name"]) == 900
    response = rep.post(list_url("company"), body, format="json")
    assert response.status_code == 201, response.content
    assert Company.objects.get(tax_code=NEW_TAX_CODE).name == name


def test_invisible_characters_are_dropped_from_one_line_text(world, rep, api_client):
    """Zero-width spaces, joiners, byte order marks and soft hyphens show nothing and would make two names
    that look the same different strings: dropped from names (kept in descriptions, where a joiner is part
    of an emoji sequence)."""
    body = {
        **create_body(world, "company"),
        "name": "\ufeffCông ty Zero\u200bWidth\u00ad Soft\u200d",
        "short_name": "\u200b\u200cZW\u2060S",
        "description_en": "Developers 👩\u200d💻",
    }
    response = rep.post(list_url("company"), body, format="json")
    assert response.status_code == 201, response.content
    stored = Company.objects.get(tax_code=NEW_TAX_CODE)
    assert (stored.name, stored.short_name) == ("Công ty ZeroWidth Soft", "ZWS")
    assert stored.description_en == "Developers 👩\u200d💻"
    assert api_client.get(list_url("company"), {"search": "zerowidth"}).json()["count"] == 1


def test_a_name_of_invisible_characters_only_is_blank(world, rep):
    body = {**create_body(world, "company"), "name": "\u200b\u200c\ufeff"}
    with nothing_written():
        refused(rep.post(list_url("company"), body, format="json"), 400, name="name", says="blank")


def test_other_scripts_and_whole_words_of_one_alphabet_are_stored(world, rep):
    """Only a word mixing look-alike alphabets is refused: a partner's Russian or Japanese name, a Greek
    letter on its own, Khmer or Chinese are text like any other."""
    name = "Công ty ТехноСофт Việt Nam 日本支社 β ភ្នំពេញ"
    response = rep.post(list_url("company"), {**create_body(world, "company"), "name": name}, format="json")
    assert response.status_code == 201, response.content
    assert Company.objects.get(tax_code=NEW_TAX_CODE).name == name


def test_the_text_rules_are_the_domain_s(db, source):
    """The services apply them (``full_clean``), so the admin and the seed loader store and refuse the same."""
    from django.core.exceptions import ValidationError

    from companies.models import Province
    from companies.services import company_create, export_market_create

    province = Province.objects.get(code="01")
    company = company_create(
        tax_code=NEW_TAX_CODE,
        name=unicodedata.normalize("NFD", "Công ty Trực tiếp\u200b"),
        province=province,
        ownership="private",
    )
    assert company.name == "Công ty Trực tiếp"
    with pytest.raises(ValidationError) as refused_name:
        company_create(
            tax_code=next(valid_tax_codes("05")), name="M\u0406SA\x07", province=province, ownership="private"
        )
    assert {"name"} == set(refused_name.value.message_dict)
    assert len(refused_name.value.message_dict["name"]) == 2  # the control character and the mixed word
    with pytest.raises(ValidationError) as refused_note:
        export_market_create(company=company, country="JP", kind="office", source=source, note="Tokyo\u202e")
    assert "direction control" in refused_note.value.message_dict["note"][0]


HOSTILE_HTML = '<script>alert("x")</script><img src=x onerror="alert(1)"> & "quotes" \'single\''


def test_html_and_script_are_stored_and_answered_as_text(world, rep, api_client):
    body = {**create_body(world, "company"), "name": "<b>Công ty</b> HTML", "description_vi": HOSTILE_HTML}
    response = rep.post(list_url("company"), body, format="json")
    assert response.status_code == 201, response.content
    stored = Company.objects.get(tax_code=NEW_TAX_CODE)
    assert (stored.name, stored.description_vi) == ("<b>Công ty</b> HTML", HOSTILE_HTML)

    answer = api_client.get(reverse("company-detail", kwargs={"tax_code": NEW_TAX_CODE}))

    # A JSON string, never rendered: the browser must not sniff the JSON as HTML.
    assert answer["Content-Type"] == "application/json"
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert answer.json()["description_vi"] == HOSTILE_HTML
    assert answer.json()["name"] == "<b>Công ty</b> HTML"


def test_the_browsable_api_escapes_html(world, rep, api_client):
    body = {**create_body(world, "company"), "description_vi": HOSTILE_HTML}
    assert rep.post(list_url("company"), body, format="json").status_code == 201

    response = api_client.get(reverse("company-detail", kwargs={"tax_code": NEW_TAX_CODE}), {"format": "api"})

    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert" in page


def test_the_admin_escapes_html(world, rep, client, django_user_model):
    body = {**create_body(world, "company"), "name": '<script>alert("name")</script>', "description_vi": HOSTILE_HTML}
    assert rep.post(list_url("company"), body, format="json").status_code == 201
    company = Company.objects.get(tax_code=NEW_TAX_CODE)
    client.force_login(django_user_model.objects.create_superuser("admin", "admin@example.vn", "x"))

    pages = [
        client.get(reverse("admin:companies_company_change", args=[company.pk])),
        client.get(reverse("admin:companies_company_changelist")),
    ]

    for response in pages:
        assert response.status_code == 200
        page = response.content.decode()
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert" in page


def test_the_public_page_s_script_inserts_text_never_html():
    """The public page draws what the API answers (names, categories) with app.js: as text nodes (``append``
    of a string, ``textContent``), never parsed as HTML."""
    script = (Path(settings.BASE_DIR) / "web" / "static" / "web" / "app.js").read_text()
    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function", script)
    assert not re.search(r"createContextualFragment|DOMParser|srcdoc", script)


FORMULAS = ['=HYPERLINK("https://evil.example","x")', "+1+1", "-2+3", "@SUM(A1:A2)"]


def export(client, basename: str, file_format: str):
    response = client.get(list_url(basename), {"format": file_format})
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def csv_row(content: bytes, marker: str) -> list[str]:
    return next(row for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) if marker in row)


def xlsx_cell(content: bytes, marker: str, column: int):
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return next(row[column] for row in sheet.iter_rows(min_row=2) if marker in [cell.value for cell in row])


@pytest.mark.parametrize("formula", FORMULAS)
def test_exports_neutralise_spreadsheet_formulas(world, rep, api_client, formula):
    """OWASP CSV injection: a text cell starting with =, +, - or @ gets a leading ' in CSV (tab and carriage
    return, also on the list, cannot begin a stored text); XLSX writes every text as a string cell, which no
    spreadsheet runs."""
    company = {**create_body(world, "company"), "name": formula}
    assert rep.post(list_url("company"), company, format="json").status_code == 201
    product = {**create_body(world, "product"), "company": NEW_TAX_CODE, "name": "Formula", "description_vi": formula}
    assert rep.post(list_url("product"), product, format="json").status_code == 201

    assert csv_row(export(api_client, "company", "csv"), NEW_TAX_CODE)[1] == f"'{formula}"
    assert csv_row(export(api_client, "product", "csv"), NEW_TAX_CODE)[6] == f"'{formula}"

    cell = xlsx_cell(export(api_client, "company", "xlsx"), NEW_TAX_CODE, 1)
    assert (cell.value, cell.data_type) == (formula, "s")
    cell = xlsx_cell(export(api_client, "product", "xlsx"), "Formula", 6)
    assert (cell.value, cell.data_type) == (formula, "s")


# --- read endpoints: search, filters, autocomplete, compare, exports ---------------------------------------------

SQL_LOOKING = [
    "' OR 1=1 --",
    "'; DROP TABLE companies_company; --",
    '" OR ""="',
    "1' UNION SELECT tax_code FROM companies_company --",
    "%",
    "%%",
    "_",
    "__%__",
    "\\",
    "\\%",
    "*",
    "[a-z]",
    "$where: 1",
]


@pytest.mark.parametrize("url_name", ["company-list", "product-list"])
def test_sql_looking_searches_are_plain_text(registry, api_client, url_name):
    """Each is searched for as text: nothing matches it, and LIKE's wildcards (%, _) and escape (\\\\) match
    only themselves, not every row."""
    for query in SQL_LOOKING:
        response = api_client.get(reverse(url_name), {"search": query})
        assert response.status_code == 200, (query, response.content[:300])
        assert response.json()["count"] == 0, query
    assert Company.objects.count() == 3 and Product.objects.count() == 2  # nothing dropped


def test_wildcards_in_a_search_word_match_only_themselves(registry, api_client):
    assert api_client.get(list_url("company"), {"search": "misa"}).json()["count"] == 1
    for query in ["mi%", "m_sa", "mi_a", "%misa%"]:
        assert api_client.get(list_url("company"), {"search": query}).json()["count"] == 0, query


def test_sql_looking_autocomplete_is_plain_text(registry, api_client):
    for query in ["' OR 1=1 --", "c%", "c_ng", "mis\\", "1' UNION SELECT 1 --"]:
        response = api_client.get(reverse("autocomplete"), {"q": query})
        assert response.status_code == 200, (query, response.content)
        assert (response.json()["companies"], response.json()["products"]) == ([], []), query
    assert [row["id"] for row in api_client.get(reverse("autocomplete"), {"q": "mis"}).json()["companies"]] == [
        registry["misa"].tax_code
    ]
    for query in ["%", "_", "\\", "''", "--"]:
        refused(api_client.get(reverse("autocomplete"), {"q": query}), 400, name="q", says="letter or digit")


@pytest.mark.parametrize(
    ("url_name", "parameter", "longest"),
    [("company-list", "search", 200), ("product-list", "search", 200), ("autocomplete", "q", 100)],
)
def test_search_text_has_a_documented_maximum_length(registry, api_client, url_name, parameter, longest):
    assert api_client.get(reverse(url_name), {parameter: "a" * longest}).status_code == 200
    for length in [longest + 1, 10_000]:
        refused(api_client.get(reverse(url_name), {parameter: "a" * length}), 400, name=parameter, says=str(longest))
    schema = api_client.get(reverse("schema"), {"format": "json"}).json()
    path = "/api/v1/autocomplete/" if url_name == "autocomplete" else reverse(url_name)
    (declared,) = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == parameter]
    assert declared["schema"]["maxLength"] == longest


def test_an_over_long_search_is_refused_in_exports_as_json(registry, api_client):
    for file_format in ["csv", "xlsx"]:
        response = api_client.get(list_url("company"), {"search": "a" * 10_000, "format": file_format})
        refused(response, 400, name="search")


def test_unicode_in_searches(registry, api_client):
    """NFD and NFC find the same; invisible characters are ignored; a look-alike alphabet is not the Latin
    one (a Cyrillic "М" does not find MISA), and nothing breaks."""
    misa = registry["misa"].tax_code
    for query in [
        "Công ty Cổ phần MISA",
        unicodedata.normalize("NFD", "Công ty Cổ phần MISA"),
        "MI\u200bSA",
        "\ufeffmisa",
    ]:
        assert [
            row["tax_code"] for row in api_client.get(list_url("company"), {"search": query}).json()["results"]
        ] == [misa], query
    for query in ["\u041cISA", "\u039cISA", "日本", "🙂", "\u202emisa"]:  # Cyrillic М, Greek Μ
        response = api_client.get(list_url("company"), {"search": query})
        assert response.status_code == 200 and response.json()["count"] == 0, query
    suggestions = api_client.get(reverse("autocomplete"), {"q": unicodedata.normalize("NFD", "Cổ phần mi")}).json()
    assert [row["id"] for row in suggestions["companies"]] == [misa]


NUL_PARAMETERS = {
    "company-list": ["search", "category", "province", "market", "ownership", "ordering", "maturity", "verified"],
    "product-list": ["search", "category", "company", "standard", "market", "maturity"],
}


@pytest.mark.parametrize("url_name", NUL_PARAMETERS)
def test_nul_and_over_long_filter_values_are_a_400_naming_the_parameter(registry, api_client, url_name):
    """PostgreSQL refuses a NUL in a query (a 500 if it got that far) and every filter value is checked
    before any query: 400 naming the parameter."""
    for parameter in NUL_PARAMETERS[url_name]:
        for value in ["a\x00b", "x" * 10_000]:
            refused(api_client.get(reverse(url_name), {parameter: value}), 400, name=parameter)


def test_autocomplete_and_compare_refuse_nul(registry, api_client):
    refused(api_client.get(reverse("autocomplete"), {"q": "mi\x00sa"}), 400, name="q", says="Null characters")
    refused(api_client.get(reverse("company-compare"), {"tax_codes": "a\x00b,c"}), 400, name="tax_codes")


COMPARE_400 = {
    "sql": ("0101243150,' OR 1=1 --", "10 digits"),
    "check-digit": ("0101243150,0101243151", "check digit"),
    "letters": ("0101243150,01012431AB", "only digits"),
    "nine-digits": ("0101243150,010124315", "10 digits"),
    "empty-item": ("0101243150,", "empty"),
    "one": ("0101243150", "2 to 10"),
    "eleven": (",".join(["0101243150"] * 11), "2 to 10"),
    "over-long": (",".join(["0101243150"] * 200), "1000"),
    "repeated-with-zero-width": ("0101243150,01012\u200b43150", "more than once"),
}


@pytest.mark.parametrize("case", COMPARE_400)
def test_compare_refuses_broken_lists(registry, api_client, case):
    tax_codes, says = COMPARE_400[case]
    refused(api_client.get(reverse("company-compare"), {"tax_codes": tax_codes}), 400, name="tax_codes", says=says)


PAGES_400 = [
    ({"page": "0"}, "page"),
    ({"page": "-1"}, "page"),
    ({"page": "1.5"}, "page"),
    ({"page": "1e3"}, "page"),
    ({"page": " 1"}, "page"),
    ({"page": "0x10"}, "page"),
    ({"page": "000"}, "page"),
    ({"page_size": str(10**30)}, "page_size"),
    ({"page_size": "9" * 5000}, "page_size"),  # int() refuses over 4,300 digits: it was a 500
    ({"page_size": "1.0"}, "page_size"),
    ({"page_size": "-0"}, "page_size"),
]


@pytest.mark.parametrize("url_name", ["company-list", "product-list"])
def test_page_and_page_size_out_of_range_are_a_400(registry, api_client, url_name):
    for params, parameter in PAGES_400:
        refused(api_client.get(reverse(url_name), params), 400, name=parameter)


@pytest.mark.parametrize("page", [str(10**30), "9" * 5000, "0" * 10 + "9" * 30])
def test_a_huge_page_number_is_past_the_end(registry, api_client, page):
    body = refused(api_client.get(list_url("company"), {"page": page}), 404)
    assert body["detail"].startswith(f"Page {page[:20]}") and "does not exist" in body["detail"]
    assert len(body["detail"]) < 200  # the number is not echoed whole


def test_paging_parameters_of_exports_and_the_change_feed(registry, api_client):
    refused(api_client.get(list_url("company"), {"format": "csv", "page": "9" * 5000}), 400, name="page")
    for limit in ["0", "-1", "1001", "9" * 5000, "ten"]:
        refused(api_client.get(reverse("change-list"), {"limit": limit}), 400, name="limit")
    for since in ["-1", "abc", "9" * 5000]:
        refused(api_client.get(reverse("change-list"), {"since": since}), 400, name="since")


# --- paths and headers ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/categories/soft%00ware/",
        "/api/v1/standards/iso%00/",
        "/api/v1/provinces/0%001/",
        "/api/v1/companies/0101243150%00/",
        "/api/v1/products/1%00/",
        "/api/v1/products/99999999999999999999999999/",
        "/api/v1/export-revenues/99999999999999999999999999/",
        "/api/v1/categories/%3Cscript%3E/",
        "/api/v1/categories/" + "x" * 5000 + "/",
    ],
)
def test_paths_naming_nothing_are_a_404(registry, api_client, path):
    """A NUL in a path reached the database as a lookup before (a 500 on PostgreSQL): what a slug, code or id
    cannot be is now no URL at all."""
    refused(api_client.get(path), 404)


def test_an_api_key_path_with_a_nul_is_a_404(world, bearer_client):
    refused(bearer_client(world.rep).delete("/api/v1/api-keys/ab%00cd/"), 404)


@pytest.mark.parametrize(
    "authorization",
    ["Bearer abc\x00def", "Bearer " + "é" * 40, "Api-Key abc\x00.def", "Api-Key ключ.секрет", "Bearer ' OR 1=1 --"],
)
def test_malformed_credentials_are_a_401(db, api_client, authorization):
    """gunicorn refuses control characters in headers before Django sees them; another server might not, and a
    NUL must not reach PostgreSQL."""
    refused(api_client.get(list_url("company"), HTTP_AUTHORIZATION=authorization), 401)


def test_an_if_match_with_a_huge_version_is_a_412(world, rep):
    with nothing_written():
        response = rep.patch(
            detail_url(world, "company"), {"short_name": "X"}, format="json", HTTP_IF_MATCH='"' + "9" * 5000 + '"'
        )
        refused(response, 412, says="ETag")


# --- every query parameter of the schema -------------------------------------------------------------------------

HOSTILE_VALUES = ["a\x00b", "9" * 5000, "x" * 10_000, "' OR 1=1 --", "\ud800", "-1", "%", ""]


def test_every_documented_query_parameter_answers_hostile_values_with_json(registry, api_client):
    """Whatever a documented query parameter is given (a NUL, thousands of digits, a lone surrogate, SQL), a
    list or resource without path parameters answers 200 or a 4xx, as JSON: never a 500."""
    schema = api_client.get(reverse("schema"), {"format": "json"}).json()
    answers, asked = {}, 0
    for path, operations in schema["paths"].items():
        if "{" in path or "get" not in operations:
            continue
        for parameter in operations["get"].get("parameters", []):
            if parameter["in"] != "query" or parameter["name"] == "format":
                continue
            for value in HOSTILE_VALUES:
                query = f"{parameter['name']}={quote(value, errors='surrogatepass')}"
                cache.clear()  # the rate-limit counters: these are over 300 requests
                response = api_client.get(f"{path}?{query}")
                asked += 1
                ok = response.status_code < 500 and response.status_code != 429
                if not ok or response["Content-Type"] != "application/json":
                    answers[(path, parameter["name"], value[:10])] = response.status_code
    assert answers == {}
    assert asked > 40 * len(HOSTILE_VALUES)  # every list's filters, pagination, autocomplete, compare, indicators


def test_every_documented_path_answers_hostile_values_with_json(registry, api_client):
    """The same for the path parameters of every GET: what names nothing is a 404 (or another 4xx), as JSON."""
    schema = api_client.get(reverse("schema"), {"format": "json"}).json()
    answers, asked = {}, 0
    for path, operations in schema["paths"].items():
        if "{" not in path or "get" not in operations:
            continue
        for value in HOSTILE_VALUES[:-1]:
            cache.clear()
            response = api_client.get(re.sub(r"\{\w+\}", quote(value, errors="surrogatepass"), path))
            asked += 1
            if not 400 <= response.status_code < 500 or response["Content-Type"] != "application/json":
                answers[(path, value[:10])] = response.status_code
    assert answers == {}
    assert asked >= 5 * (len(HOSTILE_VALUES) - 1)
