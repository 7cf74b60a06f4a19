"""Writes to the products domain, validated with ``full_clean()`` inside a transaction."""

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery

from companies.changes import record_change, snapshot
from companies.models import ChangeAction, Company, ExportMarket, Source
from companies.services import company_lock, company_set_product_search_text
from registry.services import bump_version, insert_or_refuse, lock_for_update, model_update, unique_slug

from .models import Category, Product, ProductExportMarket, Standard

PRODUCT_UPDATABLE_FIELDS = [
    "company",
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


def company_refresh_product_search(*, company_ids) -> None:
    """Recompute, for each of these companies, the folded names, descriptions and category names of its
    products, which company search matches (``Company.search_products``). A text that several products
    share (a category, a description) is kept once: it finds the company just as well, and it keeps the
    column and its trigram index small."""
    for company_id in set(company_ids):
        rows = (
            Product.objects.filter(company_id=company_id)
            .order_by("pk")
            .values_list("search_name", "search_body", "category__search_name")
        )
        text = "\n".join(dict.fromkeys(part for row in rows for part in row if part))
        company_set_product_search_text(company_id=company_id, text=text)


def _sell_in(product: Product, export_markets: list[ExportMarket]) -> None:
    """Make ``export_markets`` the markets the product is sold in: the rows behind ``Product.export_markets``,
    with their copies of country and category (``ProductExportMarket``). The company's lock is held: the
    markets are read again for their country as stored now, not as the caller read it before the lock (a
    market whose country changed in between would be copied with the old one; one deleted is left out)."""
    rows = ProductExportMarket.objects.filter(product=product)
    rows.exclude(exportmarket__in=export_markets).delete()
    kept = rows.values_list("exportmarket_id", flat=True)
    added = ExportMarket.objects.filter(pk__in=[market.pk for market in export_markets]).exclude(pk__in=kept)
    ProductExportMarket.objects.bulk_create([ProductExportMarket.of(product, market) for market in added])


def product_markets_copy_again(*, product_ids=(), market_ids=()) -> None:
    """After these products' name or category or these markets' country changed: copy them again into the
    rows that say where the products are sold, or what is sold in the markets (``ProductExportMarket``).
    Registered with ``companies.services.register_market_country_copy`` for a market's new country."""
    product = Product.objects.filter(pk=OuterRef("product_id"))
    ProductExportMarket.objects.filter(Q(product_id__in=product_ids) | Q(exportmarket_id__in=market_ids)).update(
        country=Subquery(ExportMarket.objects.filter(pk=OuterRef("exportmarket_id")).values("country")),
        category_id=Subquery(product.values("category_id")),
        product_name=Subquery(product.values("name")),
    )


def products_refresh_search(products) -> None:
    """Re-fold the products' search text after their company or category was renamed."""
    for product in products:
        product.save(update_fields=["updated_at"])


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
        company_lock(*category.products.values_list("company_id", flat=True))  # before the products: see company_lock
        products_refresh_search(category.products.select_related("company", "category"))
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


def company_markets_in(company: Company, countries: Iterable[str]) -> list[ExportMarket]:
    """The company's export markets in these countries; every country must be one of its markets."""
    countries = list(dict.fromkeys(countries))
    markets = list(ExportMarket.objects.filter(company=company, country__in=countries))
    missing = sorted(set(countries) - {market.country.code for market in markets})
    if missing:
        raise ValidationError(
            {
                "markets": f"Not export markets of {company.tax_code}: {', '.join(missing)}. Add them as export markets first."
            }
        )
    return markets


def _check_markets_belong_to(company: Company, export_markets: Iterable[ExportMarket]) -> list[ExportMarket]:
    export_markets = list(export_markets)
    foreign = [market for market in export_markets if market.company_id != company.pk]
    if foreign:
        raise ValidationError({"export_markets": "A product can only be sold in export markets of its own company."})
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
    company_lock(company.pk)
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
    insert_or_refuse(product, "This company already has a product with this slug; give it another name.")
    product.standards.set(standards)
    _sell_in(product, export_markets)
    company_refresh_product_search(company_ids=[company.pk])
    bump_version(Company, company.pk)
    record_change(product, ChangeAction.CREATE)
    return product


@transaction.atomic
def product_update(
    *,
    product: Product,
    data: dict,
    standards: Iterable[Standard] | None = None,
    export_markets: Iterable[ExportMarket] | None = None,
    expected_version: int | None = None,
) -> Product:
    """Change a product; ``standards`` and ``export_markets``, when given, replace the current sets. A
    product moved to another company keeps none of its old company's export markets."""
    locked_company_ids = {product.company_id, *([data["company"].pk] if data.get("company") else [])}
    company_lock(*locked_company_ids)
    product = lock_for_update(product, expected_version=expected_version)
    if product.company_id not in locked_company_ids:
        company_lock(product.company_id)  # moved to another company since the caller read it
    before = snapshot(product)
    previous_company_id = product.company_id
    product, changed_fields = model_update(instance=product, fields=PRODUCT_UPDATABLE_FIELDS, data=data)
    if product.company_id != previous_company_id and export_markets is None:
        export_markets = []
    relations_changed = False
    if standards is not None and set(standards) != set(product.standards.all()):
        product.standards.set(standards)
        relations_changed = True
    if export_markets is not None:
        export_markets = _check_markets_belong_to(product.company, export_markets)
        if set(export_markets) != set(product.export_markets.all()):
            _sell_in(product, export_markets)
            relations_changed = True
    if {"name", "category"} & set(changed_fields):
        product_markets_copy_again(product_ids=[product.pk])
    if relations_changed and not changed_fields:
        bump_version(Product, product.pk)  # model_update bumped it when a field changed
        product.version += 1
    if changed_fields or relations_changed:
        company_ids = {previous_company_id, product.company_id}
        company_refresh_product_search(company_ids=company_ids)
        for company_id in company_ids:
            bump_version(Company, company_id)
        record_change(product, ChangeAction.UPDATE, before=before)
    return product


@transaction.atomic
def product_delete(*, product: Product, expected_version: int | None = None) -> None:
    company_lock(product.company_id)
    product = lock_for_update(product, expected_version=expected_version)
    company_id = product.company_id
    record_change(product, ChangeAction.DELETE)
    product.delete()
    company_refresh_product_search(company_ids=[company_id])
    bump_version(Company, company_id)
