"""Page-number pagination that refuses a malformed page or page size instead of ignoring it."""

from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

MAX_PAGE_SIZE = 100


def _is_whole_number(raw: str) -> bool:
    # str.isdigit() alone accepts "²" and other digits int() refuses.
    return raw.isascii() and raw.isdigit()


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_size_query_description = f"Number of results per page, 1 to {MAX_PAGE_SIZE} (default 20)."
    page_query_description = "Page number, from 1."

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not _is_whole_number(raw) or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: [f"Enter a whole number from 1 to {self.max_page_size}."]}
            )
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and (not _is_whole_number(raw) or int(raw) < 1):
            raise ValidationError({self.page_query_param: ["Enter a whole number from 1."]})
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound as error:
            raise NotFound(f"Page {raw} does not exist: {error.detail}") from error

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update({"minimum": 1, "maximum": self.max_page_size})
            if parameter["name"] == self.page_query_param:
                parameter["schema"].update({"minimum": 1})
        return parameters


class ChangeFeedPagination(pagination.BasePagination):
    """Cursor pages of the change feed: ``results``, ``next_since`` (pass it as ``since`` for the next
    page) and ``has_more``. Stable under concurrent writes: a cursor is an event id, never an offset."""

    limit_query_param = "limit"
    default_limit = 100
    max_limit = 1000

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.limit_query_param)
        if raw is None:
            limit = self.default_limit
        elif _is_whole_number(raw) and 1 <= int(raw) <= self.max_limit:
            limit = int(raw)
        else:
            raise ValidationError({self.limit_query_param: [f"Enter a whole number from 1 to {self.max_limit}."]})
        page = list(queryset[: limit + 1])
        self.has_more = len(page) > limit
        page = page[:limit]
        since = request.query_params.get("since") or "0"
        self.next_since = page[-1].pk if page else int(since) if _is_whole_number(since) else 0
        return page

    def get_paginated_response(self, data):
        return Response({"results": data, "next_since": self.next_since, "has_more": self.has_more})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results", "next_since", "has_more"],
            "properties": {
                "results": schema,
                "next_since": {"type": "integer", "description": "Pass as `since` to read on."},
                "has_more": {"type": "boolean", "description": "Whether more changes follow right away."},
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.limit_query_param,
                "required": False,
                "in": "query",
                "description": f"Changes per page, 1 to {self.max_limit} (default {self.default_limit}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_limit},
            }
        ]
