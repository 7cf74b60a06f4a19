"""Writes to the products domain, validated with ``full_clean()`` inside a transaction."""

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from companies.models import Company, ExportMarket, Source
from companies.services import company_refresh_product_search
from registry.services import model_update, unique_slug

from .models import Category, Product, Standard

PRODUCT_UPDATABLE_FIELDS = [
    "name",
    "category",
    "description_vi",
    "description_en",
    "launch_year",
    "maturity",
    "miv_certified_on",
    "miv_certification_source",
    "source",
]
# treebeard maintains these itself.
_TREE_FIELDS = ["path", "depth", "numchild"]


@transaction.atomic
def category_upsert(*, slug: str, name: str, name_en: str, parent: Category | None = None) -> Category:
    """Create the category with this slug under ``parent`` (None: a root), or update its names and move it."""
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        category = Category(slug=slug, name=name, name_en=name_en)
        category.full_clean(exclude=_TREE_FIELDS)
        if parent is None:
            return Category.objects.add_root(instance=category)
        return Category.objects.add_child(Category.objects.get(pk=parent.pk), instance=category)

    renamed = (category.name, category.name_en) != (name, name_en)
    category.name, category.name_en = name, name_en
    category.full_clean(exclude=_TREE_FIELDS)
    category.save()
    if renamed:
        company_refresh_product_search(company_ids=category.products.values_list("company_id", flat=True))
    current_parent = Category.objects.get_parent(category)
    if (current_parent and current_parent.pk) != (parent and parent.pk):
        if parent is not None and (parent.pk == category.pk or parent.path.startswith(category.path)):
            raise ValidationError({"parent": "A category cannot be moved under itself or its descendants."})
        if parent is None:
            Category.objects.move(category, Category.objects.get_first_root_node(), "sorted-sibling")
        else:
            Category.objects.move(category, Category.objects.get(pk=parent.pk), "sorted-child")
        category.refresh_from_db()
    return category


@transaction.atomic
def standard_upsert(*, code: str, name: str, body: str, url: str = "") -> Standard:
    standard = Standard.objects.filter(code=code).first()
    data = {"name": name, "body": body, "url": url}
    if standard is None:
        standard = Standard(code=code, **data)
        standard.full_clean()
        standard.save()
        return standard
    standard, _ = model_update(instance=standard, fields=list(data), data=data)
    return standard


def _check_markets_belong_to(company: Company, export_markets: Iterable[ExportMarket]) -> list[ExportMarket]:
    export_markets = list(export_markets)
    foreign = [market for market in export_markets if market.company_id != company.pk]
    if foreign:
        raise ValidationError(
            {"export_markets": "A product can only be sold in export markets of its own company."}
        )
    return export_markets


@transaction.atomic
def product_create(
    *,
    company: Company,
    name: str,
    category: Category,
    maturity: str,
    slug: str = "",
    description_vi: str = "",
    description_en: str = "",
    launch_year: int | None = None,
    standards: Iterable[Standard] = (),
    miv_certified_on: datetime.date | None = None,
    miv_certification_source: Source | None = None,
    export_markets: Iterable[ExportMarket] = (),
    source: Source | None = None,
) -> Product:
    export_markets = _check_markets_belong_to(company, export_markets)
    product = Product(
        company=company,
        name=name,
        slug=slug or unique_slug(name, queryset=Product.objects.filter(company=company)),
        category=category,
        maturity=maturity,
        description_vi=description_vi,
        description_en=description_en,
        launch_year=launch_year,
        miv_certified_on=miv_certified_on,
        miv_certification_source=miv_certification_source,
        source=source,
    )
    product.full_clean()
    product.save()
    product.standards.set(standards)
    product.export_markets.set(export_markets)
    company_refresh_product_search(company_ids=[company.pk])
    return product


@transaction.atomic
def product_update(
    *,
    product: Product,
    data: dict,
    standards: Iterable[Standard] | None = None,
    export_markets: Iterable[ExportMarket] | None = None,
) -> Product:
    """Change a product; ``standards`` and ``export_markets``, when given, replace the current sets."""
    product, changed = model_update(instance=product, fields=PRODUCT_UPDATABLE_FIELDS, data=data)
    if changed:
        company_refresh_product_search(company_ids=[product.company_id])
    if standards is not None:
        product.standards.set(standards)
    if export_markets is not None:
        product.export_markets.set(_check_markets_belong_to(product.company, export_markets))
    return product
