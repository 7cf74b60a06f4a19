"""A scaled-down NetBox ``APIViewTestCases``: each resource declares its data, and the same tests cover
list (with its query count), retrieve, create and the permission denial of every write.

Reference data (categories, standards, provinces, markets by country) is read-only: every write answers
405. Companies and products are written by their representatives: an anonymous write answers 401. Either
way the body is JSON and no row is written. (Writes by each role: tests/api/test_writes.py.)
"""

from dataclasses import dataclass
from typing import Callable

import pytest
from django.urls import reverse

from companies.models import Company, ExportMarket, Province
from products.models import Category, Product, Standard


@dataclass(frozen=True)
class Resource:
    basename: str
    model: type
    key: str  # the field that identifies a row in the body
    detail_kwargs: Callable[[dict], dict] | None  # URL kwargs of one object, from the ``registry`` fixture
    expected_key: Callable[[dict], object]  # the value of ``key`` for that object
    list_queries: int  # whatever the number of rows
    paginated: bool = True
    writable: bool = False  # writable by representatives: anonymous writes are 401, else 405 for everyone

    def __str__(self) -> str:
        return self.basename


RESOURCES = [
    Resource(
        basename="company",
        model=Company,
        key="tax_code",
        detail_kwargs=lambda data: {"tax_code": data["misa"].tax_code},
        expected_key=lambda data: data["misa"].tax_code,
        list_queries=2,  # count, page (market countries as a subquery)
        writable=True,
    ),
    Resource(
        basename="product",
        model=Product,
        key="id",
        detail_kwargs=lambda data: {"pk": data["accounting"].pk},
        expected_key=lambda data: data["accounting"].pk,
        list_queries=3,  # count, page (market countries as a subquery), standards
        writable=True,
    ),
    Resource(
        basename="category",
        model=Category,
        key="slug",
        detail_kwargs=lambda data: {"slug": "accounting-software"},
        expected_key=lambda data: "accounting-software",
        list_queries=1,
        paginated=False,
    ),
    Resource(
        basename="standard",
        model=Standard,
        key="code",
        detail_kwargs=lambda data: {"code": "3gpp-release-15"},
        expected_key=lambda data: "3gpp-release-15",
        list_queries=1,
        paginated=False,
    ),
    Resource(
        basename="province",
        model=Province,
        key="code",
        detail_kwargs=lambda data: {"code": "48"},
        expected_key=lambda data: "48",
        list_queries=1,
        paginated=False,
    ),
    Resource(
        basename="market",
        model=ExportMarket,
        key="country",
        detail_kwargs=None,  # markets are an aggregate: list only
        expected_key=lambda data: "JP",
        list_queries=1,
        paginated=False,
    ),
]
DETAIL_RESOURCES = [resource for resource in RESOURCES if resource.detail_kwargs is not None]


def rows(body, resource: Resource) -> list[dict]:
    if resource.paginated:
        assert set(body) == {"count", "count_capped", "next", "previous", "results"}
        assert body["count_capped"] is False
        assert body["count"] == len(body["results"])
        return body["results"]
    assert isinstance(body, list)
    return body


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_list(api_client, registry, resource, django_assert_num_queries):
    url = reverse(f"{resource.basename}-list")
    with django_assert_num_queries(resource.list_queries):
        response = api_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    listed = rows(response.json(), resource)
    assert len(listed) >= 2
    assert resource.expected_key(registry) in [row[resource.key] for row in listed]


@pytest.mark.parametrize("resource", DETAIL_RESOURCES, ids=str)
def test_retrieve(api_client, registry, resource):
    response = api_client.get(reverse(f"{resource.basename}-detail", kwargs=resource.detail_kwargs(registry)))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()[resource.key] == resource.expected_key(registry)


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_anonymous_create_is_refused(api_client, registry, resource):
    before = resource.model.objects.count()
    response = api_client.post(
        reverse(f"{resource.basename}-list"), {"name": "Injected", "tax_code": "0100684378"}, format="json"
    )
    assert response["Content-Type"] == "application/json"
    if resource.writable:
        assert response.status_code == 401
        assert response.json() == {"detail": "Authentication credentials were not provided."}
    else:
        assert response.status_code == 405
        assert response.json() == {"detail": 'Method "POST" not allowed.'}
    assert resource.model.objects.count() == before


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
@pytest.mark.parametrize("resource", DETAIL_RESOURCES, ids=str)
def test_anonymous_writes_to_an_object_are_refused(api_client, registry, resource, method):
    url = reverse(f"{resource.basename}-detail", kwargs=resource.detail_kwargs(registry))
    before = api_client.get(url).json()
    count = resource.model.objects.count()

    response = getattr(api_client, method)(url, {"name": "Overwritten"}, format="json")

    assert response["Content-Type"] == "application/json"
    if resource.writable:
        assert response.status_code == 401
    else:
        assert response.status_code == 405
        assert response.json() == {"detail": f'Method "{method.upper()}" not allowed.'}
    assert resource.model.objects.count() == count
    assert api_client.get(url).json() == before


@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_unknown_query_parameter_is_a_400_naming_it(api_client, registry, resource):
    response = api_client.get(reverse(f"{resource.basename}-list"), {"sort": "name"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()) == ["sort"]


@pytest.mark.parametrize("resource", DETAIL_RESOURCES, ids=str)
def test_a_detail_url_refuses_list_filters_instead_of_ignoring_them(api_client, registry, resource):
    url = reverse(f"{resource.basename}-detail", kwargs=resource.detail_kwargs(registry))
    response = api_client.get(url, {"search": "no such words anywhere", "province": "96"})
    assert response.status_code == 400
    assert sorted(response.json()) == ["province", "search"]
    assert api_client.get(url).json()[resource.key] == resource.expected_key(registry)
