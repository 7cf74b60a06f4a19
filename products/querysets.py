"""Query building for products and categories."""

from django.db.models import Exists, OuterRef

from registry.search import SearchableQuerySet, search_queryset


class ProductQuerySet(SearchableQuerySet):
    def in_category(self, category) -> "ProductQuerySet":
        """Products in the category or any of its descendants (a prefix of the materialised path)."""
        return self.filter(category__path__startswith=category.path)

    def in_markets(self, country_codes: list[str]) -> "ProductQuerySet":
        """Products sold in any of the given countries."""
        through = self.model.export_markets.through
        sold_there = through.objects.filter(product=OuterRef("pk"), exportmarket__country__in=country_codes)
        return self.filter(Exists(sold_there))

    def certified(self, value: bool) -> "ProductQuerySet":
        return self.filter(miv_certified_on__isnull=not value)

    def search(self, query: str) -> "ProductQuerySet":
        """Accent- and case-insensitive search over product names, descriptions, category and company
        names; every word must occur somewhere, and name matches rank first (see ``registry.search``)."""
        return search_queryset(self, query, columns=["search_name", "search_body", "search_context"])
