"""For tests that run the app in other processes (gunicorn, ``manage.py`` commands, a Django test client in a
subprocess) against the test database: its address, and the cache table those processes need."""

from urllib.parse import quote

from django.core.management import call_command
from django.test import override_settings

# The settings' cache when REDIS_URL is unset: rate-limit counters in a table of the database.
DATABASE_CACHE = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "registry_cache"}}


def database_url(settings_dict: dict, name: str | None = None) -> str:
    """``DATABASE_URL`` of the database of ``settings_dict`` (or of database ``name`` on the same server)."""
    name = name or str(settings_dict["NAME"])
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{name}"
    credentials = quote(settings_dict["USER"] or "", safe="")
    if settings_dict["PASSWORD"]:
        credentials += ":" + quote(settings_dict["PASSWORD"], safe="")
    host = settings_dict["HOST"] or "127.0.0.1"
    return f"postgres://{credentials}@{host}:{settings_dict['PORT'] or 5432}/{quote(name, safe='')}"


def create_cache_table() -> None:
    """The cache table the other processes' rate limits use. Migration 0008 creates it for the settings'
    cache, but the suite caches in process memory (tests/conftest.py), so the test database has none."""
    with override_settings(CACHES=DATABASE_CACHE):
        call_command("createcachetable", verbosity=0)
