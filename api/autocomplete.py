"""``GET /api/v1/autocomplete/?q=...``: the best company and product names for what was typed so far, for
search boxes. The cheapest endpoint of the API: three tiers a kind, the later ones time-limited on PostgreSQL
(each read at most twice, ``registry.search.read_within``), no count, no pagination."""

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from companies.selectors import company_suggestions
from products.selectors import product_suggestions
from registry.search import MAX_SUGGESTION_QUERY_LENGTH, TimeBudget

from .filtering import StrictQueryParametersMixin
from .schema import ERROR_RESPONSES

SUGGESTIONS_PER_KIND = 10


def _letter_or_digit_pattern() -> str:
    """A regular expression that finds a character ``str.isalnum()`` accepts (``validate_q``'s rule), written
    as the explicit ranges of those characters: regex engines disagree on ``[\\p{L}\\p{N}]`` (some read it
    as Latin letters only), and the schema's pattern must mean the same to every client and validator. No
    character above U+3FFFF is a letter or digit."""
    ranges, start = [], None
    for code in range(0x40001):
        if code < 0x40000 and chr(code).isalnum():
            start = code if start is None else start
        elif start is not None:
            ranges.append(chr(start) if start == code - 1 else f"{chr(start)}-{chr(code - 1)}")
            start = None
    return f"[{''.join(ranges)}]"


LETTER_OR_DIGIT_PATTERN = _letter_or_digit_pattern()


class AutocompleteQuery(serializers.Serializer):
    q = serializers.CharField(max_length=MAX_SUGGESTION_QUERY_LENGTH)

    def validate_q(self, value: str) -> str:
        if not any(character.isalnum() for character in value):
            raise serializers.ValidationError("Type at least one letter or digit.")
        return value


class CompanySuggestionSerializer(serializers.Serializer):
    kind = serializers.SerializerMethodField()
    id = serializers.CharField(source="tax_code", help_text="The company's enterprise code (tax code).")
    name = serializers.CharField()
    url = serializers.SerializerMethodField(help_text="The company's API URL.")

    @extend_schema_field({"type": "string", "enum": ["company"]})
    def get_kind(self, company) -> str:
        return "company"

    def get_url(self, company) -> str:
        return self.context["request"].build_absolute_uri(
            reverse("company-detail", kwargs={"tax_code": company.tax_code})
        )


class ProductSuggestionSerializer(serializers.Serializer):
    kind = serializers.SerializerMethodField()
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    company = serializers.CharField(source="company.tax_code", help_text="Enterprise code of the maker.")
    company_name = serializers.CharField(source="company.name")
    url = serializers.SerializerMethodField(help_text="The product's API URL.")

    @extend_schema_field({"type": "string", "enum": ["product"]})
    def get_kind(self, product) -> str:
        return "product"

    def get_url(self, product) -> str:
        return self.context["request"].build_absolute_uri(reverse("product-detail", kwargs={"pk": product.pk}))


class SuggestionsSerializer(serializers.Serializer):
    query = serializers.CharField(help_text="The text the suggestions are for, as received.")
    companies = CompanySuggestionSerializer(many=True, help_text=f"At most {SUGGESTIONS_PER_KIND}.")
    products = ProductSuggestionSerializer(many=True, help_text=f"At most {SUGGESTIONS_PER_KIND}.")


class AutocompleteView(StrictQueryParametersMixin, APIView):
    permission_classes = [AllowAny]
    query_parameters = {"q"}

    @extend_schema(
        operation_id="autocomplete",
        summary="Suggest company and product names",
        description=(
            "The best names for what was typed so far, accent- and case-insensitive: first names that begin "
            "with the typed text, then names in which the typed words begin a word together, then names in "
            "which every typed word begins a word, each group in alphabetical order; at most "
            f"{SUGGESTIONS_PER_KIND} companies and {SUGGESTIONS_PER_KIND} products, among those the caller may "
            "see. Answered at once: a later group that takes too long to find is left out. For the full search, "
            "use `search` on the lists."
        ),
        parameters=[
            OpenApiParameter(
                "q",
                {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": MAX_SUGGESTION_QUERY_LENGTH,
                    "pattern": LETTER_OR_DIGIT_PATTERN,
                },
                required=True,
                description=f"What was typed so far, e.g. `viet` or `phan mem ke`; 1 to "
                f"{MAX_SUGGESTION_QUERY_LENGTH} characters with at least one letter or digit.",
            )
        ],
        responses={200: SuggestionsSerializer, **{code: ERROR_RESPONSES[code] for code in (400, 401, 429)}},
    )
    def get(self, request):
        checked = AutocompleteQuery(data=request.query_params)
        checked.is_valid(raise_exception=True)
        query = checked.validated_data["q"]
        viewer = request.user
        limit, milliseconds = SUGGESTIONS_PER_KIND, settings.SUGGESTION_MILLISECONDS
        suggestions = {
            "query": query,
            "companies": company_suggestions(viewer, query, limit=limit, budget=TimeBudget(milliseconds)),
            "products": product_suggestions(viewer, query, limit=limit, budget=TimeBudget(milliseconds)),
        }
        return Response(SuggestionsSerializer(suggestions, context={"request": request}).data)
