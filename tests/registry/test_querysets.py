"""``registry.querysets.without_reading``: a queryset without the annotations and relations an answer leaves
out; what it keeps is kept as it was."""

from django.db.models import Count, Prefetch

from companies.models import Company
from products.models import Product
from registry.querysets import without_reading


def test_relations_are_no_longer_joined_or_prefetched_and_the_others_are_kept_as_they_were():
    standards = Prefetch("standards")
    products = (
        Product.objects.select_related("company__province", "category", "source")
        .prefetch_related(standards, "company__representatives")
        .annotate(standard_count=Count("standards"))
    )
    narrowed = without_reading(products, {"category", "company"})
    assert narrowed.query.select_related == {"source": {}}
    assert narrowed._prefetch_related_lookups == (standards,)
    assert list(narrowed.query.annotation_select) == ["standard_count"]
    # The queryset it was made from is not changed.
    assert products.query.select_related == {"company": {"province": {}}, "category": {}, "source": {}}
    assert len(products._prefetch_related_lookups) == 2


def test_a_nested_relation_is_kept_whole_when_its_parent_is_read():
    products = Product.objects.select_related("company__province", "category")
    assert without_reading(products, {"category"}).query.select_related == {"company": {"province": {}}}
    assert without_reading(products, {"category", "company"}).query.select_related is False


def test_an_annotation_left_out_is_not_selected_but_still_orders_and_filters(db, make_companies):
    first, second, third = make_companies(3)
    for company, names in ((first, ["a"]), (second, ["a", "b", "c"]), (third, ["a", "b"])):
        for name in names:
            company.contact_persons.create(name=name, role="r", email=f"{name}@example.com")
    companies = Company.objects.annotate(contacts=Count("contact_persons"))
    narrowed = without_reading(companies, {"contacts"})
    assert "contacts" not in narrowed.query.annotation_select
    assert [company.pk for company in narrowed.order_by("-contacts")] == [second.pk, third.pk, first.pk]
    assert [company.pk for company in narrowed.filter(contacts__gte=2).order_by("pk")] == sorted([second.pk, third.pk])
    assert not hasattr(narrowed.get(pk=first.pk), "contacts")


def test_names_the_queryset_does_not_read_change_nothing():
    companies = Company.objects.select_related("province").prefetch_related("products")
    narrowed = without_reading(companies, {"website", "nothing_at_all"})
    assert str(narrowed.query) == str(companies.query)
    assert narrowed._prefetch_related_lookups == ("products",)
