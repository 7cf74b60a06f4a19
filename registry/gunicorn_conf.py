"""Gunicorn settings for the registry: ``gunicorn -c python:registry.gunicorn_conf registry.wsgi``.

Sync workers (one request at a time each, the Django default), as many as the usual rule for a
database-bound app: two per core plus one, or ``WEB_CONCURRENCY``. ``GUNICORN_BIND`` sets the address.

Behind a reverse proxy (nginx): bind to an address only the proxy reaches (the default, 127.0.0.1:8000, when
it runs on the same host; a private address otherwise), since the app trusts what the proxy says about the
client (NUM_PROXIES for X-Forwarded-For, SECURE_PROXY_SSL_HEADER for the scheme). Gunicorn itself takes the
scheme from X-Forwarded-Proto only from the addresses in its ``FORWARDED_ALLOW_IPS`` environment variable
(default 127.0.0.1,::1): set it to the proxy's address when the proxy runs elsewhere.

Logging: the app's configuration (registry/logging_config.py: LOG_FORMAT, LOG_LEVEL), so gunicorn's own lines
are JSON in production like the app's. The app logs one line per request with its request id
(registry.requests); gunicorn's access log stays off unless ``GUNICORN_ACCESS_LOG`` names a file (or ``-``).
"""

import os

from registry.logging_config import log_format_from, logging_config

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1))
worker_class = "sync"
# A sync worker busy longer than this is killed. The CSV and XLSX exports stream up to EXPORT_MAX_ROWS rows
# and take 30-45 s at 100,000 companies on a small machine (bench/results/exports.md), hence 120 s.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 10
# gunicorn's longest request line (method, URL, version). Its default, 4094 bytes, is shorter than some valid list
# queries (a 200-character search in a non-Latin script is 2,400 bytes percent-encoded, plus a list of
# countries, fields and facets), and gunicorn answers it with an HTML 400 page the API never sees. 8190 is
# gunicorn's maximum; a reverse proxy in front should allow as much.
limit_request_line = int(os.environ.get("GUNICORN_LIMIT_REQUEST_LINE", "8190"))
# Recycle workers now and then, staggered, so that a slow leak can never take the service down.
max_requests = 5000
max_requests_jitter = 500
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"


def worker_exit(server, worker):
    """A worker that exits (recycled after max_requests, or stopping) ends once its running refresh of a shared
    result has; those waiting are dropped (registry.cache.stop_refreshing)."""
    from registry.cache import stop_refreshing

    stop_refreshing()


logconfig_dict = logging_config(
    log_format=log_format_from(os.environ),
    level=os.environ.get("LOG_LEVEL", "INFO"),
    gunicorn_access_log=accesslog is not None,
)
