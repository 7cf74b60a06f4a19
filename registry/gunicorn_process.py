"""gunicorn in a process of its own, for the tools that run the API as production serves it: ``make fuzz``
(scripts/fuzz_api.py) and the tests that need real server processes (tests/api/test_concurrent_writers.py).

Standard library only, and never imported by the service itself. It lives in the project package because both
of its users can import it from there: scripts/ is not a package, and a script should not import the tests.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The deployment's configuration, which a throw-away server must not inherit from the shell that starts it:
# a shared Redis, read replicas, production mode, CORS and HTTPS settings, rate limits, a database. Every
# variable registry/settings.py and registry/gunicorn_conf.py read starts with one of these prefixes or is
# one of these names; the caller sets what its server needs.
DEPLOYMENT_PREFIXES = (
    "DATABASE_", "REDIS_", "REGISTRY_", "CORS_", "CSRF_", "SECURE_", "SESSION_", "GUNICORN_", "THROTTLE_",
    "EXPORT_", "INDICATORS_", "CHANGE_FEED_", "SUGGESTION_", "WHITENOISE_", "LOG_", "FACETS_", "SEARCH_",
    "CAPPED_COUNT_", "CACHE_",
)  # fmt: skip
DEPLOYMENT_NAMES = frozenset(
    {"ALLOWED_HOSTS", "SECRET_KEY", "DEBUG", "NUM_PROXIES", "WEB_CONCURRENCY", "STATIC_ROOT", "REQUEST_BODY_MAX_BYTES",
     "DJANGO_SETTINGS_MODULE"}
)  # fmt: skip


class ServerDidNotStart(RuntimeError):
    """gunicorn exited, or did not answer in time; the message ends with its log."""


def free_port() -> int:
    """A TCP port of 127.0.0.1 free right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def clean_environment(**settings: str) -> dict[str, str]:
    """This process's environment without the deployment's configuration, plus ``settings``."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if name not in DEPLOYMENT_NAMES and not name.startswith(DEPLOYMENT_PREFIXES)
    }
    return {**kept, "DJANGO_SETTINGS_MODULE": "registry.settings", **settings}


def start_gunicorn(environment: dict, *, port: int, log_path: Path, ready_path: str, timeout: float = 60):
    """Start gunicorn (registry/gunicorn_conf.py) on 127.0.0.1:``port`` with ``environment``, its output into
    ``log_path``, and wait until ``ready_path`` answers 200. In a session of its own, so that ``stop_gunicorn``
    stops its workers too. ``ServerDidNotStart`` if it exits or does not answer within ``timeout`` seconds."""
    with open(log_path, "wb") as log:  # the child has its own copy of the file
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:registry.gunicorn_conf", "registry.wsgi"],
            cwd=ROOT,
            env={**environment, "GUNICORN_BIND": f"127.0.0.1:{port}"},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{ready_path}", timeout=5) as answer:
                if answer.status == 200:
                    return process
        except OSError:
            pass
        exited = process.poll() is not None
        if exited or time.monotonic() > deadline:
            how = f"exited with {process.returncode}" if exited else f"did not answer within {timeout} s"
            stop_gunicorn(process)
            raise ServerDidNotStart(f"gunicorn {how}:\n{Path(log_path).read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)


def stop_gunicorn(process: subprocess.Popen) -> None:
    """Stop gunicorn and its workers (the session it leads): SIGTERM, then SIGKILL after 20 seconds."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
