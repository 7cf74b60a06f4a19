"""Verification by ministry officers (verify, reject, suspend, reinstate), what sends a verified company back
to review, and who reads the sensitive fields (contact persons, the officer's note, unverified figures)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from companies.models import Company, CompanyStatus, ExportRevenue, VerificationState
from companies.services import company_reject, company_set_contact_persons, company_verify, export_revenue_create
from tests.helpers import registry_changes, registry_state

DECISIONS = ["verify", "reject", "suspend", "reinstate"]
REASON = {"reason": "Mã số thuế không khớp với giấy phép kinh doanh."}


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def decide(client, decision: str, company, body=None):
    return client.post(reverse(f"company-{decision}", kwargs={"tax_code": company.tax_code}), body or {}, format="json")


@pytest.fixture
def verified(world):
    """``world.own``, verified by the officer."""
    return company_verify(company=world.own, by=world.officer)


# --- officers decide -----------------------------------------------------------------------------------


def test_officer_verifies(world, bearer_client):
    response = decide(bearer_client(world.officer), "verify", world.own)

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["verification"], body["verified"]) == ("verified", True)
    assert body["verified_at"] is not None
    company = fresh(world.own)
    assert company.verified_by == world.officer
    assert response["ETag"] == f'"{company.version}"'


def test_officer_rejects_with_a_reason(world, bearer_client):
    response = decide(bearer_client(world.officer), "reject", world.own, REASON)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["verification"] == "rejected"
    assert body["verification_note"] == REASON["reason"]  # officers read the note
    assert fresh(world.own).verification_note == REASON["reason"]
    # The representative reads why; the public does not.
    own = reverse("company-detail", kwargs={"tax_code": world.own.tax_code})
    assert bearer_client(world.rep).get(own).json()["verification_note"] == REASON["reason"]


@pytest.mark.parametrize("decision", ["reject", "suspend"])
@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}], ids=["missing", "empty", "blank"])
def test_reject_and_suspend_need_a_reason(world, bearer_client, decision, body):
    before = registry_state()
    response = decide(bearer_client(world.officer), decision, world.own, body)
    assert response.status_code == 400
    assert "reason" in response.json()
    assert registry_changes(before) == {}


def test_decisions_refuse_unknown_fields(verified, world, bearer_client):
    before = registry_state()
    response = decide(bearer_client(world.officer), "reject", world.own, {**REASON, "verification": "verified"})
    assert response.status_code == 400
    assert registry_changes(before) == {}


def test_officer_suspends_and_reinstates(world, bearer_client, api_client, api_key_client):
    officer = bearer_client(world.officer)
    own = reverse("company-detail", kwargs={"tax_code": world.own.tax_code})
    public_lists = {
        "company-list": world.own.tax_code,
        "product-list": world.product.pk,
        "export-market-list": world.market.pk,
        "export-revenue-list": world.revenue.pk,
    }

    def listed(client) -> dict:
        found = {}
        for url_name, key in public_lists.items():
            rows = client.get(reverse(url_name), {"page_size": 100}).json()["results"]
            found[url_name] = key in [row.get("tax_code", row.get("id")) for row in rows]
        return found

    assert all(listed(api_client).values())

    response = decide(officer, "suspend", world.own, {"reason": "Ngừng hoạt động"})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "suspended"
    # Gone for the public and for apps, with its products, markets and figures ...
    assert listed(api_client) == dict.fromkeys(public_lists, False)
    assert listed(api_key_client(world.stranger)) == dict.fromkeys(public_lists, False)
    assert api_client.get(own).status_code == 404
    assert api_client.get(reverse("product-detail", kwargs={"pk": world.product.pk})).status_code == 404
    assert listed(bearer_client(world.other_rep))["company-list"] is False
    # ... but its representatives and officers still see it.
    for client in (bearer_client(world.rep), officer):
        assert listed(client)["company-list"] is True
        detail = client.get(own)
        assert detail.status_code == 200
        assert detail.json()["status"] == "suspended"
        assert detail.json()["verification_note"] == "Ngừng hoạt động"

    response = decide(officer, "reinstate", world.own)

    assert response.status_code == 200
    assert response.json()["status"] == "active"
    assert all(listed(api_client).values())


def test_a_suspended_company_s_representative_cannot_reinstate_it_by_editing(world, bearer_client):
    decide(bearer_client(world.officer), "suspend", world.own, {"reason": "Ngừng hoạt động"})
    response = bearer_client(world.rep).patch(
        reverse("company-detail", kwargs={"tax_code": world.own.tax_code}), {"status": "active"}, format="json"
    )
    assert response.status_code == 400
    assert fresh(world.own).status == CompanyStatus.SUSPENDED


def test_deciding_on_an_unknown_company_is_404(world, bearer_client):
    response = bearer_client(world.officer).post(reverse("company-verify", kwargs={"tax_code": "0100684378"}))
    assert response.status_code == 404


# Everyone but an officer signed in in person: 401 without credentials, 403 otherwise.
NOT_OFFICERS = {
    "anonymous": 401,
    "representative": 403,  # not even of their own company
    "other_representative": 403,
    "read_key": 403,
    "write_key": 403,
    "stranger_write_key": 403,
}


@pytest.mark.parametrize("role", NOT_OFFICERS)
def test_only_officers_decide(world, client_as, role):
    client = client_as(role)
    before = registry_state()
    for decision in DECISIONS:
        response = decide(client, decision, world.own, REASON if decision in ("reject", "suspend") else None)
        assert response.status_code == NOT_OFFICERS[role], (decision, response.content)
        assert registry_changes(before) == {}, decision


def test_an_officer_s_api_key_cannot_decide(world, api_key_client):
    """Officers act in person: their app's key, even with write scope, cannot verify."""
    client = api_key_client(world.officer, "write")
    for decision in DECISIONS:
        response = decide(client, decision, world.own, REASON if decision in ("reject", "suspend") else None)
        assert response.status_code == 403, decision
    assert fresh(world.own).verification == VerificationState.UNVERIFIED


# --- a verified company's changes go back to review ------------------------------------------------------


@pytest.mark.parametrize(
    ("url_name", "record", "method", "body"),
    [
        pytest.param("company-detail", "own", "patch", {"name": "Tên pháp lý mới"}, id="company-name"),
        pytest.param("company-detail", "own", "patch", {"tax_code": "0100684378"}, id="company-tax-code"),
        pytest.param("export-revenue-detail", "revenue", "patch", {"amount_usd": "999999.00"}, id="revenue-amount"),
        pytest.param("export-revenue-detail", "revenue", "patch", {"year": 2022}, id="revenue-year"),
        pytest.param("export-revenue-detail", "revenue", "delete", None, id="revenue-deleted"),
        pytest.param(
            "export-revenue-list",
            None,
            "post",
            {"year": 2024, "amount_usd": "5000.00", "source": {"title": "Báo cáo 2024"}},
            id="revenue-added",
        ),
    ],
)
def test_identity_or_figures_changed_by_a_representative_go_back_to_review(
    verified, world, bearer_client, api_client, url_name, record, method, body
):
    kwargs = {}
    if record == "own":
        kwargs = {"tax_code": world.own.tax_code}
    elif record is not None:
        kwargs = {"pk": getattr(world, record).pk}
    if body is not None and url_name.startswith("export-revenue"):
        body = {**body, "company": world.own.tax_code} if method == "post" else body

    response = getattr(bearer_client(world.rep), method)(reverse(url_name, kwargs=kwargs or None), body, format="json")

    assert response.status_code in (200, 201, 204), response.content
    assert fresh(world.own).verification == VerificationState.PENDING
    public = api_client.get(reverse("company-detail", kwargs={"tax_code": fresh(world.own).tax_code}))
    assert (public.json()["verification"], public.json()["verified"]) == ("pending", False)


@pytest.mark.parametrize(
    ("url_name", "record", "body"),
    [
        ("company-detail", "own", {"website": "https://nha.example.vn", "description_vi": "Mô tả mới"}),
        ("product-detail", "product", {"name": "Tên sản phẩm mới"}),
        ("export-market-detail", "market", {"note": "Văn phòng Tokyo"}),
    ],
    ids=["company-profile", "product", "market"],
)
def test_other_changes_keep_the_company_verified(verified, world, bearer_client, url_name, record, body):
    obj = getattr(world, record)
    kwargs = {"tax_code": obj.tax_code} if record == "own" else {"pk": obj.pk}
    response = bearer_client(world.rep).patch(reverse(url_name, kwargs=kwargs), body, format="json")
    assert response.status_code == 200
    assert fresh(world.own).verification == VerificationState.VERIFIED


def test_an_unchanged_name_keeps_the_company_verified(verified, world, bearer_client):
    response = bearer_client(world.rep).patch(
        reverse("company-detail", kwargs={"tax_code": world.own.tax_code}), {"name": world.own.name}, format="json"
    )
    assert response.status_code == 200
    assert fresh(world.own).verification == VerificationState.VERIFIED


def test_a_changed_figure_is_no_longer_shown_as_verified(verified, world, bearer_client, api_client):
    """An officer verified 1,000 USD; the representative changes it to 999,999. Until an officer looks at
    it again, the public must not read 999,999 as a verified figure."""
    response = bearer_client(world.rep).patch(
        reverse("export-revenue-detail", kwargs={"pk": world.revenue.pk}), {"amount_usd": "999999.00"}, format="json"
    )
    assert response.status_code == 200

    public_rows = api_client.get(reverse("export-revenue-list")).json()["results"]
    assert "999999.00" not in [row["amount_usd"] for row in public_rows]
    detail = api_client.get(reverse("company-detail", kwargs={"tax_code": world.own.tax_code})).json()
    assert "999999.00" not in [row["amount_usd"] for row in detail["export_revenue"]]
    assert (detail["latest_export_revenue"] or {}).get("amount_usd") != "999999.00"
    assert fresh(world.revenue).verified is False


# --- sensitive fields ----------------------------------------------------------------------------------


@pytest.fixture
def sensitive(world):
    """``world.own`` with a contact person, an officer's note and an unverified 2024 figure."""
    company_set_contact_persons(
        company=world.own,
        contact_persons=[
            {"name": "Trần Thị B", "role": "Kế toán trưởng", "phone": "0901 234 567", "email": "b@nha.vn"}
        ],
    )
    company_reject(company=world.own, by=world.officer, reason="Thiếu báo cáo tài chính.")
    return export_revenue_create(
        company=world.own, year=2024, amount_usd=Decimal("777777.00"), source=world.market.source
    )


# Who reads the own company's sensitive fields: its representatives and officers; nobody else, and no app
# whose key belongs to someone who is neither.
SEES_SENSITIVE = {
    "anonymous": False,
    "stranger_key": False,
    "stranger": False,
    "other_representative": False,
    "representative": True,
    "officer": True,
}


@pytest.fixture
def viewer(world, request, api_client, bearer_client, api_key_client):
    return {
        "anonymous": lambda: api_client,
        "stranger_key": lambda: api_key_client(world.stranger, "read"),
        "stranger": lambda: bearer_client(world.stranger),
        "other_representative": lambda: bearer_client(world.other_rep),
        "representative": lambda: bearer_client(world.rep),
        "officer": lambda: bearer_client(world.officer),
    }[request.param]()


@pytest.mark.parametrize("viewer", SEES_SENSITIVE, indirect=True)
def test_sensitive_fields_of_a_company(world, sensitive, viewer, request):
    sees = SEES_SENSITIVE[request.node.callspec.params["viewer"]]
    unverified = sensitive

    detail = viewer.get(reverse("company-detail", kwargs={"tax_code": world.own.tax_code}))

    assert detail.status_code == 200
    body = detail.json()
    assert ("contact_persons" in body) is sees
    assert ("verification_note" in body) is sees
    amounts = [row["amount_usd"] for row in body["export_revenue"]]
    assert ("777777.00" in amounts) is sees
    assert "1000.00" in amounts  # the verified figure is public
    if sees:
        assert body["contact_persons"] == [
            {"name": "Trần Thị B", "role": "Kế toán trưởng", "phone": "0901 234 567", "email": "b@nha.vn"}
        ]
        assert body["verification_note"] == "Thiếu báo cáo tài chính."
    else:
        assert "0901 234 567" not in detail.content.decode()
        assert "b@nha.vn" not in detail.content.decode()

    rows = viewer.get(reverse("export-revenue-list"), {"page_size": 100}).json()["results"]
    assert (unverified.pk in [row["id"] for row in rows]) is sees
    one = viewer.get(reverse("export-revenue-detail", kwargs={"pk": unverified.pk}))
    assert one.status_code == (200 if sees else 404)

    listed = viewer.get(reverse("company-list"), {"page_size": 100}).json()["results"]
    row = next(row for row in listed if row["tax_code"] == world.own.tax_code)
    assert "contact_persons" not in row
    if not sees:
        assert row["latest_export_revenue"] == {"year": 2023, "amount_usd": "1000.00"}
    assert ExportRevenue.objects.filter(company=world.own, verified=False).count() == 1
    assert Company.objects.get(pk=world.own.pk).contact_persons.count() == 1


# --- officers verify revenue figures -----------------------------------------------------------------------


@pytest.fixture
def unverified(world):
    """A 2024 figure the representative reported, not yet verified."""
    return export_revenue_create(
        company=world.own, year=2024, amount_usd=Decimal("4321.00"), source=world.market.source
    )


def test_officer_verifies_a_figure_and_it_becomes_public(world, unverified, bearer_client, api_client):
    assert api_client.get(reverse("export-revenue-detail", kwargs={"pk": unverified.pk})).status_code == 404

    response = bearer_client(world.officer).post(reverse("export-revenue-verify", kwargs={"pk": unverified.pk}))

    assert response.status_code == 200, response.content
    assert response.json()["verified"] is True
    public = api_client.get(reverse("export-revenue-detail", kwargs={"pk": unverified.pk}))
    assert public.status_code == 200
    assert public.json()["amount_usd"] == "4321.00"


@pytest.mark.parametrize("role", NOT_OFFICERS)
def test_only_officers_verify_figures(world, unverified, client_as, role):
    before = registry_state()
    response = client_as(role).post(reverse("export-revenue-verify", kwargs={"pk": unverified.pk}))
    assert response.status_code == NOT_OFFICERS[role], response.content
    assert registry_changes(before) == {}
    assert fresh(unverified).verified is False
