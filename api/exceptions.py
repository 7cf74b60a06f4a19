"""JSON error bodies for every failure, including domain validation raised by the services."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import ValidationError
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from registry.exceptions import VersionConflict

from .conditional import PreconditionFailed


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = as_serializer_error(exc)
        if NON_FIELD_ERRORS in detail:  # a rule over several fields (a unique constraint, say)
            detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
        exc = ValidationError(detail=detail)
    elif isinstance(exc, VersionConflict):
        exc = PreconditionFailed()
    return drf_exception_handler(exc, context)
