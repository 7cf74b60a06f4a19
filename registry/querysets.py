"""What every app's querysets share."""

from collections.abc import Collection

from django.db.models import Prefetch, QuerySet
from django.db.models.query import ModelIterable

# From this many rows before a page, its rows are found by key first (``PagedQuerySet``). A correlated
# subquery in the SELECT clause is computed for each row the database reads, also for the rows it skips to
# reach the page: 4 µs a row for the company list's three (the 100 companies after the first 900: 5.3 ms,
# against 1.2 ms found by key first, EXPLAIN ANALYZE on 100,000 demo companies). Building the nested query
# costs 0.3-0.5 ms of Python. In one process at 100,000 companies (``bench/in_process.py --path``, every
# page read by key against none), the database's part of a company page of 20 went 0.7 -> 0.6-0.7 ms 20 rows
# in, 1.0-1.1 -> 0.6-0.7 ms 100 rows in, 1.4-1.6 -> 0.6-0.8 ms 200 rows in; a product page was as fast
# either way 200 rows in (7.9-8.4 / 8.5-8.7 ms in all) and faster 780 rows in (10.3-11.2 -> 9.4 ms).
DEEP_PAGE_OFFSET = 200


def without_reading(queryset: QuerySet, names: Collection[str]) -> QuerySet:
    """``queryset`` without reading what ``names`` name, for an answer that leaves it out: an annotation by
    one of those names is no longer selected, and a relation by one of them is neither joined in
    (``select_related``) nor prefetched. A filter or the ordering that uses such an annotation still
    computes it, in its own clause. Names the queryset does not read are ignored.

    A page's annotations are correlated subqueries, computed for every row the database reads up to the
    page's end, and each relation is a join or a query more."""
    names = set(names)
    narrowed = queryset.all()
    selected = set(narrowed.query.annotation_select)
    if selected & names:
        # Django's own way of leaving annotations out of the SELECT clause (``values()`` uses it); there is
        # no public one.
        narrowed.query.set_annotation_mask(selected - names)
    joined = narrowed.query.select_related
    if isinstance(joined, dict) and names & joined.keys():
        kept = [path for name, below in joined.items() if name not in names for path in _paths(name, below)]
        narrowed = narrowed.select_related(None)
        if kept:
            narrowed = narrowed.select_related(*kept)
    lookups = narrowed._prefetch_related_lookups
    kept_lookups = [lookup for lookup in lookups if _relation_of(lookup) not in names]
    if len(kept_lookups) < len(lookups):
        narrowed = narrowed.prefetch_related(None).prefetch_related(*kept_lookups)
    return narrowed


class PagedQuerySet(QuerySet):
    """A queryset whose pages past the first ``DEEP_PAGE_OFFSET`` rows compute their annotations for their own
    rows only. Such a page is read in one query: the rows whose keys are those of the page
    (``WHERE pk IN (SELECT pk ... ORDER BY ... LIMIT ... OFFSET ...)``), in the same order, with the
    queryset's joins and prefetches. The keys' query selects no annotation; one that filters or orders is
    computed there, as the page needs."""

    def __getitem__(self, k):
        if self._is_page_of_rows(k) and (k.start or 0) >= DEEP_PAGE_OFFSET and self._selects_subqueries():
            return self.filter(pk__in=self.values("pk")[k.start : k.stop])
        return super().__getitem__(k)

    def _is_page_of_rows(self, k) -> bool:
        """Whether ``self[k]`` asks for a page of model instances, which a subclass may read its own way."""
        return (
            isinstance(k, slice)
            and k.step is None
            and (k.start or 0) >= 0
            and k.stop is not None
            and k.stop >= 0
            and self._result_cache is None
            and self._iterable_class is ModelIterable
            and not self.query.is_sliced
            and not self.query.combinator
        )

    def _selects_subqueries(self) -> bool:
        return any(
            getattr(annotation, "subquery", False) or annotation.contains_subquery
            for annotation in self.query.annotation_select.values()
        )


def _paths(name: str, below: dict) -> list[str]:
    """The ``select_related`` paths of a relation and the relations joined through it."""
    return [name] + [
        f"{name}__{path}" for child, grandchildren in below.items() for path in _paths(child, grandchildren)
    ]


def _relation_of(lookup: str | Prefetch) -> str:
    through = lookup.prefetch_through if isinstance(lookup, Prefetch) else lookup
    return through.split("__", 1)[0]
