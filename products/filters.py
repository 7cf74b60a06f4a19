"""Query-string filters for products (django-filter)."""

import django_filters

from companies.filters import CompanyByTaxCodeFilter, ProvinceFilter
from companies.models import VerificationState
from registry.filters import (
    CountryCodesFilter,
    NullsLastOrderingFilter,
    SearchFilterSet,
    StrictBooleanFilter,
    invalid_choice_message,
)

from .models import Category, Maturity, Product, Standard


class ProductFilterSet(SearchFilterSet):
    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.all(),
        to_field_name="slug",
        method="filter_category",
        error_messages={
            "invalid_choice": "“%(value)s” is not a category slug; the valid slugs are listed at /api/v1/categories/."
        },
        help_text="Category slug (see /api/v1/categories/); includes its subcategories.",
    )
    company = CompanyByTaxCodeFilter(help_text="Enterprise code (tax code) of the company that makes the product.")
    province = ProvinceFilter(
        field_name="company__province_id",
        help_text="Two-digit code of the maker's provincial unit (see /api/v1/provinces/), e.g. 01.",
    )
    verified = StrictBooleanFilter(
        method="filter_verified", help_text="true: products of verified companies only; false: the others."
    )
    market = CountryCodesFilter(
        method="filter_market",
        help_text="ISO 3166-1 alpha-2 code of a foreign country the product is sold in; a comma-separated list matches any.",
    )
    standard = django_filters.ModelChoiceFilter(
        queryset=Standard.objects.all(),
        to_field_name="code",
        field_name="standards",
        error_messages={
            "invalid_choice": "“%(value)s” is not a standard code; the valid codes are listed at /api/v1/standards/."
        },
        help_text="Code of a standard the product complies with (see /api/v1/standards/), e.g. iso-iec-7816.",
    )
    certified = StrictBooleanFilter(
        method="filter_certified", help_text='true: certified "Make in Vietnam" products only; false: the others.'
    )
    maturity = django_filters.ChoiceFilter(
        choices=Maturity.choices,
        error_messages=invalid_choice_message(Maturity.values, "maturity"),
        help_text="Maturity of the product.",
    )
    ordering = NullsLastOrderingFilter(
        fields=(("name", "name"), ("launch_year", "launch_year")),
        help_text="Sort by name or launch_year; prefix - for descending. Default: by relevance when searching, else by name.",
    )

    # The market after the other filters: a page of products of a category sold in a market is then read from
    # the market index, with the filters before it (ProductQuerySet.in_markets).
    applied_last = ("market", "search")

    class Meta:
        model = Product
        fields: list[str] = []

    def filter_category(self, queryset, name, value):
        if self.form.cleaned_data.get("market"):
            return queryset  # filter_market reads both in one index range (the planner misjudges the two together)
        return queryset.in_category(value)

    def filter_market(self, queryset, name, value):
        return queryset.in_markets(value, category=self.form.cleaned_data.get("category"))

    def filter_verified(self, queryset, name, value):
        if value:
            return queryset.filter(company__verification=VerificationState.VERIFIED)
        return queryset.exclude(company__verification=VerificationState.VERIFIED)

    def filter_certified(self, queryset, name, value):
        return queryset.certified(value)
