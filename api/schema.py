"""What the OpenAPI schema cannot infer: security schemes, error response shapes, conditional headers."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorSerializer = inline_serializer(
    name="Error",
    fields={"detail": serializers.CharField(help_text="What went wrong.")},
)

# A 400 body. Mostly each invalid parameter or field maps to its error messages: {"province": ["..."]}; the
# fields of a nested object, or the items of a list by index, map one level down: {"source": {"url": ["..."]}},
# {"contact_persons": {"0": {"name": ["..."]}}}. A body that cannot be parsed at all gets one message instead:
# {"detail": "JSON parse error - ..."}.
VALIDATION_ERROR_SCHEMA = {
    "oneOf": [
        {
            "type": "object",
            "description": "Each invalid parameter or field, by name, maps to its error messages.",
            "additionalProperties": {
                "anyOf": [
                    {"type": "array", "items": {"type": "string"}},
                    {
                        "type": "object",
                        "description": "The errors of a nested object's fields, or of a list's items by index.",
                    },
                ]
            },
        },
        {"$ref": "#/components/schemas/Error"},
    ]
}

NOT_FOUND_RESPONSE = {404: OpenApiResponse(ErrorSerializer, description="No such object.")}

ERROR_RESPONSES = {
    400: OpenApiResponse(
        VALIDATION_ERROR_SCHEMA,
        description="A query parameter is invalid; the body maps each invalid parameter to its errors.",
        examples=[
            OpenApiExample(
                "Unknown province",
                value={"province": ["“99” is not a valid province code. Valid values: 01, 04, 08, ..."]},
            )
        ],
    ),
    401: OpenApiResponse(ErrorSerializer, description="Credentials were sent but are not valid (a revoked key, say)."),
    404: OpenApiResponse(ErrorSerializer, description="The page number is past the last page."),
    429: OpenApiResponse(ErrorSerializer, description="Rate limit exceeded; retry after Retry-After seconds."),
}

IF_MATCH_PARAMETER = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description='The ETag from your last read, such as "3": the write is refused with 412 if the record changed since.',
)
IF_NONE_MATCH_PARAMETER = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="An ETag from an earlier read: 304 without a body if the record has not changed since.",
)

CONDITIONAL_GET_RESPONSES = {304: OpenApiResponse(description="Not modified since the ETag in If-None-Match.")}

WRITE_ERROR_RESPONSES = {
    400: OpenApiResponse(
        VALIDATION_ERROR_SCHEMA,
        description="The body is invalid; each invalid field maps to its errors. Nothing was written.",
    ),
    401: OpenApiResponse(ErrorSerializer, description="No valid credentials (Bearer token, API key or session)."),
    403: OpenApiResponse(
        ErrorSerializer,
        description="Not allowed: a read-only API key, a company the caller does not represent, or not an officer.",
    ),
    404: OpenApiResponse(ErrorSerializer, description="No such object among those the caller may change."),
    412: OpenApiResponse(ErrorSerializer, description="The record changed since the ETag in If-Match."),
    429: OpenApiResponse(ErrorSerializer, description="Rate limit exceeded; retry after Retry-After seconds."),
}

# What an operation that reads a request body can also answer (api/parsers.py, REQUEST_BODY_MAX_BYTES).
BODY_ERROR_RESPONSES = {
    413: OpenApiResponse(
        ErrorSerializer,
        description=f"The body is larger than {settings.REQUEST_BODY_MAX_BYTES:,} bytes (REQUEST_BODY_MAX_BYTES). "
        "Nothing was written.",
    ),
    415: OpenApiResponse(ErrorSerializer, description="The body is not JSON: send Content-Type: application/json."),
}


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "A third-party app's key: `Authorization: Api-Key <key>`. Read-only unless issued with write "
                "scope; a higher rate limit than anonymous callers."
            ),
        }


class BearerTokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "BearerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "The token from POST /api/v1/auth/token/: `Authorization: Bearer <token>`.",
        }
