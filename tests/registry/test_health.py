"""/healthz (the process answers) and /readyz (the database and every read replica answer and every migration
is applied): JSON, no authentication, never throttled, never cached, reachable over plain HTTP when HTTPS is
otherwise enforced."""

import pytest
from django.db import OperationalError
from django.db.migrations.migration import Migration
from django.test import Client, override_settings
from rest_framework.throttling import SimpleRateThrottle

from registry import health


@pytest.fixture(autouse=True)
def _migrations_not_yet_known(monkeypatch):
    """Each test starts as a new process would: not yet knowing that every migration is applied."""
    monkeypatch.setattr(health, "_all_migrations_applied", False)


class Answering:
    def cursor(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False

    def execute(self, sql):
        assert sql == "SELECT 1"


class UnreachableDatabase:
    def cursor(self):
        raise OperationalError('connection to server at "10.0.0.5", port 5432 failed: Connection refused')


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


def test_readyz_is_not_ready_while_a_migration_is_unapplied(db, monkeypatch, caplog):
    pending = Migration("0099_not_yet_applied", "companies")
    monkeypatch.setattr(
        health.MigrationExecutor, "migration_plan", lambda self, targets, clean_start=False: [(pending, False)]
    )

    response = Client().get("/readyz")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "unavailable", "checks": {"database": "ok", "migrations": "1 unapplied"}}
    assert "0099_not_yet_applied" not in response.content.decode()  # the names go to the log only
    assert any(
        "companies.0099_not_yet_applied" in record.getMessage()
        for record in caplog.records
        if record.name == "registry.health"
    )
    assert_never_cached(response)
    assert Client().get("/readyz").status_code == 503  # not ready is never remembered


def test_readyz_loads_the_migrations_once_they_are_all_applied(db, monkeypatch):
    client = Client()
    assert client.get("/readyz").status_code == 200

    def no_more(*args, **kwargs):
        raise AssertionError("the migration graph was loaded again")

    monkeypatch.setattr(health, "MigrationExecutor", no_more)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}


def test_readyz_is_not_ready_when_the_database_does_not_answer(monkeypatch, caplog):
    monkeypatch.setattr(health, "connection", UnreachableDatabase())

    response = Client().get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "unreachable", "migrations": "unknown"}}
    assert "10.0.0.5" not in response.content.decode()  # the details go to the log only
    assert any("10.0.0.5" in record.getMessage() for record in caplog.records if record.name == "registry.health")


def test_readyz_checks_each_read_replica(db, monkeypatch, settings):
    settings.DATABASE_REPLICAS = ["replica_1", "replica_2"]
    monkeypatch.setattr(health, "connections", {"replica_1": Answering(), "replica_2": Answering()})

    response = Client().get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "replicas": {"replica_1": "ok", "replica_2": "ok"}},
    }


def test_readyz_is_not_ready_when_a_read_replica_does_not_answer(db, monkeypatch, settings, caplog):
    settings.DATABASE_REPLICAS = ["replica_1", "replica_2"]
    monkeypatch.setattr(health, "connections", {"replica_1": Answering(), "replica_2": UnreachableDatabase()})

    response = Client().get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "migrations": "ok", "replicas": {"replica_1": "ok", "replica_2": "unreachable"}},
    }
    assert "10.0.0.5" not in response.content.decode()
    assert any("replica_2" in record.getMessage() for record in caplog.records if record.name == "registry.health")


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
