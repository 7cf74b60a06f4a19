"""REGISTRY_ENV=production: `manage.py check --deploy` finds nothing to warn about, the service refuses to
start without its own SECRET_KEY and ALLOWED_HOSTS, HTTPS is the rule, DEBUG stays off, and logs are JSON
lines carrying the request id.

Settings are read once per process, so each case starts a fresh one with its own environment."""

import ast
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The variables of a developer's shell that would change what is tested here.
ENVIRONMENT_UNDER_TEST = (
    "REGISTRY_ENV",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DEBUG",
    "LOG_FORMAT",
    "LOG_LEVEL",
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "CORS_ALLOWED_ORIGINS",
    "CSRF_TRUSTED_ORIGINS",
    "REDIS_URL",
    "NUM_PROXIES",
)


@pytest.fixture
def production(tmp_path) -> dict:
    """The smallest production environment: REGISTRY_ENV, a random SECRET_KEY and ALLOWED_HOSTS (plus a
    throw-away SQLite database, which `check` does not open)."""
    environment = {name: value for name, value in os.environ.items() if name not in ENVIRONMENT_UNDER_TEST}
    (tmp_path / "static").mkdir()  # where collectstatic would have put the static files
    return {
        **environment,
        "DJANGO_SETTINGS_MODULE": "registry.settings",
        "REGISTRY_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'registry.sqlite3'}",
        "REGISTRY_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "registry.example.vn,testserver",
    }


def run(environment: dict, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *arguments], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_finds_nothing_to_warn_about(production):
    result = run(production, "manage.py", "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert re.fullmatch(r"System check identified no issues \(\d+ silenced\)\.\n", result.stdout), result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr
    # What is silenced: on SQLite (this test's database), that it has no covering indexes (models.W040, for
    # each index of the models that have one); on PostgreSQL, nothing.
    assert silenced_checks(production) == ["models.W040"]
    assert silenced_checks({**production, "DATABASE_URL": "postgres://registry@127.0.0.1:5432/registry"}) == []


def silenced_checks(environment: dict) -> list[str]:
    script = "import django; django.setup(); from django.conf import settings; print(settings.SILENCED_SYSTEM_CHECKS)"
    result = run(environment, "-c", script)
    assert result.returncode == 0, result.stderr
    return ast.literal_eval(result.stdout)


@pytest.mark.parametrize(
    ("change", "named_in_the_error"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "dev-only-insecure-key-set-SECRET_KEY-in-production"}, "SECRET_KEY"),
        ({"SECRET_KEY": "too-short-a-secret"}, "SECRET_KEY is too weak"),
        ({"SECRET_KEY": "django-insecure-" + secrets.token_urlsafe(50)}, "SECRET_KEY is too weak"),
        ({"SECRET_KEY": "ab" * 40}, "SECRET_KEY is too weak"),  # long, but two different characters
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": " , "}, "ALLOWED_HOSTS"),
        ({"REGISTRY_ENV": "prod"}, "REGISTRY_ENV"),
    ],
    ids=[
        "no-secret-key",
        "empty-secret-key",
        "development-key",
        "short-key",
        "django-insecure-key",
        "two-character-key",
        "no-allowed-hosts",
        "empty-allowed-hosts",
        "misspelt-environment",
    ],
)
def test_production_refuses_to_start_without_its_own_secret_key_and_hosts(production, change, named_in_the_error):
    for name, value in change.items():
        if value is None:
            production.pop(name)
        else:
            production[name] = value

    result = run(production, "manage.py", "check")

    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: ")
    assert named_in_the_error in last_line


SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
    "SECURE_PROXY_SSL_HEADER": settings.SECURE_PROXY_SSL_HEADER,
    "LOG_FORMAT": settings.LOG_FORMAT,
}))
"""


def show_settings(environment: dict) -> dict:
    result = run(environment, "-c", SHOW_SETTINGS)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def test_production_defaults_are_https_only_without_debug(production):
    assert show_settings(production) == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 365 * 24 * 3600,
        "SECURE_PROXY_SSL_HEADER": None,
        "LOG_FORMAT": "json",
    }


def test_a_proxy_set_up_overrides_each_switch(production):
    production.update(
        SECURE_SSL_REDIRECT="false", SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto", LOG_FORMAT="text", DEBUG="true"
    )

    shown = show_settings(production)

    assert shown["SECURE_SSL_REDIRECT"] is False
    assert shown["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert shown["LOG_FORMAT"] == "text"
    assert shown["DEBUG"] is True  # only when asked for


def test_development_keeps_the_embedded_defaults(production):
    for name in ("REGISTRY_ENV", "SECRET_KEY", "ALLOWED_HOSTS"):
        production.pop(name)

    shown = show_settings(production)

    assert shown["DEBUG"] is False
    assert shown["SECURE_SSL_REDIRECT"] is False and shown["SESSION_COOKIE_SECURE"] is False
    assert shown["LOG_FORMAT"] == "text"


REQUESTS = """
import django
django.setup()
from django.test import Client
client = Client()
client.get("/healthz", headers={"X-Request-ID": "trace-42"}, secure=True)
client.get("/api/v1/no-such-thing/", headers={"X-Request-ID": "trace-43"}, secure=True, REMOTE_ADDR="203.0.113.7")
client.get("/healthz")  # plain HTTP: exempt from the redirect to HTTPS
client.get("/", secure=False)  # redirected to HTTPS
"""


def test_production_logs_are_json_lines_with_the_request_id(production):
    result = run(production, "-c", REQUESTS)

    assert result.returncode == 0, result.stderr[-2000:]
    lines = [json.loads(line) for line in result.stderr.strip().splitlines()]
    access = [line for line in lines if line["logger"] == "registry.requests"]
    assert [(line["request_id"], line["path"], line["status"]) for line in access[:2]] == [
        ("trace-42", "/healthz", 200),
        ("trace-43", "/api/v1/no-such-thing/", 404),
    ]
    assert [(line["path"], line["status"]) for line in access[2:]] == [("/healthz", 200), ("/", 301)]
    assert {"timestamp", "level", "logger", "message", "request_id", "method", "duration_ms", "client"} <= set(
        access[1]
    )
    assert access[1]["client"] == "203.0.113.7" and access[1]["level"] == "INFO"
    # Django's own line about the 404 carries the same id as the request's access line.
    (not_found,) = [line for line in lines if line["logger"] == "django.request"]
    assert not_found["request_id"] == "trace-43" and not_found["level"] == "WARNING"
    assert len(access) == 4  # one line per request, no more
