"""Query building for products and categories."""

from typing import NamedTuple

from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.sql.where import WhereNode

from companies.querysets import joined_countries
from registry.search import SearchableQuerySet, search_queryset


class SoldIn(NamedTuple):
    """What ``ProductQuerySet.in_markets`` filtered on, given one country and one category without
    subcategories, to read a page its own way."""

    unfiltered: "ProductQuerySet"  # the queryset before the market filter
    rows: QuerySet  # the rows of ``ProductExportMarket`` that match: one range of its index ``sold_where``
    where: WhereNode  # the conditions right after the filter: a page is read this way while they are the same


class ProductQuerySet(SearchableQuerySet):
    _sold_in: SoldIn | None = None

    def _clone(self):
        clone = super()._clone()
        clone._sold_in = self._sold_in
        return clone

    def in_category(self, category) -> "ProductQuerySet":
        """Products in the category or any of its descendants (a prefix of the materialised path)."""
        return self.filter(category__path__startswith=category.path)

    def in_markets(self, country_codes: list[str], *, category=None) -> "ProductQuerySet":
        """Products sold in any of the given countries; given a category, in it or its descendants too (with
        the market filter, the category is read from the same index range: see ``ProductExportMarket``).

        Given one country and a category without subcategories, a page in the default order (by name) is
        then read from that index range, which holds the names, as far as the page goes: only those rows
        are looked up in the queryset as it was before this filter. Fetching every match and sorting them
        all took 20 ms for the 681 accounting programs sold in the United States, reading the index 0.9 ms
        (EXPLAIN ANALYZE on 100,000 demo companies). The count still looks up every match, up to the capped
        count's limit. A filter applied after this one (``ProductFilterSet`` applies the market last) falls
        back to fetching and sorting."""
        sold = self.model.export_markets.through.objects.filter(country__in=country_codes)
        if category is not None:
            # The ids as values, not a subquery: the planner then knows from its statistics how many products
            # match. Many: it reads products in name order until the page is full; few: it fetches and sorts
            # them. (EXPLAIN ANALYZE on the database `make bench BENCH_ARGS="--sizes 100000 --keep"` leaves:
            # machine translation sold in Germany, 7,500 of 442,000 products, read in name order in 9 ms; with
            # a subquery the planner fetched and sorted every match, 31 ms for 2,900 of them.)
            tree = (
                [category.pk]
                if category.is_leaf()
                else type(category).objects.get_tree(category).values_list("pk", flat=True)
            )
            sold = sold.filter(category__in=list(tree))
        filtered = self.filter(Exists(sold.filter(product=OuterRef("pk"))))
        if len(country_codes) == 1 and category is not None and category.is_leaf():
            # One country and one category: one range of the index, in name order. (Several are read each
            # in its order, then all sorted: that was no faster than fetching the products and sorting them.)
            filtered._sold_in = SoldIn(unfiltered=self, rows=sold, where=filtered.query.where.clone())
        return filtered

    def __getitem__(self, k):
        sold_in = self._sold_in
        if (
            sold_in is not None
            and self.query.where == sold_in.where
            and not self.query.order_by
            and self.query.default_ordering
            and self._is_page_of_rows(k)
        ):
            return self._slice_by_market_index(sold_in, k.start or 0, k.stop)
        return super().__getitem__(k)

    def _slice_by_market_index(self, sold_in: SoldIn, start: int, stop: int) -> list:
        # In the model's order, (name, id), from the copies of both; a product sold in two of the company's
        # markets in the country (two kinds of market) has two rows there: DISTINCT keeps one.
        unfiltered = sold_in.unfiltered.order_by()
        keys = (
            sold_in.rows.filter(Exists(unfiltered.filter(pk=OuterRef("product_id"))))
            .order_by("product_name", "product_id")
            .values_list("product_name", "product_id")
            .distinct()[start:stop]
        )
        return self._rows_in_order_of([key for _name, key in keys])

    def with_market_countries(self) -> "ProductQuerySet":
        """Annotate ``market_countries``: the countries the product is sold in (``joined_countries``), from
        the copies of its markets' countries that ``ProductExportMarket`` keeps, as the market filter does."""
        return self.annotate(
            market_countries=joined_countries(self.model.export_markets.through.objects.all(), of="product")
        )

    def certified(self, value: bool) -> "ProductQuerySet":
        return self.filter(miv_certified_on__isnull=not value)

    def search(self, query: str) -> "ProductQuerySet":
        """Accent- and case-insensitive search over product names, descriptions, category and company
        names; every word must occur somewhere, and name matches rank first (see ``registry.search``)."""
        return search_queryset(self, query, columns=["search_name", "search_body", "search_context"])
