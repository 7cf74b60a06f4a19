"""The filter sets build their form class once per class and copy their filters shallowly
(``registry.filters.FilterSet``): each request still gets a form and filters of its own, so one request's
values, errors and results never reach another's."""

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


def test_each_filterset_has_filters_of_its_own(world):
    first, second = filterset(f"search={world.own.name}"), filterset(f"search={world.other.name}")
    for each in (first, second):
        assert each.is_valid(), each.errors
        assert set(each.filters) == set(CompanyFilterSet.base_filters)
        for name, filter_ in each.filters.items():
            assert filter_ is not CompanyFilterSet.base_filters[name]
            assert filter_.parent is each
            assert filter_.model is Company
    # A method filter calls the method of the filter set it was copied for.
    assert first.filters["search"].filter.f is first.filters["search"]
    assert not hasattr(CompanyFilterSet.base_filters["search"], "parent")
    # Each answers its own search, also when the other was filtered in between.
    first_codes = first.qs
    assert list(second.qs.values_list("tax_code", flat=True)) == [world.other.tax_code]
    assert list(first_codes.values_list("tax_code", flat=True)) == [world.own.tax_code]
