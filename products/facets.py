"""The facets of the product list (``?facets=``): for the products matching the current filters, how many
are in each category, their maker's province, market, their maker's verification state, maturity and
certification (``registry.facets``). Each value is what the product filter of the same name takes."""

from django.db.models import Q, QuerySet

from companies.models import VerificationState
from registry.facets import (
    Facet,
    boolean_facet,
    choice_facet,
    country_facet,
    labelled_facet,
    own_rows,
    tree_facet,
)

from .models import Category, Maturity


def _categories() -> QuerySet:
    return Category.objects.all()


def product_facets() -> dict[str, Facet]:
    """The product list's facets by name, in the order the API documents them."""
    return {
        "category": tree_facet(own_rows, "category", None, _categories),
        "province": labelled_facet(own_rows, "company__province_id", "company__province__name", None),
        # A product is sold in a country through one or more of its maker's markets there: counted once.
        "market": country_facet(own_rows, "export_markets__country", "pk"),
        "verified": boolean_facet(
            own_rows,
            Q(company__verification=VerificationState.VERIFIED),
            None,
            true_label="Maker verified",
            false_label="Maker not verified",
        ),
        "maturity": choice_facet(own_rows, "maturity", None, Maturity.choices),
        "certified": boolean_facet(
            own_rows,
            Q(miv_certified_on__isnull=False),
            None,
            true_label='Certified "Make in Vietnam"',
            false_label="Not certified",
        ),
    }
