"""``?fields=tax_code,name,markets``: a company or product answered with only the named fields, for clients
that need a few columns of many rows. Unknown names are a 400 listing the valid ones."""

from drf_spectacular.utils import OpenApiParameter

from .filtering import chosen_names, names_parameter

FIELDS_PARAMETER = "fields"
SELECTABLE_ACTIONS = ("list", "retrieve")


def fields_parameter(serializer_class) -> OpenApiParameter:
    return names_parameter(
        FIELDS_PARAMETER,
        list(serializer_class().fields),
        (
            "Names of the fields to answer with (top-level fields of the response), repeated "
            "(`fields=tax_code&fields=name`) or comma-separated (`fields=tax_code,name`); the "
            "others are left out of every result, whatever the schema says is required. With format=csv or "
            "xlsx, the columns of these fields."
        ),
    )


class FieldSelectionMixin:
    """For a viewset whose output serializers are ``api.serializers.OutputSerializer``s."""

    def repeatable_query_parameters(self) -> set[str]:
        repeatable = super().repeatable_query_parameters()
        if getattr(self, "action", None) in SELECTABLE_ACTIONS:
            repeatable.add(FIELDS_PARAMETER)
        return repeatable

    def selected_fields(self) -> list[str] | None:
        if getattr(self, "action", None) not in SELECTABLE_ACTIONS:
            return None
        valid = list(self.get_serializer_class()().fields)
        return chosen_names(self.request.query_params, FIELDS_PARAMETER, valid, "field")

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.fields_selected = self.selected_fields()  # checked before any query

    def get_serializer(self, *args, **kwargs):
        if getattr(self, "fields_selected", None) is not None:
            kwargs["fields"] = self.fields_selected
        return super().get_serializer(*args, **kwargs)
