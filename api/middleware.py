"""Nothing under /api/ answers with an HTML error page.

DRF renders its own errors as JSON; this catches the rest: unknown URLs (Django's 404 page, which is HTML
even more so with DEBUG on), CSRF failures, and unhandled exceptions (500).
"""

import logging
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, JsonResponse

from .exceptions import request_body_too_large_detail

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"


# Exceptions Django itself turns into a 4xx (too many query parameters, an unknown URL, a denied request).
CLIENT_ERRORS = (Http404, PermissionDenied, SuspiciousOperation, BadRequest)


def _under_api(request) -> bool:
    return request.path == API_PREFIX.rstrip("/") or request.path.startswith(API_PREFIX)


def _is_json(response) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip() in {"application/json", "application/problem+json"}


class JsonErrorsUnderApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if _under_api(request) and response.status_code >= 400 and not _is_json(response):
            # A DRF error drawn as HTML by the browsable API keeps its body (which names the bad parameter).
            data = getattr(response, "data", None)
            if isinstance(data, (dict, list)):
                return JsonResponse(data, status=response.status_code, safe=False)
            return self._json_error(response.status_code)
        return response

    def process_exception(self, request, exception):
        if not _under_api(request) or isinstance(exception, CLIENT_ERRORS):
            return None  # Django answers these with their 4xx status; __call__ makes the body JSON
        logger.exception("Unhandled error on %s %s", request.method, request.path)
        return self._json_error(500)

    @staticmethod
    def _json_error(status: int) -> JsonResponse:
        try:
            detail = HTTPStatus(status).phrase
        except ValueError:
            detail = "Error"
        if status == 404:
            detail = "Not found. The API's endpoints are listed at /api/v1/schema/ and /api/docs/."
        return JsonResponse({"detail": detail}, status=status)


class RequestBodyLimitUnderApiMiddleware:
    """A request under /api/ whose Content-Length is over ``REQUEST_BODY_MAX_BYTES`` is answered 413 at once,
    before anything reads its body: a view, the CSRF check of a form, an authentication class. (Django would
    refuse it only where the body is read, with a 400 that says nothing of the limit.) A body whose size is
    learnt only by reading it (no Content-Length, under ASGI) gets the same 413 from DRF's exception handler."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _under_api(request) and _declared_length(request) > settings.REQUEST_BODY_MAX_BYTES:
            return JsonResponse({"detail": request_body_too_large_detail()}, status=413)
        return self.get_response(request)


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # as Django reads a malformed Content-Length
