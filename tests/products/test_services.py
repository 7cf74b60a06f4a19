"""Writes through products.services: the category tree, standards and products."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from products.models import Category, Product
from products.services import category_upsert, product_create, product_update, standard_upsert


def test_category_upsert_updates_and_moves(categories):
    moved = category_upsert(
        slug="accounting-software", name="Kế toán", name_en="Accounting", parent=categories["telecom"]
    )
    assert moved.pk == categories["accounting"].pk
    assert (moved.depth, moved.path[: Category.steplen]) == (2, categories["telecom"].path)
    assert moved.search_name == "ke toan\naccounting"
    assert Category.objects.get(slug="accounting-software").path.startswith(categories["telecom"].path)


def test_category_can_become_a_root(categories):
    root = category_upsert(slug="accounting-software", name="Kế toán", name_en="Accounting", parent=None)
    assert root.is_root()
    assert Category.objects.get(slug="software").numchild == 0


def test_category_cannot_move_under_its_descendant(categories):
    with pytest.raises(ValidationError) as caught:
        category_upsert(slug="software", name="Phần mềm", name_en="Software", parent=categories["accounting"])
    assert "parent" in caught.value.message_dict
    assert Category.objects.get(slug="software").is_root()


def test_standard_upsert_updates_in_place(standards):
    updated = standard_upsert(code="3gpp-release-15", name="3GPP Rel-15", body="3GPP")
    assert updated.pk == standards["3gpp"].pk
    assert updated.name == "3GPP Rel-15"


def test_product_slug_is_unique_per_company(registry, make_product):
    again = make_product(registry["misa"], name="Phần mềm kế toán MISA SME")
    other_company = make_product(registry["danang"], name="Phần mềm kế toán MISA SME")
    assert again.slug == "phan-mem-ke-toan-misa-sme-2"
    assert other_company.slug == "phan-mem-ke-toan-misa-sme"


def test_product_cannot_be_sold_in_another_companys_market(registry, categories):
    us_market = registry["danang"].export_markets.get(country="US")
    with pytest.raises(ValidationError) as caught:
        product_create(
            company=registry["misa"],
            name="X",
            category=categories["software"],
            maturity="pilot",
            export_markets=[us_market],
        )
    assert "export_markets" in caught.value.message_dict
    assert not Product.objects.filter(name="X").exists()


def test_certification_needs_a_source(registry, categories):
    with pytest.raises(ValidationError) as caught:
        product_create(
            company=registry["misa"],
            name="X",
            category=categories["software"],
            maturity="pilot",
            miv_certified_on=datetime.date(2022, 1, 1),
        )
    assert "miv_certification_source" in caught.value.message_dict


def test_certification_began_in_2019(registry, categories, source):
    with pytest.raises(ValidationError) as caught:
        product_create(
            company=registry["misa"],
            name="X",
            category=categories["software"],
            maturity="pilot",
            miv_certified_on=datetime.date(2018, 12, 31),
            miv_certification_source=source,
        )
    assert "miv_certified_on" in caught.value.message_dict


def test_product_update_replaces_markets_and_search_text(registry):
    product = registry["accounting"]
    product_update(
        product=product,
        data={"name": "MISA AMIS Kế toán"},
        export_markets=registry["misa"].export_markets.filter(country="KH"),
    )
    product.refresh_from_db()
    assert product.search_name == "misa amis ke toan"
    assert [market.country.code for market in product.export_markets.all()] == ["KH"]
