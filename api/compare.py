"""``GET /api/v1/companies/compare/?tax_codes=A,B``: 2 to 10 companies side by side (``companies.comparison``).
The query is checked and its enterprise codes resolved to visible companies by ``CompareQuery``; the answer
is drawn by ``ComparisonSerializer``; the view (``CompanyViewSet.compare``) only wires them to the domain."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from companies.comparison import MAX_COMPANIES, MIN_COMPANIES, companies_to_compare
from companies.models import Company, MarketKind
from companies.validators import NO_SUCH_COMPANY, normalize_tax_code
from products.models import Maturity

from .schema import ERROR_RESPONSES, VALIDATION_ERROR_SCHEMA
from .serializers import CategoryBriefSerializer, OutputSerializer, ProvinceBriefSerializer, StandardBriefSerializer

# --- input -------------------------------------------------------------------------------------------------


class CompareQuery(serializers.Serializer):
    """``tax_codes``: 2 to 10 distinct enterprise codes, comma-separated, each written as anywhere in the API
    (spaces and dots ignored); resolved to the companies the caller (``context["viewer"]``) may see."""

    tax_codes = serializers.CharField(max_length=1000)

    def validate_tax_codes(self, value: str) -> list[str]:
        items = [item.strip() for item in value.split(",")]
        if "" in items:
            raise serializers.ValidationError("An empty enterprise code: remove the extra comma.")
        if not MIN_COMPANIES <= len(items) <= MAX_COMPANIES:
            raise serializers.ValidationError(
                f"Give {MIN_COMPANIES} to {MAX_COMPANIES} enterprise codes, separated by commas ({len(items)} given)."
            )
        codes, errors = [], []
        for item in items:
            try:
                codes.append(normalize_tax_code(item))
            except DjangoValidationError as error:
                errors.extend(f"“{item}”: {message}" for message in error.messages)
        if errors:
            raise serializers.ValidationError(errors)
        repeated = [code for index, code in enumerate(codes) if code in codes[:index]]
        if repeated:
            raise serializers.ValidationError(
                [f"“{code}” is given more than once: compare distinct companies." for code in dict.fromkeys(repeated)]
            )
        return codes

    def validate(self, data: dict) -> dict:
        codes = data["tax_codes"]
        found = companies_to_compare(self.context["viewer"], codes)
        missing = [code for code in codes if code not in found]
        if missing:
            raise serializers.ValidationError({"tax_codes": [NO_SUCH_COMPANY.format(code=code) for code in missing]})
        return {"companies": [found[code] for code in codes]}


# --- output ------------------------------------------------------------------------------------------------


class ReadOnlySerializer(serializers.Serializer):
    # A response part: every field read-only, hence always present, as in ``OutputSerializer``. (A comment, not
    # a docstring: the schema would show it as the description of every part.)

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.read_only = True
        return fields


class ComparedCategoryProductsSerializer(ReadOnlySerializer):
    category = CategoryBriefSerializer()
    products = serializers.IntegerField(help_text="The company's products in this category.")
    certified = serializers.IntegerField(help_text="Of those, the ones certified as “Make in Vietnam” products.")


ComparedMaturityCountsSerializer = type(
    "ComparedMaturityCountsSerializer",
    (ReadOnlySerializer,),
    {
        "__doc__": "How many of the company's products are at each stage; every stage is listed, 0 included.",
        "__module__": __name__,
        **{
            value: serializers.IntegerField(help_text=f"Products at the stage “{label}”.")
            for value, label in Maturity.choices
        },
    },
)


class ComparedProductSummarySerializer(ReadOnlySerializer):
    total = serializers.IntegerField(help_text="All the company's products.")
    by_maturity = ComparedMaturityCountsSerializer()
    by_category = ComparedCategoryProductsSerializer(
        many=True, help_text="Categories with at least one of the company's products, in the order of the tree."
    )


class ComparedMakeInVietnamSerializer(ReadOnlySerializer):
    products = serializers.IntegerField(help_text="Products certified as “Make in Vietnam” products.")
    first_certified_on = serializers.DateField(allow_null=True, help_text="The earliest certification; null: none.")
    latest_certified_on = serializers.DateField(allow_null=True, help_text="The latest certification; null: none.")


class ComparedStandardProductsSerializer(ReadOnlySerializer):
    standard = StandardBriefSerializer()
    products = serializers.IntegerField(help_text="The company's products that comply with it.")


class ComparedCertificationsSerializer(ReadOnlySerializer):
    make_in_vietnam = ComparedMakeInVietnamSerializer()
    standards = ComparedStandardProductsSerializer(
        many=True, help_text="Standards at least one of the company's products complies with, by code."
    )


class ComparedMarketPresenceSerializer(ReadOnlySerializer):
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2 code.")
    country_name = serializers.CharField(help_text="English name of the country.")
    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=MarketKind.choices),
        help_text="How the company is present there: export sales, an office, a subsidiary, a factory, a partnership.",
    )
    since_year = serializers.IntegerField(allow_null=True, help_text="Present there since; null: not known.")
    products = serializers.IntegerField(help_text="The company's products sold there.")


class ComparedRevenueFigureSerializer(ReadOnlySerializer):
    amount_usd = serializers.DecimalField(max_digits=16, decimal_places=2)
    verified = serializers.BooleanField(help_text="Verified by a ministry officer.")


class ComparedCountryRevenueFigureSerializer(ReadOnlySerializer):
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2 code.")
    country_name = serializers.CharField(help_text="English name of the country.")
    amount_usd = serializers.DecimalField(max_digits=16, decimal_places=2)
    verified = serializers.BooleanField(help_text="Verified by a ministry officer.")


class ComparedYearRevenueSerializer(ReadOnlySerializer):
    year = serializers.IntegerField()
    total = ComparedRevenueFigureSerializer(
        allow_null=True, help_text="Export revenue from all foreign markets that year; null: not reported."
    )
    countries = ComparedCountryRevenueFigureSerializer(
        many=True, help_text="Revenue from single countries, by country code."
    )


class ComparedCompanySerializer(OutputSerializer):
    """One company of a comparison: who it is, its verification, and its figures side by side with the others'."""

    url = serializers.HyperlinkedIdentityField(
        view_name="company-detail", lookup_field="tax_code", help_text="The company's page in this API."
    )
    province = ProvinceBriefSerializer()
    verified = serializers.BooleanField(
        source="is_verified", help_text="Whether a ministry officer verified the company."
    )
    products = ComparedProductSummarySerializer(source="figures.products")
    certifications = ComparedCertificationsSerializer(source="figures.certifications")
    markets = ComparedMarketPresenceSerializer(
        many=True, source="figures.markets", help_text="Foreign countries the company is present in, by code."
    )
    export_revenue = ComparedYearRevenueSerializer(
        many=True,
        source="figures.export_revenue",
        help_text="Years with export revenue figures, newest first. Unverified figures are shown only to the "
        "company's representatives and ministry officers.",
    )

    class Meta:
        model = Company
        fields = [
            "tax_code",
            "name",
            "name_en",
            "short_name",
            "url",
            "province",
            "founded_year",
            "ownership",
            "size_band",
            "website",
            "status",
            "verified",
            "verification",
            "verified_at",
            "products",
            "certifications",
            "markets",
            "export_revenue",
        ]


class ComparisonSerializer(ReadOnlySerializer):
    """Companies side by side, in the order asked."""

    companies = ComparedCompanySerializer(many=True, help_text="The companies, in the order of tax_codes.")
    years = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Every year any of the companies has an export revenue figure for, newest first: the columns "
        "of a side-by-side table.",
    )


# --- OpenAPI -----------------------------------------------------------------------------------------------

TAX_CODES_PARAMETER = OpenApiParameter(
    "tax_codes",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    required=True,
    description=(
        f"{MIN_COMPANIES} to {MAX_COMPANIES} distinct enterprise codes, comma-separated: 10 digits, or "
        "NNNNNNNNNN-NNN for a branch (spaces and dots are ignored). The answer keeps their order."
    ),
    examples=[
        OpenApiExample("Two companies", value="0101243150,0100109106"),
        OpenApiExample("Three companies", value="0101243150,0100109106,0101248141"),
    ],
)

COMPARE_ERROR_RESPONSES = {
    400: OpenApiResponse(
        VALIDATION_ERROR_SCHEMA,
        description=(
            f"tax_codes is missing, malformed, repeats a company, has fewer than {MIN_COMPANIES} or more than "
            f"{MAX_COMPANIES} codes, or names companies that are not in the registry or that the caller may "
            "not see (the same message for both); or another query parameter was sent."
        ),
        examples=[
            OpenApiExample("Unknown company", value={"tax_codes": [NO_SUCH_COMPANY.format(code="0100684378")]}),
            OpenApiExample(
                "Too few codes",
                value={
                    "tax_codes": [
                        f"Give {MIN_COMPANIES} to {MAX_COMPANIES} enterprise codes, separated by commas (1 given)."
                    ]
                },
            ),
        ],
    ),
    **{code: ERROR_RESPONSES[code] for code in (401, 429)},
}

compare_schema = extend_schema(
    operation_id="companies_compare",
    summary="Compare 2 to 10 companies",
    description=(
        "The companies side by side, in the order asked: verification state, products per category and "
        "maturity stage, “Make in Vietnam” certifications and standards, export markets by country, and "
        "export revenue by year (verified figures; also unverified ones for the company's representatives "
        "and ministry officers). Only companies the caller may see can be compared: active ones, and also "
        "their own for representatives, all for officers."
    ),
    parameters=[TAX_CODES_PARAMETER],
    responses={200: ComparisonSerializer, **COMPARE_ERROR_RESPONSES},
)
