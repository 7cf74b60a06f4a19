"""Reads of the companies domain: querysets that already load what their serializers show."""

from django.db.models import Count, Prefetch, QuerySet

from .models import Company, ExportMarket, ExportRevenue, Province


def _companies() -> QuerySet[Company]:
    return Company.objects.select_related("province").with_latest_export_revenue()


def company_list() -> QuerySet[Company]:
    """Companies with their province, export market countries and latest export revenue, in a fixed
    number of queries whatever the page size."""
    return _companies().prefetch_related(
        Prefetch("export_markets", queryset=ExportMarket.objects.only("id", "company_id", "country"))
    )


def company_detail() -> QuerySet[Company]:
    """One company's page: also its products, export markets with their products and sources, and its
    yearly export revenue with sources."""
    return _companies().prefetch_related(
        "products__category",
        Prefetch("export_markets", queryset=ExportMarket.objects.select_related("source").prefetch_related("products")),
        Prefetch("export_revenues", queryset=ExportRevenue.objects.select_related("source")),
    )


def province_list() -> QuerySet[Province]:
    return Province.objects.all()


def market_list() -> QuerySet:
    """The foreign countries companies are present in, with how many companies and products per country."""
    return (
        ExportMarket.objects.values("country")
        .annotate(
            company_count=Count("company", distinct=True),
            product_count=Count("products", distinct=True),
        )
        .order_by("-company_count", "country")
    )
