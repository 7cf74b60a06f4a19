"""Gunicorn settings for the registry: ``gunicorn -c python:registry.gunicorn_conf registry.wsgi``.

Sync workers (one request at a time each, the Django default), as many as the usual rule for a
database-bound app: two per core plus one, or ``WEB_CONCURRENCY``. ``GUNICORN_BIND`` sets the address.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1))
worker_class = "sync"
# A sync worker busy longer than this is killed. The CSV and XLSX exports stream up to EXPORT_MAX_ROWS rows
# and take 30-45 s at 100,000 companies on a small machine (bench/results/exports.md), hence 120 s.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 10
# Recycle workers now and then, staggered, so that a slow leak can never take the service down.
max_requests = 5000
max_requests_jitter = 500
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
