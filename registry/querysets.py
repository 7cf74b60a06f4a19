"""What every app's querysets share."""

from collections.abc import Collection

from django.db.models import Prefetch, QuerySet


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


def _paths(name: str, below: dict) -> list[str]:
    """The ``select_related`` paths of a relation and the relations joined through it."""
    return [name] + [
        f"{name}__{path}" for child, grandchildren in below.items() for path in _paths(child, grandchildren)
    ]


def _relation_of(lookup: str | Prefetch) -> str:
    through = lookup.prefetch_through if isinstance(lookup, Prefetch) else lookup
    return through.split("__", 1)[0]
