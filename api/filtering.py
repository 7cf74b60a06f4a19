"""Query-string handling shared by every endpoint.

Unknown query parameters are a 400, so that a typo (``?provnce=01``) is reported instead of silently
answering an unfiltered page. Filters apply to lists only: a detail URL names its object, and takes no
filter.
"""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError

# Parameters every endpoint accepts: DRF's renderer choice.
ALWAYS_ALLOWED = frozenset({"format"})


def names_parameter(name: str, names: list[str], description: str) -> OpenApiParameter:
    """The schema of a repeatable parameter whose values are some of ``names``: documented as an array sent
    repeated, the form generated clients use; comma-separated values are accepted too (``chosen_names``)."""
    return OpenApiParameter(
        name,
        {"type": "array", "items": {"type": "string", "enum": names}},
        OpenApiParameter.QUERY,
        style="form",
        explode=True,
        description=description,
    )


def chosen_names(query_params, name: str, valid: list[str], what: str) -> list[str] | None:
    """The names given in the repeatable parameter ``name`` (``repeatable_query_parameters``), each once, in
    order; ``None`` when the parameter is absent. A name not in ``valid``, or none at all, is a 400 listing
    the valid ones (``what``: the kind of name, "facet")."""
    raws = query_params.getlist(name)
    if not raws:
        return None
    names = list(dict.fromkeys(part.strip() for raw in raws for part in raw.split(",") if part.strip()))
    unknown = [each for each in names if each not in valid]
    if unknown or not names:
        problem = f"Unknown {what}: {', '.join(unknown)}." if unknown else f"Name at least one {what}."
        raise ValidationError({name: [f"{problem} Valid {what}s: {', '.join(valid)}."]})
    return names


class StrictQueryParametersMixin:
    """Refuses unknown and repeated query parameters on every action. A list knows its filters and
    pagination parameters; a view or an action that takes parameters of its own names them in
    ``query_parameters`` (an action: ``@action(..., query_parameters={"tax_codes"})``)."""

    query_parameters: set[str] = set()

    def known_query_parameters(self) -> set[str]:
        known = {*ALWAYS_ALLOWED, *self.query_parameters, *self.repeatable_query_parameters()}
        if getattr(self, "action", None) != "list":
            return known
        filterset_class = getattr(self, "filterset_class", None)
        if filterset_class is not None:
            known.update(filterset_class.base_filters)
        for attribute in ("page_query_param", "page_size_query_param", "limit_query_param"):
            name = getattr(self.paginator, attribute, None)
            if name:
                known.add(name)
        return known

    def repeatable_query_parameters(self) -> set[str]:
        """Parameters (known ones, too) that take several values either way: repeated
        (``?facets=a&facets=b``, as generated clients send an array) or comma-separated (``?facets=a,b``)."""
        return set()

    def initial(self, request, *args, **kwargs):
        if not hasattr(self, request.method.lower()):
            # A method this URL does not take is a 405 with Allow, whatever the query string says (an unknown
            # parameter, or a ?format= this action has no renderer for).
            self.http_method_not_allowed(request, *args, **kwargs)
        super().initial(request, *args, **kwargs)
        repeatable = self.repeatable_query_parameters()
        repeated = sorted(
            name
            for name in request.query_params
            if name not in repeatable and len(request.query_params.getlist(name)) > 1
        )
        if repeated:
            raise ValidationError(
                {
                    name: ["Give this parameter once (several values of a filter: separate them with commas)."]
                    for name in repeated
                }
            )
        known = self.known_query_parameters()
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            valid = ", ".join(sorted(known))
            raise ValidationError({name: [f"Unknown query parameter. Valid parameters: {valid}."] for name in unknown})

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)


class FilterBackend(DjangoFilterBackend):
    """django-filter, without its HTML form in the browsable API: that form lists every choice of every
    filter (every company, for ``company``), which does not scale; the OpenAPI docs describe the filters."""

    def to_html(self, request, queryset, view):
        return None
