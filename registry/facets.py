"""Facet counts: for a filtered list, how many of its rows have each value of a field, so that a search
page can show "Hà Nội (412), Hồ Chí Minh City (388), ..." beside the results.

Each facet is one ``GROUP BY`` query over the filtered rows themselves (the list's own queryset, or rows
related to it through a subquery of its keys): the database counts, nothing is loaded row by row, and the
number of queries is fixed by the facets asked for, not by the data. A facet's ``value`` is what the list's
filter of the same name takes, so a client can narrow the list by any value it was shown. The counts of rows
that many callers filter alike are kept a while in the shared cache (``facet_counts``).

The domain apps declare their facets (``companies.facets``, ``products.facets``) with the builders here.
"""

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Case, CharField, Count, F, QuerySet, Value, When
from django.db.models.functions import Substr

from registry.cache import shared_result
from registry.countries import country_name


@dataclass(frozen=True)
class FacetCount:
    value: str
    label: str
    count: int


# A facet: given the filtered rows of the list (a queryset without ordering or prefetching), its counts.
Facet = Callable[[QuerySet], list[FacetCount]]
# What a facet groups: the list's rows themselves, or rows related to them.
Rows = Callable[[QuerySet], QuerySet]


def _count(counted: str | None) -> Count:
    """``None``: count the grouped rows, each a distinct result; a field: count its distinct values, for rows
    that repeat a result (a company's products, a product's markets)."""
    return Count("pk") if counted is None else Count(counted, distinct=True)


def _sorted(counts: Iterable[FacetCount]) -> list[FacetCount]:
    """Most frequent first; ties in the order of their labels."""
    return sorted(
        (count for count in counts if count.count), key=lambda count: (-count.count, count.label, count.value)
    )


def own_rows(matching: QuerySet) -> QuerySet:
    """The rows of a facet over the list's own rows: those matching."""
    return matching


def _grouped(rows: QuerySet, counted: str | None, *keys: str) -> QuerySet:
    """``rows`` grouped by ``keys``, each group as ``(*keys, count)`` (``_count``)."""
    return rows.order_by().values(*keys).annotate(count=_count(counted)).values_list(*keys, "count")


def field_facet(rows: Rows, key: str, counted: str | None, label_of: Callable[[str], str]) -> Facet:
    """Counts per value of ``key`` over ``rows(matching)``; labels from ``label_of(value)``."""

    def facet(matching: QuerySet) -> list[FacetCount]:
        return _sorted(
            FacetCount(str(value), str(label_of(value)), count)
            for value, count in _grouped(rows(matching), counted, key)
            if value not in (None, "")
        )

    return facet


def labelled_facet(rows: Rows, key: str, label: str, counted: str | None) -> Facet:
    """Counts per value of ``key``, labelled by the column ``label`` read in the same query (a joined name)."""

    def facet(matching: QuerySet) -> list[FacetCount]:
        grouped = _grouped(rows(matching), counted, key, label)
        return _sorted(FacetCount(str(value), str(name), count) for value, name, count in grouped)

    return facet


def country_facet(rows: Rows, key: str, counted: str | None) -> Facet:
    """Counts per ISO country code, labelled with the country's English name."""
    return field_facet(rows, key, counted, country_name)


def choice_facet(rows: Rows, key: str, counted: str | None, choices) -> Facet:
    """Counts per value of a field with choices (a ``TextChoices``), labelled with the choice's label."""
    labels = dict(choices)
    return field_facet(rows, key, counted, lambda value: labels.get(value, value))


def boolean_facet(rows: Rows, condition, counted: str | None, *, true_label: str, false_label: str) -> Facet:
    """Counts of the rows for which ``condition`` (a ``Q``) holds (value ``true``) and does not (``false``)."""

    def facet(matching: QuerySet) -> list[FacetCount]:
        flag = Case(When(condition, then=Value("true")), default=Value("false"), output_field=CharField())
        labels = {"true": true_label, "false": false_label}
        grouped = _grouped(rows(matching).annotate(facet_flag=flag), counted, "facet_flag")
        return _sorted(FacetCount(value, labels[value], count) for value, count in grouped)

    return facet


def tree_facet(rows: Rows, node: str, counted: str | None, nodes: Callable[[], QuerySet]) -> Facet:
    """Counts per node of a materialized-path tree (django-treebeard's ``MP_Node``), each node counting
    the rows filed under it or any of its descendants, as a filter by the node does. ``rows(matching)`` reach
    their node through the relation ``node``; ``nodes()`` are the tree's nodes, with ``slug``,
    ``name_en``, ``path`` and ``depth``. Two queries: the nodes, then one ``GROUP BY`` of every depth's
    path prefix (a row counts at each depth down to its own node's)."""

    def facet(matching: QuerySet) -> list[FacetCount]:
        tree_nodes = nodes()
        steplen = tree_nodes.model.steplen  # the length of each depth's part of a path
        tree = {each.path: each for each in tree_nodes.only("slug", "name_en", "path", "depth")}
        depths = sorted({each.depth for each in tree.values()})
        if not depths:
            return []
        per_depth = [
            rows(matching)
            .filter(**{f"{node}__depth__gte": depth})
            .order_by()
            .annotate(facet_prefix=Substr(F(f"{node}__path"), 1, depth * steplen))
            .values("facet_prefix")
            .annotate(count=_count(counted))
            .values_list("facet_prefix", "count")
            for depth in depths
        ]
        # order_by(): a union is otherwise ordered by the model's default ordering, a column it lacks.
        grouped = per_depth[0].union(*per_depth[1:], all=True).order_by() if len(per_depth) > 1 else per_depth[0]
        return _sorted(
            FacetCount(tree[prefix].slug, tree[prefix].name_en, count) for prefix, count in grouped if prefix in tree
        )

    return facet


def facet_counts(
    facets: dict[str, Facet],
    names: Iterable[str],
    matching: QuerySet,
    *,
    shared_as: str | None = None,
    fresh_seconds: int = 0,
    may_refresh_later: bool = True,
) -> dict[str, list[FacetCount]]:
    """The counts of the named facets (names already checked against ``facets``) over ``matching``, the
    filtered rows of a list.

    ``shared_as`` names ``matching`` where every caller who filters the same rows sees the same ones: each
    facet's counts are then kept in the shared cache under that name for ``fresh_seconds``
    (``registry.cache.shared_result``), and may be that much older than the rows (more while they are
    refreshed in the background: ``may_refresh_later``, False where ``matching`` names its caller, who sees
    the same rows only for now). A facet reads every matching row: seconds for the whole registry at national
    scale."""
    matching = matching.order_by().prefetch_related(None)
    if shared_as is None:
        return {name: facets[name](matching) for name in names}
    return {
        name: shared_result(
            f"facets:v1:{shared_as}:{name}",
            functools.partial(facets[name], matching),
            fresh_seconds=fresh_seconds,
            may_refresh_later=may_refresh_later,
        )[1]
        for name in names
    }
