"""CORS for third-party browser apps: only the origins in CORS_ALLOWED_ORIGINS, only under /api/. Such an app
authenticates with an Authorization header (an API key or a bearer token), never with cookies, and may send
the conditional-request and request-id headers and read ETag, Retry-After and X-Request-ID."""

import pytest
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

APP = "https://app.example.vn"
ELSEWHERE = "https://evil.example"

pytestmark = pytest.mark.django_db


def preflight(client, path: str, origin: str, method: str, headers: str):
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS=headers,
    )


def listed(response, header: str) -> set[str]:
    return {item.strip().lower() for item in response.get(header, "").split(",") if item.strip()}


@override_settings(CORS_ALLOWED_ORIGINS=[APP, "https://other-app.example"])
def test_an_allowed_origin_reads_the_api_and_its_headers(world, api_key_client):
    client = api_key_client(world.rep)
    url = reverse("company-detail", kwargs={"tax_code": world.own.tax_code})

    response = client.get(url, HTTP_ORIGIN=APP)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == APP
    assert "Access-Control-Allow-Credentials" not in response  # no cookies cross-origin
    assert {"etag", "retry-after", "x-request-id"} <= listed(response, "Access-Control-Expose-Headers")
    assert "origin" in listed(response, "Vary")  # a shared cache keeps one answer per origin
    assert response["ETag"]


@override_settings(CORS_ALLOWED_ORIGINS=[APP])
def test_an_allowed_origin_passes_the_preflight_of_a_conditional_write(world):
    url = reverse("company-detail", kwargs={"tax_code": world.own.tax_code})

    response = preflight(APIClient(), url, APP, "PATCH", "authorization, content-type, if-match, x-request-id")

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == APP
    assert {"get", "patch", "put", "delete", "post"} <= listed(response, "Access-Control-Allow-Methods")
    assert {"authorization", "content-type", "if-match", "if-none-match", "x-request-id"} <= listed(
        response, "Access-Control-Allow-Headers"
    )
    assert int(response["Access-Control-Max-Age"]) > 0


@override_settings(CORS_ALLOWED_ORIGINS=[APP])
def test_another_origin_gets_no_cors_headers():
    url = reverse("province-list")

    read = APIClient().get(url, HTTP_ORIGIN=ELSEWHERE)
    asked = preflight(APIClient(), url, ELSEWHERE, "GET", "authorization")

    assert read.status_code == 200  # answered, but the browser keeps it from the page
    assert "Access-Control-Allow-Origin" not in read
    assert "Access-Control-Allow-Origin" not in asked
    assert "Access-Control-Allow-Headers" not in asked


@override_settings(CORS_ALLOWED_ORIGINS=[APP])
def test_only_the_api_is_shared_across_origins():
    assert "Access-Control-Allow-Origin" not in APIClient().get("/", HTTP_ORIGIN=APP)
    assert "Access-Control-Allow-Origin" not in APIClient().get("/admin/login/", HTTP_ORIGIN=APP)
    assert "Access-Control-Allow-Origin" not in APIClient().get("/healthz", HTTP_ORIGIN=APP)


def test_no_origin_is_allowed_by_default():
    from django.conf import settings

    assert settings.CORS_ALLOWED_ORIGINS == []
    assert "Access-Control-Allow-Origin" not in APIClient().get(reverse("province-list"), HTTP_ORIGIN=APP)
    asked = preflight(APIClient(), reverse("province-list"), APP, "GET", "authorization")
    assert "Access-Control-Allow-Origin" not in asked


@override_settings(CORS_ALLOWED_ORIGINS=[APP])
def test_a_throttled_cross_origin_caller_can_read_retry_after(monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "anon": "1/min"})
    client = APIClient()
    client.get(reverse("province-list"), HTTP_ORIGIN=APP)

    throttled = client.get(reverse("province-list"), HTTP_ORIGIN=APP)

    assert throttled.status_code == 429
    assert throttled["Access-Control-Allow-Origin"] == APP
    assert throttled["Retry-After"] and "retry-after" in listed(throttled, "Access-Control-Expose-Headers")
