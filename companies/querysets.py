"""Query building for companies: search, filters that need subqueries, and annotations.

``products`` depends on ``companies``, never the other way round, so the product model is looked up by
its string name where a subquery over products is needed.
"""

from django.apps import apps
from django.db.models import Exists, OuterRef, QuerySet, StringAgg, Subquery, TextField, Value
from django.db.models.functions import Coalesce

from registry.search import SearchableQuerySet, search_queryset


def _product_model():
    return apps.get_model("products", "Product")


def product_maturity_choices() -> list[tuple[str, str]]:
    """The maturities a product can have (``products.models.Maturity``), read without importing it."""
    return _product_model()._meta.get_field("maturity").choices


def joined_countries(markets: QuerySet, *, of: str) -> Coalesce:
    """An annotation: the distinct ``country`` codes of the ``markets`` rows that belong to the outer query's
    row through the relation ``of``, comma-joined in one string ("" when there are none; in no fixed order).
    Read in the page's own query, a page's market countries cost no query of their own and no model instance
    per market, as a prefetch did."""
    countries = (
        markets.filter(**{of: OuterRef("pk")})
        .order_by()
        .values(of)
        .annotate(countries=StringAgg("country", Value(","), distinct=True))
        .values("countries")
    )
    return Coalesce(Subquery(countries), Value(""), output_field=TextField())


class CompanyQuerySet(SearchableQuerySet):
    def with_latest_export_revenue(self) -> "CompanyQuerySet":
        """Annotate ``latest_export_revenue_usd`` and ``latest_export_revenue_year``: the company's total
        (all foreign markets) export revenue in its most recent year with a verified figure. Unverified
        figures are not public, so lists, filters and ordering never use them."""
        latest = (
            apps.get_model("companies", "ExportRevenue")
            .objects.filter(company=OuterRef("pk"), country="", verified=True)
            .order_by("-year")
        )
        return self.annotate(
            latest_export_revenue_usd=Subquery(latest.values("amount_usd")[:1]),
            latest_export_revenue_year=Subquery(latest.values("year")[:1]),
        )

    def with_market_countries(self) -> "CompanyQuerySet":
        """Annotate ``market_countries``: the countries of the company's export markets (``joined_countries``)."""
        markets = apps.get_model("companies", "ExportMarket").objects.all()
        return self.annotate(market_countries=joined_countries(markets, of="company"))

    def in_markets(self, country_codes: list[str]) -> "CompanyQuerySet":
        """Companies present in any of the given countries."""
        markets = apps.get_model("companies", "ExportMarket").objects.filter(
            company=OuterRef("pk"), country__in=country_codes
        )
        return self.filter(Exists(markets))

    def with_products_in_category(self, category) -> "CompanyQuerySet":
        """Companies with at least one product in the category or any of its descendants."""
        products = _product_model().objects.filter(company=OuterRef("pk")).in_category(category)
        return self.filter(Exists(products))

    def with_products_of_maturity(self, maturity: str) -> "CompanyQuerySet":
        """Companies with at least one product of this maturity."""
        return self.filter(Exists(_product_model().objects.filter(company=OuterRef("pk"), maturity=maturity)))

    def search(self, query: str) -> "CompanyQuerySet":
        """Accent- and case-insensitive search over names, descriptions, and the names, descriptions and
        categories of the company's products; every word must occur somewhere, and name matches rank
        first (see ``registry.search``)."""
        return search_queryset(self, query, columns=["search_name", "search_body", "search_products"])
