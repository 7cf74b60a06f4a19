"""/healthz (the process answers) and /readyz (the database answers and every migration is applied): JSON, no
authentication, never throttled, never cached, reachable over plain HTTP when HTTPS is otherwise enforced."""

import pytest
from django.db import OperationalError
from django.db.migrations.migration import Migration
from django.test import Client, override_settings
from rest_framework.throttling import SimpleRateThrottle

from registry import health


def assert_never_cached(response):
    assert {"no-cache", "no-store", "must-revalidate"} <= {
        part.strip() for part in response["Cache-Control"].split(",")
    }


def test_healthz_answers_without_touching_the_database():
    """No ``db`` fixture: pytest-django fails any query, which would make this a 500."""
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok"}
    assert_never_cached(response)


def test_readyz_is_ready_when_the_database_answers_and_is_migrated(db):
    response = Client().get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}
    assert_never_cached(response)


def test_readyz_is_not_ready_while_a_migration_is_unapplied(db, monkeypatch):
    pending = Migration("0099_not_yet_applied", "companies")
    monkeypatch.setattr(
        health.MigrationExecutor, "migration_plan", lambda self, targets, clean_start=False: [(pending, False)]
    )

    response = Client().get("/readyz")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "migrations": "1 unapplied"},
        "unapplied_migrations": ["companies.0099_not_yet_applied"],
    }
    assert_never_cached(response)


def test_readyz_is_not_ready_when_the_database_does_not_answer(monkeypatch, caplog):
    class UnreachableDatabase:
        def cursor(self):
            raise OperationalError('connection to server at "10.0.0.5", port 5432 failed: Connection refused')

    monkeypatch.setattr(health, "connection", UnreachableDatabase())

    response = Client().get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "unreachable", "migrations": "unknown"}}
    assert "10.0.0.5" not in response.content.decode()  # the details go to the log only
    assert any("10.0.0.5" in record.getMessage() for record in caplog.records if record.name == "registry.health")


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_are_never_throttled(db, monkeypatch, path):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "anon": "1/min"})
    client = Client()

    assert [client.get(path).status_code for _ in range(5)] == [200] * 5
    assert client.get("/api/v1/provinces/").status_code == 200
    assert client.get("/api/v1/provinces/").status_code == 429  # while the API is


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_are_only_read(path):
    assert Client().post(path).status_code == 405


@override_settings(SECURE_SSL_REDIRECT=True)
def test_probes_answer_over_plain_http_where_everything_else_is_redirected(db):
    client = Client()

    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    redirected = client.get("/api/v1/provinces/")
    assert redirected.status_code == 301
    assert redirected["Location"] == "https://testserver/api/v1/provinces/"
