"""The schema class of the API (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``): drf-spectacular's, plus what holds
for every operation alike and would otherwise be repeated on each, or forgotten on some. The schema is the
contract ``make fuzz`` (scripts/fuzz_api.py) holds the API to, so it says what the API takes and answers.

* Security: an operation anyone may call (a read under ``ReadOnlyOrRegistryWriter``, say) also lists the
  empty requirement ``{}``, so that clients and fuzzers know credentials are optional there. drf-spectacular
  only knows DRF's own ``AllowAny`` and ``IsAuthenticatedOrReadOnly``; this asks the view's permission classes
  themselves, with an anonymous request.
* Request bodies as strict as the API: an input serializer refuses unknown fields
  (``additionalProperties: false``), and a text field's ``pattern`` says which characters the domain refuses
  (``registry.plain_text``: control characters, and in one-line text direction controls) and, when it may not
  be blank, that it needs a character other than white space and invisible ones (which are trimmed).
* Query parameters as the API reads them: a filter's bounds, and ``allowEmptyValue`` where an empty value is
  no value (the lists' filters, the indicators' parameters, ``format``).
* Error responses every operation can answer, documented where its own ``@extend_schema`` does not already:
  400 (an unknown or repeated query parameter, a malformed body), 401 (credentials sent but invalid; or
  missing, where they are required), 403 (not allowed, or a session without its CSRF token), 404 (a path
  naming nothing), 406 (an ``Accept`` no renderer offers), 409 (a body clashing with an existing record),
  413 and 415 (a body too large or not JSON) and 429 (rate limit)."""

from types import SimpleNamespace

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS

from registry.plain_text import DIRECTION_CONTROL_CHARACTERS
from registry.text import INVISIBLE_CHARACTERS

from .input_serializers import StrictInputSerializer
from .schema import BODY_ERROR_RESPONSES, ERROR_RESPONSES, VALIDATION_ERROR_SCHEMA, ErrorSerializer


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


CONFLICT = OpenApiResponse(
    VALIDATION_ERROR_SCHEMA,
    description="The body clashes with a record that exists (an enterprise code already registered, an export "
    "market already listed); the body maps each field, or non_field_errors, to what clashes. Nothing was written.",
)
NOT_ACCEPTABLE = _error("The Accept header names no media type this operation answers with.")
FORBIDDEN = _error("Not allowed for these credentials, or a session request without its CSRF token.")
UNAUTHENTICATED = _error("No valid credentials: this operation needs a Bearer token, an API key or a session.")
NOT_FOUND = _error("Nothing is found at this path.")
BAD_REQUEST = OpenApiResponse(
    VALIDATION_ERROR_SCHEMA,
    description="A query parameter is unknown, repeated or invalid, or the body is malformed.",
)


# Characters as registry.plain_text treats them, spelled as explicit ranges (the classes of registry.plain_text and
# registry.text without their brackets): every regex engine reads these alike.
CONTROLS = r"\x00-\x1f\x7f-\x9f"  # Unicode category Cc
MULTILINE_REFUSED_CONTROLS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # Cc but tab, line feed, carriage return
DIRECTION_CONTROLS = DIRECTION_CONTROL_CHARACTERS.pattern.strip("[]")
WHITE_SPACE = r"\t-\r\x1c- \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"  # str.isspace()
INVISIBLE = INVISIBLE_CHARACTERS.pattern.strip("[]")


def text_pattern(*, multiline: bool, allow_blank: bool) -> str:
    """The pattern of a text the domain stores: no refused character, and unless it may be blank, at least
    one character that is left once white space (and, in one-line text, invisible characters) is trimmed."""
    refused = MULTILINE_REFUSED_CONTROLS if multiline else CONTROLS + DIRECTION_CONTROLS
    if allow_blank:
        return f"^[^{refused}]*$"
    trimmed = WHITE_SPACE if multiline else WHITE_SPACE + INVISIBLE
    return f"^[^{refused}]*[^{refused}{trimmed}][^{refused}]*$"


def is_multiline(field: serializers.CharField) -> bool:
    """DRF's mark of a multi-line text (its browsable API draws a text area): a model's TextField."""
    return field.style.get("base_template") == "textarea.html"


class RegistryAutoSchema(AutoSchema):
    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        serializer = force_instance(serializer)
        if direction != "request" or not isinstance(serializer, StrictInputSerializer):
            return schema
        schema["additionalProperties"] = False
        for name, field in serializer.fields.items():
            field_schema = schema["properties"].get(name)
            plain_text = (
                isinstance(field, serializers.CharField) and field_schema and field_schema.get("type") == "string"
            )
            if plain_text and not {"pattern", "format", "enum"} & set(field_schema):
                field_schema["pattern"] = text_pattern(
                    multiline=is_multiline(field), allow_blank=field.allow_blank or not field.trim_whitespace
                )
        return schema

    def get_auth(self):
        auths = super().get_auth()
        if auths and {} not in auths and self._anonymous_allowed():
            auths.append({})
        return auths

    def _anonymous_allowed(self) -> bool:
        """Whether every permission of the view lets an anonymous caller make this request."""
        anonymous_request = SimpleNamespace(method=self.method, user=AnonymousUser(), auth=None)
        try:
            return all(
                permission.has_permission(anonymous_request, self.view) for permission in self.view.get_permissions()
            )
        except Exception:  # a permission that needs more of the request than this: assume it refuses
            return False

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        # An empty value is no value: DRF's ?format= (the default renderer), and the indicators' parameters, as
        # the lists' filters (FilterBoundsExtension).
        query_serializer_class = getattr(self.view, "query_serializer_class", None)  # api.indicators.IndicatorView
        empty_means_absent = {"format", *(query_serializer_class().fields if query_serializer_class else ())}
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and parameter["name"] in empty_means_absent:
                parameter["allowEmptyValue"] = True
        responses = operation["responses"]
        for status_code, response in self._common_error_responses(operation).items():
            if str(status_code) not in responses:
                responses[str(status_code)] = self._get_response_for_code(response, str(status_code))
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _common_error_responses(self, operation: dict) -> dict:
        view = self.view
        errors = {406: NOT_ACCEPTABLE}
        if operation.get("parameters") or operation.get("requestBody") or hasattr(view, "known_query_parameters"):
            errors[400] = BAD_REQUEST
        if view.get_authenticators():
            anonymous_allowed = {} in operation.get("security", [{}])
            errors[401] = ERROR_RESPONSES[401] if anonymous_allowed else UNAUTHENTICATED
            if not anonymous_allowed or self.method not in SAFE_METHODS:
                errors[403] = FORBIDDEN
        if any(parameter["in"] == "path" for parameter in operation.get("parameters", [])):
            errors[404] = NOT_FOUND
        if operation.get("requestBody"):
            errors[409] = CONFLICT
            errors.update(BODY_ERROR_RESPONSES)
        if view.get_throttles():
            errors[429] = ERROR_RESPONSES[429]
        return errors


class FilterBoundsExtension(DjangoFilterExtension):
    """django-filter parameters as drf-spectacular maps them, plus the bounds the filters enforce
    (``min_value``/``max_value`` of a number, ``max_length`` of a text), so that the schema refuses what the
    API refuses; and ``allowEmptyValue``, since a filter given an empty value (``?province=``, as an HTML form
    sends an empty field) filters nothing."""

    target_class = "api.filtering.FilterBackend"
    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
        bounds = {
            "minimum": filter_field.extra.get("min_value"),
            "maximum": filter_field.extra.get("max_value"),
            "maxLength": filter_field.extra.get("max_length"),
        }
        for parameter in parameters:
            parameter["allowEmptyValue"] = True
            schema = parameter["schema"]
            for keyword, value in bounds.items():
                numeric = schema.get("type") in ("integer", "number")
                if value is not None and numeric == (keyword != "maxLength"):
                    schema.setdefault(keyword, value)
        return parameters
