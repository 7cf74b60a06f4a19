"""Rate limits: per anonymous client address, per signed-in user and per API key, each its own bucket;
over the limit, 429 with Retry-After.

DRF reads the rates once, into ``SimpleRateThrottle.THROTTLE_RATES`` when ``rest_framework.throttling`` is
imported, so overriding ``settings.REST_FRAMEWORK`` in a test has no effect: the tests patch that class
attribute (every throttle of the API inherits it). The counters (the cache) are emptied before each test.
"""

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

LIMIT = 3


@pytest.fixture(autouse=True)
def low_rates(monkeypatch):
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {"anon": f"{LIMIT}/min", "user": f"{LIMIT}/min", "api_key": f"{LIMIT}/min", "token": f"{LIMIT}/min"},
    )


def exhaust(client, **headers) -> list[int]:
    """The statuses of LIMIT + 1 reads."""
    return [client.get(reverse("province-list"), **headers).status_code for _ in range(LIMIT + 1)]


def assert_throttled(response):
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()
    assert 0 < int(response["Retry-After"]) <= 60


def test_anonymous_limit(db):
    client = APIClient()
    assert exhaust(client) == [200] * LIMIT + [429]
    assert_throttled(client.get(reverse("company-list")))


def test_anonymous_limit_is_per_client_address(db):
    assert exhaust(APIClient(), REMOTE_ADDR="203.0.113.1")[-1] == 429
    assert APIClient().get(reverse("province-list"), REMOTE_ADDR="203.0.113.2").status_code == 200


def test_anonymous_limit_cannot_be_dodged_with_x_forwarded_for(db):
    """A client that makes up a new X-Forwarded-For for each request is still one client address."""
    client = APIClient()
    statuses = [
        client.get(
            reverse("province-list"), REMOTE_ADDR="203.0.113.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{index}"
        ).status_code
        for index in range(LIMIT + 1)
    ]
    assert statuses == [200] * LIMIT + [429]


PROXY = "10.0.0.1"
behind_one_proxy = override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "NUM_PROXIES": 1})


def through_the_proxy(client_address: str, forged: str | None = None) -> dict:
    """What the app sees of a request that passed one reverse proxy: the proxy's own address, and an
    X-Forwarded-For the proxy appended the client's address to (after whatever the client wrote there)."""
    forwarded_for = f"{forged}, {client_address}" if forged else client_address
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded_for}


@behind_one_proxy
def test_behind_a_proxy_each_client_address_has_its_own_limit(db):
    assert exhaust(APIClient(), **through_the_proxy("203.0.113.1")) == [200] * LIMIT + [429]
    # Not the proxy's address: every other client behind it still has its whole allowance.
    assert exhaust(APIClient(), **through_the_proxy("203.0.113.2")) == [200] * LIMIT + [429]


@behind_one_proxy
def test_behind_a_proxy_a_forged_x_forwarded_for_neither_dodges_the_limit_nor_throttles_another(db):
    client = APIClient()
    statuses = [
        client.get(
            reverse("province-list"), **through_the_proxy("203.0.113.1", forged=f"198.51.100.{index}")
        ).status_code
        for index in range(LIMIT + 1)
    ]
    assert statuses == [200] * LIMIT + [429]  # a new made-up address each time did not help

    # The addresses it wrote are not throttled: their owners' own requests pass.
    for index in range(LIMIT + 1):
        assert APIClient().get(reverse("province-list"), **through_the_proxy(f"198.51.100.{index}")).status_code == 200


@behind_one_proxy
def test_behind_a_proxy_naming_a_victim_in_x_forwarded_for_does_not_throttle_the_victim(db):
    victim = "203.0.113.50"
    attacker = APIClient()
    assert exhaust(attacker, **through_the_proxy("203.0.113.66", forged=victim))[-1] == 429

    assert APIClient().get(reverse("province-list"), **through_the_proxy(victim)).status_code == 200


def test_signed_in_users_and_api_keys_are_not_counted_as_the_anonymous_address(world, bearer_client, api_key_client):
    assert exhaust(APIClient())[-1] == 429
    assert bearer_client(world.rep).get(reverse("province-list")).status_code == 200
    assert api_key_client(world.stranger).get(reverse("province-list")).status_code == 200


def test_user_limit(world, bearer_client, api_key_client):
    rep = bearer_client(world.rep)
    assert exhaust(rep) == [200] * LIMIT + [429]
    assert_throttled(
        rep.patch(
            reverse("company-detail", kwargs={"tax_code": world.own.tax_code}), {"short_name": "X"}, format="json"
        )
    )
    # Other users, anonymous callers and the same user's apps have their own buckets.
    assert bearer_client(world.other_rep).get(reverse("province-list")).status_code == 200
    assert APIClient().get(reverse("province-list")).status_code == 200
    assert api_key_client(world.rep).get(reverse("province-list")).status_code == 200


def test_api_key_limit(world, bearer_client, api_key_client):
    app = api_key_client(world.rep, "read")
    assert exhaust(app) == [200] * LIMIT + [429]
    assert_throttled(app.get(reverse("company-list")))
    # Another key of the same owner, the owner in person, and anonymous callers have their own buckets.
    assert api_key_client(world.rep, "read").get(reverse("province-list")).status_code == 200
    assert bearer_client(world.rep).get(reverse("province-list")).status_code == 200
    assert APIClient().get(reverse("province-list")).status_code == 200


def test_api_keys_have_a_higher_limit_than_anonymous_callers():
    from django.conf import settings

    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    per_minute = {scope: SimpleRateThrottle.parse_rate(None, rate) for scope, rate in rates.items()}
    requests_per_second = {scope: count / seconds for scope, (count, seconds) in per_minute.items()}
    assert requests_per_second["api_key"] > requests_per_second["anon"]


def test_password_attempts_are_limited(world):
    client = APIClient()
    statuses = [
        client.post(reverse("auth-token"), {"username": "rep", "password": f"guess {index}"}, format="json").status_code
        for index in range(LIMIT + 1)
    ]
    assert statuses == [400] * LIMIT + [429]
    assert_throttled(client.post(reverse("auth-token"), {"username": "rep", "password": "x"}, format="json"))
