"""Companies side by side (issue 4): for each of a few companies, its products by category and maturity, its
certifications (Make in Vietnam, standards), its export markets by country and its export revenue by year.

A fixed number of queries whatever the number of companies: the companies (``companies_to_compare``),
then one grouped query each for products, standards, markets and revenue figures (``company_comparison``),
whose few rows per company are arranged here.

Visibility is the selectors' rule, not repeated here: the companies are those ``companies_visible_to`` the
viewer, the revenue figures those ``export_revenue_list`` gives the viewer (unverified ones only for the
companies whose sensitive data the viewer may read). ``products`` depends on ``companies``, never the other
way round, so the product models are named, not imported.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.db.models import Count, Max, Min, Q

from registry.countries import country_name

from .models import Company, ExportMarket, MarketKind
from .querysets import product_maturity_choices
from .selectors import companies_visible_to, export_revenue_list

MIN_COMPANIES = 2
MAX_COMPANIES = 10


@dataclass
class CategoryProducts:
    category: dict  # slug, name, name_en
    products: int = 0
    certified: int = 0


@dataclass
class ProductSummary:
    total: int = 0
    by_maturity: dict[str, int] = field(default_factory=dict)
    by_category: list[CategoryProducts] = field(default_factory=list)


@dataclass
class StandardProducts:
    standard: dict  # code, name
    products: int


@dataclass
class MakeInVietnam:
    products: int = 0
    first_certified_on: datetime.date | None = None
    latest_certified_on: datetime.date | None = None


@dataclass
class Certifications:
    make_in_vietnam: MakeInVietnam = field(default_factory=MakeInVietnam)
    standards: list[StandardProducts] = field(default_factory=list)


@dataclass
class MarketPresence:
    country: str
    country_name: str
    kinds: list[str]
    since_year: int | None
    products: int


@dataclass
class Figure:
    amount_usd: Decimal
    verified: bool
    country: str | None = None
    country_name: str | None = None


@dataclass
class YearRevenue:
    year: int
    total: Figure | None = None
    countries: list[Figure] = field(default_factory=list)


@dataclass
class CompanyFigures:
    """What the comparison shows of one company besides its own fields."""

    products: ProductSummary = field(default_factory=ProductSummary)
    certifications: Certifications = field(default_factory=Certifications)
    markets: list[MarketPresence] = field(default_factory=list)
    export_revenue: list[YearRevenue] = field(default_factory=list)


@dataclass
class Comparison:
    companies: list[Company]
    years: list[int]


def companies_to_compare(viewer, tax_codes: Iterable[str]) -> dict[str, Company]:
    """The companies with these (canonical) enterprise codes that ``viewer`` may see, by code, with their
    province. A code missing from the answer is unknown or not visible: callers must not tell which."""
    companies = (
        companies_visible_to(viewer)
        .filter(tax_code__in=list(tax_codes))
        .select_related("province")
        .defer("search_name", "search_body", "search_products")
    )
    return {company.tax_code: company for company in companies}


def company_comparison(viewer, companies: list[Company]) -> Comparison:
    """The companies (from ``companies_to_compare``), in the order given, each with a ``figures``
    attribute (``CompanyFigures``), and every year any of them has a revenue figure for, newest first.
    Four queries, whatever the number of companies."""
    figures = {company.pk: CompanyFigures() for company in companies}
    _add_products(figures)
    _add_standards(figures)
    _add_markets(figures)
    years = _add_revenue(figures, viewer)
    for company in companies:
        company.figures = figures[company.pk]
    return Comparison(companies=companies, years=years)


def _add_products(figures: dict[int, CompanyFigures]) -> None:
    product = apps.get_model("products", "Product")
    maturities = [value for value, _label in product_maturity_choices()]
    rows = (
        product.objects.filter(company_id__in=list(figures))
        .order_by()
        .values("company_id", "maturity", "category__path", "category__slug", "category__name", "category__name_en")
        .annotate(
            products=Count("pk"),
            certified=Count("pk", filter=Q(miv_certified_on__isnull=False)),
            first_certified_on=Min("miv_certified_on"),
            latest_certified_on=Max("miv_certified_on"),
        )
    )
    categories: dict[int, dict[str, CategoryProducts]] = defaultdict(dict)
    paths: dict[str, str] = {}
    for company in figures.values():
        company.products.by_maturity = dict.fromkeys(maturities, 0)
    for row in rows:
        company = figures[row["company_id"]]
        company.products.total += row["products"]
        company.products.by_maturity[row["maturity"]] += row["products"]
        slug = row["category__slug"]
        paths[slug] = row["category__path"]
        counts = categories[row["company_id"]].setdefault(
            slug,
            CategoryProducts(
                category={"slug": slug, "name": row["category__name"], "name_en": row["category__name_en"]}
            ),
        )
        counts.products += row["products"]
        counts.certified += row["certified"]
        certification = company.certifications.make_in_vietnam
        certification.products += row["certified"]
        first, latest = row["first_certified_on"], row["latest_certified_on"]
        if first is not None:
            certification.first_certified_on = min(first, certification.first_certified_on or first)
            certification.latest_certified_on = max(latest, certification.latest_certified_on or latest)
    for company_id, by_slug in categories.items():
        # In the order of the category tree (GET /api/v1/categories/), the same for every company.
        figures[company_id].products.by_category = sorted(by_slug.values(), key=lambda c: paths[c.category["slug"]])


def _add_standards(figures: dict[int, CompanyFigures]) -> None:
    through = apps.get_model("products", "Product").standards.through
    rows = (
        through.objects.filter(product__company_id__in=list(figures))
        .values("product__company_id", "standard__code", "standard__name")
        .annotate(products=Count("product_id"))
        .order_by("standard__code")
    )
    for row in rows:
        figures[row["product__company_id"]].certifications.standards.append(
            StandardProducts(
                standard={"code": row["standard__code"], "name": row["standard__name"]}, products=row["products"]
            )
        )


def _add_markets(figures: dict[int, CompanyFigures]) -> None:
    # One row per (market, product sold there); products is None for a market without products.
    rows = (
        ExportMarket.objects.filter(company_id__in=list(figures))
        .order_by()
        .values_list("company_id", "country", "kind", "since_year", "products")
    )
    kind_order = {kind: index for index, kind in enumerate(MarketKind.values)}
    grouped: dict[tuple[int, str], dict] = {}
    for company_id, country, kind, since_year, product_id in rows:
        market = grouped.setdefault((company_id, country), {"kinds": set(), "years": set(), "products": set()})
        market["kinds"].add(kind)
        if since_year is not None:
            market["years"].add(since_year)
        if product_id is not None:
            market["products"].add(product_id)
    for (company_id, country), market in sorted(grouped.items()):
        figures[company_id].markets.append(
            MarketPresence(
                country=country,
                country_name=country_name(country),
                kinds=sorted(market["kinds"], key=kind_order.__getitem__),
                since_year=min(market["years"], default=None),
                products=len(market["products"]),
            )
        )


def _add_revenue(figures: dict[int, CompanyFigures], viewer) -> list[int]:
    rows = (
        export_revenue_list(viewer)
        .filter(company_id__in=list(figures))
        .order_by("company_id", "-year", "country")
        .values_list("company_id", "year", "country", "amount_usd", "verified")
    )
    years: set[int] = set()
    for company_id, year, country, amount_usd, verified in rows:
        revenue = figures[company_id].export_revenue
        if not revenue or revenue[-1].year != year:
            revenue.append(YearRevenue(year=year))
            years.add(year)
        if country:
            revenue[-1].countries.append(
                Figure(amount_usd=amount_usd, verified=verified, country=country, country_name=country_name(country))
            )
        else:
            revenue[-1].total = Figure(amount_usd=amount_usd, verified=verified)
    return sorted(years, reverse=True)
