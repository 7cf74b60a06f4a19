"""Error response shapes for the OpenAPI schema."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorSerializer = inline_serializer(
    name="Error",
    fields={"detail": serializers.CharField(help_text="What went wrong.")},
)

# Each invalid parameter or field maps to its error messages: {"province": ["..."]}.
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "Each invalid parameter or field, by name, maps to its error messages.",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
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
    404: OpenApiResponse(ErrorSerializer, description="The page number is past the last page."),
}
