"""The filter sets build their form class once per class (``registry.filters.FilterSet``): each request
still gets a form of its own, so one request's values and errors never reach another's."""

from django.http import QueryDict

from companies.filters import ChangeEventFilterSet, CompanyFilterSet
from companies.models import Company
from products.filters import ProductFilterSet
from products.models import Product


def filterset(query: str, filterset_class=CompanyFilterSet, model=Company):
    return filterset_class(QueryDict(query), queryset=model.objects.all())


def test_one_form_class_per_filterset_class():
    assert filterset("province=01").get_form_class() is filterset("verified=true").get_form_class()
    forms = {
        filterset("", CompanyFilterSet, Company).get_form_class(),
        filterset("", ProductFilterSet, Product).get_form_class(),
        filterset("", ChangeEventFilterSet, Company).get_form_class(),
    }
    assert len(forms) == 3
    assert set(filterset("").form.fields) == set(CompanyFilterSet.base_filters)
    assert set(filterset("", ProductFilterSet, Product).form.fields) == set(ProductFilterSet.base_filters)


def test_each_filterset_has_a_form_of_its_own(db):
    refused, accepted = filterset("province=99&verified=maybe"), filterset("province=01")
    assert not refused.is_valid()
    assert set(refused.errors) == {"province", "verified"}
    assert accepted.is_valid(), accepted.errors
    assert accepted.form.cleaned_data["province"] == "01"
    assert accepted.form is not refused.form
    assert accepted.form.fields["province"] is not refused.form.fields["province"]
