"""The write path, through the HTTP API: who may create, change and delete companies, products, export
markets and export revenue (issue 3's table), validation, and mass assignment.

The role matrix runs every write of every resource as each role of ``tests.conftest.ROLES``: the allowed
ones take effect, every other one is refused (401 without credentials, 403 or 404 otherwise) and leaves
every row exactly as it was.
"""

import datetime
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable

import pytest
from django.db import transaction
from django.urls import reverse

from companies.models import Company, ExportMarket, ExportRevenue, VerificationState
from products.models import Product
from tests.conftest import ROLES, valid_tax_codes
from tests.helpers import registry_changes, registry_state

NEW_TAX_CODE = next(valid_tax_codes("08"))  # not used by any fixture (they draw from "09...")
SOURCE = {"title": "Báo cáo thường niên 2024", "url": "https://example.vn/bao-cao-2024"}
NEXT_YEAR = datetime.date.today().year + 1


@dataclass(frozen=True)
class Writable:
    """A writable resource: its object of ``world.own``, and a body for each write."""

    basename: str
    model: type
    record: Callable  # world -> the own company's object
    lookup: Callable  # object -> URL kwargs
    create_body: Callable  # world -> body
    put_body: Callable
    patch_body: Callable
    put_applied: Callable  # fresh object -> whether the PUT took effect
    patch_applied: Callable

    def __str__(self) -> str:
        return self.basename


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


RESOURCES = [
    Writable(
        basename="company",
        model=Company,
        record=lambda world: world.own,
        lookup=lambda company: {"tax_code": company.tax_code},
        create_body=lambda world: {
            "tax_code": NEW_TAX_CODE,
            "name": "Công ty Khởi nghiệp Mới",
            "province": "79",
            "ownership": "private",
        },
        put_body=lambda world: {
            "tax_code": world.own.tax_code,
            "name": world.own.name,
            "province": "48",
            "ownership": "limited_liability",
            "website": "https://nha.example.vn",
        },
        patch_body=lambda world: {"website": "https://www.nha.example.vn"},
        put_applied=lambda company: (company.province_id, company.ownership) == ("48", "limited_liability"),
        patch_applied=lambda company: company.website == "https://www.nha.example.vn",
    ),
    Writable(
        basename="product",
        model=Product,
        record=lambda world: world.product,
        lookup=lambda product: {"pk": product.pk},
        create_body=lambda world: {
            "company": world.own.tax_code,
            "name": "Sản phẩm mới",
            "category": "software",
            "maturity": "pilot",
            "markets": ["JP"],
            "standards": ["iso-iec-7816"],
            "source": SOURCE,
        },
        put_body=lambda world: {
            "company": world.own.tax_code,
            "name": "Phần mềm nhà 2",
            "category": "5g-equipment",
            "maturity": "exported",
        },
        patch_body=lambda world: {"name": "Phần mềm nhà 3"},
        put_applied=lambda product: (product.name, product.category.slug) == ("Phần mềm nhà 2", "5g-equipment"),
        patch_applied=lambda product: product.name == "Phần mềm nhà 3",
    ),
    Writable(
        basename="export-market",
        model=ExportMarket,
        record=lambda world: world.market,
        lookup=lambda market: {"pk": market.pk},
        create_body=lambda world: {"company": world.own.tax_code, "country": "KR", "kind": "office", "source": SOURCE},
        put_body=lambda world: {
            "company": world.own.tax_code,
            "country": "JP",
            "kind": "subsidiary",
            "since_year": 2019,
            "source": SOURCE,
        },
        patch_body=lambda world: {"note": "Văn phòng Tokyo"},
        put_applied=lambda market: (market.kind, market.since_year) == ("subsidiary", 2019),
        patch_applied=lambda market: market.note == "Văn phòng Tokyo",
    ),
    Writable(
        basename="export-revenue",
        model=ExportRevenue,
        record=lambda world: world.revenue,
        lookup=lambda revenue: {"pk": revenue.pk},
        create_body=lambda world: {
            "company": world.own.tax_code,
            "year": 2024,
            "amount_usd": "2500.00",
            "source": SOURCE,
        },
        put_body=lambda world: {
            "company": world.own.tax_code,
            "year": 2022,
            "amount_usd": "1500.00",
            "country": "JP",
            "source": SOURCE,
        },
        patch_body=lambda world: {"amount_usd": "1200.00"},
        put_applied=lambda revenue: (
            (revenue.year, str(revenue.amount_usd), revenue.country.code) == (2022, "1500.00", "JP")
        ),
        patch_applied=lambda revenue: str(revenue.amount_usd) == "1200.00",
    ),
]
BY_NAME = {resource.basename: resource for resource in RESOURCES}
ACTIONS = ["create", "update", "partial_update", "destroy"]

ALLOWED = {"representative", "write_key"}  # the own company's representative, in person or through a write key
# What a refused write answers: 401 without credentials; a read-only key is refused before the object is
# looked up (403); a caller who does not represent the company either does not find the object among those
# it may change (404) or is refused the company named in the body (403).
REFUSED = {
    "anonymous": {401},
    "read_key": {403},
    "other_representative": {403, 404},
    "officer": {403, 404},
    "stranger_write_key": {403, 404},
}
# Anyone signed in may register a new company (and becomes its representative); not through a read-only key.
COMPANY_CREATE = {
    "anonymous": 401,
    "read_key": 403,
    "representative": 201,
    "write_key": 201,
    "other_representative": 201,
}


def expected_statuses(resource: Writable, action: str, role: str) -> set[int]:
    if resource.basename == "company" and action == "create":
        return {COMPANY_CREATE[role]}
    if role in ALLOWED:
        return {{"create": 201, "update": 200, "partial_update": 200, "destroy": 204}[action]}
    return REFUSED[role]


def error_fields(errors) -> set[str]:
    """The field names of a 400 body, nested ones included ({"contact_persons": [{"phone": [...]}]})."""
    if isinstance(errors, dict):
        return set(errors) | {name for value in errors.values() for name in error_fields(value)}
    if isinstance(errors, list):
        return {name for value in errors for name in error_fields(value)}
    return set()


def send(client, resource: Writable, action: str, world):
    if action == "create":
        return client.post(reverse(f"{resource.basename}-list"), resource.create_body(world), format="json")
    url = reverse(f"{resource.basename}-detail", kwargs=resource.lookup(resource.record(world)))
    if action == "update":
        return client.put(url, resource.put_body(world), format="json")
    if action == "partial_update":
        return client.patch(url, resource.patch_body(world), format="json")
    return client.delete(url)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_write_matrix(world, client_as, resource, role):
    """Each write of ``resource`` in turn (create, replace, change, delete the own company's object) as
    ``role``: the expected status, and the effect, or no change at all."""
    client = client_as(role)
    for action in ACTIONS:
        if resource.basename == "company" and action == "create" and role not in COMPANY_CREATE:
            continue  # an officer or a stranger's app registering a company: the issue does not say
        before = registry_state()
        count = resource.model.objects.count()

        response = send(client, resource, action, world)

        expected = expected_statuses(resource, action, role)
        assert response.status_code in expected, (action, response.status_code, response.content[:300])
        assert response.status_code == 204 or response["Content-Type"] == "application/json"
        if response.status_code >= 400:
            assert "detail" in response.json()
            assert registry_changes(before) == {}, f"a refused {action} changed the registry"
        elif action == "create":
            assert resource.model.objects.count() == count + 1
            assert response["ETag"]
            if resource.basename == "company":
                created = Company.objects.get(tax_code=NEW_TAX_CODE)
                acting_user = world.other_rep if role == "other_representative" else world.rep
                assert list(created.representatives.all()) == [acting_user]
                assert response.json()["tax_code"] == NEW_TAX_CODE
            else:
                created = resource.model.objects.latest("pk")
                assert created.company == world.own
                assert response.json()["id"] == created.pk
        elif action == "destroy":
            assert not resource.model.objects.filter(pk=resource.record(world).pk).exists()
        else:
            applied = resource.put_applied if action == "update" else resource.patch_applied
            assert applied(fresh(resource.record(world))), action
            assert response["ETag"]


# --- another company's records, named in the body ----------------------------------------------------


@pytest.mark.parametrize("basename", ["product", "export-market", "export-revenue"])
def test_creating_for_another_company_is_403(world, bearer_client, basename):
    body = {**BY_NAME[basename].create_body(world), "company": world.other.tax_code}
    before = registry_state()

    response = bearer_client(world.rep).post(reverse(f"{basename}-list"), body, format="json")

    assert response.status_code == 403, response.content
    assert world.other.tax_code in response.json()["detail"]
    assert registry_changes(before) == {}


@pytest.mark.parametrize("method", ["patch", "put"])
@pytest.mark.parametrize(
    ("basename", "record"), [("product", "product"), ("export-market", "market"), ("export-revenue", "revenue")]
)
def test_moving_a_record_to_a_company_one_does_not_represent_is_403(world, bearer_client, basename, record, method):
    resource = BY_NAME[basename]
    obj = getattr(world, record)
    body = resource.put_body(world) if method == "put" else resource.patch_body(world)
    before = registry_state()

    response = getattr(bearer_client(world.rep), method)(
        reverse(f"{basename}-detail", kwargs={"pk": obj.pk}), {**body, "company": world.other.tax_code}, format="json"
    )

    assert response.status_code == 403, response.content
    assert registry_changes(before) == {}
    assert fresh(obj).company_id == world.own.pk


def test_a_product_of_another_company_cannot_be_taken_over(world, bearer_client):
    """The other company's product named by id, with the caller's own company in the body: 404."""
    before = registry_state()
    response = bearer_client(world.rep).patch(
        reverse("product-detail", kwargs={"pk": world.other_product.pk}),
        {"company": world.own.tax_code, "name": "Của tôi"},
        format="json",
    )
    assert response.status_code in (403, 404)
    assert registry_changes(before) == {}


def test_a_representative_of_two_companies_may_move_a_product_between_them(world, make_company, bearer_client):
    second = make_company(name="Công ty Con", markets=["KR"])
    second.representatives.add(world.rep)

    response = bearer_client(world.rep).patch(
        reverse("product-detail", kwargs={"pk": world.product.pk}), {"company": second.tax_code}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["company"]["tax_code"] == second.tax_code
    product = fresh(world.product)
    assert product.company == second
    assert list(product.export_markets.all()) == []  # the old company's markets do not follow it


@pytest.mark.parametrize(("basename", "record"), [("export-market", "market"), ("export-revenue", "revenue")])
def test_figures_do_not_move_even_between_ones_own_companies(world, make_company, bearer_client, basename, record):
    second = make_company(name="Công ty Con")
    second.representatives.add(world.rep)
    before = registry_state()

    response = bearer_client(world.rep).patch(
        reverse(f"{basename}-detail", kwargs={"pk": getattr(world, record).pk}),
        {"company": second.tax_code},
        format="json",
    )

    assert response.status_code == 400
    assert "company" in response.json()
    assert registry_changes(before) == {}


def test_product_markets_must_be_the_company_s_own(world, bearer_client):
    before = registry_state()
    response = bearer_client(world.rep).patch(
        reverse("product-detail", kwargs={"pk": world.product.pk}), {"markets": ["US"]}, format="json"
    )
    assert response.status_code == 400
    assert "markets" in response.json()
    assert registry_changes(before) == {}


def test_a_product_may_not_name_a_company_that_does_not_exist(world, bearer_client):
    body = {**BY_NAME["product"].create_body(world), "company": NEW_TAX_CODE}
    response = bearer_client(world.rep).post(reverse("product-list"), body, format="json")
    assert response.status_code == 400
    assert "company" in response.json()


# --- creating a company -------------------------------------------------------------------------------


def test_creating_a_company_makes_the_creator_its_representative_and_it_starts_unverified(world, bearer_client):
    client = bearer_client(world.stranger)
    body = {
        **BY_NAME["company"].create_body(world),
        "tax_code": f"{NEW_TAX_CODE[:4]} {NEW_TAX_CODE[4:7]}.{NEW_TAX_CODE[7:]}",  # separators are ignored
        "contact_persons": [
            {"name": "Nguyễn Văn A", "role": "Giám đốc", "phone": "+84 24 1234 5678", "email": "a@example.vn"}
        ],
    }

    response = client.post(reverse("company-list"), body, format="json")

    assert response.status_code == 201, response.content
    created = response.json()
    assert created["tax_code"] == NEW_TAX_CODE
    assert created["verification"] == "unverified"
    assert created["verified"] is False
    assert created["verified_at"] is None
    assert created["status"] == "active"
    assert created["contact_persons"][0]["phone"] == "+84 24 1234 5678"  # the creator reads them back
    assert response["ETag"]
    company = Company.objects.get(tax_code=NEW_TAX_CODE)
    assert list(company.representatives.all()) == [world.stranger]
    assert company.verified_by is None
    # ... and may now change it, which they could not before.
    response = client.patch(
        reverse("company-detail", kwargs={"tax_code": NEW_TAX_CODE}), {"short_name": "KNM"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["short_name"] == "KNM"


def test_registering_a_tax_code_twice_is_a_409(world, bearer_client):
    body = {**BY_NAME["company"].create_body(world), "tax_code": world.other.tax_code}
    before = registry_state()
    response = bearer_client(world.rep).post(reverse("company-list"), body, format="json")
    assert response.status_code == 409
    assert "tax_code" in response.json()
    assert registry_changes(before) == {}


# Each invalid body answers 400 naming the field, and writes nothing. (The source a refused body cites is
# ignored here: test_a_refused_write_leaves_no_cited_source_behind.)
INVALID_CREATES = {
    "company": {
        "bad-check-digit": ({"tax_code": "0101243151"}, "tax_code"),
        "short-tax-code": ({"tax_code": "01012431"}, "tax_code"),
        "founded-next-year": ({"founded_year": NEXT_YEAR}, "founded_year"),
        "unknown-province": ({"province": "99"}, "province"),
        "unknown-ownership": ({"ownership": "cooperative"}, "ownership"),
        "bad-website": ({"website": "not a url"}, "website"),
        "blank-name": ({"name": ""}, "name"),
        "no-name": ({"name": None}, "name"),
        "bad-contact-email": ({"contact_persons": [{"name": "A", "email": "not-an-email"}]}, "email"),
        # A bad contact phone: test_a_bad_contact_person_writes_nothing.
    },
    "product": {
        "launched-next-year": ({"launch_year": NEXT_YEAR}, "launch_year"),
        "unknown-category": ({"category": "no-such-category"}, "category"),
        "unknown-standard": ({"standards": ["no-such-standard"]}, "standards"),
        "market-not-the-company-s": ({"markets": ["US"]}, "markets"),
        "unknown-maturity": ({"maturity": "vapourware"}, "maturity"),
        "blank-name": ({"name": ""}, "name"),
    },
    "export-market": {
        "vn": ({"country": "VN"}, "country"),
        "unknown-country": ({"country": "XX"}, "country"),
        "since-next-year": ({"since_year": NEXT_YEAR}, "since_year"),
        "unknown-kind": ({"kind": "embassy"}, "kind"),
        "no-source": ({"source": None}, "source"),
    },
    "export-revenue": {
        "negative": ({"amount_usd": "-1.00"}, "amount_usd"),
        "next-year": ({"year": NEXT_YEAR}, "year"),
        "vn": ({"country": "VN"}, "country"),
        "not-a-number": ({"amount_usd": "lots"}, "amount_usd"),
        "no-source": ({"source": None}, "source"),
    },
}
# A valid body that clashes with a record that exists answers 409 (a row error, under "__all__" or DRF's
# "non_field_errors"), and writes nothing.
CONFLICTING_CREATES = {
    "export-market": ({"country": "JP", "kind": "export_sales"}, "__all__|non_field_errors"),
    "export-revenue": ({"year": 2023}, "__all__|non_field_errors"),
}
INVALID_CHANGES = {
    "company": {
        "bad-check-digit": ({"tax_code": "0101243151"}, "tax_code"),
        "founded-next-year": ({"founded_year": NEXT_YEAR}, "founded_year"),
        "unknown-province": ({"province": "99"}, "province"),
    },
    "product": {
        "launched-next-year": ({"launch_year": NEXT_YEAR}, "launch_year"),
        "unknown-category": ({"category": "nope"}, "category"),
    },
    "export-market": {
        "vn": ({"country": "VN"}, "country"),
        "since-next-year": ({"since_year": NEXT_YEAR}, "since_year"),
    },
    "export-revenue": {
        "negative": ({"amount_usd": "-5"}, "amount_usd"),
        "next-year": ({"year": NEXT_YEAR}, "year"),
        "vn": ({"country": "VN"}, "country"),
    },
}


@contextmanager
def rolled_back():
    """One case of a loop, in a savepoint rolled back afterwards: each case starts from the fixtures' rows."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def refusal(response, before: dict, field: str, *, ignore=()) -> tuple:
    """(status, whether the body names ``field`` (one of "a|b"), what the request wrote)."""
    names = error_fields(response.json()) if response.get("Content-Type") == "application/json" else set()
    return response.status_code, bool(names & set(field.split("|"))), registry_changes(before, ignore=ignore)


REFUSED_400 = (400, True, {})  # 400, naming the field, nothing written
CONFLICT_409 = (409, True, {})


@pytest.mark.parametrize("basename", INVALID_CREATES)
def test_invalid_create_is_400_with_field_errors_and_writes_nothing(world, bearer_client, basename):
    client = bearer_client(world.rep)
    answers = {}
    for case, (change, field) in INVALID_CREATES[basename].items():
        with rolled_back():
            before = registry_state()
            response = client.post(
                reverse(f"{basename}-list"), {**BY_NAME[basename].create_body(world), **change}, format="json"
            )
            answers[case] = refusal(response, before, field, ignore={"companies.Source"})
    assert answers == dict.fromkeys(INVALID_CREATES[basename], REFUSED_400)


@pytest.mark.parametrize("basename", CONFLICTING_CREATES)
def test_a_create_that_clashes_with_an_existing_record_is_409_and_writes_nothing(world, bearer_client, basename):
    change, field = CONFLICTING_CREATES[basename]
    before = registry_state()
    response = bearer_client(world.rep).post(
        reverse(f"{basename}-list"), {**BY_NAME[basename].create_body(world), **change}, format="json"
    )
    assert refusal(response, before, field, ignore={"companies.Source"}) == CONFLICT_409


@pytest.mark.parametrize("basename", INVALID_CHANGES)
def test_invalid_change_is_400_with_field_errors_and_writes_nothing(world, bearer_client, basename):
    client = bearer_client(world.rep)
    url = reverse(f"{basename}-detail", kwargs=BY_NAME[basename].lookup(BY_NAME[basename].record(world)))
    answers = {}
    for case, (change, field) in INVALID_CHANGES[basename].items():
        with rolled_back():
            before = registry_state()
            answers[case] = refusal(
                client.patch(url, change, format="json"), before, field, ignore={"companies.Source"}
            )
    assert answers == dict.fromkeys(INVALID_CHANGES[basename], REFUSED_400)


@pytest.mark.parametrize("method", ["post", "patch"])
def test_a_bad_contact_person_writes_nothing(world, bearer_client, method):
    """The phone number's rule is the model's (checked by the service): the company must not be created,
    or renamed, before the contact persons are refused."""
    client = bearer_client(world.rep)
    contact_persons = [{"name": "Nguyễn Văn A", "phone": "call me"}]
    before = registry_state()
    if method == "post":
        body = {**BY_NAME["company"].create_body(world), "contact_persons": contact_persons}
        response = client.post(reverse("company-list"), body, format="json")
    else:
        url = reverse("company-detail", kwargs={"tax_code": world.own.tax_code})
        response = client.patch(url, {"name": "Tên mới", "contact_persons": contact_persons}, format="json")
    assert refusal(response, before, "phone") == REFUSED_400


@pytest.mark.parametrize(
    ("basename", "change"),
    [
        ("product", {"launch_year": NEXT_YEAR}),
        ("product", {"markets": ["US"]}),
        ("export-market", {"since_year": NEXT_YEAR}),
        ("export-revenue", {"year": NEXT_YEAR}),
    ],
    ids=["product-next-year", "product-foreign-market", "market-next-year", "revenue-next-year"],
)
def test_a_refused_write_leaves_no_cited_source_behind(world, bearer_client, basename, change):
    """Nothing is half-written: a body refused by the domain's rules does not leave the source it cites in
    the registry's sources (which the admin and later citations would find)."""
    body = {**BY_NAME[basename].create_body(world), **change, "source": {"title": "Nguồn chỉ trích dẫn một lần"}}
    before = registry_state()

    response = bearer_client(world.rep).post(reverse(f"{basename}-list"), body, format="json")

    assert response.status_code == 400
    assert registry_changes(before) == {}


def test_changing_the_tax_code_to_another_company_s_is_a_409(world, bearer_client):
    before = registry_state()
    response = bearer_client(world.rep).patch(
        reverse("company-detail", kwargs={"tax_code": world.own.tax_code}),
        {"tax_code": world.other.tax_code},
        format="json",
    )
    assert response.status_code == 409
    assert "tax_code" in response.json()
    assert registry_changes(before) == {}


def test_a_body_that_is_not_an_object_is_a_400(world, bearer_client):
    response = bearer_client(world.rep).post(reverse("company-list"), ["not", "an", "object"], format="json")
    assert response.status_code == 400


def test_deleting_a_company_deletes_its_records(world, bearer_client):
    response = bearer_client(world.rep).delete(reverse("company-detail", kwargs={"tax_code": world.own.tax_code}))
    assert response.status_code == 204
    assert not Company.objects.filter(pk=world.own.pk).exists()
    assert not Product.objects.filter(pk=world.product.pk).exists()
    assert not ExportMarket.objects.filter(pk=world.market.pk).exists()
    assert Company.objects.filter(pk=world.other.pk).exists()


# --- mass assignment ------------------------------------------------------------------------------------


OFFICER_ONLY_COMPANY_FIELDS = {
    "verification": "verified",
    "verified": True,
    "status": "active",
    "verified_at": "2024-01-01T00:00:00Z",
    "verified_by": 1,
    "verification_note": "Tự xác minh",
    "version": 99,
    "representatives": [1],
    "slug": "chosen-slug",
    "created_at": "2000-01-01T00:00:00Z",
    "search_name": "x",
}


@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_officer_only_company_fields_are_refused(world, bearer_client, method):
    """Each field alone, on create, replace and change: 400 naming it, and nothing applied."""
    client = bearer_client(world.rep)
    resource = BY_NAME["company"]
    if method == "post":
        url, body = reverse("company-list"), resource.create_body(world)
    else:
        url = reverse("company-detail", kwargs={"tax_code": world.own.tax_code})
        body = resource.put_body(world) if method == "put" else {}
    answers = {}
    for name, value in OFFICER_ONLY_COMPANY_FIELDS.items():
        with rolled_back():
            before = registry_state()
            answers[name] = refusal(getattr(client, method)(url, {**body, name: value}, format="json"), before, name)
    assert answers == dict.fromkeys(OFFICER_ONLY_COMPANY_FIELDS, REFUSED_400)
    assert Company.objects.get(pk=world.own.pk).verification == VerificationState.UNVERIFIED


@pytest.mark.parametrize("method", ["post", "patch", "put"])
def test_a_revenue_row_cannot_be_marked_verified_by_its_company(world, bearer_client, method):
    before = registry_state()
    client = bearer_client(world.rep)
    resource = BY_NAME["export-revenue"]
    if method == "post":
        response = client.post(
            reverse("export-revenue-list"), {**resource.create_body(world), "verified": True}, format="json"
        )
    else:
        body = resource.put_body(world) if method == "put" else {}
        url = reverse("export-revenue-detail", kwargs={"pk": world.revenue.pk})
        response = getattr(client, method)(url, {**body, "verified": True}, format="json")

    assert refusal(response, before, "verified") == REFUSED_400


READ_ONLY_RECORD_FIELDS = {
    "product": {
        "id": 12345,
        "slug": "chosen",
        "certified": True,
        "certified_on": "2024-01-01",
        "miv_certified_on": "2024-01-01",
        "version": 7,
    },
    "export-market": {"id": 12345, "products": [1], "country_name": "Japan", "version": 7},
    "export-revenue": {"id": 12345, "version": 7, "verified": True},
}


@pytest.mark.parametrize("basename", READ_ONLY_RECORD_FIELDS)
def test_read_only_fields_of_records_are_refused(world, bearer_client, basename):
    client = bearer_client(world.rep)
    answers = {}
    for name, value in READ_ONLY_RECORD_FIELDS[basename].items():
        with rolled_back():
            before = registry_state()
            body = {**BY_NAME[basename].create_body(world), name: value}
            answers[name] = refusal(client.post(reverse(f"{basename}-list"), body, format="json"), before, name)
    assert answers == dict.fromkeys(READ_ONLY_RECORD_FIELDS[basename], REFUSED_400)


def test_unknown_fields_of_nested_objects_are_refused(world, bearer_client):
    before = registry_state()
    client = bearer_client(world.rep)
    company = {
        **BY_NAME["company"].create_body(world),
        "contact_persons": [{"name": "A", "company": world.other.tax_code}],
    }
    assert client.post(reverse("company-list"), company, format="json").status_code == 400
    market = {**BY_NAME["export-market"].create_body(world), "source": {**SOURCE, "key": "existing-key"}}
    assert client.post(reverse("export-market-list"), market, format="json").status_code == 400
    assert registry_changes(before) == {}


# --- unexpected errors -----------------------------------------------------------------------------------


def test_an_unexpected_error_leaves_no_actor_behind(world, bearer_client, monkeypatch, request):
    """A request that fails with a 500 must not leave its user as the actor of the thread: the next change
    made in that thread (another request's, the admin's, a command's) would be logged as theirs."""
    from companies import services as company_services
    from registry import context
    from registry.context import current_actor

    request.addfinalizer(lambda: context._acting.set(None))  # whatever happens, the next tests start clean

    def fail(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(company_services, "company_update", fail)

    response = bearer_client(world.rep).patch(
        reverse("company-detail", kwargs={"tax_code": world.own.tax_code}), {"short_name": "X"}, format="json"
    )

    assert response.status_code == 500
    assert response.json() == {"detail": "Internal Server Error"}
    assert current_actor().user is None
