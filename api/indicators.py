"""The HTTP face of the Resolution 57 indicators (``companies.indicators``): query parameters checked by a
serializer (unknown ones refused), the domain computes (and caches), output serializers render.

Anyone may read them; every caller gets the same figures (active companies, self-reported and verified
revenue, with the verified part of each figure), computed when asked and cached for
``INDICATORS_CACHE_SECONDS``."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from companies import indicators

from .fields import PastYearField
from .filtering import StrictQueryParametersMixin
from .schema import ERROR_RESPONSES, VALIDATION_ERROR_SCHEMA
from .serializers import SourceSerializer

# --- output ----------------------------------------------------------------------------------------


def _usd(help_text: str, **kwargs) -> serializers.DecimalField:
    """An amount in USD, rendered as a decimal string with two decimals ("11500000000.00")."""
    return serializers.DecimalField(max_digits=None, decimal_places=2, help_text=help_text, **kwargs)


def _rate(help_text: str, **kwargs) -> serializers.FloatField:
    """A rate as a fraction (0.31 = 31%), rounded to a millionth."""
    return serializers.FloatField(allow_null=True, help_text=help_text, **kwargs)


VERIFIED_SHARE_HELP = "verified_usd / amount_usd, from 0 to 1; null when amount_usd is 0."


class YearRevenueSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    amount_usd = _usd("Total export revenue of active companies that year: the sum of their yearly totals.")
    verified_usd = _usd("The part of amount_usd that officers verified.")
    verified_share = serializers.FloatField(allow_null=True, min_value=0, max_value=1, help_text=VERIFIED_SHARE_HELP)
    companies = serializers.IntegerField(help_text="Active companies with a yearly total that year.")
    verified_companies = serializers.IntegerField(help_text="Of those, the companies that are verified.")
    growth = _rate(
        "Growth on the previous year listed (0.31 = 31%; a yearly rate when years are missing between them); "
        "null for the first year or after a year of 0."
    )


class RevenueGrowthSerializer(serializers.Serializer):
    from_year = serializers.IntegerField(allow_null=True, help_text="First year of the span; null without figures.")
    to_year = serializers.IntegerField(allow_null=True, help_text="Last year of the span; null without figures.")
    cagr = _rate(
        "Compound annual growth of the total from from_year to to_year; null for a span of 0 years or a start of 0."
    )


class TargetPathPointSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    required_usd = _usd("The total on the path that reaches the target at required_growth.")
    trend_usd = _usd("The total if it keeps growing at trend_growth; null without a trend.", allow_null=True)


class ExportTargetSerializer(serializers.Serializer):
    year = serializers.IntegerField(source="target.year", help_text="The target year (EXPORT_TARGET_YEAR).")
    amount_usd = _usd("The national target (EXPORT_TARGET_USD).", source="target.amount_usd")
    source = SourceSerializer(source="target.source", allow_null=True, help_text="Where the target comes from.")
    latest_year = serializers.IntegerField(
        source="target.latest_year", allow_null=True, help_text="The latest year with figures; null without any."
    )
    latest_amount_usd = _usd("The total of the latest year.", source="target.latest_amount_usd", allow_null=True)
    required_growth = _rate(
        "(target / latest) ^ (1 / (target year - latest year)) - 1: the yearly growth that reaches the target "
        "(negative when the latest total is above it already); null without figures, with a latest total of 0, "
        "or once the target year is reached.",
        source="target.required_growth",
    )
    trend_from_year = serializers.IntegerField(
        source="target.trend_from_year",
        allow_null=True,
        help_text="Start of the trend: the earliest year with figures in the last EXPORT_TREND_YEARS (default 5).",
    )
    trend_growth = _rate(
        "Compound annual growth from trend_from_year to latest_year; null with fewer than two years.",
        source="target.trend_growth",
    )
    on_track = serializers.BooleanField(
        source="target.on_track",
        allow_null=True,
        help_text="trend_growth >= required_growth (after the target year: whether the target was reached); "
        "null when either is unknown.",
    )
    projected_amount_usd = _usd(
        "The latest total grown at trend_growth until the target year; null without a trend.",
        source="target.projected_amount_usd",
        allow_null=True,
    )
    path = TargetPathPointSerializer(
        source="target.path",
        many=True,
        help_text="Year by year from latest_year to the target year; empty when required_growth is null.",
    )


class IndicatorCountSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    verified = serializers.IntegerField()


class BreakdownItemSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="ISO 3166-1 alpha-2 country code, category slug, or two-digit province code."
    )
    name = serializers.CharField(
        help_text="English name of the country or category; name of the province (Vietnamese)."
    )
    amount_usd = _usd(
        "Export revenue of the year: per-country figures for a market; the yearly totals of the companies "
        "counted, for a category or province."
    )
    verified_usd = _usd("The part of amount_usd that officers verified.")
    verified_share = serializers.FloatField(allow_null=True, min_value=0, max_value=1, help_text=VERIFIED_SHARE_HELP)
    companies = serializers.IntegerField(help_text="Active companies exporting in the year counted here.")
    verified_companies = serializers.IntegerField(help_text="Of those, the companies that are verified.")


class _Computed(serializers.Serializer):
    computed_at = serializers.DateTimeField(help_text="When these figures were computed (they are cached briefly).")
    currency = serializers.ChoiceField(choices=[indicators.CURRENCY], help_text="Currency of every amount.")


class RevenueIndicatorsSerializer(_Computed):
    latest_year = serializers.IntegerField(allow_null=True, help_text="The latest year with figures.")
    revenue_by_year = YearRevenueSerializer(many=True, help_text="Every year with figures, ascending.")
    growth = RevenueGrowthSerializer()


class TargetIndicatorsSerializer(_Computed, ExportTargetSerializer):
    pass


class IndicatorBreakdownSerializer(_Computed):
    year = serializers.IntegerField(
        allow_null=True, help_text="The year of the figures; null when no revenue is recorded at all."
    )
    results = BreakdownItemSerializer(many=True, help_text="Most revenue first, then most companies.")


class IndicatorSummarySerializer(RevenueIndicatorsSerializer):
    target = ExportTargetSerializer(source="*")
    exporting_companies = IndicatorCountSerializer(
        help_text="Active companies exporting in the latest year; verified ones."
    )
    markets = IndicatorCountSerializer(
        help_text="Countries exported to in the latest year; those where a verified company exports."
    )
    top_markets = BreakdownItemSerializer(many=True, help_text="The first 10 of /indicators/markets/.")
    top_categories = BreakdownItemSerializer(many=True, help_text="The first 10 of /indicators/categories/.")


# --- input -----------------------------------------------------------------------------------------


def _year(help_text: str) -> serializers.IntegerField:
    return PastYearField(required=False, help_text=help_text)


class NoQuery(serializers.Serializer):
    pass


class RevenueQuery(serializers.Serializer):
    from_year = _year("Start of the span of growth.cagr (default: the first year with figures).")
    to_year = _year("End of the span of growth.cagr (default: the latest year with figures).")


class BreakdownQuery(serializers.Serializer):
    year = PastYearField(
        required=False,
        help_text="The year of the figures (default: the latest year with figures).",
    )


# --- views -----------------------------------------------------------------------------------------

ERRORS = {
    400: OpenApiResponse(
        VALIDATION_ERROR_SCHEMA,
        description="A query parameter is invalid or unknown; the body maps each one to its errors.",
    ),
    **{code: ERROR_RESPONSES[code] for code in (401, 429)},
}
BASIS = (
    " Computed from the registry when asked and cached briefly (`INDICATORS_CACHE_SECONDS`, 60 by "
    "default; `computed_at` says when). Basis: "
    "active companies; amounts include self-reported figures, and `verified_usd`/`verified_share` say how "
    "much rests on figures officers verified, except that the unverified figures of fewer than "
    "`INDICATORS_MIN_UNVERIFIED_COMPANIES` (3) companies are left out of a figure, so that none can be read "
    "back. A company's yearly total is its revenue figure without a country; per-country figures never add "
    "up to a total."
)


class IndicatorView(StrictQueryParametersMixin, APIView):
    """One indicator resource: the query string is checked by ``query_serializer_class`` (unknown or
    repeated parameters are a 400, as on the lists), ``compute`` asks the domain."""

    permission_classes = [AllowAny]
    query_serializer_class = NoQuery
    serializer_class = None

    @property
    def query_parameters(self) -> set[str]:
        return set(self.query_serializer_class().fields)

    def query(self, request) -> dict:
        params = request.query_params
        # An empty value is no value, as for the lists' filters.
        data = {name: params[name] for name in self.query_parameters if params.get(name)}
        serializer = self.query_serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def compute(self, **params):
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        result = self.compute(**self.query(request))
        return Response(self.serializer_class(result).data)


@extend_schema(
    summary="Resolution 57 indicators",
    description=(
        "Export revenue of the registry's firms by year with its growth, the growth the national target "
        "(`EXPORT_TARGET_USD` by `EXPORT_TARGET_YEAR`: USD 100 billion by 2035 by default) needs and whether "
        "the trend reaches it, the number of exporting companies and markets in the latest year, and the top "
        "markets and categories." + BASIS
    ),
    responses={200: IndicatorSummarySerializer, **ERRORS},
)
class IndicatorSummaryView(IndicatorView):
    serializer_class = IndicatorSummarySerializer

    def compute(self):
        return indicators.indicator_summary()


@extend_schema(
    summary="Export revenue by year and its growth",
    description="Total export revenue by year, year-on-year growth, and the compound annual growth over "
    "`from_year`..`to_year` (by default every year with figures; both must be years with figures)." + BASIS,
    parameters=[RevenueQuery],
    responses={200: RevenueIndicatorsSerializer, **ERRORS},
)
class RevenueIndicatorView(IndicatorView):
    query_serializer_class = RevenueQuery
    serializer_class = RevenueIndicatorsSerializer

    def compute(self, **span):
        return indicators.revenue_indicators(**span)


@extend_schema(
    summary="The national export target",
    description=(
        "The target (settings `EXPORT_TARGET_USD`, `EXPORT_TARGET_YEAR` and the key of its source, "
        "`EXPORT_TARGET_SOURCE`; USD 100 billion by 2035 by default) against the latest total: the yearly "
        "growth it needs, the trend (compound growth over the last `EXPORT_TREND_YEARS` years, 5 by default), "
        "whether the trend reaches it, the projected total, and both paths year by year." + BASIS
    ),
    responses={200: TargetIndicatorsSerializer, **ERRORS},
)
class TargetIndicatorView(IndicatorView):
    serializer_class = TargetIndicatorsSerializer

    def compute(self):
        return indicators.target_indicators()


class BreakdownView(IndicatorView):
    query_serializer_class = BreakdownQuery
    serializer_class = IndicatorBreakdownSerializer
    breakdown = None

    def compute(self, **params):
        return indicators.breakdown(self.breakdown, **params)


EXPORTING = (
    " A company exports in a year when it is present in a foreign market (an export market started that "
    "year or earlier, or at an unknown date) or has revenue above zero from abroad that year."
)


def _breakdown_schema(summary: str, description: str):
    return extend_schema(
        summary=summary,
        description=description + EXPORTING + BASIS,
        parameters=[BreakdownQuery],
        responses={200: IndicatorBreakdownSerializer, **ERRORS},
    )


@_breakdown_schema(
    "Export revenue by market",
    "By foreign country: the per-country revenue figures of the year, and the companies exporting there "
    "(present through an export market, or, without one, with revenue from that country that year). "
    "Per-country figures are reported for some markets only, so the markets do not add up to the total.",
)
class MarketIndicatorView(BreakdownView):
    breakdown = "markets"


@_breakdown_schema(
    "Export revenue by product category",
    "By category (`code` is its slug; each product counts in its own category, not its parent's): the "
    "exporting companies with a product in it, and their yearly totals. A company with products in several "
    "categories counts, with its whole total, in each of them, so the categories overlap and do not add "
    "up to the total.",
)
class CategoryIndicatorView(BreakdownView):
    breakdown = "categories"


@_breakdown_schema(
    "Export revenue by province",
    "By province (`code` is the two-digit province code): the exporting companies registered there and "
    "their yearly totals.",
)
class ProvinceIndicatorView(BreakdownView):
    breakdown = "provinces"
