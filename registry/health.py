"""Health endpoints for load balancers and orchestrators, at the site root, outside the API: no
authentication, no rate limit (a probe every few seconds must never be throttled), never cached, and exempt
from the redirect to HTTPS (SECURE_REDIRECT_EXEMPT), since probes usually speak plain HTTP to the app.

``/healthz``: the process answers (liveness); touches nothing else, so a database outage does not get every
worker restarted. ``/readyz``: the database answers and every migration of this code is applied (readiness:
send traffic here); 503 otherwise, with a JSON body saying which check failed.
"""

import logging

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def healthz(request):
    return JsonResponse({"status": "ok"})


def unapplied_migrations() -> list[str]:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


@never_cache
@require_safe
def readyz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        unapplied = unapplied_migrations()
    except DatabaseError as error:
        # The error's text may name hosts and users: it goes to the log, not to an unauthenticated caller.
        logger.warning("Not ready: the database does not answer (%s)", error)
        return JsonResponse(
            {"status": "unavailable", "checks": {"database": "unreachable", "migrations": "unknown"}}, status=503
        )
    if unapplied:
        logger.warning("Not ready: %d unapplied migrations (%s)", len(unapplied), ", ".join(unapplied))
        return JsonResponse(
            {
                "status": "unavailable",
                "checks": {"database": "ok", "migrations": f"{len(unapplied)} unapplied"},
                "unapplied_migrations": unapplied,
            },
            status=503,
        )
    return JsonResponse({"status": "ok", "checks": {"database": "ok", "migrations": "ok"}})
