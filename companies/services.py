"""Writes to the companies domain. Every function validates with ``full_clean()`` inside a transaction,
so the API, the admin and the seed loader all pass the same rules."""

import datetime
from decimal import Decimal

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from registry.services import model_update, unique_slug

from .models import (
    Company,
    CompanyStatus,
    ExportMarket,
    ExportRevenue,
    Province,
    Source,
    VerificationState,
)
from .validators import normalize_tax_code

COMPANY_UPDATABLE_FIELDS = [
    "name",
    "name_en",
    "short_name",
    "province",
    "address",
    "founded_year",
    "ownership",
    "size_band",
    "website",
    "description_vi",
    "description_en",
    "status",
]


@transaction.atomic
def source_upsert(
    *, key: str, title: str, publisher: str = "", url: str = "", published_on: datetime.date | None = None
) -> Source:
    """Create the source with this key, or bring its details up to date."""
    source = Source.objects.filter(key=key).first()
    data = {"title": title, "publisher": publisher, "url": url, "published_on": published_on}
    if source is None:
        source = Source(key=key, **data)
        source.full_clean()
        source.save()
        return source
    source, _ = model_update(instance=source, fields=list(data), data=data)
    return source


@transaction.atomic
def company_create(
    *,
    tax_code: str,
    name: str,
    province: Province,
    ownership: str,
    name_en: str = "",
    short_name: str = "",
    slug: str = "",
    address: str = "",
    founded_year: int | None = None,
    size_band: str = "",
    website: str = "",
    description_vi: str = "",
    description_en: str = "",
    status: str = CompanyStatus.ACTIVE,
) -> Company:
    """Register a company. The enterprise code is normalised (spaces and dots dropped) and checked."""
    try:
        tax_code = normalize_tax_code(tax_code)
    except ValidationError as error:
        raise ValidationError({"tax_code": error.error_list}) from error
    company = Company(
        tax_code=tax_code,
        name=name,
        name_en=name_en,
        short_name=short_name,
        slug=slug or unique_slug(short_name or name_en or name, queryset=Company.objects.all()),
        province=province,
        address=address,
        founded_year=founded_year,
        ownership=ownership,
        size_band=size_band,
        website=website,
        description_vi=description_vi,
        description_en=description_en,
        status=status,
    )
    company.full_clean()
    company.save()
    return company


@transaction.atomic
def company_update(*, company: Company, data: dict) -> Company:
    """Change a company's profile. The enterprise code and verification are not changed here."""
    company, _ = model_update(instance=company, fields=COMPANY_UPDATABLE_FIELDS, data=data)
    return company


def company_refresh_product_search(*, company_ids) -> None:
    """Recompute the folded text of these companies' products (names, descriptions, category names) that
    company search matches. The product services call it after every change to a product or category."""
    product_model = apps.get_model("products", "Product")  # products depends on companies, not back
    for company_id in set(company_ids):
        rows = (
            product_model.objects.filter(company_id=company_id)
            .order_by("pk")
            .values_list("search_name", "search_body", "category__search_name")
        )
        text = "\n".join(part for row in rows for part in row if part)
        Company.objects.filter(pk=company_id).update(search_products=text)


@transaction.atomic
def company_verify(*, company: Company, by=None, at: datetime.datetime | None = None) -> Company:
    """Mark a company verified, by an officer (``by``) or, for seed data, against the cited public records."""
    company.verification = VerificationState.VERIFIED
    company.verified_at = at or timezone.now()
    company.verified_by = by
    company.full_clean()
    company.save(update_fields=["verification", "verified_at", "verified_by", "updated_at"])
    return company


@transaction.atomic
def export_market_create(
    *,
    company: Company,
    country: str,
    kind: str,
    source: Source,
    since_year: int | None = None,
    note: str = "",
) -> ExportMarket:
    market = ExportMarket(
        company=company, country=country, kind=kind, source=source, since_year=since_year, note=note
    )
    market.full_clean()
    market.save()
    return market


@transaction.atomic
def export_market_update(*, market: ExportMarket, data: dict) -> ExportMarket:
    market, _ = model_update(instance=market, fields=["since_year", "source", "note"], data=data)
    return market


@transaction.atomic
def export_revenue_create(
    *,
    company: Company,
    year: int,
    amount_usd: Decimal,
    source: Source,
    country: str = "",
    verified: bool = False,
) -> ExportRevenue:
    revenue = ExportRevenue(
        company=company, year=year, amount_usd=amount_usd, source=source, country=country, verified=verified
    )
    revenue.full_clean()
    revenue.save()
    return revenue


@transaction.atomic
def export_revenue_update(*, revenue: ExportRevenue, data: dict) -> ExportRevenue:
    revenue, _ = model_update(instance=revenue, fields=["amount_usd", "source", "verified"], data=data)
    return revenue
