"""Reads of the products domain: querysets that already load what their serializers show."""

from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Length, Substr

from companies.selectors import built_once_for_viewers_alike, companies_represented_by, company_visible_to
from registry.search import TimeBudget, name_suggestions

from .models import Category, Product, Standard


@built_once_for_viewers_alike
def product_list(viewer=None) -> QuerySet[Product]:
    """Products of the companies the viewer may see, with company, category, standards, market countries
    and sources, in a fixed number of queries whatever the page size."""
    return (
        Product.objects.filter(company_visible_to(viewer))
        .select_related("company", "category", "source", "miv_certification_source")
        .with_market_countries()
        .prefetch_related("standards")
    )


def product_suggestions(viewer, query: str, *, limit: int, budget: TimeBudget) -> list[Product]:
    """Products of visible companies whose names best match ``query``, a name typed so far
    (``name_suggestions``), with their company's code and name."""
    products = (
        Product.objects.filter(company_visible_to(viewer))
        .select_related("company")
        .only("pk", "name", "company__tax_code", "company__name")
    )
    return name_suggestions(products, query, limit=limit, budget=budget)


def products_represented_by(user) -> QuerySet[Product]:
    """The products ``user`` may change: those of the companies they represent."""
    return Product.objects.filter(company__in=companies_represented_by(user))


def category_list() -> QuerySet[Category]:
    """The category tree in depth-first order, each row annotated with ``parent_slug``."""
    parent = Category.objects.filter(path=Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Category.steplen))
    return Category.objects.annotate(parent_slug=Subquery(parent.values("slug")[:1])).order_by("path")


def standard_list() -> QuerySet[Standard]:
    return Standard.objects.all()
