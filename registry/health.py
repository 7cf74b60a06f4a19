"""Health endpoints for load balancers and orchestrators, at the site root, outside the API: no
authentication, no rate limit (a probe every few seconds must never be throttled), never cached, and exempt
from the redirect to HTTPS (SECURE_REDIRECT_EXEMPT), since probes usually speak plain HTTP to the app.

``/healthz``: the process answers (liveness); touches nothing else, so a database outage does not get every
worker restarted. ``/readyz``: the database and every read replica answer and every migration of this code is
applied (readiness: send traffic here); 503 otherwise, with a JSON body saying which check failed. Details
(error texts, the names of unapplied migrations) go to the log, never to the unauthenticated caller.
"""

import logging

from django.conf import settings
from django.db import DatabaseError, connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

# Once every migration of this code is applied it stays so for the life of the process (a migration is never
# unapplied under running code), so the migration graph (some 15 ms to load) is not loaded again for each probe.
_all_migrations_applied = False


@never_cache
@require_safe
def healthz(request):
    return JsonResponse({"status": "ok"})


def unapplied_migrations() -> list[str]:
    global _all_migrations_applied
    if _all_migrations_applied:
        return []
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    unapplied = [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]
    _all_migrations_applied = not unapplied
    return unapplied


def replica_checks() -> dict[str, str]:
    """``{alias: "ok" | "unreachable"}`` for each read replica (``settings.DATABASE_REPLICAS``)."""
    checks = {}
    for alias in settings.DATABASE_REPLICAS:
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
            checks[alias] = "ok"
        except DatabaseError as error:
            logger.warning("Not ready: the read replica %s does not answer (%s)", alias, error)
            checks[alias] = "unreachable"
    return checks


def _answer(checks: dict, replicas: dict[str, str], *, ready: bool) -> JsonResponse:
    if replicas:
        checks = {**checks, "replicas": replicas}
    # An unreachable replica makes the app server unready too (503, not 200): reads are routed to it, so a
    # load balancer should not send traffic to an app server whose replica reads fail.
    ready = ready and all(state == "ok" for state in replicas.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)


@never_cache
@require_safe
def readyz(request):
    replicas = replica_checks()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        unapplied = unapplied_migrations()
    except DatabaseError as error:
        # The error's text may name hosts and users: it goes to the log, not to an unauthenticated caller.
        logger.warning("Not ready: the database does not answer (%s)", error)
        return _answer({"database": "unreachable", "migrations": "unknown"}, replicas, ready=False)
    if unapplied:
        # Their names tell what the code is and is not yet: the log has them, the caller the count alone.
        logger.warning("Not ready: %d unapplied migrations (%s)", len(unapplied), ", ".join(unapplied))
        return _answer({"database": "ok", "migrations": f"{len(unapplied)} unapplied"}, replicas, ready=False)
    return _answer({"database": "ok", "migrations": "ok"}, replicas, ready=True)
