"""The facets of the company list (``?facets=``): for the companies matching the current filters, how many
are in each category, province, market, verification state and product maturity (``registry.facets``).
Each value is what the company filter of the same name takes."""

from django.apps import apps
from django.db.models import Q, QuerySet

from registry.facets import (
    Facet,
    boolean_facet,
    choice_facet,
    country_facet,
    labelled_facet,
    own_rows,
    tree_facet,
)

from .models import ExportMarket, VerificationState
from .querysets import product_maturity_choices


def _products(matching: QuerySet) -> QuerySet:
    # products depends on companies, not the other way round: the product model is named, not imported.
    return apps.get_model("products", "Product").objects.filter(company__in=matching.values("pk"))


def _markets(matching: QuerySet) -> QuerySet:
    return ExportMarket.objects.filter(company__in=matching.values("pk"))


def _categories() -> QuerySet:
    return apps.get_model("products", "Category").objects.all()


def company_facets() -> dict[str, Facet]:
    """The company list's facets by name, in the order the API documents them."""
    return {
        "category": tree_facet(_products, "category", "company", _categories),
        "province": labelled_facet(own_rows, "province_id", "province__name", None),
        "market": country_facet(_markets, "country", "company"),
        "verified": boolean_facet(
            own_rows,
            Q(verification=VerificationState.VERIFIED),
            None,
            true_label="Verified",
            false_label="Not verified",
        ),
        "maturity": choice_facet(_products, "maturity", "company", product_maturity_choices()),
    }
