"""``?fields=tax_code,name,markets``: a company or product answered with only the named fields, for clients
that need a few columns of many rows. Unknown names are a 400 listing the valid ones."""

import functools

from drf_spectacular.utils import OpenApiParameter

from registry.querysets import without_reading

from .filtering import chosen_names, names_parameter

FIELDS_PARAMETER = "fields"
SELECTABLE_ACTIONS = ("list", "retrieve")


def fields_parameter(serializer_class) -> OpenApiParameter:
    return names_parameter(
        FIELDS_PARAMETER,
        serializer_class.field_names(),
        (
            "Names of the fields to answer with (top-level fields of the response), repeated "
            "(`fields=tax_code&fields=name`) or comma-separated (`fields=tax_code,name`); the "
            "others are left out of every result, whatever the schema says is required, and what only they "
            "need is not read (a company's market countries and latest export revenue, its products, ...). "
            "With format=csv or xlsx, the columns of these fields."
        ),
    )


def unread_without(serializer_class, fields: list[str]) -> set[str]:
    """What only the fields of ``serializer_class`` that are not in ``fields`` read of an object: the
    annotations and relations an answer with ``fields`` need not read (``registry.querysets.without_reading``)."""
    reads = reads_by_field(serializer_class)
    needed = set().union(*(reads[name] for name in fields))
    return set().union(*(reads[name] for name in reads if name not in fields)) - needed


@functools.cache
def reads_by_field(serializer_class) -> dict[str, frozenset[str]]:
    """For each field of ``serializer_class``, what it reads of an object: the first attribute of its source
    (a column, an annotation or a relation), and for a field whose source does not say (a method field, a
    property), what the serializer's ``Meta.reads`` names for it."""
    declared = getattr(serializer_class.Meta, "reads", {})
    return {
        name: frozenset(field.source_attrs[:1]) | frozenset(declared.get(name, ()))
        for name, field in serializer_class().fields.items()
    }


class FieldSelectionMixin:
    """For a viewset whose output serializers are ``api.serializers.OutputSerializer``s. With ``?fields=``,
    what only the fields left out need is not read either: their annotations (correlated subqueries: the
    company list's market countries and latest export revenue), joined relations and prefetched rows."""

    def repeatable_query_parameters(self) -> set[str]:
        repeatable = super().repeatable_query_parameters()
        if getattr(self, "action", None) in SELECTABLE_ACTIONS:
            repeatable.add(FIELDS_PARAMETER)
        return repeatable

    def selected_fields(self) -> list[str] | None:
        if getattr(self, "action", None) not in SELECTABLE_ACTIONS:
            return None
        valid = self.get_serializer_class().field_names()
        return chosen_names(self.request.query_params, FIELDS_PARAMETER, valid, "field")

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.fields_selected = self.selected_fields()  # checked before any query

    def get_queryset(self):
        queryset = super().get_queryset()
        fields = getattr(self, "fields_selected", None)
        if fields is None:
            return queryset
        return without_reading(queryset, unread_without(self.get_serializer_class(), fields))

    def get_serializer(self, *args, **kwargs):
        if getattr(self, "fields_selected", None) is not None:
            kwargs["fields"] = self.fields_selected
        return super().get_serializer(*args, **kwargs)


def postprocess_schema(result, generator, request, public):
    """drf-spectacular post-processing hook: an operation that takes ``fields`` answers each object either
    whole or with only the fields asked for, so its response says ``anyOf: [Company, CompanyFieldSelection]``
    (the second: the same properties, none required) for the object, or for each result of a page."""
    schemas = result.get("components", {}).get("schemas", {})
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            parameters = operation.get("parameters", []) if isinstance(operation, dict) else []
            if not any(each.get("in") == "query" and each.get("name") == FIELDS_PARAMETER for each in parameters):
                continue
            content = operation["responses"].get("200", {}).get("content", {}).get("application/json")
            if content is None or "$ref" not in content["schema"]:
                continue
            answered = schemas[_component_name(content["schema"])]
            page_results = answered.get("properties", {}).get("results")
            if page_results is not None:
                page_results["items"] = _whole_or_selected(page_results["items"], schemas)
            else:
                content["schema"] = _whole_or_selected(content["schema"], schemas)
    return result


def _component_name(reference: dict) -> str:
    return reference["$ref"].rsplit("/", 1)[-1]


def _whole_or_selected(reference: dict, schemas: dict) -> dict:
    if "$ref" not in reference:
        return reference  # already done: a page component shared by two operations
    name = _component_name(reference)
    selection = f"{name}FieldSelection"
    if selection not in schemas:
        schemas[selection] = {
            **{key: value for key, value in schemas[name].items() if key != "required"},
            "description": f"{name} answered with only the fields named in `fields` (any of them may be absent).",
        }
    return {"anyOf": [reference, {"$ref": f"#/components/schemas/{selection}"}]}
