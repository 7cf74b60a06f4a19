"""Reads from a real PostgreSQL streaming replica, through the API.

The suite's PostgreSQL server gets a streaming replica for these tests (tests/replica_server.py), known to
Django as ``replica_1`` as ``DATABASE_REPLICA_URLS`` would name it. To show where a read was served, the
replica's replay is paused: it then keeps reading as the primary was, so a write is seen only on the primary.

The rest of the suite runs without replicas: its tests read rows written moments before, by fixtures or by
other clients, which a replica has by design not always replayed yet (its lag), and that is no rule of
routing to test. Only here does the router hand out a replica.

On SQLite there is no streaming replica to make: these tests are skipped there and run in the PostgreSQL pass
(``DATABASE_URL=postgres://...``), where they never skip: a replica that cannot be made fails them.
"""

import contextvars
import logging
import time

import pytest
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import ApiKey
from accounts.services import api_key_issue, api_key_revoke
from companies.models import ChangeEvent, Company
from companies.services import company_update
from registry.replicas import replica_databases
from tests.conftest import valid_tax_codes
from tests.replica_server import ReplicaUnavailable, StreamingReplica, start_streaming_replica

REPLICA = "replica_1"

logger = logging.getLogger(__name__)

# Each test commits for real, so that the replica can replay it; the migrations' data is restored for each.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=[DEFAULT_DB_ALIAS, REPLICA])


@pytest.fixture(scope="session")
def streaming_replica(django_db_setup, pytestconfig):
    """A streaming replica of the test database's server for the session, as the alias ``replica_1``."""
    primary = connections[DEFAULT_DB_ALIAS].settings_dict
    if primary["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip(
            "Reads from streaming replicas need PostgreSQL: these tests run in the suite's PostgreSQL pass "
            "(DATABASE_URL=postgres://...), as .ci/run does."
        )

    def say(message: str) -> None:
        logger.warning(message)
        capture = pytestconfig.pluginmanager.getplugin("capturemanager")
        with capture.global_and_fixture_disabled():
            pytestconfig.get_terminal_writer().line(f"\n[replica] {message}", yellow=True)

    try:
        server = start_streaming_replica(primary, say=say)
    except ReplicaUnavailable as error:
        pytest.fail(f"Could not make a streaming replica of the test database's server:\n{error}", pytrace=False)
    # The replica holds the test database, created on the primary before it was copied: read it by name there.
    configured = replica_databases([server.url(primary["NAME"])], primary=primary)[REPLICA]
    connections.settings[REPLICA] = connections.configure_settings(
        {DEFAULT_DB_ALIAS: dict(primary), REPLICA: configured}
    )[REPLICA]
    try:
        yield server
    finally:
        try:
            if hasattr(connections._connections, REPLICA):
                connections[REPLICA].close()
                del connections[REPLICA]
            connections.settings.pop(REPLICA, None)
        finally:
            server.stop()


@pytest.fixture
def replica(streaming_replica, settings) -> StreamingReplica:
    """Reads are routed to the replica, which has replayed everything committed so far; a test waits again
    (``wait_until_caught_up``) for what its other fixtures write, or a read may not find it yet."""
    settings.DATABASE_REPLICAS = [REPLICA]
    streaming_replica.wait_until_caught_up()
    yield streaming_replica
    streaming_replica.resume_replay()


def company_url(company) -> str:
    return reverse("company-detail", kwargs={"tax_code": company.tax_code})


def listed_names(client, **params) -> list[str]:
    response = client.get(reverse("company-list"), {"page_size": 100, **params})
    assert response.status_code == 200, response.content[:300]
    return [row["name"] for row in response.json()["results"]]


def test_the_replica_is_a_streaming_replica_of_the_test_database(replica):
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), current_database(), inet_server_port()")
        in_recovery, database, port = cursor.fetchone()
    assert in_recovery
    assert database == connections[DEFAULT_DB_ALIAS].settings_dict["NAME"]
    assert port == replica.port
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone() == (False,)


def test_reads_through_the_api_are_served_by_the_replica(replica, make_company, api_client):
    company = make_company(name="Công ty Bản Sao")
    replica.wait_until_caught_up()

    with (
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
    ):
        detail = api_client.get(company_url(company))
        names = listed_names(api_client)
    assert detail.status_code == 200
    assert detail.json()["name"] == "Công ty Bản Sao"
    assert names == ["Công ty Bản Sao"]
    assert any("companies_company" in query["sql"] for query in on_replica.captured_queries)
    assert not any("companies_company" in query["sql"] for query in on_primary.captured_queries)

    # With the replica's replay paused, a write committed on the primary is not in what the API answers ...
    replica.pause_replay()
    make_company(name="Công ty Mới Hơn")
    company_update(company=Company.objects.get(pk=company.pk), data={"name": "Công ty Bản Sao Đổi Tên"})
    assert sorted(Company.objects.using(DEFAULT_DB_ALIAS).values_list("name", flat=True)) == [
        "Công ty Bản Sao Đổi Tên",
        "Công ty Mới Hơn",
    ]
    assert listed_names(api_client) == ["Công ty Bản Sao"]
    assert api_client.get(company_url(company)).json()["name"] == "Công ty Bản Sao"
    export = api_client.get(reverse("company-list"), {"format": "csv"})
    assert export.status_code == 200
    exported = b"".join(export.streaming_content).decode()
    assert "Công ty Bản Sao" in exported and "Đổi Tên" not in exported and "Mới Hơn" not in exported

    # ... until the replica replays it.
    replica.resume_replay()
    replica.wait_until_caught_up()
    assert sorted(listed_names(api_client)) == ["Công ty Bản Sao Đổi Tên", "Công ty Mới Hơn"]


def company_reads(queries) -> bool:
    return any("companies_company" in query["sql"] for query in queries.captured_queries)


def test_a_writer_reads_its_own_writes_until_its_replica_has_replayed_them(replica, world, client_as, settings):
    settings.DATABASE_REPLICA_STICKY_SECONDS = 60
    representative, anonymous = client_as("representative"), APIClient()
    new_tax_code = next(valid_tax_codes("05"))
    url = company_url(world.own)
    replica.wait_until_caught_up()  # with what the fixtures wrote
    etag = representative.get(url)["ETag"]
    replica.pause_replay()

    # The write's own response reads the write back (the request wrote: its reads go to the primary).
    patched = representative.patch(url, {"short_name": "Nhà Mới"}, format="json", HTTP_IF_MATCH=etag)
    assert patched.status_code == 200, patched.content
    assert patched.json()["short_name"] == "Nhà Mới"
    assert patched["ETag"] != etag
    created = representative.post(
        reverse("company-list"),
        {"tax_code": new_tax_code, "name": "Công ty Vừa Lập", "province": "01", "ownership": "joint_stock"},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["name"] == "Công ty Vừa Lập"

    # The writer's next requests read the primary while the replica has not replayed the writes: it sees them.
    again = representative.get(url)
    assert again.json()["short_name"] == "Nhà Mới"
    assert again["ETag"] == patched["ETag"]
    assert representative.get(reverse("company-detail", kwargs={"tax_code": new_tax_code})).status_code == 200
    # Everyone else reads the replica, which has not replayed the writes yet.
    assert anonymous.get(url).json()["short_name"] != "Nhà Mới"
    assert anonymous.get(reverse("company-detail", kwargs={"tax_code": new_tax_code})).status_code == 404

    # However long the replica lags: well past the 5 s a fixed window used to last, the writer still reads the
    # primary, having asked the replica how far it has replayed.
    time.sleep(5.5)
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        assert representative.get(url).json()["short_name"] == "Nhà Mới"
    assert not company_reads(on_replica)
    assert [query["sql"] for query in on_replica.captured_queries if "pg_last_wal_replay_lsn" in query["sql"]]

    # As soon as the replica has replayed the writes, the writer reads it again, long before its entry expires.
    replica.resume_replay()
    replica.wait_until_caught_up()
    with (
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
    ):
        assert representative.get(url).json()["short_name"] == "Nhà Mới"
    assert company_reads(on_replica)
    assert not company_reads(on_primary)
    assert anonymous.get(url).json()["short_name"] == "Nhà Mới"


def test_readyz_checks_the_replica(replica):
    response = Client().get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"]["replicas"] == {REPLICA: "ok"}


def test_a_stale_etag_from_the_replica_cannot_overwrite_a_newer_write(replica, world, client_as, settings):
    """The If-Match check is made on the primary, in the write's transaction: a client that read an old
    version from a lagging replica gets 412, never a lost update."""
    settings.DATABASE_REPLICA_STICKY_SECONDS = 0
    representative = client_as("representative")
    url = company_url(world.own)
    replica.wait_until_caught_up()  # with what the fixtures wrote
    replica.pause_replay()
    first = representative.patch(
        url, {"short_name": "Một"}, format="json", HTTP_IF_MATCH=representative.get(url)["ETag"]
    )
    assert first.status_code == 200
    stale_etag = representative.get(url)["ETag"]  # read from the replica: the version before the first write
    assert stale_etag != first["ETag"]
    second = representative.patch(url, {"short_name": "Hai"}, format="json", HTTP_IF_MATCH=stale_etag)
    assert second.status_code == 412, second.content
    assert Company.objects.using(DEFAULT_DB_ALIAS).get(pk=world.own.pk).short_name == "Một"


def test_the_change_feed_reads_the_primary(replica, make_company, api_client, settings):
    settings.CHANGE_FEED_SETTLE_SECONDS = 0
    replica.pause_replay()
    company = make_company(name="Công ty Trong Nhật Ký")
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        page = api_client.get(reverse("change-list"), {"since": 0}).json()
    assert (company.pk, "upsert") in [(change["object_id"], change["action"]) for change in page["results"]]
    assert not any(ChangeEvent._meta.db_table in query["sql"] for query in on_replica.captured_queries)


def test_credentials_are_checked_on_the_primary(replica, make_user):
    user = make_user("app_owner")
    api_key, key = api_key_issue(owner=user, name="an app")
    app = APIClient()
    app.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    replica.wait_until_caught_up()
    replica.pause_replay()

    # A token issued after the replica stopped replaying works at once ...
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {Token.objects.create(user=make_user('new_rep')).key}")
    assert bearer.get(reverse("api-key-list")).status_code == 200
    # ... and a key revoked then is refused at once, though the replica still holds it unrevoked.
    assert app.get(reverse("company-list")).status_code == 200
    api_key_revoke(api_key=api_key)
    assert ApiKey.objects.using(REPLICA).get(pk=api_key.pk).revoked is False
    assert app.get(reverse("company-list")).status_code == 401


def test_reads_inside_a_transaction_go_to_the_primary(replica, make_company):
    replica.pause_replay()
    company = make_company(name="Công ty Mới Ghi")  # committed on the primary only

    def read() -> tuple[bool, bool]:
        # As a thread that has written nothing: outside a transaction it reads the replica.
        outside = Company.objects.filter(pk=company.pk).exists()
        with transaction.atomic():
            inside = Company.objects.filter(pk=company.pk).exists()
        return outside, inside

    assert contextvars.Context().run(read) == (False, True)
