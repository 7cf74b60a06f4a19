"""The rules of ``registry.db_routers`` that decide where a read goes, on any database: the replicas here are
names the router hands out and nothing connects to (tests/registry/test_replicas.py reads from a real one).
And ``DATABASE_REPLICA_URLS`` as the settings read it."""

import contextvars
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.http import HttpResponse, StreamingHttpResponse
from django.test import RequestFactory
from django.utils.crypto import salted_hmac
from rest_framework.authtoken.models import Token

from accounts.models import ApiKey
from companies.models import Company
from products.models import Product
from registry import db_routers
from registry.db_routers import ReplicaRoutingMiddleware, reads_from_primary, routed_as_one_request

REPLICAS = ["replica_a", "replica_b"]  # not replica_1: that one is real in test_replicas.py
BASE_DIR = Path(__file__).resolve().parents[2]


class WalPositions:
    """The primary's WAL position and how far each replica has replayed, as the router asks them: numbers
    instead of PostgreSQL's LSNs, and no server to ask."""

    def __init__(self):
        self.primary = 100
        self.replayed = {alias: 100 for alias in REPLICAS}
        self.asked: list[str] = []  # the replicas asked, one entry a question

    def primary_wal_position(self) -> str:
        return str(self.primary)

    def replica_has_replayed(self, alias: str, position: str) -> bool:
        self.asked.append(alias)
        return position != db_routers.UNKNOWN_POSITION and self.replayed[alias] >= int(position)


@pytest.fixture
def wal(monkeypatch) -> WalPositions:
    positions = WalPositions()
    monkeypatch.setattr(db_routers, "primary_wal_position", positions.primary_wal_position)
    monkeypatch.setattr(db_routers, "replica_has_replayed", positions.replica_has_replayed)
    return positions


@pytest.fixture
def replicas(settings, wal):
    """Two replica aliases the router may name. Their engine is Django's dummy one: a query sent to either
    would fail, and none is (``wal`` answers how far they have replayed)."""
    dummies = {
        alias: {"ENGINE": "django.db.backends.dummy", "TEST": {"MIRROR": DEFAULT_DB_ALIAS}} for alias in REPLICAS
    }
    for alias, settings_dict in connections.configure_settings({DEFAULT_DB_ALIAS: {}, **dummies}).items():
        if alias != DEFAULT_DB_ALIAS:
            connections.settings[alias] = settings_dict
    settings.DATABASE_REPLICAS = REPLICAS
    yield REPLICAS
    for alias in REPLICAS:
        if hasattr(connections._connections, alias):
            del connections[alias]
        del connections.settings[alias]


def fresh(function, *args, **kwargs):
    """Run ``function`` as a new thread would, with no routing decided yet."""
    return contextvars.Context().run(function, *args, **kwargs)


def noting_reads(seen: list):
    """A view that notes where it would read a company."""

    def view(request):
        seen.append(router.db_for_read(Company))
        return HttpResponse()

    return view


def writing(request):
    """A view that writes a company."""
    router.db_for_write(Company)
    return HttpResponse()


def in_request(method: str = "get", *, get_response=None, **headers):
    """Run a request through the middleware; ``get_response(request)`` is the view."""
    request = getattr(RequestFactory(), method)("/api/v1/companies/", **headers)
    return ReplicaRoutingMiddleware(get_response or (lambda request: HttpResponse()))(request)


def test_outside_a_transaction_reads_go_to_a_replica_and_writes_to_the_primary(replicas):
    def route():
        return router.db_for_read(Company), router.db_for_write(Company)

    read, write = fresh(route)
    assert read in replicas
    assert write == DEFAULT_DB_ALIAS


def test_after_a_write_the_rest_of_the_threads_reads_go_to_the_primary(replicas):
    def route():
        before = router.db_for_read(Product)
        router.db_for_write(Company)
        return before, router.db_for_read(Product)

    before, after = fresh(route)
    assert before in replicas
    assert after == DEFAULT_DB_ALIAS


def test_reads_in_a_database_transaction_go_to_the_primary(replicas, db):
    # pytest-django runs this test inside a transaction on the primary, as it runs every test that uses `db`:
    # rows a test writes and rolls back are never on a replica, and no read of the suite reaches one.
    assert connections[DEFAULT_DB_ALIAS].in_atomic_block
    assert fresh(router.db_for_read, Company) == DEFAULT_DB_ALIAS


@pytest.mark.parametrize("model", [get_user_model(), Token, ApiKey, Session], ids=lambda model: model.__name__)
def test_who_the_caller_is_is_read_on_the_primary_and_writing_it_pins_nothing(replicas, model):
    def route():
        read = router.db_for_read(model)
        router.db_for_write(model)  # e.g. an API key's last use, recorded during a GET
        return read, router.db_for_read(Company)

    read, company_read = fresh(route)
    assert read == DEFAULT_DB_ALIAS
    assert company_read in replicas


def test_the_shared_cache_table_is_read_and_written_on_the_primary(replicas):
    from django.core.cache.backends.db import DatabaseCache

    cache_table = DatabaseCache("registry_cache", {}).cache_model_class

    def route():
        return router.db_for_read(cache_table), router.db_for_write(cache_table), router.db_for_read(Company)

    read, write, company_read = fresh(route)
    assert (read, write) == (DEFAULT_DB_ALIAS, DEFAULT_DB_ALIAS)
    assert company_read in replicas  # a rate-limit counter's update is no write of the caller's


def test_a_block_can_ask_for_the_primary(replicas):
    def route():
        with reads_from_primary():
            inside = router.db_for_read(Company)
        return inside, router.db_for_read(Company)

    inside, after = fresh(route)
    assert inside == DEFAULT_DB_ALIAS
    assert after in replicas


def test_migrations_are_applied_to_the_primary_only(replicas):
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "companies", model_name="company")
    for alias in replicas:
        assert not router.allow_migrate(alias, "companies", model_name="company")
        assert not router.allow_migrate_model(alias, Company)


def test_objects_of_the_primary_and_a_replica_may_be_related(replicas):
    company, product = Company(), Product()
    company._state.db, product._state.db = DEFAULT_DB_ALIAS, replicas[0]
    assert router.allow_relation(company, product)


# --- requests ----------------------------------------------------------------------------------------------


def test_a_request_reads_from_one_replica_throughout_and_requests_spread_over_them(replicas):
    chosen = []

    def view(request):
        chosen.append({router.db_for_read(Company) for _ in range(5)} | {router.db_for_read(Product)})
        return HttpResponse()

    for number in range(40):
        fresh(in_request, "get", get_response=view, HTTP_AUTHORIZATION=f"Bearer token-{number}")
    assert all(len(per_request) == 1 for per_request in chosen)
    assert set().union(*chosen) == set(replicas)


def test_a_caller_always_reads_the_same_replica(replicas):
    """Chosen at random per request, a caller could read page 1 from one replica and page 2 from another
    further behind: its replica is chosen by its key instead."""

    def replica_of(**headers) -> str:
        seen = []
        fresh(in_request, "get", get_response=noting_reads(seen), **headers)
        return seen[0]

    for number in range(8):
        caller = {"HTTP_AUTHORIZATION": f"Bearer token-{number}"}
        assert len({replica_of(**caller) for _ in range(10)}) == 1
    assert len({replica_of(REMOTE_ADDR="192.0.2.7") for _ in range(10)}) == 1  # an anonymous caller too
    assert {replica_of(HTTP_AUTHORIZATION=f"Bearer token-{number}") for number in range(40)} == set(replicas)


def test_outside_a_request_the_replica_is_any_one(replicas):
    assert {fresh(router.db_for_read, Company) for _ in range(40)} == set(replicas)


def test_work_routed_as_one_request_reads_one_replica_throughout(replicas):
    """A background refresh outside requests: its queries do not mix replicas replayed to different points."""

    def reads():
        with routed_as_one_request():
            return {router.db_for_read(model) for model in [Company, Product] * 10}

    chosen = [fresh(reads) for _ in range(40)]
    assert all(len(aliases) == 1 for aliases in chosen)
    assert set().union(*chosen) == set(replicas)  # each block picks one, at random


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_request_with_an_unsafe_method_reads_the_primary(replicas, method):
    seen = []
    fresh(in_request, method, get_response=noting_reads(seen))
    assert seen == [DEFAULT_DB_ALIAS]


def test_a_read_request_that_writes_reads_the_primary_from_then_on(replicas):
    seen = []

    def view(request):
        seen.append(router.db_for_read(Company))
        router.db_for_write(Company)
        seen.append(router.db_for_read(Company))
        return HttpResponse()

    fresh(in_request, "get", get_response=view)
    assert seen[0] in replicas
    assert seen[1] == DEFAULT_DB_ALIAS


def reads(method="get", *, get_response=None, **headers) -> str:
    """Where a request's first read goes (the view then does what ``get_response`` does, if given)."""
    seen = []

    def view(request):
        seen.append(router.db_for_read(Company))
        return (get_response or (lambda request: HttpResponse()))(request)

    fresh(in_request, method, get_response=view, **headers)
    return seen[0]


WRITER = {"HTTP_AUTHORIZATION": "Bearer writer-token"}


def sticky_entries() -> dict:
    return {key: value for key, value in cache._cache.items() if "db-routing" in key}


def test_the_writers_next_requests_read_the_primary_until_its_replica_has_replayed_the_write(replicas, wal, settings):
    settings.DATABASE_REPLICA_STICKY_SECONDS = 60
    other = {"HTTP_AUTHORIZATION": "Bearer other-token"}
    replica = reads(**WRITER)
    assert replica in replicas
    assert wal.asked == []  # no entry, no question to the replica

    wal.primary = 150
    reads("patch", get_response=writing, **WRITER)
    wal.asked.clear()
    # However long the replica lags: the writer reads the primary while its replica has not replayed the write.
    for replayed in (100, 120, 149):
        wal.replayed[replica] = replayed
        assert reads(**WRITER) == DEFAULT_DB_ALIAS
    assert wal.asked == [replica] * 3  # one question a request, to the writer's replica
    assert reads(**other) in replicas  # another caller is not held to the primary
    assert reads() in replicas  # nor is an anonymous one
    assert len(wal.asked) == 3  # nor asks anything

    # Once it has, the writer reads it again, at once.
    wal.replayed[replica] = 150
    assert reads(**WRITER) == replica
    # A later write moves the position on.
    wal.primary = 200
    reads("post", get_response=writing, **WRITER)
    assert reads(**WRITER) == DEFAULT_DB_ALIAS
    wal.replayed[replica] = 250
    assert reads(**WRITER) == replica


def test_a_request_reads_one_database_throughout_even_when_its_replica_catches_up_meanwhile(replicas, wal, settings):
    settings.DATABASE_REPLICA_STICKY_SECONDS = 60
    replica = reads(**WRITER)
    wal.primary = 150
    reads("patch", get_response=writing, **WRITER)
    wal.asked.clear()
    seen = []

    def view(request):
        seen.append(router.db_for_read(Company))
        wal.replayed[replica] = 150
        seen.append(router.db_for_read(Product))
        return HttpResponse()

    fresh(in_request, "get", get_response=view, **WRITER)
    assert seen == [DEFAULT_DB_ALIAS, DEFAULT_DB_ALIAS]
    assert wal.asked == [replica]


def test_a_write_of_unknown_position_reads_the_primary_for_the_entrys_lifetime(replicas, wal, settings, monkeypatch):
    settings.DATABASE_REPLICA_STICKY_SECONDS = 60
    monkeypatch.setattr(db_routers, "primary_wal_position", lambda: db_routers.UNKNOWN_POSITION)
    reads("patch", get_response=writing, **WRITER)
    wal.replayed = {alias: 10**9 for alias in replicas}
    assert reads(**WRITER) == DEFAULT_DB_ALIAS


def test_the_entry_holds_the_position_under_an_hmac_of_the_credentials(replicas, wal, settings):
    settings.DATABASE_REPLICA_STICKY_SECONDS = 60
    wal.primary = 4242
    reads("patch", get_response=writing, **WRITER)
    caller = salted_hmac("registry.db_routers", "credentials Bearer writer-token", algorithm="sha256").hexdigest()
    assert cache.get(db_routers.sticky_cache_key(caller)) == "4242"
    assert not any("writer-token" in key for key in sticky_entries())


def refused(status: int):
    return lambda request: HttpResponse(status=status)


@pytest.mark.parametrize(
    ("method", "view"),
    [
        ("post", refused(201)),  # an unsafe method that wrote nothing
        ("get", refused(200)),
        *[("post", lambda request, status=status: (writing(request), HttpResponse(status=status))[1])
          for status in (400, 401, 403, 405, 413, 429, 500)],
    ],
    ids=["post-no-write", "get-no-write", *[f"wrote-then-{status}" for status in (400, 401, 403, 405, 413, 429, 500)]],
)  # fmt: skip
def test_only_a_request_that_wrote_and_succeeded_opens_an_entry(replicas, wal, settings, method, view):
    settings.DATABASE_REPLICA_STICKY_SECONDS = 60
    for number in range(5):  # garbage credentials, each a different caller
        fresh(in_request, method, get_response=view, HTTP_AUTHORIZATION=f"Bearer garbage-{number}")
    assert sticky_entries() == {}
    wal.replayed = {alias: 0 for alias in replicas}
    assert reads(HTTP_AUTHORIZATION="Bearer garbage-0") in replicas


def test_a_request_that_wrote_and_succeeded_opens_an_entry(replicas, settings):
    settings.DATABASE_REPLICA_STICKY_SECONDS = 60
    fresh(in_request, "get", get_response=writing, **WRITER)  # e.g. a write done by a GET
    assert len(sticky_entries()) == 1


def test_without_a_sticky_window_the_next_request_reads_a_replica_again(replicas, wal, settings):
    settings.DATABASE_REPLICA_STICKY_SECONDS = 0
    wal.primary = 150
    reads("post", get_response=writing, **WRITER)
    wal.replayed = {alias: 0 for alias in replicas}
    assert reads(**WRITER) in replicas
    assert sticky_entries() == {} and wal.asked == []


def test_a_streamed_response_reads_where_its_request_reads(replicas, settings):
    settings.DATABASE_REPLICA_STICKY_SECONDS = 0
    seen = []

    def rows():
        for _ in range(3):
            seen.append(router.db_for_read(Company))
            yield b"row\n"

    def run():
        # This thread has written before the request (its own reads go to the primary); the export's rows,
        # read after the middleware returned, still go to the request's replica.
        router.db_for_write(Company)
        response = in_request("get", get_response=lambda request: StreamingHttpResponse(rows()))
        return b"".join(response.streaming_content)

    assert fresh(run) == b"row\n" * 3
    assert len(set(seen)) == 1 and seen[0] in replicas


def test_each_request_starts_afresh_and_leaves_the_thread_as_it_was(replicas):
    def run():
        in_request("get", get_response=writing)
        return router.db_for_read(Company)

    assert fresh(run) in replicas  # the request's write pinned the request, not the thread


def test_requests_in_other_threads_do_not_inherit_this_threads_routing(replicas):
    seen = []

    def run():
        router.db_for_write(Company)  # this thread now reads the primary
        thread = threading.Thread(
            target=in_request,
            kwargs={"get_response": noting_reads(seen)},
        )
        thread.start()
        thread.join()
        return router.db_for_read(Company)

    assert fresh(run) == DEFAULT_DB_ALIAS
    assert seen[0] in replicas


def test_with_no_replica_routing_is_djangos_own(replicas, settings):
    settings.DATABASE_REPLICAS = []
    assert fresh(router.db_for_read, Company) == DEFAULT_DB_ALIAS
    assert fresh(router.db_for_write, Company) == DEFAULT_DB_ALIAS
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "companies")
    assert fresh(in_request, "post", get_response=writing, **WRITER).status_code == 200

    # Nothing was remembered of that write: once replicas are configured, the writer reads from them.
    settings.DATABASE_REPLICAS = replicas
    assert reads(**WRITER) in replicas
    assert sticky_entries() == {}


# --- settings ----------------------------------------------------------------------------------------------


def settings_with(**environment) -> subprocess.CompletedProcess:
    """The settings as a fresh process reads them from ``environment`` (on top of this one's, less any
    database variables), printed as JSON."""
    script = (
        "import json; from django.conf import settings; "
        "print(json.dumps({'DATABASES': settings.DATABASES, 'DATABASE_REPLICAS': settings.DATABASE_REPLICAS, "
        "'DATABASE_ROUTERS': settings.DATABASE_ROUTERS}, default=str))"
    )
    env = {name: value for name, value in os.environ.items() if not name.startswith("DATABASE_")}
    env.update(DJANGO_SETTINGS_MODULE="registry.settings", **environment)
    return subprocess.run([sys.executable, "-c", script], env=env, cwd=BASE_DIR, capture_output=True, text=True)


def test_replica_urls_become_replica_aliases_with_the_primarys_options():
    result = settings_with(
        DATABASE_URL="postgres://registry@db.example:5432/registry",
        DATABASE_REPLICA_URLS="postgres://registry@replica-a.example:5433/registry, "
        "postgres://reader@replica-b.example/registry?sslmode=require",
    )
    assert result.returncode == 0, result.stderr
    configured = json.loads(result.stdout)
    databases = configured["DATABASES"]
    assert configured["DATABASE_REPLICAS"] == ["replica_1", "replica_2"]
    assert configured["DATABASE_ROUTERS"] == ["registry.db_routers.PrimaryReplicaRouter"]
    assert list(databases) == ["default", "replica_1", "replica_2"]
    first, second = databases["replica_1"], databases["replica_2"]
    assert (first["HOST"], first["PORT"], first["NAME"]) == ("replica-a.example", 5433, "registry")
    assert (second["HOST"], second["USER"]) == ("replica-b.example", "reader")
    for replica in (first, second):
        assert replica["ENGINE"] == "django.db.backends.postgresql"
        assert (
            replica["OPTIONS"]["options"]
            == databases["default"]["OPTIONS"]["options"]
            == "-c jit=off -c parallel_setup_cost=10000"
        )
        assert replica["TEST"] == {"MIRROR": "default"}  # tests read the test database through the replica
        assert replica["CONN_MAX_AGE"] == databases["default"]["CONN_MAX_AGE"]
    assert second["OPTIONS"]["sslmode"] == "require"


def test_no_replica_urls_no_replicas():
    result = settings_with(DATABASE_URL="postgres://registry@db.example:5432/registry")
    assert result.returncode == 0, result.stderr
    configured = json.loads(result.stdout)
    assert configured["DATABASE_REPLICAS"] == []
    assert list(configured["DATABASES"]) == ["default"]


def test_replicas_of_sqlite_are_refused_with_a_reason(tmp_path):
    result = settings_with(
        DATABASE_URL=f"sqlite:///{tmp_path / 'registry.sqlite3'}",
        DATABASE_REPLICA_URLS="postgres://registry@replica-a.example:5433/registry",
        REGISTRY_VAR_DIR=str(tmp_path),
    )
    assert result.returncode != 0
    assert "DATABASE_URL must be PostgreSQL" in result.stderr
