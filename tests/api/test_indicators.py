"""Resolution 57 indicators (/api/v1/indicators/): every figure is computed from the registry, so changing
the data moves it; the target maths against hand-computed values; verified shares; breakdowns; query
parameters; query counts; and the short cache.

The cache is off in these tests (``INDICATORS_CACHE_SECONDS = 0``) except where it is the subject: a test
that changes data and asks again must see the change, not the first answer kept for a minute."""

import math
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from companies.models import MarketKind
from companies.services import (
    company_reinstate,
    company_suspend,
    company_verify,
    export_market_create,
    export_revenue_create,
    export_revenue_verify,
    source_upsert,
)
from tests import test_generated_client
from tests.helpers import get_json

generated_client = test_generated_client.generated_client  # the fixture, shared

SUMMARY, REVENUE, TARGET = "indicators", "indicators-revenue", "indicators-target"
MARKETS, CATEGORIES, PROVINCES = "indicators-markets", "indicators-categories", "indicators-provinces"
ALL = [SUMMARY, REVENUE, TARGET, MARKETS, CATEGORIES, PROVINCES]


@pytest.fixture(autouse=True)
def _no_indicator_cache(settings):
    settings.INDICATORS_CACHE_SECONDS = 0
    # The sums of these small sectors are the subject; leaving out small groups' unverified figures is
    # tested on its own, at the end.
    settings.INDICATORS_MIN_UNVERIFIED_COMPANIES = 1


@pytest.fixture
def revenue(source):
    """``revenue(company, year, amount, country="", verified=False)``: a figure as a representative enters
    it (unverified unless said otherwise)."""

    def add(company, year, amount, *, country="", verified=False):
        return export_revenue_create(
            company=company, year=year, amount_usd=Decimal(amount), country=country, source=source, verified=verified
        )

    return add


@pytest.fixture
def sector(make_company, make_product, revenue):
    """Three active companies and one suspended, with totals in 2022-2024:

    * Alpha (Hà Nội, verified company): markets JP, US; totals 1,000 (2022, verified), 1,200 (2023,
      verified), 1,500 (2024, unverified); per-country JP 2024: 900 (verified); accounting + 5G products.
    * Beta (Hồ Chí Minh): market JP; totals 500 (2023, unverified) and 600 (2024, verified); an accounting
      product (two of them: it counts once).
    * Gamma (Hà Nội): no market; only a per-country figure, KR 2024: 300 (so no total: not in the totals).
    * Delta (Đà Nẵng, suspended): market SG, 10,000 in 2024: never counted.
    """
    alpha = make_company(name="Alpha", province="01", markets=["JP", "US"])
    revenue(alpha, 2022, 1000, verified=True)
    revenue(alpha, 2023, 1200, verified=True)
    revenue(alpha, 2024, 1500)
    revenue(alpha, 2024, 900, country="JP", verified=True)
    make_product(alpha, name="Alpha Books", category="accounting")
    make_product(alpha, name="Alpha 5G", category="5g")
    beta = make_company(name="Beta", province="79", markets=["JP"])
    revenue(beta, 2023, 500)
    revenue(beta, 2024, 600, verified=True)
    make_product(beta, name="Beta Books", category="accounting")
    make_product(beta, name="Beta Books Cloud", category="accounting")
    gamma = make_company(name="Gamma", province="01")
    revenue(gamma, 2024, 300, country="KR")
    delta = make_company(name="Delta", province="48", markets=["SG"])
    revenue(delta, 2024, 10_000, verified=True)
    make_product(delta, name="Delta Books", category="accounting")
    company_suspend(company=delta, by=None, reason="Test")
    company_verify(company=alpha)  # last: a new figure sends a verified company back to review
    return {"alpha": alpha, "beta": beta, "gamma": gamma, "delta": delta}


def by_year(body) -> dict[int, dict]:
    return {row["year"]: row for row in body["revenue_by_year"]}


def by_code(body) -> dict[str, dict]:
    return {row["code"]: row for row in body["results"]}


# --- revenue by year and growth ----------------------------------------------------------------------


def test_revenue_by_year_sums_company_totals_of_active_companies(api_client, sector):
    body = get_json(api_client, REVENUE)
    assert body["currency"] == "USD"
    assert body["latest_year"] == 2024
    assert [row["year"] for row in body["revenue_by_year"]] == [2022, 2023, 2024]
    years = by_year(body)
    # Delta is suspended; Gamma has no total row (its KR figure is not a total).
    assert years[2024] == {
        "year": 2024,
        "amount_usd": "2100.00",
        "verified_usd": "600.00",
        "verified_share": pytest.approx(600 / 2100),
        "companies": 2,
        "verified_companies": 1,
        "growth": pytest.approx(2100 / 1700 - 1),
    }
    assert years[2023]["amount_usd"] == "1700.00"
    assert years[2023]["verified_usd"] == "1200.00"
    assert years[2023]["growth"] == pytest.approx(0.7)
    assert years[2022]["growth"] is None
    assert years[2022]["verified_share"] == 1.0
    # By default the growth spans every year with figures.
    assert body["growth"] == {"from_year": 2022, "to_year": 2024, "cagr": pytest.approx(math.sqrt(2.1) - 1)}


def test_growth_over_a_chosen_span(api_client, sector):
    body = get_json(api_client, REVENUE, {"from_year": 2023, "to_year": 2024})
    assert body["growth"] == {"from_year": 2023, "to_year": 2024, "cagr": pytest.approx(2100 / 1700 - 1)}
    assert get_json(api_client, REVENUE, {"from_year": 2023})["growth"]["to_year"] == 2024
    assert get_json(api_client, REVENUE, {"to_year": 2023})["growth"] == {
        "from_year": 2022,
        "to_year": 2023,
        "cagr": pytest.approx(0.7),
    }
    # A span of no years has no growth rate.
    assert get_json(api_client, REVENUE, {"from_year": 2024, "to_year": 2024})["growth"]["cagr"] is None


def test_growth_over_a_gap_is_a_yearly_rate(api_client, make_company, revenue):
    company = make_company(name="Gap")
    revenue(company, 2020, 100)
    revenue(company, 2022, 144)
    years = by_year(get_json(api_client, REVENUE))
    assert years[2022]["growth"] == pytest.approx(0.2)


def test_no_revenue_at_all(api_client, db):
    body = get_json(api_client, SUMMARY)
    assert body["latest_year"] is None
    assert body["revenue_by_year"] == []
    assert body["growth"] == {"from_year": None, "to_year": None, "cagr": None}
    target = body["target"]
    assert target["latest_year"] is None and target["latest_amount_usd"] is None
    assert target["required_growth"] is None and target["on_track"] is None and target["path"] == []
    assert body["exporting_companies"] == {"count": 0, "verified": 0}
    assert body["markets"] == {"count": 0, "verified": 0}
    assert body["top_markets"] == [] and body["top_categories"] == []
    assert get_json(api_client, MARKETS)["year"] is None


# --- the data moves the indicators -------------------------------------------------------------------


def test_a_new_figure_moves_the_totals_and_the_growth(api_client, sector, revenue):
    before = by_year(get_json(api_client, REVENUE))[2024]
    revenue(sector["gamma"], 2024, 400)  # now Gamma has a total as well
    after = get_json(api_client, REVENUE)
    assert by_year(after)[2024]["amount_usd"] == "2500.00"
    assert by_year(after)[2024]["companies"] == before["companies"] + 1
    assert by_year(after)[2024]["growth"] == pytest.approx(2500 / 1700 - 1)
    assert after["growth"]["cagr"] == pytest.approx(math.sqrt(2.5) - 1)


def test_verifying_a_figure_moves_the_verified_share(api_client, sector):
    figure = sector["alpha"].export_revenues.get(year=2024, country="")
    assert by_year(get_json(api_client, REVENUE))[2024]["verified_share"] == pytest.approx(600 / 2100)
    export_revenue_verify(revenue=figure, by=None)
    year = by_year(get_json(api_client, REVENUE))[2024]
    assert year["amount_usd"] == "2100.00"
    assert (year["verified_usd"], year["verified_share"]) == ("2100.00", 1.0)


def test_verifying_a_company_moves_the_verified_counts(api_client, sector):
    assert get_json(api_client, SUMMARY)["exporting_companies"] == {"count": 3, "verified": 1}
    company_verify(company=sector["beta"])
    body = get_json(api_client, SUMMARY)
    assert body["exporting_companies"] == {"count": 3, "verified": 2}
    assert by_year(body)[2024]["verified_companies"] == 2


def test_suspending_a_company_takes_it_out_of_every_indicator(api_client, sector):
    before = get_json(api_client, SUMMARY)
    company_suspend(company=sector["alpha"], by=None, reason="Test")
    after = get_json(api_client, SUMMARY)
    assert by_year(after)[2024]["amount_usd"] == "600.00"
    assert 2022 not in by_year(after)  # Alpha was the only company with a 2022 total
    assert after["exporting_companies"]["count"] == before["exporting_companies"]["count"] - 1
    assert "US" not in {row["code"] for row in after["top_markets"]}
    # ...and back.
    company_reinstate(company=sector["alpha"], by=None)
    assert get_json(api_client, SUMMARY)["revenue_by_year"] == before["revenue_by_year"]


# --- the target ----------------------------------------------------------------------------------------


@pytest.fixture
def national(make_company, revenue):
    """One company carrying the figures the sources give: USD 11.5 billion in 2024 after growing 30% a
    year since 2020."""
    company = make_company(name="Vietnam digital technology")
    amount = Decimal("11500000000")
    for year in range(2024, 2019, -1):
        revenue(company, year, amount.quantize(Decimal("0.01")), verified=year < 2024)
        amount /= Decimal("1.3")
    return company


def test_target_maths_against_hand_computed_values(api_client, national, source):
    source_upsert(key="mic-2025-new-year-meeting-self-reliance", title="MIC New Year meeting 2025")
    target = get_json(api_client, TARGET)
    assert target["currency"] == "USD"
    assert (target["year"], target["amount_usd"]) == (2035, "100000000000.00")
    assert target["source"]["key"] == "mic-2025-new-year-meeting-self-reliance"
    assert (target["latest_year"], target["latest_amount_usd"]) == (2024, "11500000000.00")
    # (100 / 11.5) ^ (1 / 11) - 1: about 21.7% a year.
    assert target["required_growth"] == pytest.approx((100 / 11.5) ** (1 / 11) - 1, abs=1e-6)
    assert target["required_growth"] == pytest.approx(0.2173, abs=1e-4)
    assert (target["trend_from_year"], target["trend_growth"]) == (2020, pytest.approx(0.3, abs=1e-6))
    assert target["on_track"] is True
    # 11.5 billion * 1.3 ^ 11: about 206 billion.
    assert float(target["projected_amount_usd"]) == pytest.approx(11.5e9 * 1.3**11, rel=1e-6)
    path = target["path"]
    assert [point["year"] for point in path] == list(range(2024, 2036))
    assert path[0] == {"year": 2024, "required_usd": "11500000000.00", "trend_usd": "11500000000.00"}
    assert path[-1]["required_usd"] == "100000000000.00"
    assert path[-1]["trend_usd"] == target["projected_amount_usd"]
    assert float(path[1]["required_usd"]) == pytest.approx(11.5e9 * (1 + target["required_growth"]), rel=1e-6)
    # The summary carries the same object.
    summary_target = get_json(api_client, SUMMARY)["target"]
    assert summary_target == {key: value for key, value in target.items() if key not in {"computed_at", "currency"}}


def test_slower_growth_is_off_track(api_client, national, revenue):
    # 2024 falls to 9 billion: the trend from 2020 is now below what the target needs.
    figure = national.export_revenues.get(year=2024)
    figure.delete()
    revenue(national, 2024, 9_000_000_000)
    target = get_json(api_client, TARGET)
    start = float(national.export_revenues.get(year=2020).amount_usd)
    assert target["trend_growth"] == pytest.approx((9e9 / start) ** (1 / 4) - 1, abs=1e-6)
    assert target["required_growth"] == pytest.approx((100 / 9) ** (1 / 11) - 1, abs=1e-6)
    assert target["trend_growth"] < target["required_growth"]
    assert target["on_track"] is False


def test_the_trend_spans_at_most_five_years(api_client, make_company, revenue):
    company = make_company(name="Long series")
    for year, amount in {2015: 1, 2018: 100, 2019: 1000, 2024: 2000}.items():
        revenue(company, year, amount)
    target = get_json(api_client, TARGET)
    # 2019 is the earliest year within five years of 2024.
    assert (target["trend_from_year"], target["trend_growth"]) == (2019, pytest.approx(2 ** (1 / 5) - 1, abs=1e-6))


def test_the_target_is_a_setting(api_client, national, settings):
    settings.EXPORT_TARGET_USD = "23000000000"
    settings.EXPORT_TARGET_YEAR = 2026
    target = get_json(api_client, TARGET)
    assert (target["year"], target["amount_usd"]) == (2026, "23000000000.00")
    assert target["required_growth"] == pytest.approx(math.sqrt(2) - 1, abs=1e-6)
    assert target["source"] is None  # no source of that key in this database
    assert [point["required_usd"] for point in target["path"]] == [
        "11500000000.00",
        str((Decimal("11500000000") * Decimal(2).sqrt()).quantize(Decimal("0.01"))),
        "23000000000.00",
    ]


def test_one_year_of_figures_has_no_trend(api_client, make_company, revenue):
    revenue(make_company(name="Newcomer"), 2024, 1000)
    target = get_json(api_client, TARGET)
    assert target["required_growth"] is not None
    assert target["trend_growth"] is None and target["on_track"] is None
    assert target["projected_amount_usd"] is None
    assert all(point["trend_usd"] is None for point in target["path"])


# --- breakdowns ------------------------------------------------------------------------------------


def test_markets_breakdown(api_client, sector):
    body = get_json(api_client, MARKETS)
    assert body["year"] == 2024
    markets = by_code(body)
    assert markets["JP"] == {
        "code": "JP",
        "name": "Japan",
        "amount_usd": "900.00",
        "verified_usd": "900.00",
        "verified_share": 1.0,
        "companies": 2,  # Alpha and Beta are present
        "verified_companies": 1,
    }
    # Gamma has no export market in KR, but reported revenue from it: it exports there.
    assert markets["KR"] == {
        "code": "KR",
        "name": "South Korea",
        "amount_usd": "300.00",
        "verified_usd": "0.00",
        "verified_share": 0.0,
        "companies": 1,
        "verified_companies": 0,
    }
    assert markets["US"]["amount_usd"] == "0.00" and markets["US"]["verified_share"] is None
    assert "SG" not in markets  # Delta is suspended
    # Most revenue first.
    assert [row["code"] for row in body["results"]] == ["JP", "KR", "US"]


def test_a_company_present_in_several_ways_counts_once(api_client, sector, source):
    export_market_create(company=sector["alpha"], country="JP", kind=MarketKind.OFFICE, source=source)
    export_market_create(company=sector["alpha"], country="JP", kind=MarketKind.SUBSIDIARY, source=source)
    japan = by_code(get_json(api_client, MARKETS))["JP"]
    assert (japan["companies"], japan["verified_companies"]) == (2, 1)


def test_a_market_counts_from_its_start_year(api_client, sector, source):
    export_market_create(company=sector["beta"], country="DE", kind=MarketKind.OFFICE, since_year=2024, source=source)
    assert by_code(get_json(api_client, MARKETS))["DE"]["companies"] == 1
    assert "DE" not in by_code(get_json(api_client, MARKETS, {"year": 2023}))


def test_categories_breakdown(api_client, sector):
    body = get_json(api_client, CATEGORIES)
    categories = by_code(body)
    # Alpha and Beta make accounting software (Beta's two products count once): 1,500 + 600.
    assert categories["accounting-software"] == {
        "code": "accounting-software",
        "name": "Accounting software",
        "amount_usd": "2100.00",
        "verified_usd": "600.00",
        "verified_share": pytest.approx(600 / 2100),
        "companies": 2,
        "verified_companies": 1,
    }
    # Alpha's whole total counts in each of its categories.
    assert categories["5g-equipment"]["amount_usd"] == "1500.00"
    assert categories["5g-equipment"]["companies"] == 1
    assert [row["code"] for row in body["results"]] == ["accounting-software", "5g-equipment"]
    assert by_code(get_json(api_client, CATEGORIES, {"year": 2022}))["5g-equipment"]["amount_usd"] == "1000.00"


def test_provinces_breakdown(api_client, sector):
    provinces = by_code(get_json(api_client, PROVINCES))
    assert set(provinces) == {"01", "79"}  # Đà Nẵng's only company is suspended
    # Hà Nội: Alpha (a total of 1,500) and Gamma (exports to KR, no total).
    assert provinces["01"] == {
        "code": "01",
        "name": "Thành phố Hà Nội",
        "amount_usd": "1500.00",
        "verified_usd": "0.00",
        "verified_share": 0.0,
        "companies": 2,
        "verified_companies": 1,
    }
    assert provinces["79"]["amount_usd"] == "600.00"
    assert provinces["79"]["verified_share"] == 1.0
    # In 2023 Gamma exported nowhere: no market, no figure.
    assert by_code(get_json(api_client, PROVINCES, {"year": 2023}))["01"]["companies"] == 1


def test_summary(api_client, sector):
    body = get_json(api_client, SUMMARY)
    assert set(body) == {
        "computed_at",
        "currency",
        "latest_year",
        "revenue_by_year",
        "growth",
        "target",
        "exporting_companies",
        "markets",
        "top_markets",
        "top_categories",
    }
    assert body["latest_year"] == 2024
    assert body["revenue_by_year"] == get_json(api_client, REVENUE)["revenue_by_year"]
    assert body["exporting_companies"] == {"count": 3, "verified": 1}
    assert body["markets"] == {"count": 3, "verified": 2}  # JP, KR, US; Alpha (verified) in JP and US
    assert body["top_markets"] == get_json(api_client, MARKETS)["results"]
    assert body["top_categories"] == get_json(api_client, CATEGORIES)["results"]


def test_top_lists_stop_at_ten(api_client, make_company, source):
    company = make_company(name="Everywhere", markets=["JP"])
    for country in ["US", "KR", "SG", "TH", "DE", "FR", "GB", "AU", "CA", "LA", "KH"]:
        export_market_create(company=company, country=country, kind=MarketKind.EXPORT_SALES, source=source)
    body = get_json(api_client, SUMMARY)
    assert body["markets"]["count"] == 12
    assert len(body["top_markets"]) == 10
    assert len(get_json(api_client, MARKETS)["results"]) == 12


# --- query parameters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url_name", "params", "field", "message"),
    [
        (REVENUE, {"from_year": 2024, "to_year": 2022}, "to_year", "to_year (2022) is before from_year (2024)."),
        (
            REVENUE,
            {"from_year": 2010},
            "from_year",
            "2010 is outside the years with export revenue figures: 2022 to 2024.",
        ),
        (REVENUE, {"to_year": 2025}, "to_year", "2025 is outside the years with export revenue figures: 2022 to 2024."),
        (REVENUE, {"from_year": "last"}, "from_year", "A valid integer is required."),
        (REVENUE, {"from_year": 1800}, "from_year", "Ensure this value is greater than or equal to 1900."),
        (MARKETS, {"year": "2024x"}, "year", "A valid integer is required."),
        (PROVINCES, {"year": 3000}, "year", "Enter a year from 1900 to"),
        (CATEGORIES, {"yaer": 2024}, "yaer", "Unknown query parameter. Valid parameters: format, year."),
        (SUMMARY, {"year": 2024}, "year", "Unknown query parameter. Valid parameters: format."),
        (TARGET, {"from_year": 2024}, "from_year", "Unknown query parameter. Valid parameters: format."),
        (REVENUE, {"year": 2024}, "year", "Unknown query parameter. Valid parameters: format, from_year, to_year."),
    ],
)
def test_invalid_parameters_are_a_400_naming_them(api_client, sector, url_name, params, field, message):
    body = get_json(api_client, url_name, params, status=400)
    assert list(body) == [field]
    assert body[field][0].startswith(message), body


def test_a_repeated_parameter_is_a_400(api_client, sector):
    response = api_client.get("/api/v1/indicators/markets/?year=2023&year=2024")
    assert response.status_code == 400
    assert list(response.json()) == ["year"]


def test_a_span_without_any_figures_is_a_400(api_client, db):
    body = get_json(api_client, REVENUE, {"from_year": 2020}, status=400)
    assert body == {"from_year": ["No export revenue is recorded yet, so there is no span to choose."]}


def test_an_empty_parameter_is_no_parameter(api_client, sector):
    assert get_json(api_client, MARKETS, {"year": ""})["year"] == 2024


@pytest.mark.parametrize("url_name", ALL)
def test_indicators_are_read_only(api_client, db, url_name):
    assert api_client.post(reverse(url_name), {}, format="json").status_code == 405


# --- query counts and the cache ----------------------------------------------------------------------


EXPECTED_QUERIES = {SUMMARY: 6, REVENUE: 1, TARGET: 2, MARKETS: 3, CATEGORIES: 2, PROVINCES: 2}


@pytest.mark.parametrize("url_name", ALL)
def test_query_count_does_not_grow_with_the_registry(api_client, make_companies, url_name):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api_client.get(reverse(url_name)).status_code == 200
        return len(captured)

    make_companies(2)
    few = queries()
    make_companies(6)
    assert queries() == few == EXPECTED_QUERIES[url_name]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans: the suite's PostgreSQL pass")
@pytest.mark.parametrize("url_name", [SUMMARY, MARKETS, CATEGORIES, PROVINCES])
def test_no_query_searches_a_subquery_for_every_row(api_client, make_companies, url_name):
    # A subquery run for each row is fine as an index lookup, not as a search of all its rows: a hashed one
    # is searched linearly once its rows outgrow work_mem. The category breakdown ran for minutes so at
    # 1,000,000 companies (companies.indicators._exporting).
    make_companies(3)
    with CaptureQueriesContext(connection) as captured:
        assert api_client.get(reverse(url_name)).status_code == 200
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            cursor.execute(f"EXPLAIN {query['sql']}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "hashed SubPlan" not in plan, plan
            assert not re.search(r"SubPlan \d+\n\s*->  (Materialize|Seq Scan)", plan), plan


@pytest.mark.parametrize("url_name", ALL)
def test_a_second_request_within_the_cache_window_runs_no_query(api_client, sector, settings, url_name):
    settings.INDICATORS_CACHE_SECONDS = 60
    first = api_client.get(reverse(url_name))
    with CaptureQueriesContext(connection) as captured:
        second = api_client.get(reverse(url_name))
    assert len(captured) == 0
    assert second.json() == first.json()


def test_cached_figures_lag_until_the_cache_expires(api_client, sector, settings, revenue):
    from django.core.cache import cache

    settings.INDICATORS_CACHE_SECONDS = 60
    assert by_year(get_json(api_client, REVENUE))[2024]["amount_usd"] == "2100.00"
    revenue(sector["gamma"], 2024, 400)
    cached = get_json(api_client, REVENUE)
    assert by_year(cached)[2024]["amount_usd"] == "2100.00"  # served from the cache, computed_at unchanged
    cache.clear()  # the window passes
    fresh = get_json(api_client, REVENUE)
    assert by_year(fresh)[2024]["amount_usd"] == "2500.00"
    assert fresh["computed_at"] > cached["computed_at"]


def test_the_cache_key_includes_the_parameters(api_client, sector, settings):
    settings.INDICATORS_CACHE_SECONDS = 60
    assert get_json(api_client, MARKETS)["year"] == 2024
    assert get_json(api_client, MARKETS, {"year": 2023})["year"] == 2023
    # The span is checked against the cached series: still a 400, and no query.
    get_json(api_client, REVENUE)
    with CaptureQueriesContext(connection) as captured:
        get_json(api_client, REVENUE, {"from_year": 2024, "to_year": 2022}, status=400)
        assert get_json(api_client, REVENUE, {"from_year": 2023})["growth"]["from_year"] == 2023
    assert len(captured) == 0


def test_everyone_reads_the_same_figures(client_as, world):
    """Indicators do not depend on who asks: unverified figures count for everyone (as self-reported)."""
    bodies = [client_as(role).get(reverse(REVENUE)).json() for role in ("anonymous", "officer", "read_key")]
    for body in bodies:
        body.pop("computed_at")
    assert bodies[0] == bodies[1] == bodies[2]
    # The world's company is unverified and its figure verified: the counts and amounts say which is which.
    [year] = bodies[0]["revenue_by_year"]
    assert (year["companies"], year["verified_companies"], year["verified_share"]) == (1, 0, 1.0)


def test_a_stale_result_is_served_while_it_is_computed_again_in_the_background(
    api_client, sector, settings, revenue, refreshes
):
    """Past the window, every request gets the previous result at once (no query), and the first one has it
    computed again in the background, once; then the new figures are served."""
    from django.core.cache import cache

    settings.INDICATORS_CACHE_SECONDS = 60
    first = get_json(api_client, REVENUE)
    revenue(sector["gamma"], 2024, 400)
    [key] = [key for key in cache._cache if "indicators:v1:revenue-by-year" in key]  # LocMemCache's store
    key = key.split(":", 2)[2]  # without the cache's own prefix and version
    fresh_until, computed_at, result = cache.get(key)
    cache.set(key, (0, computed_at, result), 600)  # the window has passed
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            stale = get_json(api_client, REVENUE)
        assert len(captured) == 0
        assert stale == first
    assert len(refreshes.waiting) == 1  # the second request found the first one's refresh under way
    assert cache.get(f"{key}:refreshing") is not None  # held by that refresh
    assert refreshes.run() == 1
    assert cache.get(f"{key}:refreshing") is None
    with CaptureQueriesContext(connection) as captured:
        recomputed = get_json(api_client, REVENUE)
    assert len(captured) == 0  # fresh again: from the cache
    assert by_year(recomputed)[2024]["amount_usd"] == "2500.00"
    assert recomputed["computed_at"] > first["computed_at"]


def test_the_summary_says_when_its_oldest_part_was_computed(api_client, sector, settings):
    settings.INDICATORS_CACHE_SECONDS = 60
    # The summary's markets part, computed first (its year given: the revenue series is not computed yet);
    # the summary then computes its other parts, later.
    markets = get_json(api_client, MARKETS, {"year": 2024})
    summary = get_json(api_client, SUMMARY)
    assert summary["computed_at"] == markets["computed_at"]
    assert summary["top_markets"] == markets["results"]


# --- the schema describes the answers ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_client_generated_from_the_schema_parses_every_indicator(generated_client, live_server, national, source):
    """openapi-python-client's models parse each answer strictly (types, required fields, nulls), so the
    schema's response shapes are what the API sends, with figures and without (nulls)."""
    source_upsert(key="mic-2025-new-year-meeting-self-reliance", title="MIC New Year meeting 2025")
    client = generated_client("client").Client(base_url=live_server.url, raise_on_unexpected_status=True)
    summary = generated_client("api.indicators.indicators_retrieve").sync(client=client)
    assert summary.latest_year == 2024
    assert summary.target.on_track is True
    assert summary.target.source.key == "mic-2025-new-year-meeting-self-reliance"
    assert summary.revenue_by_year[0].growth is None
    revenue = generated_client("api.indicators.indicators_revenue_retrieve").sync(client=client, from_year=2022)
    assert revenue.growth.from_year == 2022
    target = generated_client("api.indicators.indicators_target_retrieve").sync(client=client)
    assert target.path[-1].required_usd == "100000000000.00"
    for name in ("markets", "categories", "provinces"):
        breakdown = generated_client(f"api.indicators.indicators_{name}_retrieve").sync(client=client)
        assert breakdown.year == 2024
    provinces = generated_client("api.indicators.indicators_provinces_retrieve").sync(client=client)
    assert [item.code for item in provinces.results] == ["01"]
    assert provinces.results[0].verified_share == 0.0  # 2024 is unverified
    # With a 400, documented.
    response = generated_client("api.indicators.indicators_revenue_retrieve").sync_detailed(
        client=generated_client("client").Client(base_url=live_server.url), from_year=2030
    )
    assert response.status_code == 400


# --- no indicator discloses one company's unverified figure ------------------------------------------


def test_an_unverified_figure_of_fewer_than_three_companies_is_left_out(api_client, settings, sector, revenue):
    """2024: Alpha's total (1,500) is its only unverified one, beside Beta's verified 600; the JP figure is
    verified. With the default threshold, no indicator may add Alpha's 1,500, which anyone could then read."""
    settings.INDICATORS_MIN_UNVERIFIED_COMPANIES = 3
    year_2024 = by_year(get_json(api_client, REVENUE))[2024]
    assert (year_2024["amount_usd"], year_2024["verified_usd"], year_2024["verified_share"]) == (
        "600.00",
        "600.00",
        1.0,
    )
    assert year_2024["companies"] == 2  # still counted as reporting companies: only the money is withheld
    provinces = by_code(get_json(api_client, PROVINCES, {"year": 2024}))
    assert provinces["01"]["amount_usd"] == "0.00"  # Hà Nội: only Alpha's unverified total
    assert provinces["79"]["amount_usd"] == "600.00"
    markets = by_code(get_json(api_client, MARKETS, {"year": 2024}))
    assert markets["KR"]["amount_usd"] == "0.00"  # Gamma's unverified KR figure alone
    assert markets["JP"]["amount_usd"] == "900.00"


def test_unverified_figures_of_enough_companies_are_counted(api_client, settings, sector, make_company, revenue):
    settings.INDICATORS_MIN_UNVERIFIED_COMPANIES = 3
    for name in ("Epsilon", "Zeta"):
        revenue(make_company(name=name, province="01"), 2024, 100)
    year_2024 = by_year(get_json(api_client, REVENUE))[2024]
    # Three companies' unverified totals (Alpha, Epsilon, Zeta) beside Beta's verified one: all disclosed.
    assert year_2024["amount_usd"] == "2300.00"
    assert year_2024["verified_usd"] == "600.00"
    assert by_code(get_json(api_client, PROVINCES, {"year": 2024}))["01"]["amount_usd"] == "1700.00"
