"""Filter building blocks every app's FilterSets share.

They are strict: a value that is not valid is a form error (an HTTP 400 naming the parameter and what is
valid), never silently ignored and never an empty page.
"""

import copy

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import QueryDict
from django.utils.choices import BaseChoiceIterator
from django_countries import countries

from .models import HOME_COUNTRY

TRUE_VALUES = {"true", "1", "yes"}
FALSE_VALUES = {"false", "0", "no"}


def invalid_choice_message(valid_values, what: str = "value") -> dict[str, str]:
    """``error_messages`` for a choice field whose error lists the valid values."""
    listed = ", ".join(str(value) for value in valid_values)
    return {"invalid_choice": f"“%(value)s” is not a valid {what}. Valid values: {listed}."}


class StrictBooleanField(forms.Field):
    """``true``/``false`` (also ``1``/``0``, ``yes``/``no``); anything else is an error, not "no filter"."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        lowered = str(value).strip().lower()
        if lowered in TRUE_VALUES:
            return True
        if lowered in FALSE_VALUES:
            return False
        raise forms.ValidationError("Enter true or false.", code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class WholeNumberFilter(django_filters.NumberFilter):
    """A whole number: ``0.5`` is an error (NumberFilter's own form field takes decimals)."""

    field_class = forms.IntegerField


class YearFilter(WholeNumberFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1900)
        kwargs.setdefault("max_value", 2100)
        kwargs.setdefault("error_messages", {"invalid": "Enter a year: a whole number from 1900 to 2100."})
        super().__init__(*args, **kwargs)


class FixedChoices(BaseChoiceIterator):
    """Choices that never change (countries, provinces), shared rather than copied: django-filter and
    Django forms deep-copy every filter and form field on every request, and copying 248 countries was a
    quarter of a list request's time."""

    def __init__(self, choices):
        self._choices = tuple(choices)

    def __iter__(self):
        return iter(self._choices)

    def __len__(self) -> int:
        return len(self._choices)

    def __deepcopy__(self, memo):
        return self


FOREIGN_COUNTRY_CHOICES = FixedChoices((code, name) for code, name in countries if code != HOME_COUNTRY)


class UpperCaseChoiceField(forms.ChoiceField):
    def to_python(self, value):
        return super().to_python(value).strip().upper()

    def validate(self, value):
        if value == "":
            raise forms.ValidationError("An empty country code: remove the extra comma.", code="invalid_choice")
        super().validate(value)


class ChoiceInFilter(django_filters.BaseInFilter, django_filters.ChoiceFilter):
    """Comma-separated values, each one of the choices; matches any of them."""


class CountryCodesFilter(ChoiceInFilter):
    """One or more ISO 3166-1 alpha-2 codes of foreign countries, comma-separated; matches any of them.
    An empty item (``market=JP,`` or ``market=,``) is an error, not a silent "matches nothing"."""

    field_class = UpperCaseChoiceField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", FOREIGN_COUNTRY_CHOICES)
        kwargs.setdefault(
            "error_messages",
            {
                "invalid_choice": (
                    "“%(value)s” is not the ISO 3166-1 alpha-2 code of a foreign country: "
                    "use two letters such as JP, US or KH (VN is the home country, not a market)."
                )
            },
        )
        super().__init__(*args, **kwargs)


class NullsLastOrderingFilter(django_filters.OrderingFilter):
    """Ordering with empty values last in both directions and the primary key as the final tie-breaker,
    so pages never overlap. An invalid or empty item is a 400 that lists the valid values."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        valid = ", ".join(value for value, _label in self.extra["choices"])
        self.extra["error_messages"] = {
            "invalid_choice": f"“%(value)s” is not a valid ordering. Valid values: {valid}.",
            "invalid_list": "Enter a comma-separated list of orderings.",
        }

    def filter(self, qs, value):
        if not value:
            return qs
        if "" in value:
            raise ValidationError({"ordering": ["An empty ordering: remove the extra comma."]})
        expressions = []
        for param in value:
            descending = param.startswith("-")
            field = self.param_map[param.lstrip("-")]
            expression = F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
            expressions.append(expression)
        return qs.order_by(*expressions, "pk")


class FilterSet(django_filters.FilterSet):
    """django-filter's FilterSet, without rebuilding for each request what does not change with it. Every
    filter's choices and querysets are fixed here, and no filter keeps anything of a request but its
    ``parent``.

    - The form class is built once per FilterSet class. django-filter builds a new one (a class statement's
      work, metaclass included) for every request, from the fields of the request's copies of the filters;
      each form copies its fields anyway.
    - A request's filters are shallow copies of the class's, each given its ``model``, ``parent`` and (for a
      ``method`` filter) its own bound method. django-filter deep-copies them, with their choices and
      querysets: 170-200 µs a request for the company and product filters, 20 µs copied so."""

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        # BaseFilterSet.__init__ (django-filter 26.2), but for how the filters are copied.
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {}
        for name, base_filter in self.base_filters.items():
            filter_ = copy.copy(base_filter)
            filter_.model = queryset.model
            filter_.parent = self
            if filter_.method is not None:
                filter_.method = filter_.method  # bound to this copy, not to the class's filter
            self.filters[name] = filter_

    def get_form_class(self):
        form_class = type(self).__dict__.get("_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            type(self)._form_class = form_class
        return form_class


class SearchFilterSet(FilterSet):
    """A FilterSet with a ``search`` filter (the queryset's ``search()`` method) whose results, unless
    an ``ordering`` is asked for, come by relevance: name matches first."""

    search = django_filters.CharFilter(
        method="filter_search",
        max_length=200,
        help_text=(
            "Accent- and case-insensitive search (“phan mem ke toan” finds “Phần mềm kế toán”); every word "
            "must match; names that begin with the phrase rank first, then names with the phrase, then names "
            "with every word, then the rest, each by name. At most 200 characters."
        ),
    )

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    # Filters applied after all the others, in this order. The search goes last: its ranks of results are then
    # read from the queryset the other filters made, the ranks of names from the order index alone
    # (registry.search.SearchableQuerySet).
    applied_last: tuple[str, ...] = ("search",)

    def filter_queryset(self, queryset):
        chosen = self.form.cleaned_data
        for name in [*(name for name in chosen if name not in self.applied_last), *self.applied_last]:
            queryset = self.filters[name].filter(queryset, chosen.get(name))
        if chosen.get("search") and not chosen.get("ordering"):
            queryset = queryset.by_relevance()
        return queryset
