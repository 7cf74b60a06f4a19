"""``?facets=province,market`` on a list: beside the page, how many of the matching rows have each value
of each named facet (``registry.facets``; the domain apps declare which facets a list has)."""

import hashlib
import json
from dataclasses import asdict

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.settings import api_settings

from companies.selectors import shared_visibility, viewers_alike
from registry.facets import Facet, facet_counts

from .field_selection import FIELDS_PARAMETER
from .filtering import chosen_names, names_parameter
from .pagination import PageNumberPagination

FACETS_PARAMETER = "facets"

FACET_COUNT_SCHEMA = {
    "type": "object",
    "required": ["value", "label", "count"],
    "properties": {
        "value": {"type": "string", "description": "The value, as the list's filter of the same name takes it."},
        "label": {"type": "string", "description": "A name for people."},
        "count": {"type": "integer", "description": "How many of the matching results have this value."},
    },
}


def facets_parameter(names: list[str]) -> OpenApiParameter:
    listed = ", ".join(names)
    return names_parameter(
        FACETS_PARAMETER,
        names,
        (
            f"Facets to count over every result matching the other parameters ({listed}), repeated "
            "(`facets=province&facets=market`) or comma-separated (`facets=province,market`): the "
            "page then has a `facets` object with, for each, the values found and how many results have each, "
            "most frequent first; values with no result are left out. A value is what the filter of the same "
            "name takes. Not with format=csv or xlsx. The counts of a set of filters are kept for everyone who "
            "sees the same results, for `FACETS_CACHE_SECONDS` (60 s by default), and then served while they are "
            "counted again in the background: they may be that much older than the page, plus one count (at most "
            "ten times as old while other counts are refreshed first)."
        ),
    )


def faceted_pagination(names: list[str]) -> type[PageNumberPagination]:
    """The list's pagination, whose schema also describes the ``facets`` object a page has when asked."""

    class FacetedPageNumberPagination(PageNumberPagination):
        def get_paginated_response_schema(self, schema):
            response_schema = super().get_paginated_response_schema(schema)
            response_schema["properties"]["count_capped"]["description"] += (
                " That more than that many match is kept for everyone who sees the same results, for "
                "`CAPPED_COUNT_CACHE_SECONDS` (60 s by default): it may be that much older than the page."
            )
            response_schema["properties"][FACETS_PARAMETER] = {
                "type": "object",
                "description": "Present when the request has `facets`: the counts of each facet asked for.",
                "properties": {name: {"type": "array", "items": FACET_COUNT_SCHEMA} for name in names},
            }
            return response_schema

    return FacetedPageNumberPagination


class FacetsMixin:
    """For a list viewset with ``facets`` (a name → ``registry.facets.Facet`` mapping from its domain app)
    and ``pagination_class = faceted_pagination(list(facets))``."""

    facets: dict[str, Facet] = {}

    def repeatable_query_parameters(self) -> set[str]:
        repeatable = super().repeatable_query_parameters()
        if getattr(self, "action", None) == "list":
            repeatable.add(FACETS_PARAMETER)
        return repeatable

    def requested_facets(self) -> list[str]:
        names = chosen_names(self.request.query_params, FACETS_PARAMETER, list(self.facets), "facet")
        if names is None:
            return []
        if getattr(self, "exporting", None) is not None:
            raise ValidationError({FACETS_PARAMETER: ["Facets are counted on JSON pages, not in exports."]})
        return names

    def paginate_queryset(self, queryset):
        self.matching = queryset  # what the facets count over, filtered like the page
        return super().paginate_queryset(queryset)

    def list(self, request, *args, **kwargs):
        names = self.requested_facets()
        response = super().list(request, *args, **kwargs)
        if names:
            counts = facet_counts(
                self.facets,
                names,
                self.matching,
                shared_as=self.matching_shared_as(),
                fresh_seconds=settings.FACETS_CACHE_SECONDS,
                # A representative's rows are filtered by what they represent: the same as the public's now,
                # perhaps not when a refresh runs. Their request serves the counts, and leaves them to refresh.
                may_refresh_later=viewers_alike(self.request.user) is not None,
            )
            response.data[FACETS_PARAMETER] = {
                name: [asdict(count) for count in value_counts] for name, value_counts in counts.items()
            }
        return response

    def matching_shared_as(self) -> str | None:
        """A name for the rows that match the request, which the facets count (``registry.facets.facet_counts``)
        and the page's count may be kept under (``api.pagination.CappedCountPaginator``): the list, what the
        caller sees (``companies.selectors.shared_visibility``; ``None``, nothing shared, where that is theirs
        alone) and every query parameter but those that leave the matching rows as they are."""
        visibility = shared_visibility(self.request.user)
        if visibility is None:
            return None
        not_filtering = {  # the page, its order, fields and format, the facets asked for
            self.paginator.page_query_param,
            self.paginator.page_size_query_param,
            "ordering",
            FIELDS_PARAMETER,
            api_settings.URL_FORMAT_OVERRIDE,
            FACETS_PARAMETER,
        }
        filters = sorted(
            (name, sorted(values)) for name, values in self.request.query_params.lists() if name not in not_filtering
        )
        digest = hashlib.sha256(json.dumps(filters).encode()).hexdigest()
        return f"{self.basename}:{visibility}:{digest}"
