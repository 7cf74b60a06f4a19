"""The one logging configuration, for Django (``settings.LOGGING``) and gunicorn (``logconfig_dict`` in
registry/gunicorn_conf.py), so that the server's own lines and the app's come out in the same format.

``json``: one JSON object per line with ``timestamp`` (UTC, ISO 8601), ``level``, ``logger``, ``message`` and
``request_id``, plus a record's extra fields (the access log's method, path, status, duration_ms, client).
``text``: the same, readable, for a developer's terminal. Every line carries the request id (``-`` outside a
request), put there by a filter on the handler, so third-party loggers get it too.

Kept free of Django imports: gunicorn's master process loads it before Django is set up.
"""

FORMATS = ("json", "text")


def log_format_from(environ) -> str:
    """``LOG_FORMAT``, by default json in production (``REGISTRY_ENV=production``) and text elsewhere."""
    return environ.get("LOG_FORMAT") or ("json" if environ.get("REGISTRY_ENV") == "production" else "text")


def logging_config(*, log_format: str, level: str, gunicorn_access_log: bool = False) -> dict:
    if log_format not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, got {log_format!r}")
    loggers = {
        # Django's own handlers print to the console only with DEBUG on, as plain text, beside ours; dropping
        # them sends its records (request errors with their tracebacks) through the handler below, once.
        "django": {"handlers": [], "level": level, "propagate": True},
        # runserver's access lines would repeat the request log's; only its errors are kept.
        "django.server": {"handlers": [], "level": "ERROR", "propagate": True},
        "gunicorn.error": {"handlers": ["console"], "level": level, "propagate": False},
    }
    if not gunicorn_access_log:
        # gunicorn logs access whenever a logging config is given; the app's request log already has one line
        # per request, with the request id. GUNICORN_ACCESS_LOG keeps gunicorn's own file instead.
        loggers["gunicorn.access"] = {"handlers": [], "level": "CRITICAL", "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "registry.request_id.RequestIdFilter"}},
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "{levelname}{name}{message}{request_id}",
                "style": "{",
                "rename_fields": {"levelname": "level", "name": "logger"},
                "timestamp": True,
            },
            "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": log_format, "filters": ["request_id"]},
        },
        "loggers": loggers,
        "root": {"handlers": ["console"], "level": level},
    }
