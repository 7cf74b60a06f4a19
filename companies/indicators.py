"""Resolution 57 indicators: the export revenue of the registry's firms, its growth, the growth the national
target needs, and breakdowns by market, category and province, all computed from the registry when asked
(and cached for ``INDICATORS_CACHE_SECONDS``). No figure is a constant here: the target itself is a policy
parameter in the settings, with its source.

The basis, everywhere:

* **Active companies only**; a suspended or dissolved company's figures leave every indicator.
* **Revenue includes self-reported figures**, and every money figure says how much of it rests on figures
  an officer verified (``verified_usd``, ``verified_share``). Company counts come with the number of those
  companies that are themselves verified (``verification == verified``).
* **No figure discloses one company's unverified figure.** Unverified figures are not public (only the
  company's representatives and officers read them), so where fewer than
  ``settings.INDICATORS_MIN_UNVERIFIED_COMPANIES`` (3) companies' unverified figures would make up part of
  a money figure (a year, a market, a category or a province), that part is left out and the figure is its
  verified part alone (``_disclosed``).
* **A company's yearly total** is its revenue row without a country (``country == ""``). Rows for single
  countries never add up to a total: companies report their largest markets one by one, so their sum is a
  partial figure, and mixing it in would make the growth jump when a company starts reporting its total. A
  company that reported only per-country figures for a year is therefore not in that year's totals (it is
  in the market breakdown).
* **An exporting company in a year** is one present in a foreign market (an export market whose
  ``since_year`` is that year or earlier, or unknown) or with revenue above zero from abroad that year.

Every function runs a fixed number of aggregate queries (``GROUP BY`` in the database), whatever the number
of companies. ``products`` depends on ``companies``, never the reverse: categories and products are reached
through ``apps.get_model``.
"""

import dataclasses
import datetime
from collections.abc import Callable
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import (
    BooleanField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    FilteredRelation,
    OuterRef,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from registry.cache import shared_result
from registry.countries import country_name

from .models import Company, CompanyStatus, ExportMarket, ExportRevenue, Source, VerificationState

CURRENCY = "USD"
TOP = 10  # items of each breakdown in the summary
CACHE_PREFIX = "indicators:v1"

CENT = Decimal("0.01")
ZERO = Decimal("0")
_MONEY = DecimalField(max_digits=20, decimal_places=2)
RATE_DIGITS = 6  # growth rates and shares are rounded to a millionth

ACTIVE = Q(company__status=CompanyStatus.ACTIVE)
VERIFIED = Q(verification=VerificationState.VERIFIED)  # of a company
VERIFIED_COMPANY = Q(company__verification=VerificationState.VERIFIED)  # of a row's company


# --- results ---------------------------------------------------------------------------------------


def _share(part: Decimal, whole: Decimal) -> float | None:
    return round(float(part / whole), RATE_DIGITS) if whole else None


def _rate(factor: Decimal | None) -> float | None:
    """A growth factor (1.3) as a rate (0.3)."""
    return None if factor is None else round(float(factor - 1), RATE_DIGITS)


@dataclasses.dataclass(frozen=True)
class YearRevenue:
    """The total export revenue of active companies in one year."""

    year: int
    amount_usd: Decimal
    verified_usd: Decimal
    companies: int  # companies with a total figure that year
    verified_companies: int
    growth: float | None = None  # on the previous year present (a yearly rate over a gap of several years)

    @property
    def verified_share(self) -> float | None:
        return _share(self.verified_usd, self.amount_usd)


@dataclasses.dataclass(frozen=True)
class Growth:
    """The compound annual growth of the total from one year to another."""

    from_year: int | None
    to_year: int | None
    cagr: float | None


@dataclasses.dataclass(frozen=True)
class PathPoint:
    year: int
    required_usd: Decimal
    trend_usd: Decimal | None


@dataclasses.dataclass(frozen=True)
class Target:
    """The national target and how the registry's latest total stands against it."""

    year: int
    amount_usd: Decimal
    source: Source | None
    latest_year: int | None
    latest_amount_usd: Decimal | None
    required_growth: float | None
    trend_from_year: int | None
    trend_growth: float | None
    on_track: bool | None
    projected_amount_usd: Decimal | None
    path: list[PathPoint]


@dataclasses.dataclass(frozen=True)
class Tally:
    count: int
    verified: int


@dataclasses.dataclass(frozen=True)
class BreakdownItem:
    """One market, category or province: the revenue attributed to it and the exporting companies in it."""

    code: str
    name: str
    amount_usd: Decimal
    verified_usd: Decimal
    companies: int
    verified_companies: int

    @property
    def verified_share(self) -> float | None:
        return _share(self.verified_usd, self.amount_usd)


@dataclasses.dataclass(frozen=True)
class RevenueIndicators:
    computed_at: datetime.datetime
    latest_year: int | None
    revenue_by_year: list[YearRevenue]
    growth: Growth
    currency: str = CURRENCY


@dataclasses.dataclass(frozen=True)
class TargetIndicators:
    computed_at: datetime.datetime
    target: Target
    currency: str = CURRENCY


@dataclasses.dataclass(frozen=True)
class Breakdown:
    computed_at: datetime.datetime
    year: int | None
    results: list[BreakdownItem]
    currency: str = CURRENCY


@dataclasses.dataclass(frozen=True)
class Summary:
    computed_at: datetime.datetime
    latest_year: int | None
    revenue_by_year: list[YearRevenue]
    growth: Growth
    target: Target
    exporting_companies: Tally
    markets: Tally
    top_markets: list[BreakdownItem]
    top_categories: list[BreakdownItem]
    currency: str = CURRENCY


# --- caching ---------------------------------------------------------------------------------------


def _cached(indicator: str, compute: Callable, **params) -> tuple[datetime.datetime, object]:
    """``(computed_at, compute(**params))``, kept in the shared cache for ``INDICATORS_CACHE_SECONDS``
    (``registry.cache.shared_result``). Every viewer gets the same indicators, so the key is the indicator
    and its parameters only."""
    key = ":".join([CACHE_PREFIX, indicator, *(f"{name}={params[name]}" for name in sorted(params))])
    return shared_result(key, lambda: compute(**params), fresh_seconds=settings.INDICATORS_CACHE_SECONDS)


# --- revenue by year, growth -----------------------------------------------------------------------


def _money(expression: str = "amount_usd", **filters) -> Coalesce:
    filter_ = Q(**filters) if filters else None
    return Coalesce(Sum(expression, filter=filter_, output_field=_MONEY), Value(ZERO), output_field=_MONEY)


def _unverified_figures(prefix: str = "") -> Count:
    """How many of the grouped revenue figures (reached through ``prefix``) are unverified and above zero:
    one per company in every grouping here (a unique constraint per company, year and country)."""
    return Count("pk", filter=Q(**{f"{prefix}verified": False, f"{prefix}amount_usd__gt": 0}))


def _disclosed(amount: Decimal, verified: Decimal, unverified_figures: int) -> Decimal:
    """``amount``, or only its ``verified`` part when fewer than ``INDICATORS_MIN_UNVERIFIED_COMPANIES``
    companies' unverified figures make up the rest: then the rest would tell one of them."""
    if 0 < unverified_figures < settings.INDICATORS_MIN_UNVERIFIED_COMPANIES:
        return verified
    return amount


def _yearly_totals():
    """Companies' yearly totals (rows without a country), active companies only."""
    return ExportRevenue.objects.filter(ACTIVE, country="")


def _growth_factor(start: Decimal, end: Decimal, years: int) -> Decimal | None:
    """The yearly growth factor that turns ``start`` into ``end`` in ``years`` years."""
    if years <= 0 or start <= 0:
        return None
    if end <= 0:
        return ZERO
    return (end / start) ** (Decimal(1) / Decimal(years))


def revenue_by_year() -> list[YearRevenue]:
    """Every year with a company total, ascending, with its growth on the previous year present. One query."""
    rows = (
        _yearly_totals()
        .values("year")
        .annotate(
            amount=_money(),
            verified_amount=_money(verified=True),
            unverified_figures=_unverified_figures(),
            companies=Count("pk"),  # one total per company and year (a unique constraint)
            verified_companies=Count("pk", filter=VERIFIED_COMPANY),
        )
        .order_by("year")
    )
    series, previous = [], None
    for row in rows:
        amount = _disclosed(row["amount"], row["verified_amount"], row["unverified_figures"])
        growth = None
        if previous is not None:
            growth = _rate(_growth_factor(previous.amount_usd, amount, row["year"] - previous.year))
        previous = YearRevenue(
            year=row["year"],
            amount_usd=amount,
            verified_usd=row["verified_amount"],
            companies=row["companies"],
            verified_companies=row["verified_companies"],
            growth=growth,
        )
        series.append(previous)
    return series


def growth_between(series: list[YearRevenue], *, from_year: int | None = None, to_year: int | None = None) -> Growth:
    """The compound annual growth from ``from_year`` to ``to_year`` (by default the first and the latest year
    with figures). Raises ``ValidationError`` for a span outside the years with figures, or backwards."""
    if not series:
        given = {name: year for name, year in (("from_year", from_year), ("to_year", to_year)) if year is not None}
        if given:
            raise ValidationError(
                {name: "No export revenue is recorded yet, so there is no span to choose." for name in given}
            )
        return Growth(from_year=None, to_year=None, cagr=None)
    first, latest = series[0].year, series[-1].year
    errors = {}
    for name, year in (("from_year", from_year), ("to_year", to_year)):
        if year is not None and not first <= year <= latest:
            errors[name] = f"{year} is outside the years with export revenue figures: {first} to {latest}."
    if errors:
        raise ValidationError(errors)
    from_year = first if from_year is None else from_year
    to_year = latest if to_year is None else to_year
    if from_year > to_year:
        raise ValidationError({"to_year": f"to_year ({to_year}) is before from_year ({from_year})."})
    amounts = {figure.year: figure.amount_usd for figure in series}
    factor = _growth_factor(amounts.get(from_year, ZERO), amounts.get(to_year, ZERO), to_year - from_year)
    return Growth(from_year=from_year, to_year=to_year, cagr=_rate(factor))


def _series() -> tuple[datetime.datetime, list[YearRevenue]]:
    """The revenue series, cached: every indicator starts from it."""
    return _cached("revenue-by-year", revenue_by_year)


def revenue_indicators(*, from_year: int | None = None, to_year: int | None = None) -> RevenueIndicators:
    """Total export revenue by year, year-on-year growth, and the compound growth over a span (by default
    all the years with figures). The span is checked against the (cached) series: ``ValidationError``."""
    computed_at, series = _series()
    return RevenueIndicators(
        computed_at=computed_at,
        latest_year=series[-1].year if series else None,
        revenue_by_year=series,
        growth=growth_between(series, from_year=from_year, to_year=to_year),
    )


# --- the national target ---------------------------------------------------------------------------


def export_target(series: list[YearRevenue]) -> Target:
    """The target of ``EXPORT_TARGET_USD`` by ``EXPORT_TARGET_YEAR`` against the latest total:

    * ``required_growth`` = (target / latest) ^ (1 / (target year - latest year)) - 1;
    * ``trend_growth``: the compound growth over the last ``EXPORT_TREND_YEARS`` years (from the earliest
      year with figures in that window to the latest);
    * ``on_track``: ``trend_growth >= required_growth`` (null when either is unknown; once the target year is
      reached, whether the latest total reached the target);
    * ``projected_amount_usd``: the latest total grown at the trend until the target year;
    * ``path``: year by year from the latest year to the target year, the total on the required path and on
      the trend. One query (the source), besides the series it is given.
    """
    target_year, target_usd = settings.EXPORT_TARGET_YEAR, Decimal(settings.EXPORT_TARGET_USD).quantize(CENT)
    source = Source.objects.filter(key=settings.EXPORT_TARGET_SOURCE).first()
    if not series:
        return Target(target_year, target_usd, source, None, None, None, None, None, None, None, [])
    latest = series[-1]
    years_left = target_year - latest.year
    window_start = latest.year - settings.EXPORT_TREND_YEARS
    trend_from = next(figure for figure in series if figure.year >= window_start)
    trend = _growth_factor(trend_from.amount_usd, latest.amount_usd, latest.year - trend_from.year)
    required = _growth_factor(latest.amount_usd, target_usd, years_left)
    if years_left <= 0:
        on_track = latest.amount_usd >= target_usd
    elif required is None or trend is None:
        on_track = None
    else:
        on_track = trend >= required
    projected = None
    if trend is not None and years_left > 0:
        projected = (latest.amount_usd * trend**years_left).quantize(CENT)
    path = []
    if required is not None:
        ratio = target_usd / latest.amount_usd
        for step in range(years_left + 1):
            required_usd = (
                target_usd if step == years_left else latest.amount_usd * ratio ** (Decimal(step) / years_left)
            )
            path.append(
                PathPoint(
                    year=latest.year + step,
                    required_usd=required_usd.quantize(CENT),
                    trend_usd=None if trend is None else (latest.amount_usd * trend**step).quantize(CENT),
                )
            )
    return Target(
        year=target_year,
        amount_usd=target_usd,
        source=source,
        latest_year=latest.year,
        latest_amount_usd=latest.amount_usd,
        required_growth=_rate(required),
        trend_from_year=trend_from.year if trend is not None else None,
        trend_growth=_rate(trend),
        on_track=on_track,
        projected_amount_usd=projected,
        path=path,
    )


def _target(computed_at: datetime.datetime, series: list[YearRevenue]) -> Target:
    """The target against the cached ``series`` computed at ``computed_at``, cached with it (the source's
    lookup too): the key names the series, so the target always matches the revenue shown beside it."""
    _, target = _cached("target", lambda series_at: export_target(series), series_at=computed_at.timestamp())
    return target


def target_indicators() -> TargetIndicators:
    """The national target against the latest total (see ``export_target``)."""
    computed_at, series = _series()
    return TargetIndicators(computed_at=computed_at, target=_target(computed_at, series))


# --- breakdowns ------------------------------------------------------------------------------------


def _present_in(year: int | None) -> Q:
    """Export markets a company had in ``year``: started that year or earlier, or at an unknown date."""
    if year is None:
        return Q()
    return Q(since_year__isnull=True) | Q(since_year__lte=year)


def _exporting(year: int | None, relation: str = "pk") -> Q:
    """The condition that the company (``relation``) exported in ``year``: present in a foreign market, or
    with revenue above zero from abroad. One uncorrelated ``IN`` over both (a ``UNION``), which PostgreSQL
    runs as a semi-join: a hash join that spills to disk in batches when the companies outgrow
    ``work_mem``. The markets ``IN`` beside a correlated ``EXISTS`` for the revenue (an ``OR`` of the two)
    could not be a join: it was hashed while the markets fit in ``work_mem``, and past that (1,000,000
    companies, 1.8 million markets) searched linearly for every row, which ran for minutes."""
    companies = ExportMarket.objects.filter(_present_in(year)).values("company")
    if year is not None:
        companies = companies.union(
            ExportRevenue.objects.filter(year=year, amount_usd__gt=0).values("company"), all=True
        )
    return Q(**{f"{relation}__in": companies})


def _exporting_companies(year: int | None):
    """The active companies exporting in ``year``."""
    return Company.objects.filter(_exporting(year), status=CompanyStatus.ACTIVE)


def _sorted(items) -> list[BreakdownItem]:
    return sorted(items, key=lambda item: (-item.amount_usd, -item.companies, item.code))


def _item(code: str, name: str, figures: dict) -> BreakdownItem:
    """A breakdown item from its sums: ``amount``, ``verified``, ``unverified_figures``, ``companies`` and
    ``verified_companies``."""
    return BreakdownItem(
        code=code,
        name=name,
        amount_usd=_disclosed(figures["amount"], figures["verified"], figures["unverified_figures"]),
        verified_usd=figures["verified"],
        companies=figures["companies"],
        verified_companies=figures["verified_companies"],
    )


def _totals_by(rows, code: str, name: str, company: str, verified_company: Q) -> list[BreakdownItem]:
    """Breakdown items of ``rows`` (joined to their company's total as ``total``, ``_with_total``), one per
    value of ``code``, labelled by ``name``; ``company`` is the rows' company, counted once a row."""
    grouped = (
        rows.values(code, name)
        .annotate(
            amount=_money("total__amount_usd"),
            verified=_money("total__amount_usd", total__verified=True),
            unverified_figures=_unverified_figures("total__"),
            companies=Count(company),
            verified_companies=Count(company, filter=verified_company),
        )
        .order_by()
    )
    return _sorted(_item(row[code], row[name], row) for row in grouped)


def market_breakdown(year: int | None) -> list[BreakdownItem]:
    """By foreign country (ISO alpha-2 code, English name): the per-country revenue figures of ``year``, and
    the companies exporting there: present (an export market by then) or, without an export market there,
    with revenue above zero from it that year. Two queries."""
    # A company may be present in a country in several ways (sales, an office, ...): its first market there
    # stands for all (an anti-join: cheaper than COUNT(DISTINCT), which sorts every market).
    earlier = ExportMarket.objects.filter(
        _present_in(year), company=OuterRef("company"), country=OuterRef("country"), pk__lt=OuterRef("pk")
    )
    present = (
        ExportMarket.objects.filter(ACTIVE, _present_in(year), ~Exists(earlier))
        .values("country")
        .annotate(companies=Count("pk"), verified_companies=Count("pk", filter=VERIFIED_COMPANY))
        .order_by()
    )
    items = {
        row["country"]: {
            "amount": ZERO,
            "verified": ZERO,
            "unverified_figures": 0,
            "companies": row["companies"],
            "verified_companies": row["verified_companies"],
        }
        for row in present
    }
    if year is not None:
        listed = ExportMarket.objects.filter(
            _present_in(year), company=OuterRef("company"), country=OuterRef("country")
        )
        # Grouped by the flag as well, so that the database evaluates the subquery once per figure.
        unlisted = ExpressionWrapper(Q(amount_usd__gt=0) & ~Exists(listed), output_field=BooleanField())
        revenue = (
            ExportRevenue.objects.filter(ACTIVE, year=year)
            .exclude(country="")
            .annotate(unlisted=unlisted)
            .values("country", "unlisted")
            .annotate(
                amount=_money(),
                verified_amount=_money(verified=True),  # not "verified": the field's name, which is filtered on
                figures=Count("pk"),
                verified_figures=Count("pk", filter=VERIFIED_COMPANY),
                unverified_figures=_unverified_figures(),
            )
            .order_by()
        )
        for row in revenue:
            item = items.setdefault(
                row["country"],
                {"amount": ZERO, "verified": ZERO, "unverified_figures": 0, "companies": 0, "verified_companies": 0},
            )
            item["amount"] += row["amount"]
            item["verified"] += row["verified_amount"]
            item["unverified_figures"] += row["unverified_figures"]
            if row["unlisted"]:  # one figure per company, country and year (a unique constraint)
                item["companies"] += row["figures"]
                item["verified_companies"] += row["verified_figures"]
    return _sorted(
        _item(code, country_name(code), item) for code, item in items.items() if item["companies"] or item["amount"]
    )


def _with_total(queryset, year: int | None, relation: str = ""):
    """``queryset`` (of companies, or of rows with a ``company``) joined to the company's total of ``year``
    as ``total``: one row at most per company (a unique constraint), none when there is no year."""
    prefix = f"{relation}__" if relation else ""
    # year None: "year IS NULL", which no row is.
    condition = Q(**{f"{prefix}export_revenues__year": year, f"{prefix}export_revenues__country": ""})
    return queryset.annotate(total=FilteredRelation(f"{prefix}export_revenues", condition=condition))


def province_breakdown(year: int | None) -> list[BreakdownItem]:
    """By province (two-digit code, name): the companies exporting in ``year`` registered there, and their
    totals of that year. One query."""
    companies = _with_total(_exporting_companies(year), year)
    return _totals_by(companies, "province", "province__name", "pk", VERIFIED)


def category_breakdown(year: int | None) -> list[BreakdownItem]:
    """By product category (slug, English name; the product's own category, not rolled up to its parent):
    the companies exporting in ``year`` with a product in it, and their totals of that year. A company with
    products in several categories counts, with its whole total, in each (the categories overlap); with
    several products in one category, once. One query."""
    product = apps.get_model("products", "Product")
    # One product per company and category (its first), so that a company's total counts once in each
    # category: an anti-join, which the database runs as one hash join.
    earlier = product.objects.filter(company=OuterRef("company"), category=OuterRef("category"), pk__lt=OuterRef("pk"))
    products = _with_total(
        product.objects.filter(ACTIVE, _exporting(year, "company"), ~Exists(earlier)), year, relation="company"
    )
    return _totals_by(products, "category__slug", "category__name_en", "company", VERIFIED_COMPANY)


def exporting_companies(year: int | None) -> Tally:
    """How many active companies exported in ``year``, and how many of them are verified. One query."""
    counts = _exporting_companies(year).aggregate(count=Count("pk"), verified=Count("pk", filter=VERIFIED))
    return Tally(count=counts["count"], verified=counts["verified"])


BREAKDOWNS = {"markets": market_breakdown, "categories": category_breakdown, "provinces": province_breakdown}


def _latest_year() -> int | None:
    _, series = _series()
    return series[-1].year if series else None


def breakdown(name: str, *, year: int | None = None) -> Breakdown:
    """The ``markets``, ``categories`` or ``provinces`` breakdown of ``year`` (by default the latest year
    with a company total; with none at all, the export markets present now and no revenue)."""
    if year is None:
        year = _latest_year()
    computed_at, results = _cached(f"breakdown-{name}", BREAKDOWNS[name], year=year)
    return Breakdown(computed_at=computed_at, year=year, results=results)


def indicator_summary() -> Summary:
    """Every indicator at a glance, for the latest year: revenue by year, growth over all the years, the
    target, the number of exporting companies and of markets, and the top markets and categories. Made of
    the same cached parts as the other indicator resources; ``computed_at`` is that of the oldest part."""
    computed_at, series = _series()
    year = series[-1].year if series else None
    target = _target(computed_at, series)
    markets, categories = breakdown("markets", year=year), breakdown("categories", year=year)
    exporting_at, exporting = _cached("exporting-companies", exporting_companies, year=year)
    return Summary(
        computed_at=min(computed_at, markets.computed_at, categories.computed_at, exporting_at),
        latest_year=year,
        revenue_by_year=series,
        growth=growth_between(series),
        target=target,
        exporting_companies=exporting,
        markets=Tally(
            count=len(markets.results), verified=sum(1 for item in markets.results if item.verified_companies)
        ),
        top_markets=markets.results[:TOP],
        top_categories=categories.results[:TOP],
    )
