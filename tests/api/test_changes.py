"""/api/v1/changes/: the change feed third-party apps poll, and the audit log officers read."""

import pytest
from django.urls import reverse

from tests.helpers import get_json

SOURCE = {"title": "Annual report 2024", "url": "https://example.org/report-2024"}


@pytest.fixture(autouse=True)
def _no_settle_window(settings):
    settings.CHANGE_FEED_SETTLE_SECONDS = 0


def replay(client, *, limit=3) -> dict:
    """Read the whole feed from the start, page by page, as a syncing app would."""
    state: dict = {}
    since = 0
    while True:
        page = get_json(client, "change-list", {"since": since, "limit": limit})
        for change in page["results"]:
            key = (change["object_type"], change["object_id"])
            if change["action"] == "delete":
                state.pop(key, None)
            else:
                state[key] = change["data"]
        assert page["next_since"] >= since
        since = page["next_since"]
        if not page["has_more"]:
            return state


def public_state(client) -> dict:
    """The public state as the read API shows it, keyed like the feed."""
    state = {}
    companies = get_json(client, "company-list", {"page_size": 100})["results"]
    for company in companies:
        detail = get_json(client, "company-detail", tax_code=company["tax_code"])
        state[("company", company["tax_code"])] = detail["name"]
        for market in detail["export_markets"]:
            state[("export_market", company["tax_code"], market["country"], market["kind"])] = market["since_year"]
        for revenue in detail["export_revenue"]:
            state[("export_revenue", company["tax_code"], revenue["year"], revenue["country"])] = revenue["amount_usd"]
    for product in get_json(client, "product-list", {"page_size": 100})["results"]:
        state[("product", product["id"])] = (product["name"], product["company"]["tax_code"], product["markets"])
    return state


def as_public_state(replayed: dict) -> dict:
    """The replayed feed in the shape of ``public_state``."""
    state = {}
    for (object_type, object_id), data in replayed.items():
        if object_type == "company":
            state[("company", data["tax_code"])] = data["name"]
        elif object_type == "export_market":
            state[("export_market", data["company"], data["country"], data["kind"])] = data["since_year"]
        elif object_type == "export_revenue":
            state[("export_revenue", data["company"], data["year"], data["country"])] = data["amount_usd"]
        else:
            state[("product", object_id)] = (data["name"], data["company"], data["markets"])
    return state


def test_replaying_the_feed_from_the_start_gives_the_current_public_state(world, client_as, api_client):
    rep, officer = client_as("representative"), client_as("officer")
    own = world.own.tax_code
    # A representative's writes: a new company with a market, a product and an unverified figure.
    created = rep.post(
        reverse("company-list"),
        {"tax_code": "0101601092", "name": "Công ty Mới", "province": "48", "ownership": "joint_stock"},
        format="json",
    )
    assert created.status_code == 201, created.content
    market = rep.post(
        reverse("export-market-list"),
        {"company": "0101601092", "country": "LA", "kind": "export_sales", "source": SOURCE},
        format="json",
    )
    assert market.status_code == 201, market.content
    product = rep.post(
        reverse("product-list"),
        {"company": "0101601092", "name": "Sản phẩm mới", "category": "accounting-software",
         "maturity": "commercial", "markets": ["LA"]},
        format="json",
    )  # fmt: skip
    assert product.status_code == 201, product.content
    revenue = rep.post(
        reverse("export-revenue-list"),
        {"company": "0101601092", "year": 2024, "amount_usd": "5000.00", "source": SOURCE},
        format="json",
    )
    assert revenue.status_code == 201, revenue.content
    # Changes that alter what the public sees: a rename, a deletion, a market that goes away, an officer's
    # verification of the figure, and the suspension of the other company.
    assert (
        rep.patch(reverse("company-detail", kwargs={"tax_code": own}), {"name": "Tên mới"}, format="json").status_code
        == 200
    )
    assert rep.delete(reverse("product-detail", kwargs={"pk": world.product.pk})).status_code == 204
    assert rep.delete(reverse("export-market-detail", kwargs={"pk": market.json()["id"]})).status_code == 204
    assert officer.post(reverse("export-revenue-verify", kwargs={"pk": revenue.json()["id"]})).status_code == 200
    suspended = officer.post(
        reverse("company-suspend", kwargs={"tax_code": world.other.tax_code}), {"reason": "Under audit"}, format="json"
    )
    assert suspended.status_code == 200

    expected = public_state(api_client)
    assert ("company", world.other.tax_code) not in expected
    assert ("export_revenue", "0101601092", 2024, None) in expected
    assert as_public_state(replay(api_client)) == expected


def test_public_feed_leaves_out_private_changes(world, client_as, api_client):
    rep = client_as("representative")
    before = get_json(api_client, "change-list", {"since": 0, "limit": 1000})["next_since"]

    response = rep.patch(
        reverse("company-detail", kwargs={"tax_code": world.own.tax_code}),
        {"contact_persons": [{"name": "Nguyễn Văn A", "phone": "+84 24 1234 5678"}]},
        format="json",
    )
    assert response.status_code == 200

    assert get_json(api_client, "change-list", {"since": before})["results"] == []
    audit = get_json(client_as("officer"), "change-list", {"since": before})["results"]
    assert [change["changes"]["contact_persons"][1][0]["name"] for change in audit] == ["Nguyễn Văn A"]


def test_officers_read_who_changed_what_through_which_client(world, client_as):
    write_key = client_as("write_key")
    officer = client_as("officer")
    before = get_json(officer, "change-list", {"since": 0, "limit": 1000})["next_since"]

    response = write_key.patch(
        reverse("company-detail", kwargs={"tax_code": world.own.tax_code}), {"founded_year": 2001}, format="json"
    )
    assert response.status_code == 200

    (change,) = get_json(officer, "change-list", {"since": before})["results"]
    assert change["object_type"] == "company"
    assert change["change"] == "update"
    assert change["changes"] == {"founded_year": [None, 2001]}
    assert change["actor"] == "rep"
    assert change["api_key"] == write_key.api_key.prefix


def test_feed_filters_by_object_type(world, api_client):
    changes = get_json(api_client, "change-list", {"object_type": "product,export_market", "limit": 1000})["results"]
    assert changes
    assert {change["object_type"] for change in changes} == {"product", "export_market"}


@pytest.mark.parametrize(
    ("params", "parameter"),
    [({"since": "-1"}, "since"), ({"limit": "0"}, "limit"), ({"object_type": "widget"}, "object_type")],
)
def test_invalid_feed_parameters_are_400(api_client, db, params, parameter):
    response = api_client.get(reverse("change-list"), params)
    assert response.status_code == 400
    assert list(response.json()) == [parameter]


def test_the_newest_changes_are_held_back_until_they_settle(world, api_client, settings):
    settings.CHANGE_FEED_SETTLE_SECONDS = 60
    assert get_json(api_client, "change-list")["results"] == []
