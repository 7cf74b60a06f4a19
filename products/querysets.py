"""Query building for products and categories."""

from django.db.models import Exists, OuterRef

from companies.querysets import joined_countries
from registry.search import SearchableQuerySet, search_queryset


class ProductQuerySet(SearchableQuerySet):
    def in_category(self, category) -> "ProductQuerySet":
        """Products in the category or any of its descendants (a prefix of the materialised path)."""
        return self.filter(category__path__startswith=category.path)

    def in_markets(self, country_codes: list[str], *, category=None) -> "ProductQuerySet":
        """Products sold in any of the given countries; given a category, in it or its descendants too (with
        the market filter, the category is read from the same index range: see ``ProductExportMarket``)."""
        sold_there = self.model.export_markets.through.objects.filter(product=OuterRef("pk"), country__in=country_codes)
        if category is not None:
            # The ids as values, not a subquery: the planner then knows from its statistics how many products
            # match. Many: it reads products in name order until the page is full; few: it fetches and sorts
            # them. (EXPLAIN ANALYZE on the database `make bench BENCH_ARGS="--sizes 100000 --keep"` leaves:
            # machine translation sold in Germany, 7,500 of 442,000 products, read in name order in 9 ms; with
            # a subquery the planner fetched and sorted every match, 31 ms for 2,900 of them.)
            tree = (
                [category.pk] if category.is_leaf() else type(category).get_tree(category).values_list("pk", flat=True)
            )
            sold_there = sold_there.filter(category__in=list(tree))
        return self.filter(Exists(sold_there))

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
