"""JSON error bodies for every failure, including domain validation raised by the services."""

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from registry.exceptions import VersionConflict

from .conditional import PreconditionFailed


class RequestBodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_body_too_large"


def request_body_too_large_detail() -> str:
    return f"The request body is larger than the limit of {settings.REQUEST_BODY_MAX_BYTES:,} bytes."


# Django's codes for a value another row already has (unique fields, unique constraints), and the services'
# for one a concurrent request took first (registry.services.insert_or_refuse).
UNIQUE_ERROR_CODES = frozenset({"unique", "unique_together"})


class Conflict(ValidationError):
    """A body that is valid but clashes with a record that exists (an enterprise code already registered, an
    export market already listed): 409, with the same field-by-field body as a 400."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def _only_conflicts(error: DjangoValidationError) -> bool:
    errors = error.error_dict.values() if hasattr(error, "error_dict") else [error.error_list]
    codes = [each.code for field_errors in errors for each in field_errors]
    return bool(codes) and all(code in UNIQUE_ERROR_CODES for code in codes)


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = as_serializer_error(exc)
        if NON_FIELD_ERRORS in detail:  # a rule over several fields (a unique constraint, say)
            detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
        # Only when nothing else is wrong: a body with other errors is to be fixed first (400).
        exc = Conflict(detail=detail) if _only_conflicts(exc) else ValidationError(detail=detail)
    elif isinstance(exc, VersionConflict):
        exc = PreconditionFailed()
    elif isinstance(exc, RequestDataTooBig):
        # Django's SuspiciousOperation for a body over DATA_UPLOAD_MAX_MEMORY_SIZE (REQUEST_BODY_MAX_BYTES): a 400
        # by default.
        exc = RequestBodyTooLarge(request_body_too_large_detail())
    return drf_exception_handler(exc, context)
