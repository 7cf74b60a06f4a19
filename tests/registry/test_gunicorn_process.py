"""The throw-away servers of ``make fuzz`` and of the server-process tests (registry/gunicorn_process.py) run
without the deployment's configuration of the shell that starts them, and the fuzz never writes to the
developer's own database (scripts/fuzz_api.py)."""

import importlib.util
import re
from pathlib import Path

from registry.gunicorn_process import DEPLOYMENT_NAMES, DEPLOYMENT_PREFIXES, clean_environment

ROOT = Path(__file__).resolve().parents[2]

SHELL = {
    "REDIS_URL": "redis://shared.example:6379/0",
    "DATABASE_URL": "sqlite:///var/registry.sqlite3",
    "DATABASE_REPLICA_URLS": "postgres://replica.example/registry",
    "REGISTRY_ENV": "production",
    "SECRET_KEY": "a production secret",
    "ALLOWED_HOSTS": "registry.example",
    "CORS_ALLOWED_ORIGINS": "https://app.example",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
    "THROTTLE_ANON": "1/min",
    "GUNICORN_BIND": "0.0.0.0:80",
}


def fuzz_api():
    spec = importlib.util.spec_from_file_location("fuzz_api", ROOT / "scripts" / "fuzz_api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_server_environment_has_none_of_the_shells_deployment_settings(monkeypatch):
    for name, value in {**SHELL, "PATH": "/usr/bin", "HOME": "/home/dev", "LANG": "vi_VN.UTF-8"}.items():
        monkeypatch.setenv(name, value)

    environment = clean_environment(DATABASE_URL="sqlite:////tmp/fuzz.sqlite3", THROTTLE_ANON="1000000/min")

    assert not (set(SHELL) - {"DATABASE_URL", "THROTTLE_ANON"}) & set(environment)
    assert environment["DATABASE_URL"] == "sqlite:////tmp/fuzz.sqlite3"
    assert environment["THROTTLE_ANON"] == "1000000/min"
    assert environment["DJANGO_SETTINGS_MODULE"] == "registry.settings"
    assert {name: environment[name] for name in ("PATH", "HOME", "LANG")} == {
        "PATH": "/usr/bin",
        "HOME": "/home/dev",
        "LANG": "vi_VN.UTF-8",
    }


def test_the_fuzz_writes_to_a_throw_away_database_unless_given_postgresql(tmp_path):
    choose = fuzz_api().fuzz_database_url
    throw_away = f"sqlite:///{tmp_path / 'registry.sqlite3'}"

    assert choose("", tmp_path) == throw_away
    assert choose("sqlite:///var/registry.sqlite3", tmp_path) == throw_away  # the developer's own: never
    assert choose("postgres://postgres@127.0.0.1:5432/fuzz", tmp_path) == "postgres://postgres@127.0.0.1:5432/fuzz"


def test_every_variable_the_settings_read_is_a_deployment_setting():
    # registry/settings.py and the modules it and gunicorn's settings read the environment through.
    sources = ["settings.py", "gunicorn_conf.py", "logging_config.py"]
    read = {
        name
        for source in sources
        for name in re.findall(
            r'(?:environ\.get|environ\[|env_list|env_bool|getenv)\(?\s*"([A-Z][A-Z0-9_]+)"',
            (ROOT / "registry" / source).read_text(),
        )
    }
    assert {"DATABASE_URL", "FACETS_CACHE_SECONDS", "SEARCH_COUNT_SCAN_MILLISECONDS", "WEB_CONCURRENCY"} <= read
    assert (
        sorted(name for name in read if name not in DEPLOYMENT_NAMES and not name.startswith(DEPLOYMENT_PREFIXES)) == []
    )
