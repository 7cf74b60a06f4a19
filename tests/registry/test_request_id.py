"""Every response carries an ``X-Request-ID`` (the caller's, when it is sane), every log line the same id, and
every request one access-log line (registry.requests). The JSON format of production is tested end to end in
test_production_settings.py."""

import io
import logging
import re

import pytest
from django.conf import settings
from django.test import Client, override_settings
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from api import views

GENERATED = re.compile(r"[0-9a-f]{32}")


def test_a_request_without_an_id_gets_a_new_one():
    first, second = Client().get("/healthz"), Client().get("/healthz")

    assert GENERATED.fullmatch(first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.parametrize(
    "incoming",
    ["3f2b9c1e-7d4a-4e5f-9a0b-1c2d3e4f5a6b", "Root=1-67891233-abcdef012345678912345678", "req_42.retry:1", "a" * 128],
)
def test_a_sane_incoming_id_is_kept(incoming):
    response = Client().get("/healthz", headers={"X-Request-ID": incoming})

    assert response["X-Request-ID"] == incoming


@pytest.mark.parametrize(
    "forged",
    [
        "a" * 129,  # too long
        "x" * 10_000,
        "abc\r\nSet-Cookie: session=stolen",  # header or log-line injection
        "id with spaces",
        '"quoted"',
        "<script>alert(1)</script>",
        "",
    ],
)
def test_a_forged_or_overlong_id_is_replaced(forged):
    response = Client().get("/healthz", HTTP_X_REQUEST_ID=forged)

    assert GENERATED.fullmatch(response["X-Request-ID"])


def test_every_kind_of_response_carries_the_id(db, monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "anon": "2/min"})
    client = APIClient()
    headers = {"HTTP_X_REQUEST_ID": "trace-7"}

    responses = {
        "public page": client.get("/", **headers),
        "API": client.get("/api/v1/provinces/", **headers),
        "bad request": client.get("/api/v1/companies/?province=99", **headers),
        "throttled": client.get("/api/v1/provinces/", **headers),
        "unknown URL under /api/": client.get("/api/v1/no-such-thing/", **headers),
        "unknown URL elsewhere": client.get("/no-such-page/", **headers),
        "method not allowed": client.post("/healthz", **headers),
    }

    assert {name: response.status_code for name, response in responses.items()} == {
        "public page": 200,
        "API": 200,
        "bad request": 400,
        "throttled": 429,
        "unknown URL under /api/": 404,
        "unknown URL elsewhere": 404,
        "method not allowed": 405,
    }
    assert {name: response["X-Request-ID"] for name, response in responses.items()} == dict.fromkeys(
        responses, "trace-7"
    )


def test_an_unhandled_error_under_the_api_is_json_with_the_id(db, monkeypatch):
    def broken(self, request, *args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views.ProvinceViewSet, "list", broken)
    client = APIClient(raise_request_exception=False)

    response = client.get("/api/v1/provinces/", HTTP_X_REQUEST_ID="trace-500")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response["X-Request-ID"] == "trace-500"


@pytest.fixture
def console():
    """What the configured console handler (settings.LOGGING) writes, in the development text format."""
    handler = logging.getHandlerByName("console")
    captured = io.StringIO()
    previous = handler.setStream(captured)
    yield captured
    handler.setStream(previous)


def test_one_access_line_per_request_with_the_request_id(db, console):
    Client().get("/api/v1/companies/?search=misa", headers={"X-Request-ID": "trace-9"})
    Client().get("/api/v1/no-such-thing/", headers={"X-Request-ID": "trace-10"})

    lines = console.getvalue().splitlines()
    access = [line for line in lines if " registry.requests " in line]
    assert len(access) == 2
    assert re.search(
        r"INFO registry\.requests \[trace-9\] GET /api/v1/companies/\?search=misa 200 [0-9.]+ms$", access[0]
    )
    assert re.search(r"\[trace-10\] GET /api/v1/no-such-thing/ 404 ", access[1])
    # Django's own warning about the 404, written after the response left the middleware, has the id too.
    assert any("WARNING django.request [trace-10] Not Found: /api/v1/no-such-thing/" in line for line in lines)


def test_log_lines_outside_a_request_say_so(console):
    logging.getLogger("companies").warning("a background task")

    assert console.getvalue().rstrip().endswith("WARNING companies [-] a background task")


def test_the_access_line_names_the_client_as_the_rate_limits_do(db, caplog):
    """Behind one proxy, the address the proxy appended, not what the client wrote into X-Forwarded-For."""
    caplog.set_level(logging.INFO, logger="registry.requests")
    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}):
        Client().get("/healthz", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.66, 203.0.113.8")
    Client().get("/healthz", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.66, 203.0.113.8")

    behind_a_proxy, direct = [record for record in caplog.records if record.name == "registry.requests"]
    assert (behind_a_proxy.method, behind_a_proxy.path, behind_a_proxy.status) == ("GET", "/healthz", 200)
    assert behind_a_proxy.client == "203.0.113.8"
    assert direct.client == "10.0.0.1"  # NUM_PROXIES=0: the connection's own address
    assert behind_a_proxy.duration_ms >= 0
