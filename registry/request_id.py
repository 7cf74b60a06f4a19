"""A request id on every response (``X-Request-ID``) and on every log line, and one access-log line per request.

The id comes from the caller (a reverse proxy or a client that wants to correlate its calls) when it is
short and made of safe characters; anything else, a forged header carrying a line break or a 10 kB value,
is replaced by a fresh uuid4, so that what lands in the logs is never attacker-shaped. The id lives in a
context variable, so that log lines written anywhere while the request runs carry it, until the response is
closed (``request_finished``): Django's own line about a 4xx or 5xx is written after the last middleware
returns, and a streamed export's rows after that.

Install ``RequestIdMiddleware`` first in ``MIDDLEWARE``: it then sees every response, redirects to HTTPS and
the JSON errors under /api/ included, and times the whole request. ``RequestIdFilter`` goes on the log
handlers (registry/logging_config.py); nothing here needs the settings at import, so gunicorn's master
process can load it before Django is set up.
"""

import contextvars
import logging
import re
import time
import uuid

from django.core.signals import request_finished

HEADER = "X-Request-ID"
# What a proxy or a client may send: uuids, hex, base64-ish ids (``Root=1-...``), at most 128 characters.
ACCEPTABLE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")
NO_REQUEST = "-"

current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default=NO_REQUEST)

access_logger = logging.getLogger("registry.requests")


def request_id_from(incoming: str | None) -> str:
    """The caller's id if it is acceptable, otherwise a new one."""
    if incoming and ACCEPTABLE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Puts ``request_id`` on every record (``-`` outside a request); never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True


def _forget_request_id(**kwargs) -> None:
    current_request_id.set(NO_REQUEST)


request_finished.connect(_forget_request_id, dispatch_uid="registry.request_id")


class RequestIdMiddleware:
    def __init__(self, get_response):
        from rest_framework.throttling import BaseThrottle

        self.get_response = get_response
        # The client address exactly as the rate limits see it (NUM_PROXIES applied to X-Forwarded-For), so
        # a throttled address in a log line is the one the limit was counted on.
        self.client_address = BaseThrottle().get_ident

    def __call__(self, request):
        request_id = request_id_from(request.headers.get(HEADER))
        request.request_id = request_id
        current_request_id.set(request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        response[HEADER] = request_id
        # A streamed export is timed to its first byte: its rows are written after this returns.
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        path = request.get_full_path()
        access_logger.info(
            "%s %s %s %.1fms",
            request.method,
            path,
            response.status_code,
            duration_ms,
            extra={
                "method": request.method,
                "path": path,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "client": self.client_address(request),
            },
        )
        return response
