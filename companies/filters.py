"""Query-string filters for companies (django-filter)."""

import django_filters
from django import forms
from django.apps import apps
from django.db import models
from django.utils.choices import CallableChoiceIterator
from django.utils.functional import lazy

from registry.filters import (
    ChoiceInFilter,
    CountryCodesFilter,
    FilterSet,
    FixedChoices,
    NullsLastOrderingFilter,
    SearchFilterSet,
    StrictBooleanFilter,
    WholeNumberFilter,
    YearFilter,
    invalid_choice_message,
)

from .models import ChangeEvent, Company, Ownership, VerificationState
from .provinces import PROVINCE_CHOICES
from .querysets import product_maturity_choices
from .validators import NO_SUCH_COMPANY, normalize_tax_code


class TaxCodeChoiceField(django_filters.fields.ModelChoiceField):
    """A company chosen by its enterprise code, written with or without spaces, dots or dashes."""

    def to_python(self, value):
        try:
            value = normalize_tax_code(value) if value not in self.empty_values else value
        except forms.ValidationError:
            pass  # not a valid code: the lookup below reports it as no such company
        return super().to_python(value)


class CompanyByTaxCodeFilter(django_filters.ModelChoiceFilter):
    field_class = TaxCodeChoiceField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", Company.objects.all())
        kwargs.setdefault("to_field_name", "tax_code")
        kwargs.setdefault("error_messages", {"invalid_choice": NO_SUCH_COMPANY.format(code="%(value)s")})
        super().__init__(*args, **kwargs)


def _categories(request):
    # products depends on companies, not the other way round: the category model is named, not imported.
    return apps.get_model("products", "Category").objects.all()


def _invalid_maturity_message() -> str:
    values = [value for value, _label in product_maturity_choices()]
    return invalid_choice_message(values, "maturity")["invalid_choice"]


class CompanyFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        start, end = data.get("founded_from"), data.get("founded_to")
        if start is not None and end is not None and start > end:
            self.add_error("founded_to", "founded_to must not be before founded_from.")
        return data


class ProvinceFilter(django_filters.ChoiceFilter):
    """A provincial unit by its two-digit code; ``field_name`` leads to the province's code."""

    choices = FixedChoices(PROVINCE_CHOICES)
    error_messages = invalid_choice_message([code for code, _name in PROVINCE_CHOICES], "province code")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", self.choices)
        kwargs.setdefault("error_messages", self.error_messages)
        super().__init__(*args, **kwargs)


class CompanyFilterSet(SearchFilterSet):
    province = ProvinceFilter(
        field_name="province_id",
        help_text="Two-digit code of one of the 34 provincial units (see /api/v1/provinces/), e.g. 01.",
    )
    category = django_filters.ModelChoiceFilter(
        queryset=_categories,
        to_field_name="slug",
        method="filter_category",
        error_messages={
            "invalid_choice": "“%(value)s” is not a category slug; the valid slugs are listed at /api/v1/categories/."
        },
        help_text="Category slug (see /api/v1/categories/): companies with a product in it or in a subcategory.",
    )
    market = CountryCodesFilter(
        method="filter_market",
        help_text="ISO 3166-1 alpha-2 code of a foreign country; a comma-separated list matches any of them.",
    )
    verified = StrictBooleanFilter(
        method="filter_verified", help_text="true: verified companies only; false: the others."
    )
    maturity = django_filters.ChoiceFilter(
        # Read when first iterated (products' model is not imported here), and not callable, so that the
        # OpenAPI schema lists the values too.
        choices=CallableChoiceIterator(product_maturity_choices),
        method="filter_maturity",
        error_messages={"invalid_choice": lazy(_invalid_maturity_message, str)()},
        help_text="Companies with at least one product of this maturity.",
    )
    ownership = django_filters.ChoiceFilter(
        choices=Ownership.choices,
        error_messages=invalid_choice_message(Ownership.values, "ownership type"),
        help_text="Ownership type.",
    )
    founded_from = YearFilter(field_name="founded_year", lookup_expr="gte", help_text="Founded in this year or later.")
    founded_to = YearFilter(field_name="founded_year", lookup_expr="lte", help_text="Founded in this year or earlier.")
    min_export_revenue = django_filters.NumberFilter(
        field_name="latest_export_revenue_usd",
        lookup_expr="gte",
        min_value=0,
        help_text="Minimum total export revenue in USD in the company's latest reported year.",
    )
    ordering = NullsLastOrderingFilter(
        fields=(
            ("name", "name"),
            ("founded_year", "founded_year"),
            ("latest_export_revenue_usd", "export_revenue"),
        ),
        help_text=(
            "Sort by name, founded_year or export_revenue (latest year); prefix - for descending. "
            "Default: by relevance when searching, else by name."
        ),
    )

    class Meta:
        model = Company
        form = CompanyFilterForm
        fields: list[str] = []

    def filter_category(self, queryset, name, value: models.Model):
        # The hint tells the schema generator the parameter is a plain string (the category's slug).
        return queryset.with_products_in_category(value)

    def filter_market(self, queryset, name, value):
        return queryset.in_markets(value)

    def filter_maturity(self, queryset, name, value: str):
        return queryset.with_products_of_maturity(value)

    def filter_verified(self, queryset, name, value):
        if value:
            return queryset.filter(verification=VerificationState.VERIFIED)
        return queryset.exclude(verification=VerificationState.VERIFIED)


CHANGE_OBJECT_TYPES = ["company", "export_market", "export_revenue", "product"]


class ChangeEventFilterSet(FilterSet):
    since = WholeNumberFilter(
        field_name="id",
        lookup_expr="gt",
        min_value=0,
        help_text="The cursor: changes after this one (the `next_since` of the previous page; 0 or absent: from the start).",
    )
    object_type = ChoiceInFilter(
        choices=[(kind, kind) for kind in CHANGE_OBJECT_TYPES],
        lookup_expr="in",
        error_messages=invalid_choice_message(CHANGE_OBJECT_TYPES, "object type"),
        help_text="Only changes of these kinds of record; a comma-separated list means any of them.",
    )

    class Meta:
        model = ChangeEvent
        fields: list[str] = []
