"""Page-number pagination that refuses a malformed page or page size instead of ignoring it, and counts
at most ``COUNT_LIMIT`` results: an exact ``COUNT(*)`` over a large filtered set on every page would cost
more than the page itself at national scale. Deep pages past the limit are refused with a hint: narrow the
query, or keep a full copy in sync through the change feed (cursor-paginated, ``/api/v1/changes/``)."""

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.utils.functional import cached_property
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

MAX_PAGE_SIZE = 100
COUNT_LIMIT = 1_000
# What to do when a list is too long to page through or export.
NARROW_THE_QUERY = (
    "narrow the query with filters, or keep a full copy in sync through the change feed (/api/v1/changes/)."
)


def count_up_to(queryset, limit: int) -> int:
    """How many rows ``queryset`` has, counting ``limit + 1`` at most."""
    rows = queryset.order_by()
    if rows.query.group_by is None:
        # Only the key: annotations the page shows (a correlated subquery, say) are not computed per row.
        rows = rows.values("pk")
    return rows[: limit + 1].count()


class CappedCountPaginator(Paginator):
    """A paginator whose ``count`` stops at ``COUNT_LIMIT`` (``count_capped`` then says so): it counts
    ``COUNT_LIMIT + 1`` rows at most, however many match.

    ``matching_shared_as`` names the rows where every caller who filters them alike sees the same ones
    (``api.facets.FacetsMixin.matching_shared_as``). That they match more than ``COUNT_LIMIT`` is then kept in
    the shared cache for ``CAPPED_COUNT_CACHE_SECONDS``, and they are not counted again meanwhile: counting
    reads ``COUNT_LIMIT + 1`` rows, and a list that a filter narrows little, or not at all, is read that far on
    every page (the companies present in one market, at 100,000 companies: 5 ms of a 6 ms read). A count
    under the limit is read on every request: it is exact, and changes with every row."""

    def __init__(self, object_list, per_page, *, matching_shared_as: str | None = None):
        super().__init__(object_list, per_page)
        self.matching_shared_as = matching_shared_as

    @cached_property
    def _counted(self) -> int:
        seconds = settings.CAPPED_COUNT_CACHE_SECONDS
        if self.matching_shared_as is None or seconds <= 0:
            return count_up_to(self.object_list, COUNT_LIMIT)
        key = f"capped-count:v1:{self.matching_shared_as}"
        if cache.get(key):
            return COUNT_LIMIT + 1
        counted = count_up_to(self.object_list, COUNT_LIMIT)
        if counted > COUNT_LIMIT:
            cache.set(key, True, timeout=seconds)
        return counted

    @cached_property
    def count(self) -> int:
        return min(self._counted, COUNT_LIMIT)

    @property
    def count_capped(self) -> bool:
        return self._counted > COUNT_LIMIT


# More digits than any page number, page size or limit has. int() of a longer string is wasted work, and past
# 4,300 digits it raises (a 500).
MAX_DIGITS = 18


def _is_whole_number(raw: str) -> bool:
    # str.isdigit() alone accepts "²" and other digits int() refuses.
    return raw.isascii() and raw.isdigit()


def _whole_number_within(raw: str, low: int, high: int) -> int | None:
    """``raw`` as a whole number from ``low`` to ``high``; None when it is not one."""
    if not _is_whole_number(raw) or len(raw.lstrip("0")) > MAX_DIGITS:
        return None
    value = int(raw)
    return value if low <= value <= high else None


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_size_query_description = f"Number of results per page, 1 to {MAX_PAGE_SIZE} (default 20)."
    page_query_description = "Page number, from 1."
    paginator = None  # the last one made: a page past the end is refused with the count it already has
    matching_shared_as = None  # the view's name for the rows it pages through (CappedCountPaginator)

    def django_paginator_class(self, object_list, per_page) -> CappedCountPaginator:
        """What DRF's ``paginate_queryset`` calls to make its paginator; kept in ``paginator``."""
        self.paginator = CappedCountPaginator(object_list, per_page, matching_shared_as=self.matching_shared_as)
        return self.paginator

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        page_size = _whole_number_within(raw, 1, self.max_page_size)
        if page_size is None:
            raise ValidationError(
                {self.page_size_query_param: [f"Enter a whole number from 1 to {self.max_page_size}."]}
            )
        return page_size

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and (not _is_whole_number(raw) or not raw.lstrip("0")):
            raise ValidationError({self.page_query_param: ["Enter a whole number from 1."]})
        if raw is not None and len(raw.lstrip("0")) > MAX_DIGITS:
            self._past_the_end(queryset, request, raw, "That page contains no results")
        shared_as = getattr(view, "matching_shared_as", None)
        self.matching_shared_as = shared_as() if shared_as is not None else None
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound as error:
            self._past_the_end(queryset, request, raw, error.detail)

    def _past_the_end(self, queryset, request, raw: str, reason: str):
        """Refuse page ``raw``, which is past the last one: a 404, or a 400 when the count is capped (the pages
        past it cannot be reached at all)."""
        paginator = self.paginator
        if paginator is None or paginator.object_list is not queryset:  # a page number too long to try
            paginator = CappedCountPaginator(
                queryset, self.get_page_size(request), matching_shared_as=self.matching_shared_as
            )
        if paginator.count_capped:
            raise ValidationError(
                {
                    self.page_query_param: [
                        f"Only the first {COUNT_LIMIT:,} results can be paged through. " + NARROW_THE_QUERY.capitalize()
                    ]
                }
            )
        shown = raw if len(raw) <= 24 else f"{raw[:20]}…"
        raise NotFound(f"Page {shown} does not exist: {reason}")

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["count_capped"] = self.page.paginator.count_capped
        return response

    def get_paginated_response_schema(self, schema):
        response_schema = super().get_paginated_response_schema(schema)
        response_schema["required"] = [*response_schema["required"], "count_capped"]
        response_schema["properties"]["count"]["description"] = (
            f"How many results match, counted up to {COUNT_LIMIT:,}: past that, `count` is {COUNT_LIMIT:,} and "
            f"`count_capped` is true, and only the first {COUNT_LIMIT:,} results can be paged through."
        )
        response_schema["properties"]["count_capped"] = {
            "type": "boolean",
            "description": f"Whether more than {COUNT_LIMIT:,} results match (then `count` is a lower bound).",
        }
        return response_schema

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
        limit = self.default_limit if raw is None else _whole_number_within(raw, 1, self.max_limit)
        if limit is None:
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
