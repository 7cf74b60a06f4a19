"""Writes through companies.services: every rule is checked before anything is saved."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from companies.models import Company, ExportMarket, ExportRevenue, MarketKind, Ownership, Province
from companies.services import (
    company_create,
    company_update,
    company_verify,
    export_market_create,
    export_revenue_create,
    source_upsert,
)


@pytest.fixture
def hanoi(db):
    return Province.objects.get(code="01")


def create(hanoi, **overrides):
    data = {
        "tax_code": "0101248141",
        "name": "Công ty Cổ phần FPT",
        "province": hanoi,
        "ownership": Ownership.JOINT_STOCK,
    }
    return company_create(**{**data, **overrides})


def test_provinces_are_loaded_by_migration(db):
    assert Province.objects.count() == 34
    assert Province.objects.get(code="79").name == "Thành phố Hồ Chí Minh"


def test_company_create_normalises_the_tax_code(hanoi):
    company = create(hanoi, tax_code="0101 248 141")
    assert company.tax_code == "0101248141"
    assert Company.objects.get(tax_code="0101248141") == company


def test_company_create_rejects_an_invalid_tax_code(hanoi):
    with pytest.raises(ValidationError) as caught:
        create(hanoi, tax_code="0101248142")
    assert list(caught.value.message_dict) == ["tax_code"]
    assert Company.objects.count() == 0


def test_company_create_rejects_a_duplicate_tax_code(hanoi):
    create(hanoi)
    with pytest.raises(ValidationError) as caught:
        create(hanoi, tax_code="01.01.248.141", name="Another")
    assert "tax_code" in caught.value.message_dict
    assert Company.objects.count() == 1


def test_company_create_rejects_a_future_founding_year(hanoi):
    with pytest.raises(ValidationError) as caught:
        create(hanoi, founded_year=datetime.date.today().year + 1)
    assert "founded_year" in caught.value.message_dict


def test_slugs_are_ascii_and_unique(hanoi):
    first = create(hanoi, name="Công ty Đà Nẵng")
    second = create(hanoi, tax_code="0100684378", name="Công ty Đà Nẵng")
    assert (first.slug, second.slug) == ("cong-ty-da-nang", "cong-ty-da-nang-2")


def test_search_columns_follow_updates(hanoi):
    company = create(hanoi, name_en="FPT Corporation", description_vi="Chuyển đổi số")
    assert company.search_name == "cong ty co phan fpt\nfpt corporation"
    assert company.search_body == "chuyen doi so"
    company_update(company=company, data={"name": "Tập đoàn FPT"})
    company.refresh_from_db()
    assert company.search_name == "tap doan fpt\nfpt corporation"


def test_company_update_rejects_unknown_fields(hanoi):
    with pytest.raises(TypeError):
        company_update(company=create(hanoi), data={"verification": "verified"})


def test_company_verify(hanoi):
    company = company_verify(company=create(hanoi))
    company.refresh_from_db()
    assert company.is_verified
    assert company.verified_at is not None


@pytest.fixture
def company(hanoi):
    return create(hanoi)


@pytest.fixture
def source(db):
    return source_upsert(key="s", title="Source")


def test_source_upsert_updates_in_place(source):
    updated = source_upsert(key="s", title="Better title", publisher="VnExpress")
    assert updated.pk == source.pk
    assert (updated.title, updated.publisher) == ("Better title", "VnExpress")


def test_home_country_is_not_an_export_market(company, source):
    with pytest.raises(ValidationError) as caught:
        export_market_create(company=company, country="VN", kind=MarketKind.EXPORT_SALES, source=source)
    assert caught.value.message_dict
    assert ExportMarket.objects.count() == 0


def test_export_market_is_unique_per_kind(company, source):
    export_market_create(company=company, country="JP", kind=MarketKind.OFFICE, source=source)
    export_market_create(company=company, country="JP", kind=MarketKind.EXPORT_SALES, source=source)
    with pytest.raises(ValidationError):
        export_market_create(company=company, country="JP", kind=MarketKind.OFFICE, source=source)
    assert ExportMarket.objects.count() == 2


def test_export_market_rejects_unknown_country(company, source):
    with pytest.raises(ValidationError) as caught:
        export_market_create(company=company, country="XX", kind=MarketKind.OFFICE, source=source)
    assert "country" in caught.value.message_dict


@pytest.mark.parametrize(
    ("year", "amount", "country", "field"),
    [
        (2024, Decimal("-1"), "", "amount_usd"),
        (1899, Decimal("1"), "", "year"),
        (datetime.date.today().year + 1, Decimal("1"), "", "year"),
        (2024, Decimal("1"), "VN", None),
    ],
)
def test_export_revenue_rules(company, source, year, amount, country, field):
    with pytest.raises(ValidationError) as caught:
        export_revenue_create(company=company, year=year, amount_usd=amount, source=source, country=country)
    if field:
        assert field in caught.value.message_dict
    assert ExportRevenue.objects.count() == 0


def test_one_total_per_year(company, source):
    export_revenue_create(company=company, year=2024, amount_usd=Decimal("10"), source=source)
    export_revenue_create(company=company, year=2024, amount_usd=Decimal("5"), source=source, country="JP")
    with pytest.raises(ValidationError):
        export_revenue_create(company=company, year=2024, amount_usd=Decimal("20"), source=source)
    assert ExportRevenue.objects.count() == 2
