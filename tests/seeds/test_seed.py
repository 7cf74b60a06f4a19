import shutil

import pytest
import yaml
from django.core.management import CommandError, call_command

from companies.models import Company, ExportMarket, Source
from products.models import Category, Product, Standard
from seeds.loader import DATA_DIR, load_seed_data

pytestmark = pytest.mark.django_db


def table_counts():
    return {
        model.__name__: model.objects.count() for model in (Company, ExportMarket, Source, Category, Standard, Product)
    }


def test_seed_command_loads_the_firms_of_the_sources():
    call_command("seed")

    assert set(Company.objects.values_list("short_name", flat=True)) >= {"Viettel", "FPT", "VNPT", "VNG", "MISA", "MB"}
    viettel = Company.objects.get(tax_code="0100109106")
    assert viettel.province_id == "01"
    assert {"LA", "KH", "MZ", "PE"} <= {market.country.code for market in viettel.export_markets.all()}
    assert Category.objects.get_parent(Category.objects.get(slug="5g-equipment")).slug == "telecommunications"


def test_seed_is_idempotent():
    load_seed_data()
    before = table_counts()

    report = load_seed_data()

    assert table_counts() == before
    assert sum(report.created.values()) == 0


def test_every_seeded_company_market_and_product_names_its_source():
    load_seed_data()

    assert not Company.objects.filter(source__isnull=True).exists()
    assert not ExportMarket.objects.filter(source__isnull=True).exists()
    assert not Product.objects.filter(source__isnull=True).exists()


def test_firms_without_a_confirmed_enterprise_code_are_reported_not_invented():
    report = load_seed_data()

    assert any("CEH" in line for line in report.skipped)
    assert not Company.objects.filter(short_name__in=["CEH", "MK Group", "NTQ Solution", "One Mount"]).exists()


def test_invalid_seed_data_is_refused_whole(tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(DATA_DIR, data_dir)
    companies = yaml.safe_load((data_dir / "companies.yaml").read_text(encoding="utf-8"))
    companies["companies"][-1]["tax_code"] = "0100109107"  # wrong check digit
    (data_dir / "companies.yaml").write_text(yaml.safe_dump(companies, allow_unicode=True), encoding="utf-8")

    with pytest.raises(Exception, match="check digit"):
        load_seed_data(data_dir)

    assert table_counts() == {name: 0 for name in table_counts()}


def test_seed_command_reports_invalid_data_as_a_command_error(tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(DATA_DIR, data_dir)
    companies = yaml.safe_load((data_dir / "companies.yaml").read_text(encoding="utf-8"))
    companies["companies"][0]["products"][0]["markets"] = ["BR"]  # not a market of the company
    (data_dir / "companies.yaml").write_text(yaml.safe_dump(companies, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("seed", "--data-dir", str(data_dir))
    assert Company.objects.count() == 0
