"""Schemathesis hooks of ``make fuzz`` (scripts/fuzz_api.py, which names this file in SCHEMATHESIS_HOOKS).

A case Schemathesis generates as *valid* ("positive") must be answered 2xx: its ``positive_data_acceptance``
check fails on a 400. The schema states every rule it can (types, bounds, patterns, enums, unknown fields
refused). The API's other rules are not about a request's shape, and no OpenAPI schema can state them: a
reference must name a record that exists (a category slug, an enterprise code the caller represents), one
parameter bounds another (``founded_from`` <= ``founded_to``), an export is not paged, a value must pass the
domain's own validator (an enterprise code's check digit, a web address Django's URLValidator takes, a name
without a word mixing Latin and Cyrillic letters), or the answer depends on the moment (an expiry in the
future). Here each positive case is made to follow those rules, so that a 400 the checks see is a real
disagreement between the schema and the API.

Only positive cases are changed, but for ``If-Match``, which is ``*`` in every case (see ``map_case``).
Negative cases reach the API otherwise as generated. No check is turned off or made more lenient here, and
no failure is filtered out. Reference data (slugs, codes, years with figures) comes from the fuzz run's own
database, written by fuzz_api.py to the JSON file named by FUZZ_DATA.
"""

import datetime
import itertools
import json
import os
import sys
from pathlib import Path

import schemathesis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.core.exceptions import ValidationError  # noqa: E402
from django.core.validators import EmailValidator, URLValidator  # noqa: E402
from stdnum.vn import mst  # noqa: E402

from registry.plain_text import stored_text  # noqa: E402

DATA = json.loads(Path(os.environ["FUZZ_DATA"]).read_text())
EXPORT_FORMATS = {"csv", "xlsx"}
# What an export refuses (README: "An export is every matching row, not a page").
NOT_WITH_EXPORTS = ("page", "page_size", "facets")
# Stand-ins for a value the domain's validator refuses.
VALID_URL = "https://example.vn/"
VALID_EMAIL = "lien.he@example.vn"
VALID_TEXT = "Văn bản"
MULTILINE_FIELDS = {"description_vi", "description_en"}


# Sequence numbers of the enterprise codes the run registers companies under; itertools.count, unlike a
# generator, may be advanced from Schemathesis' worker threads at once.
_TAX_CODE_SEQUENCE = itertools.count(1)


def _fresh_tax_code() -> str:
    """A valid enterprise code no company has (the seed data's are real ones, none starting 98)."""
    while True:
        first_nine = f"98{next(_TAX_CODE_SEQUENCE):07d}"
        check = mst.calc_check_digit(first_nine)
        if len(check) == 1:  # a check digit of 10 makes no code
            return first_nine + check


def _is_positive(case) -> bool:
    meta = case.meta
    return meta is not None and meta.generation.mode.is_positive


def _pick(choices: list, generated) -> object:
    """One of ``choices``, chosen by the generated value (so a run stays repeatable under its seed)."""
    return choices[len(json.dumps(generated, default=str)) % len(choices)]


def _valid(value, validator, stand_in):
    if not isinstance(value, str) or value == "":
        return value
    try:
        validator(value)
    except ValidationError:
        return stand_in
    return value


def _storable(value, *, multiline: bool):
    """``value`` if the domain can store it as typed (registry.plain_text); else a text it can."""
    if not isinstance(value, str):
        return value
    try:
        stored_text(value, multiline=multiline)
    except ValidationError:
        return VALID_TEXT[: len(value)] if value.strip() else value
    return value


def _whole_number(value) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


# --- query strings ----------------------------------------------------------------------------------------


def _query_rules(case) -> None:
    query = case.query
    path = case.operation.path
    if path in ("/api/v1/companies/", "/api/v1/products/") and query.get("format") in EXPORT_FORMATS:
        for name in NOT_WITH_EXPORTS:
            query.pop(name, None)
    bounds = [_whole_number(query.get(name)) for name in ("founded_from", "founded_to")]
    if None not in bounds:
        query["founded_from"], query["founded_to"] = sorted(bounds)
    for name, known in (("category", "categories"), ("standard", "standards"), ("company", "companies")):
        if query.get(name):  # "" is no filter
            query[name] = _pick(DATA[known], query[name])
    if path == "/api/v1/companies/compare/" and "tax_codes" in query:
        count = 2 + len(str(query["tax_codes"])) % 9
        start = len(str(query["tax_codes"])) % len(DATA["companies"])
        codes = (DATA["companies"] * 2)[start : start + min(count, len(DATA["companies"]))]
        query["tax_codes"] = ",".join(codes)
    if path == "/api/v1/indicators/revenue/":
        given = [name for name in ("from_year", "to_year") if name in query]
        years = sorted(_pick(DATA["revenue_years"], query[name]) for name in given)
        query.update(zip(given, years, strict=True))


# --- bodies and headers -------------------------------------------------------------------------------------


def _path_rules(case) -> None:
    if case.operation.path == "/api/v1/companies/{tax_code}/" and case.method.upper() in ("PUT", "PATCH"):
        # The company the caller represents: any other is a 404. (Not for DELETE: the later cases write its
        # products, markets and figures.)
        case.path_parameters["tax_code"] = DATA["representative"]["tax_code"]


def _body_rules(case) -> None:
    body = case.body
    if not isinstance(body, dict):
        return
    path, method = case.operation.path, case.method.upper()
    if "company" in body:
        body["company"] = DATA["representative"]["tax_code"]
    if "tax_code" in body and path == "/api/v1/companies/" and method == "POST":
        body["tax_code"] = _fresh_tax_code()
    elif "tax_code" in body:  # PUT or PATCH of /companies/{tax_code}/: the code stays
        body["tax_code"] = case.path_parameters.get("tax_code", body["tax_code"])
    if body.get("category"):
        body["category"] = _pick(DATA["categories"], body["category"])
    if isinstance(body.get("standards"), list):
        body["standards"] = sorted({_pick(DATA["standards"], code) for code in body["standards"]})
    if "markets" in body and path.startswith("/api/v1/products/"):
        # The company's own export markets change as the run adds and deletes them.
        body["markets"] = []
    if path == "/api/v1/api-keys/" and isinstance(body.get("expires_at"), str):
        try:
            expires_at = datetime.datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
        except ValueError:  # RFC 3339 allows more than Python (a leap second), and than DRF
            expires_at = None
        if expires_at is None or expires_at.tzinfo is None or expires_at <= datetime.datetime.now(datetime.UTC):
            body["expires_at"] = None
    if "website" in body:
        body["website"] = _valid(body["website"], URLValidator(), VALID_URL)
    if isinstance(body.get("source"), dict) and "url" in body["source"]:
        body["source"]["url"] = _valid(body["source"]["url"], URLValidator(), VALID_URL)
    for person in body.get("contact_persons") or []:
        if isinstance(person, dict) and "email" in person:
            person["email"] = _valid(person["email"], EmailValidator(), VALID_EMAIL)
    _storable_texts(body)


def _storable_texts(obj: dict) -> None:
    for name, value in obj.items():
        if isinstance(value, dict):
            _storable_texts(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    _storable_texts(item)
        elif isinstance(value, str) and name not in {"tax_code", "company", "category", "website", "url", "email"}:
            obj[name] = _storable(value, multiline=name in MULTILINE_FIELDS)


@schemathesis.hook
def map_case(context, case):
    if "If-Match" in case.headers:
        # In every case: a generated ETag is the record's current one only by chance, and the 412 that answers
        # any other (tests/api/test_conditional.py) is, to Schemathesis, neither an acceptance nor a refusal of
        # the body. The schema lets If-Match be any string, so this makes no case more or less valid.
        case.headers["If-Match"] = "*"
    if _is_positive(case):
        _path_rules(case)
        _query_rules(case)
        _body_rules(case)
    return case
