"""The settings of the read replicas: PostgreSQL streaming replicas of the primary (``DATABASE_URL``), named
by ``DATABASE_REPLICA_URLS``. Which query goes where is ``registry.db_routers``'s business.

Imported by the settings, so nothing here may touch Django's database machinery.
"""

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

POSTGRESQL = "django.db.backends.postgresql"


def replica_alias(number: int) -> str:
    return f"replica_{number}"


def replica_databases(urls: list[str], *, primary: dict) -> dict[str, dict]:
    """``DATABASES`` entries ``replica_1``, ``replica_2``, ... for ``urls``, with the primary's connection
    options (such as ``jit=off``), over which a replica's own URL options win.

    In tests each one mirrors the primary's test database (Django's ``TEST["MIRROR"]``): a replica holds what
    the primary holds, so it reads the test database by name through the replica's own server, and Django
    neither creates nor flushes it there."""
    if not urls:
        return {}
    if primary.get("ENGINE") != POSTGRESQL:
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URLS names PostgreSQL streaming replicas, so DATABASE_URL must be PostgreSQL too."
        )
    replicas = {}
    for number, url in enumerate(urls, start=1):
        replica = dj_database_url.parse(
            url,
            conn_max_age=primary.get("CONN_MAX_AGE", 0),
            conn_health_checks=primary.get("CONN_HEALTH_CHECKS", False),
        )
        if replica["ENGINE"] != POSTGRESQL:
            raise ImproperlyConfigured(f"DATABASE_REPLICA_URLS: replica {number} is not a PostgreSQL URL.")
        replica["OPTIONS"] = {**primary.get("OPTIONS", {}), **replica.get("OPTIONS", {})}
        replica["TEST"] = {"MIRROR": "default"}
        replicas[replica_alias(number)] = replica
    return replicas
