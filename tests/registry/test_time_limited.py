"""``registry.search.time_limited``: on PostgreSQL a query past its time is cancelled, the connection stays
usable and the limit does not outlive the block; on SQLite there is no limit."""

import pytest
from django.db import connection

from registry.search import TimeLimitExceeded, time_limited

pytestmark = pytest.mark.django_db


def statement_timeout() -> str | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return cursor.fetchone()[0]


def test_a_query_past_its_time_is_cancelled_and_the_limit_ends_with_the_block():
    before = statement_timeout()
    if connection.vendor == "postgresql":
        with pytest.raises(TimeLimitExceeded), time_limited("default", 20), connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(1)")
    else:  # no limit to enforce: the block runs as it is
        with time_limited("default", 20), connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    with connection.cursor() as cursor:  # the connection (and the test's transaction) is still usable
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    assert statement_timeout() == before


def test_a_query_within_its_time_runs_and_the_limit_ends_with_the_block():
    before = statement_timeout()
    with time_limited("default", 5000), connection.cursor() as cursor:
        cursor.execute("SELECT 2")
        assert cursor.fetchone() == (2,)
        if connection.vendor == "postgresql":
            assert statement_timeout() == "5s"
    assert statement_timeout() == before
