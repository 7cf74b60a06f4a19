"""Concurrent writes, through real threads and real transactions (each request on its own connection), on
whichever database the suite runs: PostgreSQL (production) and SQLite (the embedded default). Whatever the
interleaving, no request answers 500 and no duplicate row is written."""

import threading

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from companies.models import Company
from tests.conftest import valid_tax_codes

# Data of migrations (provinces, the officers' group) is restored for these tests, which commit for real.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TAX_CODES = valid_tax_codes("07")
ROUNDS = 3  # races are not deterministic: run a few


def at_once(requests: list) -> list:
    """Run each ``request()`` in its own thread, released together; their responses, or the exception."""
    barrier = threading.Barrier(len(requests))
    results = [None] * len(requests)

    def run(index, request):
        try:
            barrier.wait(timeout=10)
            results[index] = request()
        except Exception as error:  # noqa: BLE001 - reported by the test
            results[index] = error
        finally:
            connection.close()  # this thread's connection, or the test database cannot be dropped

    threads = [threading.Thread(target=run, args=(index, request)) for index, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    return results


@pytest.fixture
def signed_in(django_user_model):
    """Factory: an ``APIClient`` per call, each for a new user with a bearer token."""
    counter = iter(range(1000))

    def make():
        user = django_user_model.objects.create_user(username=f"racer{next(counter)}")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {Token.objects.create(user=user).key}")
        client.user = user
        return client

    return make


def create_company(client, tax_code: str, name: str):
    body = {"tax_code": tax_code, "name": name, "province": "01", "ownership": "joint_stock"}
    return lambda: client.post(reverse("company-list"), body, format="json")


def patch(client, url: str, body: dict, etag: str):
    return lambda: client.patch(url, body, format="json", HTTP_IF_MATCH=etag)


def describe(results) -> list:
    return [
        result if isinstance(result, Exception) else (result.status_code, result.content[:200]) for result in results
    ]


@pytest.mark.parametrize("same_name", [False, True], ids=["different-names", "same-name"])
def test_two_requests_creating_the_same_tax_code_at_once(signed_in, same_name):
    for round_ in range(ROUNDS):
        tax_code = next(TAX_CODES)
        first, second = signed_in(), signed_in()
        names = ["Công ty Đua", "Công ty Đua"] if same_name else [f"Công ty Một {round_}", f"Công ty Hai {round_}"]

        results = at_once([create_company(first, tax_code, names[0]), create_company(second, tax_code, names[1])])

        assert not any(isinstance(result, Exception) for result in results), describe(results)
        statuses = sorted(result.status_code for result in results)
        assert statuses == [201, 409], describe(results)
        loser = next(result for result in results if result.status_code != 201)
        assert "tax_code" in loser.json() or "detail" in loser.json()
        assert Company.objects.filter(tax_code=tax_code).count() == 1
        winner = first if results[0].status_code == 201 else second
        company = Company.objects.get(tax_code=tax_code)
        assert list(company.representatives.all()) == [winner.user]


def test_two_companies_with_the_same_name_registered_at_once(signed_in):
    """Different enterprise codes, the same name (so the same slug is tried first): both are registered, or
    the refused one is told the truth; never a 500."""
    for _ in range(ROUNDS):
        codes = [next(TAX_CODES), next(TAX_CODES)]
        results = at_once([create_company(signed_in(), code, "Công ty Trùng Tên") for code in codes])

        assert not any(isinstance(result, Exception) for result in results), describe(results)
        assert [result.status_code for result in results] == [201, 201], describe(results)
        assert Company.objects.filter(tax_code__in=codes).count() == 2


def test_concurrent_edits_of_one_company_with_the_same_etag(signed_in):
    """Two representatives PATCH one company with the ETag they both read: one 200, one 412."""
    first, second = signed_in(), signed_in()
    tax_code = next(TAX_CODES)
    assert create_company(first, tax_code, "Công ty Chung")().status_code == 201
    Company.objects.get(tax_code=tax_code).representatives.add(second.user)
    url = reverse("company-detail", kwargs={"tax_code": tax_code})
    for round_ in range(ROUNDS):
        etag = first.get(url)["ETag"]
        results = at_once(
            [
                patch(first, url, {"short_name": f"A{round_}"}, etag),
                patch(second, url, {"website": f"https://b{round_}.example.vn"}, etag),
            ]
        )
        assert not any(isinstance(result, Exception) for result in results), describe(results)
        assert sorted(result.status_code for result in results) == [200, 412], describe(results)
        company = Company.objects.get(tax_code=tax_code)
        applied = [company.short_name == f"A{round_}", company.website == f"https://b{round_}.example.vn"]
        assert applied == [result.status_code == 200 for result in results]
