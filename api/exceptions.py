"""JSON error bodies for every failure, including domain validation raised by the services."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import ValidationError
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from registry.exceptions import VersionConflict

from .conditional import PreconditionFailed


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(detail=as_serializer_error(exc))
    elif isinstance(exc, VersionConflict):
        exc = PreconditionFailed()
    return drf_exception_handler(exc, context)
