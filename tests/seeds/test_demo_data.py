import pytest
from django.core.management import call_command
from stdnum.vn import mst

from companies.models import Company, ExportMarket, ExportRevenue
from products.models import Product
from seeds.demo import DEMO_SOURCE_KEY, generate_demo_data, remove_demo_data
from seeds.loader import load_seed_data

pytestmark = pytest.mark.django_db


def demo_snapshot():
    return list(
        Company.objects.filter(source__key=DEMO_SOURCE_KEY)
        .order_by("tax_code")
        .values_list("tax_code", "name", "province_id", "founded_year")
    )


def test_demo_data_is_deterministic_valid_and_removable():
    load_seed_data()
    seeded = Company.objects.count()

    report = generate_demo_data(companies=40, seed=3)
    first = demo_snapshot()
    assert report.rows["companies"] == len(first) == 40
    assert all(mst.is_valid(tax_code) for tax_code, *_ in first)
    assert any(name != name.encode("ascii", "ignore").decode() for _, name, *_ in first)  # Vietnamese diacritics
    assert Product.objects.filter(company__source__key=DEMO_SOURCE_KEY).count() == report.rows["products"]
    assert Company.objects.filter(source__key=DEMO_SOURCE_KEY, search_name="").count() == 0

    assert remove_demo_data() == 40
    assert Company.objects.count() == seeded
    assert not Product.objects.filter(slug__startswith="p", company__slug__startswith="demo-").exists()
    assert not ExportMarket.objects.filter(company__slug__startswith="demo-").exists()
    assert not ExportRevenue.objects.filter(company__slug__startswith="demo-").exists()

    generate_demo_data(companies=40, seed=3)
    assert demo_snapshot() == first


def test_demo_companies_are_found_by_the_api(client):
    load_seed_data()
    call_command("generate_demo_data", "--companies", "25", "--seed", "5")
    code = Company.objects.filter(source__key=DEMO_SOURCE_KEY).values_list("tax_code", flat=True).first()

    response = client.get(f"/api/v1/companies/{code}/")

    assert response.status_code == 200
    assert client.get("/api/v1/companies/", {"page_size": 100}).json()["count"] >= 25
