"""Products in the change log (see companies.changes)."""

from companies.changes import Snapshots, jsonable, register
from companies.models import CompanyStatus

from .models import Product


def _product_full(product: Product) -> dict:
    return {
        "company": product.company.tax_code,
        "name": product.name,
        "slug": product.slug,
        "category": product.category.slug,
        "description_vi": product.description_vi,
        "description_en": product.description_en,
        "launch_year": product.launch_year,
        "maturity": product.maturity,
        "standards": sorted(product.standards.values_list("code", flat=True)),
        "certified_on": jsonable(product.miv_certified_on),
        "markets": sorted({market.country.code for market in product.export_markets.all()}),
        "source": product.source.key if product.source_id else None,
    }


def _product_public(product: Product) -> dict | None:
    if product.company.status != CompanyStatus.ACTIVE:
        return None
    return _product_full(product)


register(Product, Snapshots("product", _product_full, _product_public))
