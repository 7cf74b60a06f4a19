"""ETags and conditional requests: If-None-Match answers 304, a stale If-Match answers 412 and changes
nothing, so that no edit is silently lost."""

import pytest
from django.urls import reverse

from products.models import Product
from tests.helpers import registry_changes, registry_state

# Each versioned resource: the URL kwargs of the own company's object and a change to it.
RESOURCES = {
    "company": (lambda world: {"tax_code": world.own.tax_code}, {"short_name": "Nhà"}),
    "product": (lambda world: {"pk": world.product.pk}, {"description_en": "Home software"}),
    "export-market": (lambda world: {"pk": world.market.pk}, {"note": "Văn phòng Tokyo"}),
    "export-revenue": (lambda world: {"pk": world.revenue.pk}, {"amount_usd": "1100.00"}),
}


def detail_url(world, basename: str) -> str:
    return reverse(f"{basename}-detail", kwargs=RESOURCES[basename][0](world))


@pytest.mark.parametrize("basename", RESOURCES)
def test_if_none_match(world, bearer_client, basename):
    client = bearer_client(world.rep)
    url = detail_url(world, basename)
    first = client.get(url)
    assert first.status_code == 200
    etag = first["ETag"]
    assert etag.startswith('"') and etag.endswith('"')

    not_modified = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified["ETag"] == etag
    assert client.get(url, HTTP_IF_NONE_MATCH=f'"other", W/{etag}').status_code == 304
    assert client.get(url, HTTP_IF_NONE_MATCH='"999999"').status_code == 200

    assert client.patch(url, RESOURCES[basename][1], format="json").status_code == 200
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


@pytest.mark.parametrize("basename", RESOURCES)
def test_anonymous_callers_get_etags_too(world, api_client, basename):
    url = detail_url(world, basename)
    etag = api_client.get(url)["ETag"]
    assert api_client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304


@pytest.mark.parametrize("basename", RESOURCES)
def test_if_match(world, bearer_client, basename):
    client = bearer_client(world.rep)
    url = detail_url(world, basename)
    change = RESOURCES[basename][1]
    etag = client.get(url)["ETag"]

    response = client.patch(url, change, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == 200, response.content
    new_etag = response["ETag"]
    assert new_etag != etag
    assert client.get(url)["ETag"] == new_etag

    # The old ETag is stale now: every write with it is refused and changes nothing.
    before = registry_state()
    stale = {
        "patch": client.patch(url, {**change}, format="json", HTTP_IF_MATCH=etag),
        "delete": client.delete(url, HTTP_IF_MATCH=etag),
    }
    assert {method: response.status_code for method, response in stale.items()} == {"patch": 412, "delete": 412}
    assert stale["patch"].json()["detail"]
    assert registry_changes(before) == {}

    assert client.delete(url, HTTP_IF_MATCH=new_etag).status_code == 204


def test_a_stale_put_is_refused(world, bearer_client):
    client = bearer_client(world.rep)
    url = detail_url(world, "product")
    etag = client.get(url)["ETag"]
    assert client.patch(url, {"name": "Đổi tên"}, format="json").status_code == 200
    before = registry_state()

    response = client.put(
        url,
        {"company": world.own.tax_code, "name": "Ghi đè", "category": "software", "maturity": "pilot"},
        format="json",
        HTTP_IF_MATCH=etag,
    )

    assert response.status_code == 412
    assert registry_changes(before) == {}


@pytest.mark.parametrize("header", ["3", '"abc"', "W/", '"999999"'])
def test_an_if_match_that_names_no_etag_of_this_api_is_412(world, bearer_client, header):
    before = registry_state()
    response = bearer_client(world.rep).patch(
        detail_url(world, "product"), {"name": "X"}, format="json", HTTP_IF_MATCH=header
    )
    assert response.status_code == 412
    assert registry_changes(before) == {}


def test_if_match_star_means_any_version(world, bearer_client):
    response = bearer_client(world.rep).patch(
        detail_url(world, "product"), {"name": "X"}, format="json", HTTP_IF_MATCH="*"
    )
    assert response.status_code == 200


def test_two_representatives_editing_one_product_lose_no_edit(world, make_user, bearer_client):
    first = bearer_client(world.rep)
    second = bearer_client(make_user("second_rep", represents=[world.own]))
    url = detail_url(world, "product")
    etag_first = first.get(url)["ETag"]
    etag_second = second.get(url)["ETag"]
    assert etag_first == etag_second

    response = first.patch(url, {"name": "Tên của người thứ nhất"}, format="json", HTTP_IF_MATCH=etag_first)
    assert response.status_code == 200

    response = second.patch(
        url, {"description_vi": "Mô tả của người thứ hai"}, format="json", HTTP_IF_MATCH=etag_second
    )
    assert response.status_code == 412
    product = Product.objects.get(pk=world.product.pk)
    assert (product.name, product.description_vi) == ("Tên của người thứ nhất", "")

    # The second one reads again and retries: both edits are kept.
    fresh = second.get(url)
    assert fresh.json()["name"] == "Tên của người thứ nhất"
    response = second.patch(
        url, {"description_vi": "Mô tả của người thứ hai"}, format="json", HTTP_IF_MATCH=fresh["ETag"]
    )
    assert response.status_code == 200
    product = Product.objects.get(pk=world.product.pk)
    assert (product.name, product.description_vi) == ("Tên của người thứ nhất", "Mô tả của người thứ hai")


@pytest.mark.parametrize(
    ("basename", "change"),
    [
        ("product", {"name": "Tên mới"}),
        ("export-market", {"note": "Mới"}),
        ("export-revenue", {"amount_usd": "1.00"}),
    ],
)
def test_a_company_s_etag_changes_with_its_parts(world, bearer_client, basename, change):
    """The company page shows its products, markets and figures: it is not "not modified" after they change."""
    client = bearer_client(world.rep)
    company_url = detail_url(world, "company")
    etag = client.get(company_url)["ETag"]

    assert client.patch(detail_url(world, basename), change, format="json").status_code == 200

    assert client.get(company_url, HTTP_IF_NONE_MATCH=etag).status_code == 200
    # ... so a company edit based on the old page is refused.
    response = client.patch(company_url, {"short_name": "Nhà"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 412


def test_a_product_s_etag_changes_when_only_its_standards_change(world, bearer_client):
    client = bearer_client(world.rep)
    url = detail_url(world, "product")
    etag = client.get(url)["ETag"]
    response = client.patch(url, {"standards": ["3gpp-release-15"]}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert client.patch(url, {"standards": []}, format="json", HTTP_IF_MATCH=etag).status_code == 412


def test_if_match_with_several_etags_goes_through_when_one_is_current(world, bearer_client):
    client = bearer_client(world.rep)
    url = detail_url(world, "product")
    current = client.get(url)["ETag"]

    response = client.patch(url, {"launch_year": 2019}, format="json", HTTP_IF_MATCH=f'"999", {current}')
    assert response.status_code == 200
    stale = client.patch(url, {"launch_year": 2018}, format="json", HTTP_IF_MATCH=f'"999", {current}')
    assert stale.status_code == 412
