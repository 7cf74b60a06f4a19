"""The selectors built once for viewers who all see the same (``built_once_for_viewers_alike``): each call
answers a queryset of its own, and a viewer whose rows are theirs alone never gets another's."""

import pytest
from django.contrib.auth.models import AnonymousUser

from companies.selectors import company_detail, company_list
from companies.services import company_suspend
from products.selectors import product_list


@pytest.fixture
def hidden(world):
    """``world.own``, suspended: only its representative and officers see it."""
    company_suspend(company=world.own, by=world.officer, reason="Hồ sơ chưa đầy đủ.")
    return world.own


def codes(queryset) -> set[str]:
    return set(queryset.values_list("tax_code", flat=True))


@pytest.mark.parametrize("selector", [company_list, company_detail])
def test_each_call_answers_a_queryset_of_its_own(world, make_company, selector):
    narrowed = selector(AnonymousUser()).filter(tax_code=world.own.tax_code)
    assert codes(narrowed) == {world.own.tax_code}
    evaluated = selector(AnonymousUser())
    assert {company.tax_code for company in evaluated} == {world.own.tax_code, world.other.tax_code}
    # The evaluated queryset keeps its rows; the next call reads the registry as it is now.
    newcomer = make_company(name="Công ty Phần mềm Mới")
    fresh = selector(AnonymousUser())
    assert fresh is not evaluated
    assert {company.tax_code for company in fresh} == {world.own.tax_code, world.other.tax_code, newcomer.tax_code}


def test_viewers_alike_share_what_they_see_and_no_more(world, hidden, make_user):
    everyone = {world.own.tax_code, world.other.tax_code}
    second_officer = make_user("second_officer", officer=True)
    # Each kind of viewer in turn, twice, so that each meets the queryset another built before it.
    for _round in range(2):
        assert codes(company_list(AnonymousUser())) == {world.other.tax_code}
        assert codes(company_list(world.officer)) == everyone
        assert codes(company_list(second_officer)) == everyone
        assert codes(company_list(world.rep)) == everyone
        assert codes(company_list(world.other_rep)) == {world.other.tax_code}
        assert codes(company_list(None)) == {world.other.tax_code}


def test_what_may_be_read_follows_the_viewer(world, hidden):
    def sensitive(viewer) -> dict[str, bool]:
        return dict(company_detail(viewer).values_list("tax_code", "viewer_sees_sensitive"))

    for _round in range(2):
        assert sensitive(AnonymousUser()) == {world.other.tax_code: False}
        assert sensitive(world.officer) == {world.own.tax_code: True, world.other.tax_code: True}
        assert sensitive(world.rep) == {world.own.tax_code: True, world.other.tax_code: False}
        assert sensitive(world.other_rep) == {world.other.tax_code: True}


def test_products_of_hidden_companies_only_for_those_who_see_them(world, hidden):
    assert set(product_list(AnonymousUser()).values_list("name", flat=True)) == {world.other_product.name}
    assert set(product_list(world.officer).values_list("name", flat=True)) == {
        world.product.name,
        world.other_product.name,
    }
    assert set(product_list(AnonymousUser()).values_list("name", flat=True)) == {world.other_product.name}
