"""Load the seed data in ``seeds/data/`` through the domain services, so it passes the same validation as
every other write. Loading is idempotent: rows are found by their natural keys and brought up to date.
"""

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from companies.models import Company, ExportMarket, Province, Source
from companies.services import (
    company_create,
    company_update,
    export_market_create,
    export_market_update,
    source_upsert,
)
from products.models import Category, Product, Standard
from products.services import category_upsert, product_create, product_update, standard_upsert

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass
class SeedReport:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    skipped: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        kinds = sorted(set(self.created) | set(self.updated))
        lines = [
            f"{kind}: {self.created[kind]} created, {self.updated[kind]} already present (brought up to date)"
            for kind in kinds
        ]
        lines += [f"not loaded: {reason}" for reason in self.skipped]
        return lines


def _read(name: str, data_dir: Path):
    with open(data_dir / name, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _located(error: ValidationError, where: str) -> ValidationError:
    """The same error, saying which seed row it comes from."""
    return ValidationError(f"{where}: {'; '.join(error.messages)}")


@transaction.atomic
def load_seed_data(data_dir: Path = DATA_DIR) -> SeedReport:
    """Load sources, categories, standards and companies with their markets and products, all or nothing."""
    report = SeedReport()
    for row in _read("sources.yaml", data_dir):
        existed = Source.objects.filter(key=row["key"]).exists()
        source_upsert(
            key=row["key"],
            title=row["title"],
            publisher=row.get("publisher", ""),
            url=row.get("url", ""),
            published_on=row.get("published_on"),
        )
        (report.updated if existed else report.created)["sources"] += 1

    def load_categories(rows, parent):
        for row in rows:
            existed = Category.objects.filter(slug=row["slug"]).exists()
            category = category_upsert(slug=row["slug"], name=row["name"], name_en=row["name_en"], parent=parent)
            (report.updated if existed else report.created)["categories"] += 1
            load_categories(row.get("children", []), category)

    load_categories(_read("categories.yaml", data_dir), None)

    for row in _read("standards.yaml", data_dir):
        existed = Standard.objects.filter(code=row["code"]).exists()
        standard_upsert(code=row["code"], name=row["name"], body=row["body"], url=row.get("url", ""))
        (report.updated if existed else report.created)["standards"] += 1

    companies = _read("companies.yaml", data_dir)
    for row in companies["companies"]:
        try:
            _load_company(row, report, companies["registration_source"])
        except ValidationError as error:
            raise _located(error, f"companies.yaml, company {row.get('tax_code')}") from error
    for row in companies.get("awaiting_enterprise_code", []):
        report.skipped.append(f"{row['name_en']} (enterprise code not yet confirmed)")
    return report


def _load_company(row: dict, report: SeedReport, registration_source: str) -> None:
    profile = {
        "name": row["name"],
        "name_en": row.get("name_en", ""),
        "short_name": row.get("short_name", ""),
        "province": Province.objects.get(code=row["province"]),
        "address": row.get("address", ""),
        "founded_year": row.get("founded_year"),
        "ownership": row["ownership"],
        "size_band": row.get("size_band", ""),
        "website": row.get("website", ""),
        "description_vi": row.get("description_vi", ""),
        "description_en": row.get("description_en", ""),
        "source": Source.objects.get(key=row.get("source", registration_source)),
    }
    company = Company.objects.filter(tax_code=row["tax_code"]).first()
    if company is None:
        company = company_create(tax_code=row["tax_code"], **profile)
        report.created["companies"] += 1
    else:
        company_update(company=company, data=profile)
        report.updated["companies"] += 1

    markets_by_country: dict[str, list[ExportMarket]] = {}
    for market_row in row.get("markets", []):
        source = Source.objects.get(key=market_row["source"])
        market = ExportMarket.objects.filter(
            company=company, country=market_row["country"], kind=market_row["kind"]
        ).first()
        details = {"since_year": market_row.get("since_year"), "source": source, "note": market_row.get("note", "")}
        if market is None:
            market = export_market_create(
                company=company, country=market_row["country"], kind=market_row["kind"], **details
            )
            report.created["export markets"] += 1
        else:
            export_market_update(market=market, data=details)
            report.updated["export markets"] += 1
        markets_by_country.setdefault(market_row["country"], []).append(market)

    for product_row in row.get("products", []):
        _load_product(company, product_row, markets_by_country, report)


def _load_product(company: Company, row: dict, markets_by_country: dict, report: SeedReport) -> None:
    unknown = [code for code in row.get("markets", []) if code not in markets_by_country]
    if unknown:
        raise ValidationError(f"product {row['name']!r} is sold in {unknown}, which are not markets of its company")
    export_markets = [market for code in row.get("markets", []) for market in markets_by_country[code]]
    standards = [Standard.objects.get(code=code) for code in row.get("standards", [])]
    data = {
        "name": row["name"],
        "category": Category.objects.get(slug=row["category"]),
        "maturity": row["maturity"],
        "description_vi": row.get("description_vi", ""),
        "description_en": row.get("description_en", ""),
        "launch_year": row.get("launch_year"),
        "source": Source.objects.get(key=row["source"]) if row.get("source") else None,
    }
    product = Product.objects.filter(company=company, name=row["name"]).first()
    if product is None:
        product_create(company=company, standards=standards, export_markets=export_markets, **data)
        report.created["products"] += 1
    else:
        product_update(product=product, data=data, standards=standards, export_markets=export_markets)
        report.updated["products"] += 1
